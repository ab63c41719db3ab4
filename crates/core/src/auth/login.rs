//! 登录: password check, per-account lockout and per-address throttling.

use chrono::{DateTime, Duration, Utc};

use super::password::{self, PasswordHashString};
use crate::audit::LoginEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, OrgId};
use crate::store::Store;

/// After this many consecutive wrong passwords the account is locked.
pub const MAX_FAILED_ATTEMPTS: i32 = 5;
pub const LOCK_DURATION_MINUTES: i64 = 15;
/// Failed attempts from one address within the lock window before the address is refused.
pub const MAX_FAILURES_PER_IP: u64 = 20;

/// What the store knows about an account at login time.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub id: AccountId,
    pub org_id: OrgId,
    pub username: String,
    pub password_hash: PasswordHashString,
    pub enabled: bool,
    pub org_enabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Unknown account or wrong password: the same answer for both.
    InvalidCredentials {
        remaining: Option<i32>,
    },
    Locked {
        until: DateTime<Utc>,
    },
    AccountDisabled,
    OrgDisabled,
    TooManyFromAddress,
}

impl LoginFailure {
    pub fn message(&self) -> String {
        match self {
            LoginFailure::InvalidCredentials { remaining: Some(n) } if *n <= 2 => {
                format!("账号或密码错误,再错 {n} 次账号将被锁定 {LOCK_DURATION_MINUTES} 分钟")
            }
            LoginFailure::InvalidCredentials { .. } => "账号或密码错误".into(),
            LoginFailure::Locked { until } => format!(
                "密码连续错误 {MAX_FAILED_ATTEMPTS} 次,账号已锁定,请于 {} 后再试",
                until.with_timezone(&crate::time::china()).format("%H:%M")
            ),
            LoginFailure::AccountDisabled => "账号已停用,请联系本机构管理员".into(),
            LoginFailure::OrgDisabled => "所属机构已停用,请联系平台管理员".into(),
            LoginFailure::TooManyFromAddress => {
                format!("登录失败次数过多,请 {LOCK_DURATION_MINUTES} 分钟后再试")
            }
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            LoginFailure::InvalidCredentials { .. } => "账号或密码错误",
            LoginFailure::Locked { .. } => "账号已锁定",
            LoginFailure::AccountDisabled => "账号已停用",
            LoginFailure::OrgDisabled => "机构已停用",
            LoginFailure::TooManyFromAddress => "来源地址受限",
        }
    }
}

pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub now: DateTime<Utc>,
}

/// Checks a login attempt and records it in the login log, whatever the outcome.
pub async fn authenticate(
    store: &dyn Store,
    attempt: LoginAttempt<'_>,
) -> CoreResult<Result<LoginAccount, LoginFailure>> {
    let now = attempt.now;
    let window_start = now - Duration::minutes(LOCK_DURATION_MINUTES);
    let username = attempt.username.trim();
    let event = |account: Option<&LoginAccount>, failure: Option<&LoginFailure>| LoginEvent {
        at: now,
        username: username.chars().take(64).collect(),
        account_id: account.map(|a| a.id),
        org_id: account.map(|a| a.org_id),
        success: failure.is_none(),
        reason: failure
            .map(|f| f.reason().to_string())
            .unwrap_or_else(|| "登录成功".into()),
        ip: attempt.ip.to_string(),
        user_agent: attempt.user_agent.chars().take(255).collect(),
    };

    if store
        .count_login_failures_from(attempt.ip, window_start)
        .await?
        >= MAX_FAILURES_PER_IP
    {
        let failure = LoginFailure::TooManyFromAddress;
        store
            .record_login_event(&event(None, Some(&failure)))
            .await?;
        return Ok(Err(failure));
    }

    let Some(account) = store.find_login_account(username).await? else {
        password::verify_dummy(attempt.password);
        let failure = LoginFailure::InvalidCredentials { remaining: None };
        store
            .record_login_event(&event(None, Some(&failure)))
            .await?;
        return Ok(Err(failure));
    };

    if let Some(until) = account.locked_until.filter(|u| *u > now) {
        let failure = LoginFailure::Locked { until };
        store
            .record_login_event(&event(Some(&account), Some(&failure)))
            .await?;
        return Ok(Err(failure));
    }

    if !password::verify(attempt.password, &account.password_hash) {
        let lock_until = now + Duration::minutes(LOCK_DURATION_MINUTES);
        let failures = store
            .register_login_failure(
                account.id,
                MAX_FAILED_ATTEMPTS,
                lock_until,
                &event(
                    Some(&account),
                    Some(&LoginFailure::InvalidCredentials { remaining: None }),
                ),
            )
            .await?;
        let failure = if failures >= MAX_FAILED_ATTEMPTS {
            LoginFailure::Locked { until: lock_until }
        } else {
            LoginFailure::InvalidCredentials {
                remaining: Some(MAX_FAILED_ATTEMPTS - failures),
            }
        };
        return Ok(Err(failure));
    }

    // Disabled states are revealed only to someone who knows the password.
    let failure = if !account.enabled {
        Some(LoginFailure::AccountDisabled)
    } else if !account.org_enabled {
        Some(LoginFailure::OrgDisabled)
    } else {
        None
    };
    if let Some(failure) = failure {
        store
            .record_login_event(&event(Some(&account), Some(&failure)))
            .await?;
        return Ok(Err(failure));
    }

    store
        .register_login_success(account.id, &event(Some(&account), None))
        .await?;
    Ok(Ok(account))
}
