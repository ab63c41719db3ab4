use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{AccountId, HazardId, OrderId, OrgId, RecordId};
use crate::record::Choice;
use crate::time::parse_date;

/// 隐患状态
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum HazardState {
    /// 待整改
    PendingRectification,
    /// 待复查
    PendingReview,
    /// 已销号
    Closed,
}

impl HazardState {
    pub const ALL: [HazardState; 3] = [
        HazardState::PendingRectification,
        HazardState::PendingReview,
        HazardState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            HazardState::PendingRectification => "rectify",
            HazardState::PendingReview => "review",
            HazardState::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            HazardState::PendingRectification => "待整改",
            HazardState::PendingReview => "待复查",
            HazardState::Closed => "已销号",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            HazardState::PendingRectification => "tag-warning",
            HazardState::PendingReview => "",
            HazardState::Closed => "tag-success",
        }
    }
}

/// 隐患等级
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum HazardLevel {
    /// 一般隐患
    General,
    /// 重大隐患
    Major,
}

impl HazardLevel {
    pub const ALL: [HazardLevel; 2] = [HazardLevel::General, HazardLevel::Major];

    /// 重大隐患: highlighted everywhere and closed only with a 治理方案.
    pub fn is_major(self) -> bool {
        self == HazardLevel::Major
    }

    pub fn code(self) -> &'static str {
        match self {
            HazardLevel::General => "general",
            HazardLevel::Major => "major",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            HazardLevel::General => "一般隐患",
            HazardLevel::Major => "重大隐患",
        }
    }
}

/// 整改前照片: a hazard is recorded with photos of it.
pub const BEFORE_PHOTOS: crate::attachment::FileRule = crate::attachment::FileRule {
    field: "before",
    label: "整改前照片",
    allowed: crate::attachment::IMAGES,
    required: true,
    max_files: 10,
};

/// 整改后照片, stored per round as `after_1`, `after_2`, …
pub const AFTER_PHOTOS: crate::attachment::FileRule = crate::attachment::FileRule {
    field: "after",
    label: "整改后照片",
    allowed: crate::attachment::IMAGES,
    required: true,
    max_files: 10,
};

/// 治理方案: a 重大 hazard closes only with one on file.
pub const PLAN: crate::attachment::FileRule = crate::attachment::FileRule {
    field: "plan",
    label: "治理方案",
    allowed: crate::attachment::DOCUMENTS,
    required: false,
    max_files: 5,
};

/// The stored field of a round's after-photos.
pub fn after_field(round: i32) -> String {
    format!("after_{round}")
}

/// 隐患类别
pub const CATEGORIES: &[Choice] = &[
    ("management", "安全管理"),
    ("site", "作业场所"),
    ("equipment", "设备设施"),
    ("chemicals", "危险化学品"),
    ("fire", "消防安全"),
    ("electric", "用电安全"),
    ("special_equipment", "特种设备"),
    ("occupational", "职业卫生"),
    ("other", "其他"),
];

pub fn category_label(code: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| *l)
}

/// What can happen to a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HazardAction {
    /// 整改
    Rectify,
    /// 复查通过 (销号)
    Pass,
    /// 复查不通过
    Fail,
}

impl HazardAction {
    pub fn label(self) -> &'static str {
        match self {
            HazardAction::Rectify => "整改",
            HazardAction::Pass => "复查销号",
            HazardAction::Fail => "复查",
        }
    }
}

impl HazardState {
    /// The closed loop: 待整改 → 整改 → 待复查 → 复查通过 = 已销号, or 复查不通过 → 待整改.
    pub fn apply(self, action: HazardAction) -> Result<HazardState, String> {
        use HazardAction::*;
        use HazardState::*;
        match (self, action) {
            (PendingRectification, Rectify) => Ok(PendingReview),
            (PendingReview, Pass) => Ok(Closed),
            (PendingReview, Fail) => Ok(PendingRectification),
            (state, action) => Err(format!(
                "该隐患当前状态为“{}”,不能{}",
                state.label(),
                action.label()
            )),
        }
    }
}

