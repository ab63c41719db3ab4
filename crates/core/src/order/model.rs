use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountRef;
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{AccountId, OrderId, OrgId, PolicyId};
use crate::service_item::ServiceItem;
use crate::time::parse_date;

/// 订单状态
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OrderState {
    /// 待受理
    Pending,
    /// 已受理 (服务中)
    Accepted,
    /// 已拒绝
    Declined,
    /// 已撤销
    Cancelled,
    /// 已完成
    Completed,
}

/// What can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OrderAction {
    /// 同意服务 (agency)
    Accept,
    /// 拒绝 (agency)
    Decline,
    /// 撤销 (insurer)
    Cancel,
    /// 完成 (agency)
    Complete,
}

impl OrderAction {
    pub fn label(self) -> &'static str {
        match self {
            OrderAction::Accept => "受理",
            OrderAction::Decline => "拒绝",
            OrderAction::Cancel => "撤销",
            OrderAction::Complete => "完成",
        }
    }
}

impl OrderState {
    pub const ALL: [OrderState; 5] = [
        OrderState::Pending,
        OrderState::Accepted,
        OrderState::Completed,
        OrderState::Declined,
        OrderState::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Accepted => "accepted",
            OrderState::Declined => "declined",
            OrderState::Cancelled => "cancelled",
            OrderState::Completed => "completed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderState::Pending => "待受理",
            OrderState::Accepted => "已受理",
            OrderState::Declined => "已拒绝",
            OrderState::Cancelled => "已撤销",
            OrderState::Completed => "已完成",
        }
    }

    /// Colour of the status tag: 待受理 orange, 已受理 blue, 已完成 green, 已拒绝 red.
    pub fn tag(self) -> &'static str {
        match self {
            OrderState::Pending => "tag-warning",
            OrderState::Accepted => "",
            OrderState::Completed => "tag-success",
            OrderState::Declined => "tag-danger",
            OrderState::Cancelled => "tag-info",
        }
    }

    /// An order still binding its policy: the insurer cannot designate another one meanwhile.
    pub fn is_live(self) -> bool {
        matches!(self, OrderState::Pending | OrderState::Accepted)
    }

    /// Service records may be added only while the agency serves.
    pub fn takes_records(self) -> bool {
        self == OrderState::Accepted
    }

    /// The state machine. Refusals say, in Chinese, why the move is impossible from here.
    pub fn apply(self, action: OrderAction) -> Result<OrderState, String> {
        use OrderAction::*;
        use OrderState::*;
        match (self, action) {
            (Pending, Accept) => Ok(Accepted),
            (Pending, Decline) => Ok(Declined),
            (Pending, Cancel) => Ok(Cancelled),
            (Accepted, Complete) => Ok(Completed),
            (state, action) => Err(format!(
                "该订单当前状态为“{}”,不能{}",
                state.label(),
                action.label()
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    pub item: ServiceItem,
    pub planned: i64,
    /// Records counted toward the plan.
    pub done: i64,
    /// Of those, the ones the enterprise confirmed (已确认).
    pub confirmed: i64,
}

impl PlanItem {
    /// Done, but never more than planned (extra services do not overfill the bar).
    pub fn done_capped(&self) -> i64 {
        self.done.min(self.planned)
    }

    pub fn percent(&self) -> i64 {
        if self.planned == 0 {
            0
        } else {
            (self.done * 100 / self.planned).min(100)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceOrder {
    pub id: OrderId,
    /// 订单号
    pub order_no: String,
    pub policy_id: PolicyId,
    pub policy_no: String,
    pub insurer_id: OrgId,
    pub insurer_name: String,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub region_code: String,
    pub state: OrderState,
    /// 服务期限
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    /// 说明
    pub note: String,
    pub decline_reason: Option<String>,
    /// 指派时间
    pub designated_at: DateTime<Utc>,
    /// 指派人
    pub designated_by: String,
    pub accepted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// 服务方案, every item in seed order.
    pub plan: Vec<PlanItem>,
    /// 负责人员
    pub assignees: Vec<AccountRef>,
}

impl ServiceOrder {
    pub fn period(&self) -> String {
        format!("{} 至 {}", self.service_start, self.service_end)
    }

    pub fn assignee_names(&self) -> String {
        if self.assignees.is_empty() {
            "未指派".into()
        } else {
            self.assignees
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        }
    }

    pub fn is_assigned_to(&self, account: AccountId) -> bool {
        self.assignees.iter().any(|a| a.id == account)
    }

    pub fn planned_total(&self) -> i64 {
        self.plan.iter().map(|p| p.planned).sum()
    }

    pub fn done_total(&self) -> i64 {
        self.plan.iter().map(|p| p.done.min(p.planned)).sum()
    }
}

/// The designation form: agency, service period, plan and note.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DesignateForm {
    pub agency_id: String,
    pub service_start: String,
    pub service_end: String,
    pub note: String,
    pub plan_training: String,
    pub plan_risk: String,
    pub plan_hazard: String,
    pub plan_standardization: String,
    pub plan_emergency: String,
    pub plan_promotion: String,
    pub plan_other: String,
}

impl DesignateForm {
    pub fn plan_value(&self, item: &ServiceItem) -> &str {
        match item {
            ServiceItem::Training => &self.plan_training,
            ServiceItem::RiskIdentification => &self.plan_risk,
            ServiceItem::HazardInvestigation => &self.plan_hazard,
            ServiceItem::Standardization => &self.plan_standardization,
            ServiceItem::Emergency => &self.plan_emergency,
            ServiceItem::Promotion => &self.plan_promotion,
            ServiceItem::OtherWork => &self.plan_other,
        }
    }

    /// A usual first plan: the whole policy period, one of each item, quarterly inspections.
    pub fn suggested(start: NaiveDate, end: NaiveDate) -> Self {
        Self {
            service_start: start.to_string(),
            service_end: end.to_string(),
            plan_training: "1".into(),
            plan_risk: "1".into(),
            plan_hazard: "4".into(),
            plan_standardization: "0".into(),
            plan_emergency: "1".into(),
            plan_promotion: "0".into(),
            plan_other: "0".into(),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Designation {
    pub agency_id: OrgId,
    pub service_start: NaiveDate,
    pub service_end: NaiveDate,
    pub note: String,
    pub plan: Vec<(ServiceItem, i64)>,
}

/// Validates a designation against the policy period it must fit in.
pub fn parse_designation(
    form: &DesignateForm,
    policy_start: NaiveDate,
    policy_end: NaiveDate,
) -> CoreResult<Designation> {
    let mut errors = FieldErrors::new();
    let agency = errors.take(
        "agency_id",
        form.agency_id
            .trim()
            .parse::<i64>()
            .map(OrgId)
            .map_err(|_| "请选择技术服务机构".to_string()),
    );
    let date = |errors: &mut FieldErrors, field: &'static str, raw: &str, label: &str| {
        if raw.trim().is_empty() {
            errors.add(field, format!("请填写{label}"));
            None
        } else {
            errors.take(field, parse_date(raw).map_err(|m| format!("{label}{m}")))
        }
    };
    let start = date(
        &mut errors,
        "service_start",
        &form.service_start,
        "服务开始日期",
    );
    let end = date(
        &mut errors,
        "service_end",
        &form.service_end,
        "服务结束日期",
    );
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            errors.add("service_end", "服务结束日期不能早于开始日期");
        } else if s < policy_start || e > policy_end {
            errors.add(
                "service_end",
                format!("服务期限须在保险期间 {policy_start} 至 {policy_end} 之内"),
            );
        }
    }
    let note = errors.take("note", field::text(&form.note, "说明", 1000, false));
    let mut plan = Vec::new();
    for item in ServiceItem::ALL {
        let raw = form.plan_value(&item);
        let raw = if raw.trim().is_empty() { "0" } else { raw };
        if let Some(n) = errors.take(item.plan_field(), field::count(raw, item.label(), 0, 1000)) {
            plan.push((item, n));
        }
    }
    if errors.is_empty() && plan.iter().all(|(_, n)| *n == 0) {
        errors.add("plan_training", "服务方案至少包含一项服务");
    }
    match (agency, start, end, note) {
        (Some(agency_id), Some(service_start), Some(service_end), Some(note))
            if errors.is_empty() =>
        {
            Ok(Designation {
                agency_id,
                service_start,
                service_end,
                note,
                plan,
            })
        }
        _ => Err(CoreError::Validation(errors)),
    }
}

/// 订单号: `FW` + designation date + the row id, readable on the phone and unique by construction.
pub fn order_number(designated_at: DateTime<Utc>, id: OrderId) -> String {
    let local = designated_at + Duration::hours(8);
    format!("FW{}{:06}", local.format("%Y%m%d"), id.0)
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub policy_id: PolicyId,
    pub insurer_id: OrgId,
    pub enterprise_id: OrgId,
    pub region_code: String,
    pub designation: Designation,
    pub designated_at: DateTime<Utc>,
    pub designated_by: AccountId,
}

/// A state change as the store applies it: only if the order is still in `from`.
#[derive(Debug, Clone)]
pub struct Transition {
    pub from: OrderState,
    pub to: OrderState,
    pub at: DateTime<Utc>,
    pub by: AccountId,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    pub order_no: String,
    pub policy_no: String,
    /// 企业名称, partial
    pub enterprise: String,
    /// 保险机构 / 服务机构 (ids), for parties that see several
    pub insurer: String,
    pub agency: String,
    pub state: String,
    /// 指派日期 range, inclusive
    pub from: String,
    pub to: String,
    /// 区划 code: that region and the regions below it (`region::filter`)
    pub region: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub order_no: Option<String>,
    pub policy_no: Option<String>,
    pub enterprise: Option<String>,
    pub insurer: Option<OrgId>,
    pub agency: Option<OrgId>,
    pub state: Option<OrderState>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The enterprise's region among these (set by the service from `OrderFilter::region`).
    pub regions: Option<Vec<String>>,
}

impl OrderFilter {
    pub fn query(&self) -> CoreResult<OrderQuery> {
        let mut errors = FieldErrors::new();
        let from = errors.optional_date("from", &self.from);
        let to = errors.optional_date("to", &self.to);
        let text = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.chars().take(50).collect::<String>())
        };
        errors.into_result(OrderQuery {
            order_no: text(&self.order_no),
            policy_no: text(&self.policy_no),
            enterprise: text(&self.enterprise),
            insurer: self.insurer.trim().parse::<i64>().ok().map(OrgId),
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            state: OrderState::from_code(self.state.trim()),
            from: from.map(crate::time::start_of_day),
            until: to.map(|d| crate::time::start_of_day(d) + Duration::days(1)),
            regions: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction::*;
    use OrderState::*;

    #[test]
    fn every_allowed_move() {
        assert_eq!(Pending.apply(Accept), Ok(Accepted));
        assert_eq!(Pending.apply(Decline), Ok(Declined));
        assert_eq!(Pending.apply(Cancel), Ok(Cancelled));
        assert_eq!(Accepted.apply(Complete), Ok(Completed));
    }

    #[test]
    fn every_refused_move_says_why() {
        let allowed = [
            (Pending, Accept),
            (Pending, Decline),
            (Pending, Cancel),
            (Accepted, Complete),
        ];
        for state in OrderState::ALL {
            for action in [Accept, Decline, Cancel, Complete] {
                if allowed.contains(&(state, action)) {
                    continue;
                }
                let err = state.apply(action).unwrap_err();
                assert!(err.contains(state.label()), "{state:?} {action:?}: {err}");
            }
        }
        assert_eq!(
            Accepted.apply(Accept).unwrap_err(),
            "该订单当前状态为“已受理”,不能受理"
        );
    }

    #[test]
    fn designation_fits_the_policy_period() {
        let d = |s: &str| parse_date(s).unwrap();
        let mut form = DesignateForm::suggested(d("2026-01-01"), d("2026-12-31"));
        form.agency_id = "7".into();
        let ok = parse_designation(&form, d("2026-01-01"), d("2026-12-31")).unwrap();
        assert_eq!(ok.plan.len(), 7);
        form.service_end = "2027-01-31".into();
        let Err(CoreError::Validation(e)) =
            parse_designation(&form, d("2026-01-01"), d("2026-12-31"))
        else {
            panic!()
        };
        assert!(e.get("service_end").unwrap().contains("保险期间"));
        let mut empty = DesignateForm::suggested(d("2026-01-01"), d("2026-12-31"));
        empty.agency_id = "7".into();
        for item in ServiceItem::ALL {
            match item {
                ServiceItem::Training => empty.plan_training = "0".into(),
                ServiceItem::RiskIdentification => empty.plan_risk = "0".into(),
                ServiceItem::HazardInvestigation => empty.plan_hazard = "-1".into(),
                ServiceItem::Emergency => empty.plan_emergency = "x".into(),
                _ => {}
            }
        }
        let Err(CoreError::Validation(e)) =
            parse_designation(&empty, d("2026-01-01"), d("2026-12-31"))
        else {
            panic!()
        };
        assert!(e.get("plan_hazard").is_some() && e.get("plan_emergency").is_some());
    }

    #[test]
    fn order_numbers_are_readable_and_dated_in_china_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(order_number(at, OrderId(42)), "FW20261129000042");
    }
}
