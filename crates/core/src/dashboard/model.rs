//! 监管看板 / 业务看板: the figures each party supervises with, per month.
//!
//! Counting live over a province's records and hazards takes longer than a page may, so the
//! figures come from monthly facts per (region, agency, insurer) that a job recomputes from the
//! base tables (see `store::DashboardStore::refresh_month`). A month's facts are replaced whole,
//! so they equal the base tables as of the refresh that wrote them; the page says when that was.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

use crate::error::{CoreResult, FieldErrors};
use crate::ids::{AccountId, OrgId};
use crate::order::OrderState;

/// The first day of `d`'s month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// `YYYY-MM` as the month inputs send it.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let (y, m) = raw.split_once('-')?;
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

pub fn month_label(m: NaiveDate) -> String {
    format!("{}-{:02}", m.year(), m.month())
}

/// Months a dashboard may span in one view: the monthly facts stay a few thousand rows.
pub const MAX_MONTHS: u32 = 36;

/// The period selector, as the query string gives it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct PeriodFilter {
    /// `month`, `quarter`, `year` (default) or `custom` with `from` and `to` as `YYYY-MM`.
    pub period: String,
    pub from: String,
    pub to: String,
}

/// What a board is asked for: the period, the regulator's ranking and, for oversight boards, one
/// region of the scope to narrow every table to.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct BoardFilter {
    #[serde(flatten)]
    pub period: PeriodFilter,
    pub rank: String,
    pub region: String,
}

impl BoardFilter {
    /// The query string of the same board, for links and exports.
    pub fn query_string(&self) -> String {
        let mut s = self.period.query_string();
        for (k, v) in [("rank", &self.rank), ("region", &self.region)] {
            let v = urlencode(v.trim());
            if !v.is_empty() {
                s.push_str(&format!("&{k}={v}"));
            }
        }
        s
    }
}

/// Whole months, first to last inclusive (both the first day of their month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl PeriodFilter {
    pub fn period(&self, today: NaiveDate) -> CoreResult<Period> {
        let this = month_of(today);
        let mut e = FieldErrors::new();
        let period = match self.code() {
            "month" => Period {
                first: this,
                last: this,
            },
            "quarter" => Period {
                first: NaiveDate::from_ymd_opt(today.year(), (today.month() - 1) / 3 * 3 + 1, 1)
                    .unwrap_or(this),
                last: this,
            },
            "custom" => {
                let mut month = |field: &'static str, raw: &str| {
                    if raw.trim().is_empty() {
                        e.add(field, "请选择月份");
                        None
                    } else {
                        let m = parse_month(raw);
                        if m.is_none() {
                            e.add(field, "月份格式应为 2026-01");
                        }
                        m
                    }
                };
                let from = month("from", &self.from);
                let to = month("to", &self.to);
                match (from, to) {
                    (Some(f), Some(t)) if f > t => {
                        e.add("to", "结束月份不能早于开始月份");
                        Period::year_of(today)
                    }
                    (Some(f), Some(t)) if Period::span(f, t) > MAX_MONTHS => {
                        e.add("to", format!("一次最多查看 {MAX_MONTHS} 个月"));
                        Period::year_of(today)
                    }
                    (Some(f), Some(t)) => Period { first: f, last: t },
                    _ => Period::year_of(today),
                }
            }
            _ => Period::year_of(today),
        };
        e.into_result(period)
    }

    /// The selector's current choice.
    pub fn code(&self) -> &str {
        match self.period.trim() {
            p @ ("month" | "quarter" | "custom") => p,
            _ => "year",
        }
    }

    /// The query string that selects the same period, for links and exports.
    pub fn query_string(&self) -> String {
        let mut s = format!("period={}", self.code());
        if self.code() == "custom" {
            s.push_str(&format!(
                "&from={}&to={}",
                urlencode(self.from.trim()),
                urlencode(self.to.trim())
            ));
        }
        s
    }
}

