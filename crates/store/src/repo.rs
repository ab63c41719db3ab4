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
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, LikeExpr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QuerySelect, Select, Set,
};

use crate::entity::{audit_event, order_assignee};
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

/// The columns by which a table's rows fall in an actor's scope.
pub(crate) struct ScopeColumns<C> {
    pub insurer: C,
    pub agency: C,
    pub enterprise: C,
    pub region: C,
    /// The row's service order (the id itself for the orders table).
    pub order: C,
}

/// The one translation of `Scope` into SQL for orders, records and hazards, so the rule of who
/// sees what is written once.
pub(crate) fn scope_condition<C: ColumnTrait>(
    scope: &anze_core::scope::Scope,
    c: ScopeColumns<C>,
) -> Condition {
    use anze_core::scope::Scope;
    match scope {
        Scope::All => Condition::all(),
        Scope::Insurer(o) => Condition::all().add(c.insurer.eq(o.0)),
        Scope::Agency { org, assignee } => {
            let mut cond = Condition::all().add(c.agency.eq(org.0));
            if let Some(a) = assignee {
                cond = cond.add(
                    c.order.in_subquery(
                        Query::select()
                            .column(order_assignee::Column::OrderId)
                            .from(order_assignee::Entity)
                            .and_where(order_assignee::Column::AccountId.eq(a.0))
                            .take(),
                    ),
                );
            }
            cond
        }
        Scope::Regions(r) => Condition::all().add(c.region.is_in(r.iter().cloned())),
        Scope::Enterprise(o) => Condition::all().add(c.enterprise.eq(o.0)),
    }
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
