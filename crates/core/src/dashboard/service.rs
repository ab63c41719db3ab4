//! The dashboards each party opens under 看板, and the job that keeps their facts current.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

use super::{
    BoardFilter, Coverage, CoverageRow, DueHazard, EndingOrder, FactCell, FactRow, Period,
    PeriodFilter, Ranking, ServiceFacts, StaffRow, TrendPoint, month_of,
};
use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult};
use crate::org::OrgKind;
use crate::page::CappedCount;
use crate::region::Region;
use crate::scope::{self, Scope};
use crate::store::Store;
use crate::time::today;

/// Orders ending within this many days count as 临近到期 on the agency's dashboard.
pub const ENDING_WITHIN_DAYS: i64 = 30;
/// Hazards due within this many days show on the agency's dashboard.
pub const DUE_WITHIN_DAYS: i64 = 7;
/// Rows of the agency's near-deadline lists; the links behind them show all.
pub const NEAR_LIST_ROWS: u64 = 20;
/// The agency board's "to do" counts stop here ("1000+"): past a thousand the number no
/// longer changes what anyone does, and counting a large agency's objections to the end
/// reads a table row for each.
pub const NEAR_COUNT_CAP: u64 = 1_000;

/// Whether the actor has a dashboard: every party that supervises or delivers services.
pub fn may_view(actor: &Actor) -> bool {
    actor.org_kind != OrgKind::Enterprise && actor.has(Permission::OrderView)
}

/// Recounting on demand is the platform operator's (the job does it every few minutes).
pub fn may_refresh(actor: &Actor) -> bool {
    actor.org_kind == OrgKind::Platform && actor.has(Permission::OrgView)
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub period: Period,
    /// The region an oversight board is narrowed to, and the regions it may be narrowed to.
    pub region: Option<Region>,
    pub regions: Vec<Region>,
    /// When the oldest month shown was counted; `None` when one never was.
    pub refreshed_at: Option<DateTime<Utc>>,
    pub kind: BoardKind,
}

#[derive(Debug, Clone, Serialize)]
pub enum BoardKind {
    /// 监管部门 and the platform.
    Oversight(Box<OversightBoard>),
    Insurer(Box<InsurerBoard>),
    Agency(Box<AgencyBoard>),
}

