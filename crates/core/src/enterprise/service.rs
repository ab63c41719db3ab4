use chrono::{DateTime, Utc};

use super::{Enterprise, EnterpriseFields, EnterpriseFilter, EnterpriseForm};
use crate::attachment::{Attachment, OwnerRef};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::geo::GeoPoint;
use crate::ids::{AttachmentId, OrgId};
use crate::industry::{self, Industry, IndustryChoice};
use crate::page::{Page, PageRequest};
use crate::region::Region;
use crate::scope::{self, Scope};
use crate::store::Store;

/// Whether the actor may edit this enterprise's master data. An enterprise is shared by every
/// insurer that covers it, so an insurer edits it only while it holds a policy on it; one that
/// nobody insures yet stays with the insurer that registered it, until someone writes a policy
/// on it (the registrant then edits it only if that someone is itself). The platform, steward of
/// the master data, edits any.
pub fn can_edit(actor: &Actor, enterprise: &Enterprise) -> bool {
    if !actor.has(Permission::EnterpriseEdit) {
        return false;
    }
    if actor.is_platform() {
        return true;
    }
    if enterprise.insurers.is_empty() {
        enterprise.created_by == Some(actor.org_id)
    } else {
        enterprise.insurers.contains(&actor.org_id)
    }
}

/// What the enterprise list and form choose from.
pub struct Options {
    pub regions: Vec<Region>,
    /// First-level industries, for the list's filter.
    pub sectors: Vec<Industry>,
    /// Second-level industries with their labels, for the form.
    pub industries: Vec<IndustryChoice>,
}

pub async fn options(store: &dyn Store, actor: &Actor) -> CoreResult<Options> {
    require(actor, Permission::EnterpriseView)?;
    let all = store.list_industries().await?;
    Ok(Options {
        regions: store.list_regions().await?,
        industries: industry::choices(&all),
        sectors: all
            .into_iter()
            .filter(|i| i.parent_code.is_none())
            .collect(),
    })
}

/// The enterprise, for its edit form: refused unless `can_edit`.
pub async fn get_for_edit(store: &dyn Store, actor: &Actor, id: OrgId) -> CoreResult<Enterprise> {
    require(actor, Permission::EnterpriseEdit)?;
    let e = get(store, actor, id).await?;
    if !can_edit(actor, &e) {
        return Err(CoreError::Refused(
            "只有承保该企业的保险机构(尚无保单时为登记该企业的机构)才能修改其信息".into(),
        ));
    }
    Ok(e)
}

/// Regulators see the enterprises of their regions; insurers and the platform see all, since an
/// enterprise is shared by every insurer that covers it.
async fn regions(store: &dyn Store, actor: &Actor) -> CoreResult<Option<Vec<String>>> {
    Ok(match scope::of(store, actor).await? {
        Scope::Regions(r) => Some(r),
        _ => None,
    })
}

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &EnterpriseFilter,
    page: PageRequest,
) -> CoreResult<Page<Enterprise>> {
    require(actor, Permission::EnterpriseView)?;
    let regions = regions(store, actor).await?;
    store
        .list_enterprises(regions.as_deref(), filter, page)
        .await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: OrgId) -> CoreResult<Enterprise> {
    require(actor, Permission::EnterpriseView)?;
    let e = store.get_enterprise(id).await?.ok_or(CoreError::NotFound)?;
    match regions(store, actor).await? {
        Some(r) if !r.contains(&e.region_code) => Err(CoreError::NotFound),
        _ => Ok(e),
    }
}

async fn check_refs(store: &dyn Store, fields: &EnterpriseFields) -> CoreResult<()> {
    if store.get_region(&fields.org.region_code).await?.is_none() {
        return Err(field_error("region_code", "所属区划不存在,请从列表中选择"));
    }
    let industries = store.list_industries().await?;
    if !industries
        .iter()
        .any(|i| i.code == fields.industry_code && i.parent_code.is_some())
    {
        return Err(field_error("industry_code", "请从列表中选择二级行业"));
    }
    Ok(())
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &EnterpriseForm,
    now: DateTime<Utc>,
) -> CoreResult<OrgId> {
    require(actor, Permission::EnterpriseCreate)?;
    let fields = EnterpriseFields::parse(form)?;
    check_refs(store, &fields).await?;
    let code = fields
        .org
        .credit_code
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if store.credit_code_taken(&code, None).await? {
        return Err(field_error(
            "credit_code",
            "该统一社会信用代码已登记,请在企业列表中直接选用",
        ));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Enterprise,
        None,
        &fields.org.name,
        format!("统一社会信用代码: {code}"),
    );
    store
        .create_enterprise(&fields, actor.org_id, &audit)
        .await
        .map_err(|e| e.on_duplicate("credit_code", "该统一社会信用代码已登记"))
}

pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
    form: &EnterpriseForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let before = get_for_edit(store, actor, id).await?;
    let mut fields = EnterpriseFields::parse(form)?;
    if fields.site == before.site {
        fields.site_photo = before.site_photo;
    }
    check_refs(store, &fields).await?;
    let code = fields
        .org
        .credit_code
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if store.credit_code_taken(&code, Some(id)).await? {
        return Err(field_error("credit_code", "该统一社会信用代码已登记"));
    }
    let mut changes = Vec::new();
    let mut cmp = |label: &str, old: &str, new: &str| {
        if old != new {
            changes.push(format!("{label}: {old} → {new}"));
        }
    };
    cmp("名称", &before.name, &fields.org.name);
    cmp("统一社会信用代码", &before.credit_code, &code);
    cmp("所属区划", &before.region_code, &fields.org.region_code);
    cmp("地址", &before.address, &fields.org.address);
    cmp("行业", &before.industry_code, &fields.industry_code);
    cmp(
        "从业人数",
        &before.employee_count.to_string(),
        &fields.employee_count.to_string(),
    );
    let site = |p: Option<GeoPoint>| p.map(GeoPoint::label).unwrap_or_else(|| "未填写".into());
    cmp("位置", &site(before.site), &site(fields.site));
    cmp("联系人", &before.contact_name, &fields.org.contact_name);
    cmp(
        "联系电话",
        &before.contact_phone,
        fields.org.contact_phone.as_str(),
    );
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Enterprise,
        Some(id.0),
        &before.name,
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        },
    );
    store
        .update_enterprise(id, &fields, &audit)
        .await
        .map_err(|e| e.on_duplicate("credit_code", "该统一社会信用代码已登记"))
}

/// The site a confirmed record's photos give: the GPS position of its first geotagged evidence
/// photo (the earliest uploaded). Sign-in sheets and signatures are not where the site is.
pub fn site_from_photos(photos: &[Attachment]) -> Option<(GeoPoint, AttachmentId)> {
    photos
        .iter()
        .filter(|a| a.kind.is_image() && crate::integrity::is_evidence(&a.field))
        .filter_map(|a| a.gps.map(|(lat, lng)| (GeoPoint { lat, lng }, a.id)))
        .min_by_key(|(_, id)| *id)
}

/// When the enterprise confirms a record and has no site yet, its site becomes the position of
/// the record's first geotagged photo: the enterprise has just attested that the visit, and so
/// its photos, happened at its premises. Later photos are checked against it (拍摄地点异常).
pub async fn adopt_site_from_record(
    store: &dyn Store,
    actor: &Actor,
    enterprise_id: OrgId,
    owner: OwnerRef,
    what: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let Some(enterprise) = store.get_enterprise(enterprise_id).await? else {
        return Ok(());
    };
    if enterprise.site.is_some() {
        return Ok(());
    }
    let photos = store.attachments_of(owner.kind, &[owner.id]).await?;
    let Some((site, photo)) = site_from_photos(&photos) else {
        return Ok(());
    };
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Enterprise,
        Some(enterprise_id.0),
        &enterprise.name,
        format!(
            "位置: 未填写 → {}(取自企业确认的{what}中的照片)",
            site.label()
        ),
    );
    store
        .adopt_enterprise_site(enterprise_id, site, photo, &audit)
        .await?;
    Ok(())
}

/// Whether the actor may open the first account of this enterprise: the platform admin, or an
/// insurer holding 账号管理·新增 that insures it. Only the first: after that the enterprise's own
/// admin manages its accounts, so no insurer can sign for an enterprise that already signs itself.
pub fn can_open_account(actor: &Actor, enterprise: &Enterprise) -> bool {
    actor.is_platform_admin()
        || (actor.org_kind == crate::org::OrgKind::Insurer
            && actor.has(Permission::AccountCreate)
            && enterprise.insurers.contains(&actor.org_id))
}

/// The enterprise, for its 开通账号 page: refused unless `can_open_account`.
pub async fn get_for_account(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
) -> CoreResult<Enterprise> {
    require(actor, Permission::AccountCreate)?;
    let enterprise = get(store, actor, id).await?;
    if !can_open_account(actor, &enterprise) {
        return Err(CoreError::Refused(
            "只有承保该企业的保险机构或平台管理员才能为其开通账号".into(),
        ));
    }
    Ok(enterprise)
}

/// Whether the enterprise has an account already (any, enabled or not).
pub async fn has_accounts(store: &dyn Store, enterprise: OrgId) -> CoreResult<bool> {
    let page = store
        .list_accounts(
            Some(enterprise),
            &crate::account::AccountFilter::default(),
            PageRequest::first(1),
        )
        .await?;
    Ok(page.total > 0)
}

