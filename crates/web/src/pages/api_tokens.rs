//! API 令牌: an organization's admin makes, sees and revokes the tokens its systems call
//! `/api/v1` with (`anze_core::api_token`). A new token's secret is shown on the answer to the
//! create form and nowhere else.

use anze_core::api_token::{
    self, ApiCallFilter, ApiCallRecord, ApiToken, ApiTokenForm, DEFAULT_DAYS,
};
use anze_core::auth::Permission;
use anze_core::ids::ApiTokenId;
use anze_core::org::Organization;
use anze_core::page::{Page, PageRequest};
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/api-tokens";

/// A permission the form offers: code, `菜单·操作`, checked.
struct Choice {
    code: &'static str,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "api_token/page.html")]
struct TokensPage {
    shell: Shell,
    page: Page<ApiToken>,
    pager: Pager,
    now: DateTime<Utc>,
    form: ApiTokenForm,
    choices: Vec<Choice>,
    errors: FieldErrors,
    /// (name, secret) of the token just made.
    created: Option<(String, String)>,
}

async fn page_of(
    state: &AppState,
    ctx: &Ctx,
    pp: PageParams,
    form: ApiTokenForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
) -> PageResult<Response> {
    let page = api_token::service::list(state.store(), &ctx.actor, pp.request()).await?;
    let choices = api_token::service::grantable(&ctx.actor)
        .into_iter()
        .map(|p: Permission| Choice {
            code: p.code(),
            label: format!("{}·{}", p.menu().label(), p.label()),
            checked: form.permissions.iter().any(|c| c == p.code()),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &TokensPage {
            pager: Pager::new(&page, ctx.uri.query()),
            shell: ctx.shell(ACTIVE),
            page,
            now: ctx.now,
            form,
            choices,
            errors,
            created,
        },
        status,
    )
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let form = ApiTokenForm {
        days: DEFAULT_DAYS.to_string(),
        ..ApiTokenForm::default()
    };
    page_of(&state, &ctx, pp, form, FieldErrors::new(), None).await
}

/// 新建令牌: answers with the page itself, the secret shown once at its top.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<ApiTokenForm>,
) -> PageResult<Response> {
    match api_token::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok((_, secret)) => {
            let created = Some((form.name.trim().to_string(), secret));
            let fresh = ApiTokenForm {
                days: DEFAULT_DAYS.to_string(),
                ..ApiTokenForm::default()
            };
            page_of(
                &state,
                &ctx,
                PageParams::default(),
                fresh,
                FieldErrors::new(),
                created,
            )
            .await
        }
        Err(CoreError::Validation(errors)) => {
            page_of(&state, &ctx, PageParams::default(), form, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 吊销
pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: ApiTokenId = super::orgs::parse_id(&id)?;
    api_token::service::revoke(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(ACTIVE, Flash::Disabled))
}

#[derive(Template)]
#[template(path = "api_token/calls.html")]
struct CallsPage {
    shell: Shell,
    filter: ApiCallFilter,
    page: Page<ApiCallRecord>,
    pager: Pager,
    /// The organization's tokens, for the 令牌 filter.
    tokens: Vec<ApiToken>,
    /// The platform's 机构 filter; empty for everyone else.
    orgs: Vec<Organization>,
}

/// API 调用日志
pub async fn calls(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<ApiCallFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = api_token::service::calls(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let tokens = api_token::service::list(state.store(), &ctx.actor, PageRequest::first(100))
        .await?
        .items;
    let orgs = if ctx.actor.is_platform() {
        anze_core::org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    };
    render(&CallsPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
        tokens,
        orgs,
    })
}
