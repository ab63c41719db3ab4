//! The insured enterprise takes part in the hazard loop: each 整改 step says who rectified
//! (the enterprise itself, or the agency recording it on the enterprise's behalf), and each
//! 整改通知书 can be signed for (签收) by an enterprise account or on site (the signature image
//! is an attachment of the inspection, field `notice_signature`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HazardSteps {
    Table,
    Party,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NoticeReceipts {
    Table,
    RecordId,
    Via,
    SignerName,
    SignedBy,
    SignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HazardSteps::Table)
                    .add_column(string_len_null(HazardSteps::Party, 12))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoticeReceipts::Table)
                    .col(big_integer(NoticeReceipts::RecordId).primary_key())
                    .col(string_len(NoticeReceipts::Via, 12))
                    .col(string_len(NoticeReceipts::SignerName, 50))
                    .col(big_integer_null(NoticeReceipts::SignedBy))
                    .col(timestamp_with_time_zone(NoticeReceipts::SignedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NoticeReceipts::Table, NoticeReceipts::RecordId)
                            .to(ServiceRecords::Table, ServiceRecords::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NoticeReceipts::Table).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(HazardSteps::Table)
                    .drop_column(HazardSteps::Party)
                    .take(),
            )
            .await
    }
}
