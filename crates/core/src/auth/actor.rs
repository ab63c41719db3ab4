use super::Permission;
use crate::ids::{AccountId, OrgId};
use crate::org::OrgKind;
use serde::Serialize;
use std::collections::BTreeSet;

/// 数据范围: how far a role sees inside its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum DataScope {
    /// 仅本人负责: only objects the account is assigned to.
    Own,
    /// 本机构全部
    Organization,
}

impl DataScope {
    pub const ALL: [DataScope; 2] = [DataScope::Organization, DataScope::Own];

    pub fn code(self) -> &'static str {
        match self {
            DataScope::Organization => "organization",
            DataScope::Own => "own",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            DataScope::Organization => "本机构全部",
            DataScope::Own => "仅本人负责",
        }
    }
}

/// The authenticated caller of a service operation.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub account_id: AccountId,
    pub username: String,
    pub name: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub permissions: BTreeSet<Permission>,
    /// The widest scope among the account's roles.
    pub data_scope: DataScope,
    /// Holds the built-in 管理员 role of its own organization.
    pub is_org_admin: bool,
    /// Client address, recorded in audit events.
    pub ip: String,
}

impl Actor {
    pub fn has(&self, permission: Permission) -> bool {
        // A permission the organization type does not own is never effective, even if a stale
        // role row still lists it.
        permission.owned_by(self.org_kind) && self.permissions.contains(&permission)
    }

    pub fn is_platform(&self) -> bool {
        self.org_kind == OrgKind::Platform
    }

    /// The platform's own administrator: manages every organization's accounts and roles.
    pub fn is_platform_admin(&self) -> bool {
        self.is_platform() && self.is_org_admin
    }

    /// Whether this actor holds `permission` for the purpose of handing it on to an account of
    /// any organization. The platform admin stands in for every organization's admin, so it
    /// holds whatever any organization type owns; everyone else holds what `has` says.
    pub fn holds(&self, permission: Permission) -> bool {
        self.is_platform_admin() || self.has(permission)
    }

    /// Whether objects of `org` are inside this actor's organization scope: the platform reaches
    /// every organization, everyone else only their own.
    pub fn reaches_org(&self, org: OrgId) -> bool {
        self.is_platform() || self.org_id == org
    }

    /// The organization filter every scoped list applies: `None` means all organizations.
    pub fn org_filter(&self) -> Option<OrgId> {
        if self.is_platform() {
            None
        } else {
            Some(self.org_id)
        }
    }

    /// `用户名(姓名)` as audit events record it.
    pub fn display(&self) -> String {
        format!("{}({})", self.name, self.username)
    }
}
