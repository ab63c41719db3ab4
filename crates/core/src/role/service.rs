//! Roles, and the delegation rule every grant obeys: an actor hands on only what it holds
//! itself. It may put into a role, or give an account, no permission it lacks and no data scope
//! wider than its own; the built-in 管理员 role only an admin of that organization gives.
//!
//! Across organizations: the platform admin stands in for every organization's admin (it holds
//! every permission any organization type owns, at 本机构全部, and gives any 管理员 role), as it
//! always has. Any other platform account holds only its own (platform-type) permissions, so in
//! another organization it can hand on no more than those, and never a 管理员 role.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::{NewRole, Role, RoleFilter, RoleForm, RoleKind, parse_role};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, DataScope, Permission, require};
use crate::error::{CoreError, CoreResult, FieldErrors, field_error};
use crate::ids::{OrgId, RoleId};
use crate::org::{OrgKind, Organization};
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// Permissions the actor may put into a role of an organization of `kind`: those the type owns
/// and the actor holds.
pub fn grantable(actor: &Actor, kind: OrgKind) -> BTreeSet<Permission> {
    Permission::owned_by_kind(kind)
        .into_iter()
        .filter(|p| actor.holds(*p))
        .collect()
}

/// The widest data scope the actor may give.
fn scope_held(actor: &Actor) -> DataScope {
    if actor.is_platform_admin() {
        DataScope::Organization
    } else {
        actor.data_scope
    }
}

/// Data scopes the actor may give a role, in the order the form shows them.
pub fn grantable_scopes(actor: &Actor) -> Vec<DataScope> {
    DataScope::ALL
        .into_iter()
        .filter(|s| *s <= scope_held(actor))
        .collect()
}

/// Whether the actor may give the built-in 管理员 role of `org`.
pub fn may_give_admin(actor: &Actor, org: OrgId) -> bool {
    actor.is_platform_admin() || (actor.is_org_admin && actor.org_id == org)
}

/// Whether the actor holds everything a role of `org` grants: `permissions` are the role's
/// effective ones. Accounts use it for each role they hold.
pub fn holds_grant(
    actor: &Actor,
    org: OrgId,
    kind: RoleKind,
    data_scope: DataScope,
    permissions: &BTreeSet<Permission>,
) -> bool {
    actor.reaches_org(org)
        && (kind != RoleKind::Admin || may_give_admin(actor, org))
        && data_scope <= scope_held(actor)
        && permissions.iter().all(|p| actor.holds(*p))
}

/// Whether the actor may give this role to an account.
pub fn can_assign_role(actor: &Actor, role: &Role) -> bool {
    holds_grant(
        actor,
        role.org_id,
        role.kind,
        role.data_scope,
        &role.effective_permissions(),
    )
}

/// Whether the actor may edit this role (for showing 编辑): it holds everything the role does.
pub fn can_edit_role(actor: &Actor, role: &Role) -> bool {
    actor.has(Permission::RoleEdit) && role.kind != RoleKind::Admin && can_assign_role(actor, role)
}

/// Whether the actor may delete this role (for showing 删除).
pub fn can_delete_role(actor: &Actor, role: &Role) -> bool {
    actor.has(Permission::RoleDelete)
        && role.kind != RoleKind::Admin
        && can_assign_role(actor, role)
}

/// Refuses a role the actor may not act on, for every write to an existing role.
fn check_holds(actor: &Actor, role: &Role) -> CoreResult<()> {
    if can_assign_role(actor, role) {
        Ok(())
    } else {
        Err(CoreError::Refused(format!(
            "角色“{}”拥有本人未拥有的权限或更大的数据范围,不能修改或删除",
            role.name
        )))
    }
}

/// Field errors for a new or edited role that would hand on more than the actor holds.
fn check_grant(actor: &Actor, kind: OrgKind, role: &NewRole) -> CoreResult<()> {
    let mut errors = FieldErrors::new();
    let allowed = grantable(actor, kind);
    let lacking: Vec<_> = role.permissions.difference(&allowed).collect();
    if !lacking.is_empty() {
        errors.add(
            "permissions",
            format!("不能授予本人未拥有的权限:{}", describe(lacking)),
        );
    }
    if role.data_scope > scope_held(actor) {
        errors.add(
            "data_scope",
            format!(
                "不能授予比本人更大的数据范围:本人为“{}”",
                scope_held(actor).label()
            ),
        );
    }
    errors.into_result(())
}

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

