//! How a record type describes its own fields, so forms, validation, lists and exports follow
//! from one declaration.

use std::collections::BTreeMap;

use crate::attachment::{FileRule, OwnerKind};
use crate::error::FieldErrors;
use crate::field;
use crate::service_item::ServiceItem;

/// A choice: stored code, shown label.
pub type Choice = (&'static str, &'static str);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Text {
        max: usize,
    },
    Textarea {
        max: usize,
    },
    /// A whole number within the range.
    Count {
        min: i64,
        max: i64,
    },
    /// Hours in steps of 0.5, as training records count them.
    Hours {
        max: i64,
    },
    Select(&'static [Choice]),
    /// Several choices; stored comma-separated.
    Checks(&'static [Choice]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
}

impl FieldSpec {
    pub fn choices(&self) -> &'static [Choice] {
        match self.input {
            Input::Select(c) | Input::Checks(c) => c,
            _ => &[],
        }
    }

    pub fn is_select(&self) -> bool {
        matches!(self.input, Input::Select(_))
    }

    pub fn is_checks(&self) -> bool {
        matches!(self.input, Input::Checks(_))
    }

    pub fn is_textarea(&self) -> bool {
        matches!(self.input, Input::Textarea { .. })
    }

    pub fn is_number(&self) -> bool {
        matches!(self.input, Input::Count { .. } | Input::Hours { .. })
    }

    pub fn max_len(&self) -> usize {
        match self.input {
            Input::Text { max } | Input::Textarea { max } => max,
            _ => 12,
        }
    }

    /// Validates one raw value (several for `Checks`); `None` when empty and optional.
    pub fn parse(&self, raw: &[String]) -> Result<Option<String>, String> {
        let first = raw.first().map(|s| s.trim()).unwrap_or("");
        let empty = match self.input {
            Input::Checks(_) => raw.iter().all(|s| s.trim().is_empty()),
            _ => first.is_empty(),
        };
        if empty {
            return if self.required {
                Err(match self.input {
                    Input::Select(_) | Input::Checks(_) => format!("请选择{}", self.label),
                    _ => format!("请填写{}", self.label),
                })
            } else {
                Ok(None)
            };
        }
        let value = match self.input {
            Input::Text { max } | Input::Textarea { max } => {
                field::text(first, self.label, max, self.required)?
            }
            Input::Count { min, max } => field::count(first, self.label, min, max)?.to_string(),
            Input::Hours { max } => {
                let half_hours = field::Money::parse(first, self.label, max)
                    .map_err(|_| format!("{}应为数字,如 2 或 1.5", self.label))?
                    .cents();
                if half_hours == 0 || half_hours % 50 != 0 {
                    return Err(format!("{}应大于 0,以 0.5 为单位", self.label));
                }
                first.to_string()
            }
            Input::Select(choices) => choices
                .iter()
                .find(|(code, _)| *code == first)
                .map(|(code, _)| code.to_string())
                .ok_or_else(|| format!("{}选项无效", self.label))?,
            Input::Checks(choices) => {
                let mut picked = Vec::new();
                for v in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    let (code, _) = choices
                        .iter()
                        .find(|(code, _)| *code == v)
                        .ok_or_else(|| format!("{}选项无效", self.label))?;
                    if !picked.contains(code) {
                        picked.push(*code);
                    }
                }
                // Keep the declared order, whatever order the browser sent.
                choices
                    .iter()
                    .filter(|(c, _)| picked.contains(c))
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        Ok(Some(value))
    }

    /// What the user sees for a stored value.
    pub fn display(&self, value: &str) -> String {
        match self.input {
            Input::Select(choices) => choices
                .iter()
                .find(|(c, _)| *c == value)
                .map_or(value, |(_, l)| *l)
                .to_string(),
            Input::Checks(choices) => value
                .split(',')
                .map(|v| choices.iter().find(|(c, _)| *c == v).map_or(v, |(_, l)| *l))
                .collect::<Vec<_>>()
                .join("、"),
            Input::Hours { .. } => format!("{value} 学时"),
            _ => value.to_string(),
        }
    }
}

/// The validated type-specific fields of one record, by field name.
pub type Details = BTreeMap<String, String>;

/// Everything a record type declares.
pub struct ItemSpec {
    pub item: ServiceItem,
    /// Labels of the common fields, which some types name their own way.
    pub labels: CommonLabels,
    pub fields: &'static [FieldSpec],
    /// Rules across fields (e.g. a drill needs its form and participants).
    pub check: fn(&Details, &mut FieldErrors),
    /// Fields shown as columns in the cross-order list and export, after the common ones.
    pub columns: &'static [&'static str],
    /// The evidence the type takes, one upload field each.
    pub files: &'static [FileRule],
}

