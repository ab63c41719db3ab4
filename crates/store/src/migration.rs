//! Schema migrations, written once in SeaORM's backend-neutral DSL and applied at start on
//! SQLite, PostgreSQL and MySQL alike.

use sea_orm_migration::prelude::*;

/// The tallies triggers keep beside the big tables: derived data, not backed up, and
/// counted afresh after a load that bypassed the triggers.
pub(crate) const TALLIES: [tally::Tally; 3] = [
    m20261205_000030_hazard_tallies::TALLY,
    m20261209_000010_list_tallies::ORDERS,
    m20261209_000010_list_tallies::RECORDS,
];
pub(crate) use m20261209_000010_list_tallies::{
    ORDERS as ORDER_TALLIES, RECORDS as RECORD_TALLIES,
};

mod m20261128_000001_foundation;
mod m20261128_000002_policies_orders;
mod m20261128_000003_attachments;
mod m20261128_000004_service_records;
mod m20261128_000005_hazards;
mod m20261128_000010_bench_indexes;
mod m20261128_000011_open_hazard_state;
mod m20261128_000012_hazard_state_level;
mod m20261128_000013_record_confirmation;
mod m20261130_000001_enterprise_creator;
mod m20261130_000020_enterprise_rectification;
mod m20261130_000021_login_throttle;
mod m20261130_000030_audit_chain;
mod m20261130_000040_photo_fingerprints;
mod m20261130_000050_sites_and_review_notes;
mod m20261201_000001_fingerprint_cover;
mod m20261201_000010_complaints_and_calendar;
mod m20261201_000020_satisfaction;
mod m20261202_000100_jobs_notifications_webhooks;
mod m20261202_000200_dashboard_facts;
mod m20261203_000010_orders_ending_index;
mod m20261203_000020_submissions;
mod m20261204_000010_open_objections;
mod m20261205_000010_record_item_confirmation;
mod m20261205_000020_text_search;
pub(crate) mod m20261205_000030_hazard_tallies;
mod m20261205_000040_hazards_enterprise;
mod m20261206_000010_api_tokens;
mod m20261207_000010_api_calls;
mod m20261207_000020_submission_responses;
pub(crate) mod m20261208_000010_checklists;
mod m20261208_000020_pending_uploads;
mod m20261209_000010_list_tallies;
pub(crate) mod tally;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_policies_orders::Migration),
            Box::new(m20261128_000003_attachments::Migration),
            Box::new(m20261128_000004_service_records::Migration),
            Box::new(m20261128_000005_hazards::Migration),
            Box::new(m20261128_000010_bench_indexes::Migration),
            Box::new(m20261128_000011_open_hazard_state::Migration),
            Box::new(m20261128_000012_hazard_state_level::Migration),
            Box::new(m20261128_000013_record_confirmation::Migration),
            Box::new(m20261130_000001_enterprise_creator::Migration),
            Box::new(m20261130_000020_enterprise_rectification::Migration),
            Box::new(m20261130_000021_login_throttle::Migration),
            Box::new(m20261130_000030_audit_chain::Migration),
            Box::new(m20261130_000040_photo_fingerprints::Migration),
            Box::new(m20261130_000050_sites_and_review_notes::Migration),
            Box::new(m20261201_000001_fingerprint_cover::Migration),
            Box::new(m20261201_000010_complaints_and_calendar::Migration),
            Box::new(m20261201_000020_satisfaction::Migration),
            Box::new(m20261202_000100_jobs_notifications_webhooks::Migration),
            Box::new(m20261202_000200_dashboard_facts::Migration),
            Box::new(m20261203_000010_orders_ending_index::Migration),
            Box::new(m20261203_000020_submissions::Migration),
            Box::new(m20261204_000010_open_objections::Migration),
            Box::new(m20261205_000010_record_item_confirmation::Migration),
            Box::new(m20261205_000020_text_search::Migration),
            Box::new(m20261205_000030_hazard_tallies::Migration),
            Box::new(m20261205_000040_hazards_enterprise::Migration),
            Box::new(m20261206_000010_api_tokens::Migration),
            Box::new(m20261207_000010_api_calls::Migration),
            Box::new(m20261207_000020_submission_responses::Migration),
            Box::new(m20261208_000010_checklists::Migration),
            Box::new(m20261208_000020_pending_uploads::Migration),
            Box::new(m20261209_000010_list_tallies::Migration),
        ]
    }
}

/// An index over `cols`, in order; shared by the migrations.
async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).take();
    for c in cols {
        stmt.col(c);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

/// A foreign key from `from` (table, column) to `to`.
fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .take()
}
