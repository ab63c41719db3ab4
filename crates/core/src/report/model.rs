use chrono::NaiveDate;
use serde::Serialize;

use crate::attachment::Attachment;
use crate::enterprise::Enterprise;
use crate::hazard::{Hazard, HazardLevel, HazardState};
use crate::order::ServiceOrder;
use crate::policy::Policy;
use crate::record::ServiceRecord;

/// The 服务报告 of one order. Each section a permission guards is `None` for a reader without
/// it (a role may be granted orders but not records); the page says so instead of leaving it out
/// silently.
#[derive(Debug, Clone, Serialize)]
pub struct OrderReport {
    pub order: ServiceOrder,
    pub policy: Policy,
    pub enterprise: Enterprise,
    /// 服务记录 in the seed's order of service items, each item's by date.
    pub records: Option<Vec<ReportRecord>>,
    /// 隐患 in the order they were found.
    pub hazards: Option<Vec<ReportHazard>>,
    /// 回访与满意度: the enterprise's rating and the insurer's calls, oldest first.
    pub ratings: Vec<crate::satisfaction::Rating>,
    /// 投诉 about the order, newest first, with their clocks; `None` for a reader who does not
    /// see complaints.
    pub complaints: Option<Vec<crate::complaint::service::Listed>>,
    /// The day the report is made (Asia/Shanghai), which 逾期 is counted against.
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportRecord {
    pub record: ServiceRecord,
    /// The type's own fields as label and display value (培训主题, 学时, …).
    pub details: Vec<(&'static str, String)>,
    /// Photos of the service (the on-site signature is not among them).
    pub photos: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportHazard {
    pub hazard: Hazard,
    pub overdue: bool,
    /// 整改前照片
    pub before: Vec<Attachment>,
    /// 整改后照片 of every round, earliest round first.
    pub after: Vec<Attachment>,
}

/// 隐患 found / rectified / open, as the report's summary line counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HazardTally {
    pub found: usize,
    /// 已销号
    pub closed: usize,
    /// 待整改 or 待复查
    pub open: usize,
    /// Open and past the deadline.
    pub overdue: usize,
    pub major: usize,
}

impl HazardTally {
    pub fn of(hazards: &[ReportHazard]) -> Self {
        let mut t = HazardTally {
            found: hazards.len(),
            ..HazardTally::default()
        };
        for h in hazards {
            if h.hazard.state == HazardState::Closed {
                t.closed += 1;
            } else {
                t.open += 1;
            }
            if h.overdue {
                t.overdue += 1;
            }
            if h.hazard.level == HazardLevel::Major {
                t.major += 1;
            }
        }
        t
    }

    /// 整改率 as a whole percentage, "—" with nothing found.
    pub fn rate(&self) -> String {
        match (self.closed * 100).checked_div(self.found) {
            Some(percent) => format!("{percent}%"),
            None => "—".into(),
        }
    }
}

impl OrderReport {
    /// `None` when the reader may not see hazards.
    pub fn hazard_tally(&self) -> Option<HazardTally> {
        self.hazards.as_deref().map(HazardTally::of)
    }

    /// The document number printed on every page: the order's own number.
    pub fn number(&self) -> &str {
        &self.order.order_no
    }
}
