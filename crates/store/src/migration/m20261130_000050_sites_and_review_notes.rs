//! An enterprise's site (经度/纬度), against which photos' GPS positions are checked, with the
//! photo it was taken from when nobody typed it; and the note an insurer or regulator writes
//! when it decides an integrity flag, kept on the flag so every party reads it with the flag.
//!
//! Existing enterprises have no site until one is entered or a geotagged photo is confirmed;
//! existing decisions keep their note in the audit log only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    SiteLat,
    SiteLng,
    SitePhotoId,
}

#[derive(DeriveIden)]
enum IntegrityFlags {
    Table,
    ReviewNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for col in [
            double_null(Organizations::SiteLat),
            double_null(Organizations::SiteLng),
            big_integer_null(Organizations::SitePhotoId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .add_column(col)
                        .take(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(IntegrityFlags::Table)
                    .add_column(text_null(IntegrityFlags::ReviewNote))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IntegrityFlags::Table)
                    .drop_column(IntegrityFlags::ReviewNote)
                    .take(),
            )
            .await?;
        for col in [
            Organizations::SitePhotoId,
            Organizations::SiteLng,
            Organizations::SiteLat,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .drop_column(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