fn urlencode(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

impl Period {
    fn year_of(today: NaiveDate) -> Period {
        Period {
            first: NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            last: month_of(today),
        }
    }

    fn span(first: NaiveDate, last: NaiveDate) -> u32 {
        ((last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32 + 1).max(0)
            as u32
    }

    pub fn months(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut m = self.first;
        while m <= self.last {
            out.push(m);
            m = m + Months::new(1);
        }
        out
    }

    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        self.last + Months::new(1) - chrono::Duration::days(1)
    }

    /// The twelve months that end with this period: the trend charts.
    pub fn trend(&self) -> Period {
        Period {
            first: self.last - Months::new(11),
            last: self.last,
        }
    }

    pub fn label(&self) -> String {
        if self.first == self.last {
            month_label(self.first)
        } else {
            format!("{} 至 {}", month_label(self.first), month_label(self.last))
        }
    }
}

/// What happened in a month for one (region, agency, insurer), counted from the base tables.
/// Every field adds up across keys and months, so any grouping is a sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceFacts {
    /// Orders designated in the month, by their state now, in `OrderState::ALL`'s order.
    pub orders: [u64; 5],
    /// Accepted or completed orders whose service period ends in the month: items their 服务方案
    /// plans, items delivered (each item's records counted up to its planned number), and
    /// their policies' 事故预防费用 in cents.
    pub items_planned: u64,
    pub items_delivered: u64,
    pub prevention_fee: i64,
    /// Records dated in the month, and those the enterprise confirmed or objected to.
    pub records: u64,
    pub records_confirmed: u64,
    pub records_objected: u64,
    /// Objected records the agency has not answered.
    pub objections_open: u64,
    /// Hazards found in the month; of them 重大; those still open past their deadline when the
    /// month was counted; hazards closed (销号) in the month.
    pub hazards_found: u64,
    pub hazards_major: u64,
    pub hazards_overdue: u64,
    pub hazards_closed: u64,
    /// Satisfaction ratings given in the month and the sum of their overall scores.
    pub ratings: u64,
    pub rating_sum: u64,
    /// Complaints filed in the month.
    pub complaints: u64,
    /// Integrity flags raised in the month and not dismissed.
    pub flags: u64,
}

impl AddAssign for ServiceFacts {
    fn add_assign(&mut self, o: Self) {
        for (a, b) in self.orders.iter_mut().zip(o.orders) {
            *a += b;
        }
        self.items_planned += o.items_planned;
        self.items_delivered += o.items_delivered;
        self.prevention_fee += o.prevention_fee;
        self.records += o.records;
        self.records_confirmed += o.records_confirmed;
        self.records_objected += o.records_objected;
        self.objections_open += o.objections_open;
        self.hazards_found += o.hazards_found;
        self.hazards_major += o.hazards_major;
        self.hazards_overdue += o.hazards_overdue;
        self.hazards_closed += o.hazards_closed;
        self.ratings += o.ratings;
        self.rating_sum += o.rating_sum;
        self.complaints += o.complaints;
        self.flags += o.flags;
    }
}

/// `n / d` as a percentage with one decimal, "—" without a denominator.
pub fn percent(n: u64, d: u64) -> String {
    if d == 0 {
        return "—".into();
    }
    let tenths = (n * 1000 + d / 2) / d;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// Per mille, for bar lengths; 0 without a denominator.
pub fn per_mille(n: u64, d: u64) -> u64 {
    (n * 1000).checked_div(d).unwrap_or(0).min(1000)
}

impl ServiceFacts {
    pub fn orders_in(&self, state: &OrderState) -> u64 {
        OrderState::ALL
            .iter()
            .position(|s| s == state)
            .map(|i| self.orders[i])
            .unwrap_or(0)
    }

    pub fn orders_total(&self) -> u64 {
        self.orders.iter().sum()
    }

    /// 交付率: delivered / planned items.
    pub fn delivery_rate(&self) -> String {
        percent(self.items_delivered, self.items_planned)
    }

    /// 确认率: records the enterprise confirmed / records.
    pub fn confirmed_share(&self) -> String {
        percent(self.records_confirmed, self.records)
    }

    /// 满意度 average with two decimals, "—" without ratings.
    pub fn average_rating(&self) -> String {
        if self.ratings == 0 {
            return "—".into();
        }
        let hundredths = (self.rating_sum * 100 + self.ratings / 2) / self.ratings;
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }

    /// The average in hundredths, for ranking; `None` without ratings.
    pub fn rating_hundredths(&self) -> Option<u64> {
        (self.ratings > 0).then(|| (self.rating_sum * 100 + self.ratings / 2) / self.ratings)
    }

    /// 事故预防费用 per delivered item, in yuan with two decimals.
    pub fn fee_per_item(&self) -> String {
        if self.items_delivered == 0 {
            return "—".into();
        }
        money(self.prevention_fee / self.items_delivered as i64)
    }

    pub fn fee_label(&self) -> String {
        money(self.prevention_fee)
    }
}

/// Cents as yuan with thousands separators: "12,345.60".
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let yuan = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", c % 100)
}

