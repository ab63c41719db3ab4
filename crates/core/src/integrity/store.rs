use async_trait::async_trait;

use super::{AgencyFlagRate, Flag, FlagChange, FlagKind, FlagQuery};
use crate::attachment::OwnerKind;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{FlagId, OrgId};
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

    /// The `limit` agencies in `scope` with the most records carrying a live flag, most first,
    /// each with its count of records (`agency`: only that one).
    async fn flag_rates(
        &self,
        scope: &Scope,
        agency: Option<OrgId>,
        limit: u64,
    ) -> CoreResult<Vec<AgencyFlagRate>>;

    /// The kinds of the flags not dismissed on these records (`hazards` false) or hazards, as
    /// (owner id, kind) pairs: the tags of a list page.
    async fn live_flag_kinds(
        &self,
        hazards: bool,
        owner_ids: &[i64],
    ) -> CoreResult<Vec<(i64, FlagKind)>>;
}
