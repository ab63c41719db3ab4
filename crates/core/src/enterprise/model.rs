use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::geo::{GeoPoint, parse_site};
use crate::ids::{AttachmentId, OrgId};
use crate::org::{OrgFields, OrgForm, OrgKind};

#[derive(Debug, Clone, Serialize)]
pub struct Enterprise {
    pub id: OrgId,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub industry_code: String,
    /// `危险化学品 / 经营`
    pub industry_label: String,
    /// In a sector where 安责险 is compulsory.
    pub mandatory: bool,
    pub employee_count: i64,
    pub created_at: DateTime<Utc>,
    /// The organization that registered it through 投保企业 or a policy import; `None` for
    /// enterprises registered before this was recorded, or by the platform's 机构管理.
    pub created_by: Option<OrgId>,
    /// Insurers holding a policy on it, each once.
    pub insurers: Vec<OrgId>,
    /// 经度/纬度 of its site, against which photos' GPS positions are checked.
    pub site: Option<GeoPoint>,
    /// The photo the site was taken from, when it was not typed on the form: the first geotagged
    /// photo of a record the enterprise confirmed.
    pub site_photo: Option<AttachmentId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnterpriseForm {
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub industry_code: String,
    pub employee_count: String,
    /// 经度, optional
    pub longitude: String,
    /// 纬度, optional
    pub latitude: String,
}

impl EnterpriseForm {
    pub fn from_enterprise(e: &Enterprise) -> Self {
        Self {
            name: e.name.clone(),
            credit_code: e.credit_code.clone(),
            region_code: e.region_code.clone(),
            address: e.address.clone(),
            contact_name: e.contact_name.clone(),
            contact_phone: e.contact_phone.clone(),
            industry_code: e.industry_code.clone(),
            employee_count: e.employee_count.to_string(),
            longitude: e.site.map(|p| p.lng.to_string()).unwrap_or_default(),
            latitude: e.site.map(|p| p.lat.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnterpriseFields {
    pub org: OrgFields,
    pub industry_code: String,
    pub employee_count: i64,
    pub site: Option<GeoPoint>,
    /// Kept from the stored enterprise while the form leaves its site unchanged.
    pub site_photo: Option<AttachmentId>,
}

impl EnterpriseFields {
    pub fn parse(form: &EnterpriseForm) -> CoreResult<Self> {
        let mut errors = FieldErrors::new();
        let org_form = OrgForm {
            kind: OrgKind::Enterprise.code().into(),
            name: form.name.clone(),
            credit_code: form.credit_code.clone(),
            region_code: form.region_code.clone(),
            address: form.address.clone(),
            contact_name: form.contact_name.clone(),
            contact_phone: form.contact_phone.clone(),
            ..OrgForm::default()
        };
        let org = OrgFields::parse(&org_form, OrgKind::Enterprise, &mut errors);
        let industry = errors.take(
            "industry_code",
            if form.industry_code.trim().is_empty() {
                Err("请选择行业".to_string())
            } else {
                field::text(&form.industry_code, "行业", 20, true)
            },
        );
        let employees = errors.take(
            "employee_count",
            field::count(&form.employee_count, "从业人数", 1, 1_000_000),
        );
        let site = match parse_site(&form.longitude, &form.latitude) {
            Ok(site) => site,
            Err((field, message)) => {
                errors.add(field, message);
                None
            }
        };
        match (org, industry, employees) {
            (Some(org), Some(industry_code), Some(employee_count)) if errors.is_empty() => {
                Ok(Self {
                    org,
                    industry_code,
                    employee_count,
                    site,
                    site_photo: None,
                })
            }
            _ => Err(CoreError::Validation(errors)),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnterpriseFilter {
    /// 名称 or 统一社会信用代码
    pub q: String,
    pub region: String,
    pub industry: String,
    /// "1": only mandatory sectors
    pub mandatory: String,
}

/// 开通企业账号: the first account of an insured enterprise, made by an insurer that insures it
/// or by the platform. It holds the enterprise's 管理员 role; the enterprise's admin adds the rest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnterpriseAccountForm {
    pub username: String,
    pub name: String,
    pub phone: String,
    pub password: String,
}

/// 企业自助注册: the enterprise proves it holds a policy with three facts printed on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationForm {
    /// 统一社会信用代码
    pub credit_code: String,
    /// 保单号
    pub policy_no: String,
    /// 联系电话 as the insurer registered it with the policy
    pub contact_phone: String,
    pub username: String,
    pub name: String,
    pub phone: String,
    pub password: String,
    pub confirm_password: String,
}
