use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::ids::{AccountId, OrderId, OrgId, RatingId};
use crate::order::ServiceOrder;
use crate::service_item::ServiceItem;
use crate::time::{china, parse_date};

/// How a rating reached the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RatingSource {
    /// 企业评价: the enterprise's own account.
    Enterprise,
    /// 电话回访: the insurer called and recorded what the enterprise said.
    Phone,
}

impl RatingSource {
    pub const ALL: [RatingSource; 2] = [RatingSource::Enterprise, RatingSource::Phone];

    pub fn code(self) -> &'static str {
        match self {
            RatingSource::Enterprise => "enterprise",
            RatingSource::Phone => "phone",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            RatingSource::Enterprise => "企业评价",
            RatingSource::Phone => "电话回访",
        }
    }
}

/// A score from 1 (很不满意) to 5 (很满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Score(u8);

impl Score {
    pub fn new(v: u8) -> Option<Self> {
        (1..=5).contains(&v).then_some(Self(v))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        score_label(self.0)
    }

    fn parse(raw: &str, what: &str) -> Result<Self, String> {
        raw.trim()
            .parse::<u8>()
            .ok()
            .and_then(Score::new)
            .ok_or_else(|| format!("请为{what}选择 1–5 分"))
    }
}

/// The words next to each score on the form.
pub fn score_label(v: u8) -> &'static str {
    match v {
        5 => "很满意",
        4 => "满意",
        3 => "一般",
        2 => "不满意",
        _ => "很不满意",
    }
}

/// One delivered item's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ItemScore {
    pub item: ServiceItem,
    pub score: Score,
}

/// 电话回访: who was called, when, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// 回访时间
    pub called_at: DateTime<Utc>,
    /// 受访人 (the enterprise's person on the phone)
    pub callee: String,
    /// 回访人 (the insurer's account)
    pub caller_name: String,
}

/// A saved rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub id: RatingId,
    pub order_id: OrderId,
    pub order_no: String,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub insurer_id: OrgId,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub source: RatingSource,
    /// 总体评价
    pub overall: Score,
    /// 分项评价, the items delivered when it was given
    pub items: Vec<ItemScore>,
    /// 意见建议 (the enterprise) or 回访记录 (what was said on the phone)
    pub comment: String,
    pub call: Option<Call>,
    pub created_by: AccountId,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

/// A rating to store, parsed from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRating {
    pub order_id: OrderId,
    pub source: RatingSource,
    pub overall: Score,
    pub items: Vec<ItemScore>,
    pub comment: String,
    pub call: Option<Call>,
}

/// The rating form: `overall`, one `item_<code>` per delivered item, `comment`, and for a phone
/// call `callee` and `called_at` (`2026-11-30T10:20`, China time).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingForm {
    pub overall: String,
    pub comment: String,
    pub callee: String,
    pub called_at: String,
    /// `(item code, score)` of the per-item rows.
    #[serde(skip)]
    pub item_scores: Vec<(String, String)>,
}

impl RatingForm {
    /// Reads the form's pairs; the per-item scores come as `item_<code>`.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = RatingForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "overall" => form.overall = v.clone(),
                "comment" => form.comment = v.clone(),
                "callee" => form.callee = v.clone(),
                "called_at" => form.called_at = v.clone(),
                _ => {
                    if let Some(code) = k.strip_prefix("item_") {
                        form.item_scores.push((code.to_string(), v.clone()));
                    }
                }
            }
        }
        form
    }

    pub fn item_score(&self, item: &ServiceItem) -> &str {
        self.item_scores
            .iter()
            .find(|(c, _)| c == item.code())
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Parses the form for `order`, whose delivered items must each be scored.
    pub fn parse(
        &self,
        order: &ServiceOrder,
        source: RatingSource,
        caller_name: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<NewRating> {
        let mut e = FieldErrors::new();
        let overall = e.take("overall", Score::parse(&self.overall, "总体评价"));
        let mut items = Vec::new();
        for item in delivered_items(order) {
            let field = item_field(item);
            match Score::parse(self.item_score(&item), item.label()) {
                Ok(score) => items.push(ItemScore { item, score }),
                Err(m) => e.add(field, m),
            }
        }
        let comment = self.comment.trim();
        let max = 1000;
        if comment.chars().count() > max {
            e.add("comment", format!("不能超过 {max} 字"));
        }
        let call = match source {
            RatingSource::Enterprise => None,
            RatingSource::Phone => {
                let callee = self.callee.trim();
                if callee.is_empty() {
                    e.add("callee", "请填写受访人");
                } else if callee.chars().count() > 50 {
                    e.add("callee", "受访人不能超过 50 字");
                }
                if comment.is_empty() {
                    e.add("comment", "请填写回访记录");
                }
                let at = e.take("called_at", parse_call_time(&self.called_at, now));
                at.map(|called_at| Call {
                    called_at,
                    callee: callee.to_string(),
                    caller_name: caller_name.to_string(),
                })
            }
        };
        match overall {
            Some(overall) if e.is_empty() => Ok(NewRating {
                order_id: order.id,
                source,
                overall,
                items,
                comment: comment.to_string(),
                call,
            }),
            _ => Err(CoreError::Validation(e)),
        }
    }
}

/// The form field of an item's score.
pub fn item_field(item: ServiceItem) -> &'static str {
    match item {
        ServiceItem::Training => "item_training",
        ServiceItem::RiskIdentification => "item_risk",
        ServiceItem::HazardInvestigation => "item_hazard",
        ServiceItem::Standardization => "item_standardization",
        ServiceItem::Emergency => "item_emergency",
        ServiceItem::Promotion => "item_promotion",
        ServiceItem::OtherWork => "item_other",
    }
}