/// The role, for its edit form: the built-in admin role and roles holding more than the actor
/// are refused.
pub async fn get_for_edit(store: &dyn Store, actor: &Actor, id: RoleId) -> CoreResult<Role> {
    require(actor, Permission::RoleEdit)?;
    let role = load_scoped(store, actor, id).await?;
    if role.kind == RoleKind::Admin {
        return Err(admin_not_editable());
    }
    check_holds(actor, &role)?;
    Ok(role)
}

/// The role, for the confirmation page of 删除.
pub async fn get_for_delete(store: &dyn Store, actor: &Actor, id: RoleId) -> CoreResult<Role> {
    require(actor, Permission::RoleDelete)?;
    let role = load_scoped(store, actor, id).await?;
    if role.kind == RoleKind::Admin {
        return Err(admin_not_deletable());
    }
    check_holds(actor, &role)?;
    Ok(role)
}

fn admin_not_editable() -> CoreError {
    CoreError::Conflict("内置管理员角色拥有本机构类型的全部权限,不能编辑".into())
}

fn admin_not_deletable() -> CoreError {
    CoreError::Conflict("内置管理员角色不能删除".into())
}

/// Every role of `org`, for filtering the account list by role.
pub async fn of_org(store: &dyn Store, actor: &Actor, org: OrgId) -> CoreResult<Vec<Role>> {
    require(actor, Permission::AccountView)?;
    if !actor.reaches_org(org) {
        return Err(CoreError::NotFound);
    }
    store.roles_of_org(org).await
}

