//! 登录: password check and throttling per (username, address).
//!
//! Wrong passwords are counted per pair of the username as typed and the client address, never
//! per account alone: a stranger guessing from elsewhere cannot lock a user out, and a user
//! behind the same NAT as a guesser keeps logging in with the right password.
//!
//! - After [`FAILURES_BEFORE_LOCK`] wrong passwords the pair is locked for
//!   [`FIRST_LOCK_MINUTES`]; each further lock of the same pair doubles, up to
//!   [`MAX_LOCK_HOURS`]. A pair forgets its failures [`MEMORY_HOURS`] after the last one, and
//!   entirely at a successful login.
//! - While a pair is locked every attempt of it is refused, right password or not, without
//!   checking it; other addresses are unaffected.
//! - An address with [`MAX_FAILURES_PER_ADDRESS`] failures (any usernames) within
//!   [`ADDRESS_WINDOW_MINUTES`] is "busy": then one wrong password locks its pair at once, so
//!   guessing across many usernames gets one try per username per (growing) lock period. Right
//!   passwords from a busy address still log in.
//! - Unknown usernames are throttled exactly like known ones, with the same messages, statuses
//!   and work (a dummy hash), so neither the answers nor the locks reveal which accounts exist.

use chrono::{DateTime, Duration, Utc};

use super::password::{self, PasswordHashString};
use crate::audit::LoginEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, OrgId};
use crate::store::Store;

/// Wrong passwords of one (username, address) pair before it is locked.
pub const FAILURES_BEFORE_LOCK: i32 = 5;
/// The first lock of a pair; each further lock doubles.
pub const FIRST_LOCK_MINUTES: i64 = 15;
pub const MAX_LOCK_HOURS: i64 = 24;
/// How long a pair remembers its failures and locks after the last failure.
pub const MEMORY_HOURS: i64 = 24;
/// Failures from one address, any usernames, that make the address busy.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// What the store knows about an account at login time.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub id: AccountId,
    pub org_id: OrgId,
    pub username: String,
    pub password_hash: PasswordHashString,
    pub enabled: bool,
    pub org_enabled: bool,
}

/// The failure record of one (username, address) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    /// Wrong passwords since the last lock (or since the start).
    pub failures: i32,
    /// Locks so far; the next one lasts twice as long as the last.
    pub locks: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_failure_at: DateTime<Utc>,
}

impl Throttle {
    /// The end of the lock, while it lasts.
    pub fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|u| *u > now)
    }

    /// The record after one more wrong password. `busy`: the address is over its limit, so this
    /// failure locks the pair at once.
    pub fn after_failure(prev: Option<&Throttle>, busy: bool, now: DateTime<Utc>) -> Throttle {
        let (failures, locks) = prev
            .filter(|p| now - p.last_failure_at < Duration::hours(MEMORY_HOURS))
            .map_or((0, 0), |p| (p.failures, p.locks));
        let failures = failures + 1;
        if busy || failures >= FAILURES_BEFORE_LOCK {
            let locks = locks + 1;
            Throttle {
                failures: 0,
                locks,
                locked_until: Some(now + lock_duration(locks)),
                last_failure_at: now,
            }
        } else {
            Throttle {
                failures,
                locks,
                locked_until: None,
                last_failure_at: now,
            }
        }
    }

    /// Wrong passwords left before the pair is locked.
    pub fn remaining(&self) -> i32 {
        FAILURES_BEFORE_LOCK - self.failures
    }
}

/// The `n`th lock of a pair: 15 minutes, doubling, at most a day.
pub fn lock_duration(n: i32) -> Duration {
    let doublings = u32::try_from(n.saturating_sub(1)).unwrap_or(0).min(16);
    let minutes = FIRST_LOCK_MINUTES.saturating_mul(1i64 << doublings);
    Duration::minutes(minutes.min(MAX_LOCK_HOURS * 60))
}

/// The throttle's name for a username: as the lookup sees it (trimmed), case folded so that
/// variants a case-insensitive database collation treats as one account share one record.
pub fn throttle_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Unknown account or wrong password: the same answer for both.
    InvalidCredentials {
        remaining: i32,
    },
    /// This (username, address) pair is locked.
    Locked {
        until: DateTime<Utc>,
        /// This attempt's wrong password began the lock; otherwise the attempt came during
        /// one and was refused unchecked.
        started: bool,
    },
    AccountDisabled,
    OrgDisabled,
}

impl LoginFailure {
    pub fn message(&self) -> String {
        match self {
            LoginFailure::InvalidCredentials { remaining } if *remaining <= 2 => {
                format!("账号或密码错误,再错 {remaining} 次将暂时锁定登录")
            }
            LoginFailure::InvalidCredentials { .. } => "账号或密码错误".into(),
            LoginFailure::Locked { until, .. } => format!(
                "密码错误次数过多,账号已锁定,请于 {} 后再试",
                until.with_timezone(&crate::time::china()).format("%H:%M")
            ),
            LoginFailure::AccountDisabled => "账号已停用,请联系本机构管理员".into(),
            LoginFailure::OrgDisabled => "所属机构已停用,请联系平台管理员".into(),
        }
    }

