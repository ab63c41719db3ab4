use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::{OrderReport, ReportHazard, ReportRecord};
use crate::attachment::{Attachment, OwnerKind};
use crate::auth::{Actor, Permission};
use crate::error::CoreResult;
use crate::hazard::{Hazard, HazardQuery};
use crate::ids::OrderId;
use crate::order::ServiceOrder;
use crate::order::service::OrderContext;
use crate::page::all_pages;
use crate::record::{RecordQuery, SIGNATURE, ServiceRecord, owner_kind, spec_of};
use crate::scope::{self, Scope};
use crate::service_item::ServiceItem;
use crate::store::Store;
use crate::time::today;

/// Rows read per list call while gathering an order's records and hazards.
const BATCH: u64 = 500;

/// The 服务报告 of an order. Whoever may see the order may see its report (a foreign or unknown
/// order is `NotFound`); its records and hazards are included as the reader's permissions allow.
pub async fn order_report(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    now: DateTime<Utc>,
) -> CoreResult<OrderReport> {
    let OrderContext {
        order,
        policy,
        enterprise,
    } = crate::order::service::context(store, actor, id).await?;
    let scope = scope::of(store, actor).await?;
    let today = today(now);
    let records = if actor.has(Permission::RecordView) {
        Some(records_of(store, &scope, &order).await?)
    } else {
        None
    };
    let hazards = if actor.has(Permission::HazardView) {
        Some(hazards_of(store, &scope, &order, today).await?)
    } else {
        None
    };
    let ratings = crate::satisfaction::service::of_order(store, &order).await?;
    let complaints = if actor.has(Permission::ComplaintView) {
        let filter = &crate::complaint::ComplaintFilter {
            order: order.id.to_string(),
            ..Default::default()
        };
        Some(
            all_pages(BATCH, |page| async move {
                Ok(
                    crate::complaint::service::list(store, actor, filter, page, now)
                        .await?
                        .page,
                )
            })
            .await?,
        )
    } else {
        None
    };
    Ok(OrderReport {
        order,
        policy,
        enterprise,
        records,
        hazards,
        ratings,
        complaints,
        today,
    })
}

async fn records_of(
    store: &dyn Store,
    scope: &Scope,
    order: &ServiceOrder,
) -> CoreResult<Vec<ReportRecord>> {
    let query = RecordQuery {
        order: Some(order.id),
        ..RecordQuery::default()
    };
    let mut records: Vec<ServiceRecord> =
        all_pages(BATCH, |page| store.list_records(scope, &query, page)).await?;
    records.sort_by_key(|r| (r.item, r.service_date, r.id.0));
    // One query per service item for the files: they are filed by the item's owner kind.
    let mut ids: BTreeMap<ServiceItem, Vec<i64>> = BTreeMap::new();
    for r in &records {
        ids.entry(r.item).or_default().push(r.id.0);
    }
    let mut files: Vec<Attachment> = Vec::new();
    for (item, ids) in ids {
        files.extend(store.attachments_of(owner_kind(item), &ids).await?);
    }
    Ok(records
        .into_iter()
        .map(|record| {
            let kind = owner_kind(record.item);
            let photos = files
                .iter()
                .filter(|a| a.owner.kind == kind && a.owner.id == record.id.0)
                .filter(|a| a.is_image() && a.field != SIGNATURE.field)
                .cloned()
                .collect();
            let details = spec_of(record.item)
                .map(|spec| spec.describe(&record.details))
                .unwrap_or_default();
            ReportRecord {
                record,
                details,
                photos,
            }
        })
        .collect())
}

async fn hazards_of(
    store: &dyn Store,
    scope: &Scope,
    order: &ServiceOrder,
    today: chrono::NaiveDate,
) -> CoreResult<Vec<ReportHazard>> {
    let query = HazardQuery {
        order: Some(order.id),
        today: Some(today),
        with_steps: true,
        ..HazardQuery::default()
    };
    let mut hazards: Vec<Hazard> =
        all_pages(BATCH, |page| store.list_hazards(scope, &query, page)).await?;
    hazards.sort_by_key(|h| (h.found_on, h.id.0));
    let ids: Vec<i64> = hazards.iter().map(|h| h.id.0).collect();
    let files = store.attachments_of(OwnerKind::Hazard, &ids).await?;
    Ok(hazards
        .into_iter()
        .map(|hazard| {
            let (before, after) = hazard.photos(&files);
            ReportHazard {
                overdue: hazard.overdue(today),
                hazard,
                before,
                after,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hazard::{HazardLevel, HazardState};
    use crate::ids::{AccountId, HazardId, OrgId, RecordId};
    use crate::report::HazardTally;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn hazard(id: i64, state: HazardState, level: HazardLevel) -> Hazard {
        Hazard {
            id: HazardId(id),
            hazard_no: format!("YH-{id}"),
            inspection_id: RecordId(1),
            order_id: OrderId(1),
            order_no: "DD1".into(),
            agency_id: OrgId(2),
            agency_name: "服务机构".into(),
            insurer_id: OrgId(3),
            insurer_name: "保险公司".into(),
            enterprise_id: OrgId(4),
            enterprise_name: "企业".into(),
            region_code: "350502".into(),
            found_on: day(1),
            description: "配电箱未接地".into(),
            location: "车间".into(),
            category: "electric".into(),
            level,
            basis: String::new(),
            suggestion: String::new(),
            deadline: day(10),
            responsible: String::new(),
            state,
            round: 2,
            closed_at: None,
            created_by: AccountId(1),
            created_at: DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            steps: vec![],
        }
    }

    #[test]
    fn the_tally_counts_found_closed_open_and_overdue() {
        let report = |state, level, overdue| ReportHazard {
            hazard: hazard(1, state, level),
            overdue,
            before: vec![],
            after: vec![],
        };
        let t = HazardTally::of(&[
            report(HazardState::Closed, HazardLevel::General, false),
            report(HazardState::PendingReview, HazardLevel::Major, false),
            report(
                HazardState::PendingRectification,
                HazardLevel::General,
                true,
            ),
        ]);
        assert_eq!(
            t,
            HazardTally {
                found: 3,
                closed: 1,
                open: 2,
                overdue: 1,
                major: 1
            }
        );
        assert_eq!(t.rate(), "33%");
        assert_eq!(HazardTally::default().rate(), "—");
    }
}
