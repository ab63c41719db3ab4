use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::attachment::{FileRule, IMAGES_AND_PDF};
use crate::calendar::{Calendar, add_working_days, working_days_between};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field::{self, Phone};
use crate::ids::{AccountId, ComplaintId, OrderId, OrgId, RecordId};
use crate::time::today;

/// 受理 (the insurer's first response) is due within this many working days of the filing.
pub const REPLY_WORKING_DAYS: u32 = 10;
/// 办结 is due within this many working days of the filing.
pub const SETTLE_WORKING_DAYS: u32 = 30;

/// 投诉状态: 待受理 → 已受理 → 处理中 → 已办结 (an accepted complaint may also be settled at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ComplaintState {
    /// 待受理
    Pending,
    /// 已受理
    Accepted,
    /// 处理中
    Processing,
    /// 已办结
    Settled,
}

impl ComplaintState {
    pub const ALL: [ComplaintState; 4] = [
        ComplaintState::Pending,
        ComplaintState::Accepted,
        ComplaintState::Processing,
        ComplaintState::Settled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ComplaintState::Pending => "pending",
            ComplaintState::Accepted => "accepted",
            ComplaintState::Processing => "processing",
            ComplaintState::Settled => "settled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ComplaintState::Pending => "待受理",
            ComplaintState::Accepted => "已受理",
            ComplaintState::Processing => "处理中",
            ComplaintState::Settled => "已办结",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            ComplaintState::Pending => "tag-warning",
            ComplaintState::Accepted | ComplaintState::Processing => "tag-info",
            ComplaintState::Settled => "tag-success",
        }
    }

    pub fn is_open(self) -> bool {
        self != ComplaintState::Settled
    }

    /// The insurer's handling: 受理, then 处理中, then 办结 (with the outcome).
    pub fn apply(self, action: ComplaintAction) -> Result<ComplaintState, String> {
        use ComplaintAction::*;
        use ComplaintState::*;
        match (self, action) {
            (Pending, Accept) => Ok(Accepted),
            (Accepted, Process) => Ok(Processing),
            (Accepted | Processing, Settle) => Ok(Settled),
            (state, action) => Err(format!(
                "该投诉当前状态为“{}”,不能{}",
                state.label(),
                action.label()
            )),
        }
    }
}

/// What the insurer does to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ComplaintAction {
    /// 受理
    Accept,
    /// 开始处理
    Process,
    /// 办结
    Settle,
}

impl ComplaintAction {
    pub fn label(self) -> &'static str {
        match self {
            ComplaintAction::Accept => "受理",
            ComplaintAction::Process => "转入处理",
            ComplaintAction::Settle => "办结",
        }
    }
}

/// 投诉类别
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ComplaintCategory {
    /// 服务质量
    Quality,
    /// 服务态度
    Attitude,
    /// 虚假记录
    FalseRecord,
    /// 未按时服务
    Late,
    /// 收费问题
    Fees,
    /// 其他
    Other,
}

impl ComplaintCategory {
    pub const ALL: [ComplaintCategory; 6] = [
        ComplaintCategory::Quality,
        ComplaintCategory::Attitude,
        ComplaintCategory::FalseRecord,
        ComplaintCategory::Late,
        ComplaintCategory::Fees,
        ComplaintCategory::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ComplaintCategory::Quality => "quality",
            ComplaintCategory::Attitude => "attitude",
            ComplaintCategory::FalseRecord => "false_record",
            ComplaintCategory::Late => "late",
            ComplaintCategory::Fees => "fees",
            ComplaintCategory::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ComplaintCategory::Quality => "服务质量",
            ComplaintCategory::Attitude => "服务态度",
            ComplaintCategory::FalseRecord => "虚假记录",
            ComplaintCategory::Late => "未按时服务",
            ComplaintCategory::Fees => "收费问题",
            ComplaintCategory::Other => "其他",
        }
    }
}

