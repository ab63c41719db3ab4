//! 消息通知: the bell's list, opening a notification (marks it read, goes to its object) and
//! 全部标为已读.

use anze_core::ids::NoticeId;
use anze_core::notify::{self, Notice, NoticeFilter, NoticeKind};
use anze_core::page::Page;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render};

const ACTIVE: &str = "/notifications";

#[derive(Template)]
#[template(path = "notification/list.html")]
struct ListPage {
    shell: Shell,
    filter: NoticeFilter,
    page: Page<Notice>,
    pager: Pager,
    kinds: [NoticeKind; 10],
}

/// `GET /notifications?read=unread&kind=order.designated`
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<NoticeFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = notify::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
        kinds: NoticeKind::ALL,
    })
}

/// 查看: marks the notification read and opens what it is about.
pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: NoticeId = parse_id(&id)?;
    let link = notify::service::open(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(Redirect::to(&link).into_response())
}

/// 全部标为已读
pub async fn read_all(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    notify::service::mark_all_read(state.store(), &ctx.actor, ctx.now).await?;
    Ok(redirect_with(ACTIVE, Flash::MarkedRead))
}
