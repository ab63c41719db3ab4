//! The regulators' ledger filtered by a state (the 待整改 / 待复查 / 已销号 tiles link to it).
//!
//! It shows 重大 before 一般 and overdue first, newest first within each group, one group at a
//! time. With a state fixed, each group is one (state, level) pair: an index led by both walks
//! the group newest first and stops after the page, where the (state, deadline) index made the
//! database sort every hazard in that state (a city's 已销号 list took 34 s).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    RegionCode,
    State,
    Level,
    Deadline,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_hazards_state_level")
                    .table(Hazards::Table)
                    .col(Hazards::State)
                    .col(Hazards::Level)
                    .col(Hazards::Id)
                    .col(Hazards::Deadline)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_hazards_region_state_level")
                    .table(Hazards::Table)
                    .col(Hazards::RegionCode)
                    .col(Hazards::State)
                    .col(Hazards::Level)
                    .col(Hazards::Id)
                    .col(Hazards::Deadline)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_hazards_state_level", "idx_hazards_region_state_level"] {
            manager
                .drop_index(Index::drop().name(name).table(Hazards::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
