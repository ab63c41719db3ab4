//! 标准化建设 (seed §4.1.5, §4.5): the target grade and the self-assessment result.

use crate::attachment::{DOCUMENTS, FileRule};
use crate::record::{Choice, FieldSpec, Input, ItemSpec, PHOTOS, SERVICE_LABELS, no_cross_checks};
use crate::service_item::ServiceItem;

/// 目标等级
pub const GRADES: &[Choice] = &[
    ("1", "一级"),
    ("2", "二级"),
    ("3", "三级"),
    ("small", "小微企业"),
];

const COUNT: Input = Input::Count {
    min: 0,
    max: 100_000,
};

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::Standardization,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "grade",
            label: "目标等级",
            input: Input::Select(GRADES),
            required: true,
        },
        FieldSpec {
            name: "conform",
            label: "自评符合项",
            input: COUNT,
            required: true,
        },
        FieldSpec {
            name: "nonconform",
            label: "自评不符合项",
            input: COUNT,
            required: true,
        },
        FieldSpec {
            name: "na",
            label: "自评不涉及项",
            input: COUNT,
            required: false,
        },
    ],
    check: no_cross_checks,
    columns: &["grade", "conform", "nonconform"],
    files: &[
        FileRule {
            field: "report",
            label: "自评报告",
            allowed: DOCUMENTS,
            required: false,
            max_files: 5,
        },
        PHOTOS,
    ],
};
