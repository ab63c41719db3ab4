//! 看板 facts: recounted a month at a time from the base tables, read back as sums.
//!
//! A recount runs its grouped counts on a reader connection and then replaces the month's
//! rows in one short write transaction, so a dashboard never sees half a month and SQLite's
//! writer is held only for the inserts.

use anze_core::dashboard::{
    Coverage, DashboardStore, DueHazard, EndingOrder, FactCell, Period, ServiceFacts, StaffFacts,
};
use anze_core::field::{Money, Ratio};
use anze_core::hazard::{HazardLevel, HazardState};
use anze_core::ids::{AccountId, HazardId, OrderId, OrgId};
use anze_core::integrity::FlagState;
use anze_core::order::OrderState;
use anze_core::record::Confirmation;
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use anze_core::time::start_of_day;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QueryResult, QuerySelect, Set,
};
use std::collections::HashMap;

use crate::entity::{
    account, complaint, dashboard_coverage, dashboard_fact, dashboard_refresh, dashboard_staff,
    hazard, integrity_flag, order_assignee, order_plan, organization, policy, satisfaction_rating,
    service_order, service_record,
};
use crate::{Db, db_err};

/// (region, agency, insurer)
type Key = (String, i64, i64);

/// Boards' facts in memory, per scope and period, each with the recount stamps it was read at.
/// A few dozen entries: the parties' boards for the periods people open.
#[derive(Debug, Clone, Default)]
pub(crate) struct DashboardCache(std::sync::Arc<std::sync::Mutex<HashMap<String, CachedFacts>>>);

type CachedFacts = (String, std::sync::Arc<Vec<FactCell>>);

/// Entries kept; past it the cache starts over (the next views recount their sums).
const CACHE_ENTRIES: usize = 256;

impl DashboardCache {
    fn get(&self, key: &str, stamp: &str) -> Option<std::sync::Arc<Vec<FactCell>>> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(s, _)| s == stamp)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: String, stamp: String, facts: std::sync::Arc<Vec<FactCell>>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHE_ENTRIES {
                map.clear();
            }
            map.insert(key, (stamp, facts));
        }
    }
}

/// Orders read per page, and pages at most, while looking for orders ending with items missing.
/// The first page holds just a few more than the list shows: most orders near their end still
/// miss items, so one short page usually fills the list (a page's plans and record counts are
/// read too, and cost more than the orders).
const ENDING_FIRST_PAGE_EXTRA: u64 = 5;
const ENDING_PAGE: u64 = 100;
const ENDING_PAGES: usize = 10;

/// Rows per insert statement: 24 columns stay well below every backend's placeholder limit.
const INSERT_CHUNK: usize = 400;

fn get_i64(row: &QueryResult, col: &str) -> CoreResult<i64> {
    row.try_get::<i64>("", col).map_err(db_err)
}

fn get_u64(row: &QueryResult, col: &str) -> CoreResult<u64> {
    Ok(u64::try_from(get_i64(row, col)?).unwrap_or(0))
}

fn get_str(row: &QueryResult, col: &str) -> CoreResult<String> {
    row.try_get::<String>("", col).map_err(db_err)
}

fn key_of(row: &QueryResult) -> CoreResult<Key> {
    Ok((
        get_str(row, "region_code")?,
        get_i64(row, "agency_id")?,
        get_i64(row, "insurer_id")?,
    ))
}

/// `SUM(col)` read back as a 64-bit integer.
fn sum(backend: DatabaseBackend, table: &str, col: &str) -> SimpleExpr {
    Expr::cust(super::as_i64(
        backend,
        &format!("COALESCE(SUM({table}.{col}), 0)"),
    ))
}

fn count() -> SimpleExpr {
    Expr::cust("COUNT(*)")
}

/// The (region, agency, insurer) columns of `table`, selected and grouped by.
fn by_key(q: &mut SelectStatement, table: &str) {
    for c in ["region_code", "agency_id", "insurer_id"] {
        q.column((Alias::new(table), Alias::new(c)));
        q.add_group_by([Expr::col((Alias::new(table), Alias::new(c)))]);
    }
}

/// Rows the recount reads for one month: the conditions on each table's date.
struct MonthBounds {
    first: NaiveDate,
    next: NaiveDate,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
}

impl MonthBounds {
    fn of(month: NaiveDate) -> Self {
        let next = month + Months::new(1);
        MonthBounds {
            first: month,
            next,
            since: start_of_day(month),
            before: start_of_day(next),
        }
    }
}

impl Db {
    async fn rows(&self, q: &SelectStatement) -> CoreResult<Vec<QueryResult>> {
        self.conn.query_all(q).await.map_err(db_err)
    }

