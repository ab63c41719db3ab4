use chrono::{DateTime, Duration, Utc};

use super::chain::{BreakKind, ChainBreak, ChainStatus, ChainVerification, ChainWalk};
use super::{AuditAction, AuditRecord, LogFilter, LogQuery, LoginRecord, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::ids::OrgId;
use crate::page::{Page, PageRequest};
use crate::store::Store;
use crate::time::start_of_day;

/// Turns the filter form into a query scoped to what the actor may see.
pub fn query(actor: &Actor, filter: &LogFilter) -> CoreResult<LogQuery> {
    let mut errors = FieldErrors::new();
    let from = errors.optional_date("from", &filter.from);
    let to = errors.optional_date("to", &filter.to);
    let org = match actor.org_filter() {
        Some(own) => Some(own),
        None => filter.org.trim().parse::<i64>().ok().map(OrgId),
    };
    let q = filter.q.trim();
    errors.into_result(LogQuery {
        org,
        q: (!q.is_empty()).then(|| q.chars().take(50).collect()),
        action: AuditAction::from_code(filter.action.trim()),
        object: ObjectKind::from_code(filter.object.trim()),
        success: match filter.result.trim() {
            "success" => Some(true),
            "failure" => Some(false),
            _ => None,
        },
        from: from.map(start_of_day),
        until: to.map(|d| start_of_day(d) + Duration::days(1)),
    })
}

pub async fn list_audit(
    store: &dyn Store,
    actor: &Actor,
    filter: &LogFilter,
    page: PageRequest,
) -> CoreResult<Page<AuditRecord>> {
    require(actor, Permission::AuditView)?;
    store.list_audit(&query(actor, filter)?, page).await
}

pub async fn list_logins(
    store: &dyn Store,
    actor: &Actor,
    filter: &LogFilter,
    page: PageRequest,
) -> CoreResult<Page<LoginRecord>> {
    require(actor, Permission::LoginLogView)?;
    store.list_logins(&query(actor, filter)?, page).await
}

/// Walks the whole chain of 操作日志 in batches of `batch` rows, calling `progress` with the
/// number of rows checked after each batch, and records the outcome. The walk stops at the
/// head read at the start: rows committed while it runs are left for the next run, so the
/// verifier can run beside live writers (and other instances) without locking anything.
///
/// The chain must also pass through the head that the last passing run recorded, so a chain
/// rebuilt since then is found even though it holds together.
pub async fn verify_chain(
    store: &dyn Store,
    now: DateTime<Utc>,
    batch: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> CoreResult<ChainVerification> {
    let (head, top) = store.audit_chain_head().await?;
    let mut walk = match store.last_chain_verification(true).await? {
        Some(last) => ChainWalk::anchored(last.head),
        None => ChainWalk::new(),
    };
    let outcome = 'walk: {
        loop {
            let rows = store
                .audit_chain_rows(walk.last_seq(), head.seq, batch.max(1))
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if let Err(e) = walk.check(row) {
                    break 'walk Err(e);
                }
            }
            progress(walk.checked());
        }
        if let Err(e) = walk.finish(&head) {
            break 'walk Err(e);
        }
        if let Some(top) = top.filter(|&t| t > head.seq) {
            break 'walk Err(ChainBreak {
                kind: BreakKind::Outside,
                seq: head.seq + 1,
                id: None,
                detail: format!("链头记到第 {} 条,但存在第 {top} 条", head.seq),
            });
        }
        if let Some(id) = store.first_unchained_audit().await? {
            break 'walk Err(ChainBreak {
                kind: BreakKind::Outside,
                seq: 0,
                id: Some(id),
                detail: format!("记录 id {} 没有序号,不在链上", id.0),
            });
        }
        Ok(())
    };
    let verification = ChainVerification {
        at: now,
        ok: outcome.is_ok(),
        rows_checked: walk.checked(),
        head,
        problem: outcome.err().map(|e| e.to_string()).unwrap_or_default(),
    };
    store.record_chain_verification(&verification).await?;
    Ok(verification)
}

/// A verification started by the platform admin from the 操作日志 page; the chain spans
/// every organization, so nobody else may run it.
pub async fn verify_chain_as(
    store: &dyn Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> CoreResult<ChainVerification> {
    if !actor.is_platform_admin() {
        return Err(CoreError::Forbidden);
    }
    verify_chain(store, now, 1000, &mut |_| {}).await
}

/// The chain head and the last verification, for the platform admin only: the chain spans
/// every organization's events.
pub async fn chain_status(store: &dyn Store, actor: &Actor) -> CoreResult<Option<ChainStatus>> {
    if !actor.is_platform_admin() {
        return Ok(None);
    }
    let (head, _) = store.audit_chain_head().await?;
    Ok(Some(ChainStatus {
        head,
        last_verification: store.last_chain_verification(false).await?,
    }))
}
