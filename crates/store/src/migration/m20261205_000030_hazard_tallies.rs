//! 隐患台账's figures (待整改, 待复查, 已销号, 重大, 逾期) from per-party tallies instead of six
//! capped counts over the hazards: a large agency's ledger walked up to 60,000 index entries
//! per view (75–115 ms at province scale) to draw five numbers.
//!
//! `hazard_tallies` holds, per party (`a:{agency}`, `i:{insurer}`, `r:{region}` and `*`, the
//! platform), the number of hazards in each (state, level, deadline). A closed hazard's
//! deadline no longer matters to any figure, so closed ones share one deadline (9999-12-31):
//! a party has a few rows per open deadline and two for everything closed.
//!
//! Triggers on `hazards` keep the tallies (`super::tally`).

use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use super::tally::{Key, Tally};

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
        TALLY.install(manager.get_connection()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TALLY.uninstall(manager.get_connection()).await?;
        manager
            .drop_table(Table::drop().table(HazardTallies::Table).to_owned())
            .await
    }
}

/// The hazards' tallies (`super::tally`).
pub(crate) const TALLY: Tally = Tally {
    table: "hazards",
    tallies: "hazard_tallies",
    function: "hazard_tally",
    keys: &[
        Key::Column("state"),
        Key::Column("level"),
        Key::Computed("deadline", deadline),
    ],
    keyed: "state, level, deadline, agency_id, insurer_id, region_code",
};

/// The deadline `row` is tallied under.
fn deadline(backend: DbBackend, row: &str) -> String {
    let closed = match backend {
        DbBackend::Postgres => format!("DATE '{CLOSED_DEADLINE}'"),
        _ => format!("'{CLOSED_DEADLINE}'"),
    };
    format!("CASE WHEN {row}.state = 'closed' THEN {closed} ELSE {row}.deadline END")
}
