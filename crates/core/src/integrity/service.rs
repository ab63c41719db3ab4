use serde::Serialize;
use std::collections::HashMap;

use super::{Flag, FlagKind, MatchedView, matched_view};
use crate::attachment::{OwnerKind, OwnerRef};
use crate::auth::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ids::OrderId;
use crate::store::Store;

/// A flag as one viewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct FlagView {
    pub flag: Flag,
    /// The other photo's side of a duplicate, cut to what the viewer may know.
    pub matched: Option<MatchedView>,
}

/// Whether the actor may open `order` (and so the records under it). Only "not yours" answers
/// false; a failing database is an error.
async fn may_open(store: &dyn Store, actor: &Actor, order: OrderId) -> CoreResult<bool> {
    match crate::order::service::get(store, actor, order).await {
        Ok(_) => Ok(true),
        Err(CoreError::NotFound | CoreError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The flags on the photos of a record or hazard the caller has already loaded (and so may
/// see), each cut to what the caller may know of the other side.
pub async fn of_owner(
    store: &dyn Store,
    actor: &Actor,
    owner: OwnerRef,
) -> CoreResult<Vec<FlagView>> {
    let flags = store.flags_of(owner.kind, &[owner.id]).await?;
    let mut opens: HashMap<OrderId, bool> = HashMap::new();
    let mut out = Vec::with_capacity(flags.len());
    for flag in flags {
        let matched = match &flag.matched {
            Some(side) => {
                let in_scope = match opens.get(&side.order_id) {
                    Some(v) => *v,
                    None => {
                        let v = may_open(store, actor, side.order_id).await?;
                        opens.insert(side.order_id, v);
                        v
                    }
                };
                Some(matched_view(actor, side, in_scope))
            }
            None => None,
        };
        out.push(FlagView { flag, matched });
    }
    Ok(out)
}

/// The kinds of live flags on each of these records (or hazards), for the tags of a list page
/// whose rows the caller already loaded.
pub async fn tags_of(
    store: &dyn Store,
    owner_kind: OwnerKind,
    owner_ids: &[i64],
) -> CoreResult<HashMap<i64, Vec<FlagKind>>> {
    let mut tags: HashMap<i64, Vec<FlagKind>> = HashMap::new();
    for f in store.flags_of(owner_kind, owner_ids).await? {
        if f.state.is_live() {
            let kinds = tags.entry(f.owner.id).or_default();
            if !kinds.contains(&f.kind) {
                kinds.push(f.kind);
            }
        }
    }
    for kinds in tags.values_mut() {
        kinds.sort_by_key(|k| FlagKind::ALL.iter().position(|a| a == k));
    }
    Ok(tags)
}
