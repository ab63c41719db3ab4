//! 排查记录 (seed §4.1.4, 图4.1.8/4.1.9): an on-site hazard investigation. It is a service record
//! of the 隐患排查 item, so it counts toward the plan; the hazards found hang off it (`hazard`).

use crate::attachment::{DOCUMENTS, FileRule, IMAGES_AND_PDF};
use crate::record::{Choice, CommonLabels, FieldSpec, Input, ItemSpec, PHOTOS, no_cross_checks};
use crate::service_item::ServiceItem;

/// 排查类型
pub const KINDS: &[Choice] = &[
    ("comprehensive", "综合检查"),
    ("special", "专项检查"),
    ("seasonal", "季节性检查"),
    ("holiday", "节假日前检查"),
    ("resumption", "复产复工前检查"),
    ("other", "其他"),
];

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::HazardInvestigation,
    labels: CommonLabels {
        date: "排查日期",
        location: "排查地点",
        staff: "排查人员",
        contact: "企业陪同人员",
        summary: "小结",
    },
    fields: &[
        FieldSpec {
            name: "kind",
            label: "排查类型",
            input: Input::Select(KINDS),
            required: true,
        },
        FieldSpec {
            name: "scope",
            label: "排查范围",
            input: Input::Textarea { max: 1000 },
            required: true,
        },
    ],
    check: no_cross_checks,
    columns: &["kind"],
    files: &[
        FileRule {
            field: "checklist",
            label: "检查表",
            allowed: IMAGES_AND_PDF,
            required: false,
            max_files: 10,
        },
        FileRule {
            field: "report",
            label: "排查报告",
            allowed: DOCUMENTS,
            required: false,
            max_files: 5,
        },
        PHOTOS,
    ],
};
