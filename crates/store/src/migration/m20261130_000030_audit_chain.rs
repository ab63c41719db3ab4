//! 操作日志 becomes a hash chain (`anze_core::audit::chain`): each row gets a sequence number,
//! the previous row's hash and its own; one head row holds the newest link, and each run of
//! `anze audit verify` is recorded.
//!
//! The rows written before this migration are chained here, in id order (the order they were
//! committed in on SQLite, and close to it elsewhere), so that the chain covers the whole log
//! rather than starting today: a row deleted from last year's log is as much a problem as one
//! deleted tomorrow. The walk reads a thousand rows at a time, so its memory stays flat; its
//! time grows with the log (one update per row), paid once.

use anze_core::audit::chain::{ChainFields, GENESIS_HASH, chain_hash};
use chrono::{DateTime, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    OrgId,
    AccountId,
    ActorName,
    Action,
    ObjectKind,
    ObjectId,
    ObjectLabel,
    Summary,
    Ip,
    Seq,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChainHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum AuditVerifications {
    Table,
    Id,
    At,
    Ok,
    RowsChecked,
    HeadSeq,
    HeadHash,
    Problem,
}

const BATCH: u64 = 1000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for col in [
            big_integer_null(AuditEvents::Seq),
            string_len_null(AuditEvents::PrevHash, 64),
            string_len_null(AuditEvents::Hash, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(col)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditChainHead::Table)
                    .col(integer(AuditChainHead::Id).primary_key())
                    .col(big_integer(AuditChainHead::Seq))
                    .col(string_len(AuditChainHead::Hash, 64))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditVerifications::Table)
                    .col(big_pk_auto(AuditVerifications::Id))
                    .col(timestamp_with_time_zone(AuditVerifications::At))
                    .col(boolean(AuditVerifications::Ok))
                    .col(big_integer(AuditVerifications::RowsChecked))
                    .col(big_integer(AuditVerifications::HeadSeq))
                    .col(string_len(AuditVerifications::HeadHash, 64))
                    .col(string_len(AuditVerifications::Problem, 500))
                    .take(),
            )
            .await?;
        let (seq, hash) = chain_existing_rows(manager).await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditChainHead::Table)
                    .columns([
                        AuditChainHead::Id,
                        AuditChainHead::Seq,
                        AuditChainHead::Hash,
                    ])
                    .values_panic([1.into(), seq.into(), hash.into()])
                    .take(),
            )
            .await?;
        // Unique: two writers can never hold the same place, and the verifier walks this index.
        super::index(
            manager,
            "idx_audit_events_seq",
            AuditEvents::Table,
            vec![AuditEvents::Seq.into_iden()],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_events_seq")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        for t in [
            AuditVerifications::Table.into_iden(),
            AuditChainHead::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        for c in [AuditEvents::Hash, AuditEvents::PrevHash, AuditEvents::Seq] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(c)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Chains the rows written before the chain existed, in id order; returns the last link.
async fn chain_existing_rows(manager: &SchemaManager<'_>) -> Result<(i64, String), DbErr> {
    let db = manager.get_connection();
    let mut seq = 0i64;
    let mut prev = GENESIS_HASH.to_string();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all(
                &Query::select()
                    .columns([
                        AuditEvents::Id,
                        AuditEvents::At,
                        AuditEvents::OrgId,
                        AuditEvents::AccountId,
                        AuditEvents::ActorName,
                        AuditEvents::Action,
                        AuditEvents::ObjectKind,
                        AuditEvents::ObjectId,
                        AuditEvents::ObjectLabel,
                        AuditEvents::Summary,
                        AuditEvents::Ip,
                    ])
                    .from(AuditEvents::Table)
                    .and_where(Expr::col(AuditEvents::Id).gt(after))
                    .order_by(AuditEvents::Id, Order::Asc)
                    .limit(BATCH)
                    .take(),
            )
            .await?;
        if rows.is_empty() {
            return Ok((seq, prev));
        }
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let at: DateTime<Utc> = row.try_get("", "at")?;
            let actor_name: String = row.try_get("", "actor_name")?;
            let action: String = row.try_get("", "action")?;
            let object_kind: String = row.try_get("", "object_kind")?;
            let object_label: String = row.try_get("", "object_label")?;
            let summary: String = row.try_get("", "summary")?;
            let ip: String = row.try_get("", "ip")?;
            let fields = ChainFields {
                at,
                org_id: row.try_get("", "org_id")?,
                account_id: row.try_get("", "account_id")?,
                actor_name: &actor_name,
                action: &action,
                object_kind: &object_kind,
                object_id: row.try_get("", "object_id")?,
                object_label: &object_label,
                summary: &summary,
                ip: &ip,
            };
            seq += 1;
            let hash = chain_hash(seq, &prev, &fields);
            db.execute(
                &Query::update()
                    .table(AuditEvents::Table)
                    .values([
                        (AuditEvents::Seq, seq.into()),
                        (AuditEvents::PrevHash, prev.clone().into()),
                        (AuditEvents::Hash, hash.clone().into()),
                    ])
                    .and_where(Expr::col(AuditEvents::Id).eq(id))
                    .take(),
            )
            .await?;
            prev = hash;
            after = id;
        }
    }
}
