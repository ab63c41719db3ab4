//! 安全生产科技推广应用 (seed §4.1.7, §4.7): a technology or piece of equipment brought to the
//! enterprise, how, and how it is used.

use crate::record::{
    Choice, FieldSpec, Input, ItemSpec, MATERIALS, PHOTOS, SERVICE_LABELS, no_cross_checks,
};
use crate::service_item::ServiceItem;

/// 推广方式
pub const WAYS: &[Choice] = &[
    ("demo", "现场演示"),
    ("lecture", "培训讲解"),
    ("material", "资料发放"),
    ("pilot", "试点应用"),
    ("other", "其他"),
];

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::Promotion,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "technology",
            label: "技术或装备名称",
            input: Input::Text { max: 100 },
            required: true,
        },
        FieldSpec {
            name: "way",
            label: "推广方式",
            input: Input::Select(WAYS),
            required: true,
        },
        FieldSpec {
            name: "usage",
            label: "应用情况",
            input: Input::Textarea { max: 2000 },
            required: false,
        },
    ],
    check: no_cross_checks,
    columns: &["technology", "way"],
    files: &[PHOTOS, MATERIALS],
};
