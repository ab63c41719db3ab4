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
/// is in one record of twenty, so counting to `COUNT_CAP` read 200,000 rows of a province,
/// and a common three-character one (反应釜, one in ten) had its matches read up to 10,000.
pub(crate) const SEARCH_COUNT_CAP: u64 = 200;

/// How a list filtered by `term` (if any) counts its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Counting {
    /// The count stops here ("200+").
    pub cap: u64,
    /// The first page and its count are one walk of the list's index (`paginate_capped_at`).
    /// So for a term shorter than a trigram, which both walk the index testing each row.
    /// Not for a longer one: there the count reads the index's matches by key (a rare term's
    /// few hundred), while reading ten pages of ids in the list's order walks the list's
    /// index until it has them — all of it when the term is rarer than that.
    pub one_walk: bool,
}

impl Counting {
    /// A list without a term: its count walks index entries, up to `COUNT_CAP`.
    pub(crate) const PLAIN: Counting = Counting {
        cap: super::COUNT_CAP,
        one_walk: false,
    };
}

pub(crate) fn counting(term: Option<&str>) -> Counting {
    match term {
        Some(t) => Counting {
            cap: SEARCH_COUNT_CAP,
            one_walk: t.chars().count() < TRIGRAM,
        },
        None => Counting::PLAIN,
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
        assert_eq!(counting(None), Counting::PLAIN);
        for short in ["锅炉", "ab"] {
            let c = counting(Some(short));
            assert_eq!((c.cap, c.one_walk), (SEARCH_COUNT_CAP, true));
        }
        let c = counting(Some("反应釜"));
        assert_eq!((c.cap, c.one_walk), (SEARCH_COUNT_CAP, false));
    }
}
