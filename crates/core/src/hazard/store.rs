use async_trait::async_trait;
use chrono::NaiveDate;

use super::{Hazard, HazardCounts, HazardInput, HazardQuery, NoticeReceipt, Rectification, Review};
use crate::attachment::NewAttachment;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, HazardId, RecordId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

#[async_trait]
pub trait HazardStore: Send + Sync {
    async fn list_hazards(
        &self,
        scope: &Scope,
        query: &HazardQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Hazard>>;
    /// Counts by state (and overdue, major) under every filter but the state.
    async fn count_hazards(&self, scope: &Scope, query: &HazardQuery) -> CoreResult<HazardCounts>;
    /// The ledger's page and its counts together: a store that derives both from one read
    /// (the per-party tallies) reads it once.
    async fn hazard_ledger(
        &self,
        scope: &Scope,
        query: &HazardQuery,
        page: PageRequest,
    ) -> CoreResult<(Page<Hazard>, HazardCounts)> {
        let counts = self.count_hazards(scope, query).await?;
        let page = self.list_hazards(scope, query, page).await?;
        Ok((page, counts))
    }
    /// Lets the store compact what it keeps per deadline for the deadlines before `before`:
    /// they are past for every figure asked from then on. The number of rows compacted.
    async fn fold_past_deadlines(&self, before: NaiveDate) -> CoreResult<u64>;
    /// With every round's steps.
    async fn get_hazard(&self, id: HazardId) -> CoreResult<Option<Hazard>>;
    /// Inserts the hazard of an inspection (and its 即查即改 rectification) while the order is
    /// 已受理; `Conflict` otherwise.
    async fn create_hazard(
        &self,
        inspection: RecordId,
        input: &HazardInput,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<HazardId>;
    /// Records the rectification of `round` if the hazard is still 待整改 in that round; `false`
    /// when someone else moved it first.
    async fn rectify_hazard(
        &self,
        id: HazardId,
        round: i32,
        r: &Rectification,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Records the review of `round` if the hazard is still 待复查 in that round.
    async fn review_hazard(
        &self,
        id: HazardId,
        round: i32,
        r: &Review,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
    /// The 签收 of an inspection's 整改通知书, if any.
    async fn notice_receipt(&self, inspection: RecordId) -> CoreResult<Option<NoticeReceipt>>;
    /// Records the 签收 (with the on-site signature among `files`) unless the notice was signed
    /// for already (`false` then).
    async fn sign_notice(
        &self,
        inspection: RecordId,
        receipt: &NoticeReceipt,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
}
