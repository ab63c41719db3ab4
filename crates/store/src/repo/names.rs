//! The names a page of rows shows besides its own columns (organizations, order and policy
//! numbers, accounts as 名(账号)), read in one statement for orders, records, hazards and
//! whatever else refers to them.
//!
//! Each kind was one query of its own in every hydration, so a list page spent four of its
//! statements on names; a `UNION ALL` of the kinds asked for is one round trip, and each
//! branch is a primary-key lookup.

use anze_core::CoreResult;
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

/// `SELECT 'tag' AS k, id, name AS a, second AS b FROM table WHERE id IN (ids)`. The tag and
/// the empty second name are literals, not parameters: PostgreSQL cannot type a parameter
/// that only a UNION gives a type.
fn branch(
    tag: &str,
    table: impl EntityName,
    id: impl ColumnTrait,
    name: impl ColumnTrait,
    second: Option<impl ColumnTrait>,
    ids: Vec<i64>,
) -> SelectStatement {
    let mut q = Query::select();
    q.expr_as(Expr::cust(format!("'{tag}'")), "k")
        .expr_as(Expr::col(id), "id")
        .expr_as(Expr::col(name), "a");
    match second {
        Some(col) => q.expr_as(Expr::col(col), "b"),
        None => q.expr_as(Expr::cust("''"), "b"),
    };
    q.from(table).and_where(Expr::col(id).is_in(ids)).take()
}

impl Db {
    pub(crate) async fn names(&self, q: NameQuery) -> CoreResult<Names> {
        let none: Option<account::Column> = None;
        let mut branches = Vec::new();
        let orgs = sorted(q.orgs);
        if !orgs.is_empty() {
            branches.push(branch(
                ORG,
                organization::Entity,
                organization::Column::Id,
                organization::Column::Name,
                none,
                orgs,
            ));
        }
        let orders = sorted(q.orders);
        if !orders.is_empty() {
            branches.push(branch(
                ORDER,
                service_order::Entity,
                service_order::Column::Id,
                service_order::Column::OrderNo,
                none,
                orders,
            ));
        }
        let policies = sorted(q.policies);
        if !policies.is_empty() {
            branches.push(branch(
                POLICY,
                policy::Entity,
                policy::Column::Id,
                policy::Column::PolicyNo,
                none,
                policies,
            ));
        }
        let accounts = sorted(q.accounts);
        if !accounts.is_empty() {
            branches.push(branch(
                ACCOUNT,
                account::Entity,
                account::Column::Id,
                account::Column::Name,
                Some(account::Column::Username),
                accounts,
            ));
        }
        let mut names = Names::default();
        let mut branches = branches.into_iter();
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
