//! Photo fingerprints and the flags they raise.
//!
//! Each photo keeps its 64-bit perceptual hash, the label of the algorithm that made it, and the
//! hash's four 16-bit bands in indexed columns: two hashes within 3 bits share a band, so the
//! candidates of a near-duplicate are found by four index lookups instead of a scan of every
//! photo (seven million at province scale). The exact distance is then computed in Rust.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    Sha256,
    Phash,
    PhashAlg,
    PhashB0,
    PhashB1,
    PhashB2,
    PhashB3,
}

#[derive(DeriveIden)]
enum IntegrityFlags {
    Table,
    Id,
    Kind,
    State,
    AttachmentId,
    OrderId,
    OwnerKind,
    OwnerId,
    AgencyId,
    InsurerId,
    EnterpriseId,
    RegionCode,
    MatchedAttachmentId,
    Distance,
    Detail,
    Explanation,
    AnsweredBy,
    AnsweredByName,
    AnsweredAt,
    ReviewedBy,
    ReviewedByName,
    ReviewedAt,
    CreatedAt,
}

const BANDS: [Attachments; 4] = [
    Attachments::PhashB0,
    Attachments::PhashB1,
    Attachments::PhashB2,
    Attachments::PhashB3,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let mut columns = vec![
            big_integer_null(Attachments::Phash),
            string_len_null(Attachments::PhashAlg, 40),
        ];
        columns.extend(BANDS.map(integer_null));
        for col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Attachments::Table)
                        .add_column(col)
                        .take(),
                )
                .await?;
        }
        for (i, band) in BANDS.into_iter().enumerate() {
            super::index(
                manager,
                &format!("idx_attachments_phash_b{i}"),
                Attachments::Table,
                vec![band.into_iden()],
                false,
            )
            .await?;
        }
        super::index(
            manager,
            "idx_attachments_sha256",
            Attachments::Table,
            vec![Attachments::Sha256.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(IntegrityFlags::Table)
                    .col(big_pk_auto(IntegrityFlags::Id))
                    .col(string_len(IntegrityFlags::Kind, 20))
                    .col(string_len(IntegrityFlags::State, 12))
                    .col(big_integer(IntegrityFlags::AttachmentId))
                    .col(big_integer(IntegrityFlags::OrderId))
                    .col(string_len(IntegrityFlags::OwnerKind, 20))
                    .col(big_integer(IntegrityFlags::OwnerId))
                    .col(big_integer(IntegrityFlags::AgencyId))
                    .col(big_integer(IntegrityFlags::InsurerId))
                    .col(big_integer(IntegrityFlags::EnterpriseId))
                    .col(string_len(IntegrityFlags::RegionCode, 20))
                    // No foreign key: the matched photo may be deleted later, and the flag keeps
                    // its evidence in words.
                    .col(big_integer_null(IntegrityFlags::MatchedAttachmentId))
                    .col(integer_null(IntegrityFlags::Distance))
                    .col(string_len(IntegrityFlags::Detail, 500))
                    .col(text_null(IntegrityFlags::Explanation))
                    .col(big_integer_null(IntegrityFlags::AnsweredBy))
                    .col(string_len_null(IntegrityFlags::AnsweredByName, 100))
                    .col(timestamp_with_time_zone_null(IntegrityFlags::AnsweredAt))
                    .col(big_integer_null(IntegrityFlags::ReviewedBy))
                    .col(string_len_null(IntegrityFlags::ReviewedByName, 100))
                    .col(timestamp_with_time_zone_null(IntegrityFlags::ReviewedAt))
                    .col(timestamp_with_time_zone(IntegrityFlags::CreatedAt))
                    .foreign_key(&mut super::fk(
                        (IntegrityFlags::Table, IntegrityFlags::AttachmentId),
                        (Attachments::Table, Attachments::Id),
                    ))
                    .take(),
            )
            .await?;
        let indexes: [(&str, Vec<DynIden>); 6] = [
            (
                "idx_integrity_flags_owner",
                vec![
                    IntegrityFlags::OwnerKind.into_iden(),
                    IntegrityFlags::OwnerId.into_iden(),
                ],
            ),
            (
                "idx_integrity_flags_attachment",
                vec![IntegrityFlags::AttachmentId.into_iden()],
            ),
            (
                "idx_integrity_flags_agency",
                vec![
                    IntegrityFlags::AgencyId.into_iden(),
                    IntegrityFlags::Id.into_iden(),
                ],
            ),
            (
                "idx_integrity_flags_insurer",
                vec![
                    IntegrityFlags::InsurerId.into_iden(),
                    IntegrityFlags::Id.into_iden(),
                ],
            ),
            (
                "idx_integrity_flags_enterprise",
                vec![
                    IntegrityFlags::EnterpriseId.into_iden(),
                    IntegrityFlags::Id.into_iden(),
                ],
            ),
            (
                "idx_integrity_flags_region",
                vec![
                    IntegrityFlags::RegionCode.into_iden(),
                    IntegrityFlags::Id.into_iden(),
                ],
            ),
        ];
        for (name, cols) in indexes {
            super::index(manager, name, IntegrityFlags::Table, cols, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IntegrityFlags::Table).take())
            .await?;
        for i in 0..4 {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_attachments_phash_b{i}"))
                        .table(Attachments::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_attachments_sha256")
                    .table(Attachments::Table)
                    .to_owned(),
            )
            .await?;
        let mut columns = vec![Attachments::Phash, Attachments::PhashAlg];
        columns.extend(BANDS);
        for col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Attachments::Table)
                        .drop_column(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