/// Who put the complaint on file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Filer {
    /// 企业投诉: the enterprise, from its own account.
    Enterprise,
    /// 保险机构代为登记: the insurer, for an enterprise that complained by phone or in person.
    Insurer,
}

impl Filer {
    pub fn code(self) -> &'static str {
        match self {
            Filer::Enterprise => "enterprise",
            Filer::Insurer => "insurer",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Filer::Enterprise, Filer::Insurer]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Filer::Enterprise => "企业投诉",
            Filer::Insurer => "保险机构代为登记",
        }
    }
}

/// A step of a complaint's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepKind {
    /// 登记投诉
    Filed,
    /// 受理
    Accepted,
    /// 转入处理
    Processing,
    /// 服务机构答复
    Reply,
    /// 办结
    Settled,
}

impl StepKind {
    pub const ALL: [StepKind; 5] = [
        StepKind::Filed,
        StepKind::Accepted,
        StepKind::Processing,
        StepKind::Reply,
        StepKind::Settled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StepKind::Filed => "file",
            StepKind::Accepted => "accept",
            StepKind::Processing => "process",
            StepKind::Reply => "reply",
            StepKind::Settled => "settle",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Filed => "登记投诉",
            StepKind::Accepted => "受理",
            StepKind::Processing => "转入处理",
            StepKind::Reply => "服务机构答复",
            StepKind::Settled => "办结",
        }
    }

    /// The step an action of the insurer writes.
    pub fn of(action: ComplaintAction) -> Self {
        match action {
            ComplaintAction::Accept => StepKind::Accepted,
            ComplaintAction::Process => StepKind::Processing,
            ComplaintAction::Settle => StepKind::Settled,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComplaintStep {
    pub kind: StepKind,
    pub note: String,
    /// `姓名(账号)`
    pub by_name: String,
    pub org_name: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Complaint {
    pub id: ComplaintId,
    /// 投诉编号
    pub complaint_no: String,
    pub order_id: OrderId,
    pub order_no: String,
    /// The service record complained about, when it is about one record.
    pub record_id: Option<RecordId>,
    pub insurer_id: OrgId,
    pub insurer_name: String,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub region_code: String,
    pub category: ComplaintCategory,
    /// 投诉内容
    pub description: String,
    /// 投诉人
    pub complainant: String,
    /// 联系电话
    pub phone: Option<String>,
    pub filer: Filer,
    pub state: ComplaintState,
    pub filed_at: DateTime<Utc>,
    /// The local date of filing: both clocks start after it.
    pub filed_on: NaiveDate,
    pub accepted_at: Option<DateTime<Utc>>,
    pub settled_at: Option<DateTime<Utc>>,
    /// 处理结果, given when settled.
    pub outcome: Option<String>,
    pub created_by: AccountId,
    /// Every step, oldest first (loaded with one complaint, empty in lists).
    pub steps: Vec<ComplaintStep>,
}

impl Complaint {
    /// Both clocks as the calendar counts them today.
    pub fn clocks(&self, today: NaiveDate, calendar: &Calendar) -> Clocks {
        Clocks {
            reply: clock(
                self.filed_on,
                REPLY_WORKING_DAYS,
                self.accepted_at.map(crate::time::today),
                today,
                calendar,
            ),
            settle: clock(
                self.filed_on,
                SETTLE_WORKING_DAYS,
                self.settled_at.map(crate::time::today),
                today,
                calendar,
            ),
        }
    }

    /// The agency's answers, oldest first.
    pub fn replies(&self) -> impl Iterator<Item = &ComplaintStep> {
        self.steps.iter().filter(|s| s.kind == StepKind::Reply)
    }
}

/// Where one clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClockStatus {
    /// Running, with this many working days left after today (0: due today).
    Running { left: u32 },
    /// Running past its deadline by this many working days.
    Overdue { by: u32 },
    /// Stopped on or before the deadline.
    OnTime,
    /// Stopped after the deadline, this many working days late.
    Late { by: u32 },
}

impl ClockStatus {
    pub fn is_overdue(self) -> bool {
        matches!(self, ClockStatus::Overdue { .. })
    }

    pub fn label(self) -> String {
        match self {
            ClockStatus::Running { left: 0 } => "今日到期".into(),
            ClockStatus::Running { left } => format!("剩余 {left} 个工作日"),
            ClockStatus::Overdue { by } => format!("已超期 {by} 个工作日"),
            ClockStatus::OnTime => "按期完成".into(),
            ClockStatus::Late { by } => format!("超期 {by} 个工作日完成"),
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            ClockStatus::Running { left } if left <= 2 => "tag-warning",
            ClockStatus::Running { .. } => "tag-info",
            ClockStatus::Overdue { .. } | ClockStatus::Late { .. } => "tag-danger",
            ClockStatus::OnTime => "tag-success",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub due: NaiveDate,
    pub status: ClockStatus,
}

/// The two clocks of a complaint: 受理 within 10 working days, 办结 within 30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clocks {
    pub reply: Clock,
    pub settle: Clock,
}

impl Clocks {
    /// 超期: a clock still running past its deadline.
    pub fn overdue(&self) -> bool {
        self.reply.status.is_overdue() || self.settle.status.is_overdue()
    }
}

/// A clock of `n` working days from the filing, stopped on `stopped_on` if it was.
fn clock(
    filed_on: NaiveDate,
    n: u32,
    stopped_on: Option<NaiveDate>,
    today: NaiveDate,
    calendar: &Calendar,
) -> Clock {
    let due = add_working_days(filed_on, n, calendar);
    let status = match stopped_on {
        Some(on) if on <= due => ClockStatus::OnTime,
        Some(on) => ClockStatus::Late {
            by: working_days_between(due, on, calendar).max(1),
        },
        None if today <= due => ClockStatus::Running {
            left: working_days_between(today, due, calendar),
        },
        None => ClockStatus::Overdue {
            by: working_days_between(due, today, calendar).max(1),
        },
    };
    Clock { due, status }
}

/// 投诉编号: `TS` + filing date + row id.
pub fn complaint_number(filed_on: NaiveDate, id: ComplaintId) -> String {
    format!("TS{}{:06}", filed_on.format("%Y%m%d"), id.0)
}

/// 投诉附件: photos or scans (PDF).
pub const FILES: FileRule = FileRule {
    field: "files",
    label: "附件",
    allowed: IMAGES_AND_PDF,
    required: false,
    max_files: 10,
};

/// 登记投诉 as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplaintForm {
    pub category: String,
    pub description: String,
    pub complainant: String,
    pub phone: String,
    /// The service record complained about, if any (a hidden field from the record's page).
    pub record_id: String,
}

#[derive(Debug, Clone)]
pub struct ComplaintInput {
    pub category: ComplaintCategory,
    pub description: String,
    pub complainant: String,
    pub phone: Option<String>,
    pub record: Option<RecordId>,
}

pub fn parse_complaint(form: &ComplaintForm) -> CoreResult<ComplaintInput> {
    let mut e = FieldErrors::new();
    let category = e.take(
        "category",
        ComplaintCategory::from_code(form.category.trim())
            .ok_or_else(|| "请选择投诉类别".to_string()),
    );
    let description = e.take(
        "description",
        field::text(&form.description, "投诉内容", 2000, true),
    );
    if description.as_ref().is_some_and(|d| d.chars().count() < 5) {
        e.add("description", "投诉内容请至少写 5 个字,说明发生了什么");
    }
    let complainant = e.take(
        "complainant",
        field::text(&form.complainant, "投诉人", 50, true),
    );
    let phone = if form.phone.trim().is_empty() {
        Some(None)
    } else {
        e.take(
            "phone",
            Phone::parse(&form.phone).map(|p| Some(p.as_str().to_string())),
        )
    };
    let record = match form.record_id.trim() {
        "" => Some(None),
        raw => e.take(
            "record_id",
            raw.parse::<RecordId>()
                .map(Some)
                .map_err(|_| "所投诉的服务记录无效".to_string()),
        ),
    };
    match (category, description, complainant, phone, record) {
        (Some(category), Some(description), Some(complainant), Some(phone), Some(record))
            if e.is_empty() =>
        {
            Ok(ComplaintInput {
                category,
                description,
                complainant,
                phone,
                record,
            })
        }
        _ => Err(CoreError::Validation(e)),
    }
}

/// The text of a step: the note of 受理 / 转入处理 (optional), the outcome of 办结 and the
/// agency's answer (required).
pub fn parse_note(raw: &str, kind: StepKind) -> CoreResult<String> {
    let (label, required) = match kind {
        StepKind::Settled => ("处理结果", true),
        StepKind::Reply => ("答复内容", true),
        StepKind::Filed => ("投诉内容", true),
        StepKind::Accepted => ("受理意见", false),
        StepKind::Processing => ("处理说明", false),
    };
    field::text(raw, label, 2000, required).map_err(|m| crate::error::field_error("note", m))
}

/// The list's filters, as in the query string.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplaintFilter {
    pub state: String,
    pub category: String,
    pub agency: String,
    /// "1": only complaints with a clock past its deadline
    pub overdue: String,
    /// 投诉日期 range
    pub from: String,
    pub to: String,
    /// 投诉编号, 投诉内容 or 企业名称
    pub q: String,
    /// One order's complaints (the link on the order page).
    pub order: String,
}

/// Filing dates before which a running clock is past its deadline today (see
/// `calendar::overdue_before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverdueBefore {
    pub reply: NaiveDate,
    pub settle: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    pub state: Option<ComplaintState>,
    pub category: Option<ComplaintCategory>,
    pub agency: Option<OrgId>,
    /// Only complaints with a clock past its deadline; needs `overdue_before`.
    pub overdue: bool,
    pub overdue_before: Option<OverdueBefore>,
    pub filed_from: Option<NaiveDate>,
    pub filed_to: Option<NaiveDate>,
    pub q: Option<String>,
    pub order: Option<OrderId>,
}