/// One 整改 or 复查 of a round.
#[derive(Debug, Clone, Serialize)]
pub struct HazardStep {
    pub round: i32,
    pub kind: StepKind,
    pub on: NaiveDate,
    pub note: String,
    /// 复查结论: passed or not (reviews only).
    pub passed: Option<bool>,
    /// 复查人 (reviews only)
    pub reviewer: Option<String>,
    pub by_name: String,
    /// 整改 steps: who rectified (none on steps recorded before this was kept).
    pub party: Option<Rectifier>,
    pub at: DateTime<Utc>,
    pub step_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepKind {
    Rectification,
    Review,
}

impl StepKind {
    pub fn code(self) -> &'static str {
        match self {
            StepKind::Rectification => "rectify",
            StepKind::Review => "review",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Rectification => "整改",
            StepKind::Review => "复查",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hazard {
    pub id: HazardId,
    /// 隐患编号
    pub hazard_no: String,
    pub inspection_id: RecordId,
    pub order_id: OrderId,
    pub order_no: String,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub insurer_id: OrgId,
    pub insurer_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub region_code: String,
    /// 发现日期 (the inspection's date)
    pub found_on: NaiveDate,
    /// 隐患描述
    pub description: String,
    /// 隐患位置
    pub location: String,
    /// 隐患类别 (code)
    pub category: String,
    /// 隐患等级
    pub level: HazardLevel,
    /// 判定依据
    pub basis: String,
    /// 整改建议
    pub suggestion: String,
    /// 整改期限
    pub deadline: NaiveDate,
    /// 整改责任人
    pub responsible: String,
    pub state: HazardState,
    /// 整改轮次: 1, or more after failed reviews.
    pub round: i32,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub steps: Vec<HazardStep>,
}

impl Hazard {
    /// 逾期: past the deadline and not closed. Computed, never stored.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state != HazardState::Closed && today > self.deadline
    }

    pub fn category_label(&self) -> &str {
        category_label(&self.category)
    }

    /// Its 整改前照片, and the 整改后照片 of every round (earliest round first), among `files`
    /// (the files of one or more hazards; documents such as the 治理方案 are no photos).
    pub fn photos(
        &self,
        files: &[crate::attachment::Attachment],
    ) -> (
        Vec<crate::attachment::Attachment>,
        Vec<crate::attachment::Attachment>,
    ) {
        let mine = || {
            files.iter().filter(|a| {
                a.owner.kind == crate::attachment::OwnerKind::Hazard
                    && a.owner.id == self.id.0
                    && a.is_image()
            })
        };
        let before = mine()
            .filter(|a| a.field == BEFORE_PHOTOS.field)
            .cloned()
            .collect();
        let mut after: Vec<(i32, &crate::attachment::Attachment)> = mine()
            .filter_map(|a| Some((a.field.strip_prefix("after_")?.parse::<i32>().ok()?, a)))
            .collect();
        after.sort_by_key(|(round, a)| (*round, a.id.0));
        (before, after.into_iter().map(|(_, a)| a.clone()).collect())
    }

    /// The latest 复查, if the hazard has been reviewed.
    pub fn last_review(&self) -> Option<&HazardStep> {
        self.steps.iter().rev().find(|s| s.kind == StepKind::Review)
    }

    pub fn last_rectified_on(&self) -> Option<NaiveDate> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.kind == StepKind::Rectification)
            .map(|s| s.on)
    }
}

/// 新增隐患 as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HazardForm {
    pub description: String,
    pub location: String,
    pub category: String,
    pub level: String,
    pub basis: String,
    pub suggestion: String,
    pub deadline: String,
    pub responsible: String,
    /// "1": 即查即改, recorded together with its rectification.
    pub immediate: String,
    pub rectify_note: String,
    pub rectified_on: String,
    /// The 不符合 checklist item the hazard is registered from (empty: none).
    pub check: String,
}

