//! Whose business data an actor sees. Every list and every load of policies, orders and records
//! goes through one `Scope`, so the rule lives in one place.

use serde::Serialize;

use crate::auth::{Actor, DataScope};
use crate::error::CoreResult;
use crate::ids::{AccountId, OrgId};
use crate::org::OrgKind;
use crate::region;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Scope {
    /// The platform operator.
    All,
    /// An insurer: its own policies and the orders it designated.
    Insurer(OrgId),
    /// An agency: orders designated to it; staff with 仅本人负责 only those assigned to them.
    Agency {
        org: OrgId,
        assignee: Option<AccountId>,
    },
    /// A regulator: everything whose enterprise lies in these regions.
    Regions(Vec<String>),
    /// An insured enterprise: its own policies and orders.
    Enterprise(OrgId),
}

pub async fn of(store: &dyn Store, actor: &Actor) -> CoreResult<Scope> {
    Ok(match actor.org_kind {
        OrgKind::Platform => Scope::All,
        OrgKind::Insurer => Scope::Insurer(actor.org_id),
        OrgKind::Agency => Scope::Agency {
            org: actor.org_id,
            assignee: (actor.data_scope == DataScope::Own).then_some(actor.account_id),
        },
        OrgKind::Enterprise => Scope::Enterprise(actor.org_id),
        OrgKind::Regulator => {
            let org = store
                .get_org(actor.org_id)
                .await?
                .ok_or(crate::CoreError::NotFound)?;
            let all = store.list_regions().await?;
            Scope::Regions(region::covered(&all, &org.region_code))
        }
    })
}
