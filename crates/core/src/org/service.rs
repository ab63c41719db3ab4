use chrono::{DateTime, Utc};

use super::{OrgFilter, OrgForm, OrgKind, Organization, parse_create, parse_update};
use crate::account::NewAccount;
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::OrgId;
use crate::page::{Page, PageRequest};
use crate::role::builtin_roles;
use crate::store::Store;

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &OrgFilter,
    page: PageRequest,
) -> CoreResult<Page<Organization>> {
    require(actor, Permission::OrgView)?;
    store.list_orgs(filter, page).await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: OrgId) -> CoreResult<Organization> {
    require(actor, Permission::OrgView)?;
    store.get_org(id).await?.ok_or(CoreError::NotFound)
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &OrgForm,
    now: DateTime<Utc>,
) -> CoreResult<OrgId> {
    require(actor, Permission::OrgCreate)?;
    let (org, admin) = parse_create(form)?;
    check_region(store, &org.fields.region_code).await?;
    if let Some(code) = &org.fields.credit_code
        && store.credit_code_taken(code.as_str(), None).await?
    {
        return Err(field_error("credit_code", "该统一社会信用代码已登记"));
    }
    if store.username_taken(admin.username.as_str()).await? {
        return Err(field_error("admin_username", "该账号已存在"));
    }
    let roles = builtin_roles(org.kind);
    let account = NewAccount {
        org_id: None,
        username: admin.username,
        name: admin.name,
        phone: None,
        password_hash: admin.password.hash(),
        enabled: true,
        role_ids: vec![],
    };
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Organization,
        None,
        &org.fields.name,
        format!(
            "类型: {};管理员账号: {}",
            org.kind.label(),
            account.username.as_str()
        ),
    );
    store
        .create_org(&org, &roles, &account, &audit)
        .await
        .map_err(|e| e.on_duplicate("credit_code", "统一社会信用代码或管理员账号已存在"))
}

pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
    form: &OrgForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::OrgEdit)?;
    let before = store.get_org(id).await?.ok_or(CoreError::NotFound)?;
    let fields = parse_update(form, before.kind)?;
    check_region(store, &fields.region_code).await?;
    if let Some(code) = &fields.credit_code
        && store.credit_code_taken(code.as_str(), Some(id)).await?
    {
        return Err(field_error("credit_code", "该统一社会信用代码已登记"));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Organization,
        Some(id.0),
        &fields.name,
        fields.diff(&before),
    );
    store
        .update_org(id, &fields, &audit)
        .await
        .map_err(|e| e.on_duplicate("credit_code", "该统一社会信用代码已登记"))
}

/// Whether the actor may enable or disable this organization: never the platform or its own.
pub fn can_toggle(actor: &Actor, org: &Organization) -> bool {
    actor.has(Permission::OrgToggle) && org.kind != OrgKind::Platform && org.id != actor.org_id
}

pub async fn set_enabled(
    store: &dyn Store,
    actor: &Actor,
    id: OrgId,
    enabled: bool,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::OrgToggle)?;
    let org = store.get_org(id).await?.ok_or(CoreError::NotFound)?;
    if !can_toggle(actor, &org) {
        return Err(CoreError::Conflict("不能停用本机构".into()));
    }
    if org.enabled == enabled {
        return Ok(());
    }
    let audit = AuditEvent::new(
        actor,
        now,
        if enabled {
            AuditAction::Enable
        } else {
            AuditAction::Disable
        },
        ObjectKind::Organization,
        Some(id.0),
        &org.name,
        if enabled {
            "状态: 停用 → 启用"
        } else {
            "状态: 启用 → 停用"
        }
        .to_string(),
    );
    store.set_org_enabled(id, enabled, &audit).await
}

/// Enabled organizations that may appear in pickers; the caller must be allowed to pick them.
/// Insured enterprises are left out: a province registers hundreds of thousands, and their
/// accounts are opened from 投保企业 instead.
pub async fn options(store: &dyn Store, actor: &Actor) -> CoreResult<Vec<Organization>> {
    if actor.is_platform() {
        store
            .org_options(Some(&[
                OrgKind::Platform,
                OrgKind::Regulator,
                OrgKind::Insurer,
                OrgKind::Agency,
            ]))
            .await
    } else {
        Ok(store.get_org(actor.org_id).await?.into_iter().collect())
    }
}