impl HazardForm {
    pub fn is_immediate(&self) -> bool {
        self.immediate == "1"
    }
}

#[derive(Debug, Clone)]
pub struct HazardInput {
    pub description: String,
    pub location: String,
    pub category: String,
    pub level: HazardLevel,
    pub basis: String,
    pub suggestion: String,
    pub deadline: NaiveDate,
    pub responsible: String,
    /// 即查即改: the rectification recorded with the hazard.
    pub rectification: Option<Rectification>,
    /// The 不符合 checklist item it is registered from.
    pub check: Option<crate::ids::CheckId>,
}

/// How a 整改通知书 was signed for (签收).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReceiptVia {
    /// 企业账号签收
    Account,
    /// 现场签字
    OnSite,
}

impl ReceiptVia {
    pub fn code(self) -> &'static str {
        match self {
            ReceiptVia::Account => "account",
            ReceiptVia::OnSite => "onsite",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [ReceiptVia::Account, ReceiptVia::OnSite]
            .into_iter()
            .find(|v| v.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReceiptVia::Account => "企业账号签收",
            ReceiptVia::OnSite => "现场签字",
        }
    }
}

/// The enterprise's 签收 of the 整改通知书 of one inspection.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeReceipt {
    pub via: ReceiptVia,
    /// 签收人
    pub signer_name: String,
    pub signed_by: Option<AccountId>,
    pub signed_at: DateTime<Utc>,
}

/// 企业签收 drawn on the agency's device: the signature image of a notice, an attachment of the
/// inspection record.
pub const NOTICE_SIGNATURE: crate::attachment::FileRule = crate::attachment::FileRule {
    field: "notice_signature",
    label: "企业签收签字",
    allowed: &[crate::attachment::FileKind::Png],
    required: true,
    max_files: 1,
};

/// Who recorded a 整改: the enterprise rectifies its own hazards; the agency may record a
/// rectification on the enterprise's behalf, and the history says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rectifier {
    /// 企业自行整改
    Enterprise,
    /// 服务机构代企业录入
    Agency,
}

