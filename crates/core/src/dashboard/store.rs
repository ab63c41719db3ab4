use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Coverage, FactCell, Period, StaffFacts};
use crate::error::CoreResult;
use crate::hazard::{HazardLevel, HazardState};
use crate::ids::{AccountId, HazardId, OrderId, OrgId};
use crate::scope::Scope;

/// An accepted order whose service period ends soon, with what its plan still lacks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EndingOrder {
    pub id: OrderId,
    pub order_no: String,
    pub enterprise_name: String,
    pub service_end: NaiveDate,
    pub planned: u64,
    pub delivered: u64,
}

impl EndingOrder {
    pub fn undelivered(&self) -> u64 {
        self.planned.saturating_sub(self.delivered)
    }
}

/// An open hazard whose deadline is near.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DueHazard {
    pub id: HazardId,
    pub hazard_no: String,
    pub enterprise_name: String,
    pub level: HazardLevel,
    pub state: HazardState,
    pub deadline: NaiveDate,
}

#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// The monthly facts in `scope` over `period`, one cell per (month, region, agency). An
    /// agency scope limited to one assignee is not supported: the facts are per organization.
    async fn facts(&self, scope: &Scope, period: Period) -> CoreResult<Vec<FactCell>>;

    /// 投保覆盖 in `scope` as counted for `month`, per region code or per the enterprises'
    /// industry code.
    async fn coverage(
        &self,
        scope: &Scope,
        month: NaiveDate,
        by_industry: bool,
    ) -> CoreResult<Vec<(String, Coverage)>>;

    /// Each staff member's facts over `period`, with their name.
    async fn staff_facts(
        &self,
        agency: OrgId,
        period: Period,
    ) -> CoreResult<Vec<(AccountId, String, StaffFacts)>>;

    /// Accepted orders per assignee of the agency now.
    async fn open_orders_by_assignee(&self, agency: OrgId) -> CoreResult<Vec<(AccountId, u64)>>;

    /// Accepted orders in `scope` whose service period ends between `from` and `to` with fewer
    /// items delivered than planned, soonest first.
    async fn ending_orders(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
    ) -> CoreResult<Vec<EndingOrder>>;

    /// Open hazards in `scope` with a deadline between `from` and `to`, soonest first, and how
    /// many there are, counted up to `cap`.
    async fn due_hazards(
        &self,
        scope: &Scope,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
        cap: u64,
    ) -> CoreResult<(Vec<DueHazard>, u64)>;

    /// Records in `scope` the enterprise objected to that the agency has not answered,
    /// counted up to `cap`.
    async fn open_objections(&self, scope: &Scope, cap: u64) -> CoreResult<u64>;

    /// Recomputes `month`'s facts and coverage from the base tables and replaces the stored
    /// ones in one transaction. Hazards count as overdue when open past their deadline
    /// `today`; policies as in force on the month's last day, or today while it runs.
    async fn refresh_month(
        &self,
        month: NaiveDate,
        today: NaiveDate,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;

    /// The oldest refresh among `period`'s months; `None` when none was ever counted.
    async fn refreshed_at(&self, period: Period) -> CoreResult<Option<DateTime<Utc>>>;

    /// The first month with any order, record or hazard; where a full rebuild starts.
    async fn first_month(&self) -> CoreResult<Option<NaiveDate>>;
}
