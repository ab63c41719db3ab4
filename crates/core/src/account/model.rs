use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::password::{NewPassword, PasswordHashString};
use crate::auth::{DataScope, Permission};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field::{self, Phone};
use crate::ids::{AccountId, OrgId, RoleId};
use crate::org::OrgKind;
use crate::role::RoleKind;
use std::collections::BTreeSet;

/// 登录账号: 3–32 characters of letters, digits and `_ . @ -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let u = raw.trim();
        if u.is_empty() {
            return Err("请填写登录账号".into());
        }
        let len = u.chars().count();
        if !(3..=32).contains(&len) {
            return Err("登录账号长度应为 3–32 个字符".into());
        }
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-');
        if !u.chars().all(ok_char) {
            return Err("登录账号只能包含字母、数字和 _ . @ -".into());
        }
        if !u.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("登录账号应以字母或数字开头".into());
        }
        Ok(Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account as other objects show it: `姓名(账号)`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRef {
    pub id: AccountId,
    pub name: String,
}

/// A role an account holds, with what it grants, so whether the caller may act on the account
/// is answered without loading the roles again.
#[derive(Debug, Clone, Serialize)]
pub struct RoleRef {
    pub id: RoleId,
    pub name: String,
    pub kind: RoleKind,
    pub data_scope: DataScope,
    /// Effective: what holding the role grants in the account's organization.
    pub permissions: BTreeSet<Permission>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub username: String,
    pub name: String,
    pub phone: Option<String>,
    pub enabled: bool,
    pub roles: Vec<RoleRef>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn status_label(&self) -> &'static str {
        if self.enabled { "启用" } else { "停用" }
    }

    pub fn role_names(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn display(&self) -> String {
        format!("{}({})", self.name, self.username)
    }
}

/// The 账号信息 form as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    /// Chosen by the platform admin only; everyone else creates accounts in their own organization.
    pub org_id: String,
    pub username: String,
    pub name: String,
    pub phone: String,
    /// Required on create; on edit, empty means "keep the current password".
    pub password: String,
    pub role_ids: Vec<String>,
    /// "1" when the account may log in.
    pub enabled: String,
}

impl AccountForm {
    pub fn from_account(a: &Account) -> Self {
        Self {
            org_id: a.org_id.to_string(),
            username: a.username.clone(),
            name: a.name.clone(),
            phone: a.phone.clone().unwrap_or_default(),
            password: String::new(),
            role_ids: a.roles.iter().map(|r| r.id.to_string()).collect(),
            enabled: if a.enabled { "1".into() } else { String::new() },
        }
    }

    pub fn has_role(&self, id: &RoleId) -> bool {
        self.role_ids.iter().any(|r| r.trim() == id.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    /// `None` when the organization is being created in the same transaction.
    pub org_id: Option<OrgId>,
    pub username: Username,
    pub name: String,
    pub phone: Option<Phone>,
    pub password_hash: PasswordHashString,
    pub enabled: bool,
    pub role_ids: Vec<RoleId>,
}

#[derive(Debug, Clone)]
pub struct AccountChanges {
    pub name: String,
    pub phone: Option<Phone>,
    pub enabled: bool,
    pub role_ids: Vec<RoleId>,
    /// Set when the pencil icon was used; all the account's sessions end with it.
    pub password_hash: Option<PasswordHashString>,
}

/// Common fields of create and edit.
pub struct ParsedAccount {
    pub username: Option<Username>,
    pub name: String,
    pub phone: Option<Phone>,
    pub password: Option<NewPassword>,
    pub role_ids: Vec<RoleId>,
    pub enabled: bool,
}

pub fn parse_role_ids(raw: &[String]) -> Result<Vec<RoleId>, String> {
    let mut ids = Vec::new();
    for r in raw.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let id = r
            .parse::<RoleId>()
            .map_err(|_| "角色选择无效".to_string())?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err("请至少选择一个角色".into());
    }
    Ok(ids)
}

impl ParsedAccount {
    /// `creating` decides whether the username and password are required.
    pub fn parse(form: &AccountForm, creating: bool) -> CoreResult<Self> {
        let mut errors = FieldErrors::new();
        let username = if creating {
            errors.take("username", Username::parse(&form.username))
        } else {
            None
        };
        let name = errors.take("name", field::text(&form.name, "姓名", 50, true));
        let phone = errors.take(
            "phone",
            if form.phone.trim().is_empty() {
                Ok(None)
            } else {
                Phone::parse_mobile(&form.phone).map(Some)
            },
        );
        let password = if creating || !form.password.is_empty() {
            errors.take("password", NewPassword::parse(&form.password))
        } else {
            None
        };
        let role_ids = errors.take("role_ids", parse_role_ids(&form.role_ids));
        if !errors.is_empty() {
            return Err(CoreError::Validation(errors));
        }
        Ok(Self {
            username,
            name: name.unwrap_or_default(),
            phone: phone.flatten(),
            password,
            role_ids: role_ids.unwrap_or_default(),
            enabled: form.enabled == "1" || form.enabled == "on" || form.enabled == "true",
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountFilter {
    /// 登录账号, 姓名 or 手机, partial.
    pub q: String,
    pub org: String,
    pub status: String,
    pub role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("zhang.san@anxin").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("张三").is_err());
        assert!(Username::parse("a' OR '1'='1").is_err());
        assert!(Username::parse("_admin").is_err());
    }

    #[test]
    fn edit_without_password_keeps_it() {
        let form = AccountForm {
            name: "张三".into(),
            role_ids: vec!["3".into(), "3".into()],
            enabled: "1".into(),
            ..Default::default()
        };
        let parsed = ParsedAccount::parse(&form, false).unwrap();
        assert!(parsed.password.is_none());
        assert_eq!(parsed.role_ids, vec![RoleId(3)]);
        assert!(
            ParsedAccount::parse(&form, true).is_err(),
            "create needs username and password"
        );
    }

    #[test]
    fn role_ids_must_be_numbers() {
        assert!(parse_role_ids(&["1 OR 1=1".into()]).is_err());
        assert!(parse_role_ids(&[]).is_err());
    }
}
