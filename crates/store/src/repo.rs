//! Implementations of the core store traits, one file per aggregate.

mod account;
mod api_token;
pub(crate) mod attachment;
mod audit;
mod calendar;
mod checklist;
mod complaint;
mod dashboard;
pub(crate) use dashboard::DashboardCache;
mod enterprise;
mod hazard;
mod industry;
pub(crate) mod integrity;
mod job;
mod login;
mod names;
pub(crate) use names::NameQuery;
pub(crate) mod notify;
mod order;
mod org;
mod policy;
mod policy_import;
mod record;
mod region;
mod role;
mod satisfaction;
mod search;
mod session;
mod submission;
pub(crate) mod tally;
mod webhook;

use anze_core::audit::AuditEvent;
use anze_core::audit::chain::{ChainFields, chain_hash, chain_time};
use anze_core::page::{Page, PageRequest};
use anze_core::scope::Scope;
use anze_core::{CoreResult, Store};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, LikeExpr, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Iterable,
    ModelTrait, PaginatorTrait, PrimaryKeyToColumn, QueryFilter, QuerySelect, QueryTrait, Select,
    Set,
};
use std::borrow::Cow;

use crate::entity::{audit_chain_head, audit_event, order_assignee};
use crate::{Db, db_err};

#[async_trait]
impl Store for Db {
    async fn ping(&self) -> CoreResult<()> {
        self.conn.ping().await.map_err(db_err)
    }
}

/// Writes an audit event inside the caller's transaction; `object_id` overrides the event's when
/// the object was created in the same transaction.
///
/// The event becomes the next link of the audit chain: the head row is read under a row lock
/// (`SELECT … FOR UPDATE` on PostgreSQL and MySQL; SQLite's `write()` already holds the one
/// write lock), so concurrent transactions, also from other `anze` instances, take sequence
/// numbers one after another and each links to the row committed before it. The lock is held
/// to the commit, and a rolled-back transaction takes its number back with it, so the
/// numbers have no gaps. Cost per event: one locked read and one update of the head.
pub(crate) async fn insert_audit(
    txn: &DatabaseTransaction,
    event: &AuditEvent,
    object_id: Option<i64>,
) -> CoreResult<()> {
    let at = chain_time(event.at);
    let actor_name: String = event.actor_name.chars().take(100).collect();
    let ip: String = event.ip.chars().take(64).collect();
    let object_id = object_id.or(event.object_id);
    let fields = ChainFields {
        at,
        org_id: event.org_id.map(|o| o.0),
        account_id: event.account_id.map(|a| a.0),
        actor_name: &actor_name,
        action: event.action.code(),
        object_kind: event.object_kind.code(),
        object_id,
        object_label: &event.object_label,
        summary: &event.summary,
        ip: &ip,
    };
    let head = audit_chain_head::Entity::find_by_id(audit_chain_head::ROW)
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| anze_core::CoreError::Internal("the audit chain head is missing".into()))?;
    let seq = head.seq + 1;
    let hash = chain_hash(seq, &head.hash, &fields);
    audit_event::ActiveModel {
        at: Set(at),
        org_id: Set(fields.org_id),
        account_id: Set(fields.account_id),
        action: Set(fields.action.to_string()),
        object_kind: Set(fields.object_kind.to_string()),
        object_id: Set(object_id),
        object_label: Set(event.object_label.clone()),
        summary: Set(event.summary.clone()),
        seq: Set(Some(seq)),
        prev_hash: Set(Some(head.hash.clone())),
        hash: Set(Some(hash.clone())),
        actor_name: Set(actor_name),
        ip: Set(ip),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    audit_chain_head::ActiveModel {
        id: Set(audit_chain_head::ROW),
        seq: Set(seq),
        hash: Set(hash),
    }
    .update(txn)
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
        total_capped: false,
        page: page.page,
        size: page.size,
    }
}

/// Large lists are counted exactly up to this many rows, or further to ten pages past the
/// page shown; beyond that they say "10,000+".
pub(crate) use anze_core::page::COUNT_CAP;

/// A count of the query's rows that stops after `cap` (the inner `LIMIT`), so it costs at
/// most `cap` index steps whatever the size of the table.
pub(crate) async fn count_upto<E, C>(conn: &C, select: Select<E>, cap: u64) -> CoreResult<u64>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut inner = select.into_query();
    inner
        .clear_selects()
        .expr(Expr::val(1))
        .clear_order_by()
        .limit(cap);
    let stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(inner, "capped")
        .take();
    let row = conn
        .query_one(&stmt)
        .await
        .map_err(db_err)?
        .ok_or_else(|| anze_core::CoreError::Internal("count answered nothing".into()))?;
    let n: i64 = row.try_get("", "n").map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// One page of a large list, with a count capped at `COUNT_CAP` (or ten pages past this one).