impl ComplaintFilter {
    pub fn query(&self) -> CoreResult<ComplaintQuery> {
        let mut e = FieldErrors::new();
        let filed_from = e.optional_date("from", &self.from);
        let filed_to = e.optional_date("to", &self.to);
        let q = self.q.trim();
        e.into_result(ComplaintQuery {
            state: ComplaintState::from_code(self.state.trim()),
            category: ComplaintCategory::from_code(self.category.trim()),
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            overdue: self.overdue.trim() == "1",
            overdue_before: None,
            filed_from,
            filed_to,
            q: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            order: self.order.trim().parse::<i64>().ok().map(OrderId),
        })
    }
}

/// The figures at the top of the list and on 首页.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ComplaintCounts {
    pub pending: u64,
    pub accepted: u64,
    pub processing: u64,
    pub settled: u64,
    /// 待受理 past the 10-working-day deadline.
    pub reply_overdue: u64,
    /// Not settled past the 30-working-day deadline.
    pub settle_overdue: u64,
    pub capped_at: Option<u64>,
}

impl ComplaintCounts {
    /// 受理 or 处理中.
    pub fn in_progress(&self) -> u64 {
        self.accepted + self.processing
    }

    pub fn is_capped(&self, n: &u64) -> bool {
        self.capped_at.is_some_and(|c| *n >= c)
    }
}

