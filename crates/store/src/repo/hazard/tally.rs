//! The ledger's figures from `hazard_tallies` (migration `m20261205_000030_hazard_tallies`):
//! a few hundred rows per party instead of a capped count per figure over the hazards.
//!
//! The triggers add a row per open deadline, so a party's tallies grow by a few rows a day.
//! A deadline once past stays past, and the only question a figure asks of a deadline is
//! whether it is past (`deadline < today`): [`Db::fold_hazard_tallies`] moves the rows of
//! past deadlines into one row per (party, state, level) under [`PAST_DEADLINE`]. A later
//! change to a hazard of a folded deadline makes the trigger add a row of −1 under that
//! deadline, which sums right and is folded in its turn.

use anze_core::CoreResult;
use anze_core::hazard::{HazardCounts, HazardLevel, HazardQuery, HazardState};
use anze_core::scope::Scope;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Db, db_err};

/// The deadline the folded tallies of past deadlines are kept under: before any real one.
const PAST_DEADLINE: &str = "1000-01-01";

/// One (state, level) of the parties' tallies: all its hazards, and those past their deadline.
pub(super) struct TallyRow {
    state: HazardState,
    major: bool,
    all: u64,
    late: u64,
}

/// Whether the query filters only by what a tally is keyed by (state, level, overdue).
fn answerable(q: &HazardQuery) -> bool {
    q.enterprise.is_none()
        && q.insurer.is_none()
        && q.agency.is_none()
        && q.regions.is_none()
        && q.found_from.is_none()
        && q.found_to.is_none()
        && q.deadline_from.is_none()
        && q.deadline_to.is_none()
        && q.q.is_none()
        && q.inspection.is_none()
        && q.order.is_none()
        && q.flagged.is_none()
}

impl Db {
    /// The tallies of the hazards `q` selects in `scope` (its state aside), or `None` when the
    /// query asks more than the tallies know.
    pub(super) async fn tallied(
        &self,
        scope: &Scope,
        q: &HazardQuery,
    ) -> CoreResult<Option<Vec<TallyRow>>> {
        let Some(parties) = crate::repo::tally::parties(scope) else {
            return Ok(None);
        };
        if !answerable(q) {
            return Ok(None);
        }
        let backend = self.backend();
        let col = |c: &str| Expr::col(Alias::new(c));
        // A closed hazard is tallied under 9999-12-31, so it is never late.
        let late = match q.today {
            // A custom expression's placeholder is written as the backend spells it.
            Some(today) => Expr::cust_with_values(
                super::super::as_i64(
                    backend,
                    &format!(
                        "COALESCE(SUM(CASE WHEN deadline < {} THEN n ELSE 0 END), 0)",
                        if backend == DbBackend::Postgres {
                            "$1"
                        } else {
                            "?"
                        }
                    ),
                ),
                [today],
            ),
            None => Expr::cust("0"),
        };
        let mut stmt = Query::select()
            .column(Alias::new("state"))
            .column(Alias::new("level"))
            .expr_as(
                Expr::cust(super::super::as_i64(backend, "COALESCE(SUM(n), 0)")),
                "n",
            )
            .expr_as(late, "late")
            .from(Alias::new("hazard_tallies"))
            .and_where(col("party").is_in(parties))
            .add_group_by([col("state"), col("level")])
            .take();
        if let Some(level) = q.level {
            stmt.and_where(col("level").eq(level.code()));
        }
        let mut rows = Vec::new();
        for row in self.conn.query_all(&stmt).await.map_err(db_err)? {
            let state: String = row.try_get("", "state").map_err(db_err)?;
            let level: String = row.try_get("", "level").map_err(db_err)?;
            let n: i64 = row.try_get("", "n").map_err(db_err)?;
            let late: i64 = row.try_get("", "late").map_err(db_err)?;
            let Some(state) = HazardState::from_code(&state) else {
                continue;
            };
            rows.push(TallyRow {
                state,
                major: level == HazardLevel::Major.code(),
                all: u64::try_from(n).unwrap_or(0),
                late: u64::try_from(late).unwrap_or(0),
            });
        }
        Ok(Some(rows))
    }