/// Roles the actor may give an account of `org`, for the account form's checkboxes.
pub async fn assignable(store: &dyn Store, actor: &Actor, org: OrgId) -> CoreResult<Vec<Role>> {
    if !actor.reaches_org(org) {
        return Err(CoreError::NotFound);
    }
    ensure_builtin(store, org).await?;
    Ok(store
        .roles_of_org(org)
        .await?
        .into_iter()
        .filter(|r| can_assign_role(actor, r))
        .collect())
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

/// The organization a role form is for: one the actor reaches.
pub async fn form_org(store: &dyn Store, actor: &Actor, org: OrgId) -> CoreResult<Organization> {
    match store.get_org(org).await? {
        Some(o) if actor.reaches_org(o.id) => Ok(o),
        _ => Err(CoreError::NotFound),
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
    check_grant(actor, org.kind, &role)?;
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
        return Err(admin_not_editable());
    }
    check_holds(actor, &before)?;
    let mut role = parse_role(form, before.org_kind)?;
    check_grant(actor, before.org_kind, &role)?;
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
        return Err(admin_not_deletable());
    }
    check_holds(actor, &role)?;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::AccountId;

    /// An actor of `org` (of `kind`) holding `permissions` at `scope`.
    pub(crate) fn actor(
        org: i64,
        kind: OrgKind,
        admin: bool,
        scope: DataScope,
        permissions: &[Permission],
    ) -> Actor {
        let permissions = if admin {
            Permission::owned_by_kind(kind).into_iter().collect()
        } else {
            permissions.iter().copied().collect()
        };
        Actor {
            account_id: AccountId(org * 100),
            username: "u".into(),
            name: "n".into(),
            org_id: OrgId(org),
            org_name: String::new(),
            org_kind: kind,
            permissions,
            data_scope: scope,
            is_org_admin: admin,
            ip: String::new(),
        }
    }

    fn role(org: i64, kind: RoleKind, scope: DataScope, permissions: &[Permission]) -> Role {
        Role {
            id: RoleId(1),
            org_id: OrgId(org),
            org_name: String::new(),
            org_kind: OrgKind::Agency,
            name: "r".into(),
            kind,
            data_scope: scope,
            permissions: permissions.iter().copied().collect(),
            account_count: 0,
        }
    }

    use Permission::*;
    const DELEGATE: [Permission; 4] = [AccountView, AccountEdit, RoleView, RoleEdit];

    #[test]
    fn a_delegate_grants_only_what_it_holds() {
        let d = actor(2, OrgKind::Agency, false, DataScope::Own, &DELEGATE);
        assert_eq!(
            grantable(&d, OrgKind::Agency),
            DELEGATE.into_iter().collect()
        );
        assert_eq!(grantable_scopes(&d), vec![DataScope::Own]);
        assert!(can_assign_role(
            &d,
            &role(2, RoleKind::Custom, DataScope::Own, &[AccountView])
        ));
        assert!(!can_assign_role(
            &d,
            &role(2, RoleKind::Custom, DataScope::Own, &[OrderAccept])
        ));
        assert!(
            !can_assign_role(
                &d,
                &role(2, RoleKind::Custom, DataScope::Organization, &[AccountView])
            ),
            "本机构全部 is wider than 仅本人负责"
        );
        assert!(!can_assign_role(
            &d,
            &role(2, RoleKind::Admin, DataScope::Organization, &[])
        ));
        assert!(
            !can_assign_role(&d, &role(3, RoleKind::Custom, DataScope::Own, &[])),
            "another organization's role"
        );
    }

    #[test]
    fn a_delegate_holding_everything_still_cannot_give_the_admin_role() {
        let all = Permission::owned_by_kind(OrgKind::Agency);
        let d = actor(2, OrgKind::Agency, false, DataScope::Organization, &all);
        let admin_role = role(2, RoleKind::Admin, DataScope::Organization, &[]);
        assert!(!can_assign_role(&d, &admin_role));
        let admin = actor(2, OrgKind::Agency, true, DataScope::Organization, &[]);
        assert!(can_assign_role(&admin, &admin_role));
        assert!(
            !can_edit_role(&admin, &admin_role),
            "built in, never edited"
        );
    }

    #[test]
    fn the_platform_admin_grants_anything_anywhere_and_platform_staff_only_what_they_hold() {
        let platform = actor(1, OrgKind::Platform, true, DataScope::Organization, &[]);
        assert_eq!(
            grantable(&platform, OrgKind::Insurer),
            Permission::owned_by_kind(OrgKind::Insurer)
                .into_iter()
                .collect()
        );
        assert!(can_assign_role(
            &platform,
            &role(5, RoleKind::Admin, DataScope::Organization, &[])
        ));
        let clerk = actor(
            1,
            OrgKind::Platform,
            false,
            DataScope::Organization,
            &[AccountView, AccountEdit],
        );
        assert_eq!(
            grantable(&clerk, OrgKind::Insurer),
            [AccountView, AccountEdit].into_iter().collect()
        );
        assert!(!can_assign_role(
            &clerk,
            &role(5, RoleKind::Admin, DataScope::Organization, &[])
        ));
        assert!(can_assign_role(
            &clerk,
            &role(5, RoleKind::Custom, DataScope::Own, &[AccountView])
        ));
    }

    #[test]
    fn a_grant_naming_what_the_actor_lacks_is_a_field_error() {
        let d = actor(2, OrgKind::Agency, false, DataScope::Own, &DELEGATE);
        let wide = NewRole {
            name: "x".into(),
            kind: RoleKind::Custom,
            data_scope: DataScope::Organization,
            permissions: [AccountView, AccountCreate].into_iter().collect(),
        };
        let Err(CoreError::Validation(e)) = check_grant(&d, OrgKind::Agency, &wide) else {
            panic!()
        };
        assert!(e.get("permissions").unwrap().contains("账号管理·新增"));
        assert!(e.get("data_scope").unwrap().contains("仅本人负责"));
        let narrow = NewRole {
            data_scope: DataScope::Own,
            permissions: [AccountView].into_iter().collect(),
            ..wide
        };
        assert!(check_grant(&d, OrgKind::Agency, &narrow).is_ok());
    }
}
