//! 安全培训 (seed §4.1.2, §4.2): who was trained, how, for how long, by whom.

use crate::attachment::{DOCUMENTS, FileRule, IMAGES_AND_PDF};
use crate::record::{Choice, FieldSpec, Input, ItemSpec, PHOTOS, SERVICE_LABELS, no_cross_checks};
use crate::service_item::ServiceItem;

/// 培训对象
pub const AUDIENCES: &[Choice] = &[
    ("leader", "主要负责人"),
    ("manager", "安全管理人员"),
    ("worker", "从业人员"),
];

/// 培训方式
pub const MODES: &[Choice] = &[("offline", "线下"), ("online", "线上")];

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::Training,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "topic",
            label: "培训主题",
            input: Input::Text { max: 100 },
            required: true,
        },
        FieldSpec {
            name: "audience",
            label: "培训对象",
            input: Input::Checks(AUDIENCES),
            required: true,
        },
        FieldSpec {
            name: "mode",
            label: "培训方式",
            input: Input::Select(MODES),
            required: true,
        },
        FieldSpec {
            name: "hours",
            label: "学时",
            input: Input::Hours { max: 200 },
            required: true,
        },
        FieldSpec {
            name: "participants",
            label: "参训人数",
            input: Input::Count {
                min: 1,
                max: 100_000,
            },
            required: true,
        },
        FieldSpec {
            name: "trainer",
            label: "授课人",
            input: Input::Text { max: 50 },
            required: true,
        },
    ],
    check: no_cross_checks,
    columns: &["topic", "audience", "hours", "participants"],
    files: &[
        FileRule {
            field: "signin",
            label: "签到表",
            allowed: IMAGES_AND_PDF,
            required: false,
            max_files: 10,
        },
        PHOTOS,
        FileRule {
            field: "courseware",
            label: "课件",
            allowed: DOCUMENTS,
            required: false,
            max_files: 10,
        },
    ],
};