#[derive(Debug, Clone, Serialize)]
pub struct OversightBoard {
    pub totals: ServiceFacts,
    pub coverage: Coverage,
    pub coverage_by_region: Vec<CoverageRow>,
    pub coverage_by_industry: Vec<CoverageRow>,
    pub regions: Vec<FactRow>,
    pub agencies: Vec<FactRow>,
    pub ranking: Ranking,
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InsurerBoard {
    pub totals: ServiceFacts,
    pub agencies: Vec<FactRow>,
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgencyBoard {
    /// The organization's facts; `None` for staff who see only their own orders.
    pub totals: Option<ServiceFacts>,
    pub trend: Vec<TrendPoint>,
    pub staff: Vec<StaffRow>,
    pub ending: Vec<EndingOrder>,
    pub due: Vec<DueHazard>,
    pub due_count: CappedCount,
    pub objections_open: CappedCount,
    /// Bounds of the near-deadline lists, for the links to the full lists.
    pub ending_until: NaiveDate,
    pub due_until: NaiveDate,
}

pub async fn board(
    store: &dyn Store,
    actor: &Actor,
    filter: &BoardFilter,
    now: DateTime<Utc>,
) -> CoreResult<Board> {
    if !may_view(actor) {
        return Err(CoreError::Forbidden);
    }
    let today = today(now);
    let period = filter.period.period(today)?;
    let ranking = Ranking::from_code(&filter.rank);
    let mut scope = scope::of(store, actor).await?;
    let (mut region, mut regions) = (None, Vec::new());
    if matches!(actor.org_kind, OrgKind::Platform | OrgKind::Regulator) {
        regions = store
            .list_regions()
            .await?
            .into_iter()
            .filter(|r| match &scope {
                Scope::Regions(codes) => codes.contains(&r.code),
                _ => true,
            })
            .collect();
        let code = filter.region.trim();
        if !code.is_empty() {
            let r = regions
                .iter()
                .find(|r| r.code == code)
                .cloned()
                .ok_or_else(|| {
                    crate::error::field_error("region", "所选区划不在本部门管辖范围内")
                })?;
            // The region and the districts under it, as a regulator's own scope is counted.
            let all = store.list_regions().await?;
            scope = Scope::Regions(crate::region::covered(&all, &r.code));
            region = Some(r);
        }
    }
    let kind = match actor.org_kind {
        OrgKind::Platform | OrgKind::Regulator => {
            let cells = Cells::read(store, &scope, period).await?;
            BoardKind::Oversight(Box::new(
                oversight(store, &scope, period, ranking, &cells).await?,
            ))
        }
        OrgKind::Insurer => {
            let cells = Cells::read(store, &scope, period).await?;
            BoardKind::Insurer(Box::new(InsurerBoard {
                totals: cells.totals(period),
                agencies: agency_rows(store, &cells, period).await?,
                trend: cells.trend(period),
            }))
        }
        OrgKind::Agency => {
            BoardKind::Agency(Box::new(agency(store, actor, &scope, period, today).await?))
        }
        OrgKind::Enterprise => return Err(CoreError::Forbidden),
    };
    Ok(Board {
        refreshed_at: store.refreshed_at(period).await?,
        period,
        region,
        regions,
        kind,
    })
}

/// The facts of a board's period and its trend's twelve months, read in one query.
struct Cells(Vec<FactCell>);

impl Cells {
    async fn read(store: &dyn Store, scope: &Scope, period: Period) -> CoreResult<Cells> {
        let trend = period.trend();
        let span = Period {
            first: period.first.min(trend.first),
            last: period.last,
        };
        Ok(Cells(store.facts(scope, span).await?))
    }

    fn within(&self, period: Period) -> impl Iterator<Item = &FactCell> {
        self.0
            .iter()
            .filter(move |c| c.month >= period.first && c.month <= period.last)
    }

    fn totals(&self, period: Period) -> ServiceFacts {
        let mut t = ServiceFacts::default();
        for c in self.within(period) {
            t += c.facts;
        }
        t
    }

    /// Sums over the period per key.
    fn by(
        &self,
        period: Period,
        key: impl Fn(&FactCell) -> String,
    ) -> HashMap<String, ServiceFacts> {
        let mut out: HashMap<String, ServiceFacts> = HashMap::new();
        for c in self.within(period) {
            *out.entry(key(c)).or_default() += c.facts;
        }
        out
    }

    /// One point per month of the twelve ending with the period, zero where nothing happened.
    fn trend(&self, period: Period) -> Vec<TrendPoint> {
        let span = period.trend();
        let by_month = self.by(span, |c| c.month.to_string());
        span.months()
            .into_iter()
            .map(|m| TrendPoint {
                facts: by_month.get(&m.to_string()).copied().unwrap_or_default(),
                month: m,
            })
            .collect()
    }
}

/// Rows with names, largest first.
fn named(sums: HashMap<String, ServiceFacts>, names: &HashMap<String, String>) -> Vec<FactRow> {
    let mut rows: Vec<FactRow> = sums
        .into_iter()
        .map(|(key, facts)| FactRow {
            name: names.get(&key).cloned().unwrap_or_else(|| key.clone()),
            key,
            facts,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.facts.orders_total() + b.facts.records)
            .cmp(&(a.facts.orders_total() + a.facts.records))
            .then_with(|| a.name.cmp(&b.name))
    });
    rows
}

async fn agency_rows(store: &dyn Store, cells: &Cells, period: Period) -> CoreResult<Vec<FactRow>> {
    let names: HashMap<String, String> = store
        .org_options(Some(&[OrgKind::Agency]))
        .await?
        .into_iter()
        .map(|o| (o.id.0.to_string(), o.name))
        .collect();
    Ok(named(cells.by(period, |c| c.agency.0.to_string()), &names))
}

async fn region_names(store: &dyn Store) -> CoreResult<HashMap<String, String>> {
    Ok(store
        .list_regions()
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect())
}

async fn oversight(
    store: &dyn Store,
    scope: &Scope,
    period: Period,
    ranking: Ranking,
    cells: &Cells,
) -> CoreResult<OversightBoard> {
    let region_names = region_names(store).await?;
    let regions = named(cells.by(period, |c| c.region_code.clone()), &region_names);
    let totals = cells.totals(period);
    let mut agencies = agency_rows(store, cells, period).await?;
    ranking.sort(&mut agencies);
    let mut coverage = Coverage::default();
    let mut coverage_by_region: Vec<CoverageRow> = store
        .coverage(scope, period.last, false)
        .await?
        .into_iter()
        .map(|(key, c)| {
            coverage += c;
            CoverageRow {
                name: region_names
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| key.clone()),
                key,
                coverage: c,
            }
        })
        .collect();
    coverage_by_region.sort_by_key(|r| std::cmp::Reverse(r.coverage.policies));
    let coverage_by_industry =
        by_top_industry(store, store.coverage(scope, period.last, true).await?).await?;
    Ok(OversightBoard {
        totals,
        coverage,
        coverage_by_region,
        coverage_by_industry,
        regions,
        agencies,
        ranking,
        trend: cells.trend(period),
    })
}

