use anze_core::auth::{MENU_GROUPS, Menu};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::Ctx;
use crate::view::{Shell, render};

pub struct Shortcut {
    pub group: &'static str,
    pub label: &'static str,
    pub path: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    shell: Shell,
    org_kind: &'static str,
    account: String,
    shortcuts: Vec<Shortcut>,
    dashboard: anze_core::dashboard::Dashboard,
    /// The counts link to 服务确认 for those who confirm.
    can_confirm: bool,
    /// 查看看板 for the parties that have a dashboard.
    has_board: bool,
}

/// 首页: who is logged in, and the functions this account may use.
pub async fn index(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let dashboard = anze_core::dashboard::summary(state.store(), &ctx.actor, ctx.now).await?;
    let shortcuts = MENU_GROUPS
        .into_iter()
        .flat_map(|g| {
            Menu::ALL
                .into_iter()
                .filter(move |m| m.group() == g)
                .filter(|m| ctx.actor.has(m.view_permission()))
                .map(move |m| Shortcut {
                    group: g.label(),
                    label: m.label(),
                    path: m.path(),
                })
        })
        .collect();
    render(&HomePage {
        can_confirm: ctx.actor.has(anze_core::auth::Permission::RecordConfirm),
        has_board: anze_core::dashboard::service::may_view(&ctx.actor),
        dashboard,
        shell: ctx.shell("/"),
        org_kind: ctx.actor.org_kind.label(),
        account: ctx.actor.display(),
        shortcuts,
    })
}

/// 200 when the database answers; load balancers poll it.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match anze_core::store::check_health(state.store()).await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}