fn already_opened() -> CoreError {
    CoreError::Conflict("该企业已开通账号,其他账号请由企业管理员在“账号管理”中添加".into())
}

/// The enterprise's 管理员 role, made with its built-in roles if it had none.
async fn admin_role(store: &dyn Store, enterprise: OrgId) -> CoreResult<crate::role::Role> {
    crate::role::service::ensure_builtin(store, enterprise).await?;
    store
        .roles_of_org(enterprise)
        .await?
        .into_iter()
        .find(|r| r.kind == crate::role::RoleKind::Admin)
        .ok_or_else(|| CoreError::Internal(format!("enterprise {enterprise} has no admin role")))
}

/// Validates the account fields and saves the enterprise's first account with its 管理员 role.
async fn create_first_account(
    store: &dyn Store,
    enterprise: &Enterprise,
    form: crate::account::AccountForm,
    audit: AuditEvent,
) -> CoreResult<crate::ids::AccountId> {
    let role = admin_role(store, enterprise.id).await?;
    let form = crate::account::AccountForm {
        role_ids: vec![role.id.to_string()],
        enabled: "1".into(),
        ..form
    };
    let parsed = crate::account::ParsedAccount::parse(&form, true)?;
    let (Some(username), Some(password)) = (parsed.username, parsed.password) else {
        return Err(CoreError::Internal(
            "parse(creating) yields username and password".into(),
        ));
    };
    if store.username_taken(username.as_str()).await? {
        return Err(field_error("username", "该登录账号已存在"));
    }
    if has_accounts(store, enterprise.id).await? {
        return Err(already_opened());
    }
    let account = crate::account::NewAccount {
        org_id: Some(enterprise.id),
        username,
        name: parsed.name,
        phone: parsed.phone,
        password_hash: password.hash(),
        enabled: true,
        role_ids: vec![role.id],
    };
    store
        .create_account(&account, &audit.in_org(enterprise.id))
        .await
        .map_err(|e| e.on_duplicate("username", "该登录账号已存在"))
}

/// 开通企业账号 by an insurer that insures the enterprise, or by the platform.
pub async fn open_account(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
    form: &super::EnterpriseAccountForm,
    now: DateTime<Utc>,
) -> CoreResult<crate::ids::AccountId> {
    let enterprise = get_for_account(store, actor, id).await?;
    if has_accounts(store, id).await? {
        return Err(already_opened());
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Account,
        None,
        &format!("{}({})", form.name.trim(), form.username.trim()),
        format!("为投保企业“{}”开通管理员账号", enterprise.name),
    );
    create_first_account(
        store,
        &enterprise,
        crate::account::AccountForm {
            org_id: id.to_string(),
            username: form.username.clone(),
            name: form.name.clone(),
            phone: form.phone.clone(),
            password: form.password.clone(),
            ..Default::default()
        },
        audit,
    )
    .await
}

