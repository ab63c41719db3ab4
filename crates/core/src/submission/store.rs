use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Claim, Replay};
use crate::error::CoreResult;
use crate::ids::AccountId;

#[async_trait]
pub trait SubmissionStore: Send + Sync {
    /// Inserts the claim, committed at once so every instance sees it; when the fingerprint
    /// is there already, answers what it holds.
    async fn claim_submission(
        &self,
        fingerprint: &str,
        account: AccountId,
        path: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<Claim>;
    /// Records where the submit led and, for an API call, its answer.
    async fn complete_submission(
        &self,
        fingerprint: &str,
        location: &str,
        response: Option<&Replay>,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;
    /// Forgets a pending claim whose submit saved nothing, so the corrected form may be sent
    /// again with the same key.
    async fn release_submission(&self, fingerprint: &str) -> CoreResult<()>;
    /// Forgets claims made before `before`; answers how many.
    async fn prune_submissions(&self, before: DateTime<Utc>) -> CoreResult<u64>;
}
