use async_trait::async_trait;

use super::{Flag, FlagChange, FlagQuery};
use crate::attachment::OwnerKind;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::FlagId;
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

/// Flags are raised by the record and hazard stores, in the transaction that saves the photos
/// (the decision is `flags_for`); this trait reads them.
#[async_trait]
pub trait IntegrityStore: Send + Sync {
    /// The flags on photos of these records (or hazards), oldest first, with their other side.
    async fn flags_of(&self, owner_kind: OwnerKind, owner_ids: &[i64]) -> CoreResult<Vec<Flag>>;

    async fn get_flag(&self, id: FlagId) -> CoreResult<Option<Flag>>;

    /// Moves a flag from `change.from`, with its audit event; a `Conflict` when it is no longer
    /// in that state.
    async fn change_flag(
        &self,
        id: FlagId,
        change: &FlagChange,
        audit: &AuditEvent,
    ) -> CoreResult<()>;

    /// The flags in `scope` that match, newest first.
    async fn list_flags(
        &self,
        scope: &Scope,
        query: &FlagQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Flag>>;
}
