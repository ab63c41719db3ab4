//! Hazards found by inspections, and the steps of their closed loop.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    HazardNo,
    InspectionId,
    OrderId,
    AgencyId,
    InsurerId,
    EnterpriseId,
    RegionCode,
    FoundOn,
    Description,
    Location,
    Category,
    Level,
    Basis,
    Suggestion,
    Deadline,
    Responsible,
    State,
    Round,
    ClosedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HazardSteps {
    Table,
    Id,
    HazardId,
    Round,
    Kind,
    OnDate,
    Note,
    Passed,
    ReviewerId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Hazards as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(big_pk_auto(H::Id))
                    .col(string_len_null(H::HazardNo, 24).unique_key())
                    .col(big_integer(H::InspectionId))
                    .col(big_integer(H::OrderId))
                    .col(big_integer(H::AgencyId))
                    .col(big_integer(H::InsurerId))
                    .col(big_integer(H::EnterpriseId))
                    .col(string_len(H::RegionCode, 12))
                    .col(date(H::FoundOn))
                    .col(text(H::Description))
                    .col(string_len(H::Location, 200))
                    .col(string_len(H::Category, 30))
                    .col(string_len(H::Level, 10))
                    .col(string_len(H::Basis, 500))
                    .col(text(H::Suggestion))
                    .col(date(H::Deadline))
                    .col(string_len(H::Responsible, 50))
                    .col(string_len(H::State, 10))
                    .col(integer(H::Round))
                    .col(timestamp_with_time_zone_null(H::ClosedAt))
                    .col(big_integer(H::CreatedBy))
                    .col(timestamp_with_time_zone(H::CreatedAt))
                    .col(timestamp_with_time_zone(H::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(H::Table, H::InspectionId)
                            .to(ServiceRecords::Table, ServiceRecords::Id),
                    )
                    .take(),
            )
            .await?;
        for (name, cols) in [
            ("idx_hazards_inspection", vec![H::InspectionId.into_iden()]),
            (
                "idx_hazards_order",
                vec![H::OrderId.into_iden(), H::State.into_iden()],
            ),
            (
                "idx_hazards_agency",
                vec![
                    H::AgencyId.into_iden(),
                    H::State.into_iden(),
                    H::Id.into_iden(),
                ],
            ),
            (
                "idx_hazards_insurer",
                vec![
                    H::InsurerId.into_iden(),
                    H::State.into_iden(),
                    H::Id.into_iden(),
                ],
            ),
            (
                "idx_hazards_region",
                vec![
                    H::RegionCode.into_iden(),
                    H::State.into_iden(),
                    H::Id.into_iden(),
                ],
            ),
            (
                "idx_hazards_overdue",
                vec![H::State.into_iden(), H::Deadline.into_iden()],
            ),
        ] {
            let mut stmt = Index::create().name(name).table(H::Table).take();
            for c in cols {
                stmt.col(c);
            }
            manager.create_index(stmt).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(HazardSteps::Table)
                    .col(big_pk_auto(HazardSteps::Id))
                    .col(big_integer(HazardSteps::HazardId))
                    .col(integer(HazardSteps::Round))
                    .col(string_len(HazardSteps::Kind, 10))
                    .col(date(HazardSteps::OnDate))
                    .col(text(HazardSteps::Note))
                    .col(boolean_null(HazardSteps::Passed))
                    .col(big_integer_null(HazardSteps::ReviewerId))
                    .col(big_integer(HazardSteps::CreatedBy))
                    .col(timestamp_with_time_zone(HazardSteps::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HazardSteps::Table, HazardSteps::HazardId)
                            .to(H::Table, H::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_hazard_steps_hazard")
                    .table(HazardSteps::Table)
                    .col(HazardSteps::HazardId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HazardSteps::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(Hazards::Table).take())
            .await
    }
}
