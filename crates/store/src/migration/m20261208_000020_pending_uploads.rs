//! Pending uploads (`anze_core::attachment::PendingUpload`): the files of a form the service
//! refused, kept for its next submit so nobody picks (or takes) a photo twice.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PendingUploads {
    Table,
    Token,
    AccountId,
    Field,
    StorageKey,
    ThumbKey,
    OriginalName,
    Size,
    Sha256,
    Kind,
    CapturedAt,
    GpsLat,
    GpsLng,
    Uniform,
    Phash,
    PhashAlg,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PendingUploads as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(string_len(T::Token, 32).primary_key())
                    .col(big_integer(T::AccountId))
                    .col(string_len(T::Field, 40))
                    .col(string_len(T::StorageKey, 200))
                    .col(string_len_null(T::ThumbKey, 200))
                    .col(string_len(T::OriginalName, 255))
                    .col(big_integer(T::Size))
                    .col(string_len(T::Sha256, 64))
                    .col(string_len(T::Kind, 20))
                    .col(timestamp_with_time_zone_null(T::CapturedAt))
                    .col(double_null(T::GpsLat))
                    .col(double_null(T::GpsLng))
                    .col(boolean_null(T::Uniform))
                    .col(big_integer_null(T::Phash))
                    .col(string_len_null(T::PhashAlg, 40))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .foreign_key(&mut fk(
                        (T::Table, T::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .take(),
            )
            .await?;
        // Expiry walks them by age.
        index(
            manager,
            "idx_pending_uploads_created",
            T::Table,
            vec![T::CreatedAt.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PendingUploads::Table).to_owned())
            .await
    }
}
