use anze_core::audit::{AuditEvent, AuditRecord, ObjectKind};
use anze_core::ids::{AccountId, AuditEventId, OrderId, OrgId, PolicyId};
use anze_core::notify::NewNotice;
use anze_core::order::{
    NewOrder, OrderQuery, OrderState, OrderStore, PlanItem, ServiceOrder, Transition,
    service::number_for,
};
use anze_core::page::{Page, PageRequest};
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, NotSet, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::policy::enterprises_named;
use super::{NameQuery, capped_page_of, contains, insert_audit};
use crate::entity::{audit_event, order_assignee, order_plan, policy, service_order};
use crate::{Db, db_err};

pub(crate) fn scope_condition(scope: &Scope) -> Condition {
    use service_order::Column as C;
    super::scope_condition(
        scope,
        super::ScopeColumns {
            insurer: C::InsurerId,
            agency: C::AgencyId,
            enterprise: C::EnterpriseId,
            region: C::RegionCode,
            order: C::Id,
        },
    )
}

/// `id` if that order is within the scope: the scope of the rows of one order (its records,
/// its hazards) checked once on the order. The rows carry the order's parties, so this is
/// the same rule; it keeps the database on the rows' order index instead of weighing it
/// against the much larger ranges of the party's indexes.
pub(crate) fn order_in_scope(scope: &Scope, id: OrderId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(service_order::Column::Id)
        .from(service_order::Entity)
        .and_where(service_order::Column::Id.eq(id.0))
        .cond_where(scope_condition(scope))
        .take()
}

/// The `order_tallies` key of a query that filters by nothing else (its state, if any), or
/// `None` when the tallies cannot answer it.
fn tally_keys(query: &OrderQuery) -> Option<Option<&'static str>> {
    // Every field named, so a new filter cannot be overlooked here.
    let OrderQuery {
        order_no,
        policy_no,
        enterprise,
        insurer,
        agency,
        state,
        from,
        until,
        regions,
    } = query;
    let unfiltered = order_no.is_none()
        && policy_no.is_none()
        && enterprise.is_none()
        && insurer.is_none()
        && agency.is_none()
        && from.is_none()
        && until.is_none()
        && regions.is_none();
    unfiltered.then(|| state.map(|s| s.code()))
}

fn state_of(code: &str) -> CoreResult<OrderState> {
    OrderState::from_code(code)
        .ok_or_else(|| CoreError::Internal(format!("unknown order state {code}")))
}

impl Db {
    pub(crate) async fn hydrate_orders(
        &self,
        rows: Vec<service_order::Model>,
    ) -> CoreResult<Vec<ServiceOrder>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        // Keyed by order (and item) so hydrating an export's thousand orders stays linear.
        let plans: HashMap<(i64, String), i64> = order_plan::Entity::find()
            .filter(order_plan::Column::OrderId.is_in(ids.clone()))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|p| ((p.order_id, p.item), i64::from(p.planned)))
            .collect();
        let mut assignees: HashMap<i64, Vec<i64>> = HashMap::new();
        for a in order_assignee::Entity::find()
            .filter(order_assignee::Column::OrderId.is_in(ids.clone()))
            .all(&self.conn)
            .await
            .map_err(db_err)?
        {
            assignees.entry(a.order_id).or_default().push(a.account_id);
        }
        let names = self
            .names(NameQuery {
                orgs: rows
                    .iter()
                    .flat_map(|o| [o.insurer_id, o.agency_id, o.enterprise_id])
                    .collect(),
                policies: rows.iter().map(|o| o.policy_id).collect(),
                accounts: assignees
                    .values()
                    .flatten()
                    .copied()
                    .chain(rows.iter().map(|o| o.designated_by))
                    .collect(),
                ..Default::default()
            })
            .await?;
        let done = super::record::done_counts(&self.conn, &ids).await?;
        rows.into_iter()
            .map(|o| {
                let plan = ServiceItem::ALL
                    .into_iter()
                    .map(|item| PlanItem {
                        item,
                        planned: plans
                            .get(&(o.id, item.code().to_string()))
                            .copied()
                            .unwrap_or(0),
                        done: done
                            .get(&(o.id, item.code().to_string()))
                            .map_or(0, |d| d.0),
                        confirmed: done
                            .get(&(o.id, item.code().to_string()))
                            .map_or(0, |d| d.1),
                    })
                    .collect();
                let order_assignees = names.account_refs(assignees.get(&o.id));
                Ok(ServiceOrder {
                    id: OrderId(o.id),
                    order_no: o.order_no.clone().unwrap_or_default(),
                    policy_id: PolicyId(o.policy_id),
                    policy_no: names.policy_no(o.policy_id),
                    insurer_id: OrgId(o.insurer_id),
                    insurer_name: names.org(o.insurer_id),
                    agency_id: OrgId(o.agency_id),
                    agency_name: names.org(o.agency_id),
                    enterprise_id: OrgId(o.enterprise_id),
                    enterprise_name: names.org(o.enterprise_id),
                    region_code: o.region_code,
                    state: state_of(&o.state)?,
                    service_start: o.service_start,
                    service_end: o.service_end,
                    note: o.note,
                    decline_reason: o.decline_reason,
                    designated_at: o.designated_at,
                    designated_by: names.account(o.designated_by).cloned().unwrap_or_default(),
                    accepted_at: o.accepted_at,
                    completed_at: o.completed_at,
                    plan,
                    assignees: order_assignees,
                })
            })
            .collect()
    }
}

