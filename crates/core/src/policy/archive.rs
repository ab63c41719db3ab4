//! 服务档案: everything a policy's prevention service produced, for the insurer and the regulator
//! to keep (AQ 9010: five years; docs/retention.md): each order with its records and hazards,
//! and every original evidence file, named so the archive reads without the system.

use chrono::{DateTime, Utc};

use super::Policy;
use crate::attachment::{Attachment, OwnerKind};
use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult};
use crate::hazard::{Hazard, HazardQuery};
use crate::ids::PolicyId;
use crate::order::ServiceOrder;
use crate::org::OrgKind;
use crate::page::all_pages;
use crate::record::{RecordQuery, ServiceRecord};
use crate::scope::Scope;
use crate::store::Store;

/// Rows read per list call while collecting an archive.
const BATCH: u64 = 500;

/// One policy's service, as archived.
#[derive(Debug, Clone)]
pub struct PolicyArchive {
    pub policy: Policy,
    pub orders: Vec<OrderArchive>,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
}

#[derive(Debug, Clone)]
pub struct OrderArchive {
    pub order: ServiceOrder,
    pub records: Vec<(ServiceRecord, Vec<Attachment>)>,
    pub hazards: Vec<(Hazard, Vec<Attachment>)>,
}

/// Whether the actor downloads a policy's archive: the insurer of the policy and the regulators
/// of its region (which `get` checks), and the platform, who keep the service's file. Not the
/// agency, whose own records are what is archived, nor the enterprise.
pub fn may_archive(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::Insurer | OrgKind::Regulator | OrgKind::Platform
    ) && actor.has(Permission::PolicyView)
        && actor.has(Permission::RecordView)
}

/// Collects the archive of a policy the actor may see.
pub async fn collect(
    store: &dyn Store,
    actor: &Actor,
    id: PolicyId,
    now: DateTime<Utc>,
) -> CoreResult<PolicyArchive> {
    if !may_archive(actor) {
        return Err(CoreError::Forbidden);
    }
    let policy = super::service::get(store, actor, id).await?;
    let mut orders = Vec::new();
    for order in store.orders_of_policy(policy.id).await? {
        // The policy is in the actor's scope, and so is everything done under it.
        let records_of = &RecordQuery {
            order: Some(order.id),
            ..RecordQuery::default()
        };
        let records = all_pages(BATCH, |page| {
            store.list_records(&Scope::All, records_of, page)
        })
        .await?;
        let hazards_of = &HazardQuery {
            order: Some(order.id),
            ..HazardQuery::default()
        };
        let hazards = all_pages(BATCH, |page| {
            store.list_hazards(&Scope::All, hazards_of, page)
        })
        .await?;
        let mut with_files = Vec::with_capacity(records.len());
        for r in records {
            let files = store
                .attachments_of(crate::record::owner_kind(r.item), &[r.id.0])
                .await?;
            with_files.push((r, files));
        }
        let ids: Vec<i64> = hazards.iter().map(|h| h.id.0).collect();
        let mut files = store.attachments_of(OwnerKind::Hazard, &ids).await?;
        let hazards = hazards
            .into_iter()
            .map(|h| {
                let (mine, rest): (Vec<Attachment>, Vec<Attachment>) =
                    files.drain(..).partition(|a| a.owner.id == h.id.0);
                files = rest;
                (h, mine)
            })
            .collect();
        orders.push(OrderArchive {
            order,
            records: with_files,
            hazards,
        });
    }
    Ok(PolicyArchive {
        policy,
        orders,
        made_at: now,
        made_by: actor.display(),
    })
}

/// A file name safe in every archive tool and file system: no separators, no control
/// characters, no leading dots, at most 80 characters; Chinese is kept.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    let short: String = trimmed.chars().take(80).collect();
    if short.is_empty() {
        "file".into()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_climb_out_of_their_folder() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("现场照片 1.jpg"), "现场照片 1.jpg");
        assert_eq!(safe_name("a\\b:c\u{0}.pdf"), "a_b_c_.pdf");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name(&"长".repeat(100)).chars().count(), 80);
    }
}
