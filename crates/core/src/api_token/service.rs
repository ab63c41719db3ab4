use chrono::{DateTime, Duration, Utc};

use super::{
    ApiCall, ApiCallFilter, ApiCallRecord, ApiToken, ApiTokenForm, CALL_PATH_MAX, TokenState,
    looks_like_secret, new_secret, parse_form, secret_hash,
};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::session::actor_for;
use crate::auth::{Actor, Permission};
use crate::error::{CoreError, CoreResult};
use crate::ids::ApiTokenId;
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// 最近使用 is written at most this often per token: an integration polling every second
/// should not turn each read into a write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Whether the actor manages its organization's API tokens: its admins (the platform's too).
pub fn may_manage(actor: &Actor) -> bool {
    actor.is_org_admin
}

fn require_manage(actor: &Actor) -> CoreResult<()> {
    if may_manage(actor) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// The permissions a token made by `actor` may carry: what it holds.
pub fn grantable(actor: &Actor) -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| actor.has(*p))
        .collect()
}

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    page: PageRequest,
) -> CoreResult<Page<ApiToken>> {
    require_manage(actor)?;
    store.list_api_tokens(actor.org_id, page).await
}

/// How long the API 调用日志 keeps a call (`清理过期数据` removes older ones).
pub const CALL_LOG_DAYS: i64 = 180;

/// API 调用日志: the calls of the actor's organization's tokens (every organization's for the
/// platform), newest first. Those who manage the tokens read what they did.
pub async fn calls(
    store: &dyn Store,
    actor: &Actor,
    filter: &ApiCallFilter,
    page: PageRequest,
) -> CoreResult<Page<ApiCallRecord>> {
    require_manage(actor)?;
    store.list_api_calls(&filter.query(actor)?, page).await
}

/// Records one call of `/api/v1`, as it ended.
pub async fn record_call(store: &dyn Store, call: ApiCall) -> CoreResult<()> {
    let call = ApiCall {
        // The columns' widths (migration `api_calls`), cut here in one place.
        method: call.method.chars().take(8).collect(),
        route: call.route.chars().take(100).collect(),
        path: call.path.chars().take(CALL_PATH_MAX).collect(),
        ip: call.ip.chars().take(64).collect(),
        ..call
    };
    store.insert_api_call(&call).await
}

/// 清理过期数据: drops calls older than `CALL_LOG_DAYS`.
pub async fn prune_calls(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u64> {
    store
        .prune_api_calls(now - Duration::days(CALL_LOG_DAYS))
        .await
}

/// 新建令牌: returns the token and its secret, which is shown this once and never again.
pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &ApiTokenForm,
    now: DateTime<Utc>,
) -> CoreResult<(ApiTokenId, String)> {
    require_manage(actor)?;
    let secret = new_secret();
    let token = parse_form(form, actor, &secret, now)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::ApiToken,
        None,
        &token.name,
        format!(
            "新建 API 令牌“{}”({}…),有效期至 {},权限:{}",
            token.name,
            token.prefix,
            crate::time::today(token.expires_at),
            super::permission_labels(&token.permissions)
        ),
    );
    let id = store.insert_api_token(&token, &audit).await?;
    Ok((id, secret))
}

/// `anze api-token create`: the operator makes a token that acts as `username`, with the
/// permissions named (codes) or, when none are, everything the account holds. The console
/// stands in for the organization's admin, as it does for password resets.
pub async fn create_from_console(
    store: &dyn Store,
    username: &str,
    form: &ApiTokenForm,
    now: DateTime<Utc>,
) -> CoreResult<(ApiTokenId, String)> {
    let account = store
        .find_account_by_username(username.trim())
        .await?
        .ok_or(CoreError::NotFound)?;
    let maker = actor_for(store, account.id, "")
        .await?
        .ok_or_else(|| CoreError::Refused("该账号或其机构已停用".into()))?;
    let mut form = form.clone();
    if form.permissions.is_empty() {
        form.permissions = grantable(&maker)
            .iter()
            .map(|p| p.code().to_string())
            .collect();
    }
    let secret = new_secret();
    let token = parse_form(&form, &maker, &secret, now)?;
    let audit = AuditEvent::system(
        now,
        AuditAction::Create,
        ObjectKind::ApiToken,
        None,
        &token.name,
        format!(
            "命令行为 {} 新建 API 令牌“{}”({}…),有效期至 {}",
            maker.display(),
            token.name,
            token.prefix,
            crate::time::today(token.expires_at)
        ),
    )
    .in_org(maker.org_id);
    let id = store.insert_api_token(&token, &audit).await?;
    Ok((id, secret))
}

/// 吊销: the token stops working at once, on every instance (each call reads it).
pub async fn revoke(
    store: &dyn Store,
    actor: &Actor,
    id: ApiTokenId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require_manage(actor)?;
    let token = store
        .get_api_token(id)
        .await?
        .filter(|t| t.org_id == actor.org_id)
        .ok_or(CoreError::NotFound)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Disable,
        ObjectKind::ApiToken,
        Some(id.0),
        &token.name,
        format!("吊销 API 令牌“{}”({}…)", token.name, token.prefix),
    );
    if store.revoke_api_token(id, now, &audit).await? {
        Ok(())
    } else {
        Err(CoreError::Conflict("该令牌已吊销".into()))
    }
}

