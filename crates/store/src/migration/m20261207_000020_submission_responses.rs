//! 防重复提交 for `/api/v1`: a POST sent again with its `Idempotency-Key` is answered with the
//! first answer itself (status and JSON body), not a redirect, so the claim keeps it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Submissions {
    Table,
    ResponseStatus,
    ResponseBody,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .add_column(integer_null(Submissions::ResponseStatus))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Submissions::Table)
                    .add_column(text_null(Submissions::ResponseBody))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Submissions::ResponseStatus, Submissions::ResponseBody] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Submissions::Table)
                        .drop_column(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
