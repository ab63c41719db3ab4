use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{JobQuery, JobRun, NewJobRun, RunOutcome};
use crate::error::CoreResult;
use crate::ids::JobRunId;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Inserts the run unless one with the same `(kind, key)` exists; `true` when inserted.
    async fn enqueue_job(&self, run: &NewJobRun) -> CoreResult<bool>;
    /// Takes the oldest run that is due (pending and `next_attempt_at <= now`, or running with
    /// an expired lease), marks it running until `lease_until` and counts the attempt. Other
    /// instances skip the row while it is being claimed (`FOR UPDATE SKIP LOCKED`). Only runs
    /// of `kinds` are taken.
    async fn claim_job(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        kinds: &[super::JobKind],
    ) -> CoreResult<Option<JobRun>>;
    /// Records how the claimed run ended; ignored when the claim was lost to another worker.
    async fn finish_job(&self, id: JobRunId, worker: &str, outcome: &RunOutcome) -> CoreResult<()>;
    async fn list_job_runs(&self, query: &JobQuery, page: PageRequest) -> CoreResult<Page<JobRun>>;
}
