use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Complaint, ComplaintCounts, ComplaintInput, ComplaintQuery, ComplaintState, Filer, StepKind,
};
use crate::attachment::NewAttachment;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, ComplaintId, OrderId, OrgId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

/// A step as it is written.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub kind: StepKind,
    pub note: String,
    pub by: AccountId,
    /// The organization `by` acts for.
    pub org: OrgId,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// The complaints in `scope` that match, newest first (without their steps).
    async fn list_complaints(
        &self,
        scope: &Scope,
        query: &ComplaintQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Complaint>>;
    /// Counts by state and of overdue clocks under every filter but the state and `overdue`.
    async fn count_complaints(
        &self,
        scope: &Scope,
        query: &ComplaintQuery,
    ) -> CoreResult<ComplaintCounts>;
    /// With every step.
    async fn get_complaint(&self, id: ComplaintId) -> CoreResult<Option<Complaint>>;
    /// Files a complaint about `order` (its parties copied from it) with its first step, its
    /// files and its audit event.
    async fn create_complaint(
        &self,
        order: OrderId,
        input: &ComplaintInput,
        filer: Filer,
        files: &[(String, NewAttachment)],
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<ComplaintId>;
    /// Moves the complaint from `from` to `to` with the step, if it is still in `from`. 受理
    /// sets the acceptance time; 办结 the settlement time and the outcome (the step's note).
    /// `false` when someone else moved it first.
    async fn move_complaint(
        &self,
        id: ComplaintId,
        from: ComplaintState,
        to: ComplaintState,
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Adds the agency's answer unless the complaint was settled meanwhile (`false` then).
    async fn reply_complaint(
        &self,
        id: ComplaintId,
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
}