/// The key of a row of monthly facts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactKey {
    pub month: NaiveDate,
    pub region_code: String,
    pub agency: OrgId,
    pub insurer: OrgId,
}

/// The facts of one month, region and agency, summed over insurers: what a board reads, once,
/// and groups in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactCell {
    pub month: NaiveDate,
    pub region_code: String,
    pub agency: OrgId,
    pub facts: ServiceFacts,
}

/// One row of a grouped table: the group's key (a month `YYYY-MM`, a region code or an
/// organization id) and its name.
#[derive(Debug, Clone, Serialize)]
pub struct FactRow {
    pub key: String,
    pub name: String,
    pub facts: ServiceFacts,
}

/// 投保覆盖: policies in force on the period's last day (or today, for the current month), and
/// those with an accepted or completed service order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub enterprises: u64,
    pub policies: u64,
    pub covered: u64,
}

impl AddAssign for Coverage {
    fn add_assign(&mut self, o: Self) {
        self.enterprises += o.enterprises;
        self.policies += o.policies;
        self.covered += o.covered;
    }
}

impl Coverage {
    pub fn rate(&self) -> String {
        percent(self.covered, self.policies)
    }

    pub fn bar(&self) -> u64 {
        per_mille(self.covered, self.policies)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub key: String,
    pub name: String,
    pub coverage: Coverage,
}

/// One staff member's month: records they took part in and hazards they entered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StaffFacts {
    pub records: u64,
    pub hazards: u64,
}

impl AddAssign for StaffFacts {
    fn add_assign(&mut self, o: Self) {
        self.records += o.records;
        self.hazards += o.hazards;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffRow {
    pub account: AccountId,
    pub name: String,
    /// Accepted orders assigned to them now.
    pub open_orders: u64,
    pub facts: StaffFacts,
}

/// Which ranking the regulator's agency table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Ranking {
    /// 逾期隐患 (most first)
    #[default]
    Overdue,
    /// 企业异议 (most first)
    Objections,
    /// 满意度 (lowest first: the ranking is of where things go wrong)
    Satisfaction,
    /// 可疑标记 (most first)
    Flags,
}

impl Ranking {
    pub const ALL: [Ranking; 4] = [
        Ranking::Overdue,
        Ranking::Objections,
        Ranking::Satisfaction,
        Ranking::Flags,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Ranking::Overdue => "overdue",
            Ranking::Objections => "objections",
            Ranking::Satisfaction => "satisfaction",
            Ranking::Flags => "flags",
        }
    }

    pub fn from_code(code: &str) -> Ranking {
        Ranking::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            Ranking::Overdue => "逾期隐患",
            Ranking::Objections => "企业异议",
            Ranking::Satisfaction => "满意度",
            Ranking::Flags => "可疑标记",
        }
    }

    /// Sorts agencies worst first; ties by name so the order is stable.
    pub fn sort(self, rows: &mut [FactRow]) {
        rows.sort_by(|a, b| {
            let (fa, fb) = (&a.facts, &b.facts);
            let ord = match self {
                Ranking::Overdue => fb.hazards_overdue.cmp(&fa.hazards_overdue),
                Ranking::Objections => fb.records_objected.cmp(&fa.records_objected),
                // Unrated agencies go last.
                Ranking::Satisfaction => fa
                    .rating_hundredths()
                    .unwrap_or(u64::MAX)
                    .cmp(&fb.rating_hundredths().unwrap_or(u64::MAX)),
                Ranking::Flags => fb.flags.cmp(&fa.flags),
            };
            ord.then_with(|| a.name.cmp(&b.name))
        });
    }
}