/// Enterprises carry a leaf of the industry tree; the dashboard reads its top level (门类).
async fn by_top_industry(
    store: &dyn Store,
    rows: Vec<(String, Coverage)>,
) -> CoreResult<Vec<CoverageRow>> {
    let industries = store.list_industries().await?;
    let parent: HashMap<&str, Option<&str>> = industries
        .iter()
        .map(|i| (i.code.as_str(), i.parent_code.as_deref()))
        .collect();
    let name: HashMap<&str, &str> = industries
        .iter()
        .map(|i| (i.code.as_str(), i.name.as_str()))
        .collect();
    let top = |code: &str| -> String {
        let mut c = code;
        // The tree is shallow; the bound guards against a cycle typed into the table.
        for _ in 0..8 {
            match parent.get(c).copied().flatten() {
                Some(p) => c = p,
                None => break,
            }
        }
        c.to_string()
    };
    let mut sums: HashMap<String, Coverage> = HashMap::new();
    for (code, c) in rows {
        *sums.entry(top(&code)).or_default() += c;
    }
    let mut out: Vec<CoverageRow> = sums
        .into_iter()
        .map(|(key, coverage)| CoverageRow {
            name: if key.is_empty() {
                "未填写行业".to_string()
            } else {
                name.get(key.as_str())
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| key.clone())
            },
            key,
            coverage,
        })
        .collect();
    out.sort_by(|a, b| {
        b.coverage
            .policies
            .cmp(&a.coverage.policies)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(out)
}

async fn agency(
    store: &dyn Store,
    actor: &Actor,
    scope: &Scope,
    period: Period,
    today: NaiveDate,
) -> CoreResult<AgencyBoard> {
    let own_only = matches!(
        scope,
        Scope::Agency {
            assignee: Some(_),
            ..
        }
    );
    let (totals, trend) = if own_only {
        (None, vec![])
    } else {
        let cells = Cells::read(store, scope, period).await?;
        (Some(cells.totals(period)), cells.trend(period))
    };
    let open: HashMap<_, _> = store
        .open_orders_by_assignee(actor.org_id)
        .await?
        .into_iter()
        .collect();
    let mut staff: Vec<StaffRow> = store
        .staff_facts(actor.org_id, period)
        .await?
        .into_iter()
        .filter(|(a, _, _)| !own_only || *a == actor.account_id)
        .map(|(account, name, facts)| StaffRow {
            open_orders: open.get(&account).copied().unwrap_or(0),
            account,
            name,
            facts,
        })
        .collect();
    staff.sort_by(|a, b| {
        (b.facts.records + b.open_orders)
            .cmp(&(a.facts.records + a.open_orders))
            .then_with(|| a.name.cmp(&b.name))
    });
    let ending_until = today + Duration::days(ENDING_WITHIN_DAYS);
    let due_until = today + Duration::days(DUE_WITHIN_DAYS);
    let (due, due_count) = store
        .due_hazards(scope, today, due_until, NEAR_LIST_ROWS, NEAR_COUNT_CAP)
        .await?;
    Ok(AgencyBoard {
        totals,
        trend,
        staff,
        ending: store
            .ending_orders(scope, today, ending_until, NEAR_LIST_ROWS)
            .await?,
        due,
        due_count: CappedCount::of(due_count, NEAR_COUNT_CAP),
        objections_open: CappedCount::of(
            store.open_objections(scope, NEAR_COUNT_CAP).await?,
            NEAR_COUNT_CAP,
        ),
        ending_until,
        due_until,
    })
}

/// What the job recounts each run: the current month, and the previous one during the first
/// days of a month so late entries for it are counted (records are often typed in days after
/// the visit).
pub fn months_to_refresh(today: NaiveDate) -> Vec<NaiveDate> {
    let this = month_of(today);
    let previous = this - Months::new(1);
    if today - previous < Duration::days(31 + 10) {
        vec![previous, this]
    } else {
        vec![this]
    }
}

/// The scheduled recount.
pub async fn refresh_recent(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<Vec<NaiveDate>> {
    let today = today(now);
    let months = months_to_refresh(today);
    for m in &months {
        store.refresh_month(*m, today, now).await?;
    }
    Ok(months)
}

/// Months the nightly recount covers: the trend's twelve and the one before, so 逾期 figures
/// follow the deadlines that passed and old edits are counted within a day.
pub const NIGHTLY_MONTHS: u32 = 13;

/// The nightly recount.
pub async fn refresh_window(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u32> {
    let today = today(now);
    let last = month_of(today);
    let mut m = last - Months::new(NIGHTLY_MONTHS - 1);
    let mut n = 0;
    while m <= last {
        store.refresh_month(m, today, now).await?;
        n += 1;
        m = m + Months::new(1);
    }
    Ok(n)
}

/// Recounts every month from the first with data (or `from`) to the current one: after an
/// upgrade, a restore, or edits to old records. Calls `progress` after each month.
pub async fn rebuild(
    store: &dyn Store,
    from: Option<NaiveDate>,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(NaiveDate) + Send),
) -> CoreResult<u32> {
    let today = today(now);
    let Some(first) = from.map(month_of).or(store.first_month().await?) else {
        return Ok(0);
    };
    let mut m = first;
    let mut n = 0;
    while m <= month_of(today) {
        store.refresh_month(m, today, now).await?;
        progress(m);
        n += 1;
        m = m + Months::new(1);
    }
    Ok(n)
}

/// 立即更新 on the dashboard: the platform operator recounts the months it shows.
pub async fn refresh_period(
    store: &dyn Store,
    actor: &Actor,
    filter: &PeriodFilter,
    now: DateTime<Utc>,
) -> CoreResult<Period> {
    if !may_refresh(actor) {
        return Err(CoreError::Forbidden);
    }
    let today = today(now);
    let period = filter.period(today)?;
    let months: Vec<NaiveDate> = period
        .trend()
        .months()
        .into_iter()
        .chain(period.months())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for m in months {
        store.refresh_month(m, today, now).await?;
    }
    Ok(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_previous_month_is_recounted_during_the_first_ten_days() {
        assert_eq!(
            months_to_refresh(d(2026, 12, 3)),
            vec![d(2026, 11, 1), d(2026, 12, 1)]
        );
        assert_eq!(months_to_refresh(d(2026, 12, 20)), vec![d(2026, 12, 1)]);
        assert_eq!(
            months_to_refresh(d(2026, 3, 10)),
            vec![d(2026, 2, 1), d(2026, 3, 1)]
        );
    }
}