    /// The 登录日志 reason.
    fn reason(&self) -> String {
        match self {
            LoginFailure::InvalidCredentials { .. } => "账号或密码错误".into(),
            LoginFailure::Locked { .. } => "锁定期间,拒绝登录".into(),
            LoginFailure::AccountDisabled => "账号已停用".into(),
            LoginFailure::OrgDisabled => "机构已停用".into(),
        }
    }

    /// Too many attempts rather than wrong ones.
    pub fn is_throttled(&self) -> bool {
        matches!(self, LoginFailure::Locked { .. })
    }
}

/// Login bookkeeping; every write comes with its 登录日志 row, in one transaction.
#[async_trait::async_trait]
pub trait LoginStore: Send + Sync {
    /// A live (not deleted) account by its exact username.
    async fn find_login_account(&self, username: &str) -> CoreResult<Option<LoginAccount>>;
    async fn login_throttle(&self, key: &str, ip: &str) -> CoreResult<Option<Throttle>>;
    /// Records one wrong password: `step` turns the pair's current record (read under a lock,
    /// so concurrent failures all count) into the new one and the event to log.
    async fn register_login_failure(
        &self,
        key: &str,
        ip: &str,
        step: &(dyn for<'t> Fn(Option<&'t Throttle>) -> (Throttle, LoginEvent) + Send + Sync),
    ) -> CoreResult<Throttle>;
    /// Records a login and forgets the pair's failures.
    async fn register_login_success(
        &self,
        id: AccountId,
        key: &str,
        ip: &str,
        event: &LoginEvent,
    ) -> CoreResult<()>;
    /// Forgets every address's failures and locks of a username (a password reset).
    async fn clear_login_throttle(&self, key: &str) -> CoreResult<()>;
    /// Removes the records of pairs whose last failure was before `before`.
    async fn forget_login_throttles(&self, before: DateTime<Utc>) -> CoreResult<u64>;
}

/// Drops throttle records old enough to be forgotten anyway; any instance may run it.
pub async fn sweep(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u64> {
    // A lock never outlasts the memory (both count from the last failure), so these rows hold
    // no live lock.
    store
        .forget_login_throttles(now - Duration::hours(MEMORY_HOURS.max(MAX_LOCK_HOURS)))
        .await
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
    let username = attempt.username.trim();
    let key = throttle_key(username);
    let event = |account: Option<&LoginAccount>, reason: Option<String>| LoginEvent {
        at: now,
        username: username.chars().take(64).collect(),
        account_id: account.map(|a| a.id),
        org_id: account.map(|a| a.org_id),
        success: reason.is_none(),
        reason: reason.unwrap_or_else(|| "登录成功".into()),
        ip: attempt.ip.to_string(),
        user_agent: attempt.user_agent.chars().take(255).collect(),
    };

    // Known and unknown usernames take the same steps from here on.
    let account = store.find_login_account(username).await?;
    let throttle = store.login_throttle(&key, attempt.ip).await?;
    if let Some(until) = throttle.as_ref().and_then(|t| t.locked(now)) {
        let failure = LoginFailure::Locked {
            until,
            started: false,
        };
        store
            .record_login_event(&event(account.as_ref(), Some(failure.reason())))
            .await?;
        return Ok(Err(failure));
    }

    let window_start = now - Duration::minutes(ADDRESS_WINDOW_MINUTES);
    let busy = store
        .count_login_failures_from(attempt.ip, window_start)
        .await?
        >= MAX_FAILURES_PER_ADDRESS;
    let verified = match &account {
        Some(a) => password::verify(attempt.password, &a.password_hash),
        None => {
            password::verify_dummy(attempt.password);
            false
        }
    };
    let account = match account {
        Some(a) if verified => a,
        account => {
            let step = |prev: Option<&Throttle>| {
                let next = Throttle::after_failure(prev, busy, now);
                let reason = match next.locked(now) {
                    Some(until) => format!(
                        "密码错误,锁定至 {}",
                        until
                            .with_timezone(&crate::time::china())
                            .format("%m-%d %H:%M")
                    ),
                    None => LoginFailure::InvalidCredentials { remaining: 0 }.reason(),
                };
                (next, event(account.as_ref(), Some(reason)))
            };
            let next = store
                .register_login_failure(&key, attempt.ip, &step)
                .await?;
            return Ok(Err(match next.locked(now) {
                Some(until) => LoginFailure::Locked {
                    until,
                    started: true,
                },
                None => LoginFailure::InvalidCredentials {
                    remaining: next.remaining(),
                },
            }));
        }
    };

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
            .record_login_event(&event(Some(&account), Some(failure.reason())))
            .await?;
        return Ok(Err(failure));
    }

    store
        .register_login_success(account.id, &key, attempt.ip, &event(Some(&account), None))
        .await?;
    Ok(Ok(account))
}