/// A point of a trend chart.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub month: NaiveDate,
    pub facts: ServiceFacts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn filter(period: &str, from: &str, to: &str) -> PeriodFilter {
        PeriodFilter {
            period: period.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn periods_are_whole_months_up_to_the_current_one() {
        let today = d(2026, 11, 30);
        let p = filter("month", "", "").period(today).unwrap();
        assert_eq!((p.first, p.last), (d(2026, 11, 1), d(2026, 11, 1)));
        let p = filter("quarter", "", "").period(today).unwrap();
        assert_eq!((p.first, p.last), (d(2026, 10, 1), d(2026, 11, 1)));
        let p = filter("", "", "").period(today).unwrap();
        assert_eq!((p.first, p.last), (d(2026, 1, 1), d(2026, 11, 1)));
        assert_eq!(p.months().len(), 11);
        assert_eq!(p.last_day(), d(2026, 11, 30));
        let t = p.trend();
        assert_eq!((t.first, t.last), (d(2025, 12, 1), d(2026, 11, 1)));
        let p = filter("custom", "2025-02", "2025-4").period(today).unwrap();
        assert_eq!((p.first, p.last), (d(2025, 2, 1), d(2025, 4, 1)));
        assert_eq!(p.label(), "2025-02 至 2025-04");
    }

    #[test]
    fn a_custom_period_says_what_is_wrong_with_it() {
        let today = d(2026, 11, 30);
        let err = |f: PeriodFilter| match f.period(today) {
            Err(crate::CoreError::Validation(e)) => e.0[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(filter("custom", "", "2026-01")), "请选择月份");
        assert_eq!(
            err(filter("custom", "2026-13", "2026-01")),
            "月份格式应为 2026-01"
        );
        assert_eq!(
            err(filter("custom", "2026-05", "2026-01")),
            "结束月份不能早于开始月份"
        );
        assert_eq!(
            err(filter("custom", "2020-01", "2026-01")),
            "一次最多查看 36 个月"
        );
        assert_eq!(
            filter("custom", "2026-01", "2026-02' or 1=1").query_string(),
            "period=custom&from=2026-01&to=2026-02or11"
        );
    }

    #[test]
    fn facts_add_up_and_derive_rates() {
        let mut a = ServiceFacts {
            items_planned: 3,
            items_delivered: 2,
            records: 4,
            records_confirmed: 1,
            ratings: 3,
            rating_sum: 13,
            prevention_fee: 12_345_678,
            ..Default::default()
        };
        a.orders[1] = 2;
        a += a;
        assert_eq!(a.orders_in(&OrderState::Accepted), 4);
        assert_eq!(a.delivery_rate(), "66.7%");
        assert_eq!(a.confirmed_share(), "25.0%");
        assert_eq!(a.average_rating(), "4.33");
        assert_eq!(a.fee_label(), "246,913.56");
        assert_eq!(a.fee_per_item(), "61,728.39");
        assert_eq!(ServiceFacts::default().delivery_rate(), "—");
        assert_eq!(money(-5), "-0.05");
    }

    #[test]
    fn rankings_put_the_worst_first_and_unrated_last() {
        let row = |name: &str, overdue, ratings, sum| FactRow {
            key: name.into(),
            name: name.into(),
            facts: ServiceFacts {
                hazards_overdue: overdue,
                ratings,
                rating_sum: sum,
                ..Default::default()
            },
        };
        let mut rows = vec![row("甲", 1, 0, 0), row("乙", 5, 2, 10), row("丙", 5, 1, 2)];
        Ranking::Overdue.sort(&mut rows);
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["丙", "乙", "甲"]);
        Ranking::Satisfaction.sort(&mut rows);
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["丙", "乙", "甲"]);
        assert_eq!(Ranking::from_code("flags"), Ranking::Flags);
        assert_eq!(Ranking::from_code("x"), Ranking::Overdue);
    }
}
