//! 其他有关事故预防工作 (seed §4.1.8, §4.8): any other prevention work, named and described.

use crate::record::{
    FieldSpec, Input, ItemSpec, MATERIALS, PHOTOS, SERVICE_LABELS, no_cross_checks,
};
use crate::service_item::ServiceItem;

pub const SPEC: ItemSpec = ItemSpec {
    item: ServiceItem::OtherWork,
    labels: SERVICE_LABELS,
    fields: &[
        FieldSpec {
            name: "title",
            label: "工作名称",
            input: Input::Text { max: 100 },
            required: true,
        },
        FieldSpec {
            name: "content",
            label: "工作内容",
            input: Input::Textarea { max: 5000 },
            required: true,
        },
    ],
    check: no_cross_checks,
    columns: &["title"],
    files: &[PHOTOS, MATERIALS],
};