    /// Counts `month` into facts per key.
    async fn count_facts(
        &self,
        b: &MonthBounds,
        today: NaiveDate,
    ) -> CoreResult<HashMap<Key, ServiceFacts>> {
        let backend = self.conn.get_database_backend();
        let mut facts: HashMap<Key, ServiceFacts> = HashMap::new();

        // Orders designated in the month, by state now.
        {
            use service_order::Column as O;
            let mut q = Query::select();
            q.from(service_order::Entity)
                .column(O::State)
                .expr_as(count(), "n")
                .and_where(O::DesignatedAt.gte(b.since))
                .and_where(O::DesignatedAt.lt(b.before))
                .group_by_col(O::State);
            by_key(&mut q, "service_orders");
            for row in self.rows(&q).await? {
                let state = OrderState::from_code(&get_str(&row, "state")?);
                if let Some(i) = state.and_then(|s| OrderState::ALL.iter().position(|x| *x == s)) {
                    facts.entry(key_of(&row)?).or_default().orders[i] += get_u64(&row, "n")?;
                }
            }
        }

        let delivering = [OrderState::Accepted.code(), OrderState::Completed.code()];
        // Delivery against plan, for orders whose service period ends in the month: each
        // planned item's records count up to the planned number.
        {
            use order_plan::Column as P;
            use service_order::Column as O;
            use service_record::Column as R;
            let mut q = Query::select();
            q.from(order_plan::Entity)
                .inner_join(
                    service_order::Entity,
                    Expr::col((service_order::Entity, O::Id))
                        .equals((order_plan::Entity, P::OrderId)),
                )
                .join(
                    JoinType::LeftJoin,
                    service_record::Entity,
                    Condition::all()
                        .add(
                            Expr::col((service_record::Entity, R::OrderId))
                                .equals((order_plan::Entity, P::OrderId)),
                        )
                        .add(
                            Expr::col((service_record::Entity, R::Item))
                                .equals((order_plan::Entity, P::Item)),
                        ),
                )
                .column((order_plan::Entity, P::Planned))
                .expr_as(Expr::cust("COUNT(service_records.id)"), "n")
                .and_where(Expr::col((service_order::Entity, O::ServiceEnd)).gte(b.first))
                .and_where(Expr::col((service_order::Entity, O::ServiceEnd)).lt(b.next))
                .and_where(Expr::col((service_order::Entity, O::State)).is_in(delivering))
                .add_group_by([
                    Expr::col((order_plan::Entity, P::OrderId)),
                    Expr::col((order_plan::Entity, P::Item)),
                    Expr::col((order_plan::Entity, P::Planned)),
                ]);
            by_key(&mut q, "service_orders");
            for row in self.rows(&q).await? {
                let planned =
                    u64::try_from(row.try_get::<i32>("", "planned").map_err(db_err)?).unwrap_or(0);
                let f = facts.entry(key_of(&row)?).or_default();
                f.items_planned += planned;
                f.items_delivered += std::cmp::min(get_u64(&row, "n")?, planned);
            }
        }
        // 事故预防费用 of the same orders, computed per policy as the policy page shows it.
        {
            use policy::Column as Pol;
            use service_order::Column as O;
            let mut q = Query::select();
            q.from(service_order::Entity)
                .inner_join(
                    policy::Entity,
                    Expr::col((policy::Entity, Pol::Id))
                        .equals((service_order::Entity, O::PolicyId)),
                )
                .columns([
                    (service_order::Entity, O::RegionCode),
                    (service_order::Entity, O::AgencyId),
                    (service_order::Entity, O::InsurerId),
                ])
                .column((policy::Entity, Pol::Premium))
                .column((policy::Entity, Pol::PreventionRatio))
                .and_where(Expr::col((service_order::Entity, O::ServiceEnd)).gte(b.first))
                .and_where(Expr::col((service_order::Entity, O::ServiceEnd)).lt(b.next))
                .and_where(Expr::col((service_order::Entity, O::State)).is_in(delivering));
            for row in self.rows(&q).await? {
                let premium = Money::from_cents(get_i64(&row, "premium")?);
                let ratio: i32 = row.try_get("", "prevention_ratio").map_err(db_err)?;
                let fee = Ratio::from_basis_points(ratio).apply(premium).cents();
                facts.entry(key_of(&row)?).or_default().prevention_fee += fee;
            }
        }

        // Records dated in the month, by confirmation; the item list lets the (item, date)
        // index serve the range.
        {
            use service_record::Column as R;
            let items: Vec<&str> = ServiceItem::ALL.iter().map(|i| i.code()).collect();
            let mut q = Query::select();
            q.from(service_record::Entity)
                .column(R::Confirmation)
                .expr_as(count(), "n")
                .expr_as(
                    Expr::cust("COUNT(CASE WHEN objection_answered THEN NULL ELSE 1 END)"),
                    "unanswered",
                )
                .and_where(R::Item.is_in(items))
                .and_where(R::ServiceDate.gte(b.first))
                .and_where(R::ServiceDate.lt(b.next))
                .group_by_col(R::Confirmation);
            by_key(&mut q, "service_records");
            for row in self.rows(&q).await? {
                let f = facts.entry(key_of(&row)?).or_default();
                let n = get_u64(&row, "n")?;
                f.records += n;
                match Confirmation::from_code(&get_str(&row, "confirmation")?) {
                    Some(Confirmation::Confirmed) => f.records_confirmed += n,
                    Some(Confirmation::Objected) => {
                        f.records_objected += n;
                        f.objections_open += get_u64(&row, "unanswered")?;
                    }
                    _ => {}
                }
            }
        }

        // Hazards found in the month: by level, and those open past their deadline today.
        {
            use hazard::Column as H;
            let closed = HazardState::Closed.code();
            let mut q = Query::select();
            q.from(hazard::Entity)
                .column(H::Level)
                .expr_as(count(), "n")
                .expr_as(
                    Func::count(Expr::case(
                        Condition::all()
                            .add(H::State.ne(closed))
                            .add(H::Deadline.lt(today)),
                        Expr::val(1),
                    )),
                    "overdue",
                )
                .and_where(H::FoundOn.gte(b.first))
                .and_where(H::FoundOn.lt(b.next))
                .group_by_col(H::Level);
            by_key(&mut q, "hazards");
            for row in self.rows(&q).await? {
                let f = facts.entry(key_of(&row)?).or_default();
                let n = get_u64(&row, "n")?;
                f.hazards_found += n;
                if HazardLevel::from_code(&get_str(&row, "level")?) == Some(HazardLevel::Major) {
                    f.hazards_major += n;
                }
                f.hazards_overdue += get_u64(&row, "overdue")?;
            }
            let mut q = Query::select();
            q.from(hazard::Entity)
                .expr_as(count(), "n")
                .and_where(H::ClosedAt.gte(b.since))
                .and_where(H::ClosedAt.lt(b.before));
            by_key(&mut q, "hazards");
            for row in self.rows(&q).await? {
                facts.entry(key_of(&row)?).or_default().hazards_closed += get_u64(&row, "n")?;
            }
        }

        // Ratings, complaints and live integrity flags of the month.
        {
            use satisfaction_rating::Column as S;
            let mut q = Query::select();
            q.from(satisfaction_rating::Entity)
                .expr_as(count(), "n")
                .expr_as(sum(backend, "satisfaction_ratings", "overall"), "total")
                .and_where(S::CreatedAt.gte(b.since))
                .and_where(S::CreatedAt.lt(b.before));
            by_key(&mut q, "satisfaction_ratings");
            for row in self.rows(&q).await? {
                let f = facts.entry(key_of(&row)?).or_default();
                f.ratings += get_u64(&row, "n")?;
                f.rating_sum += get_u64(&row, "total")?;
            }
            use complaint::Column as C;
            let mut q = Query::select();
            q.from(complaint::Entity)
                .expr_as(count(), "n")
                .and_where(C::FiledOn.gte(b.first))
                .and_where(C::FiledOn.lt(b.next));
            by_key(&mut q, "complaints");
            for row in self.rows(&q).await? {
                facts.entry(key_of(&row)?).or_default().complaints += get_u64(&row, "n")?;
            }
            use integrity_flag::Column as F;
            let mut q = Query::select();
            q.from(integrity_flag::Entity)
                .expr_as(count(), "n")
                .and_where(F::CreatedAt.gte(b.since))
                .and_where(F::CreatedAt.lt(b.before))
                .and_where(F::State.ne(FlagState::Dismissed.code()));
            by_key(&mut q, "integrity_flags");
            for row in self.rows(&q).await? {
                facts.entry(key_of(&row)?).or_default().flags += get_u64(&row, "n")?;
            }
        }
        Ok(facts)
    }

