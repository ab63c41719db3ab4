use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{AccountId, ApiTokenId, OrgId};

/// What every secret starts with, so a leaked one is recognised in a log or a repository.
pub const SECRET_PREFIX: &str = "anze_";
/// Characters of the secret the list shows to tell tokens apart.
const SHOWN_CHARS: usize = 12;
pub const MAX_DAYS: i64 = 365;
pub const DEFAULT_DAYS: i64 = 90;
pub const NAME_MAX: usize = 40;

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub org_id: OrgId,
    /// 名称: which system uses it.
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    /// The secret's first characters (`anze_1a2b3c4`), to recognise it.
    pub prefix: String,
    pub created_by: AccountId,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// 最近使用
    pub last_used_at: Option<DateTime<Utc>>,
}

/// 状态
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenState {
    /// 有效
    Active,
    /// 已过期
    Expired,
    /// 已吊销
    Revoked,
}

impl TokenState {
    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "有效",
            TokenState::Expired => "已过期",
            TokenState::Revoked => "已吊销",
        }
    }
}

impl ApiToken {
    pub fn state(&self, now: DateTime<Utc>) -> TokenState {
        if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if self.expires_at <= now {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    /// 权限 as the list shows them.
    pub fn permission_labels(&self) -> String {
        permission_labels(&self.permissions)
    }
}

/// `服务订单·查看、服务订单·指定服务机构`
pub fn permission_labels(permissions: &BTreeSet<Permission>) -> String {
    permissions
        .iter()
        .map(|p| format!("{}·{}", p.menu().label(), p.label()))
        .collect::<Vec<_>>()
        .join("、")
}

/// A token about to be stored: only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub org_id: OrgId,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    pub prefix: String,
    pub secret_hash: String,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiTokenForm {
    pub name: String,
    /// Permission codes; a checkbox each.
    pub permissions: Vec<String>,
    /// 有效期(天)
    pub days: String,
}

/// A fresh secret: the prefix and 256 random bits in hex.
pub fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", crate::auth::session::new_token())
}

/// What the database keeps of a secret.
pub fn secret_hash(secret: &str) -> String {
    crate::auth::session::token_hash(secret)
}

/// Whether `raw` has the shape of a secret at all (checked before any lookup).
pub fn looks_like_secret(raw: &str) -> bool {
    raw.strip_prefix(SECRET_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The token a form asks for, checked against what its maker holds.
pub fn parse_form(
    form: &ApiTokenForm,
    maker: &Actor,
    secret: &str,
    now: DateTime<Utc>,
) -> CoreResult<NewApiToken> {
    let mut errors = FieldErrors::new();
    let name = errors.take("name", field::text(&form.name, "令牌名称", NAME_MAX, true));
    let days = if form.days.trim().is_empty() {
        Some(DEFAULT_DAYS)
    } else {
        errors.take("days", field::count(&form.days, "有效期(天)", 1, MAX_DAYS))
    };
    let mut permissions = BTreeSet::new();
    for code in &form.permissions {
        match Permission::from_code(code) {
            Some(p) if maker.has(p) => {
                permissions.insert(p);
            }
            Some(p) => errors.add(
                "permissions",
                format!("不能授予本账号没有的权限:{}", p.label()),
            ),
            None => errors.add("permissions", "权限不存在,请刷新页面后重新选择"),
        }
    }
    if form.permissions.is_empty() {
        errors.add("permissions", "请至少选择一项权限");
    }
    let (Some(name), Some(days)) = (name, days) else {
        return Err(CoreError::Validation(errors));
    };
    errors.into_result(())?;
    Ok(NewApiToken {
        org_id: maker.org_id,
        name,
        permissions,
        prefix: secret.chars().take(SHOWN_CHARS).collect(),
        secret_hash: secret_hash(secret),
        created_by: maker.account_id,
        created_at: now,
        expires_at: now + Duration::days(days),
    })
}
