//! The partial indexes of open hazards gain the state column (and a new name: each is
//! created before the one it replaces is dropped).
//!
//! Their `WHERE state <> 'closed'` lets a query that says the same use them, but SQLite still
//! reads each row from the table to check the state itself, so the ledger's deep pages read
//! every skipped hazard. With the state in the index they answer from the index alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    AgencyId,
    InsurerId,
    RegionCode,
    State,
    Deadline,
    Level,
}

/// (old name, new name, leading party column): the index over all open hazards has none.
fn specs() -> [(&'static str, &'static str, Option<Hazards>); 4] {
    [
        (
            "idx_hazards_open_agency",
            "idx_hazards_live_agency",
            Some(Hazards::AgencyId),
        ),
        (
            "idx_hazards_open_insurer",
            "idx_hazards_live_insurer",
            Some(Hazards::InsurerId),
        ),
        (
            "idx_hazards_open_region",
            "idx_hazards_live_region",
            Some(Hazards::RegionCode),
        ),
        ("idx_hazards_open", "idx_hazards_live", None),
    ]
}

async fn drop(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(Hazards::Table).to_owned())
        .await
}

async fn create(
    manager: &SchemaManager<'_>,
    name: &str,
    party: Option<Hazards>,
    with_state: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(Hazards::Table).take();
    if let Some(p) = party {
        stmt.col(p);
    }
    stmt.col(Hazards::Id)
        .col(Hazards::Deadline)
        .col(Hazards::Level);
    if with_state {
        stmt.col(Hazards::State);
    }
    // MySQL has no partial indexes: there these cover all hazards (see 000010).
    if manager.get_database_backend() != DbBackend::MySql {
        stmt.and_where(Expr::col(Hazards::State).ne("closed"));
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, party) in specs() {
            create(manager, new, party, true).await?;
            drop(manager, old).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, party) in specs() {
            create(manager, old, party, false).await?;
            drop(manager, new).await?;
        }
        Ok(())
    }
}