/// Where to go after login: `next` when it is a path on this site, else 首页.
///
/// Browsers strip tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or
/// `/\evil.example` would leave the site; anything with control characters or whitespace
/// (also percent-encoded), or whose second character is `/` or `\`, goes to `/`.
pub fn safe_next(next: &str) -> &str {
    const MAX_LEN: usize = 2048;
    let decoded = percent_decode(next.as_bytes());
    let decoded = String::from_utf8_lossy(&decoded);
    let same_site =
        |s: &str| s.starts_with('/') && !matches!(s.as_bytes().get(1), Some(b'/' | b'\\'));
    let clean = |s: &str| !s.chars().any(|c| c.is_control() || c.is_whitespace());
    if next.len() <= MAX_LEN
        && same_site(next)
        && same_site(&decoded)
        && clean(next)
        && clean(&decoded)
    {
        next
    } else {
        "/"
    }
}

/// `%XX` sequences decoded; anything else, malformed escapes included, kept as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn next_stays_on_this_site() {
        for ok in [
            "/",
            "/accounts",
            "/accounts?page=2&q=%E5%BC%A0",
            "/a/b#c",
            "/%E8%B4%A6",
        ] {
            assert_eq!(safe_next(ok), ok, "{ok}");
        }
        for bad in [
            "",
            "accounts",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/a\r\nSet-Cookie: x=1",
            "/a%0d%0ab",
            "/a\u{b}b",
            "/a b",
            "/a%20b",
            "/a\u{3000}b",
            "https://evil.example/",
            " /accounts",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(5000))), "/");
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode(b"%41%zz%4"), b"A%zz%4");
        assert_eq!(percent_decode(b"%e5%BC%a0"), "张".as_bytes());
    }

    #[test]
    fn five_failures_lock_a_pair_and_locks_double() {
        let mut now = t0();
        let mut t: Option<Throttle> = None;
        for i in 1..FAILURES_BEFORE_LOCK {
            let next = Throttle::after_failure(t.as_ref(), false, now);
            assert_eq!(next.locked(now), None, "failure {i}");
            assert_eq!(next.remaining(), FAILURES_BEFORE_LOCK - i);
            t = Some(next);
        }
        let locked = Throttle::after_failure(t.as_ref(), false, now);
        assert_eq!(locked.locked(now), Some(now + Duration::minutes(15)));
        assert_eq!(locked.remaining(), FAILURES_BEFORE_LOCK);
        // After the lock, five more failures lock it for twice as long.
        now += Duration::minutes(16);
        assert_eq!(locked.locked(now), None);
        let mut t = Some(locked);
        for _ in 0..FAILURES_BEFORE_LOCK {
            t = Some(Throttle::after_failure(t.as_ref(), false, now));
        }
        assert_eq!(t.unwrap().locked(now), Some(now + Duration::minutes(30)));
    }

    #[test]
    fn a_busy_address_locks_at_the_first_failure() {
        let now = t0();
        let first = Throttle::after_failure(None, true, now);
        assert_eq!(first.locked(now), Some(now + Duration::minutes(15)));
        let later = now + Duration::minutes(15);
        let second = Throttle::after_failure(Some(&first), true, later);
        assert_eq!(second.locked(later), Some(later + Duration::minutes(30)));
    }

    #[test]
    fn old_failures_are_forgotten() {
        let now = t0();
        let mut t = Throttle::after_failure(None, true, now);
        t = Throttle::after_failure(Some(&t), true, now + Duration::hours(1));
        assert_eq!(t.locks, 2);
        let much_later = now + Duration::hours(1 + MEMORY_HOURS);
        let fresh = Throttle::after_failure(Some(&t), false, much_later);
        assert_eq!((fresh.failures, fresh.locks), (1, 0));
    }

    #[test]
    fn locks_grow_to_a_day_at_most() {
        assert_eq!(lock_duration(1), Duration::minutes(15));
        assert_eq!(lock_duration(2), Duration::minutes(30));
        assert_eq!(lock_duration(4), Duration::hours(2));
        assert_eq!(lock_duration(7), Duration::hours(16));
        assert_eq!(lock_duration(8), Duration::hours(24));
        assert_eq!(lock_duration(i32::MAX), Duration::hours(24));
    }

    #[test]
    fn throttle_keys_fold_case_and_space() {
        assert_eq!(throttle_key("  Admin "), "admin");
        assert_eq!(throttle_key(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn failure_messages_do_not_depend_on_the_account() {
        let m = LoginFailure::InvalidCredentials { remaining: 2 }.message();
        assert!(m.contains("账号或密码错误") && m.contains("再错 2 次"));
        assert_eq!(
            LoginFailure::InvalidCredentials { remaining: 4 }.message(),
            "账号或密码错误"
        );
    }
}