/// The items the agency delivered on the order (at least one record), which are rated one by one.
pub fn delivered_items(order: &ServiceOrder) -> Vec<ServiceItem> {
    order
        .plan
        .iter()
        .filter(|p| p.done > 0)
        .map(|p| p.item)
        .collect()
}

/// `2026-11-30T10:20` (a `datetime-local` input) or `2026-11-30 10:20`, China time, not in the
/// future and not before the service could have started.
fn parse_call_time(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("请填写回访时间".into());
    }
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| "回访时间格式应为 2026-11-30 10:20".to_string())?;
    let at = local
        .and_local_timezone(china())
        .single()
        .ok_or_else(|| "回访时间无效".to_string())?
        .with_timezone(&Utc);
    if at > now + Duration::minutes(5) {
        return Err("回访时间不能晚于现在".into());
    }
    Ok(at)
}

/// An agency's score over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyScore {
    pub agency_id: OrgId,
    pub agency_name: String,
    pub ratings: u64,
    /// Sum of overall scores, so averages are exact.
    pub overall_sum: u64,
    /// Ratings of 1 or 2 (不满意), the ones an insurer follows up.
    pub unsatisfied: u64,
    /// Per item: (item, ratings, sum).
    pub items: Vec<(ServiceItem, u64, u64)>,
}

impl AgencyScore {
    /// `4.35`; `—` without ratings.
    pub fn average_label(&self) -> String {
        average(self.overall_sum, self.ratings)
    }

    /// The average score of one item; `—` when nobody rated it.
    pub fn item_average(&self, item: &ServiceItem) -> String {
        self.items
            .iter()
            .find(|(i, _, _)| i == item)
            .map(|(_, n, sum)| average(*sum, *n))
            .unwrap_or_else(|| "—".into())
    }
}

