//! 隐患台账's figures (待整改, 待复查, 已销号, 重大, 逾期) from per-party tallies instead of six
//! capped counts over the hazards: a large agency's ledger walked up to 60,000 index entries
//! per view (75–115 ms at province scale) to draw five numbers.
//!
//! `hazard_tallies` holds, per party (`a:{agency}`, `i:{insurer}`, `r:{region}` and `*`, the
//! platform), the number of hazards in each (state, level, deadline). A closed hazard's
//! deadline no longer matters to any figure, so closed ones share one deadline (9999-12-31):
//! a party has a few rows per open deadline and two for everything closed.
//!
//! Triggers on `hazards` keep the tallies in the writing transaction, on every backend and
//! every write path (pages, restore, the benchmark's loader); the table is derived data, not
//! backed up, and refilled from the hazards by restore's own inserts. Hazards are never deleted
//! by a foreign key's cascade (MySQL fires no trigger for those).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HazardTallies {
    Table,
    Party,
    State,
    Level,
    Deadline,
    N,
}

/// The deadline every closed hazard is tallied under.
const CLOSED_DEADLINE: &str = "9999-12-31";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use HazardTallies as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(string_len(T::Party, 40))
                    .col(string_len(T::State, 12))
                    .col(string_len(T::Level, 12))
                    .col(date(T::Deadline))
                    .col(big_integer(T::N))
                    .primary_key(
                        Index::create()
                            .col(T::Party)
                            .col(T::State)
                            .col(T::Level)
                            .col(T::Deadline),
                    )
                    .take(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for sql in triggers(backend) {
            db.execute_unprepared(&sql).await?;
        }
        // What the hazards hold already.
        for sql in refill(backend) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS hazards_tally ON hazards")
                    .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS hazard_tally()")
                    .await?;
            }
            _ => {
                for t in ["ai", "ad", "au"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS hazards_tally_{t}"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(HazardTallies::Table).to_owned())
            .await
    }
}

/// The tallies counted afresh from the hazards, for a load that bypassed the triggers.
pub(crate) fn refill(backend: DbBackend) -> Vec<String> {
    let mut sql = vec!["DELETE FROM hazard_tallies".to_string()];
    for party in parties(backend, "h") {
        sql.push(format!(
            "INSERT INTO hazard_tallies (party, state, level, deadline, n) \
             SELECT {party}, h.state, h.level, {deadline}, COUNT(*) FROM hazards h \
             GROUP BY 1, 2, 3, 4",
            deadline = deadline(backend, "h"),
        ));
    }
    sql
}

/// The tally keys of hazard row `row` (`NEW`, `OLD` or a table alias): its agency, insurer,
/// region, and the platform.
fn parties(backend: DbBackend, row: &str) -> Vec<String> {
    let concat = |prefix: &str, col: &str| match backend {
        DbBackend::MySql => format!("CONCAT('{prefix}', {row}.{col})"),
        _ => format!("'{prefix}' || {row}.{col}"),
    };
    vec![
        concat("a:", "agency_id"),
        concat("i:", "insurer_id"),
        concat("r:", "region_code"),
        "'*'".to_string(),
    ]
}

/// The deadline `row` is tallied under.
fn deadline(backend: DbBackend, row: &str) -> String {
    let closed = match backend {
        DbBackend::Postgres => format!("DATE '{CLOSED_DEADLINE}'"),
        _ => format!("'{CLOSED_DEADLINE}'"),
    };
    format!("CASE WHEN {row}.state = 'closed' THEN {closed} ELSE {row}.deadline END")
}

/// One statement adding `delta` to each party's tally of `row`.
fn bump(backend: DbBackend, row: &str, delta: i32) -> String {
    let values: Vec<String> = parties(backend, row)
        .into_iter()
        .map(|party| {
            format!(
                "({party}, {row}.state, {row}.level, {}, {delta})",
                deadline(backend, row)
            )
        })
        .collect();
    let values = values.join(", ");
    let head = "INSERT INTO hazard_tallies (party, state, level, deadline, n) VALUES";
    match backend {
        DbBackend::MySql => format!("{head} {values} ON DUPLICATE KEY UPDATE n = n + VALUES(n)"),
        _ => format!(
            "{head} {values} ON CONFLICT (party, state, level, deadline) \
             DO UPDATE SET n = hazard_tallies.n + excluded.n"
        ),
    }
}

/// Columns whose change moves a hazard between tallies.
const KEYED: &str = "state, level, deadline, agency_id, insurer_id, region_code";

fn triggers(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            format!(
                "CREATE FUNCTION hazard_tally() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN \
                   IF TG_OP IN ('UPDATE', 'DELETE') THEN {}; END IF; \
                   IF TG_OP IN ('UPDATE', 'INSERT') THEN {}; END IF; \
                   RETURN NULL; \
                 END $$",
                bump(backend, "OLD", -1),
                bump(backend, "NEW", 1)
            ),
            format!(
                "CREATE TRIGGER hazards_tally AFTER INSERT OR DELETE OR UPDATE OF {KEYED} \
                 ON hazards FOR EACH ROW EXECUTE FUNCTION hazard_tally()"
            ),
        ],
        DbBackend::MySql => vec![
            format!(
                "CREATE TRIGGER hazards_tally_ai AFTER INSERT ON hazards FOR EACH ROW {}",
                bump(backend, "NEW", 1)
            ),
            format!(
                "CREATE TRIGGER hazards_tally_ad AFTER DELETE ON hazards FOR EACH ROW {}",
                bump(backend, "OLD", -1)
            ),
            // MySQL has no UPDATE OF: an update that moves nothing adds and takes back one.
            format!(
                "CREATE TRIGGER hazards_tally_au AFTER UPDATE ON hazards FOR EACH ROW \
                 BEGIN {}; {}; END",
                bump(backend, "OLD", -1),
                bump(backend, "NEW", 1)
            ),
        ],
        _ => vec![
            format!(
                "CREATE TRIGGER hazards_tally_ai AFTER INSERT ON hazards BEGIN {}; END",
                bump(backend, "new", 1)
            ),
            format!(
                "CREATE TRIGGER hazards_tally_ad AFTER DELETE ON hazards BEGIN {}; END",
                bump(backend, "old", -1)
            ),
            format!(
                "CREATE TRIGGER hazards_tally_au AFTER UPDATE OF {KEYED} ON hazards \
                 BEGIN {}; {}; END",
                bump(backend, "old", -1),
                bump(backend, "new", 1)
            ),
        ],
    }
}
