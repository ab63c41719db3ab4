use chrono::{DateTime, Utc};

use super::{Role, RoleFilter, RoleForm, RoleKind, parse_role};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::{OrgId, RoleId};
use crate::org::Organization;
use crate::page::{Page, PageRequest};
use crate::store::Store;

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &RoleFilter,
    page: PageRequest,
) -> CoreResult<Page<Role>> {
    require(actor, Permission::RoleView)?;
    store.list_roles(actor.org_filter(), filter, page).await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: RoleId) -> CoreResult<Role> {
    require(actor, Permission::RoleView)?;
    load_scoped(store, actor, id).await
}

/// Roles an account of `org` can be given, for the account form.
pub async fn assignable(store: &dyn Store, actor: &Actor, org: OrgId) -> CoreResult<Vec<Role>> {
    if !actor.reaches_org(org) {
        return Err(CoreError::NotFound);
    }
    ensure_builtin(store, org).await?;
    store.roles_of_org(org).await
}

/// An enterprise gets its built-in roles when its first account is made: most insured
/// enterprises never have one, and the registry holds hundreds of thousands of them.
pub async fn ensure_builtin(store: &dyn Store, org: OrgId) -> CoreResult<()> {
    match store.get_org(org).await? {
        Some(o) if o.kind == crate::org::OrgKind::Enterprise => {
            store
                .ensure_roles(org, &crate::role::builtin_roles(o.kind))
                .await
        }
        Some(_) => Ok(()),
        None => Err(CoreError::NotFound),
    }
}

async fn load_scoped(store: &dyn Store, actor: &Actor, id: RoleId) -> CoreResult<Role> {
    match store.get_role(id).await? {
        Some(r) if actor.reaches_org(r.org_id) => Ok(r),
        _ => Err(CoreError::NotFound),
    }
}

async fn target_org(store: &dyn Store, actor: &Actor, form: &RoleForm) -> CoreResult<Organization> {
    let id = if actor.is_platform() && !form.org_id.trim().is_empty() {
        form.org_id
            .trim()
            .parse::<OrgId>()
            .map_err(|_| field_error("org_id", "所属机构选择无效"))?
    } else {
        actor.org_id
    };
    store.get_org(id).await?.ok_or(CoreError::NotFound)
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &RoleForm,
    now: DateTime<Utc>,
) -> CoreResult<RoleId> {
    require(actor, Permission::RoleCreate)?;
    let org = target_org(store, actor, form).await?;
    let role = parse_role(form, org.kind)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Role,
        None,
        &role.name,
        format!(
            "数据范围: {};权限: {}",
            role.data_scope.label(),
            describe(&role.permissions)
        ),
    )
    .in_org(org.id);
    store
        .create_role(org.id, &role, &audit)
        .await
        .map_err(|e| e.on_duplicate("name", "本机构已有同名角色"))
}

pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: RoleId,
    form: &RoleForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::RoleEdit)?;
    let before = load_scoped(store, actor, id).await?;
    if before.kind == RoleKind::Admin {
        return Err(CoreError::Conflict(
            "内置管理员角色拥有全部权限,不能编辑".into(),
        ));
    }
    let mut role = parse_role(form, before.org_kind)?;
    role.kind = before.kind;
    let mut changes = Vec::new();
    if before.name != role.name {
        changes.push(format!("名称: {} → {}", before.name, role.name));
    }
    if before.data_scope != role.data_scope {
        changes.push(format!(
            "数据范围: {} → {}",
            before.data_scope.label(),
            role.data_scope.label()
        ));
    }
    let old = before.effective_permissions();
    let added: Vec<_> = role.permissions.difference(&old).copied().collect();
    let removed: Vec<_> = old.difference(&role.permissions).copied().collect();
    if !added.is_empty() {
        changes.push(format!("新增权限: {}", describe(added.iter())));
    }
    if !removed.is_empty() {
        changes.push(format!("移除权限: {}", describe(removed.iter())));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Role,
        Some(id.0),
        &before.name,
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        },
    )
    .in_org(before.org_id);
    store
        .update_role(id, &role, &audit)
        .await
        .map_err(|e| e.on_duplicate("name", "本机构已有同名角色"))
}

pub async fn delete(
    store: &dyn Store,
    actor: &Actor,
    id: RoleId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::RoleDelete)?;
    let role = load_scoped(store, actor, id).await?;
    if role.kind == RoleKind::Admin {
        return Err(CoreError::Conflict("内置管理员角色不能删除".into()));
    }
    if role.account_count > 0 {
        return Err(in_use(&role.name, role.account_count));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Delete,
        ObjectKind::Role,
        Some(id.0),
        &role.name,
        format!("删除角色 {}", role.name),
    )
    .in_org(role.org_id);
    store.delete_role(id, &audit).await
}

pub fn in_use(name: &str, count: u64) -> CoreError {
    CoreError::Conflict(format!(
        "角色“{name}”仍有 {count} 个账号在使用,请先调整这些账号的角色后再删除"
    ))
}

fn describe<'a>(perms: impl IntoIterator<Item = &'a Permission>) -> String {
    perms
        .into_iter()
        .map(|p| format!("{}·{}", p.menu().label(), p.label()))
        .collect::<Vec<_>>()
        .join("、")
}
