//! Service records of every record type, with their staff.

use sea_orm_migration::{prelude::*, schema::*};

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
    Item,
    OrderId,
    AgencyId,
    InsurerId,
    EnterpriseId,
    RegionCode,
    ServiceDate,
    Location,
    EnterpriseContact,
    Summary,
    Details,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecordStaff {
    Table,
    RecordId,
    AccountId,
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
        use ServiceRecords as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(string_len(R::Item, 20))
                    .col(big_integer(R::OrderId))
                    .col(big_integer(R::AgencyId))
                    .col(big_integer(R::InsurerId))
                    .col(big_integer(R::EnterpriseId))
                    .col(string_len(R::RegionCode, 12))
                    .col(date(R::ServiceDate))
                    .col(string_len(R::Location, 200))
                    .col(string_len(R::EnterpriseContact, 50))
                    .col(text(R::Summary))
                    .col(text(R::Details))
                    .col(big_integer(R::CreatedBy))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(R::Table, R::OrderId)
                            .to(ServiceOrders::Table, ServiceOrders::Id),
                    )
                    .take(),
            )
            .await?;
        // Lists are always one item within one party's scope, newest first.
        for (name, cols) in [
            (
                "idx_records_order",
                vec![R::OrderId.into_iden(), R::Item.into_iden()],
            ),
            (
                "idx_records_agency",
                vec![
                    R::Item.into_iden(),
                    R::AgencyId.into_iden(),
                    R::Id.into_iden(),
                ],
            ),
            (
                "idx_records_insurer",
                vec![
                    R::Item.into_iden(),
                    R::InsurerId.into_iden(),
                    R::Id.into_iden(),
                ],
            ),
            (
                "idx_records_region",
                vec![
                    R::Item.into_iden(),
                    R::RegionCode.into_iden(),
                    R::Id.into_iden(),
                ],
            ),
            (
                "idx_records_date",
                vec![R::Item.into_iden(), R::ServiceDate.into_iden()],
            ),
        ] {
            index(manager, name, R::Table, cols, false).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RecordStaff::Table)
                    .col(big_integer(RecordStaff::RecordId))
                    .col(big_integer(RecordStaff::AccountId))
                    .primary_key(
                        Index::create()
                            .col(RecordStaff::RecordId)
                            .col(RecordStaff::AccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecordStaff::Table, RecordStaff::RecordId)
                            .to(R::Table, R::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecordStaff::Table, RecordStaff::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_record_staff_account",
            RecordStaff::Table,
            vec![
                RecordStaff::AccountId.into_iden(),
                RecordStaff::RecordId.into_iden(),
            ],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecordStaff::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(ServiceRecords::Table).take())
            .await
    }
}