#[async_trait]
impl OrderStore for Db {
    async fn list_orders(
        &self,
        scope: &Scope,
        query: &OrderQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ServiceOrder>> {
        use service_order::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let mut cond = scope_condition(&scope);
        if let Some(no) = &query.order_no {
            cond = cond.add(contains((service_order::Entity, C::OrderNo), no));
        }
        if let Some(no) = &query.policy_no {
            cond = cond.add(
                C::PolicyId.in_subquery(
                    Query::select()
                        .column(policy::Column::Id)
                        .from(policy::Entity)
                        .and_where(contains((policy::Entity, policy::Column::PolicyNo), no))
                        .take(),
                ),
            );
        }
        if let Some(name) = &query.enterprise {
            cond = cond.add(C::EnterpriseId.in_subquery(enterprises_named(self.backend(), name)));
        }
        if let Some(i) = query.insurer {
            cond = cond.add(C::InsurerId.eq(i.0));
        }
        if let Some(a) = query.agency {
            cond = cond.add(C::AgencyId.eq(a.0));
        }
        if let Some(r) = &query.regions {
            cond = cond.add(C::RegionCode.is_in(r.iter().cloned()));
        }
        if let Some(s) = query.state {
            cond = cond.add(C::State.eq(s.code()));
        }
        if let Some(from) = query.from {
            cond = cond.add(C::DesignatedAt.gte(from));
        }
        if let Some(until) = query.until {
            cond = cond.add(C::DesignatedAt.lt(until));
        }
        let select = service_order::Entity::find()
            .filter(cond)
            .filter(super::keyset_condition(page.after, C::Id, None))
            .order_by_desc(C::Id);
        let tallied = match tally_keys(query) {
            Some(state) => {
                self.tally_total(
                    &crate::migration::ORDER_TALLIES,
                    &scope,
                    &[("state", state)],
                )
                .await?
            }
            None => None,
        };
        let (rows, total, capped) =
            super::paginate_tallied(&self.conn, select, page, tallied).await?;
        Ok(capped_page_of(
            self.hydrate_orders(rows).await?,
            total,
            capped,
            page,
        ))
    }

    async fn count_orders(&self, scope: &Scope, state: OrderState, cap: u64) -> CoreResult<u64> {
        // As the menu's 待受理 badge (on every page), a copy of a few seconds (`crate::cache`).
        let key = format!("orders:{scope:?}:{}", state.code());
        self.badge_count(cap, key, async {
            let scope = self.simplify_scope(scope).await?;
            let tallied = self
                .tally_total(
                    &crate::migration::ORDER_TALLIES,
                    &scope,
                    &[("state", Some(state.code()))],
                )
                .await?;
            if let Some(n) = tallied {
                return Ok(Ord::min(n, cap));
            }
            let select = service_order::Entity::find()
                .filter(scope_condition(&scope))
                .filter(service_order::Column::State.eq(state.code()));
            super::count_upto(&self.conn, select, cap).await
        })
        .await
    }

    async fn get_order(&self, id: OrderId) -> CoreResult<Option<ServiceOrder>> {
        let row = service_order::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self.hydrate_orders(row.into_iter().collect()).await?.pop())
    }

