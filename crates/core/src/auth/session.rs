//! Session lifetime rules. Sessions live in the database so any instance can serve any request.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeSet;

use super::{Actor, DataScope, Permission};
use crate::error::CoreResult;
use crate::ids::{AccountId, OrgId};
use crate::org::OrgKind;
use crate::role::{RoleKind, effective_permissions};
use crate::store::Store;

#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Ends a session nobody used for this long.
    pub idle: Duration,
    /// Ends every session this long after login, used or not.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(120),
            absolute: Duration::hours(12),
        }
    }
}

/// A stored session; the token itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub token_hash: String,
    pub account_id: AccountId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

impl SessionPolicy {
    pub fn is_live(&self, s: &SessionRecord, now: DateTime<Utc>) -> bool {
        now < s.created_at + self.absolute && now < s.last_seen_at + self.idle
    }

    /// Writing `last_seen_at` on every request would turn reads into writes; a minute's
    /// granularity is plenty for an idle timeout measured in hours.
    pub fn needs_touch(&self, s: &SessionRecord, now: DateTime<Utc>) -> bool {
        now - s.last_seen_at >= Duration::minutes(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(created: DateTime<Utc>, seen: DateTime<Utc>) -> SessionRecord {
        SessionRecord {
            token_hash: String::new(),
            account_id: AccountId(1),
            csrf_token: String::new(),
            created_at: created,
            last_seen_at: seen,
            ip: String::new(),
            user_agent: String::new(),
        }
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn idle_and_absolute_expiry() {
        let p = SessionPolicy::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(p.is_live(&session(t0, t0), t0 + Duration::minutes(119)));
        assert!(!p.is_live(&session(t0, t0), t0 + Duration::minutes(121)));
        let busy = session(t0, t0 + Duration::hours(11) + Duration::minutes(59));
        assert!(p.is_live(&busy, t0 + Duration::hours(11) + Duration::minutes(59)));
        assert!(!p.is_live(&busy, t0 + Duration::hours(12)));
        assert!(!p.needs_touch(&session(t0, t0), t0 + Duration::seconds(30)));
        assert!(p.needs_touch(&session(t0, t0), t0 + Duration::seconds(61)));
    }
}

/// A role as acting sees it: what it grants, not what it is called.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    pub kind: RoleKind,
    pub data_scope: DataScope,
    /// As stored; `effective_permissions` turns them into what the role grants.
    pub permissions: BTreeSet<Permission>,
}

/// Everything acting needs about an account, read by the store in two queries: it is read on
/// every request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
    pub username: String,
    pub name: String,
    pub account_enabled: bool,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub org_enabled: bool,
    pub roles: Vec<RoleGrant>,
}

#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// The live (not deleted) account with its organization and roles.
    async fn principal(&self, account: AccountId) -> CoreResult<Option<Principal>>;
    async fn create_session(&self, session: &SessionRecord) -> CoreResult<()>;
    async fn get_session(&self, token_hash: &str) -> CoreResult<Option<SessionRecord>>;
    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> CoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> CoreResult<()>;
    /// Removes sessions past their absolute lifetime; any instance may run it at any time.
    async fn delete_sessions_before(&self, created_before: DateTime<Utc>) -> CoreResult<u64>;
}

/// A fresh random token (256 bits, hex), for session cookies and CSRF tokens.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex(&bytes)
}

/// What the database keeps of a session token: a leaked table does not yield live cookies.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Opens a session for an account that has just logged in and returns its token for the
/// cookie. The session the browser had before (`replacing`, a token hash) ends: a fresh id at
/// every login makes an id planted before login worthless after it.
pub async fn start(
    store: &dyn Store,
    account_id: AccountId,
    replacing: Option<&str>,
    ip: &str,
    user_agent: &str,
    now: DateTime<Utc>,
) -> CoreResult<String> {
    if let Some(old) = replacing {
        store.delete_session(old).await?;
    }
    let token = new_token();
    store
        .create_session(&SessionRecord {
            token_hash: token_hash(&token),
            account_id,
            csrf_token: new_token(),
            created_at: now,
            last_seen_at: now,
            ip: ip.to_string(),
            user_agent: user_agent.to_string(),
        })
        .await?;
    Ok(token)
}

/// Ends a session (logout); an unknown hash is no error.
pub async fn end(store: &dyn Store, token_hash: &str) -> CoreResult<()> {
    store.delete_session(token_hash).await
}

/// Resolves a session token's hash into the acting account, or `None` when the session is
/// missing, expired, or its account or organization can no longer log in.
pub async fn resolve(
    store: &dyn Store,
    policy: &SessionPolicy,
    token_hash: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> CoreResult<Option<(Actor, SessionRecord)>> {
    let Some(session) = store.get_session(token_hash).await? else {
        return Ok(None);
    };
    if !policy.is_live(&session, now) {
        store.delete_session(token_hash).await?;
        return Ok(None);
    }
    let Some(actor) = actor_for(store, session.account_id, ip).await? else {
        store.delete_session(token_hash).await?;
        return Ok(None);
    };
    if policy.needs_touch(&session, now) {
        store.touch_session(token_hash, now).await?;
    }
    Ok(Some((actor, session)))
}

/// Builds the actor for an account that may currently act: live, enabled, in an enabled org.
pub async fn actor_for(
    store: &dyn Store,
    account_id: AccountId,
    ip: &str,
) -> CoreResult<Option<Actor>> {
    Ok(store
        .principal(account_id)
        .await?
        .and_then(|p| actor_of(p, ip)))
}

/// The actor a principal may act as, or `None` when its account or organization is disabled.
pub fn actor_of(p: Principal, ip: &str) -> Option<Actor> {
    if !p.account_enabled || !p.org_enabled {
        return None;
    }
    let permissions: BTreeSet<Permission> = p
        .roles
        .iter()
        .flat_map(|r| effective_permissions(r.kind, p.org_kind, &r.permissions))
        .collect();
    let data_scope = p
        .roles
        .iter()
        .map(|r| r.data_scope)
        .max()
        .unwrap_or(DataScope::Own);
    // Roles are always of the account's own organization, so any admin-kind role is its admin.
    let is_org_admin = p.roles.iter().any(|r| r.kind == RoleKind::Admin);
    Some(Actor {
        account_id: p.account_id,
        username: p.username,
        name: p.name,
        org_id: p.org_id,
        org_name: p.org_name,
        org_kind: p.org_kind,
        permissions,
        data_scope,
        is_org_admin,
        ip: ip.to_string(),
    })
}
