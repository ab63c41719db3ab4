//! Indexes found missing by `anze bench` at province scale (1M orders, 5M records, 2M hazards).
//!
//! Every list page filters by one party (or by nothing, for regulators over a whole city),
//! often by a state, and sorts newest first. An index that holds the party, the filter and the
//! sort key lets the database walk one index range in order and skip the rows of earlier pages
//! inside the index; without it every page sorts or reads all rows of the party.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceOrders {
    Table,
    Id,
    InsurerId,
    RegionCode,
    State,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
    Item,
    AgencyId,
    InsurerId,
    RegionCode,
    ServiceDate,
}

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    AgencyId,
    InsurerId,
    RegionCode,
    State,
    Deadline,
    Level,
}

/// (name, table, columns, partial: only open hazards, or only 重大 ones)
type Spec = (&'static str, DynIden, Vec<DynIden>, bool);

fn specs() -> Vec<Spec> {
    use Hazards as H;
    use ServiceOrders as O;
    use ServiceRecords as R;
    let o = |cols: Vec<O>| cols.into_iter().map(IntoIden::into_iden).collect();
    let r = |cols: Vec<R>| cols.into_iter().map(IntoIden::into_iden).collect();
    let h = |cols: Vec<H>| cols.into_iter().map(IntoIden::into_iden).collect();
    vec![
        // Orders by state: the menu badge counts 待受理 on every page, and the lists filter
        // by state, for insurers, regulators (by district, or all when a regulator covers
        // every district) and the platform. Agencies have had (agency_id, state, id).
        (
            "idx_orders_insurer_state",
            O::Table.into_iden(),
            o(vec![O::InsurerId, O::State, O::Id]),
            false,
        ),
        (
            "idx_orders_region_state",
            O::Table.into_iden(),
            o(vec![O::RegionCode, O::State, O::Id]),
            false,
        ),
        (
            "idx_orders_state",
            O::Table.into_iden(),
            o(vec![O::State, O::Id]),
            false,
        ),
        // Record lists sort by service date, newest first, within one item and one party.
        (
            "idx_records_agency_date",
            R::Table.into_iden(),
            r(vec![R::Item, R::AgencyId, R::ServiceDate, R::Id]),
            false,
        ),
        (
            "idx_records_insurer_date",
            R::Table.into_iden(),
            r(vec![R::Item, R::InsurerId, R::ServiceDate, R::Id]),
            false,
        ),
        (
            "idx_records_region_date",
            R::Table.into_iden(),
            r(vec![R::Item, R::RegionCode, R::ServiceDate, R::Id]),
            false,
        ),
        (
            "idx_records_item_date",
            R::Table.into_iden(),
            r(vec![R::Item, R::ServiceDate, R::Id]),
            false,
        ),
        // The ledger's tiles count hazards per state, within the overdue filter too.
        (
            "idx_hazards_agency_state_deadline",
            H::Table.into_iden(),
            h(vec![H::AgencyId, H::State, H::Deadline]),
            false,
        ),
        (
            "idx_hazards_insurer_state_deadline",
            H::Table.into_iden(),
            h(vec![H::InsurerId, H::State, H::Deadline]),
            false,
        ),
        (
            "idx_hazards_region_state_deadline",
            H::Table.into_iden(),
            h(vec![H::RegionCode, H::State, H::Deadline]),
            false,
        ),
        // Open hazards (20% of all): the overdue ledger walks them newest first and reads
        // the deadline and level from the index.
        (
            "idx_hazards_open_agency",
            H::Table.into_iden(),
            h(vec![H::AgencyId, H::Id, H::Deadline, H::Level]),
            true,
        ),
        (
            "idx_hazards_open_insurer",
            H::Table.into_iden(),
            h(vec![H::InsurerId, H::Id, H::Deadline, H::Level]),
            true,
        ),
        (
            "idx_hazards_open_region",
            H::Table.into_iden(),
            h(vec![H::RegionCode, H::Id, H::Deadline, H::Level]),
            true,
        ),
        (
            "idx_hazards_open",
            H::Table.into_iden(),
            h(vec![H::Id, H::Deadline, H::Level]),
            true,
        ),
        // 重大 hazards (3%): first on the regulators' ledger, newest first, and counted on
        // it, per party like the open ones; state and deadline ride along so that nothing
        // else is read.
        (
            "idx_hazards_major_agency",
            H::Table.into_iden(),
            h(vec![H::AgencyId, H::Id, H::State, H::Deadline]),
            true,
        ),
        (
            "idx_hazards_major_insurer",
            H::Table.into_iden(),
            h(vec![H::InsurerId, H::Id, H::State, H::Deadline]),
            true,
        ),
        (
            "idx_hazards_major_region",
            H::Table.into_iden(),
            h(vec![H::RegionCode, H::Id, H::State, H::Deadline]),
            true,
        ),
        (
            "idx_hazards_major",
            H::Table.into_iden(),
            h(vec![H::Id, H::State, H::Deadline]),
            true,
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // MySQL has no partial indexes: there they cover all hazards, the 重大 ones led by
        // the level. The queries name the same literals ('closed', 'major') so that SQLite
        // and PostgreSQL can prove they may use them.
        let partial = manager.get_database_backend() != DbBackend::MySql;
        for (name, table, mut cols, is_partial) in specs() {
            let major = name.starts_with("idx_hazards_major");
            if major && !partial {
                cols.insert(0, Hazards::Level.into_iden());
            }
            let mut stmt = Index::create().name(name).table(table).take();
            for c in cols {
                stmt.col(c);
            }
            if is_partial && partial {
                if major {
                    stmt.and_where(Expr::col(Hazards::Level).eq("major"));
                } else {
                    stmt.and_where(Expr::col(Hazards::State).ne("closed"));
                }
            }
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _, _) in specs() {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
