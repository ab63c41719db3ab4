//! Which organization registered an enterprise: until anyone insures it, its registrant is the
//! only insurer that may correct its master data.
//!
//! Existing enterprises keep NULL: the ones with policies are governed by their insurers, and
//! one without a policy and without a known registrant is left to the platform.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    CreatedByOrgId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(big_integer_null(Organizations::CreatedByOrgId))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::CreatedByOrgId)
                    .take(),
            )
            .await
    }
}