    /// Folds the tallies of deadlines before `before` into [`PAST_DEADLINE`]; the number of
    /// rows folded. `before` must not be later than any day a figure is asked for (the
    /// ledger's `today`), or a hazard due between the two would count as late too early.
    ///
    /// One atomic step on each backend, so a trigger's bump of a folded row is never lost:
    /// SQLite has one writer; on PostgreSQL the rows are deleted and re-inserted by one
    /// statement (a concurrent bump waits for the delete, then inserts a row of its own); on
    /// MySQL a locking read of the range (next-key locks, so no new row in it either) comes
    /// first and holds until the `DELETE` commits.
    pub(crate) async fn fold_hazard_tallies(&self, before: NaiveDate) -> CoreResult<u64> {
        let backend = self.backend();
        let before = before.format("%Y-%m-%d").to_string();
        let (past, range) = match backend {
            DbBackend::Postgres => (
                format!("DATE '{PAST_DEADLINE}'"),
                format!("deadline < DATE '{before}' AND deadline > DATE '{PAST_DEADLINE}'"),
            ),
            _ => (
                format!("'{PAST_DEADLINE}'"),
                format!("deadline < '{before}' AND deadline > '{PAST_DEADLINE}'"),
            ),
        };
        let key = "party, state, level, deadline";
        let upsert = match backend {
            DbBackend::MySql => "ON DUPLICATE KEY UPDATE n = n + VALUES(n)".to_string(),
            _ => format!("ON CONFLICT ({key}) DO UPDATE SET n = hazard_tallies.n + excluded.n"),
        };
        let txn = self.write().await?;
        let folded = if backend == DbBackend::Postgres {
            let row = txn
                .query_one_raw(Statement::from_string(
                    backend,
                    format!(
                        "WITH moved AS (DELETE FROM hazard_tallies WHERE {range} \
                           RETURNING party, state, level, n), \
                         folded AS (INSERT INTO hazard_tallies ({key}, n) \
                           SELECT party, state, level, {past}, SUM(n) FROM moved \
                           GROUP BY party, state, level {upsert}) \
                         SELECT COUNT(*) AS n FROM moved"
                    ),
                ))
                .await
                .map_err(db_err)?;
            let n: i64 = match row {
                Some(row) => row.try_get("", "n").map_err(db_err)?,
                None => 0,
            };
            u64::try_from(n).unwrap_or(0)
        } else {
            if backend == DbBackend::MySql {
                // No trigger may bump a row of the range between the sums and the delete.
                txn.execute_unprepared(&format!(
                    "SELECT COUNT(*) FROM hazard_tallies WHERE {range} FOR UPDATE"
                ))
                .await
                .map_err(db_err)?;
            }
            let sums = format!(
                "SELECT party, state, level, SUM(n) AS total FROM hazard_tallies \
                 WHERE {range} GROUP BY party, state, level"
            );
            // MySQL reads the sums as a derived table, so its `n` in the update can only be
            // the tallies' own (and the `INSERT … SELECT` of one table works on a copy).
            txn.execute_unprepared(&format!(
                "INSERT INTO hazard_tallies ({key}, n) \
                 SELECT party, state, level, {past}, total FROM ({sums}) sums \
                 WHERE total IS NOT NULL {upsert}"
            ))
            .await
            .map_err(db_err)?;
            txn.execute_unprepared(&format!("DELETE FROM hazard_tallies WHERE {range}"))
                .await
                .map_err(db_err)?
                .rows_affected()
        };
        txn.commit().await.map_err(db_err)?;
        Ok(folded)
    }
}

/// The hazards of `row` the query selects: all of them, or the overdue ones (open and past
/// the deadline) when it asks for those.
fn selected(row: &TallyRow, q: &HazardQuery) -> u64 {
    match (q.overdue, q.today) {
        (true, Some(_)) if row.state == HazardState::Closed => 0,
        (true, Some(_)) => row.late,
        _ => row.all,
    }
}

/// The ledger's figures, exact.
pub(super) fn counts(rows: &[TallyRow], q: &HazardQuery) -> HazardCounts {
    let sum = |keep: &dyn Fn(&TallyRow) -> bool| -> u64 {
        rows.iter()
            .filter(|r| keep(r))
            .map(|r| selected(r, q))
            .sum()
    };
    HazardCounts {
        pending_rectification: sum(&|r| r.state == HazardState::PendingRectification),
        pending_review: sum(&|r| r.state == HazardState::PendingReview),
        closed: sum(&|r| r.state == HazardState::Closed),
        major: sum(&|r| r.major),
        overdue: if q.today.is_some() {
            rows.iter()
                .filter(|r| r.state != HazardState::Closed)
                .map(|r| r.late)
                .sum()
        } else {
            0
        },
        capped_at: None,
    }
}

/// How many hazards the ledger lists: those of the query's state, or all.
pub(super) fn total(rows: &[TallyRow], q: &HazardQuery) -> u64 {
    rows.iter()
        .filter(|r| q.state.is_none_or(|s| s == r.state))
        .map(|r| selected(r, q))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: HazardState, major: bool, all: u64, late: u64) -> TallyRow {
        TallyRow {
            state,
            major,
            all,
            late,
        }
    }

    use chrono::NaiveDate;

    #[test]
    fn figures_follow_the_overdue_filter_and_closed_hazards_are_never_late() {
        let rows = vec![
            row(HazardState::PendingRectification, false, 10, 4),
            row(HazardState::PendingRectification, true, 3, 1),
            row(HazardState::PendingReview, false, 5, 2),
            row(HazardState::Closed, true, 7, 0),
        ];
        let mut q = HazardQuery {
            today: NaiveDate::from_ymd_opt(2026, 11, 30),
            ..HazardQuery::default()
        };
        let c = counts(&rows, &q);
        assert_eq!(
            (
                c.pending_rectification,
                c.pending_review,
                c.closed,
                c.major,
                c.overdue
            ),
            (13, 5, 7, 10, 7)
        );
        assert_eq!(total(&rows, &q), 25);
        q.state = Some(HazardState::PendingReview);
        assert_eq!(total(&rows, &q), 5);
        q.overdue = true;
        q.state = None;
        let c = counts(&rows, &q);
        assert_eq!(
            (
                c.pending_rectification,
                c.pending_review,
                c.closed,
                c.major,
                c.overdue
            ),
            (5, 2, 0, 1, 7)
        );
        assert_eq!(total(&rows, &q), 7);
    }
}