/// The actor a call with `secret` acts as: the token's maker as it is now, narrowed to the
/// token's permissions, named after the token in what it writes to the 操作日志. `None` for
/// an unknown, expired or revoked token, or a maker whose account or organization is disabled.
pub async fn authenticate(
    store: &dyn Store,
    secret: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> CoreResult<Option<(Actor, ApiToken)>> {
    if !looks_like_secret(secret) {
        return Ok(None);
    }
    let Some(token) = store.find_api_token_by_hash(&secret_hash(secret)).await? else {
        return Ok(None);
    };
    if token.state(now) != TokenState::Active {
        return Ok(None);
    }
    let Some(maker) = actor_for(store, token.created_by, ip).await? else {
        return Ok(None);
    };
    if token.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
        store.touch_api_token(token.id, now).await?;
    }
    Ok(Some((narrowed(maker, &token), token)))
}

/// The maker's actor with only the token's permissions that it still holds.
fn narrowed(mut maker: Actor, token: &ApiToken) -> Actor {
    maker.permissions.retain(|p| token.permissions.contains(p));
    // A token reads and writes business data; it never manages accounts, roles or tokens.
    maker.is_org_admin = false;
    maker.name = format!("{}·API 令牌“{}”", maker.name, token.name);
    maker
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_token::{ApiTokenForm, parse_form};
    use crate::auth::DataScope;
    use crate::ids::{AccountId, OrgId};
    use crate::org::OrgKind;

    fn admin() -> Actor {
        Actor {
            account_id: AccountId(7),
            username: "picc".into(),
            name: "张三".into(),
            org_id: OrgId(3),
            org_name: "人保泉州".into(),
            org_kind: OrgKind::Insurer,
            permissions: [
                Permission::OrderView,
                Permission::OrderDesignate,
                Permission::AccountEdit,
            ]
            .into_iter()
            .collect(),
            data_scope: DataScope::Organization,
            is_org_admin: true,
            ip: "127.0.0.1".into(),
        }
    }

    fn form(name: &str, perms: &[&str], days: &str) -> ApiTokenForm {
        ApiTokenForm {
            name: name.into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            days: days.into(),
        }
    }

    #[test]
    fn a_token_carries_only_what_its_maker_holds_and_expires() {
        let now = Utc::now();
        let secret = crate::api_token::new_secret();
        assert!(crate::api_token::looks_like_secret(&secret));
        let ok = parse_form(
            &form("核心系统", &["order:view"], ""),
            &admin(),
            &secret,
            now,
        )
        .unwrap();
        assert_eq!(ok.expires_at, now + Duration::days(90));
        assert_eq!(ok.prefix.len(), 12);
        assert_ne!(ok.secret_hash, secret);
        let refused = |f: ApiTokenForm| match parse_form(&f, &admin(), &secret, now) {
            Err(CoreError::Validation(e)) => {
                e.0.iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(";")
            }
            other => panic!("{other:?}"),
        };
        assert!(
            refused(form("核心系统", &["hazard:review"], "30"))
                .contains("不能授予本账号没有的权限")
        );
        assert!(refused(form("核心系统", &["no_such"], "30")).contains("权限不存在"));
        assert!(refused(form("核心系统", &[], "30")).contains("请至少选择一项权限"));
        assert!(refused(form("", &["order:view"], "30")).contains("请填写令牌名称"));
        assert!(refused(form("核心系统", &["order:view"], "366")).contains("有效期"));
        assert!(refused(form("核心系统", &["order:view"], "abc")).contains("有效期"));
    }

    #[test]
    fn a_call_acts_as_the_maker_narrowed_to_the_token() {
        let now = Utc::now();
        let secret = crate::api_token::new_secret();
        let new = parse_form(
            &form("核心系统", &["order:view", "order:designate"], "30"),
            &admin(),
            &secret,
            now,
        )
        .unwrap();
        let mut token = ApiToken {
            id: ApiTokenId(1),
            org_id: new.org_id,
            name: new.name,
            permissions: new.permissions,
            prefix: new.prefix,
            created_by: new.created_by,
            created_by_name: "张三".into(),
            created_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        // The maker lost 指定服务机构 since: the token loses it too.
        let mut maker = admin();
        maker.permissions.remove(&Permission::OrderDesignate);
        let actor = narrowed(maker, &token);
        assert!(actor.has(Permission::OrderView));
        assert!(!actor.has(Permission::OrderDesignate));
        assert!(!actor.has(Permission::AccountEdit));
        assert!(!actor.is_org_admin);
        assert!(actor.display().contains("API 令牌“核心系统”"));
        assert_eq!(token.state(now), TokenState::Active);
        assert_eq!(token.state(now + Duration::days(30)), TokenState::Expired);
        token.revoked_at = Some(now);
        assert_eq!(token.state(now), TokenState::Revoked);
    }

    #[test]
    fn the_call_log_reads_only_the_own_organization_unless_platform() {
        let filter = ApiCallFilter {
            org: "99".into(),
            token: "5".into(),
            q: " orders ".into(),
            result: "failure".into(),
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
        };
        let q = filter.query(&admin()).unwrap();
        assert_eq!(
            q.org,
            Some(OrgId(3)),
            "an insurer's admin asking for org 99"
        );
        assert_eq!(q.token, Some(ApiTokenId(5)));
        assert_eq!(q.q.as_deref(), Some("orders"));
        assert_eq!(q.success, Some(false));
        assert_eq!(q.until.unwrap() - q.from.unwrap(), Duration::days(1));
        let mut platform = admin();
        platform.org_kind = OrgKind::Platform;
        assert_eq!(filter.query(&platform).unwrap().org, Some(OrgId(99)));
        let bad = ApiCallFilter {
            from: "2026-13-01".into(),
            ..ApiCallFilter::default()
        };
        assert!(bad.query(&platform).is_err());
    }
}