///
/// Past the first pages the count and the page walk the same index entries: there one query
/// reads the ids from the page on, up to ten pages' worth, which gives both the page and the
/// capped count in one walk instead of two.
pub(crate) async fn paginate_capped<E, C>(
    conn: &C,
    select: Select<E>,
    page: PageRequest,
) -> CoreResult<(Vec<E::Model>, u64, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    paginate_capped_at(conn, select, page, search::Counting::PLAIN).await
}

/// `paginate_capped` with a count that stops at `counting.cap` instead of `COUNT_CAP`: for
/// queries whose every counted row costs a row read, not an index step (`search::counting`).
pub(crate) async fn paginate_capped_at<E, C>(
    conn: &C,
    select: Select<E>,
    page: PageRequest,
    counting: search::Counting,
) -> CoreResult<(Vec<E::Model>, u64, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    paginate_inner(conn, select, page, counting, None).await
}

/// One page of a query whose total is known already (`Db::tally_total`), or, when it is not,
/// `paginate_capped`.
pub(crate) async fn paginate_tallied<E, C>(
    conn: &C,
    select: Select<E>,
    page: PageRequest,
    total: Option<u64>,
) -> CoreResult<(Vec<E::Model>, u64, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    paginate_inner(conn, select, page, search::Counting::PLAIN, total).await
}

async fn paginate_inner<E, C>(
    conn: &C,
    select: Select<E>,
    page: PageRequest,
    counting: search::Counting,
    known: Option<u64>,
) -> CoreResult<(Vec<E::Model>, u64, bool)>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    if page.after.is_some() {
        // The caller put the keyset into the query (`keyset_condition`).
        let items = select.limit(page.size).all(conn).await.map_err(db_err)?;
        return Ok((items, 0, false));
    }
    if let Some(total) = known
        && page.offset() >= total
    {
        return Ok((vec![], total, false));
    }
    let ahead = page.size * 10;
    let cap = Ord::max(counting.cap, page.offset() + ahead);
    if (page.offset() > 0 || counting.one_walk) && page.offset() + ahead >= counting.cap {
        // Without a known total, the ids a few pages ahead tell how far the list goes.
        let want = if known.is_some() {
            page.size
        } else {
            ahead + 1
        };
        let ids = window_ids(conn, select.clone(), page.offset(), want).await?;
        if ids.is_empty() && page.offset() == 0 {
            return Ok((vec![], 0, false));
        }
        // Past the end: the count below tells how far the list goes.
        if !ids.is_empty() {
            let n = ids.len() as u64;
            let shown = &ids[..Ord::min(ids.len(), page.size as usize)];
            let items = rows_by_ids::<E, C>(conn, shown).await?;
            return Ok(match known {
                Some(total) => (items, total, false),
                None => (items, page.offset() + Ord::min(n, ahead), n > ahead),
            });
        }
    }
    let (n, capped) = match known {
        Some(total) => (total, false),
        None => {
            let n = count_upto(conn, select.clone(), cap + 1).await?;
            (Ord::min(n, cap), n > cap)
        }
    };
    let items = fetch_window(conn, select, page.offset(), page.size).await?;
    Ok((items, n, capped))
}

/// The rows after a keyset in a list sorted newest first by `id`, or by `date` and then `id`.
/// A keyset that does not fit the list's order selects nothing rather than everything.
pub(crate) fn keyset_condition<C: ColumnTrait>(
    after: Option<anze_core::page::Keyset>,
    id: C,
    date: Option<C>,
) -> Condition {
    use anze_core::page::Keyset;
    match (after, date) {
        (None, _) => Condition::all(),
        (Some(Keyset::Id(i)), None) => Condition::all().add(id.lt(i)),
        // A row value, which the (…, date, id) indexes answer as one range.
        (Some(Keyset::DateId(d, i)), Some(date)) => Condition::all().add(
            Expr::tuple([
                Expr::col(date.as_column_ref()),
                Expr::col(id.as_column_ref()),
            ])
            .lt(Expr::tuple([Expr::val(d), Expr::val(i)])),
        ),
        _ => Condition::all().add(Expr::val(1).eq(0)),
    }
}

fn primary_column<E: EntityTrait>() -> CoreResult<E::Column> {
    E::PrimaryKey::iter()
        .next()
        .map(|k| k.into_column())
        .ok_or_else(|| anze_core::CoreError::Internal("entity without a key".into()))
}

