//! 定时任务, 消息通知 and 消息推送.
//!
//! `job_runs` holds one row per run; `(kind, run_key)` is unique, so a scheduled slot computed
//! by several instances is inserted once, and a webhook delivery (keyed by its notification)
//! once. Claims read `(state, next_attempt_at)`.
//!
//! `notifications` are addressed to an organization (and optionally one account); `order_id`
//! scopes them for 仅本人负责 staff. `dedupe_key` (unique, NULL for immediate events) keeps a
//! reminder from being written twice.
//!
//! `webhooks`: at most one per organization.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Kind,
    RunKey,
    ScheduledAt,
    State,
    Attempts,
    NextAttemptAt,
    LockedBy,
    LockedUntil,
    LastError,
    Payload,
    OrgId,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrgId,
    AccountId,
    Kind,
    ObjectKind,
    ObjectId,
    OrderId,
    Text,
    DedupeKey,
    CreatedAt,
    ReadAt,
    ReadBy,
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    OrgId,
    Url,
    Secret,
    Enabled,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        job_runs(manager).await?;
        notifications(manager).await?;
        webhooks(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Webhooks::Table.into_iden(),
            Notifications::Table.into_iden(),
            JobRuns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

async fn job_runs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use JobRuns as J;
    manager
        .create_table(
            Table::create()
                .table(J::Table)
                .col(big_pk_auto(J::Id))
                .col(string_len(J::Kind, 32))
                .col(string_len(J::RunKey, 64))
                .col(timestamp_with_time_zone(J::ScheduledAt))
                .col(string_len(J::State, 12))
                .col(integer(J::Attempts))
                .col(timestamp_with_time_zone(J::NextAttemptAt))
                .col(string_len_null(J::LockedBy, 64))
                .col(timestamp_with_time_zone_null(J::LockedUntil))
                .col(text_null(J::LastError))
                .col(text_null(J::Payload))
                .col(big_integer_null(J::OrgId))
                .col(timestamp_with_time_zone(J::CreatedAt))
                .col(timestamp_with_time_zone_null(J::StartedAt))
                .col(timestamp_with_time_zone_null(J::FinishedAt))
                .take(),
        )
        .await?;
    index(
        manager,
        "uq_job_runs_kind_key",
        J::Table,
        vec![J::Kind.into_iden(), J::RunKey.into_iden()],
        true,
    )
    .await?;
    index(
        manager,
        "idx_job_runs_due",
        J::Table,
        vec![J::State.into_iden(), J::NextAttemptAt.into_iden()],
        false,
    )
    .await?;
    index(
        manager,
        "idx_job_runs_org",
        J::Table,
        vec![J::OrgId.into_iden(), J::Kind.into_iden(), J::Id.into_iden()],
        false,
    )
    .await
}

async fn notifications(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Notifications as N;
    manager
        .create_table(
            Table::create()
                .table(N::Table)
                .col(big_pk_auto(N::Id))
                .col(big_integer(N::OrgId))
                .col(big_integer_null(N::AccountId))
                .col(string_len(N::Kind, 40))
                .col(string_len(N::ObjectKind, 20))
                .col(big_integer(N::ObjectId))
                .col(big_integer_null(N::OrderId))
                .col(string_len(N::Text, 500))
                .col(string_len_null(N::DedupeKey, 120).unique_key())
                .col(timestamp_with_time_zone(N::CreatedAt))
                .col(timestamp_with_time_zone_null(N::ReadAt))
                .col(big_integer_null(N::ReadBy))
                .foreign_key(&mut fk(
                    (N::Table, N::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .take(),
        )
        .await?;
    // The list walks (org, id) newest first; the bell counts (org, read_at IS NULL).
    index(
        manager,
        "idx_notifications_org",
        N::Table,
        vec![N::OrgId.into_iden(), N::Id.into_iden()],
        false,
    )
    .await?;
    index(
        manager,
        "idx_notifications_unread",
        N::Table,
        vec![N::OrgId.into_iden(), N::ReadAt.into_iden()],
        false,
    )
    .await
}

async fn webhooks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Webhooks as W;
    manager
        .create_table(
            Table::create()
                .table(W::Table)
                .col(big_integer(W::OrgId).primary_key())
                .col(string_len(W::Url, 500))
                .col(string_len(W::Secret, 200))
                .col(boolean(W::Enabled))
                .col(timestamp_with_time_zone(W::UpdatedAt))
                .col(big_integer(W::UpdatedBy))
                .foreign_key(&mut fk(
                    (W::Table, W::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .take(),
        )
        .await
}
