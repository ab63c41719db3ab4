//! 风险识别 (seed §4.1.3, §4.4): the scope and method of the assessment and the risk points found,
//! by level 重大/较大/一般/低 (红/橙/黄/蓝). The 评估报告 is the required evidence.

use crate::attachment::{DOCUMENTS, FileRule};
use crate::error::FieldErrors;
use crate::record::{Choice, Details, FieldSpec, Input, ItemSpec, PHOTOS, SERVICE_LABELS};
use crate::service_item::ServiceItem;

/// 评估方法
pub const METHODS: &[Choice] = &[
    ("lec", "作业条件危险性分析法(LEC)"),
    ("matrix", "风险矩阵法(LS)"),
    ("jha", "工作危害分析法(JHA)"),
    ("scl", "安全检查表法(SCL)"),
    ("hazop", "危险与可操作性分析(HAZOP)"),
    ("other", "其他"),
];

const COUNT: Input = Input::Count {
    min: 0,
    max: 100_000,
};

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::RiskIdentification,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "scope",
            label: "辨识范围",
            input: Input::Textarea { max: 1000 },
            required: true,
        },
        FieldSpec {
            name: "method",
            label: "评估方法",
            input: Input::Select(METHODS),
            required: true,
        },
        FieldSpec {
            name: "major",
            label: "重大风险(红)",
            input: COUNT,
            required: true,
        },
        FieldSpec {
            name: "high",
            label: "较大风险(橙)",
            input: COUNT,
            required: true,
        },
        FieldSpec {
            name: "general",
            label: "一般风险(黄)",
            input: COUNT,
            required: true,
        },
        FieldSpec {
            name: "low",
            label: "低风险(蓝)",
            input: COUNT,
            required: true,
        },
    ],
    check: at_least_one_point,
    columns: &["method", "major", "high", "general", "low"],
    files: &[
        FileRule {
            field: "report",
            label: "评估报告",
            allowed: DOCUMENTS,
            required: true,
            max_files: 5,
        },
        PHOTOS,
    ],
};

/// An assessment that found no risk point at all was not an assessment.
fn at_least_one_point(d: &Details, errors: &mut FieldErrors) {
    let total: i64 = ["major", "high", "general", "low"]
        .iter()
        .filter_map(|k| d.get(*k).and_then(|v| v.parse::<i64>().ok()))
        .sum();
    if total == 0 {
        errors.add("low", "请填写辨识出的风险点数量(至少一个)");
    }
}
