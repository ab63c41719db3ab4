use async_trait::async_trait;

use super::{RecordInput, RecordQuery, ServiceRecord};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, OrderId, RecordId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;
use crate::service_item::ServiceItem;

#[async_trait]
pub trait RecordStore: Send + Sync {
    async fn list_records(
        &self,
        item: ServiceItem,
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
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<RecordId>;
    async fn update_record(
        &self,
        id: RecordId,
        input: &RecordInput,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    async fn delete_record(&self, id: RecordId, audit: &AuditEvent) -> CoreResult<()>;
}
