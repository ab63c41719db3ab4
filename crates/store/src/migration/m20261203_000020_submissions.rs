//! 防重复提交: one row per one-time form key that was used. The fingerprint (a hash of the
//! account, the path and the key) is the primary key, so of two instances claiming the same
//! submit at once exactly one insert succeeds. Rows older than a week are pruned.

use sea_orm_migration::{prelude::*, schema::*};

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Submissions {
    Table,
    Fingerprint,
    AccountId,
    Path,
    Location,
    CreatedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Submissions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(string_len(S::Fingerprint, 64).primary_key())
                    .col(big_integer(S::AccountId))
                    .col(string_len(S::Path, 255))
                    .col(string_len_null(S::Location, 500))
                    .col(timestamp_with_time_zone(S::CreatedAt))
                    .col(timestamp_with_time_zone_null(S::CompletedAt))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_submissions_created",
            S::Table,
            vec![S::CreatedAt.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Submissions::Table).take())
            .await
    }
}
