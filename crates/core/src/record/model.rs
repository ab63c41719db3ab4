use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::confirmation::{Confirmation, RecordConfirmation};
use super::spec::{Details, ItemSpec};
use crate::account::AccountRef;
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{AccountId, OrderId, OrgId, RecordId};
use crate::service_item::ServiceItem;
use crate::time::parse_date;

#[derive(Debug, Clone, Serialize)]
pub struct ServiceRecord {
    pub id: RecordId,
    pub item: ServiceItem,
    pub order_id: OrderId,
    pub order_no: String,
    pub agency_id: OrgId,
    pub agency_name: String,
    pub insurer_id: OrgId,
    pub insurer_name: String,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub region_code: String,
    /// 服务日期
    pub service_date: NaiveDate,
    /// 服务地点
    pub location: String,
    /// 服务人员 (agency staff)
    pub staff: Vec<AccountRef>,
    /// 企业对接人
    pub enterprise_contact: String,
    /// 服务内容/小结
    pub summary: String,
    pub details: Details,
    pub created_by: AccountId,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// 企业确认
    pub confirmation: RecordConfirmation,
}

impl ServiceRecord {
    pub fn staff_names(&self) -> String {
        self.staff
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn has_staff(&self, id: &AccountId) -> bool {
        self.staff.iter().any(|s| s.id == *id)
    }
}

/// The record form as submitted: common fields plus the type's own, all as text.
#[derive(Debug, Clone, Default)]
pub struct RecordForm {
    pub service_date: String,
    pub location: String,
    pub staff_ids: Vec<String>,
    pub enterprise_contact: String,
    pub summary: String,
    /// 签字人: the enterprise representative who signed on the pad.
    pub signer_name: String,
    /// Every other field, repeated keys kept (check boxes).
    pub details: Vec<(String, String)>,
}

impl RecordForm {
    /// Builds the form from submitted pairs (multipart text parts or urlencoded fields).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "service_date" => f.service_date = v.clone(),
                "location" => f.location = v.clone(),
                "staff_ids" => f.staff_ids.push(v.clone()),
                "enterprise_contact" => f.enterprise_contact = v.clone(),
                "summary" => f.summary = v.clone(),
                "signer_name" => f.signer_name = v.clone(),
                // Edit-page file removals are read by the handler.
                "_csrf" | "remove_attachment" => {}
                _ => f.details.push((k.clone(), v.clone())),
            }
        }
        f
    }

    pub fn from_record(r: &ServiceRecord, spec: &ItemSpec) -> Self {
        let mut details = Vec::new();
        for f in spec.fields {
            if let Some(v) = r.details.get(f.name) {
                if f.is_checks() {
                    details.extend(v.split(',').map(|x| (f.name.to_string(), x.to_string())));
                } else {
                    details.push((f.name.to_string(), v.clone()));
                }
            }
        }
        Self {
            service_date: r.service_date.to_string(),
            location: r.location.clone(),
            staff_ids: r.staff.iter().map(|s| s.id.to_string()).collect(),
            enterprise_contact: r.enterprise_contact.clone(),
            summary: r.summary.clone(),
            signer_name: String::new(),
            details,
        }
    }

    /// The first submitted value of a type-specific field, for re-rendering the form.
    pub fn value(&self, name: &str) -> &str {
        self.details
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn has_value(&self, name: &str, code: &str) -> bool {
        self.details.iter().any(|(k, v)| k == name && v == code)
    }

    pub fn has_staff(&self, id: &AccountId) -> bool {
        let id = id.to_string();
        self.staff_ids.iter().any(|s| s.trim() == id)
    }
}

/// A validated record, as the service hands it to the store.
#[derive(Debug, Clone)]
pub struct RecordInput {
    pub service_date: NaiveDate,
    pub location: String,
    pub staff: Vec<AccountId>,
    pub enterprise_contact: String,
    pub summary: String,
    pub details: Details,
    /// What the save leaves the enterprise's confirmation at: 待确认 unless signed on site.
    pub confirmation: RecordConfirmation,
}

