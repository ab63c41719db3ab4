//! The seven accident-prevention service items (事故预防服务项目), in the seed manual's §4.1 order,
//! which is also the order of plans, order rows and statistics.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ServiceItem {
    /// 安全培训
    Training,
    /// 风险识别
    RiskIdentification,
    /// 隐患排查 (the order row link says 事故排查, as in the seed)
    HazardInvestigation,
    /// 标准化建设
    Standardization,
    /// 应急预案编制和演练
    Emergency,
    /// 安全生产科技推广应用
    Promotion,
    /// 其他有关事故预防工作
    OtherWork,
}

impl ServiceItem {
    pub const ALL: [ServiceItem; 7] = [
        ServiceItem::Training,
        ServiceItem::RiskIdentification,
        ServiceItem::HazardInvestigation,
        ServiceItem::Standardization,
        ServiceItem::Emergency,
        ServiceItem::Promotion,
        ServiceItem::OtherWork,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ServiceItem::Training => "training",
            ServiceItem::RiskIdentification => "risk",
            ServiceItem::HazardInvestigation => "hazard",
            ServiceItem::Standardization => "standardization",
            ServiceItem::Emergency => "emergency",
            ServiceItem::Promotion => "promotion",
            ServiceItem::OtherWork => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceItem::Training => "安全培训",
            ServiceItem::RiskIdentification => "风险识别",
            ServiceItem::HazardInvestigation => "隐患排查",
            ServiceItem::Standardization => "标准化建设",
            ServiceItem::Emergency => "应急预案编制和演练",
            ServiceItem::Promotion => "安全生产科技推广应用",
            ServiceItem::OtherWork => "其他有关事故预防工作",
        }
    }

    /// The label of the link on an order row, as the seed manual names it.
    pub fn row_link_label(self) -> &'static str {
        match self {
            ServiceItem::HazardInvestigation => "事故排查",
            other => other.label(),
        }
    }

    /// The field name of the item's planned count in forms.
    pub fn plan_field(self) -> &'static str {
        match self {
            ServiceItem::Training => "plan_training",
            ServiceItem::RiskIdentification => "plan_risk",
            ServiceItem::HazardInvestigation => "plan_hazard",
            ServiceItem::Standardization => "plan_standardization",
            ServiceItem::Emergency => "plan_emergency",
            ServiceItem::Promotion => "plan_promotion",
            ServiceItem::OtherWork => "plan_other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_in_seed_order() {
        let labels: Vec<_> = ServiceItem::ALL.iter().map(|i| i.label()).collect();
        assert_eq!(labels[0], "安全培训");
        assert_eq!(labels[6], "其他有关事故预防工作");
        for i in ServiceItem::ALL {
            assert_eq!(ServiceItem::from_code(i.code()), Some(i));
        }
        assert_eq!(
            ServiceItem::HazardInvestigation.row_link_label(),
            "事故排查"
        );
    }
}
