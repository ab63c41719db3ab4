//! Implementations of the core store traits, one file per aggregate.

mod account;
pub(crate) mod attachment;
mod audit;
mod enterprise;
mod hazard;
mod industry;
mod order;
mod org;
mod policy;
mod policy_import;
mod record;
mod region;
mod role;
mod session;

use anze_core::audit::AuditEvent;
use anze_core::page::{Page, PageRequest};
use anze_core::{CoreResult, Store};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QuerySelect, Select, Set,
};

use crate::entity::audit_event;
use crate::{Db, db_err};

#[async_trait]
impl Store for Db {
    async fn ping(&self) -> CoreResult<()> {
        self.conn.ping().await.map_err(db_err)
    }
}

/// Writes an audit event inside the caller's transaction; `object_id` overrides the event's when
/// the object was created in the same transaction.
pub(crate) async fn insert_audit(
    txn: &DatabaseTransaction,
    event: &AuditEvent,
    object_id: Option<i64>,
) -> CoreResult<()> {
    audit_event::ActiveModel {
        at: Set(event.at),
        org_id: Set(event.org_id.map(|o| o.0)),
        account_id: Set(event.account_id.map(|a| a.0)),
        actor_name: Set(event.actor_name.chars().take(100).collect()),
        action: Set(event.action.code().to_string()),
        object_kind: Set(event.object_kind.code().to_string()),
        object_id: Set(object_id.or(event.object_id)),
        object_label: Set(event.object_label.clone()),
        summary: Set(event.summary.clone()),
        ip: Set(event.ip.chars().take(64).collect()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Counts, then fetches one page of a query.
pub(crate) async fn paginate<E, C>(
    conn: &C,
    select: Select<E>,
    page: PageRequest,
) -> CoreResult<(Vec<E::Model>, u64)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = select.clone().count(conn).await.map_err(db_err)?;
    let items = select
        .limit(page.size)
        .offset(page.offset())
        .all(conn)
        .await
        .map_err(db_err)?;
    Ok((items, total))
}

pub(crate) fn page_of<T>(items: Vec<T>, total: u64, page: PageRequest) -> Page<T> {
    Page {
        items,
        total,
        page: page.page,
        size: page.size,
    }
}

/// `col LIKE %term%` with LIKE's own wildcards escaped, so a user's `%` or `_` matches
/// literally. `!` is the escape character because backslash means different things in
/// MySQL, PostgreSQL and SQLite string literals.
pub(crate) fn contains(col: impl IntoColumnRef, term: &str) -> SimpleExpr {
    let escaped = term
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    Expr::col(col).like(LikeExpr::new(format!("%{escaped}%")).escape('!'))
}
