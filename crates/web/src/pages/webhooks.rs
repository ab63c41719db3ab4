//! 消息推送: an organization's webhook (URL, signing secret, on/off) and its delivery log.

use anze_core::job::JobRun;
use anze_core::page::Page;
use anze_core::webhook::{self, Webhook, WebhookForm};
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render_status};

const ACTIVE: &str = "/webhook";

#[derive(Template)]
#[template(path = "webhook/page.html")]
struct WebhookPage {
    shell: Shell,
    hook: Option<Webhook>,
    form: WebhookForm,
    errors: FieldErrors,
    page: Page<JobRun>,
    pager: Pager,
    signature_header: &'static str,
    secret_hint: String,
}

async fn page_of(
    state: &AppState,
    ctx: &Ctx,
    pp: PageParams,
    form: Option<WebhookForm>,
    errors: FieldErrors,
) -> PageResult<Response> {
    let hook = webhook::service::get(state.store(), &ctx.actor).await?;
    let page = webhook::service::deliveries(state.store(), &ctx.actor, pp.request()).await?;
    let form = form.unwrap_or_else(|| WebhookForm {
        url: hook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
        secret: String::new(),
        enabled: if hook.as_ref().is_none_or(|h| h.enabled) {
            "on".into()
        } else {
            String::new()
        },
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let secret_hint = match &hook {
        Some(h) => format!("当前密钥 {};留空则不修改", h.masked_secret()),
        None => "16–128 个字符,与接收方约定".into(),
    };
    render_status(
        &WebhookPage {
            secret_hint,
            pager: Pager::new(&page, ctx.uri.query()),
            shell: ctx.shell(ACTIVE),
            hook,
            form,
            errors,
            page,
            signature_header: webhook::SIGNATURE_HEADER,
        },
        status,
    )
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    page_of(&state, &ctx, pp, None, FieldErrors::new()).await
}

/// 保存
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<WebhookForm>,
) -> PageResult<Response> {
    match webhook::service::save(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(ACTIVE, Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            // The secret is never echoed back into the page.
            let form = WebhookForm {
                secret: String::new(),
                ..form
            };
            page_of(&state, &ctx, PageParams::default(), Some(form), errors).await
        }
        Err(e) => Err(e.into()),
    }
}