impl Rectifier {
    pub fn code(self) -> &'static str {
        match self {
            Rectifier::Enterprise => "enterprise",
            Rectifier::Agency => "agency",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Rectifier::Enterprise, Rectifier::Agency]
            .into_iter()
            .find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Rectifier::Enterprise => "企业自行整改",
            Rectifier::Agency => "服务机构代企业录入",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rectification {
    pub note: String,
    pub on: NaiveDate,
    /// Set by the service from the actor; forms cannot choose it.
    pub by: Rectifier,
}

#[derive(Debug, Clone)]
pub struct Review {
    pub reviewer: AccountId,
    pub on: NaiveDate,
    pub passed: bool,
    pub opinion: String,
}

fn required_date(raw: &str, label: &str) -> Result<NaiveDate, String> {
    if raw.trim().is_empty() {
        return Err(format!("请填写{label}"));
    }
    parse_date(raw).map_err(|m| format!("{label}{m}"))
}

/// A rectification happens on or after the discovery, and not in the future.
fn rectified_on(raw: &str, found_on: NaiveDate, today: NaiveDate) -> Result<NaiveDate, String> {
    let d = required_date(raw, "整改完成日期")?;
    if d < found_on {
        return Err(format!("整改完成日期不能早于隐患发现日期 {found_on}"));
    }
    if d > today {
        return Err("整改完成日期不能晚于今天".into());
    }
    Ok(d)
}

pub fn parse_hazard(
    form: &HazardForm,
    found_on: NaiveDate,
    today: NaiveDate,
) -> CoreResult<HazardInput> {
    let mut e = FieldErrors::new();
    let description = e.take(
        "description",
        field::text(&form.description, "隐患描述", 2000, true),
    );
    let location = e.take(
        "location",
        field::text(&form.location, "隐患位置", 200, true),
    );
    let category = e.take(
        "category",
        CATEGORIES
            .iter()
            .find(|(c, _)| *c == form.category.trim())
            .map(|(c, _)| c.to_string())
            .ok_or_else(|| "请选择隐患类别".to_string()),
    );
    let level = e.take(
        "level",
        HazardLevel::from_code(form.level.trim()).ok_or_else(|| "请选择隐患等级".to_string()),
    );
    let basis = e.take("basis", field::text(&form.basis, "判定依据", 500, false));
    let suggestion = e.take(
        "suggestion",
        field::text(&form.suggestion, "整改建议", 2000, true),
    );
    let deadline = e.take("deadline", required_date(&form.deadline, "整改期限"));
    if let Some(d) = deadline
        && d < found_on
    {
        e.add(
            "deadline",
            format!("整改期限不能早于隐患发现日期 {found_on}"),
        );
    }
    if deadline.is_some_and(|d| d > found_on + Duration::days(366 * 2)) {
        e.add("deadline", "整改期限不能超过发现后两年");
    }
    let responsible = e.take(
        "responsible",
        field::text(&form.responsible, "整改责任人", 50, true),
    );
    let rectification = if form.is_immediate() {
        let note = e.take(
            "rectify_note",
            field::text(&form.rectify_note, "整改说明", 2000, true),
        );
        let on = e.take(
            "rectified_on",
            rectified_on(&form.rectified_on, found_on, today),
        );
        match (note, on) {
            (Some(note), Some(on)) => Some(Rectification {
                note,
                on,
                by: Rectifier::Agency,
            }),
            _ => None,
        }
    } else {
        None
    };
    match (
        description,
        location,
        category,
        level,
        basis,
        suggestion,
        deadline,
        responsible,
    ) {
        (
            Some(description),
            Some(location),
            Some(category),
            Some(level),
            Some(basis),
            Some(suggestion),
            Some(deadline),
            Some(responsible),
        ) if e.is_empty() => Ok(HazardInput {
            description,
            location,
            category,
            level,
            basis,
            suggestion,
            deadline,
            responsible,
            rectification,
            check: None,
        }),
        _ => Err(CoreError::Validation(e)),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RectifyForm {
    pub rectify_note: String,
    pub rectified_on: String,
}

pub fn parse_rectification(
    form: &RectifyForm,
    found_on: NaiveDate,
    today: NaiveDate,
) -> CoreResult<Rectification> {
    let mut e = FieldErrors::new();
    let note = e.take(
        "rectify_note",
        field::text(&form.rectify_note, "整改说明", 2000, true),
    );
    let on = e.take(
        "rectified_on",
        rectified_on(&form.rectified_on, found_on, today),
    );
    match (note, on) {
        (Some(note), Some(on)) if e.is_empty() => Ok(Rectification {
            note,
            on,
            by: Rectifier::Agency,
        }),
        _ => Err(CoreError::Validation(e)),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    pub reviewer_id: String,
    pub reviewed_on: String,
    /// "pass" | "fail"
    pub result: String,
    pub opinion: String,
}

pub fn parse_review(
    form: &ReviewForm,
    rectified_on: NaiveDate,
    today: NaiveDate,
) -> CoreResult<Review> {
    let mut e = FieldErrors::new();
    let reviewer = e.take(
        "reviewer_id",
        form.reviewer_id
            .trim()
            .parse::<AccountId>()
            .map_err(|_| "请选择复查人".to_string()),
    );
    let on = e.take("reviewed_on", required_date(&form.reviewed_on, "复查日期"));
    if let Some(d) = on {
        if d < rectified_on {
            e.add(
                "reviewed_on",
                format!("复查日期不能早于整改完成日期 {rectified_on}"),
            );
        } else if d > today {
            e.add("reviewed_on", "复查日期不能晚于今天");
        }
    }
    let passed = match form.result.trim() {
        "pass" => Some(true),
        "fail" => Some(false),
        _ => {
            e.add("result", "请选择复查结论");
            None
        }
    };
    let opinion = e.take(
        "opinion",
        field::text(&form.opinion, "复查意见", 2000, passed == Some(false)),
    );
    match (reviewer, on, passed, opinion) {
        (Some(reviewer), Some(on), Some(passed), Some(opinion)) if e.is_empty() => Ok(Review {
            reviewer,
            on,
            passed,
            opinion,
        }),
        _ => Err(CoreError::Validation(e)),
    }
}

/// 整改通知书 编号: `ZG-` + the inspection's id and date, printed on the notice and its PDF.
pub fn notice_number(inspection: RecordId, date: NaiveDate) -> String {
    format!("ZG-{}-{}", inspection.0, date.format("%Y%m%d"))
}

/// 复查意见书 编号: `FC-` + 隐患编号 + the round of its last review; `None` before any review.
pub fn review_number(hazard: &Hazard) -> Option<String> {
    hazard
        .last_review()
        .map(|s| format!("FC-{}-{}", hazard.hazard_no, s.round))
}

/// 隐患编号: `YH` + discovery date + row id.
pub fn hazard_number(found_on: NaiveDate, id: HazardId) -> String {
    format!("YH{}{:06}", found_on.format("%Y%m%d"), id.0)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HazardFilter {
    pub state: String,
    pub level: String,
    /// "1": only overdue
    pub overdue: String,
    pub enterprise: String,
    pub insurer: String,
    /// 服务机构 (id), for parties that see several: the dashboards' drill-down
    pub agency: String,
    pub region: String,
    /// 发现日期 range
    pub found_from: String,
    pub found_to: String,
    /// 整改期限 range
    pub deadline_from: String,
    pub deadline_to: String,
    /// 隐患编号 or 描述 keyword
    pub q: String,
    /// 可疑标记: `any` or a flag kind's code
    pub flag: String,
}

#[derive(Debug, Clone, Default)]
pub struct HazardQuery {
    pub state: Option<HazardState>,
    pub level: Option<HazardLevel>,
    pub overdue: bool,
    pub today: Option<NaiveDate>,
    pub enterprise: Option<String>,
    pub insurer: Option<OrgId>,
    pub agency: Option<OrgId>,
    /// The enterprise's region among these (set by the service from `HazardFilter::region`).
    pub regions: Option<Vec<String>>,
    pub found_from: Option<NaiveDate>,
    pub found_to: Option<NaiveDate>,
    pub deadline_from: Option<NaiveDate>,
    pub deadline_to: Option<NaiveDate>,
    pub q: Option<String>,
    pub inspection: Option<RecordId>,
    pub order: Option<OrderId>,
    /// Regulators read 重大 and 逾期 first.
    pub serious_first: bool,
    pub flagged: Option<crate::integrity::FlaggedFilter>,
    /// Each hazard with its 整改 and 复查 steps (the 服务报告); lists leave them out.
    pub with_steps: bool,
}

impl HazardFilter {
    pub fn query(&self, today: NaiveDate) -> CoreResult<HazardQuery> {
        let mut e = FieldErrors::new();
        let found_from = e.optional_date("found_from", &self.found_from);
        let found_to = e.optional_date("found_to", &self.found_to);
        let deadline_from = e.optional_date("deadline_from", &self.deadline_from);
        let deadline_to = e.optional_date("deadline_to", &self.deadline_to);
        let text = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.chars().take(50).collect::<String>())
        };
        e.into_result(HazardQuery {
            state: HazardState::from_code(self.state.trim()),
            level: HazardLevel::from_code(self.level.trim()),
            overdue: self.overdue.trim() == "1",
            today: Some(today),
            enterprise: text(&self.enterprise),
            insurer: self.insurer.trim().parse::<i64>().ok().map(OrgId),
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            regions: None,
            found_from,
            found_to,
            deadline_from,
            deadline_to,
            q: text(&self.q),
            inspection: None,
            order: None,
            serious_first: false,
            flagged: crate::integrity::FlaggedFilter::parse(&self.flag),
            with_steps: false,
        })
    }
}

/// Counts at the top of the ledger and on the order page.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HazardCounts {
    pub pending_rectification: u64,
    pub pending_review: u64,
    pub closed: u64,
    pub overdue: u64,
    pub major: u64,
    /// Counting stopped at this many (a regulator's city holds millions of hazards): a count
    /// that reached it shows as "10,000+", and the rate is not computed.
    pub capped_at: Option<u64>,
}

impl HazardCounts {
    pub fn total(&self) -> u64 {
        self.pending_rectification + self.pending_review + self.closed
    }

    /// Whether `n`, one of these counts, stopped at the cap.
    pub fn is_capped(&self, n: &u64) -> bool {
        self.capped_at.is_some_and(|c| *n >= c)
    }

    /// 整改率 = closed / all, as a whole percentage.
    pub fn rectification_rate(&self) -> String {
        if [self.pending_rectification, self.pending_review, self.closed]
            .iter()
            .any(|n| self.is_capped(n))
        {
            return "—".into();
        }
        match self.total() {
            0 => "—".into(),
            n => format!("{:.1}%", self.closed as f64 * 100.0 / n as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attachment::Attachment;
    use HazardAction::*;
    use HazardState::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn every_allowed_move() {
        assert_eq!(PendingRectification.apply(Rectify), Ok(PendingReview));
        assert_eq!(PendingReview.apply(Pass), Ok(Closed));
        assert_eq!(PendingReview.apply(Fail), Ok(PendingRectification));
    }

    #[test]
    fn every_refused_move_says_why() {
        for (state, action) in [
            (PendingRectification, Pass),
            (PendingRectification, Fail),
            (PendingReview, Rectify),
            (Closed, Rectify),
            (Closed, Pass),
            (Closed, Fail),
        ] {
            let err = state.apply(action).unwrap_err();
            assert!(err.contains(state.label()), "{state:?} {action:?}");
        }
        assert_eq!(
            Closed.apply(Rectify).unwrap_err(),
            "该隐患当前状态为“已销号”,不能整改"
        );
    }

    #[test]
    fn overdue_is_computed_from_the_deadline() {
        let mut h = sample();
        assert!(!h.overdue(d("2026-03-31")));
        assert!(h.overdue(d("2026-04-01")));
        h.state = Closed;
        assert!(
            !h.overdue(d("2027-01-01")),
            "closed hazards are never overdue"
        );
    }

    #[test]
    fn dates_must_follow_discovery() {
        let form = HazardForm {
            description: "配电箱未接地".into(),
            location: "二号车间".into(),
            category: "electric".into(),
            level: "general".into(),
            suggestion: "加装接地线".into(),
            deadline: "2026-02-27".into(),
            responsible: "车间主任".into(),
            immediate: "1".into(),
            rectify_note: "已整改".into(),
            rectified_on: "2026-02-27".into(),
            ..Default::default()
        };
        let Err(CoreError::Validation(e)) = parse_hazard(&form, d("2026-03-01"), d("2026-03-05"))
        else {
            panic!()
        };
        assert!(e.get("deadline").unwrap().contains("不能早于隐患发现日期"));
        assert!(
            e.get("rectified_on")
                .unwrap()
                .contains("不能早于隐患发现日期")
        );
        let ok = parse_hazard(
            &HazardForm {
                deadline: "2026-03-31".into(),
                rectified_on: "2026-03-02".into(),
                ..form
            },
            d("2026-03-01"),
            d("2026-03-05"),
        )
        .unwrap();
        assert!(ok.rectification.is_some());
        let review = ReviewForm {
            reviewer_id: "3".into(),
            reviewed_on: "2026-03-01".into(),
            result: "fail".into(),
            opinion: String::new(),
        };
        let Err(CoreError::Validation(e)) = parse_review(&review, d("2026-03-02"), d("2026-03-05"))
        else {
            panic!()
        };
        assert!(
            e.get("reviewed_on").is_some() && e.get("opinion").is_some(),
            "a failed review says why"
        );
    }

    #[test]
    fn rectification_rate() {
        let c = HazardCounts {
            pending_rectification: 1,
            pending_review: 1,
            closed: 2,
            overdue: 0,
            major: 0,
            capped_at: None,
        };
        assert_eq!(c.rectification_rate(), "50.0%");
        let capped = HazardCounts {
            closed: 10_000,
            capped_at: Some(10_000),
            ..c
        };
        assert!(capped.is_capped(&capped.closed) && !capped.is_capped(&capped.major));
        assert_eq!(capped.rectification_rate(), "—");
        assert_eq!(HazardCounts::default().rectification_rate(), "—");
    }

    fn sample() -> Hazard {
        Hazard {
            id: HazardId(1),
            hazard_no: "YH20260301000001".into(),
            inspection_id: RecordId(1),
            order_id: OrderId(1),
            order_no: String::new(),
            agency_id: OrgId(1),
            agency_name: String::new(),
            insurer_id: OrgId(2),
            insurer_name: String::new(),
            enterprise_id: OrgId(3),
            enterprise_name: String::new(),
            region_code: "350503".into(),
            found_on: d("2026-03-01"),
            description: String::new(),
            location: String::new(),
            category: "electric".into(),
            level: HazardLevel::General,
            basis: String::new(),
            suggestion: String::new(),
            deadline: d("2026-03-31"),
            responsible: String::new(),
            state: PendingRectification,
            round: 1,
            closed_at: None,
            created_by: AccountId(1),
            created_at: Utc::now(),
            steps: vec![],
        }
    }

    fn file(id: i64, owner: i64, field: &str, kind: crate::attachment::FileKind) -> Attachment {
        Attachment {
            id: crate::ids::AttachmentId(id),
            order_id: OrderId(1),
            owner: crate::attachment::OwnerRef {
                kind: crate::attachment::OwnerKind::Hazard,
                id: owner,
            },
            field: field.into(),
            original_name: format!("{id}.jpg"),
            size: 1,
            sha256: String::new(),
            kind,
            captured_at: None,
            gps: None,
            phash: None,
            has_thumbnail: true,
            uploaded_by: AccountId(1),
            uploaded_by_name: String::new(),
            uploaded_at: Utc::now(),
            storage_key: String::new(),
            thumb_key: None,
        }
    }

    #[test]
    fn a_hazards_photos_are_split_into_before_and_every_rounds_after() {
        use crate::attachment::FileKind::*;
        let h = sample();
        let files = [
            file(1, 1, "before", Jpeg),
            file(2, 1, "after_2", Jpeg),
            file(3, 1, "after_1", Png),
            file(4, 1, "plan", Pdf),
            file(5, 2, "before", Jpeg),
        ];
        let (before, after) = h.photos(&files);
        let ids = |v: Vec<Attachment>| v.iter().map(|a| a.id.0).collect::<Vec<_>>();
        assert_eq!(ids(before), [1], "another hazard's photo is not this one's");
        assert_eq!(
            ids(after),
            [3, 2],
            "round 1 before round 2; the 治理方案 is no photo"
        );
    }

    #[test]
    fn documents_are_numbered_after_their_inspection_or_last_review() {
        assert_eq!(
            notice_number(RecordId(12), d("2026-11-28")),
            "ZG-12-20261128"
        );
        let mut h = sample();
        assert_eq!(review_number(&h), None);
        let step = |round, kind| HazardStep {
            round,
            kind,
            on: d("2026-03-10"),
            note: String::new(),
            passed: Some(false),
            reviewer: None,
            by_name: String::new(),
            party: None,
            at: Utc::now(),
            step_id: 1,
        };
        h.steps = vec![
            step(1, StepKind::Rectification),
            step(1, StepKind::Review),
            step(2, StepKind::Rectification),
        ];
        assert_eq!(review_number(&h).as_deref(), Some("FC-YH20260301000001-1"));
    }
}
