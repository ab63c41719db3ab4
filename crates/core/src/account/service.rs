use chrono::{DateTime, Utc};

use super::{Account, AccountChanges, AccountFilter, AccountForm, NewAccount, ParsedAccount};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::password::{self, NewPassword};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, FieldErrors, field_error};
use crate::ids::{AccountId, OrgId, RoleId};
use crate::page::{Page, PageRequest};
use crate::role::service::{can_assign_role, holds_grant};
use crate::role::{Role, RoleKind};
use crate::store::Store;

/// Whether the actor may edit, reset the password of, disable or delete this account: it must
/// be able to give every role the account holds (see `role::service`), so nobody acts on an
/// account that holds more than they do. One's own account always passes.
pub fn can_manage_account(actor: &Actor, account: &Account) -> bool {
    actor.reaches_org(account.org_id)
        && account
            .roles
            .iter()
            .all(|r| holds_grant(actor, account.org_id, r.kind, r.data_scope, &r.permissions))
}

/// Whether the list shows 编辑 for this account.
pub fn can_edit(actor: &Actor, account: &Account) -> bool {
    actor.has(Permission::AccountEdit) && can_manage_account(actor, account)
}

/// Whether the list shows 删除 for this account.
pub fn can_delete(actor: &Actor, account: &Account) -> bool {
    actor.has(Permission::AccountDelete)
        && account.id != actor.account_id
        && can_manage_account(actor, account)
}

fn check_manage(actor: &Actor, account: &Account) -> CoreResult<()> {
    if can_manage_account(actor, account) {
        Ok(())
    } else {
        Err(CoreError::Refused(
            "不能修改权限高于本人的账号:该账号的角色拥有本人未拥有的权限".into(),
        ))
    }
}

/// A field error naming the chosen roles the actor may not give.
fn check_assignable(actor: &Actor, roles: &[Role]) -> CoreResult<()> {
    let (admin, others): (Vec<&Role>, Vec<&Role>) = roles
        .iter()
        .filter(|r| !can_assign_role(actor, r))
        .partition(|r| r.kind == RoleKind::Admin);
    // The form shows one message per field, so both reasons go into it.
    let mut reasons = Vec::new();
    if !admin.is_empty() {
        reasons.push("“管理员”角色只能由本机构管理员分配".to_string());
    }
    if !others.is_empty() {
        let names: Vec<&str> = others.iter().map(|r| r.name.as_str()).collect();
        reasons.push(format!(
            "不能分配拥有本人未拥有的权限的角色:{}",
            names.join("、")
        ));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(field_error("role_ids", reasons.join(";")))
    }
}

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &AccountFilter,
    page: PageRequest,
) -> CoreResult<Page<Account>> {
    require(actor, Permission::AccountView)?;
    store.list_accounts(actor.org_filter(), filter, page).await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: AccountId) -> CoreResult<Account> {
    require(actor, Permission::AccountView)?;
    load_scoped(store, actor, id).await
}

/// The account, for its edit form: refused when it holds more than the actor.
pub async fn get_for_edit(store: &dyn Store, actor: &Actor, id: AccountId) -> CoreResult<Account> {
    require(actor, Permission::AccountEdit)?;
    let account = load_scoped(store, actor, id).await?;
    check_manage(actor, &account)?;
    Ok(account)
}

/// The account, for the confirmation page of 删除.
pub async fn get_for_delete(
    store: &dyn Store,
    actor: &Actor,
    id: AccountId,
) -> CoreResult<Account> {
    require(actor, Permission::AccountDelete)?;
    let account = load_scoped(store, actor, id).await?;
    if id == actor.account_id {
        return Err(cannot_delete_self());
    }
    check_manage(actor, &account)?;
    Ok(account)
}

fn cannot_delete_self() -> CoreError {
    CoreError::Conflict("不能删除自己的账号".into())
}

async fn load_scoped(store: &dyn Store, actor: &Actor, id: AccountId) -> CoreResult<Account> {
    match store.get_account(id).await? {
        Some(a) if actor.reaches_org(a.org_id) => Ok(a),
        _ => Err(CoreError::NotFound),
    }
}

/// The organization a new account goes to: the platform admin chooses, everyone else gets their own.
async fn target_org(store: &dyn Store, actor: &Actor, form: &AccountForm) -> CoreResult<OrgId> {
    if !actor.is_platform() || form.org_id.trim().is_empty() {
        return Ok(actor.org_id);
    }
    let id: OrgId = form
        .org_id
        .trim()
        .parse()
        .map_err(|_| field_error("org_id", "所属机构选择无效"))?;
    match store.get_org(id).await? {
        Some(_) => Ok(id),
        None => Err(CoreError::NotFound),
    }
}

