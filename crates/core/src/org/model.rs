use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::password::NewPassword;
use crate::error::{CoreResult, FieldErrors};
use crate::field::{self, CreditCode, Phone};
use crate::ids::OrgId;

/// 机构类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrgKind {
    /// 监管平台运营 (the single platform organization)
    Platform,
    /// 监管部门
    Regulator,
    /// 保险机构
    Insurer,
    /// 技术服务机构
    Agency,
    /// 投保企业
    Enterprise,
}

impl OrgKind {
    pub const ALL: [OrgKind; 5] = [
        OrgKind::Platform,
        OrgKind::Regulator,
        OrgKind::Insurer,
        OrgKind::Agency,
        OrgKind::Enterprise,
    ];
    /// Types the platform admin can create; there is exactly one platform organization.
    pub const CREATABLE: [OrgKind; 4] = [
        OrgKind::Regulator,
        OrgKind::Insurer,
        OrgKind::Agency,
        OrgKind::Enterprise,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Platform => "platform",
            OrgKind::Regulator => "regulator",
            OrgKind::Insurer => "insurer",
            OrgKind::Agency => "agency",
            OrgKind::Enterprise => "enterprise",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Platform => "监管平台",
            OrgKind::Regulator => "监管部门",
            OrgKind::Insurer => "保险机构",
            OrgKind::Agency => "技术服务机构",
            OrgKind::Enterprise => "投保企业",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: OrgId,
    pub kind: OrgKind,
    pub name: String,
    /// The platform organization has none.
    pub credit_code: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    pub fn status_label(&self) -> &'static str {
        if self.enabled { "启用" } else { "停用" }
    }
}

/// The organization form as submitted; every field is text so no input fails before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgForm {
    pub kind: String,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// First admin account, on create only.
    pub admin_username: String,
    pub admin_name: String,
    pub admin_password: String,
}

impl OrgForm {
    pub fn from_org(o: &Organization) -> Self {
        Self {
            kind: o.kind.code().into(),
            name: o.name.clone(),
            credit_code: o.credit_code.clone().unwrap_or_default(),
            region_code: o.region_code.clone(),
            address: o.address.clone(),
            contact_name: o.contact_name.clone(),
            contact_phone: o.contact_phone.clone(),
            ..Self::default()
        }
    }
}

/// Validated organization fields.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgFields {
    pub name: String,
    /// Required for every type but the platform.
    pub credit_code: Option<CreditCode>,
    pub region_code: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: Phone,
}

/// Validated first admin of a new organization.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub username: crate::account::Username,
    pub name: String,
    pub password: NewPassword,
}

impl OrgFields {
    pub fn parse(form: &OrgForm, kind: OrgKind, errors: &mut FieldErrors) -> Option<Self> {
        let name = errors.take("name", field::text(&form.name, "机构名称", 100, true));
        let credit_code = errors.take(
            "credit_code",
            if kind == OrgKind::Platform && form.credit_code.trim().is_empty() {
                Ok(None)
            } else {
                CreditCode::parse(&form.credit_code).map(Some)
            },
        );
        let region_code = errors.take(
            "region_code",
            if form.region_code.trim().is_empty() {
                Err("请选择所属区划".to_string())
            } else {
                field::text(&form.region_code, "所属区划", 12, true)
            },
        );
        let address = errors.take("address", field::text(&form.address, "地址", 200, true));
        let contact_name = errors.take(
            "contact_name",
            field::text(&form.contact_name, "联系人", 50, true),
        );
        let contact_phone = errors.take("contact_phone", Phone::parse(&form.contact_phone));
        Some(Self {
            name: name?,
            credit_code: credit_code?,
            region_code: region_code?,
            address: address?,
            contact_name: contact_name?,
            contact_phone: contact_phone?,
        })
    }

