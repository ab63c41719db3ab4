use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::auth::{DataScope, Menu, Permission};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{OrgId, RoleId};
use crate::org::OrgKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RoleKind {
    /// 管理员: built in, holds every permission its organization type owns (including ones added
    /// to the catalogue later), cannot be edited or deleted.
    Admin,
    /// Created with the organization as a starting point; editable.
    Preset,
    Custom,
}

impl RoleKind {
    /// The built-in 管理员 role: never edited or deleted.
    pub fn is_admin(self) -> bool {
        self == RoleKind::Admin
    }

    pub fn code(self) -> &'static str {
        match self {
            RoleKind::Admin => "admin",
            RoleKind::Preset => "preset",
            RoleKind::Custom => "custom",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [RoleKind::Admin, RoleKind::Preset, RoleKind::Custom]
            .into_iter()
            .find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            RoleKind::Admin => "内置",
            RoleKind::Preset => "预置",
            RoleKind::Custom => "自定义",
        }
    }
}

/// What holding a role of `kind` with `stored` permissions grants in an organization of
/// `org_kind`: the stored ones the type still owns, or everything it owns for the admin role.
pub fn effective_permissions(
    kind: RoleKind,
    org_kind: OrgKind,
    stored: &BTreeSet<Permission>,
) -> BTreeSet<Permission> {
    match kind {
        RoleKind::Admin => Permission::owned_by_kind(org_kind).into_iter().collect(),
        _ => stored
            .iter()
            .copied()
            .filter(|p| p.owned_by(org_kind))
            .collect(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub name: String,
    pub kind: RoleKind,
    pub data_scope: DataScope,
    /// As stored; for the admin role see `effective_permissions`.
    pub permissions: BTreeSet<Permission>,
    pub account_count: u64,
}

impl Role {
    /// What holding this role grants: stored permissions the organization type still owns, or
    /// everything it owns for the admin role.
    pub fn effective_permissions(&self) -> BTreeSet<Permission> {
        effective_permissions(self.kind, self.org_kind, &self.permissions)
    }

    pub fn permission_summary(&self) -> String {
        let perms = self.effective_permissions();
        Menu::ALL
            .into_iter()
            .filter(|m| m.permissions().iter().any(|p| perms.contains(p)))
            .map(Menu::label)
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The 角色信息 form as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    /// Platform admin only: the organization the new role belongs to.
    pub org_id: String,
    pub name: String,
    pub data_scope: String,
    pub permissions: Vec<String>,
}

impl RoleForm {
    pub fn from_role(r: &Role) -> Self {
        Self {
            org_id: r.org_id.to_string(),
            name: r.name.clone(),
            data_scope: r.data_scope.code().into(),
            permissions: r
                .effective_permissions()
                .iter()
                .map(|p| p.code().to_string())
                .collect(),
        }
    }

    pub fn has(&self, p: &Permission) -> bool {
        self.permissions.iter().any(|c| c == p.code())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRole {
    pub name: String,
    pub kind: RoleKind,
    pub data_scope: DataScope,
    pub permissions: BTreeSet<Permission>,
}

/// Validates a role form for an organization of `kind`. Granting any action of a menu implies
/// its view permission, since the action is unreachable without the menu.
pub fn parse_role(form: &RoleForm, kind: OrgKind) -> CoreResult<NewRole> {
    let mut errors = FieldErrors::new();
    let name = errors.take("name", field::text(&form.name, "角色名称", 30, true));
    let data_scope = errors.take(
        "data_scope",
        DataScope::from_code(form.data_scope.trim()).ok_or_else(|| "请选择数据范围".to_string()),
    );
    let mut permissions = BTreeSet::new();
    let mut unknown = Vec::new();
    let mut not_owned = Vec::new();
    for code in &form.permissions {
        match Permission::from_code(code.trim()) {
            Some(p) if p.owned_by(kind) => {
                permissions.insert(p);
                permissions.insert(p.menu().view_permission());
            }
            Some(p) => not_owned.push(format!("{}·{}", p.menu().label(), p.label())),
            None => unknown.push(code.chars().take(40).collect::<String>()),
        }
    }
    if !not_owned.is_empty() {
        errors.add(
            "permissions",
            format!("{}不能授予以下权限:{}", kind.label(), not_owned.join("、")),
        );
    }
    if !unknown.is_empty() {
        errors.add("permissions", format!("未知的权限:{}", unknown.join("、")));
    }
    if permissions.is_empty() && errors.get("permissions").is_none() {
        errors.add("permissions", "请至少选择一项权限");
    }
    match (name, data_scope) {
        (Some(name), Some(data_scope)) if errors.is_empty() => Ok(NewRole {
            name,
            kind: RoleKind::Custom,
            data_scope,
            permissions,
        }),
        _ => Err(CoreError::Validation(errors)),
    }
}

/// Roles every new organization of `kind` starts with; the first is its admin role.
pub fn builtin_roles(kind: OrgKind) -> Vec<NewRole> {
    let mut roles = vec![NewRole {
        name: "管理员".into(),
        kind: RoleKind::Admin,
        data_scope: DataScope::Organization,
        permissions: BTreeSet::new(),
    }];
    // Staff start with seeing what their organization works on; admins grant more as needed.
    let mut viewer: BTreeSet<Permission> = [
        Permission::OrderView,
        Permission::RecordView,
        Permission::HazardView,
        Permission::ComplaintView,
        Permission::ChecklistView,
        Permission::PolicyView,
        Permission::EnterpriseView,
        Permission::AccountView,
        Permission::RoleView,
    ]
    .into_iter()
    .filter(|p| p.owned_by(kind))
    .collect();
    if kind == OrgKind::Agency {
        // Service staff record what they do on site.
        viewer.insert(Permission::RecordWrite);
        viewer.insert(Permission::HazardWrite);
    }
    if kind == OrgKind::Enterprise {
        // The enterprise's safety staff sign for services and rectify their hazards.
        viewer.insert(Permission::RecordConfirm);
        viewer.insert(Permission::HazardRectify);
        // … and complain about a service that fell short.
        viewer.insert(Permission::ComplaintFile);
    }
    roles.push(NewRole {
        name: match kind {
            OrgKind::Agency => "服务人员".into(),
            OrgKind::Enterprise => "安全管理人员".into(),
            _ => "业务人员".into(),
        },
        kind: RoleKind::Preset,
        data_scope: if kind == OrgKind::Agency {
            DataScope::Own
        } else {
            DataScope::Organization
        },
        permissions: viewer,
    });
    roles
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleFilter {
    pub q: String,
    pub org: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(perms: &[&str]) -> RoleForm {
        RoleForm {
            org_id: String::new(),
            name: "审核员".into(),
            data_scope: "organization".into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn action_implies_menu_view() {
        let role = parse_role(&form(&["account:edit"]), OrgKind::Agency).unwrap();
        assert!(role.permissions.contains(&Permission::AccountView));
        assert!(role.permissions.contains(&Permission::AccountEdit));
    }

    #[test]
    fn refuses_what_the_type_does_not_own() {
        let Err(CoreError::Validation(e)) = parse_role(&form(&["org:create"]), OrgKind::Agency)
        else {
            panic!()
        };
        assert!(e.get("permissions").unwrap().contains("机构管理·新增"));
        assert!(parse_role(&form(&["org:create"]), OrgKind::Platform).is_ok());
        assert!(parse_role(&form(&["nope"]), OrgKind::Platform).is_err());
        assert!(parse_role(&form(&[]), OrgKind::Platform).is_err());
    }

    #[test]
    fn admin_role_tracks_the_catalogue() {
        let role = Role {
            id: RoleId(1),
            org_id: OrgId(1),
            org_name: String::new(),
            org_kind: OrgKind::Insurer,
            name: "管理员".into(),
            kind: RoleKind::Admin,
            data_scope: DataScope::Organization,
            permissions: BTreeSet::new(),
            account_count: 0,
        };
        let perms = role.effective_permissions();
        assert!(perms.contains(&Permission::AccountDelete));
        assert!(!perms.contains(&Permission::OrgCreate));
    }
}