/// Roles must exist and belong to the account's organization; anything else is a foreign id.
async fn roles_of_org(store: &dyn Store, org: OrgId, ids: &[RoleId]) -> CoreResult<Vec<Role>> {
    let roles = store.roles_by_ids(ids).await?;
    if roles.len() != ids.len() || roles.iter().any(|r| r.org_id != org) {
        return Err(CoreError::NotFound);
    }
    Ok(roles)
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &AccountForm,
    now: DateTime<Utc>,
) -> CoreResult<AccountId> {
    require(actor, Permission::AccountCreate)?;
    let parsed = ParsedAccount::parse(form, true)?;
    let org_id = target_org(store, actor, form).await?;
    let roles = roles_of_org(store, org_id, &parsed.role_ids).await?;
    check_assignable(actor, &roles)?;
    let (Some(username), Some(password)) = (parsed.username, parsed.password) else {
        return Err(CoreError::Internal(
            "parse(creating) yields username and password".into(),
        ));
    };
    if store.username_taken(username.as_str()).await? {
        return Err(field_error("username", "该登录账号已存在"));
    }
    let account = NewAccount {
        org_id: Some(org_id),
        username,
        name: parsed.name,
        phone: parsed.phone,
        password_hash: password.hash(),
        enabled: parsed.enabled,
        role_ids: parsed.role_ids,
    };
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Account,
        None,
        &format!("{}({})", account.name, account.username.as_str()),
        format!(
            "角色: {};状态: {}",
            roles
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            if account.enabled { "启用" } else { "停用" }
        ),
    )
    .in_org(org_id);
    store
        .create_account(&account, &audit)
        .await
        .map_err(|e| e.on_duplicate("username", "该登录账号已存在"))
}

pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: AccountId,
    form: &AccountForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::AccountEdit)?;
    let before = load_scoped(store, actor, id).await?;
    check_manage(actor, &before)?;
    let parsed = ParsedAccount::parse(form, false)?;
    let roles = roles_of_org(store, before.org_id, &parsed.role_ids).await?;
    check_assignable(actor, &roles)?;
    if id == actor.account_id {
        let mut errors = FieldErrors::new();
        if !parsed.enabled {
            errors.add("enabled", "不能停用自己的账号");
        }
        let had_admin = before.roles.iter().any(|r| r.kind == RoleKind::Admin);
        if had_admin && !roles.iter().any(|r| r.kind == RoleKind::Admin) {
            errors.add("role_ids", "不能移除自己的管理员角色");
        }
        errors.into_result(())?;
    }
    let mut changes = Vec::new();
    if before.name != parsed.name {
        changes.push(format!("姓名: {} → {}", before.name, parsed.name));
    }
    let new_phone = parsed.phone.as_ref().map(|p| p.as_str().to_string());
    if before.phone != new_phone {
        changes.push(format!(
            "手机: {} → {}",
            before.phone.as_deref().unwrap_or("空"),
            new_phone.as_deref().unwrap_or("空")
        ));
    }
    let new_roles = roles
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join("、");
    if before.role_names() != new_roles {
        changes.push(format!("角色: {} → {}", before.role_names(), new_roles));
    }
    if before.enabled != parsed.enabled {
        changes.push(format!(
            "状态: {} → {}",
            before.status_label(),
            if parsed.enabled { "启用" } else { "停用" }
        ));
    }
    if parsed.password.is_some() {
        changes.push("密码已修改".into());
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Account,
        Some(id.0),
        &before.display(),
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        },
    )
    .in_org(before.org_id);
    let changes = AccountChanges {
        name: parsed.name,
        phone: parsed.phone,
        enabled: parsed.enabled,
        role_ids: parsed.role_ids,
        password_hash: parsed.password.map(|p| p.hash()),
    };
    store.update_account(id, &changes, &audit).await?;
    if changes.password_hash.is_some() {
        // A new password set by the administrator also lifts the login locks.
        store
            .clear_login_throttle(&crate::auth::login::throttle_key(&before.username))
            .await?;
    }
    Ok(())
}

