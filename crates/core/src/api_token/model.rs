use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::ids::{AccountId, ApiCallId, ApiTokenId, OrgId};
use crate::time::start_of_day;

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

/// API 调用日志: one call of `/api/v1` by a token, whatever it answered. Reads are recorded
/// here rather than in 操作日志, which holds changes and is hash-chained; the writes a call
/// makes are in 操作日志 as well, under the token's name.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub at: DateTime<Utc>,
    pub token_id: ApiTokenId,
    pub org_id: OrgId,
    pub method: String,
    /// The route as declared, `/api/v1/orders/{id}`.
    pub route: String,
    /// The path and query as called.
    pub path: String,
    pub status: u16,
    pub ip: String,
}

/// Characters of a called path (with its query) the log keeps.
pub const CALL_PATH_MAX: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct ApiCallRecord {
    pub id: ApiCallId,
    pub at: DateTime<Utc>,
    pub token_id: ApiTokenId,
    /// 令牌名称
    pub token_name: String,
    /// 机构
    pub org_name: Option<String>,
    pub method: String,
    pub route: String,
    pub path: String,
    /// 响应状态
    pub status: u16,
    pub ip: String,
}

impl ApiCallRecord {
    /// 结果: 成功 below 400.
    pub fn succeeded(&self) -> bool {
        self.status < 400
    }
}

/// The call log's filter form; dates are local `YYYY-MM-DD`, inclusive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiCallFilter {
    /// 令牌 (id)
    pub token: String,
    /// 机构 (id), the platform's only
    pub org: String,
    /// 接口路径, partial
    pub q: String,
    /// "success" | "failure" | ""
    pub result: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiCallQuery {
    pub org: Option<OrgId>,
    pub token: Option<ApiTokenId>,
    pub q: Option<String>,
    pub success: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl ApiCallFilter {
    /// The query within what `actor` sees: its own organization's calls, all for the platform.
    pub fn query(&self, actor: &Actor) -> CoreResult<ApiCallQuery> {
        let mut errors = FieldErrors::new();
        let from = errors.optional_date("from", &self.from);
        let to = errors.optional_date("to", &self.to);
        let q = self.q.trim();
        errors.into_result(ApiCallQuery {
            org: actor
                .org_filter()
                .or_else(|| self.org.trim().parse().ok().map(OrgId)),
            token: self.token.trim().parse().ok().map(ApiTokenId),
            q: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            success: match self.result.trim() {
                "success" => Some(true),
                "failure" => Some(false),
                _ => None,
            },
            from: from.map(start_of_day),
            until: to.map(|d| start_of_day(d) + Duration::days(1)),
        })
    }
}
