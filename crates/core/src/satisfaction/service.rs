use chrono::{DateTime, Utc};

use super::{AgencyScore, Rating, RatingForm, RatingSource, SatisfactionFilter, delivered_items};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult};
use crate::ids::{OrderId, RatingId};
use crate::order::{OrderState, ServiceOrder};
use crate::org::OrgKind;
use crate::page::{Page, PageRequest};
use crate::service_item::ServiceItem;
use crate::store::Store;
use crate::time::today;

/// Whether the actor rates `order` as its enterprise: the enterprise's own account holding
/// 确认/异议 (its signature), once the order is completed (已完成), and only once.
pub fn can_rate(actor: &Actor, order: &ServiceOrder, ratings: &[Rating]) -> bool {
    actor.org_kind == OrgKind::Enterprise
        && actor.org_id == order.enterprise_id
        && actor.has(Permission::RecordConfirm)
        && order.state == OrderState::Completed
        && !ratings.iter().any(|r| r.source == RatingSource::Enterprise)
}

/// Whether the actor records a 电话回访 on `order`: the insurer that designated it, holding
/// 指定服务机构, at any time after the agency accepted (服务中 or 已完成).
pub fn can_call(actor: &Actor, order: &ServiceOrder) -> bool {
    actor.org_kind == OrgKind::Insurer
        && actor.org_id == order.insurer_id
        && actor.has(Permission::OrderDesignate)
        && matches!(order.state, OrderState::Accepted | OrderState::Completed)
}

/// Whether the actor reads the 满意度 page: the insurers and regulators who choose and watch
/// agencies, and the platform.
pub fn may_list(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::Insurer | OrgKind::Regulator | OrgKind::Platform
    ) && actor.has(Permission::OrderView)
}

/// The ratings of an order the caller has already loaded (and so may see).
pub async fn of_order(store: &dyn Store, order: &ServiceOrder) -> CoreResult<Vec<Rating>> {
    store.ratings_of(order.id).await
}

/// The items to score on the form of `order`.
pub fn items_to_rate(order: &ServiceOrder) -> Vec<ServiceItem> {
    delivered_items(order)
}

/// 评价 (the enterprise) or 电话回访 (the insurer), by `source`.
pub async fn rate(
    store: &dyn Store,
    actor: &Actor,
    order_id: OrderId,
    source: RatingSource,
    form: &RatingForm,
    now: DateTime<Utc>,
) -> CoreResult<RatingId> {
    let order = crate::order::service::get(store, actor, order_id).await?;
    let ratings = store.ratings_of(order_id).await?;
    let allowed = match source {
        RatingSource::Enterprise => can_rate(actor, &order, &ratings),
        RatingSource::Phone => can_call(actor, &order),
    };
    if !allowed {
        // The right party at the wrong moment is told why.
        let rated = ratings.iter().any(|r| r.source == RatingSource::Enterprise);
        let own_enterprise =
            actor.org_kind == OrgKind::Enterprise && actor.org_id == order.enterprise_id;
        let own_insurer = actor.org_kind == OrgKind::Insurer && actor.org_id == order.insurer_id;
        return Err(match source {
            RatingSource::Enterprise if own_enterprise && rated => {
                CoreError::Conflict("本订单已评价,评价提交后不能修改".into())
            }
            RatingSource::Enterprise if own_enterprise && order.state != OrderState::Completed => {
                CoreError::Conflict("订单完成后才能评价".into())
            }
            RatingSource::Phone
                if own_insurer
                    && !matches!(order.state, OrderState::Accepted | OrderState::Completed) =>
            {
                CoreError::Conflict("服务机构受理后才能回访".into())
            }
            _ => CoreError::Forbidden,
        });
    }
    let rating = form.parse(&order, source, &actor.display(), now)?;
    let scores = rating
        .items
        .iter()
        .map(|s| format!("{} {} 分", s.item.label(), s.score.value()))
        .collect::<Vec<_>>()
        .join(",");
    let summary = format!(
        "{}:总体 {} 分({}){}{}",
        source.label(),
        rating.overall.value(),
        rating.overall.label(),
        if scores.is_empty() {
            String::new()
        } else {
            format!(";{scores}")
        },
        rating
            .call
            .as_ref()
            .map(|c| format!(";受访人 {}", c.callee))
            .unwrap_or_default()
    );
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Order,
        Some(order.id.0),
        &order.order_no,
        summary,
    );
    store.add_rating(&rating, actor.account_id, &audit).await
}

