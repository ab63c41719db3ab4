//! 看板: monthly facts per (region, agency, insurer), coverage per (region, industry) and each
//! staff member's month, recounted from the base tables by a job. A month's rows are replaced
//! whole in one transaction, so they always equal one count of the base tables; the refresh
//! table says when that count ran.
//!
//! Every primary key starts with the month: a dashboard reads a range of months and sums the
//! few thousand rows in it. Insurers and agencies read their own rows through (org, month).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DashboardFacts {
    Table,
    Month,
    RegionCode,
    AgencyId,
    InsurerId,
    OrdersPending,
    OrdersAccepted,
    OrdersDeclined,
    OrdersCancelled,
    OrdersCompleted,
    ItemsPlanned,
    ItemsDelivered,
    PreventionFee,
    Records,
    RecordsConfirmed,
    RecordsObjected,
    ObjectionsOpen,
    HazardsFound,
    HazardsMajor,
    HazardsOverdue,
    HazardsClosed,
    Ratings,
    RatingSum,
    Complaints,
    Flags,
}

#[derive(DeriveIden)]
enum DashboardCoverage {
    Table,
    Month,
    RegionCode,
    IndustryCode,
    Enterprises,
    Policies,
    Covered,
}

#[derive(DeriveIden)]
enum DashboardStaff {
    Table,
    Month,
    AgencyId,
    AccountId,
    Records,
    Hazards,
}

#[derive(DeriveIden)]
enum DashboardRefreshes {
    Table,
    Month,
    AsOf,
    RefreshedAt,
}

const MONTH_INDEXES: [(&str, &str, &str); 4] = [
    (
        "idx_orders_designated_at",
        "service_orders",
        "designated_at",
    ),
    ("idx_orders_service_end", "service_orders", "service_end"),
    ("idx_hazards_found_on", "hazards", "found_on"),
    ("idx_hazards_closed_at", "hazards", "closed_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use DashboardFacts as F;
        let mut facts = Table::create();
        facts
            .table(F::Table)
            .col(date(F::Month))
            .col(string_len(F::RegionCode, 20))
            .col(big_integer(F::AgencyId))
            .col(big_integer(F::InsurerId));
        for c in [
            F::OrdersPending,
            F::OrdersAccepted,
            F::OrdersDeclined,
            F::OrdersCancelled,
            F::OrdersCompleted,
            F::ItemsPlanned,
            F::ItemsDelivered,
            F::PreventionFee,
            F::Records,
            F::RecordsConfirmed,
            F::RecordsObjected,
            F::ObjectionsOpen,
            F::HazardsFound,
            F::HazardsMajor,
            F::HazardsOverdue,
            F::HazardsClosed,
            F::Ratings,
            F::RatingSum,
            F::Complaints,
            F::Flags,
        ] {
            facts.col(big_integer(c).default(0));
        }
        facts.primary_key(
            Index::create()
                .col(F::Month)
                .col(F::RegionCode)
                .col(F::AgencyId)
                .col(F::InsurerId),
        );
        manager.create_table(facts.take()).await?;
        for (name, org) in [
            ("idx_dashboard_facts_agency", F::AgencyId),
            ("idx_dashboard_facts_insurer", F::InsurerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(F::Table)
                        .col(org)
                        .col(F::Month)
                        .take(),
                )
                .await?;
        }

        use DashboardCoverage as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(date(C::Month))
                    .col(string_len(C::RegionCode, 20))
                    .col(string_len(C::IndustryCode, 20))
                    .col(big_integer(C::Enterprises).default(0))
                    .col(big_integer(C::Policies).default(0))
                    .col(big_integer(C::Covered).default(0))
                    .primary_key(
                        Index::create()
                            .col(C::Month)
                            .col(C::RegionCode)
                            .col(C::IndustryCode),
                    )
                    .take(),
            )
            .await?;

        use DashboardStaff as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(date(S::Month))
                    .col(big_integer(S::AgencyId))
                    .col(big_integer(S::AccountId))
                    .col(big_integer(S::Records).default(0))
                    .col(big_integer(S::Hazards).default(0))
                    .primary_key(
                        Index::create()
                            .col(S::AgencyId)
                            .col(S::Month)
                            .col(S::AccountId),
                    )
                    .take(),
            )
            .await?;

        use DashboardRefreshes as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(date(R::Month).primary_key())
                    .col(date(R::AsOf))
                    .col(timestamp_with_time_zone(R::RefreshedAt))
                    .take(),
            )
            .await?;

        // The recount reads one month of each table by its date. Records use their existing
        // (item, service_date) index with every item listed.
        for (name, table, col) in MONTH_INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(col))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in MONTH_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        for t in [
            DashboardRefreshes::Table.into_iden(),
            DashboardStaff::Table.into_iden(),
            DashboardCoverage::Table.into_iden(),
            DashboardFacts::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
