use anze_core::audit::chain::ChainStatus;
use anze_core::audit::{self, AuditAction, AuditRecord, LogFilter, LoginRecord, ObjectKind};
use anze_core::org::{self, Organization};
use anze_core::page::Page;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, PageParams, QueryData};
use crate::view::{Pager, Shell, render};

#[derive(Template)]
#[template(path = "log/audit.html")]
struct AuditPage {
    shell: Shell,
    filter: LogFilter,
    page: Page<AuditRecord>,
    pager: Pager,
    actions: Vec<AuditAction>,
    objects: Vec<ObjectKind>,
    orgs: Vec<Organization>,
    /// The hash chain's head and last verification; the platform admin's only.
    chain: Option<ChainStatus>,
}

async fn org_options(state: &AppState, ctx: &Ctx) -> PageResult<Vec<Organization>> {
    Ok(if ctx.actor.is_platform() {
        org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    })
}

/// 操作日志
pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<LogFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = audit::service::list_audit(state.store(), &ctx.actor, &filter, pp.request()).await?;
    render(&AuditPage {
        pager: Pager::new(&page, ctx.uri.query()),
        orgs: org_options(&state, &ctx).await?,
        chain: audit::service::chain_status(state.store(), &ctx.actor).await?,
        shell: ctx.shell("/audit"),
        filter,
        page,
        actions: AuditAction::ALL.to_vec(),
        objects: ObjectKind::ALL.to_vec(),
    })
}

/// 立即校验: runs `anze audit verify` for the platform admin; the page shows the outcome.
pub async fn verify(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    audit::service::verify_chain_as(state.store(), &ctx.actor, ctx.now).await?;
    Ok(Redirect::to("/audit").into_response())
}

#[derive(Template)]
#[template(path = "log/login.html")]
struct LoginLogPage {
    shell: Shell,
    filter: LogFilter,
    page: Page<LoginRecord>,
    pager: Pager,
    orgs: Vec<Organization>,
}

/// 登录日志
pub async fn logins(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<LogFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page =
        audit::service::list_logins(state.store(), &ctx.actor, &filter, pp.request()).await?;
    render(&LoginLogPage {
        pager: Pager::new(&page, ctx.uri.query()),
        orgs: org_options(&state, &ctx).await?,
        shell: ctx.shell("/login-log"),
        filter,
        page,
    })
}
