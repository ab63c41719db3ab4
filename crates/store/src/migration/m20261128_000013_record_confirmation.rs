//! 企业确认 of service records: the state, who confirmed or objected and when, the objection and
//! the agency's answer.
//!
//! Every party counts its records awaiting confirmation and its objections on the home page,
//! across all seven items, and the enterprise lists its own records what-waits-first. Each
//! (party, confirmation, service_date, id) index answers both: the count reads one range, the
//! list walks it newest first (descending state codes give 待确认, 有异议, 已确认).

use sea_orm_migration::{prelude::*, schema::*};

use super::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
    AgencyId,
    InsurerId,
    EnterpriseId,
    RegionCode,
    ServiceDate,
    Confirmation,
    ConfirmedBy,
    ConfirmedByName,
    ConfirmedAt,
    SignedOnSite,
    Objection,
    ObjectionReply,
}

fn indexes() -> Vec<(&'static str, Option<ServiceRecords>)> {
    use ServiceRecords as R;
    vec![
        ("idx_records_enterprise_confirm", Some(R::EnterpriseId)),
        ("idx_records_agency_confirm", Some(R::AgencyId)),
        ("idx_records_insurer_confirm", Some(R::InsurerId)),
        ("idx_records_region_confirm", Some(R::RegionCode)),
        ("idx_records_confirm", None),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServiceRecords as R;
        // One column per statement: SQLite adds one column per ALTER TABLE.
        let columns = [
            string_len(R::Confirmation, 12).default("pending").take(),
            big_integer_null(R::ConfirmedBy).take(),
            string_len_null(R::ConfirmedByName, 100).take(),
            timestamp_with_time_zone_null(R::ConfirmedAt).take(),
            boolean(R::SignedOnSite).default(false).take(),
            text_null(R::Objection).take(),
            text_null(R::ObjectionReply).take(),
        ];
        for mut col in columns {
            manager
                .alter_table(Table::alter().table(R::Table).add_column(&mut col).take())
                .await?;
        }
        for (name, party) in indexes() {
            let mut cols: Vec<DynIden> = party.into_iter().map(IntoIden::into_iden).collect();
            cols.extend([
                R::Confirmation.into_iden(),
                R::ServiceDate.into_iden(),
                R::Id.into_iden(),
            ]);
            index(manager, name, R::Table, cols, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ServiceRecords as R;
        for (name, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(R::Table).to_owned())
                .await?;
        }
        for col in [
            R::Confirmation,
            R::ConfirmedBy,
            R::ConfirmedByName,
            R::ConfirmedAt,
            R::SignedOnSite,
            R::Objection,
            R::ObjectionReply,
        ] {
            manager
                .alter_table(Table::alter().table(R::Table).drop_column(col).take())
                .await?;
        }
        Ok(())
    }
}