pub async fn delete(
    store: &dyn Store,
    actor: &Actor,
    id: AccountId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::AccountDelete)?;
    let account = load_scoped(store, actor, id).await?;
    if id == actor.account_id {
        return Err(cannot_delete_self());
    }
    check_manage(actor, &account)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Delete,
        ObjectKind::Account,
        Some(id.0),
        &account.display(),
        format!("删除账号 {}", account.display()),
    )
    .in_org(account.org_id);
    store.delete_account(id, &audit).await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ChangePasswordForm {
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
}

/// 修改密码 from the top bar: the caller proves the current password.
pub async fn change_own_password(
    store: &dyn Store,
    actor: &Actor,
    form: &ChangePasswordForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut errors = FieldErrors::new();
    let hash = store
        .password_hash(actor.account_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if !password::verify(&form.current_password, &hash) {
        errors.add("current_password", "当前密码不正确");
    }
    let new = errors.take("new_password", NewPassword::parse(&form.new_password));
    if new.is_some() && form.new_password != form.confirm_password {
        errors.add("confirm_password", "两次输入的新密码不一致");
    }
    if new.is_some() && form.new_password == form.current_password {
        errors.add("new_password", "新密码不能与当前密码相同");
    }
    let new = errors
        .into_result(new)?
        .ok_or_else(|| field_error("new_password", "请填写新密码"))?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::ChangePassword,
        ObjectKind::Account,
        Some(actor.account_id.0),
        &actor.display(),
        "本人修改密码".into(),
    );
    store
        .set_password(actor.account_id, &new.hash(), Some(&audit))
        .await
}

/// `anze admin reset-password`: the operator at the console is trusted; the event is logged.
pub async fn reset_password_from_console(
    store: &dyn Store,
    username: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> CoreResult<Account> {
    let account = store
        .find_account_by_username(username.trim())
        .await?
        .ok_or(CoreError::NotFound)?;
    let password = NewPassword::parse(new_password).map_err(|m| field_error("password", m))?;
    let audit = AuditEvent::system(
        now,
        AuditAction::ChangePassword,
        ObjectKind::Account,
        Some(account.id.0),
        &account.display(),
        "命令行重置密码,并解除锁定".into(),
    )
    .in_org(account.org_id);
    store
        .set_password(account.id, &password.hash(), Some(&audit))
        .await?;
    store
        .clear_login_throttle(&crate::auth::login::throttle_key(&account.username))
        .await?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::RoleRef;
    use crate::auth::DataScope;
    use crate::org::OrgKind;
    use crate::role::service::tests::actor;
    use Permission::*;

    fn account(id: i64, org: i64, roles: Vec<RoleRef>) -> Account {
        Account {
            id: AccountId(id),
            org_id: OrgId(org),
            org_name: String::new(),
            org_kind: OrgKind::Agency,
            username: "a".into(),
            name: "a".into(),
            phone: None,
            enabled: true,
            roles,
            last_login_at: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn held(kind: RoleKind, scope: DataScope, permissions: &[Permission]) -> RoleRef {
        RoleRef {
            id: RoleId(1),
            name: "r".into(),
            kind,
            data_scope: scope,
            permissions: permissions.iter().copied().collect(),
        }
    }

    #[test]
    fn nobody_manages_an_account_holding_more_than_they_do() {
        let d = actor(
            2,
            OrgKind::Agency,
            false,
            DataScope::Own,
            &[AccountView, AccountEdit, AccountDelete],
        );
        let peer = account(
            7,
            2,
            vec![held(RoleKind::Custom, DataScope::Own, &[AccountView])],
        );
        assert!(can_edit(&d, &peer) && can_delete(&d, &peer));
        let admin = account(
            8,
            2,
            vec![held(
                RoleKind::Admin,
                DataScope::Organization,
                &Permission::owned_by_kind(OrgKind::Agency),
            )],
        );
        assert!(!can_manage_account(&d, &admin));
        let wider = account(
            9,
            2,
            vec![held(RoleKind::Custom, DataScope::Organization, &[])],
        );
        assert!(!can_manage_account(&d, &wider));
        let me = account(200, 2, vec![]);
        assert!(can_edit(&d, &me) && !can_delete(&d, &me));
        let org_admin = actor(2, OrgKind::Agency, true, DataScope::Organization, &[]);
        assert!(can_manage_account(&org_admin, &admin));
        let platform = actor(1, OrgKind::Platform, true, DataScope::Organization, &[]);
        assert!(can_manage_account(&platform, &admin));
        let foreign = actor(3, OrgKind::Agency, true, DataScope::Organization, &[]);
        assert!(!can_manage_account(&foreign, &peer));
    }
}
