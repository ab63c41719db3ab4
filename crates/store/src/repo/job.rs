use anze_core::ids::{JobRunId, OrgId};
use anze_core::job::{JobKind, JobQuery, JobRun, JobState, JobStore, NewJobRun, RunOutcome};
use anze_core::page::{Page, PageRequest};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{page_of, paginate};
use crate::entity::job_run;
use crate::{Db, db_err};

fn run_of(m: job_run::Model) -> CoreResult<JobRun> {
    Ok(JobRun {
        id: JobRunId(m.id),
        kind: JobKind::from_code(&m.kind)
            .ok_or_else(|| CoreError::Internal(format!("unknown job kind {}", m.kind)))?,
        key: m.run_key,
        scheduled_at: m.scheduled_at,
        state: JobState::from_code(&m.state)
            .ok_or_else(|| CoreError::Internal(format!("unknown job state {}", m.state)))?,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        locked_by: m.locked_by,
        last_error: m.last_error,
        payload: m.payload,
        org_id: m.org_id.map(OrgId),
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
    })
}

#[async_trait]
impl JobStore for Db {
    /// A plain insert outside any transaction: when another instance inserted the same slot
    /// first, the unique key refuses this one and nothing else is rolled back with it.
    async fn enqueue_job(&self, run: &NewJobRun) -> CoreResult<bool> {
        let row = job_run::ActiveModel {
            id: NotSet,
            kind: Set(run.kind.code().to_string()),
            run_key: Set(run.key.clone()),
            scheduled_at: Set(run.scheduled_at),
            state: Set(JobState::Pending.code().to_string()),
            attempts: Set(0),
            next_attempt_at: Set(run.scheduled_at.max(run.created_at)),
            locked_by: Set(None),
            locked_until: Set(None),
            last_error: Set(None),
            payload: Set(run.payload.clone()),
            org_id: Set(run.org_id.map(|o| o.0)),
            created_at: Set(run.created_at),
            started_at: Set(None),
            finished_at: Set(None),
        };
        let exists = job_run::Entity::find()
            .filter(job_run::Column::Kind.eq(run.kind.code()))
            .filter(job_run::Column::RunKey.eq(run.key.as_str()))
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .is_some();
        if exists {
            return Ok(false);
        }
        match row.insert(self.writer.as_ref().unwrap_or(&self.conn)).await {
            Ok(_) => Ok(true),
            Err(e) => match db_err(e) {
                CoreError::Duplicate => Ok(false),
                other => Err(other),
            },
        }
    }

    /// `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL/MariaDB: two instances
    /// claiming at once each lock a different row (or none), never the same. SQLite drops the
    /// clause; its `BEGIN IMMEDIATE` write transaction already admits one claimer at a time,
    /// and SQLite serves one instance only.
    async fn claim_job(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        kinds: &[JobKind],
    ) -> CoreResult<Option<JobRun>> {
        use job_run::Column as J;
        let txn = self.write().await?;
        let due = Condition::any()
            .add(
                Condition::all()
                    .add(J::State.eq(JobState::Pending.code()))
                    .add(J::NextAttemptAt.lte(now)),
            )
            .add(
                Condition::all()
                    .add(J::State.eq(JobState::Running.code()))
                    .add(J::LockedUntil.lt(now)),
            );
        let Some(row) = job_run::Entity::find()
            .filter(due)
            .filter(J::Kind.is_in(kinds.iter().map(|k| k.code())))
            .order_by_asc(J::NextAttemptAt)
            .order_by_asc(J::Id)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .one(&txn)
            .await
            .map_err(db_err)?
        else {
            txn.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let worker: String = worker.chars().take(64).collect();
        let mut claimed = row.clone();
        claimed.state = JobState::Running.code().to_string();
        claimed.attempts = row.attempts + 1;
        claimed.locked_by = Some(worker.clone());
        claimed.locked_until = Some(lease_until);
        claimed.started_at = Some(now);
        job_run::Entity::update_many()
            .col_expr(J::State, Expr::value(JobState::Running.code()))
            .col_expr(J::Attempts, Expr::value(claimed.attempts))
            .col_expr(J::LockedBy, Expr::value(Some(worker)))
            .col_expr(J::LockedUntil, Expr::value(Some(lease_until)))
            .col_expr(J::StartedAt, Expr::value(Some(now)))
            .filter(J::Id.eq(row.id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        run_of(claimed).map(Some)
    }

    async fn finish_job(&self, id: JobRunId, worker: &str, outcome: &RunOutcome) -> CoreResult<()> {
        use job_run::Column as J;
        let txn = self.write().await?;
        let mut update = job_run::Entity::update_many()
            .col_expr(J::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(J::Id.eq(id.0))
            .filter(J::State.eq(JobState::Running.code()))
            .filter(J::LockedBy.eq(worker.chars().take(64).collect::<String>()));
        update = match outcome {
            RunOutcome::Done { at } => update
                .col_expr(J::State, Expr::value(JobState::Done.code()))
                .col_expr(J::FinishedAt, Expr::value(Some(*at))),
            RunOutcome::Retry {
                error,
                next_attempt_at,
                ..
            } => update
                .col_expr(J::State, Expr::value(JobState::Pending.code()))
                .col_expr(J::LastError, Expr::value(Some(error.clone())))
                .col_expr(J::NextAttemptAt, Expr::value(*next_attempt_at)),
            RunOutcome::GiveUp { at, error } => update
                .col_expr(J::State, Expr::value(JobState::Failed.code()))
                .col_expr(J::LastError, Expr::value(Some(error.clone())))
                .col_expr(J::FinishedAt, Expr::value(Some(*at))),
        };
        update.exec(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn list_job_runs(&self, query: &JobQuery, page: PageRequest) -> CoreResult<Page<JobRun>> {
        use job_run::Column as J;
        let mut select = job_run::Entity::find();
        if let Some(k) = query.kind {
            select = select.filter(J::Kind.eq(k.code()));
        }
        if let Some(s) = query.state {
            select = select.filter(J::State.eq(s.code()));
        }
        if query.failed_before {
            select = select.filter(J::LastError.is_not_null());
        }
        if let Some(o) = query.org {
            select = select.filter(J::OrgId.eq(o.0));
        }
        if let Some(from) = query.from {
            select = select.filter(J::ScheduledAt.gte(from));
        }
        if let Some(until) = query.until {
            select = select.filter(J::ScheduledAt.lt(until));
        }
        let (rows, total) = paginate(&self.conn, select.order_by_desc(J::Id), page).await?;
        let items = rows.into_iter().map(run_of).collect::<CoreResult<_>>()?;
        Ok(page_of(items, total, page))
    }
}
