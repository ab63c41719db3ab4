use async_trait::async_trait;

use super::Flag;
use crate::attachment::OwnerKind;
use crate::error::CoreResult;

/// Flags are raised by the record and hazard stores, in the transaction that saves the photos
/// (the decision is `flags_for`); this trait reads them.
#[async_trait]
pub trait IntegrityStore: Send + Sync {
    /// The flags on photos of these records (or hazards), oldest first, with their other side.
    async fn flags_of(&self, owner_kind: OwnerKind, owner_ids: &[i64]) -> CoreResult<Vec<Flag>>;
}
