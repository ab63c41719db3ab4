use chrono::{DateTime, Utc};

use super::{JobFilter, JobKind, JobRun, NewJobRun, RunOutcome, outcome};
use crate::auth::{Actor, Permission, require};
use crate::error::CoreResult;
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// 定时任务: runs of every kind, newest first; the platform admin's.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &JobFilter,
    page: PageRequest,
) -> CoreResult<Page<JobRun>> {
    require(actor, Permission::JobView)?;
    store.list_job_runs(&filter.query()?, page).await
}

/// A kind as the page describes when it runs.
pub struct ScheduleView {
    pub kind: JobKind,
    pub schedule: String,
    /// The next slot of a scheduled kind; `None` for kinds run as events queue them.
    pub next_at: Option<DateTime<Utc>>,
}

pub fn schedules(actor: &Actor, now: DateTime<Utc>) -> CoreResult<Vec<ScheduleView>> {
    require(actor, Permission::JobView)?;
    Ok(JobKind::ALL
        .into_iter()
        .map(|kind| match kind.schedule() {
            Some(s) => ScheduleView {
                kind,
                schedule: s.label(),
                next_at: Some(s.next_after(now)),
            },
            None => ScheduleView {
                kind,
                schedule: "有新消息时立即执行".into(),
                next_at: None,
            },
        })
        .collect())
}

/// Enqueues the current slot of every scheduled kind. Every instance calls this on every tick;
/// the `(kind, key)` unique key lets one row through per slot. Returns the runs inserted.
/// Only `kinds` are looked at (an instance, or a test, may run some kinds only).
pub async fn enqueue_due(
    store: &dyn Store,
    now: DateTime<Utc>,
    kinds: &[JobKind],
) -> CoreResult<u32> {
    let mut inserted = 0;
    for kind in kinds.iter().copied() {
        if let Some(schedule) = kind.schedule()
            && store
                .enqueue_job(&NewJobRun::scheduled(kind, schedule, now))
                .await?
        {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// Claims the next due run for `worker`, if any.
pub async fn claim(
    store: &dyn Store,
    worker: &str,
    now: DateTime<Utc>,
    kinds: &[JobKind],
) -> CoreResult<Option<JobRun>> {
    store
        .claim_job(now, now + super::lease(), worker, kinds)
        .await
}

/// Records the end of a claimed run: done, retried after a back-off, or given up.
pub async fn finish(
    store: &dyn Store,
    run: &JobRun,
    worker: &str,
    result: Result<(), String>,
    now: DateTime<Utc>,
) -> CoreResult<RunOutcome> {
    let o = outcome(run, result, now);
    store.finish_job(run.id, worker, &o).await?;
    Ok(o)
}