/// Whether the three facts match: the enterprise by its code, its 联系电话 (digits compared), and
/// a policy of it under that number whose period has not ended.
async fn registration_matches(
    store: &dyn Store,
    form: &super::RegistrationForm,
    code: &str,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let Some(enterprise) = store.find_enterprise_by_credit_code(code).await? else {
        return Ok(false);
    };
    let digits = |p: &str| p.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let phone = digits(&form.contact_phone);
    if phone.is_empty() || digits(&enterprise.contact_phone) != phone {
        return Ok(false);
    }
    let today = crate::time::today(now);
    let policy_no = form.policy_no.trim();
    let policies = store
        .list_policies(
            &Scope::Enterprise(enterprise.id),
            &crate::policy::PolicyQuery {
                q: Some(policy_no.to_string()),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await?;
    Ok(policies
        .items
        .iter()
        .any(|p| p.policy_no == policy_no && p.end_date >= today))
}

/// The one answer a registration gets when the three facts do not match a policy, whichever of
/// them is wrong, so the form cannot be used to learn which enterprises or policies exist.
pub const REGISTRATION_MISMATCH: &str =
    "统一社会信用代码、保单号与联系电话不匹配,请核对保单信息,或联系承保的保险机构开通账号";

/// 企业自助注册: an exact match of 统一社会信用代码, a 保单号 of that enterprise whose period has
/// not ended, and the 联系电话 the insurer registered opens the enterprise's first account. No
/// approval step: the match proves what an insurer would check by hand, and only an enterprise
/// without any account can register (later accounts come from its own admin).
pub async fn register(
    store: &dyn Store,
    form: &super::RegistrationForm,
    ip: &str,
    now: DateTime<Utc>,
) -> CoreResult<crate::ids::AccountId> {
    let mut errors = crate::error::FieldErrors::new();
    for (field, value, label) in [
        ("credit_code", &form.credit_code, "统一社会信用代码"),
        ("policy_no", &form.policy_no, "保单号"),
        ("contact_phone", &form.contact_phone, "联系电话"),
    ] {
        if value.trim().is_empty() {
            errors.add(field, format!("请填写{label}"));
        }
    }
    if form.password != form.confirm_password {
        errors.add("confirm_password", "两次输入的密码不一致");
    }
    errors.into_result(())?;
    let code = form.credit_code.trim().to_uppercase();
    // Guessing is throttled like passwords: per (信用代码, address), growing locks, each miss in
    // 登录日志.
    let key = crate::auth::login::throttle_key(&format!("企业注册:{code}"));
    if let Some(until) = store
        .login_throttle(&key, ip)
        .await?
        .and_then(|t| t.locked(now))
    {
        return Err(field_error(
            "credit_code",
            format!(
                "核对失败次数过多,请于 {} 后再试",
                until
                    .with_timezone(&crate::time::china())
                    .format("%m-%d %H:%M")
            ),
        ));
    }
    if !registration_matches(store, form, &code, now).await? {
        let step = |prev: Option<&crate::auth::login::Throttle>| {
            (
                crate::auth::login::Throttle::after_failure(prev, false, now),
                crate::audit::LoginEvent {
                    at: now,
                    username: key.clone(),
                    account_id: None,
                    org_id: None,
                    success: false,
                    reason: "企业自助注册信息不匹配".into(),
                    ip: ip.chars().take(64).collect(),
                    user_agent: String::new(),
                },
            )
        };
        store.register_login_failure(&key, ip, &step).await?;
        return Err(field_error("credit_code", REGISTRATION_MISMATCH));
    }
    let enterprise = store
        .find_enterprise_by_credit_code(&code)
        .await?
        .ok_or(CoreError::NotFound)?;
    let policy_no = form.policy_no.trim();
    if has_accounts(store, enterprise.id).await? {
        return Err(already_opened());
    }
    let audit = AuditEvent {
        ip: ip.chars().take(64).collect(),
        actor_name: format!("{}(企业自助注册)", form.name.trim()),
        ..AuditEvent::system(
            now,
            AuditAction::Create,
            ObjectKind::Account,
            None,
            &format!("{}({})", form.name.trim(), form.username.trim()),
            format!(
                "投保企业“{}”凭保单 {} 自助注册管理员账号",
                enterprise.name, policy_no
            ),
        )
    };
    create_first_account(
        store,
        &enterprise,
        crate::account::AccountForm {
            username: form.username.clone(),
            name: form.name.clone(),
            phone: form.phone.clone(),
            password: form.password.clone(),
            ..Default::default()
        },
        audit,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::DataScope;
    use crate::org::OrgKind;
    use crate::role::service::tests::actor;

    fn enterprise(created_by: Option<i64>, insurers: &[i64]) -> Enterprise {
        Enterprise {
            id: OrgId(50),
            name: String::new(),
            credit_code: String::new(),
            region_code: String::new(),
            region_name: String::new(),
            address: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            industry_code: String::new(),
            industry_label: String::new(),
            mandatory: false,
            employee_count: 1,
            created_at: chrono::DateTime::UNIX_EPOCH,
            created_by: created_by.map(OrgId),
            insurers: insurers.iter().copied().map(OrgId).collect(),
            site: None,
            site_photo: None,
        }
    }

    #[test]
    fn insurers_edit_what_they_insure_and_registrants_what_nobody_insures() {
        let a = actor(
            2,
            OrgKind::Insurer,
            false,
            DataScope::Organization,
            &[Permission::EnterpriseEdit],
        );
        let b = actor(3, OrgKind::Insurer, true, DataScope::Organization, &[]);
        assert!(can_edit(&a, &enterprise(None, &[2, 4])));
        assert!(!can_edit(&b, &enterprise(None, &[2, 4])));
        assert!(can_edit(&a, &enterprise(Some(2), &[])));
        assert!(!can_edit(&b, &enterprise(Some(2), &[])));
        assert!(
            !can_edit(&a, &enterprise(Some(2), &[3])),
            "the registrant yields to the insurer"
        );
        assert!(!can_edit(&a, &enterprise(None, &[])));
        let viewer = actor(2, OrgKind::Insurer, false, DataScope::Organization, &[]);
        assert!(!can_edit(&viewer, &enterprise(None, &[2])));
        let platform = actor(1, OrgKind::Platform, true, DataScope::Organization, &[]);
        assert!(can_edit(&platform, &enterprise(None, &[])));
    }
}