/// The local date of an instant (the filing date of a complaint filed then).
pub fn filed_on(at: DateTime<Utc>) -> NaiveDate {
    today(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintAction::*;
    use ComplaintState::*;

    fn d(s: &str) -> NaiveDate {
        crate::time::parse_date(s).unwrap()
    }

    #[test]
    fn the_insurer_handles_in_order() {
        assert_eq!(Pending.apply(Accept), Ok(Accepted));
        assert_eq!(Accepted.apply(Process), Ok(Processing));
        assert_eq!(Processing.apply(Settle), Ok(Settled));
        assert_eq!(
            Accepted.apply(Settle),
            Ok(Settled),
            "a simple case settles at once"
        );
        for (state, action) in [
            (Pending, Process),
            (Pending, Settle),
            (Accepted, Accept),
            (Processing, Accept),
            (Processing, Process),
            (Settled, Accept),
            (Settled, Process),
            (Settled, Settle),
        ] {
            let err = state.apply(action).unwrap_err();
            assert!(err.contains(state.label()), "{state:?} {action:?}: {err}");
        }
    }

    fn sample(filed_on: &str) -> Complaint {
        Complaint {
            id: ComplaintId(1),
            complaint_no: String::new(),
            order_id: OrderId(1),
            order_no: String::new(),
            record_id: None,
            insurer_id: OrgId(1),
            insurer_name: String::new(),
            agency_id: OrgId(2),
            agency_name: String::new(),
            enterprise_id: OrgId(3),
            enterprise_name: String::new(),
            region_code: "350503".into(),
            category: ComplaintCategory::Quality,
            description: String::new(),
            complainant: String::new(),
            phone: None,
            filer: Filer::Enterprise,
            state: Pending,
            filed_at: crate::time::start_of_day(d(filed_on)) + chrono::Duration::hours(10),
            filed_on: d(filed_on),
            accepted_at: None,
            settled_at: None,
            outcome: None,
            created_by: AccountId(1),
            steps: vec![],
        }
    }

    #[test]
    fn clocks_count_working_days_across_national_day() {
        let cal = Calendar::official();
        let mut c = sample("2026-09-24");
        let at = c.clocks(d("2026-10-15"), &cal);
        assert_eq!(at.reply.due, d("2026-10-15"));
        assert_eq!(at.settle.due, d("2026-11-12"));
        assert_eq!(at.reply.status, ClockStatus::Running { left: 0 });
        assert!(!at.overdue());
        // From Friday the 9th five working days remain, the swapped Saturday the 10th among them.
        assert_eq!(
            c.clocks(d("2026-10-09"), &cal).reply.status,
            ClockStatus::Running { left: 5 }
        );
        let late = c.clocks(d("2026-10-16"), &cal);
        assert_eq!(late.reply.status, ClockStatus::Overdue { by: 1 });
        assert!(late.overdue());
        // Accepted on the 16th: the reply clock stops, one working day late; settlement runs.
        c.accepted_at =
            Some(crate::time::start_of_day(d("2026-10-16")) + chrono::Duration::hours(9));
        c.state = Accepted;
        let after = c.clocks(d("2026-10-19"), &cal);
        assert_eq!(after.reply.status, ClockStatus::Late { by: 1 });
        assert!(!after.overdue());
        assert!(after.settle.status == ClockStatus::Running { left: 18 });
    }

    #[test]
    fn a_complaint_is_parsed_with_every_error_at_once() {
        let Err(CoreError::Validation(e)) = parse_complaint(&ComplaintForm {
            category: "nonsense".into(),
            description: "差".into(),
            complainant: String::new(),
            phone: "123".into(),
            record_id: "x".into(),
        }) else {
            panic!()
        };
        for field in [
            "category",
            "description",
            "complainant",
            "phone",
            "record_id",
        ] {
            assert!(e.get(field).is_some(), "{field}");
        }
        let ok = parse_complaint(&ComplaintForm {
            category: "false_record".into(),
            description: "培训记录照片并非本企业现场".into(),
            complainant: "陈主任".into(),
            phone: "13905951234".into(),
            record_id: "7".into(),
        })
        .unwrap();
        assert_eq!(ok.category, ComplaintCategory::FalseRecord);
        assert_eq!(ok.record, Some(RecordId(7)));
        assert_eq!(ok.phone.as_deref(), Some("13905951234"));
    }

    #[test]
    fn outcomes_and_answers_are_required_notes_are_not() {
        assert!(parse_note(" ", StepKind::Settled).is_err());
        assert!(parse_note("", StepKind::Reply).is_err());
        assert_eq!(parse_note("", StepKind::Accepted).unwrap(), "");
    }
}
