//! 工作日历 and 投诉.
//!
//! `calendar_days` holds one row per public-holiday day (休) and per weekend day worked in
//! exchange (班); a year with no row counts Monday–Friday. It starts with the State Council's
//! 2026 arrangement (`anze_core::calendar::OFFICIAL_2026`); rows the system ships have no
//! `created_by`.
//!
//! `complaints` copies its order's parties (insurer, agency, enterprise, region), so a list is
//! scoped like the hazard ledger without a join; its due dates are not stored but counted from
//! `filed_on` with the calendar as it stands, so an entry added later moves them.
//! `complaint_steps` is its history (登记, 受理, 转入处理, each answer of the agency, 办结).
//!
//! The preset staff roles of existing organizations see complaints (`complaint:view`), and the
//! enterprises' preset role files them (`complaint:file`), as new organizations' presets do.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Id,
    OnDate,
    Kind,
    Name,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    ComplaintNo,
    OrderId,
    RecordId,
    InsurerId,
    AgencyId,
    EnterpriseId,
    RegionCode,
    Category,
    Description,
    Complainant,
    Phone,
    Filer,
    State,
    FiledAt,
    FiledOn,
    AcceptedAt,
    SettledAt,
    Outcome,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ComplaintSteps {
    Table,
    Id,
    ComplaintId,
    Kind,
    Note,
    OrgId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceOrders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        calendar(manager).await?;
        complaints(manager).await?;
        grant_presets(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DELETE FROM role_permissions WHERE permission IN ('complaint:view', 'complaint:file')",
            )
            .await?;
        for table in [
            ComplaintSteps::Table.into_iden(),
            Complaints::Table.into_iden(),
            CalendarDays::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

async fn calendar(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use CalendarDays as C;
    manager
        .create_table(
            Table::create()
                .table(C::Table)
                .col(big_pk_auto(C::Id))
                .col(date(C::OnDate).unique_key())
                .col(string_len(C::Kind, 10))
                .col(string_len(C::Name, 20))
                .col(big_integer_null(C::CreatedBy))
                .col(timestamp_with_time_zone(C::CreatedAt))
                .take(),
        )
        .await?;
    let shipped = chrono::DateTime::parse_from_rfc3339("2025-11-04T00:00:00Z")
        .map_err(|e| DbErr::Migration(e.to_string()))?
        .with_timezone(&chrono::Utc);
    let mut insert = Query::insert()
        .into_table(C::Table)
        .columns([C::OnDate, C::Kind, C::Name, C::CreatedAt])
        .take();
    for day in anze_core::calendar::official_2026() {
        insert.values_panic([
            day.on.into(),
            day.kind.code().into(),
            day.name.into(),
            shipped.into(),
        ]);
    }
    manager.exec_stmt(insert).await
}

async fn complaints(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Complaints as C;
    manager
        .create_table(
            Table::create()
                .table(C::Table)
                .col(big_pk_auto(C::Id))
                .col(string_len_null(C::ComplaintNo, 24).unique_key())
                .col(big_integer(C::OrderId))
                .col(big_integer_null(C::RecordId))
                .col(big_integer(C::InsurerId))
                .col(big_integer(C::AgencyId))
                .col(big_integer(C::EnterpriseId))
                .col(string_len(C::RegionCode, 12))
                .col(string_len(C::Category, 20))
                .col(text(C::Description))
                .col(string_len(C::Complainant, 50))
                .col(string_len_null(C::Phone, 30))
                .col(string_len(C::Filer, 12))
                .col(string_len(C::State, 12))
                .col(timestamp_with_time_zone(C::FiledAt))
                .col(date(C::FiledOn))
                .col(timestamp_with_time_zone_null(C::AcceptedAt))
                .col(timestamp_with_time_zone_null(C::SettledAt))
                .col(text_null(C::Outcome))
                .col(big_integer(C::CreatedBy))
                .col(timestamp_with_time_zone(C::CreatedAt))
                .col(timestamp_with_time_zone(C::UpdatedAt))
                .foreign_key(&mut fk(
                    (C::Table, C::OrderId),
                    (ServiceOrders::Table, ServiceOrders::Id),
                ))
                .foreign_key(&mut fk(
                    (C::Table, C::RecordId),
                    (ServiceRecords::Table, ServiceRecords::Id),
                ))
                .take(),
        )
        .await?;
    // Each party's list walks its index newest first; the overdue counts read (state, filed_on).
    for (name, party) in [
        ("idx_complaints_insurer", C::InsurerId),
        ("idx_complaints_agency", C::AgencyId),
        ("idx_complaints_enterprise", C::EnterpriseId),
        ("idx_complaints_region", C::RegionCode),
    ] {
        index(
            manager,
            name,
            C::Table,
            vec![party.into_iden(), C::State.into_iden(), C::Id.into_iden()],
            false,
        )
        .await?;
    }
    index(
        manager,
        "idx_complaints_order",
        C::Table,
        vec![C::OrderId.into_iden()],
        false,
    )
    .await?;
    index(
        manager,
        "idx_complaints_state_filed",
        C::Table,
        vec![C::State.into_iden(), C::FiledOn.into_iden()],
        false,
    )
    .await?;
    use ComplaintSteps as S;
    manager
        .create_table(
            Table::create()
                .table(S::Table)
                .col(big_pk_auto(S::Id))
                .col(big_integer(S::ComplaintId))
                .col(string_len(S::Kind, 12))
                .col(text(S::Note))
                .col(big_integer(S::OrgId))
                .col(big_integer(S::CreatedBy))
                .col(timestamp_with_time_zone(S::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(S::Table, S::ComplaintId)
                        .to(C::Table, C::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
    index(
        manager,
        "idx_complaint_steps_complaint",
        S::Table,
        vec![S::ComplaintId.into_iden()],
        false,
    )
    .await
}

/// The preset roles of organizations that existed before complaints: what `builtin_roles`
/// gives new ones.
async fn grant_presets(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (permission, kinds) in [
        (
            "complaint:view",
            "'insurer', 'agency', 'regulator', 'enterprise'",
        ),
        ("complaint:file", "'enterprise'"),
    ] {
        db.execute_unprepared(&format!(
            "INSERT INTO role_permissions (role_id, permission) \
             SELECT r.id, '{permission}' FROM roles r JOIN organizations o ON o.id = r.org_id \
             WHERE r.kind = 'preset' AND o.kind IN ({kinds})"
        ))
        .await?;
    }
    Ok(())
}