impl ItemSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Label and display value of each filled field, in declaration order.
    pub fn describe(&self, details: &Details) -> Vec<(&'static str, String)> {
        self.fields
            .iter()
            .filter_map(|f| details.get(f.name).map(|v| (f.label, f.display(v))))
            .collect()
    }

    pub fn column_values(&self, details: &Details) -> Vec<String> {
        self.columns
            .iter()
            .map(|name| match (self.field(name), details.get(*name)) {
                (Some(f), Some(v)) => f.display(v),
                _ => String::new(),
            })
            .collect()
    }

    pub fn column_labels(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter_map(|name| self.field(name).map(|f| f.label))
            .collect()
    }
}

pub fn no_cross_checks(_: &Details, _: &mut FieldErrors) {}

/// What the common fields are called on a type's pages.
#[derive(Debug, Clone, Copy)]
pub struct CommonLabels {
    pub date: &'static str,
    pub location: &'static str,
    pub staff: &'static str,
    pub contact: &'static str,
    pub summary: &'static str,
}

pub const SERVICE_LABELS: CommonLabels = CommonLabels {
    date: "服务日期",
    location: "服务地点",
    staff: "服务人员",
    contact: "企业对接人",
    summary: "服务内容/小结",
};

/// The spec of every record type, in the seed's order.
pub fn spec_of(item: ServiceItem) -> Option<&'static ItemSpec> {
    match item {
        ServiceItem::Training => Some(&crate::training::SPEC),
        ServiceItem::RiskIdentification => Some(&crate::risk::SPEC),
        ServiceItem::Standardization => Some(&crate::standardization::SPEC),
        ServiceItem::Emergency => Some(&crate::emergency::SPEC),
        ServiceItem::Promotion => Some(&crate::promotion::SPEC),
        ServiceItem::OtherWork => Some(&crate::other_work::SPEC),
        ServiceItem::HazardInvestigation => Some(&crate::inspection::SPEC),
    }
}

/// Which kind of owner a type's attachments are filed under.
pub fn owner_kind(item: ServiceItem) -> OwnerKind {
    match item {
        ServiceItem::Training => OwnerKind::Training,
        ServiceItem::RiskIdentification => OwnerKind::Risk,
        ServiceItem::HazardInvestigation => OwnerKind::Inspection,
        ServiceItem::Standardization => OwnerKind::Standardization,
        ServiceItem::Emergency => OwnerKind::Emergency,
        ServiceItem::Promotion => OwnerKind::Promotion,
        ServiceItem::OtherWork => OwnerKind::OtherWork,
    }
}

/// 现场照片: every type takes photos of the service on site.
pub const PHOTOS: FileRule = FileRule {
    field: "photos",
    label: "现场照片",
    allowed: crate::attachment::IMAGES,
    required: false,
    max_files: 20,
};

/// Documents handed over or produced (资料), any type may take them.
pub const MATERIALS: FileRule = FileRule {
    field: "materials",
    label: "相关资料",
    allowed: crate::attachment::DOCUMENTS,
    required: false,
    max_files: 10,
};

/// The items that are service records.
pub fn record_items() -> Vec<ServiceItem> {
    ServiceItem::ALL
        .into_iter()
        .filter(|i| spec_of(*i).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHOICES: &[Choice] = &[("a", "甲"), ("b", "乙")];

    fn spec(input: Input, required: bool) -> FieldSpec {
        FieldSpec {
            name: "x",
            label: "字段",
            input,
            required,
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_each_input() {
        assert_eq!(
            spec(Input::Text { max: 3 }, true).parse(&v(&[" ab "])),
            Ok(Some("ab".into()))
        );
        assert!(
            spec(Input::Text { max: 3 }, true)
                .parse(&v(&[""]))
                .unwrap_err()
                .contains("请填写")
        );
        assert_eq!(spec(Input::Text { max: 3 }, false).parse(&v(&[])), Ok(None));
        assert!(
            spec(Input::Count { min: 1, max: 9 }, true)
                .parse(&v(&["10"]))
                .is_err()
        );
        assert_eq!(
            spec(Input::Hours { max: 100 }, true).parse(&v(&["1.5"])),
            Ok(Some("1.5".into()))
        );
        assert!(
            spec(Input::Hours { max: 100 }, true)
                .parse(&v(&["1.3"]))
                .is_err()
        );
        assert!(
            spec(Input::Select(CHOICES), true)
                .parse(&v(&["c"]))
                .unwrap_err()
                .contains("选项无效")
        );
        assert_eq!(
            spec(Input::Checks(CHOICES), true).parse(&v(&["b", "a", "b"])),
            Ok(Some("a,b".into()))
        );
        assert!(
            spec(Input::Checks(CHOICES), true)
                .parse(&v(&[]))
                .unwrap_err()
                .contains("请选择")
        );
        assert_eq!(spec(Input::Checks(CHOICES), true).display("a,b"), "甲、乙");
    }

    #[test]
    fn every_record_item_has_a_spec_with_unique_field_names() {
        for item in record_items() {
            let spec = spec_of(item).unwrap();
            assert_eq!(spec.item, item);
            let mut names: Vec<_> = spec.fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), spec.fields.len(), "{item:?}");
            for c in spec.columns {
                assert!(spec.field(c).is_some(), "{item:?} column {c}");
            }
        }
        assert_eq!(record_items().len(), 7);
    }
}