/// The ids of `limit` rows of the query after skipping `offset`, in the query's order. The
/// scoped indexes hold the ids, so skipping walks index entries and reads no row.
async fn window_ids<E, C>(
    conn: &C,
    select: Select<E>,
    offset: u64,
    limit: u64,
) -> CoreResult<Vec<i64>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    select
        .select_only()
        .column(primary_column::<E>()?)
        .limit(limit)
        .offset(offset)
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_err)
}

/// The rows with these ids, in the order of `ids`.
async fn rows_by_ids<E, C>(conn: &C, ids: &[i64]) -> CoreResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let pk = primary_column::<E>()?;
    let position: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut rows: Vec<(usize, E::Model)> = E::find()
        .filter(pk.is_in(ids.iter().copied()))
        .all(conn)
        .await
        .map_err(db_err)?
        .into_iter()
        .filter_map(|m| {
            let id = match m.get(pk) {
                sea_orm::Value::BigInt(Some(v)) => v,
                sea_orm::Value::Int(Some(v)) => i64::from(v),
                _ => return None,
            };
            position.get(&id).map(|&i| (i, m))
        })
        .collect();
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, m)| m).collect())
}

/// `limit` rows of the query after skipping `offset`, in the query's order. The skipping is
/// done on ids alone (`window_ids`), so a deep page or an export's last thousand rows walks
/// index entries instead of reading every skipped row from the table; only the rows shown
/// are read.
pub(crate) async fn fetch_window<E, C>(
    conn: &C,
    select: Select<E>,
    offset: u64,
    limit: u64,
) -> CoreResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    if offset == 0 {
        return select.limit(limit).all(conn).await.map_err(db_err);
    }
    let ids = window_ids(conn, select, offset, limit).await?;
    rows_by_ids::<E, C>(conn, &ids).await
}

pub(crate) fn capped_page_of<T>(
    items: Vec<T>,
    total: u64,
    capped: bool,
    page: PageRequest,
) -> Page<T> {
    Page {
        total_capped: capped,
        ..page_of(items, total, page)
    }
}

impl Db {
    /// A regulator whose regions are all the regions there are sees what the platform sees.
    /// Saying so lets its lists walk one index in order instead of merging and sorting one
    /// range per region (a city regulator covers every district).
    pub(crate) async fn simplify_scope<'a>(&self, scope: &'a Scope) -> CoreResult<Cow<'a, Scope>> {
        if let Scope::Regions(covered) = scope
            && covered.len() > 1
        {
            let all = self.region_rows().await?;
            if all.iter().all(|r| covered.contains(&r.code)) {
                return Ok(Cow::Owned(Scope::All));
            }
        }
        Ok(Cow::Borrowed(scope))
    }

    /// A menu badge's count (`cap` = `BADGE_CAP`) from its short-lived copy, else `count`
    /// read and kept; other counts are always read.
    pub(crate) async fn badge_count(
        &self,
        cap: u64,
        key: String,
        count: impl Future<Output = CoreResult<u64>>,
    ) -> CoreResult<u64> {
        if cap != anze_core::page::BADGE_CAP {
            return count.await;
        }
        if let Some(n) = self.reference.badge(&key) {
            return Ok(n);
        }
        let at = self.reference.badges_read_at();
        let n = count.await?;
        self.reference.keep_badge(key, n, at);
        Ok(n)
    }
}

/// An integer aggregate (`SUM(…)`) read back as a 64-bit integer: PostgreSQL sums BIGINT to
/// NUMERIC and MySQL to DECIMAL, so both are cast; SQLite already answers with an integer.
pub(crate) fn as_i64(backend: sea_orm::DbBackend, expr: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("CAST({expr} AS BIGINT)"),
        sea_orm::DbBackend::MySql => format!("CAST({expr} AS SIGNED)"),
        _ => expr.to_string(),
    }
}

/// `col LIKE %term%` with LIKE's own wildcards escaped, so a user's `%` or `_` matches
/// literally. `!` is the escape character because backslash means different things in
/// MySQL, PostgreSQL and SQLite string literals.
pub(crate) fn contains(col: impl IntoColumnRef, term: &str) -> SimpleExpr {
    Expr::col(col).like(LikeExpr::new(like_pattern(term)).escape('!'))
}

/// `%term%` with `!` escaping LIKE's wildcards (see `contains`).
pub(crate) fn like_pattern(term: &str) -> String {
    let escaped = term
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    format!("%{escaped}%")
}