fn average(sum: u64, n: u64) -> String {
    if n == 0 {
        return "—".into();
    }
    let hundredths = (sum * 100 + n / 2) / n;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The period of the score table, as the query string gives it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SatisfactionFilter {
    /// `month`, `quarter`, `year` or `custom` (with `from` and `to`); default this quarter.
    pub period: String,
    pub from: String,
    pub to: String,
    pub agency: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfactionQuery {
    /// First and last day, China time, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub agency: Option<OrgId>,
    pub source: Option<RatingSource>,
}

impl SatisfactionQuery {
    pub fn since(&self) -> DateTime<Utc> {
        crate::time::start_of_day(self.from)
    }

    pub fn before(&self) -> DateTime<Utc> {
        crate::time::start_of_day(self.to + Duration::days(1))
    }
}

impl SatisfactionFilter {
    pub fn query(&self, today: NaiveDate) -> CoreResult<SatisfactionQuery> {
        let mut e = FieldErrors::new();
        let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today);
        let (from, to) = match self.period.trim() {
            "month" => (first_of(today.year(), today.month()), today),
            "year" => (first_of(today.year(), 1), today),
            "custom" => {
                let mut date = |field: &'static str, raw: &str| {
                    if raw.trim().is_empty() {
                        e.add(field, "请选择日期");
                        None
                    } else {
                        e.take(field, parse_date(raw))
                    }
                };
                let from = date("from", &self.from);
                let to = date("to", &self.to);
                match (from, to) {
                    (Some(f), Some(t)) if f <= t => (f, t),
                    (Some(_), Some(_)) => {
                        e.add("to", "结束日期不能早于开始日期");
                        (today, today)
                    }
                    _ => (today, today),
                }
            }
            // 本季 by default.
            _ => (
                first_of(today.year(), (today.month() - 1) / 3 * 3 + 1),
                today,
            ),
        };
        e.into_result(SatisfactionQuery {
            from,
            to,
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            source: RatingSource::from_code(self.source.trim()),
        })
    }

    /// The period selector's current choice.
    pub fn period_code(&self) -> &str {
        match self.period.trim() {
            p @ ("month" | "year" | "custom") => p,
            _ => "quarter",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{OrderState, PlanItem};

    fn order(done: &[(ServiceItem, i64)]) -> ServiceOrder {
        ServiceOrder {
            id: OrderId(1),
            order_no: "O-1".into(),
            policy_id: crate::ids::PolicyId(1),
            policy_no: "P".into(),
            insurer_id: OrgId(2),
            insurer_name: String::new(),
            agency_id: OrgId(3),
            agency_name: String::new(),
            enterprise_id: OrgId(4),
            enterprise_name: String::new(),
            region_code: String::new(),
            state: OrderState::Completed,
            service_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            service_end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            note: String::new(),
            decline_reason: None,
            designated_at: DateTime::UNIX_EPOCH,
            designated_by: String::new(),
            accepted_at: None,
            completed_at: None,
            plan: done
                .iter()
                .map(|(item, d)| PlanItem {
                    item: *item,
                    planned: 2,
                    done: *d,
                    confirmed: 0,
                })
                .collect(),
            assignees: vec![],
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn now() -> DateTime<Utc> {
        "2026-11-30T04:00:00Z".parse().unwrap()
    }

    #[test]
    fn every_delivered_item_is_scored_and_undelivered_ones_are_not_asked() {
        let o = order(&[(ServiceItem::Training, 1), (ServiceItem::Emergency, 0)]);
        let form = RatingForm::from_pairs(&pairs(&[("overall", "4"), ("comment", " 很好 ")]));
        let err = form
            .parse(&o, RatingSource::Enterprise, "", now())
            .unwrap_err();
        let CoreError::Validation(e) = err else {
            panic!()
        };
        assert_eq!(e.get("item_training"), Some("请为安全培训选择 1–5 分"));
        assert_eq!(e.get("item_emergency"), None);
        let form = RatingForm::from_pairs(&pairs(&[
            ("overall", "4"),
            ("item_training", "5"),
            ("comment", " 很好 "),
        ]));
        let r = form.parse(&o, RatingSource::Enterprise, "", now()).unwrap();
        assert_eq!(r.overall.value(), 4);
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.comment, "很好");
        assert_eq!(r.call, None);
        for bad in ["0", "6", "五", ""] {
            let form = RatingForm::from_pairs(&pairs(&[("overall", bad), ("item_training", "5")]));
            assert!(form.parse(&o, RatingSource::Enterprise, "", now()).is_err());
        }
    }

    #[test]
    fn a_phone_call_needs_who_when_and_what_was_said() {
        let o = order(&[(ServiceItem::Training, 1)]);
        let base = [("overall", "3"), ("item_training", "3")];
        let form = RatingForm::from_pairs(&pairs(&base));
        let CoreError::Validation(e) = form
            .parse(&o, RatingSource::Phone, "回访员", now())
            .unwrap_err()
        else {
            panic!()
        };
        for f in ["callee", "comment", "called_at"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let mut p = base.to_vec();
        p.extend([
            ("callee", "陈主任"),
            ("comment", "对培训满意,希望增加现场演练"),
            ("called_at", "2026-11-30T10:20"),
        ]);
        let r = RatingForm::from_pairs(&pairs(&p))
            .parse(&o, RatingSource::Phone, "回访员", now())
            .unwrap();
        let call = r.call.unwrap();
        assert_eq!(
            call.called_at,
            "2026-11-30T02:20:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(call.callee, "陈主任");
        // Tomorrow's call is refused.
        p.retain(|(k, _)| *k != "called_at");
        p.push(("called_at", "2026-12-01 09:00"));
        assert!(
            RatingForm::from_pairs(&pairs(&p))
                .parse(&o, RatingSource::Phone, "x", now())
                .is_err()
        );
    }

    #[test]
    fn periods_and_averages() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let q = SatisfactionFilter::default().query(today).unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        let q = SatisfactionFilter {
            period: "month".into(),
            ..Default::default()
        }
        .query(today)
        .unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let q = SatisfactionFilter {
            period: "year".into(),
            ..Default::default()
        }
        .query(today)
        .unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let bad = SatisfactionFilter {
            period: "custom".into(),
            from: "2026-11-10".into(),
            to: "2026-11-01".into(),
            ..Default::default()
        };
        assert!(bad.query(today).is_err());
        assert_eq!(average(13, 3), "4.33");
        assert_eq!(average(0, 0), "—");
    }
}
