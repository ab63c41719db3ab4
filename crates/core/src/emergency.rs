//! 应急预案编制和演练 (seed §4.1.6, §4.6): writing or revising a plan, or running a drill.

use crate::attachment::{DOCUMENTS, FileRule};
use crate::error::FieldErrors;
use crate::record::{Choice, Details, FieldSpec, Input, ItemSpec, PHOTOS, SERVICE_LABELS};
use crate::service_item::ServiceItem;

/// 服务类型
pub const KINDS: &[Choice] = &[
    ("write", "预案编制"),
    ("revise", "预案修订"),
    ("drill", "应急演练"),
];
/// 预案类别
pub const PLAN_KINDS: &[Choice] = &[
    ("overall", "综合应急预案"),
    ("special", "专项应急预案"),
    ("onsite", "现场处置方案"),
];
/// 演练形式
pub const DRILL_FORMS: &[Choice] = &[("tabletop", "桌面演练"), ("live", "实战演练")];
/// 演练范围
pub const DRILL_SCOPES: &[Choice] = &[("overall", "综合演练"), ("single", "单项演练")];

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::Emergency,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "kind",
            label: "服务类型",
            input: Input::Select(KINDS),
            required: true,
        },
        FieldSpec {
            name: "plan_kind",
            label: "预案类别",
            input: Input::Select(PLAN_KINDS),
            required: true,
        },
        FieldSpec {
            name: "drill_form",
            label: "演练形式",
            input: Input::Select(DRILL_FORMS),
            required: false,
        },
        FieldSpec {
            name: "drill_scope",
            label: "演练范围",
            input: Input::Select(DRILL_SCOPES),
            required: false,
        },
        FieldSpec {
            name: "participants",
            label: "参演人数",
            input: Input::Count {
                min: 1,
                max: 100_000,
            },
            required: false,
        },
        FieldSpec {
            name: "evaluation",
            label: "演练评估",
            input: Input::Textarea { max: 2000 },
            required: false,
        },
    ],
    check: drills_need_their_facts,
    columns: &["kind", "plan_kind", "drill_form", "participants"],
    files: &[
        FileRule {
            field: "plan",
            label: "预案文本/演练方案",
            allowed: DOCUMENTS,
            required: false,
            max_files: 10,
        },
        PHOTOS,
    ],
};

/// A drill is described by its form, scope and participants; a plan is not.
fn drills_need_their_facts(d: &Details, errors: &mut FieldErrors) {
    if d.get("kind").map(String::as_str) != Some("drill") {
        return;
    }
    for (name, message) in [
        ("drill_form", "应急演练请选择演练形式"),
        ("drill_scope", "应急演练请选择演练范围"),
        ("participants", "应急演练请填写参演人数"),
    ] {
        if !d.contains_key(name) {
            errors.add(name, message);
        }
    }
}