    /// Policies in force on `on` per (region, enterprise industry).
    async fn count_coverage(
        &self,
        on: NaiveDate,
    ) -> CoreResult<HashMap<(String, String), Coverage>> {
        use policy::Column as Pol;
        let base = |q: &mut SelectStatement| {
            q.from(policy::Entity)
                .inner_join(
                    organization::Entity,
                    Expr::col((organization::Entity, organization::Column::Id))
                        .equals((policy::Entity, Pol::EnterpriseId)),
                )
                .column((policy::Entity, Pol::RegionCode))
                .expr_as(
                    Expr::cust("COALESCE(organizations.industry_code, '')"),
                    "industry",
                )
                .and_where(Expr::col((policy::Entity, Pol::StartDate)).lte(on))
                .and_where(Expr::col((policy::Entity, Pol::EndDate)).gte(on))
                .add_group_by([
                    Expr::col((policy::Entity, Pol::RegionCode)),
                    Expr::cust("COALESCE(organizations.industry_code, '')"),
                ]);
        };
        let mut out: HashMap<(String, String), Coverage> = HashMap::new();
        let mut q = Query::select();
        base(&mut q);
        q.expr_as(count(), "n").expr_as(
            Expr::cust("COUNT(DISTINCT policies.enterprise_id)"),
            "enterprises",
        );
        for row in self.rows(&q).await? {
            let c = out
                .entry((get_str(&row, "region_code")?, get_str(&row, "industry")?))
                .or_default();
            c.policies += get_u64(&row, "n")?;
            c.enterprises += get_u64(&row, "enterprises")?;
        }
        let mut q = Query::select();
        base(&mut q);
        q.expr_as(count(), "n").and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(service_order::Entity)
                .and_where(
                    Expr::col((service_order::Entity, service_order::Column::PolicyId))
                        .equals((policy::Entity, Pol::Id)),
                )
                .and_where(
                    Expr::col((service_order::Entity, service_order::Column::State))
                        .is_in([OrderState::Accepted.code(), OrderState::Completed.code()]),
                )
                .take(),
        ));
        for row in self.rows(&q).await? {
            out.entry((get_str(&row, "region_code")?, get_str(&row, "industry")?))
                .or_default()
                .covered += get_u64(&row, "n")?;
        }
        Ok(out)
    }

    /// Records each account took part in and hazards each entered, per agency.
    async fn count_staff(&self, b: &MonthBounds) -> CoreResult<HashMap<(i64, i64), StaffFacts>> {
        use crate::entity::record_staff::Column as RS;
        use service_record::Column as R;
        let items: Vec<&str> = ServiceItem::ALL.iter().map(|i| i.code()).collect();
        let mut out: HashMap<(i64, i64), StaffFacts> = HashMap::new();
        let mut q = Query::select();
        q.from(crate::entity::record_staff::Entity)
            .inner_join(
                service_record::Entity,
                Expr::col((service_record::Entity, R::Id))
                    .equals((crate::entity::record_staff::Entity, RS::RecordId)),
            )
            .column((service_record::Entity, R::AgencyId))
            .column((crate::entity::record_staff::Entity, RS::AccountId))
            .expr_as(count(), "n")
            .and_where(Expr::col((service_record::Entity, R::Item)).is_in(items))
            .and_where(Expr::col((service_record::Entity, R::ServiceDate)).gte(b.first))
            .and_where(Expr::col((service_record::Entity, R::ServiceDate)).lt(b.next))
            .add_group_by([
                Expr::col((service_record::Entity, R::AgencyId)),
                Expr::col((crate::entity::record_staff::Entity, RS::AccountId)),
            ]);
        for row in self.rows(&q).await? {
            out.entry((get_i64(&row, "agency_id")?, get_i64(&row, "account_id")?))
                .or_default()
                .records += get_u64(&row, "n")?;
        }
        use hazard::Column as H;
        let mut q = Query::select();
        q.from(hazard::Entity)
            .column(H::AgencyId)
            .column(H::CreatedBy)
            .expr_as(count(), "n")
            .and_where(H::FoundOn.gte(b.first))
            .and_where(H::FoundOn.lt(b.next))
            .group_by_col(H::AgencyId)
            .group_by_col(H::CreatedBy);
        for row in self.rows(&q).await? {
            out.entry((get_i64(&row, "agency_id")?, get_i64(&row, "created_by")?))
                .or_default()
                .hazards += get_u64(&row, "n")?;
        }
        Ok(out)
    }

    /// Of these orders, those with fewer items delivered than their plan, with the counts.
    async fn undelivered(&self, orders: Vec<service_order::Model>) -> CoreResult<Vec<EndingOrder>> {
        use order_plan::Column as P;
        use service_record::Column as R;
        if orders.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let plans = order_plan::Entity::find()
            .filter(P::OrderId.is_in(ids.iter().copied()))
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let mut q = Query::select();
        q.from(service_record::Entity)
            .columns([R::OrderId, R::Item])
            .expr_as(count(), "n")
            .and_where(R::OrderId.is_in(ids.iter().copied()))
            .group_by_col(R::OrderId)
            .group_by_col(R::Item);
        let mut done: HashMap<(i64, String), u64> = HashMap::new();
        for row in self.rows(&q).await? {
            done.insert(
                (get_i64(&row, "order_id")?, get_str(&row, "item")?),
                get_u64(&row, "n")?,
            );
        }
        let mut progress: HashMap<i64, (u64, u64)> = HashMap::new();
        for p in plans {
            let planned = u64::try_from(p.planned).unwrap_or(0);
            let d = done.get(&(p.order_id, p.item)).copied().unwrap_or(0);
            let e = progress.entry(p.order_id).or_default();
            e.0 += planned;
            e.1 += std::cmp::min(d, planned);
        }
        let names = self
            .org_names(orders.iter().map(|o| o.enterprise_id))
            .await?;
        Ok(orders
            .into_iter()
            .filter_map(|o| {
                let (planned, delivered) = progress.get(&o.id).copied().unwrap_or((0, 0));
                (delivered < planned).then(|| EndingOrder {
                    id: OrderId(o.id),
                    order_no: o.order_no.clone().unwrap_or_default(),
                    enterprise_name: names.get(&o.enterprise_id).cloned().unwrap_or_default(),
                    service_end: o.service_end,
                    planned,
                    delivered,
                })
            })
            .collect())
    }

    /// Organizations' names by id, for the rows of a near-deadline list.
    async fn org_names(&self, ids: impl Iterator<Item = i64>) -> CoreResult<HashMap<i64, String>> {
        Ok(organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    }

    /// The condition that keeps a facts row in `scope`.
    fn facts_scope(scope: &Scope) -> CoreResult<Condition> {
        use dashboard_fact::Column as F;
        Ok(match scope {
            Scope::All => Condition::all(),
            Scope::Insurer(o) => Condition::all().add(F::InsurerId.eq(o.0)),
            Scope::Agency { org, .. } => Condition::all().add(F::AgencyId.eq(org.0)),
            Scope::Regions(r) => Condition::all().add(F::RegionCode.is_in(r.iter().cloned())),
            Scope::Enterprise(_) => return Err(CoreError::Forbidden),
        })
    }
}

