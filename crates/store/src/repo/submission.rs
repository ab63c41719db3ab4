//! 防重复提交 claims. The claim is its own short statement outside any business transaction:
//! it must be visible to every instance before the work starts.

use anze_core::ids::AccountId;
use anze_core::submission::{Claim, Replay, SubmissionStore, Ticket};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::submission;
use crate::{Db, db_err};

#[async_trait]
impl SubmissionStore for Db {
    async fn claim_submission(
        &self,
        fingerprint: &str,
        account: AccountId,
        path: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<Claim> {
        let inserted = submission::ActiveModel {
            fingerprint: Set(fingerprint.to_string()),
            account_id: Set(account.0),
            path: Set(path.chars().take(255).collect()),
            location: Set(None),
            created_at: Set(at),
            completed_at: Set(None),
            response_status: Set(None),
            response_body: Set(None),
        }
        .insert(self.write_conn())
        .await
        .map_err(db_err);
        match inserted {
            Ok(_) => Ok(Claim::New(Ticket {
                fingerprint: fingerprint.to_string(),
            })),
            Err(CoreError::Duplicate) => {
                let row = submission::Entity::find_by_id(fingerprint.to_string())
                    .one(&self.conn)
                    .await
                    .map_err(db_err)?
                    // Released between the insert and this read: the other submit saved
                    // nothing, and this one may be retried.
                    .ok_or_else(|| {
                        CoreError::Conflict("表单正在重新提交,请稍后刷新页面再试。".into())
                    })?;
                Ok(match row.location {
                    Some(location) => Claim::Done {
                        location,
                        response: row.response_status.zip(row.response_body).map(
                            |(status, body)| Replay {
                                status: u16::try_from(status).unwrap_or(200),
                                body,
                            },
                        ),
                    },
                    None => Claim::Pending {
                        since: row.created_at,
                    },
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn complete_submission(
        &self,
        fingerprint: &str,
        location: &str,
        response: Option<&Replay>,
        at: DateTime<Utc>,
    ) -> CoreResult<()> {
        use submission::Column as S;
        submission::Entity::update_many()
            .col_expr(S::Location, location.into())
            .col_expr(S::CompletedAt, at.into())
            .col_expr(
                S::ResponseStatus,
                response.map(|r| i32::from(r.status)).into(),
            )
            .col_expr(S::ResponseBody, response.map(|r| r.body.clone()).into())
            .filter(S::Fingerprint.eq(fingerprint))
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn release_submission(&self, fingerprint: &str) -> CoreResult<()> {
        use submission::Column as S;
        submission::Entity::delete_many()
            .filter(S::Fingerprint.eq(fingerprint))
            .filter(S::Location.is_null())
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn prune_submissions(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let res = submission::Entity::delete_many()
            .filter(submission::Column::CreatedAt.lt(before))
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected)
    }
}
