//! 检查表 (`anze_core::checklist`): the checklist library, its items, and the checks an
//! inspection takes from it. Ships the platform's starter library (`seed/checklists/*.json`):
//! a 通用 checklist and one for each of 危险化学品, 建筑施工 and 金属冶炼, each item citing the
//! clause it rests on.

use sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};
use serde::Deserialize;

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Checklists {
    Table,
    Id,
    OrgId,
    Name,
    Industry,
    Description,
    Active,
    ItemCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChecklistItems {
    Table,
    Id,
    ChecklistId,
    Position,
    Section,
    Content,
    Basis,
    Level,
    Category,
}

#[derive(DeriveIden)]
enum InspectionChecks {
    Table,
    Id,
    RecordId,
    ChecklistId,
    ChecklistName,
    Sector,
    Position,
    Section,
    Content,
    Basis,
    Level,
    Category,
    Outcome,
    Note,
    HazardId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ServiceRecords {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
}

/// A checklist of the starter library as its file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Starter {
    pub name: String,
    /// The first-level industry's name; empty for 通用.
    pub industry: String,
    pub description: String,
    pub sections: Vec<StarterSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StarterSection {
    pub name: String,
    pub items: Vec<StarterItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StarterItem {
    pub content: String,
    pub basis: String,
    pub level: String,
    pub category: String,
}

const STARTER_FILES: [&str; 4] = [
    include_str!("../../seed/checklists/general.json"),
    include_str!("../../seed/checklists/hazardous_chemicals.json"),
    include_str!("../../seed/checklists/construction.json"),
    include_str!("../../seed/checklists/metal_smelting.json"),
];

/// The starter library; its files are checked by a unit test, so a parse failure here is a
/// broken build, not bad input.
pub(crate) fn starter() -> Vec<Starter> {
    STARTER_FILES
        .iter()
        .map(|text| serde_json::from_str(text).expect("a starter checklist file is valid"))
        .collect()
}

/// The code of a first-level industry seeded by `m20261128_000002_policies_orders`.
pub(crate) fn sector_code(name: &str) -> Option<&'static str> {
    match name {
        "" => Some(""),
        "危险化学品" => Some("02"),
        "建筑施工" => Some("05"),
        "金属冶炼" => Some("07"),
        _ => None,
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_tables(manager).await?;
        seed_starter(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InspectionChecks::Table.into_iden(),
            ChecklistItems::Table.into_iden(),
            Checklists::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    {
        use Checklists as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    // NULL: the platform's shared library.
                    .col(big_integer_null(T::OrgId))
                    .col(string_len(T::Name, 50))
                    .col(string_len(T::Industry, 20))
                    .col(string_len(T::Description, 500))
                    .col(boolean(T::Active))
                    .col(integer(T::ItemCount))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .col(timestamp_with_time_zone(T::UpdatedAt))
                    .foreign_key(&mut fk(
                        (T::Table, T::OrgId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_checklists_org",
            T::Table,
            vec![T::OrgId.into_iden(), T::Name.into_iden()],
            false,
        )
        .await?;
    }
    {
        use ChecklistItems as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(big_integer(T::ChecklistId))
                    .col(integer(T::Position))
                    .col(string_len(T::Section, 50))
                    .col(string_len(T::Content, 500))
                    .col(string_len(T::Basis, 500))
                    .col(string_len(T::Level, 10))
                    .col(string_len(T::Category, 30))
                    .foreign_key(&mut fk(
                        (T::Table, T::ChecklistId),
                        (Checklists::Table, Checklists::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_checklist_items_checklist",
            T::Table,
            vec![T::ChecklistId.into_iden(), T::Position.into_iden()],
            false,
        )
        .await?;
    }
    {
        use InspectionChecks as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(big_integer(T::RecordId))
                    .col(big_integer(T::ChecklistId))
                    .col(string_len(T::ChecklistName, 50))
                    // The inspected enterprise's first-level industry when the checklist was
                    // taken: the 不符合项统计 groups by it.
                    .col(string_len(T::Sector, 20))
                    .col(integer(T::Position))
                    .col(string_len(T::Section, 50))
                    .col(string_len(T::Content, 500))
                    .col(string_len(T::Basis, 500))
                    .col(string_len(T::Level, 10))
                    .col(string_len(T::Category, 30))
                    .col(string_len_null(T::Outcome, 10))
                    .col(string_len(T::Note, 200))
                    .col(big_integer_null(T::HazardId))
                    .col(timestamp_with_time_zone(T::UpdatedAt))
                    .foreign_key(&mut fk(
                        (T::Table, T::RecordId),
                        (ServiceRecords::Table, ServiceRecords::Id),
                    ))
                    .foreign_key(&mut fk(
                        (T::Table, T::ChecklistId),
                        (Checklists::Table, Checklists::Id),
                    ))
                    .foreign_key(&mut fk(
                        (T::Table, T::HazardId),
                        (Hazards::Table, Hazards::Id),
                    ))
                    .take(),
            )
            .await?;
        // An inspection reads its checks in order; the statistics and 删除 ask per checklist.
        index(
            manager,
            "idx_inspection_checks_record",
            T::Table,
            vec![T::RecordId.into_iden(), T::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_inspection_checks_checklist",
            T::Table,
            vec![T::ChecklistId.into_iden(), T::Outcome.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_inspection_checks_hazard",
            T::Table,
            vec![T::HazardId.into_iden()],
            false,
        )
        .await?;
    }
    Ok(())
}

async fn seed_starter(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    let conn = manager.get_connection();
    for list in starter() {
        let industry = sector_code(&list.industry)
            .ok_or_else(|| DbErr::Custom(format!("unknown sector {}", list.industry)))?;
        let count: usize = list.sections.iter().map(|s| s.items.len()).sum();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Checklists::Table)
                    .columns([
                        Checklists::OrgId,
                        Checklists::Name,
                        Checklists::Industry,
                        Checklists::Description,
                        Checklists::Active,
                        Checklists::ItemCount,
                        Checklists::CreatedAt,
                        Checklists::UpdatedAt,
                    ])
                    .values_panic([
                        Option::<i64>::None.into(),
                        list.name.clone().into(),
                        industry.into(),
                        list.description.clone().into(),
                        true.into(),
                        (count as i32).into(),
                        now.into(),
                        now.into(),
                    ])
                    .take(),
            )
            .await?;
        let select = Query::select()
            .column(Checklists::Id)
            .from(Checklists::Table)
            .and_where(Expr::col(Checklists::OrgId).is_null())
            .and_where(Expr::col(Checklists::Name).eq(list.name.as_str()))
            .take();
        let row = conn
            .query_one(&select)
            .await?
            .ok_or_else(|| DbErr::Custom(format!("checklist {} not inserted", list.name)))?;
        let id: i64 = row.try_get("", "id")?;
        let mut insert = Query::insert()
            .into_table(ChecklistItems::Table)
            .columns([
                ChecklistItems::ChecklistId,
                ChecklistItems::Position,
                ChecklistItems::Section,
                ChecklistItems::Content,
                ChecklistItems::Basis,
                ChecklistItems::Level,
                ChecklistItems::Category,
            ])
            .take();
        let mut position = 0i32;
        for section in &list.sections {
            for item in &section.items {
                position += 1;
                insert.values_panic([
                    id.into(),
                    position.into(),
                    section.name.clone().into(),
                    item.content.clone().into(),
                    item.basis.clone().into(),
                    item.level.clone().into(),
                    item.category.clone().into(),
                ]);
            }
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anze_core::hazard::{CATEGORIES, HazardLevel};
    use anze_core::sheet::RowError;
    use std::collections::HashSet;

    #[test]
    fn the_starter_library_obeys_the_import_rules() {
        let lists = starter();
        assert_eq!(lists.len(), 4);
        let mut names = HashSet::new();
        for list in &lists {
            assert!(names.insert(list.name.as_str()), "{} twice", list.name);
            assert!(sector_code(&list.industry).is_some(), "{}", list.industry);
            assert!(list.name.chars().count() <= 50 && list.description.chars().count() <= 500);
            // Each file reads back through the Excel import's own parser.
            let mut rows = vec![
                ["分组", "检查内容", "检查依据", "隐患等级", "隐患类别"]
                    .map(String::from)
                    .to_vec(),
            ];
            for s in &list.sections {
                for i in &s.items {
                    assert!(HazardLevel::from_code(&i.level).is_some(), "{}", i.level);
                    assert!(
                        CATEGORIES.iter().any(|(c, _)| *c == i.category),
                        "{}",
                        i.category
                    );
                    rows.push(vec![
                        s.name.clone(),
                        i.content.clone(),
                        i.basis.clone(),
                        i.level.clone(),
                        i.category.clone(),
                    ]);
                }
            }
            let items = anze_core::checklist::parse_items(&rows)
                .unwrap_or_else(|e: Vec<RowError>| panic!("{}: {e:?}", list.name));
            assert!(items.len() >= 30, "{}: {} items", list.name, items.len());
        }
    }
}
