use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::chain::{ChainHead, ChainRow, ChainVerification};
use super::{AuditRecord, LogQuery, LoginEvent, LoginRecord};
use crate::error::CoreResult;
use crate::ids::AuditEventId;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn list_audit(
        &self,
        query: &LogQuery,
        page: PageRequest,
    ) -> CoreResult<Page<AuditRecord>>;
    async fn list_logins(
        &self,
        query: &LogQuery,
        page: PageRequest,
    ) -> CoreResult<Page<LoginRecord>>;
    async fn record_login_event(&self, event: &LoginEvent) -> CoreResult<()>;
    async fn count_login_failures_from(&self, ip: &str, since: DateTime<Utc>) -> CoreResult<u64>;

    /// The chain head and the highest sequence number among the rows, read in one statement
    /// so that a writer committing in between cannot make them disagree.
    async fn audit_chain_head(&self) -> CoreResult<(ChainHead, Option<i64>)>;
    /// Up to `limit` chained rows with `after < seq <= upto`, in sequence order.
    async fn audit_chain_rows(
        &self,
        after: i64,
        upto: i64,
        limit: u64,
    ) -> CoreResult<Vec<ChainRow>>;
    /// The id of the oldest audit row without a sequence number, if any.
    async fn first_unchained_audit(&self) -> CoreResult<Option<AuditEventId>>;
    async fn record_chain_verification(&self, v: &ChainVerification) -> CoreResult<()>;
    /// The newest recorded verification, or the newest that passed.
    async fn last_chain_verification(
        &self,
        passed_only: bool,
    ) -> CoreResult<Option<ChainVerification>>;
}
