//! Hazards by enterprise: the enterprise's own 隐患台账 and every ledger's 企业 filter select
//! hazards by `enterprise_id`, which no index led with, so each such page read all the
//! hazards (over 10 s for a province's two million). An enterprise has tens to hundreds of
//! hazards: (enterprise, id) finds them and gives them newest first.

use sea_orm_migration::prelude::*;

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    EnterpriseId,
}

const NAME: &str = "idx_hazards_enterprise";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            NAME,
            Hazards::Table,
            vec![Hazards::EnterpriseId.into_iden(), Hazards::Id.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Hazards::Table).to_owned())
            .await
    }
}
