//! Totals from the per-party tallies the triggers keep (`crate::migration::tally`): a sum
//! over a few rows instead of a capped count over the party's orders, records or hazards.

use anze_core::CoreResult;
use anze_core::scope::Scope;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use crate::migration::tally::Tally;
use crate::{Db, db_err};

/// The tally keys of what `scope` sees, if the tallies have them: an agency's staff who see
/// only their own orders and an enterprise (a few hundred rows at most) are counted from the
/// rows themselves.
pub(crate) fn parties(scope: &Scope) -> Option<Vec<String>> {
    match scope {
        Scope::All => Some(vec!["*".into()]),
        Scope::Insurer(o) => Some(vec![format!("i:{}", o.0)]),
        Scope::Agency {
            org,
            assignee: None,
        } => Some(vec![format!("a:{}", org.0)]),
        Scope::Regions(codes) => Some(codes.iter().map(|c| format!("r:{c}")).collect()),
        Scope::Agency { .. } | Scope::Enterprise(_) => None,
    }
}

impl Db {
    /// How many rows `scope` sees in `tally` whose keys equal `keys` (a key of `None` is not
    /// filtered), or `None` when the scope is not tallied.
    pub(crate) async fn tally_total(
        &self,
        tally: &Tally,
        scope: &Scope,
        keys: &[(&str, Option<&str>)],
    ) -> CoreResult<Option<u64>> {
        let Some(parties) = parties(scope) else {
            return Ok(None);
        };
        let col = |c: &str| Expr::col(Alias::new(c));
        let mut stmt = Query::select()
            .expr_as(
                Expr::cust(super::as_i64(self.backend(), "COALESCE(SUM(n), 0)")),
                "n",
            )
            .from(Alias::new(tally.tallies))
            .and_where(col("party").is_in(parties))
            .take();
        for (key, value) in keys {
            if let Some(value) = value {
                stmt.and_where(col(key).eq(*value));
            }
        }
        let n: i64 = match self.conn.query_one(&stmt).await.map_err(db_err)? {
            Some(row) => row.try_get("", "n").map_err(db_err)?,
            None => 0,
        };
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anze_core::ids::{AccountId, OrgId};

    #[test]
    fn staff_with_their_own_orders_and_enterprises_are_counted_from_the_rows() {
        assert!(
            parties(&Scope::Agency {
                org: OrgId(1),
                assignee: Some(AccountId(2))
            })
            .is_none()
        );
        assert!(parties(&Scope::Enterprise(OrgId(1))).is_none());
        assert_eq!(
            parties(&Scope::Regions(vec!["350502".into(), "350503".into()])),
            Some(vec!["r:350502".to_string(), "r:350503".to_string()])
        );
        assert_eq!(
            parties(&Scope::Agency {
                org: OrgId(7),
                assignee: None
            }),
            Some(vec!["a:7".to_string()])
        );
    }
}
