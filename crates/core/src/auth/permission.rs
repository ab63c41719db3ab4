//! The fixed permission catalogue. Roles hold subsets of it; each permission belongs to a menu and
//! is owned by certain organization types, and an organization can grant only what its type owns.

use crate::org::OrgKind;
use serde::Serialize;

/// Top-level menu groups, in the order the left menu shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MenuGroup {
    /// 安责险服务
    Service,
    /// 系统账号
    Accounts,
    /// 系统管理
    System,
}

impl MenuGroup {
    pub fn label(self) -> &'static str {
        match self {
            MenuGroup::Service => "安责险服务",
            MenuGroup::Accounts => "系统账号",
            MenuGroup::System => "系统管理",
        }
    }
}

pub const MENU_GROUPS: [MenuGroup; 3] =
    [MenuGroup::Service, MenuGroup::Accounts, MenuGroup::System];

/// A menu entry; its first permission (`view`) decides whether the entry is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Menu {
    /// 账号管理
    Accounts,
    /// 角色管理
    Roles,
    /// 机构管理
    Organizations,
    /// 操作日志
    AuditLog,
    /// 登录日志
    LoginLog,
}

impl Menu {
    pub const ALL: [Menu; 5] = [
        Menu::Accounts,
        Menu::Roles,
        Menu::Organizations,
        Menu::AuditLog,
        Menu::LoginLog,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Menu::Accounts => "账号管理",
            Menu::Roles => "角色管理",
            Menu::Organizations => "机构管理",
            Menu::AuditLog => "操作日志",
            Menu::LoginLog => "登录日志",
        }
    }

    pub fn group(self) -> MenuGroup {
        match self {
            Menu::Accounts | Menu::Roles => MenuGroup::Accounts,
            Menu::Organizations | Menu::AuditLog | Menu::LoginLog => MenuGroup::System,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Menu::Accounts => "/accounts",
            Menu::Roles => "/roles",
            Menu::Organizations => "/orgs",
            Menu::AuditLog => "/audit",
            Menu::LoginLog => "/login-log",
        }
    }

    /// The permission that makes the menu visible.
    pub fn view_permission(self) -> Permission {
        self.permissions()[0]
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Menu::Accounts => &[AccountView, AccountCreate, AccountEdit, AccountDelete],
            Menu::Roles => &[RoleView, RoleCreate, RoleEdit, RoleDelete],
            Menu::Organizations => &[OrgView, OrgCreate, OrgEdit, OrgToggle],
            Menu::AuditLog => &[AuditView],
            Menu::LoginLog => &[LoginLogView],
        }
    }

    /// Whether an organization of this type can be granted anything in this menu.
    pub fn available_to(self, kind: OrgKind) -> bool {
        self.permissions().iter().any(|p| p.owned_by(kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Permission {
    /// 账号管理 · 查看
    AccountView,
    /// 账号管理 · 新增
    AccountCreate,
    /// 账号管理 · 编辑(含修改密码)
    AccountEdit,
    /// 账号管理 · 删除
    AccountDelete,
    /// 角色管理 · 查看
    RoleView,
    /// 角色管理 · 新增
    RoleCreate,
    /// 角色管理 · 编辑
    RoleEdit,
    /// 角色管理 · 删除
    RoleDelete,
    /// 机构管理 · 查看
    OrgView,
    /// 机构管理 · 新增
    OrgCreate,
    /// 机构管理 · 编辑
    OrgEdit,
    /// 机构管理 · 启用/停用
    OrgToggle,
    /// 操作日志 · 查看
    AuditView,
    /// 登录日志 · 查看
    LoginLogView,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::AccountView,
        Permission::AccountCreate,
        Permission::AccountEdit,
        Permission::AccountDelete,
        Permission::RoleView,
        Permission::RoleCreate,
        Permission::RoleEdit,
        Permission::RoleDelete,
        Permission::OrgView,
        Permission::OrgCreate,
        Permission::OrgEdit,
        Permission::OrgToggle,
        Permission::AuditView,
        Permission::LoginLogView,
    ];

    /// Stable code stored in the database; never change one that has shipped.
    pub fn code(self) -> &'static str {
        use Permission::*;
        match self {
            AccountView => "account:view",
            AccountCreate => "account:create",
            AccountEdit => "account:edit",
            AccountDelete => "account:delete",
            RoleView => "role:view",
            RoleCreate => "role:create",
            RoleEdit => "role:edit",
            RoleDelete => "role:delete",
            OrgView => "org:view",
            OrgCreate => "org:create",
            OrgEdit => "org:edit",
            OrgToggle => "org:toggle",
            AuditView => "audit:view",
            LoginLogView => "loginlog:view",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The action's label inside its menu.
    pub fn label(self) -> &'static str {
        use Permission::*;
        match self {
            AccountView | RoleView | OrgView | AuditView | LoginLogView => "查看",
            AccountCreate | RoleCreate | OrgCreate => "新增",
            AccountEdit => "编辑(含修改密码)",
            RoleEdit | OrgEdit => "编辑",
            AccountDelete | RoleDelete => "删除",
            OrgToggle => "启用/停用",
        }
    }

    pub fn menu(self) -> Menu {
        Menu::ALL
            .into_iter()
            .find(|m| m.permissions().contains(&self))
            .expect("every permission belongs to a menu")
    }

    /// Which organization types may hold this permission.
    pub fn owned_by(self, kind: OrgKind) -> bool {
        use Permission::*;
        match self {
            OrgView | OrgCreate | OrgEdit | OrgToggle => kind == OrgKind::Platform,
            AccountView | AccountCreate | AccountEdit | AccountDelete | RoleView | RoleCreate
            | RoleEdit | RoleDelete | AuditView | LoginLogView => true,
        }
    }

    /// Everything an organization of this type may grant: the built-in admin role holds it all.
    pub fn owned_by_kind(kind: OrgKind) -> Vec<Permission> {
        Self::ALL.into_iter().filter(|p| p.owned_by(kind)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut codes: Vec<_> = Permission::ALL.iter().map(|p| p.code()).collect();
        for p in Permission::ALL {
            assert_eq!(Permission::from_code(p.code()), Some(p));
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Permission::ALL.len());
        assert_eq!(Permission::from_code("account:view;drop"), None);
    }

    #[test]
    fn every_permission_sits_in_exactly_one_menu() {
        for p in Permission::ALL {
            let n = Menu::ALL
                .iter()
                .filter(|m| m.permissions().contains(&p))
                .count();
            assert_eq!(n, 1, "{p:?}");
        }
    }

    #[test]
    fn only_the_platform_owns_organization_management() {
        assert!(Permission::OrgCreate.owned_by(OrgKind::Platform));
        for kind in [
            OrgKind::Regulator,
            OrgKind::Insurer,
            OrgKind::Agency,
            OrgKind::Enterprise,
        ] {
            assert!(!Permission::OrgView.owned_by(kind));
            assert!(!Menu::Organizations.available_to(kind));
            assert!(Permission::AccountCreate.owned_by(kind));
        }
    }
}