/// Validates the common fields and the type's own; the service date must fall inside the
/// order's service period and not in the future.
pub fn parse_record(
    form: &RecordForm,
    spec: &ItemSpec,
    period: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> CoreResult<RecordInput> {
    let mut errors = FieldErrors::new();
    let date = if form.service_date.trim().is_empty() {
        errors.add("service_date", "请填写服务日期");
        None
    } else {
        errors.take(
            "service_date",
            parse_date(&form.service_date).map_err(|m| format!("服务日期{m}")),
        )
    };
    if let Some(d) = date {
        if d < period.0 || d > period.1 {
            errors.add(
                "service_date",
                format!("服务日期须在订单服务期限 {} 至 {} 之内", period.0, period.1),
            );
        } else if d > today {
            errors.add("service_date", "服务日期不能晚于今天:请在服务完成后录入");
        }
    }
    let location = errors.take(
        "location",
        field::text(&form.location, "服务地点", 200, true),
    );
    let contact = errors.take(
        "enterprise_contact",
        field::text(&form.enterprise_contact, "企业对接人", 50, true),
    );
    let summary = errors.take(
        "summary",
        field::text(&form.summary, "服务内容/小结", 5000, true),
    );
    let mut staff = Vec::new();
    for raw in form
        .staff_ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match raw.parse::<AccountId>() {
            Ok(id) if !staff.contains(&id) => staff.push(id),
            Ok(_) => {}
            Err(_) => errors.add("staff_ids", "服务人员选择无效"),
        }
    }
    if staff.is_empty() && errors.get("staff_ids").is_none() {
        errors.add("staff_ids", "请选择服务人员");
    }
    let mut details = Details::new();
    for f in spec.fields {
        let raw: Vec<String> = form
            .details
            .iter()
            .filter(|(k, _)| k == f.name)
            .map(|(_, v)| v.clone())
            .collect();
        if let Some(Some(v)) = errors.take(f.name, f.parse(&raw)) {
            details.insert(f.name.to_string(), v);
        }
    }
    if errors.is_empty() {
        (spec.check)(&details, &mut errors);
    }
    match (date, location, contact, summary) {
        (Some(service_date), Some(location), Some(enterprise_contact), Some(summary))
            if errors.is_empty() =>
        {
            Ok(RecordInput {
                service_date,
                location,
                staff,
                enterprise_contact,
                summary,
                details,
                confirmation: RecordConfirmation::pending(),
            })
        }
        _ => Err(CoreError::Validation(errors)),
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecordFilter {
    /// 企业名称, partial
    pub enterprise: String,
    pub insurer: String,
    pub agency: String,
    /// 服务日期 range
    pub from: String,
    pub to: String,
    /// 服务人员 (account id)
    pub staff: String,
    /// 关键字: 服务地点 or 服务内容
    pub q: String,
    /// 确认状态 code
    pub confirmation: String,
    /// 服务项目 code (the confirmations list, across items)
    pub item: String,
    /// 可疑标记: `any` or a flag kind's code
    pub flag: String,
    /// 区划 code: that region and the regions below it (`region::filter`)
    pub region: String,
}

#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    pub enterprise: Option<String>,
    pub insurer: Option<OrgId>,
    pub agency: Option<OrgId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub staff: Option<AccountId>,
    pub q: Option<String>,
    /// The enterprise's region among these (set by the service from `RecordFilter::region`).
    pub regions: Option<Vec<String>>,
    /// Set for the per-order list.
    pub order: Option<OrderId>,
    pub confirmation: Option<Confirmation>,
    /// Across items when `None` (the confirmations list); the item lists name theirs.
    pub item: Option<ServiceItem>,
    /// 待确认, then 有异议, then 已确认, each newest first (the confirmations list).
    pub waiting_first: bool,
    pub flagged: Option<crate::integrity::FlaggedFilter>,
}

impl RecordFilter {
    pub fn query(&self) -> CoreResult<RecordQuery> {
        let mut errors = FieldErrors::new();
        let from = errors.optional_date("from", &self.from);
        let to = errors.optional_date("to", &self.to);
        let text = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.chars().take(50).collect::<String>())
        };
        errors.into_result(RecordQuery {
            enterprise: text(&self.enterprise),
            insurer: self.insurer.trim().parse::<i64>().ok().map(OrgId),
            agency: self.agency.trim().parse::<i64>().ok().map(OrgId),
            from,
            to,
            staff: self.staff.trim().parse::<i64>().ok().map(AccountId),
            q: text(&self.q),
            order: None,
            confirmation: Confirmation::from_code(self.confirmation.trim()),
            item: ServiceItem::from_code(self.item.trim()),
            waiting_first: false,
            flagged: crate::integrity::FlaggedFilter::parse(&self.flag),
            regions: None,
        })
    }
}
