use async_trait::async_trait;

use super::{Confirmation, RecordConfirmation, RecordInput, RecordQuery, ServiceRecord};
use crate::attachment::NewAttachment;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, AttachmentId, OrderId, RecordId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;
use crate::service_item::ServiceItem;

#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Records of `query.item` (every item when `None`) in the scope.
    async fn list_records(
        &self,
        scope: &Scope,
        query: &RecordQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ServiceRecord>>;
    async fn get_record(&self, id: RecordId) -> CoreResult<Option<ServiceRecord>>;
    /// Inserts the record with its staff, only while the order is 已受理 (checked in the
    /// transaction); `Conflict` otherwise.
    async fn create_record(
        &self,
        item: ServiceItem,
        order: OrderId,
        input: &RecordInput,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<RecordId>;
    /// Applies the changes, adds files and removes the listed ones; returns the storage keys of
    /// the removed files, to delete once committed.
    async fn update_record(
        &self,
        id: RecordId,
        input: &RecordInput,
        added: &[(String, NewAttachment)],
        removed: &[AttachmentId],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<Vec<String>>;
    /// Records in the scope with this confirmation state, counted up to `COUNT_CAP`.
    async fn count_records(&self, scope: &Scope, state: Confirmation) -> CoreResult<u64>;
    /// Moves the record's confirmation from `from` to `to` and writes the notifications about
    /// it; `Conflict` when it is no longer at `from` (someone acted meanwhile).
    async fn set_confirmation(
        &self,
        id: RecordId,
        from: Confirmation,
        to: &RecordConfirmation,
        audit: &AuditEvent,
        notices: &[crate::notify::NewNotice],
    ) -> CoreResult<()>;
    /// Deletes the record and its file rows; returns the storage keys to delete.
    async fn delete_record(&self, id: RecordId, audit: &AuditEvent) -> CoreResult<Vec<String>>;
}
