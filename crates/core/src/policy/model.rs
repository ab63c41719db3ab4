use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field::{self, Money, Ratio};
use crate::ids::{OrgId, PolicyId};
use crate::time::parse_date;

/// The regulation caps accident-prevention spending at 21% of the premium.
pub const MAX_PREVENTION_PERCENT: i32 = 21;
/// Premiums and limits above this are typing mistakes, not policies.
pub const MAX_AMOUNT_YUAN: i64 = 10_000_000_000;
/// Policies run at most this long (multi-year construction projects included).
pub const MAX_TERM_DAYS: i64 = 366 * 5;
/// A policy ending within this many days is 即将到期.
pub const EXPIRING_DAYS: i64 = 30;

/// 保单状态, computed from the dates and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyStatus {
    /// 未生效
    NotYetEffective,
    /// 有效
    Active,
    /// 即将到期
    ExpiringSoon,
    /// 已过期
    Expired,
}

impl PolicyStatus {
    pub const ALL: [PolicyStatus; 4] = [
        PolicyStatus::NotYetEffective,
        PolicyStatus::Active,
        PolicyStatus::ExpiringSoon,
        PolicyStatus::Expired,
    ];

    pub fn of(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Self {
        if today < start {
            PolicyStatus::NotYetEffective
        } else if today > end {
            PolicyStatus::Expired
        } else if end - today < Duration::days(EXPIRING_DAYS) {
            PolicyStatus::ExpiringSoon
        } else {
            PolicyStatus::Active
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PolicyStatus::NotYetEffective => "pending",
            PolicyStatus::Active => "active",
            PolicyStatus::ExpiringSoon => "expiring",
            PolicyStatus::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            PolicyStatus::NotYetEffective => "未生效",
            PolicyStatus::Active => "有效",
            PolicyStatus::ExpiringSoon => "即将到期",
            PolicyStatus::Expired => "已过期",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            PolicyStatus::NotYetEffective => "tag-info",
            PolicyStatus::Active => "tag-success",
            PolicyStatus::ExpiringSoon => "tag-warning",
            PolicyStatus::Expired => "tag-danger",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub id: PolicyId,
    pub insurer_id: OrgId,
    pub insurer_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub enterprise_credit_code: String,
    /// The enterprise's region, copied so regulators' lists filter on the policy row itself.
    pub region_code: String,
    pub policy_no: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub premium: Money,
    pub total_limit: Money,
    pub per_person_limit: Money,
    pub insured_count: i64,
    pub prevention_ratio: Ratio,
    pub created_at: DateTime<Utc>,
}

impl Policy {
    pub fn status(&self, today: NaiveDate) -> PolicyStatus {
        PolicyStatus::of(self.start_date, self.end_date, today)
    }

    /// 事故预防费用
    pub fn prevention_amount(&self) -> Money {
        self.prevention_ratio.apply(self.premium)
    }

    pub fn period(&self) -> String {
        format!("{} 至 {}", self.start_date, self.end_date)
    }
}

/// The policy form as typed; the enterprise is chosen by its credit code.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    pub policy_no: String,
    pub enterprise_credit_code: String,
    pub start_date: String,
    pub end_date: String,
    pub premium: String,
    pub total_limit: String,
    pub per_person_limit: String,
    pub insured_count: String,
    pub prevention_ratio: String,
}

impl PolicyForm {
    pub fn from_policy(p: &Policy) -> Self {
        Self {
            policy_no: p.policy_no.clone(),
            enterprise_credit_code: p.enterprise_credit_code.clone(),
            start_date: p.start_date.to_string(),
            end_date: p.end_date.to_string(),
            premium: p.premium.plain(),
            total_limit: p.total_limit.plain(),
            per_person_limit: p.per_person_limit.plain(),
            insured_count: p.insured_count.to_string(),
            prevention_ratio: p.prevention_ratio.plain(),
        }
    }
}

/// Validated policy terms (everything but the parties).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyTerms {
    pub policy_no: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub premium: Money,
    pub total_limit: Money,
    pub per_person_limit: Money,
    pub insured_count: i64,
    pub prevention_ratio: Ratio,
}

/// 保单号: letters, digits and `-_/`, as insurers print them.
pub fn parse_policy_no(raw: &str) -> Result<String, String> {
    let v = field::text(&field::typed::half_width(raw), "保单号", 40, true)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'))
    {
        return Err("保单号只能包含字母、数字和 - _ /".into());
    }
    Ok(v)
}

impl PolicyTerms {
    /// Parses every field, collecting errors under their form field names.
    pub fn parse(form: &PolicyForm, errors: &mut FieldErrors) -> Option<Self> {
        let policy_no = errors.take("policy_no", parse_policy_no(&form.policy_no));
        let start = errors.take("start_date", required_date(&form.start_date, "保险起期"));
        let end = errors.take("end_date", required_date(&form.end_date, "保险止期"));
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                errors.add("end_date", "保险止期不能早于保险起期");
            } else if e - s > Duration::days(MAX_TERM_DAYS) {
                errors.add("end_date", "保险期间不能超过 5 年");
            }
        }
        let premium = errors.take(
            "premium",
            Money::parse(&form.premium, "保费", MAX_AMOUNT_YUAN),
        );
        if premium.is_some_and(|p| p.cents() == 0) {
            errors.add("premium", "保费应大于 0");
        }
        let total = errors.take(
            "total_limit",
            Money::parse(&form.total_limit, "累计责任限额", MAX_AMOUNT_YUAN),
        );
        let per_person = errors.take(
            "per_person_limit",
            Money::parse(&form.per_person_limit, "每人责任限额", MAX_AMOUNT_YUAN),
        );
        if let (Some(t), Some(p)) = (total, per_person)
            && p > t
        {
            errors.add("per_person_limit", "每人责任限额不能超过累计责任限额");
        }
        let insured = errors.take(
            "insured_count",
            field::count(&form.insured_count, "参保人数", 1, 1_000_000),
        );
        let ratio = errors.take(
            "prevention_ratio",
            Ratio::parse_percent(
                &form.prevention_ratio,
                "事故预防费用比例",
                MAX_PREVENTION_PERCENT,
            ),
        );
        Some(Self {
            policy_no: policy_no?,
            start_date: start?,
            end_date: end?,
            premium: premium?,
            total_limit: total?,
            per_person_limit: per_person?,
            insured_count: insured?,
            prevention_ratio: ratio?,
        })
        .filter(|_| errors.is_empty())
    }

    pub fn diff(&self, before: &Policy) -> String {
        let mut changes = Vec::new();
        let mut cmp = |label: &str, old: String, new: String| {
            if old != new {
                changes.push(format!("{label}: {old} → {new}"));
            }
        };
        cmp("保单号", before.policy_no.clone(), self.policy_no.clone());
        cmp(
            "保险起期",
            before.start_date.to_string(),
            self.start_date.to_string(),
        );
        cmp(
            "保险止期",
            before.end_date.to_string(),
            self.end_date.to_string(),
        );
        cmp("保费", before.premium.to_string(), self.premium.to_string());
        cmp(
            "累计责任限额",
            before.total_limit.to_string(),
            self.total_limit.to_string(),
        );
        cmp(
            "每人责任限额",
            before.per_person_limit.to_string(),
            self.per_person_limit.to_string(),
        );
        cmp(
            "参保人数",
            before.insured_count.to_string(),
            self.insured_count.to_string(),
        );
        cmp(
            "事故预防费用比例",
            before.prevention_ratio.to_string(),
            self.prevention_ratio.to_string(),
        );
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        }
    }
}