    async fn orders_of_policy(&self, policy_id: PolicyId) -> CoreResult<Vec<ServiceOrder>> {
        let rows = service_order::Entity::find()
            .filter(service_order::Column::PolicyId.eq(policy_id.0))
            .order_by_desc(service_order::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_orders(rows).await
    }

    async fn create_order(
        &self,
        o: &NewOrder,
        audit: &AuditEvent,
        notices: &[NewNotice],
    ) -> CoreResult<OrderId> {
        let txn = self.write().await?;
        // Serialize designations of one policy: SQLite's write lock already does; the others
        // lock the policy row.
        if self.backend() != DbBackend::Sqlite {
            policy::Entity::find_by_id(o.policy_id.0)
                .lock_exclusive()
                .one(&txn)
                .await
                .map_err(db_err)?;
        }
        let live = service_order::Entity::find()
            .filter(service_order::Column::PolicyId.eq(o.policy_id.0))
            .filter(
                service_order::Column::State
                    .is_in([OrderState::Pending.code(), OrderState::Accepted.code()]),
            )
            .count(&txn)
            .await
            .map_err(db_err)?;
        if live > 0 {
            return Err(CoreError::Conflict("该保单已有待受理或服务中的订单".into()));
        }
        let d = &o.designation;
        let created = service_order::ActiveModel {
            id: NotSet,
            order_no: Set(None),
            policy_id: Set(o.policy_id.0),
            insurer_id: Set(o.insurer_id.0),
            agency_id: Set(d.agency_id.0),
            enterprise_id: Set(o.enterprise_id.0),
            region_code: Set(o.region_code.clone()),
            state: Set(OrderState::Pending.code().to_string()),
            service_start: Set(d.service_start),
            service_end: Set(d.service_end),
            note: Set(d.note.clone()),
            decline_reason: Set(None),
            designated_at: Set(o.designated_at),
            designated_by: Set(o.designated_by.0),
            accepted_at: Set(None),
            completed_at: Set(None),
            updated_at: Set(o.designated_at),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let id = OrderId(created.id);
        let number = number_for(o.designated_at, id);
        service_order::Entity::update_many()
            .col_expr(
                service_order::Column::OrderNo,
                Expr::value(Some(number.clone())),
            )
            .filter(service_order::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        order_plan::Entity::insert_many(d.plan.iter().map(|(item, n)| order_plan::ActiveModel {
            order_id: Set(id.0),
            item: Set(item.code().to_string()),
            planned: Set(i32::try_from(*n).unwrap_or(i32::MAX)),
        }))
        .exec(&txn)
        .await
        .map_err(db_err)?;
        let mut audit = audit.clone();
        audit.object_label = number;
        insert_audit(&txn, &audit, Some(id.0)).await?;
        super::notify::insert_notices(&txn, notices, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn transition_order(
        &self,
        id: OrderId,
        t: &Transition,
        audit: &AuditEvent,
        notices: &[NewNotice],
    ) -> CoreResult<bool> {
        use service_order::Column as C;
        let txn = self.write().await?;
        if self.backend() == DbBackend::MySql {
            // MariaDB may find the row through the state index, and two transitions of one
            // order at once then deadlocked on that index's gap (one answered 500, not 409).
            // Taking the row by its key first queues the second behind the first, which then
            // finds the state changed.
            service_order::Entity::find_by_id(id.0)
                .select_only()
                .column(C::Id)
                .lock_exclusive()
                .into_tuple::<i64>()
                .one(&txn)
                .await
                .map_err(db_err)?;
        }
        let mut update = service_order::Entity::update_many()
            .col_expr(C::State, Expr::value(t.to.code()))
            .col_expr(C::UpdatedAt, Expr::value(t.at))
            .filter(C::Id.eq(id.0))
            .filter(C::State.eq(t.from.code()));
        match t.to {
            OrderState::Accepted => {
                update = update.col_expr(C::AcceptedAt, Expr::value(Some(t.at)))
            }
            OrderState::Completed => {
                update = update.col_expr(C::CompletedAt, Expr::value(Some(t.at)))
            }
            OrderState::Declined => {
                update = update.col_expr(C::DeclineReason, Expr::value(t.reason.clone()))
            }
            _ => {}
        }
        let res = update.exec(&txn).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_audit(&txn, audit, None).await?;
        super::notify::insert_notices(&txn, notices, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn set_assignees(
        &self,
        id: OrderId,
        accounts: &[AccountId],
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        order_assignee::Entity::delete_many()
            .filter(order_assignee::Column::OrderId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if !accounts.is_empty() {
            order_assignee::Entity::insert_many(accounts.iter().map(|a| {
                order_assignee::ActiveModel {
                    order_id: Set(id.0),
                    account_id: Set(a.0),
                }
            }))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn order_timeline(&self, id: OrderId) -> CoreResult<Vec<AuditRecord>> {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::ObjectKind.eq(ObjectKind::Order.code()))
            .filter(audit_event::Column::ObjectId.eq(id.0))
            .order_by_asc(audit_event::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let orgs = self.org_map(rows.iter().filter_map(|r| r.org_id)).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                id: AuditEventId(r.id),
                at: r.at,
                org_name: r.org_id.and_then(|o| orgs.get(&o)).map(|o| o.name.clone()),
                actor_name: r.actor_name,
                action: r.action,
                object_kind: r.object_kind,
                object_id: r.object_id,
                object_label: r.object_label,
                summary: r.summary,
                ip: r.ip,
            })
            .collect())
    }
}