/// A stored column and the field it holds.
type FactColumn = (&'static str, fn(&mut ServiceFacts) -> &mut u64);

const FACT_COLUMNS: [FactColumn; 19] = [
    ("orders_pending", |f| &mut f.orders[0]),
    ("orders_accepted", |f| &mut f.orders[1]),
    ("orders_declined", |f| &mut f.orders[2]),
    ("orders_cancelled", |f| &mut f.orders[3]),
    ("orders_completed", |f| &mut f.orders[4]),
    ("items_planned", |f| &mut f.items_planned),
    ("items_delivered", |f| &mut f.items_delivered),
    ("records", |f| &mut f.records),
    ("records_confirmed", |f| &mut f.records_confirmed),
    ("records_objected", |f| &mut f.records_objected),
    ("objections_open", |f| &mut f.objections_open),
    ("hazards_found", |f| &mut f.hazards_found),
    ("hazards_major", |f| &mut f.hazards_major),
    ("hazards_overdue", |f| &mut f.hazards_overdue),
    ("hazards_closed", |f| &mut f.hazards_closed),
    ("ratings", |f| &mut f.ratings),
    ("rating_sum", |f| &mut f.rating_sum),
    ("complaints", |f| &mut f.complaints),
    ("flags", |f| &mut f.flags),
];

/// Inserts rows a few hundred per statement.
async fn insert_chunked<A>(txn: &sea_orm::DatabaseTransaction, rows: Vec<A>) -> CoreResult<()>
where
    A: sea_orm::ActiveModelTrait + Send + Sync + Clone,
{
    for chunk in rows.chunks(INSERT_CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .exec(txn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

fn stored(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl DashboardStore for Db {
    async fn facts(&self, scope: &Scope, period: Period) -> CoreResult<Vec<FactCell>> {
        use dashboard_fact::Column as F;
        let scope = self.simplify_scope(scope).await?;
        // The facts change only when a month is recounted: the recounts' stamps, read from the
        // database, say whether the sums in memory are still those of the stored rows (on
        // every instance, whichever recounted).
        let stamp = {
            use dashboard_refresh::Column as R;
            let rows: Vec<(NaiveDate, DateTime<Utc>)> = dashboard_refresh::Entity::find()
                .select_only()
                .column(R::Month)
                .column(R::RefreshedAt)
                .filter(R::Month.gte(period.first))
                .filter(R::Month.lte(period.last))
                .into_tuple()
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            format!("{rows:?}")
        };
        let key = format!("{scope:?}|{period:?}");
        if let Some(hit) = self.dashboard_cache.get(&key, &stamp) {
            return Ok(hit.as_ref().clone());
        }
        let backend = self.conn.get_database_backend();
        let mut q = Query::select();
        q.from(dashboard_fact::Entity)
            .columns([F::Month, F::RegionCode, F::AgencyId])
            .cond_where(Self::facts_scope(&scope)?)
            .and_where(F::Month.gte(period.first))
            .and_where(F::Month.lte(period.last))
            .group_by_col(F::Month)
            .group_by_col(F::RegionCode)
            .group_by_col(F::AgencyId);
        for (col, _) in FACT_COLUMNS {
            q.expr_as(sum(backend, "dashboard_facts", col), col);
        }
        q.expr_as(
            sum(backend, "dashboard_facts", "prevention_fee"),
            "prevention_fee",
        );
        let mut out = Vec::new();
        for row in self.rows(&q).await? {
            let mut f = ServiceFacts::default();
            for (col, field) in FACT_COLUMNS {
                *field(&mut f) = get_u64(&row, col)?;
            }
            f.prevention_fee = get_i64(&row, "prevention_fee")?;
            out.push(FactCell {
                month: row.try_get::<NaiveDate>("", "month").map_err(db_err)?,
                region_code: get_str(&row, "region_code")?,
                agency: OrgId(get_i64(&row, "agency_id")?),
                facts: f,
            });
        }
        self.dashboard_cache
            .put(key, stamp, std::sync::Arc::new(out.clone()));
        Ok(out)
    }

    async fn coverage(
        &self,
        scope: &Scope,
        month: NaiveDate,
        by_industry: bool,
    ) -> CoreResult<Vec<(String, Coverage)>> {
        use dashboard_coverage::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let mut select = dashboard_coverage::Entity::find().filter(C::Month.eq(month));
        match scope.as_ref() {
            Scope::All => {}
            Scope::Regions(r) => select = select.filter(C::RegionCode.is_in(r.iter().cloned())),
            // Coverage is the regulators' and the platform's figure.
            _ => return Err(CoreError::Forbidden),
        }
        let mut sums: HashMap<String, Coverage> = HashMap::new();
        for row in select.all(&self.conn).await.map_err(db_err)? {
            let key = if by_industry {
                row.industry_code
            } else {
                row.region_code
            };
            *sums.entry(key).or_default() += Coverage {
                enterprises: u64::try_from(row.enterprises).unwrap_or(0),
                policies: u64::try_from(row.policies).unwrap_or(0),
                covered: u64::try_from(row.covered).unwrap_or(0),
            };
        }
        Ok(sums.into_iter().collect())
    }

    async fn staff_facts(
        &self,
        agency: OrgId,
        period: Period,
    ) -> CoreResult<Vec<(AccountId, String, StaffFacts)>> {
        use dashboard_staff::Column as S;
        let rows = dashboard_staff::Entity::find()
            .filter(S::AgencyId.eq(agency.0))
            .filter(S::Month.gte(period.first))
            .filter(S::Month.lte(period.last))
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let mut sums: HashMap<i64, StaffFacts> = HashMap::new();
        for r in rows {
            *sums.entry(r.account_id).or_default() += StaffFacts {
                records: u64::try_from(r.records).unwrap_or(0),
                hazards: u64::try_from(r.hazards).unwrap_or(0),
            };
        }
        // Every live account of the agency shows, with zeros where it did nothing.
        let accounts = account::Entity::find()
            .filter(account::Column::OrgId.eq(agency.0))
            .filter(account::Column::DeletedAt.is_null())
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let mut out: Vec<(AccountId, String, StaffFacts)> = accounts
            .into_iter()
            .map(|a| {
                let f = sums.remove(&a.id).unwrap_or_default();
                (AccountId(a.id), a.name, f)
            })
            .collect();
        // Deleted accounts keep the work they did.
        if !sums.is_empty() {
            let names: HashMap<i64, String> = account::Entity::find()
                .filter(account::Column::Id.is_in(sums.keys().copied()))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|a| (a.id, format!("{}(已删除)", a.name)))
                .collect();
            for (id, f) in sums {
                out.push((
                    AccountId(id),
                    names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                    f,
                ));
            }
        }
        Ok(out)
    }

    async fn open_orders_by_assignee(&self, agency: OrgId) -> CoreResult<Vec<(AccountId, u64)>> {
        use order_assignee::Column as A;
        use service_order::Column as O;
        let mut q = Query::select();
        q.from(order_assignee::Entity)
            .inner_join(
                service_order::Entity,
                Expr::col((service_order::Entity, O::Id))
                    .equals((order_assignee::Entity, A::OrderId)),
            )
            .column((order_assignee::Entity, A::AccountId))
            .expr_as(count(), "n")
            .and_where(Expr::col((service_order::Entity, O::AgencyId)).eq(agency.0))
            .and_where(Expr::col((service_order::Entity, O::State)).eq(OrderState::Accepted.code()))
            .group_by_col((order_assignee::Entity, A::AccountId));
        let mut out = Vec::new();
        for row in self.rows(&q).await? {
            out.push((AccountId(get_i64(&row, "account_id")?), get_u64(&row, "n")?));
        }
        Ok(out)
    }

    async fn ending_orders(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
    ) -> CoreResult<Vec<EndingOrder>> {
        use service_order::Column as O;
        let cond = super::scope_condition(
            scope,
            super::ScopeColumns {
                insurer: O::InsurerId,
                agency: O::AgencyId,
                enterprise: O::EnterpriseId,
                region: O::RegionCode,
                order: O::Id,
            },
        );
        // Soonest first, a page at a time, until enough have items missing: the orders of a
        // large agency ending within a month run to thousands, most with items undelivered.
        let mut out = Vec::new();
        let mut after: Option<(NaiveDate, i64)> = None;
        for n in 0..ENDING_PAGES {
            let page = if n == 0 {
                limit.saturating_add(ENDING_FIRST_PAGE_EXTRA)
            } else {
                ENDING_PAGE
            };
            let mut select = service_order::Entity::find()
                .filter(cond.clone())
                .filter(O::State.eq(OrderState::Accepted.code()))
                .filter(O::ServiceEnd.gte(from))
                .filter(O::ServiceEnd.lte(to));
            if let Some((end, id)) = after {
                select = select.filter(
                    Condition::any().add(O::ServiceEnd.gt(end)).add(
                        Condition::all()
                            .add(O::ServiceEnd.eq(end))
                            .add(O::Id.gt(id)),
                    ),
                );
            }
            let orders = select
                .order_by_asc(O::ServiceEnd)
                .order_by_asc(O::Id)
                .limit(page)
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            let last_page = (orders.len() as u64) < page;
            after = orders.last().map(|o| (o.service_end, o.id));
            out.extend(self.undelivered(orders).await?);
            if last_page || out.len() as u64 >= limit {
                break;
            }
        }
        out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(out)
    }

    async fn due_hazards(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
        cap: u64,
    ) -> CoreResult<(Vec<DueHazard>, u64)> {
        use hazard::Column as H;
        let cond = super::scope_condition(
            scope,
            super::ScopeColumns {
                insurer: H::InsurerId,
                agency: H::AgencyId,
                enterprise: H::EnterpriseId,
                region: H::RegionCode,
                order: H::OrderId,
            },
        )
        // The open states listed, so (org, state, deadline) indexes serve the range.
        .add(H::State.is_in([
            HazardState::PendingRectification.code(),
            HazardState::PendingReview.code(),
        ]))
        .add(H::Deadline.gte(from))
        .add(H::Deadline.lte(to));
        let select = hazard::Entity::find().filter(cond);
        let count = super::count_upto(&self.conn, select.clone(), cap).await?;
        let rows = select
            .order_by_asc(H::Deadline)
            .order_by_asc(H::Id)
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let names = self.org_names(rows.iter().map(|h| h.enterprise_id)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for h in rows {
            out.push(DueHazard {
                id: HazardId(h.id),
                hazard_no: h.hazard_no.unwrap_or_default(),
                enterprise_name: names.get(&h.enterprise_id).cloned().unwrap_or_default(),
                level: HazardLevel::from_code(&h.level)
                    .ok_or_else(|| CoreError::Internal(format!("hazard level {}", h.level)))?,
                state: HazardState::from_code(&h.state)
                    .ok_or_else(|| CoreError::Internal(format!("hazard state {}", h.state)))?,
                deadline: h.deadline,
            });
        }
        Ok((out, count))
    }

    async fn open_objections(&self, scope: &Scope, cap: u64) -> CoreResult<u64> {
        use service_record::Column as R;
        let cond = super::scope_condition(
            scope,
            super::ScopeColumns {
                insurer: R::InsurerId,
                agency: R::AgencyId,
                enterprise: R::EnterpriseId,
                region: R::RegionCode,
                order: R::OrderId,
            },
        )
        .add(R::Confirmation.eq(Confirmation::Objected.code()))
        .add(R::ObjectionAnswered.eq(false));
        super::count_upto(&self.conn, service_record::Entity::find().filter(cond), cap).await
    }

    async fn refresh_month(
        &self,
        month: NaiveDate,
        today: NaiveDate,
        at: DateTime<Utc>,
    ) -> CoreResult<()> {
        let b = MonthBounds::of(month);
        let as_of = std::cmp::min(b.next - Duration::days(1), today);
        let facts = self.count_facts(&b, today).await?;
        let coverage = self.count_coverage(as_of).await?;
        let staff = self.count_staff(&b).await?;

        let txn = self.write().await?;
        dashboard_fact::Entity::delete_many()
            .filter(dashboard_fact::Column::Month.eq(month))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        dashboard_coverage::Entity::delete_many()
            .filter(dashboard_coverage::Column::Month.eq(month))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        dashboard_staff::Entity::delete_many()
            .filter(dashboard_staff::Column::Month.eq(month))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let facts: Vec<dashboard_fact::ActiveModel> = facts
            .into_iter()
            .map(
                |((region, agency, insurer), f)| dashboard_fact::ActiveModel {
                    month: Set(month),
                    region_code: Set(region),
                    agency_id: Set(agency),
                    insurer_id: Set(insurer),
                    orders_pending: Set(stored(f.orders[0])),
                    orders_accepted: Set(stored(f.orders[1])),
                    orders_declined: Set(stored(f.orders[2])),
                    orders_cancelled: Set(stored(f.orders[3])),
                    orders_completed: Set(stored(f.orders[4])),
                    items_planned: Set(stored(f.items_planned)),
                    items_delivered: Set(stored(f.items_delivered)),
                    prevention_fee: Set(f.prevention_fee),
                    records: Set(stored(f.records)),
                    records_confirmed: Set(stored(f.records_confirmed)),
                    records_objected: Set(stored(f.records_objected)),
                    objections_open: Set(stored(f.objections_open)),
                    hazards_found: Set(stored(f.hazards_found)),
                    hazards_major: Set(stored(f.hazards_major)),
                    hazards_overdue: Set(stored(f.hazards_overdue)),
                    hazards_closed: Set(stored(f.hazards_closed)),
                    ratings: Set(stored(f.ratings)),
                    rating_sum: Set(stored(f.rating_sum)),
                    complaints: Set(stored(f.complaints)),
                    flags: Set(stored(f.flags)),
                },
            )
            .collect();
        insert_chunked(&txn, facts).await?;
        let coverage: Vec<dashboard_coverage::ActiveModel> = coverage
            .into_iter()
            .map(|((region, industry), c)| dashboard_coverage::ActiveModel {
                month: Set(month),
                region_code: Set(region),
                industry_code: Set(industry),
                enterprises: Set(stored(c.enterprises)),
                policies: Set(stored(c.policies)),
                covered: Set(stored(c.covered)),
            })
            .collect();
        insert_chunked(&txn, coverage).await?;
        let staff: Vec<dashboard_staff::ActiveModel> = staff
            .into_iter()
            .map(|((agency, account), s)| dashboard_staff::ActiveModel {
                agency_id: Set(agency),
                month: Set(month),
                account_id: Set(account),
                records: Set(stored(s.records)),
                hazards: Set(stored(s.hazards)),
            })
            .collect();
        insert_chunked(&txn, staff).await?;
        dashboard_refresh::Entity::delete_many()
            .filter(dashboard_refresh::Column::Month.eq(month))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        dashboard_refresh::Entity::insert(dashboard_refresh::ActiveModel {
            month: Set(month),
            as_of: Set(as_of),
            refreshed_at: Set(at),
        })
        .exec(&txn)
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn refreshed_at(&self, period: Period) -> CoreResult<Option<DateTime<Utc>>> {
        use dashboard_refresh::Column as R;
        let rows = dashboard_refresh::Entity::find()
            .filter(R::Month.gte(period.first))
            .filter(R::Month.lte(period.last))
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        // Months before the first data are never counted; the oldest count shown is the one
        // that matters.
        Ok(rows.into_iter().map(|r| r.refreshed_at).min())
    }

    async fn first_month(&self) -> CoreResult<Option<NaiveDate>> {
        use service_order::Column as O;
        let first: Option<DateTime<Utc>> = service_order::Entity::find()
            .select_only()
            .column_as(O::DesignatedAt.min(), "m")
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .flatten();
        let records: Option<NaiveDate> = service_record::Entity::find()
            .select_only()
            .column_as(service_record::Column::ServiceDate.min(), "m")
            .into_tuple::<Option<NaiveDate>>()
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .flatten();
        let orders = first.map(anze_core::time::today);
        Ok(match (orders, records) {
            (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
            (a, b) => a.or(b),
        }
        .map(anze_core::dashboard::month_of))
    }
}