fn required_date(raw: &str, label: &str) -> Result<NaiveDate, String> {
    if raw.trim().is_empty() {
        return Err(format!("请填写{label}"));
    }
    parse_date(raw).map_err(|m| format!("{label}{m}"))
}

pub fn parse_form(form: &PolicyForm) -> CoreResult<PolicyTerms> {
    let mut errors = FieldErrors::new();
    if form.enterprise_credit_code.trim().is_empty() {
        errors.add("enterprise_credit_code", "请填写投保企业的统一社会信用代码");
    }
    match PolicyTerms::parse(form, &mut errors) {
        Some(t) if errors.is_empty() => Ok(t),
        _ => Err(CoreError::Validation(errors)),
    }
}

#[derive(Debug, Clone)]
pub struct NewPolicy {
    pub insurer_id: OrgId,
    pub enterprise_id: OrgId,
    pub region_code: String,
    pub terms: PolicyTerms,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyFilter {
    /// 保单号 or 企业名称
    pub q: String,
    pub status: String,
    /// 保险期间 overlaps [from, to]
    pub from: String,
    pub to: String,
    /// Platform and regulators: one insurer.
    pub insurer: String,
}

/// The filter as the store applies it.
#[derive(Debug, Clone, Default)]
pub struct PolicyQuery {
    pub q: Option<String>,
    pub status: Option<PolicyStatus>,
    pub today: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub insurer: Option<OrgId>,
}

impl PolicyFilter {
    pub fn query(&self, today: NaiveDate) -> CoreResult<PolicyQuery> {
        let mut errors = FieldErrors::new();
        let from = errors.optional_date("from", &self.from);
        let to = errors.optional_date("to", &self.to);
        let q = self.q.trim();
        errors.into_result(PolicyQuery {
            q: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            status: PolicyStatus::from_code(self.status.trim()),
            today: Some(today),
            from,
            to,
            insurer: self.insurer.trim().parse::<i64>().ok().map(OrgId),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn form() -> PolicyForm {
        PolicyForm {
            policy_no: "PICC-2026-0001".into(),
            enterprise_credit_code: "x".into(),
            start_date: "2026-01-01".into(),
            end_date: "2026-12-31".into(),
            premium: "20000".into(),
            total_limit: "5000000".into(),
            per_person_limit: "500000".into(),
            insured_count: "120".into(),
            prevention_ratio: "15".into(),
        }
    }

    #[test]
    fn status_follows_the_dates() {
        let (s, e) = (d("2026-01-01"), d("2026-12-31"));
        assert_eq!(
            PolicyStatus::of(s, e, d("2025-12-31")),
            PolicyStatus::NotYetEffective
        );
        assert_eq!(
            PolicyStatus::of(s, e, d("2026-01-01")),
            PolicyStatus::Active
        );
        assert_eq!(
            PolicyStatus::of(s, e, d("2026-12-10")),
            PolicyStatus::ExpiringSoon
        );
        assert_eq!(
            PolicyStatus::of(s, e, d("2026-12-31")),
            PolicyStatus::ExpiringSoon
        );
        assert_eq!(
            PolicyStatus::of(s, e, d("2027-01-01")),
            PolicyStatus::Expired
        );
    }

    #[test]
    fn prevention_amount_is_premium_times_ratio() {
        let t = parse_form(&form()).unwrap();
        assert_eq!(t.prevention_ratio.apply(t.premium).to_string(), "¥3,000.00");
    }

    #[test]
    fn refuses_inverted_dates_and_absurd_numbers() {
        let mut f = form();
        f.end_date = "2025-12-31".into();
        f.premium = "-5".into();
        f.prevention_ratio = "80".into();
        f.per_person_limit = "9000000".into();
        f.policy_no = "PICC 0001;".into();
        let Err(CoreError::Validation(e)) = parse_form(&f) else {
            panic!()
        };
        assert_eq!(e.get("end_date"), Some("保险止期不能早于保险起期"));
        assert!(e.get("premium").is_some());
        assert!(e.get("prevention_ratio").unwrap().contains("21"));
        assert!(e.get("per_person_limit").is_some());
        assert!(e.get("policy_no").is_some());
    }
}
