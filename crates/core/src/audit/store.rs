use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditRecord, LogQuery, LoginEvent, LoginRecord};
use crate::error::CoreResult;
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
}
