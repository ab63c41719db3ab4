//! API 调用日志 (`anze_core::api_token::ApiCall`): one row per call of `/api/v1` by a token.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiCalls {
    Table,
    Id,
    At,
    TokenId,
    OrgId,
    Method,
    Route,
    Path,
    Status,
    Ip,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ApiCalls as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(timestamp_with_time_zone(T::At))
                    .col(big_integer(T::TokenId))
                    .col(big_integer(T::OrgId))
                    .col(string_len(T::Method, 8))
                    .col(string_len(T::Route, 100))
                    .col(string_len(T::Path, 500))
                    .col(integer(T::Status))
                    .col(string_len(T::Ip, 64))
                    .foreign_key(&mut fk(
                        (T::Table, T::TokenId),
                        (ApiTokens::Table, ApiTokens::Id),
                    ))
                    .foreign_key(&mut fk(
                        (T::Table, T::OrgId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        // The log is read newest first per organization or per token, and pruned by age.
        index(
            manager,
            "idx_api_calls_org",
            T::Table,
            vec![T::OrgId.into_iden(), T::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_api_calls_token",
            T::Table,
            vec![T::TokenId.into_iden(), T::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_api_calls_at",
            T::Table,
            vec![T::At.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiCalls::Table).to_owned())
            .await
    }
}
