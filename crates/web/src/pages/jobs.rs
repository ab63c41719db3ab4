//! 定时任务: the platform admin's view of scheduled and queued runs, their failures and retries.

use anze_core::job::service::ScheduleView;
use anze_core::job::{self, JobFilter, JobKind, JobRun, JobState};
use anze_core::page::Page;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, PageParams, QueryData};
use crate::view::{Pager, Shell, render};

#[derive(Template)]
#[template(path = "job/list.html")]
struct JobsPage {
    shell: Shell,
    filter: JobFilter,
    page: Page<JobRun>,
    pager: Pager,
    kinds: [JobKind; 5],
    states: [JobState; 4],
    schedules: Vec<ScheduleView>,
}

/// `GET /jobs?kind=reminders&state=failed&from=…&to=…`
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<JobFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = job::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    render(&JobsPage {
        pager: Pager::new(&page, ctx.uri.query()),
        schedules: job::service::schedules(&ctx.actor, ctx.now)?,
        shell: ctx.shell("/jobs"),
        filter,
        page,
        kinds: JobKind::ALL,
        states: JobState::ALL,
    })
}