/// 满意度: each agency's score over the period in the actor's oversight.
pub async fn scores(
    store: &dyn Store,
    actor: &Actor,
    filter: &SatisfactionFilter,
    now: DateTime<Utc>,
) -> CoreResult<Vec<AgencyScore>> {
    if !may_list(actor) {
        return Err(CoreError::Forbidden);
    }
    let scope = crate::scope::of(store, actor).await?;
    store
        .agency_scores(&scope, &filter.query(today(now))?)
        .await
}

/// The ratings behind the scores, newest first.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &SatisfactionFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> CoreResult<Page<Rating>> {
    if !may_list(actor) {
        return Err(CoreError::Forbidden);
    }
    let scope = crate::scope::of(store, actor).await?;
    store
        .list_ratings(&scope, &filter.query(today(now))?, page)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, OrgId};

    fn actor(kind: OrgKind, org: i64, permissions: &[Permission]) -> Actor {
        Actor {
            account_id: AccountId(1),
            username: "u".into(),
            name: "n".into(),
            org_id: OrgId(org),
            org_name: "o".into(),
            org_kind: kind,
            permissions: permissions.iter().copied().collect(),
            data_scope: crate::auth::DataScope::Organization,
            is_org_admin: false,
            ip: String::new(),
        }
    }

    fn order(state: OrderState) -> ServiceOrder {
        ServiceOrder {
            id: OrderId(1),
            order_no: "O".into(),
            policy_id: crate::ids::PolicyId(1),
            policy_no: "P".into(),
            insurer_id: OrgId(2),
            insurer_name: String::new(),
            agency_id: OrgId(3),
            agency_name: String::new(),
            enterprise_id: OrgId(4),
            enterprise_name: String::new(),
            region_code: String::new(),
            state,
            service_start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            service_end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            note: String::new(),
            decline_reason: None,
            designated_at: DateTime::UNIX_EPOCH,
            designated_by: String::new(),
            accepted_at: None,
            completed_at: None,
            plan: vec![],
            assignees: vec![],
        }
    }

    #[test]
    fn the_enterprise_rates_its_completed_order_once() {
        let e = actor(OrgKind::Enterprise, 4, &[Permission::RecordConfirm]);
        assert!(can_rate(&e, &order(OrderState::Completed), &[]));
        assert!(!can_rate(&e, &order(OrderState::Accepted), &[]));
        let other = actor(OrgKind::Enterprise, 5, &[Permission::RecordConfirm]);
        assert!(!can_rate(&other, &order(OrderState::Completed), &[]));
        let viewer = actor(OrgKind::Enterprise, 4, &[Permission::OrderView]);
        assert!(!can_rate(&viewer, &order(OrderState::Completed), &[]));
    }

    #[test]
    fn the_designating_insurer_calls_once_the_order_is_accepted() {
        let i = actor(OrgKind::Insurer, 2, &[Permission::OrderDesignate]);
        assert!(can_call(&i, &order(OrderState::Accepted)));
        assert!(can_call(&i, &order(OrderState::Completed)));
        assert!(!can_call(&i, &order(OrderState::Pending)));
        assert!(!can_call(&i, &order(OrderState::Declined)));
        let other = actor(OrgKind::Insurer, 9, &[Permission::OrderDesignate]);
        assert!(!can_call(&other, &order(OrderState::Accepted)));
        let staff = actor(OrgKind::Insurer, 2, &[Permission::OrderView]);
        assert!(!can_call(&staff, &order(OrderState::Accepted)));
        let agency = actor(OrgKind::Agency, 3, &[Permission::OrderDesignate]);
        assert!(!can_call(&agency, &order(OrderState::Accepted)));
    }
}