/// The organizations a list's 保险机构 / 服务机构 filters offer: an insurer filters by agency, an
/// agency by insurer, everyone else by both. Enterprises filter by neither.
pub async fn filter_choices(store: &dyn Store, actor: &Actor) -> CoreResult<FilterChoices> {
    let wants = |kind: OrgKind| match actor.org_kind {
        OrgKind::Enterprise => false,
        own => own != kind,
    };
    Ok(FilterChoices {
        insurers: if wants(OrgKind::Insurer) {
            store.org_options(Some(&[OrgKind::Insurer])).await?
        } else {
            vec![]
        },
        agencies: if wants(OrgKind::Agency) {
            store.org_options(Some(&[OrgKind::Agency])).await?
        } else {
            vec![]
        },
        regions: region_choices(store, actor).await?,
    })
}

/// The 区划 a list's filter offers: a regulator its own region and those below it, an
/// enterprise none (its rows are all in its own), everyone else every region.
async fn region_choices(
    store: &dyn Store,
    actor: &Actor,
) -> CoreResult<Vec<crate::region::Region>> {
    match actor.org_kind {
        OrgKind::Enterprise => Ok(vec![]),
        OrgKind::Regulator => {
            let own = store
                .get_org(actor.org_id)
                .await?
                .ok_or(crate::CoreError::NotFound)?;
            let all = store.list_regions().await?;
            let covered = crate::region::covered(&all, &own.region_code);
            Ok(all
                .into_iter()
                .filter(|r| covered.contains(&r.code))
                .collect())
        }
        _ => store.list_regions().await,
    }
}

/// See `filter_choices`.
#[derive(Debug, Clone, Default)]
pub struct FilterChoices {
    pub insurers: Vec<Organization>,
    pub agencies: Vec<Organization>,
    pub regions: Vec<crate::region::Region>,
}

/// 区划 for pickers and filters: a dictionary every logged-in actor may read.
pub async fn regions(store: &dyn Store, _actor: &Actor) -> CoreResult<Vec<crate::region::Region>> {
    store.list_regions().await
}

async fn check_region(store: &dyn Store, code: &str) -> CoreResult<()> {
    if store.get_region(code).await?.is_none() {
        return Err(field_error("region_code", "所属区划不存在,请从列表中选择"));
    }
    Ok(())
}

/// First start: creates the platform organization and its `admin` account. Returns `false` when
/// a platform organization already exists (another instance may have just created it).
pub async fn bootstrap_platform(
    store: &dyn Store,
    admin_password: &crate::auth::password::NewPassword,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if store.platform_org().await?.is_some() {
        return Ok(false);
    }
    let fields = super::OrgFields {
        name: "安责险监管平台".into(),
        credit_code: None,
        region_code: "350500".into(),
        address: "泉州市".into(),
        contact_name: "平台管理员".into(),
        contact_phone: crate::field::Phone::parse("0595-22000000").map_err(CoreError::Internal)?,
    };
    let org = super::NewOrg {
        kind: OrgKind::Platform,
        fields,
    };
    let admin = NewAccount {
        org_id: None,
        username: crate::account::Username::parse("admin").map_err(CoreError::Internal)?,
        name: "平台管理员".into(),
        phone: None,
        password_hash: admin_password.hash(),
        enabled: true,
        role_ids: vec![],
    };
    let audit = AuditEvent::system(
        now,
        AuditAction::Create,
        ObjectKind::Organization,
        None,
        &org.fields.name,
        "首次启动,创建监管平台与 admin 账号".into(),
    );
    match store
        .create_org(&org, &builtin_roles(OrgKind::Platform), &admin, &audit)
        .await
    {
        Ok(_) => Ok(true),
        Err(CoreError::Duplicate) => Ok(false),
        Err(e) => Err(e),
    }
}
