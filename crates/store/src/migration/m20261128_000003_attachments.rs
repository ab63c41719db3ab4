//! Attachments: one row per stored file, owned by a service record or a hazard of an order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    OrderId,
    OwnerKind,
    OwnerId,
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
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum ServiceOrders {
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
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(big_pk_auto(Attachments::Id))
                    .col(big_integer(Attachments::OrderId))
                    .col(string_len(Attachments::OwnerKind, 20))
                    .col(big_integer(Attachments::OwnerId))
                    .col(string_len(Attachments::Field, 40))
                    // Keys are ASCII (`att/2026/11/<32 hex>`), well under the index limits of
                    // MySQL's utf8mb4.
                    .col(string_len(Attachments::StorageKey, 200).unique_key())
                    .col(string_len_null(Attachments::ThumbKey, 200))
                    .col(string_len(Attachments::OriginalName, 255))
                    .col(big_integer(Attachments::Size))
                    .col(string_len(Attachments::Sha256, 64))
                    .col(string_len(Attachments::Kind, 10))
                    .col(timestamp_with_time_zone_null(Attachments::CapturedAt))
                    .col(double_null(Attachments::GpsLat))
                    .col(double_null(Attachments::GpsLng))
                    .col(big_integer(Attachments::UploadedBy))
                    .col(timestamp_with_time_zone(Attachments::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::OrderId)
                            .to(ServiceOrders::Table, ServiceOrders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::UploadedBy)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_owner")
                    .table(Attachments::Table)
                    .col(Attachments::OwnerKind)
                    .col(Attachments::OwnerId)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_order")
                    .table(Attachments::Table)
                    .col(Attachments::OrderId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).take())
            .await
    }
}
