//! API 令牌 (`anze_core::api_token`): one row per token, its secret kept only as a SHA-256.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    OrgId,
    Name,
    Permissions,
    Prefix,
    SecretHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ApiTokens as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(big_integer(T::OrgId))
                    .col(string_len(T::Name, 80))
                    // Permission codes, comma-separated.
                    .col(string_len(T::Permissions, 2000))
                    .col(string_len(T::Prefix, 16))
                    .col(string_len(T::SecretHash, 64))
                    .col(big_integer(T::CreatedBy))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .col(timestamp_with_time_zone(T::ExpiresAt))
                    .col(timestamp_with_time_zone_null(T::RevokedAt))
                    .col(timestamp_with_time_zone_null(T::LastUsedAt))
                    .foreign_key(&mut fk(
                        (T::Table, T::OrgId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut fk(
                        (T::Table, T::CreatedBy),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_api_tokens_secret",
            T::Table,
            vec![T::SecretHash.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_api_tokens_org",
            T::Table,
            vec![T::OrgId.into_iden(), T::Id.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}
