//! The agency board's 临近到期订单 list: an agency's accepted orders ending within a month,
//! soonest first. With only (agency, state) to go on, a large agency's accepted orders were
//! all read and sorted on every view; (agency, state, service_end) reads the range in order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceOrders {
    Table,
    AgencyId,
    State,
    ServiceEnd,
}

const NAME: &str = "idx_orders_agency_state_end";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::index(
            manager,
            NAME,
            ServiceOrders::Table,
            vec![
                ServiceOrders::AgencyId.into_iden(),
                ServiceOrders::State.into_iden(),
                ServiceOrders::ServiceEnd.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(ServiceOrders::Table)
                    .to_owned(),
            )
            .await
    }
}
