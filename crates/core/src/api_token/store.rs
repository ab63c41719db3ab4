use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ApiCall, ApiCallQuery, ApiCallRecord, ApiToken, NewApiToken};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{ApiTokenId, OrgId};
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    async fn insert_api_token(
        &self,
        token: &NewApiToken,
        audit: &AuditEvent,
    ) -> CoreResult<ApiTokenId>;
    /// The organization's tokens, newest first.
    async fn list_api_tokens(&self, org: OrgId, page: PageRequest) -> CoreResult<Page<ApiToken>>;
    async fn get_api_token(&self, id: ApiTokenId) -> CoreResult<Option<ApiToken>>;
    async fn find_api_token_by_hash(&self, hash: &str) -> CoreResult<Option<ApiToken>>;
    /// Marks the token revoked unless it already is; false when it was.
    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Records a use (the page shows 最近使用).
    async fn touch_api_token(&self, id: ApiTokenId, at: DateTime<Utc>) -> CoreResult<()>;
    /// API 调用日志
    async fn insert_api_call(&self, call: &ApiCall) -> CoreResult<()>;
    /// Newest first.
    async fn list_api_calls(
        &self,
        query: &ApiCallQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ApiCallRecord>>;
    /// Removes the calls before `before`; returns how many.
    async fn prune_api_calls(&self, before: DateTime<Utc>) -> CoreResult<u64>;
}
