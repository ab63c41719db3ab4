//! 回访与满意度: the enterprise's ratings of an order and the insurer's 电话回访, each with a
//! score per delivered item.
//!
//! `enterprise_once` holds the order id on an enterprise's own rating and NULL on a call, under
//! a unique index: the database, not a read before the write, keeps an enterprise to one rating
//! per order (NULLs never collide on SQLite, PostgreSQL or MySQL).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SatisfactionRatings {
    Table,
    Id,
    OrderId,
    AgencyId,
    InsurerId,
    EnterpriseId,
    RegionCode,
    Source,
    Overall,
    Comment,
    Callee,
    CalledAt,
    CallerName,
    CreatedBy,
    CreatedByName,
    CreatedAt,
    EnterpriseOnce,
}

#[derive(DeriveIden)]
enum SatisfactionItemScores {
    Table,
    Id,
    RatingId,
    Item,
    Score,
}

#[derive(DeriveIden)]
enum ServiceOrders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SatisfactionRatings as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(big_integer(R::OrderId))
                    .col(big_integer(R::AgencyId))
                    .col(big_integer(R::InsurerId))
                    .col(big_integer(R::EnterpriseId))
                    .col(string_len(R::RegionCode, 20))
                    .col(string_len(R::Source, 20))
                    .col(integer(R::Overall))
                    .col(text(R::Comment))
                    .col(string_len_null(R::Callee, 50))
                    .col(timestamp_with_time_zone_null(R::CalledAt))
                    .col(string_len_null(R::CallerName, 100))
                    .col(big_integer(R::CreatedBy))
                    .col(string_len(R::CreatedByName, 100))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(big_integer_null(R::EnterpriseOnce))
                    .foreign_key(&mut super::fk(
                        (R::Table, R::OrderId),
                        (ServiceOrders::Table, ServiceOrders::Id),
                    ))
                    .take(),
            )
            .await?;
        use SatisfactionItemScores as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(big_integer(S::RatingId))
                    .col(string_len(S::Item, 30))
                    .col(integer(S::Score))
                    .foreign_key(&mut super::fk((S::Table, S::RatingId), (R::Table, R::Id)))
                    .take(),
            )
            .await?;
        let indexes: [(&str, Vec<DynIden>, bool); 6] = [
            (
                "idx_satisfaction_order",
                vec![R::OrderId.into_iden()],
                false,
            ),
            (
                "idx_satisfaction_enterprise_once",
                vec![R::EnterpriseOnce.into_iden()],
                true,
            ),
            // Each party's scores are one walk of its index: the index holds the agency and the
            // score, so the table is not read (a regulator's three years are ~40,000 ratings
            // per 100,000 orders).
            (
                "idx_satisfaction_agency",
                vec![
                    R::AgencyId.into_iden(),
                    R::CreatedAt.into_iden(),
                    R::Overall.into_iden(),
                ],
                false,
            ),
            (
                "idx_satisfaction_insurer",
                vec![
                    R::InsurerId.into_iden(),
                    R::CreatedAt.into_iden(),
                    R::AgencyId.into_iden(),
                    R::Overall.into_iden(),
                ],
                false,
            ),
            (
                "idx_satisfaction_region",
                vec![
                    R::RegionCode.into_iden(),
                    R::CreatedAt.into_iden(),
                    R::AgencyId.into_iden(),
                    R::Overall.into_iden(),
                ],
                false,
            ),
            (
                "idx_satisfaction_created",
                vec![R::CreatedAt.into_iden()],
                false,
            ),
        ];
        for (name, cols, unique) in indexes {
            super::index(manager, name, R::Table, cols, unique).await?;
        }
        // Holds the item and the score, so the per-item averages read no table rows.
        super::index(
            manager,
            "idx_satisfaction_scores_rating",
            S::Table,
            vec![
                S::RatingId.into_iden(),
                S::Item.into_iden(),
                S::Score.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SatisfactionItemScores::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(SatisfactionRatings::Table).take())
            .await
    }
}
