use async_trait::async_trait;

use super::{
    Check, Checklist, ChecklistInput, ChecklistItem, ChecklistQuery, FailQuery, FailRow, ItemInput,
    Mark, Owner,
};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{CheckId, ChecklistId, RecordId};
use crate::page::{Page, PageRequest};

/// The items of a checklist an inspection takes, copied as they are now.
#[derive(Debug, Clone)]
pub struct NewChecks<'a> {
    pub record: RecordId,
    pub checklist: &'a Checklist,
    pub items: &'a [ChecklistItem],
}

#[async_trait]
pub trait ChecklistStore: Send + Sync {
    /// Matching checklists: the platform's first, then by name.
    async fn list_checklists(
        &self,
        query: &ChecklistQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Checklist>>;
    async fn get_checklist(&self, id: ChecklistId) -> CoreResult<Option<Checklist>>;
    /// Its items in order.
    async fn checklist_items(&self, id: ChecklistId) -> CoreResult<Vec<ChecklistItem>>;
    /// A `Conflict` on the name field when the owner already keeps a checklist of that name.
    async fn create_checklist(
        &self,
        owner: Owner,
        input: &ChecklistInput,
        items: &[ItemInput],
        audit: &AuditEvent,
    ) -> CoreResult<ChecklistId>;
    async fn update_checklist(
        &self,
        id: ChecklistId,
        input: &ChecklistInput,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    async fn set_checklist_active(
        &self,
        id: ChecklistId,
        active: bool,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    /// Replaces every item (an Excel import). Inspections keep their copies.
    async fn replace_checklist_items(
        &self,
        id: ChecklistId,
        items: &[ItemInput],
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    /// Deletes a checklist no inspection has used; `false` (and nothing deleted) otherwise.
    async fn delete_checklist(&self, id: ChecklistId, audit: &AuditEvent) -> CoreResult<bool>;
    /// How many inspections use it.
    async fn checklist_uses(&self, id: ChecklistId) -> CoreResult<u64>;

    /// The checks of an inspection, checklist by checklist in the order they were taken.
    async fn checks_of_record(&self, record: RecordId) -> CoreResult<Vec<Check>>;
    async fn get_check(&self, id: CheckId) -> CoreResult<Option<Check>>;
    /// Copies the items into checks of the record, with the inspected enterprise's sector;
    /// `false` when the record already uses that checklist.
    async fn add_checks(&self, new: &NewChecks<'_>, audit: &AuditEvent) -> CoreResult<bool>;
    /// Removes the record's checks of a checklist unless a hazard was registered from one
    /// (`false` then, and nothing removed).
    async fn remove_checks(
        &self,
        record: RecordId,
        checklist: ChecklistId,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
    /// Saves the marks; one whose check got its hazard meanwhile keeps 不符合.
    async fn mark_checks(&self, marks: &[Mark], audit: &AuditEvent) -> CoreResult<()>;
    /// The items that fail most, per sector: at most `limit` rows, most failures first.
    async fn fail_stats(&self, query: &FailQuery, limit: u64) -> CoreResult<Vec<FailRow>>;
}
