//! Fingerprint band indexes that hold the whole hash: a new photo's lookup reads each band's
//! index entries (band, hash, id) and computes the Hamming distance from them, and reads the
//! table only for the few photos within the threshold. With the band alone, every candidate
//! (≈100 per band at 7 million photos) cost a random read of its table row, under the write
//! lock of the upload's transaction.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Phash,
    PhashB0,
    PhashB1,
    PhashB2,
    PhashB3,
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
        for (i, band) in BANDS.into_iter().enumerate() {
            super::index(
                manager,
                &format!("idx_attachments_phash_b{i}_hash"),
                Attachments::Table,
                vec![band.into_iden(), Attachments::Phash.into_iden()],
                false,
            )
            .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_attachments_phash_b{i}"))
                        .table(Attachments::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (i, band) in BANDS.into_iter().enumerate() {
            super::index(
                manager,
                &format!("idx_attachments_phash_b{i}"),
                Attachments::Table,
                vec![band.into_iden()],
                false,
            )
            .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_attachments_phash_b{i}_hash"))
                        .table(Attachments::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
