//! The names a page of rows shows besides its own columns (organizations, order and policy
//! numbers, accounts as 名(账号)), read in one statement for orders, records, hazards and
//! whatever else refers to them.
//!
//! Each kind was one query of its own in every hydration, so a list page spent four of its
//! statements on names; a `UNION ALL` of the kinds asked for is one round trip, and each
//! branch is a primary-key lookup.

use anze_core::CoreResult;
use anze_core::account::AccountRef;
use anze_core::ids::AccountId;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityName};
use std::collections::HashMap;

use crate::entity::{account, organization, policy, service_order};
use crate::{Db, db_err};

/// The ids whose names a page needs; duplicates are fine.
#[derive(Default)]
pub(crate) struct NameQuery {
    pub orgs: Vec<i64>,
    pub orders: Vec<i64>,
    pub policies: Vec<i64>,
    pub accounts: Vec<i64>,
}

/// Names by id; an id that no longer resolves shows as an empty name.
#[derive(Default)]
pub(crate) struct Names {
    orgs: HashMap<i64, String>,
    orders: HashMap<i64, String>,
    policies: HashMap<i64, String>,
    accounts: HashMap<i64, String>,
}

impl Names {
    pub fn org(&self, id: i64) -> String {
        self.orgs.get(&id).cloned().unwrap_or_default()
    }

    pub fn order_no(&self, id: i64) -> String {
        self.orders.get(&id).cloned().unwrap_or_default()
    }

    pub fn policy_no(&self, id: i64) -> String {
        self.policies.get(&id).cloned().unwrap_or_default()
    }

    /// 名(账号), or `None` for an account that does not exist.
    pub fn account(&self, id: i64) -> Option<&String> {
        self.accounts.get(&id)
    }

    /// The accounts linked to a row (an order's 负责人员, a record's 服务人员), by id; accounts
    /// that no longer exist are left out.
    pub fn account_refs(&self, ids: Option<&Vec<i64>>) -> Vec<AccountRef> {
        let mut refs: Vec<AccountRef> = ids
            .into_iter()
            .flatten()
            .filter_map(|id| {
                self.account(*id).map(|name| AccountRef {
                    id: AccountId(*id),
                    name: name.clone(),
                })
            })
            .collect();
        refs.sort_by_key(|a| a.id);
        refs
    }
}

// The kinds' tags in the statement's first column.
const ORG: &str = "o";
const ORDER: &str = "n";
const POLICY: &str = "p";
const ACCOUNT: &str = "a";

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `SELECT 'tag' AS k, id, name AS a, second AS b FROM table WHERE id IN (ids)`, or nothing
/// for no ids. The tag and the empty second name are literals, not parameters: PostgreSQL
/// cannot type a parameter that only a UNION gives a type.
fn branch(
    tag: &str,
    table: impl EntityName,
    id: impl ColumnTrait,
    name: impl ColumnTrait,
    second: Option<account::Column>,
    ids: Vec<i64>,
) -> Option<SelectStatement> {
    let ids = sorted(ids);
    if ids.is_empty() {
        return None;
    }
    let mut q = Query::select();
    q.expr_as(Expr::cust(format!("'{tag}'")), "k")
        .expr_as(Expr::col(id), "id")
        .expr_as(Expr::col(name), "a");
    match second {
        Some(col) => q.expr_as(Expr::col(col), "b"),
        None => q.expr_as(Expr::cust("''"), "b"),
    };
    Some(q.from(table).and_where(Expr::col(id).is_in(ids)).take())
}

impl Db {
    pub(crate) async fn names(&self, q: NameQuery) -> CoreResult<Names> {
        use account::Column as A;
        let branches = [
            branch(
                ORG,
                organization::Entity,
                organization::Column::Id,
                organization::Column::Name,
                None,
                q.orgs,
            ),
            branch(
                ORDER,
                service_order::Entity,
                service_order::Column::Id,
                service_order::Column::OrderNo,
                None,
                q.orders,
            ),
            branch(
                POLICY,
                policy::Entity,
                policy::Column::Id,
                policy::Column::PolicyNo,
                None,
                q.policies,
            ),
            branch(
                ACCOUNT,
                account::Entity,
                A::Id,
                A::Name,
                Some(A::Username),
                q.accounts,
            ),
        ];
        let mut branches = branches.into_iter().flatten();
        let mut names = Names::default();
        let Some(mut stmt) = branches.next() else {
            return Ok(names);
        };
        for more in branches {
            stmt.union(UnionType::All, more);
        }
        for row in self.conn.query_all(&stmt).await.map_err(db_err)? {
            let tag: String = row.try_get("", "k").map_err(db_err)?;
            let id: i64 = row.try_get("", "id").map_err(db_err)?;
            let a: Option<String> = row.try_get("", "a").map_err(db_err)?;
            let a = a.unwrap_or_default();
            match tag.as_str() {
                ORG => names.orgs.insert(id, a),
                ORDER => names.orders.insert(id, a),
                POLICY => names.policies.insert(id, a),
                _ => {
                    let b: Option<String> = row.try_get("", "b").map_err(db_err)?;
                    names
                        .accounts
                        .insert(id, format!("{a}({})", b.unwrap_or_default()))
                }
            };
        }
        Ok(names)
    }
}
