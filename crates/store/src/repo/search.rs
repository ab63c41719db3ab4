//! Keyword conditions: a substring of the searched columns, answered by the trigram index the
//! migration `m20261205_000020_text_search` built for the backend.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{Condition, DbBackend, EntityTrait, IdenStatic};

use super::{contains, like_pattern};

/// The shortest term a trigram index can answer; shorter ones are matched with LIKE along
/// the list's own index, which stops at the page and the count's cap.
const TRIGRAM: usize = 3;

/// A list filtered by a term counts its rows up to this ("200+"), ten pages: each counted
/// row is a row read and a match test, not an index step. A common two-character word (锅炉)
/// is in one record of twenty, so counting to `COUNT_CAP` read 200,000 rows of a province; a
/// longer term's matches are tested against every entry of the list's index the count walks.
/// At this cap the first page and its count are one walk (`paginate_capped_at`), so the
/// term's matches are looked up once per page.
pub(crate) const SEARCH_COUNT_CAP: u64 = 200;

/// How far a list filtered by `term` (if any) counts its rows.
pub(crate) fn count_cap(term: Option<&str>) -> u64 {
    match term {
        Some(_) => SEARCH_COUNT_CAP,
        None => super::COUNT_CAP,
    }
}

/// Rows of `E` whose `cols` contain `term` anywhere, Latin letters in either case.
///
/// SQLite: the FTS5 table's rowids for a phrase of the term restricted to these columns.
/// PostgreSQL: ILIKE, which the pg_trgm indexes serve. MySQL: LIKE, which scans.
pub(crate) fn text_matches<E: EntityTrait>(
    backend: DbBackend,
    cols: &[E::Column],
    term: &str,
) -> Condition {
    if backend == DbBackend::Sqlite && term.chars().count() >= TRIGRAM {
        let table = E::default();
        let fts = format!("{}_fts", table.as_str());
        let names: Vec<&str> = cols.iter().map(|c| c.as_str()).collect();
        // A quoted phrase takes every character literally; `"` is escaped by doubling it.
        let phrase = format!(
            "{{{}}} : \"{}\"",
            names.join(" "),
            term.replace('"', "\"\"")
        );
        let ids = Query::select()
            .expr(Expr::cust("rowid"))
            .from(Alias::new(fts.as_str()))
            .and_where(Expr::cust_with_values(
                format!("\"{fts}\" MATCH ?"),
                [phrase],
            ))
            .take();
        return Condition::all().add(Expr::col((table, Alias::new("id"))).in_subquery(ids));
    }
    // PostgreSQL plans a statement executed often once for any pattern (a generic plan),
    // and took the trigram index for a two-character term too, where the index finds no
    // trigram and reads all of itself: 0.3–1.6 s a page. A short term's column is written
    // as an expression no index holds, so the list walks its own index as on SQLite.
    let column = if term.chars().count() < TRIGRAM {
        "($1 || '')"
    } else {
        "$1"
    };
    cols.iter().fold(Condition::any(), |c, col| {
        c.add(if backend == DbBackend::Postgres {
            // ILIKE: Latin letters match in either case, as SQLite's LIKE and MySQL's
            // collations do; pg_trgm's indexes serve ILIKE as they serve LIKE.
            // (Written out: the query builder puts ESCAPE inside parentheses after ILIKE.)
            Expr::cust_with_exprs(
                format!("{column} ILIKE $2 ESCAPE '!'"),
                [
                    Expr::col((E::default(), *col)),
                    Expr::val(like_pattern(term)),
                ],
            )
        } else {
            contains((E::default(), *col), term)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_count_less_far() {
        assert_eq!(count_cap(None), crate::repo::COUNT_CAP);
        assert_eq!(count_cap(Some("锅炉")), SEARCH_COUNT_CAP);
        assert_eq!(count_cap(Some("ab")), SEARCH_COUNT_CAP);
        assert_eq!(count_cap(Some("反应釜")), SEARCH_COUNT_CAP);
    }
}
