//! Wrong passwords are counted per (username, address) instead of per account, so that nobody
//! can lock a user out from elsewhere. The account's own `failed_attempts` / `locked_until`
//! columns stay for old rows but are no longer written by logins.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    UsernameKey,
    Ip,
    Failures,
    Locks,
    LockedUntil,
    LastFailureAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottles::Table)
                    .col(string_len(LoginThrottles::UsernameKey, 64))
                    .col(string_len(LoginThrottles::Ip, 64))
                    .col(integer(LoginThrottles::Failures))
                    .col(integer(LoginThrottles::Locks))
                    .col(timestamp_with_time_zone_null(LoginThrottles::LockedUntil))
                    .col(timestamp_with_time_zone(LoginThrottles::LastFailureAt))
                    .primary_key(
                        Index::create()
                            .col(LoginThrottles::UsernameKey)
                            .col(LoginThrottles::Ip),
                    )
                    .take(),
            )
            .await?;
        // The sweep of forgotten pairs.
        super::index(
            manager,
            "idx_login_throttles_last_failure",
            LoginThrottles::Table,
            vec![LoginThrottles::LastFailureAt.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginThrottles::Table).take())
            .await
    }
}