    /// Human summary of what changed, for the operation log.
    pub fn diff(&self, before: &Organization) -> String {
        let mut changes = Vec::new();
        let mut cmp = |label: &str, old: &str, new: &str| {
            if old != new {
                changes.push(format!("{label}: {old} → {new}"));
            }
        };
        cmp("名称", &before.name, &self.name);
        cmp(
            "统一社会信用代码",
            before.credit_code.as_deref().unwrap_or(""),
            self.credit_code
                .as_ref()
                .map(CreditCode::as_str)
                .unwrap_or(""),
        );
        cmp("所属区划", &before.region_code, &self.region_code);
        cmp("地址", &before.address, &self.address);
        cmp("联系人", &before.contact_name, &self.contact_name);
        cmp(
            "联系电话",
            &before.contact_phone,
            self.contact_phone.as_str(),
        );
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        }
    }
}

/// A new organization as the service hands it to the store.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub fields: OrgFields,
}

pub fn parse_create(form: &OrgForm) -> CoreResult<(NewOrg, FirstAdmin)> {
    let mut errors = FieldErrors::new();
    let kind = errors.take(
        "kind",
        OrgKind::from_code(form.kind.trim())
            .filter(|k| OrgKind::CREATABLE.contains(k))
            .ok_or_else(|| "请选择机构类型".to_string()),
    );
    let fields = OrgFields::parse(form, kind.unwrap_or(OrgKind::Agency), &mut errors);
    let username = errors.take(
        "admin_username",
        crate::account::Username::parse(&form.admin_username),
    );
    let admin_name = errors.take(
        "admin_name",
        field::text(&form.admin_name, "管理员姓名", 50, true),
    );
    let password = errors.take("admin_password", NewPassword::parse(&form.admin_password));
    match (kind, fields, username, admin_name, password) {
        (Some(kind), Some(fields), Some(username), Some(name), Some(password))
            if errors.is_empty() =>
        {
            Ok((
                NewOrg { kind, fields },
                FirstAdmin {
                    username,
                    name,
                    password,
                },
            ))
        }
        _ => Err(crate::CoreError::Validation(errors)),
    }
}

pub fn parse_update(form: &OrgForm, kind: OrgKind) -> CoreResult<OrgFields> {
    let mut errors = FieldErrors::new();
    let fields = OrgFields::parse(form, kind, &mut errors);
    match fields {
        Some(f) if errors.is_empty() => Ok(f),
        _ => Err(crate::CoreError::Validation(errors)),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgFilter {
    /// 名称 or 统一社会信用代码, partial.
    pub q: String,
    pub kind: String,
    pub region: String,
    /// "enabled" | "disabled" | ""
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> OrgForm {
        OrgForm {
            kind: "agency".into(),
            name: "泉州安信安全技术服务有限公司".into(),
            credit_code: CreditCode::with_check_digit("91350503MA2Y00001")
                .unwrap()
                .to_string(),
            region_code: "350503".into(),
            address: "丰泽区东海大街 1 号".into(),
            contact_name: "陈经理".into(),
            contact_phone: "13905951234".into(),
            admin_username: "anxin".into(),
            admin_name: "陈安信".into(),
            admin_password: "Anxin2026".into(),
        }
    }

    #[test]
    fn parses_a_complete_form() {
        let (org, admin) = parse_create(&form()).unwrap();
        assert_eq!(org.kind, OrgKind::Agency);
        assert_eq!(admin.username.as_str(), "anxin");
    }

    #[test]
    fn collects_every_field_error() {
        let mut f = form();
        f.kind = "platform".into();
        f.credit_code = "123".into();
        f.contact_phone = "abc".into();
        f.admin_password = "short".into();
        let Err(crate::CoreError::Validation(errors)) = parse_create(&f) else {
            panic!("expected validation errors")
        };
        for field in ["kind", "credit_code", "contact_phone", "admin_password"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn diff_lists_changed_fields_only() {
        let (org, _) = parse_create(&form()).unwrap();
        let before = Organization {
            id: OrgId(1),
            kind: OrgKind::Agency,
            name: "旧名称".into(),
            credit_code: org.fields.credit_code.as_ref().map(|c| c.to_string()),
            region_code: "350503".into(),
            region_name: String::new(),
            address: org.fields.address.clone(),
            contact_name: org.fields.contact_name.clone(),
            contact_phone: org.fields.contact_phone.to_string(),
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(
            org.fields.diff(&before),
            "名称: 旧名称 → 泉州安信安全技术服务有限公司"
        );
    }
}
