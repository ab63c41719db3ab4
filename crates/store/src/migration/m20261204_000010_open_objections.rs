//! The agency board's 待答复异议: objected records the agency has not answered yet. The answer
//! is a text column, which an index cannot hold on MySQL, so each count looked up every
//! objected record's row (30,000 for a large agency) to see whether it was answered. A flag
//! beside the confirmation state, written with the answer, lets (agency, confirmation, flag)
//! count the open ones from the index alone.

use sea_orm_migration::{prelude::*, schema::*};

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    AgencyId,
    Confirmation,
    ObjectionReply,
    ObjectionAnswered,
}

const NAME: &str = "idx_records_agency_open_objections";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServiceRecords as R;
        manager
            .alter_table(
                Table::alter()
                    .table(R::Table)
                    .add_column(boolean(R::ObjectionAnswered).default(false))
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(R::Table)
                    .value(R::ObjectionAnswered, true)
                    .and_where(Expr::col(R::ObjectionReply).is_not_null())
                    .take(),
            )
            .await?;
        index(
            manager,
            NAME,
            R::Table,
            vec![
                R::AgencyId.into_iden(),
                R::Confirmation.into_iden(),
                R::ObjectionAnswered.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServiceRecords as R;
        manager
            .drop_index(Index::drop().name(NAME).table(R::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(R::Table)
                    .drop_column(R::ObjectionAnswered)
                    .take(),
            )
            .await
    }
}
