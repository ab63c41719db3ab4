//! Industries, enterprise fields, policies and service orders.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Industries {
    Table,
    Code,
    Name,
    ParentCode,
    Mandatory,
    Sort,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    IndustryCode,
    EmployeeCount,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Policies {
    Table,
    Id,
    InsurerId,
    EnterpriseId,
    RegionCode,
    PolicyNo,
    StartDate,
    EndDate,
    Premium,
    TotalLimit,
    PerPersonLimit,
    InsuredCount,
    PreventionRatio,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceOrders {
    Table,
    Id,
    OrderNo,
    PolicyId,
    InsurerId,
    AgencyId,
    EnterpriseId,
    RegionCode,
    State,
    ServiceStart,
    ServiceEnd,
    Note,
    DeclineReason,
    DesignatedAt,
    DesignatedBy,
    AcceptedAt,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ObjectKind,
    ObjectId,
}

#[derive(DeriveIden)]
enum OrderPlan {
    Table,
    OrderId,
    Item,
    Planned,
}

#[derive(DeriveIden)]
enum OrderAssignees {
    Table,
    OrderId,
    AccountId,
}

/// A first-level industry: code, name, compulsory-insurance sector, and its (code, name) children.
type IndustrySeed = (
    &'static str,
    &'static str,
    bool,
    &'static [(&'static str, &'static str)],
);

/// First level: the compulsory sectors (强制投保) then the others; second level below each.
const INDUSTRIES: &[IndustrySeed] = &[
    (
        "01",
        "矿山",
        true,
        &[
            ("0101", "金属非金属矿山"),
            ("0102", "煤矿"),
            ("0103", "尾矿库"),
        ],
    ),
    (
        "02",
        "危险化学品",
        true,
        &[
            ("0201", "生产"),
            ("0202", "经营"),
            ("0203", "储存"),
            ("0204", "使用"),
        ],
    ),
    (
        "03",
        "烟花爆竹",
        true,
        &[("0301", "生产"), ("0302", "批发"), ("0303", "零售")],
    ),
    (
        "04",
        "交通运输",
        true,
        &[("0401", "道路运输"), ("0402", "水路运输"), ("0403", "港口")],
    ),
    (
        "05",
        "建筑施工",
        true,
        &[
            ("0501", "房屋建筑"),
            ("0502", "市政工程"),
            ("0503", "交通水利工程"),
        ],
    ),
    (
        "06",
        "民用爆炸物品",
        true,
        &[("0601", "生产"), ("0602", "销售")],
    ),
    (
        "07",
        "金属冶炼",
        true,
        &[("0701", "钢铁"), ("0702", "有色金属")],
    ),
    (
        "08",
        "渔业生产",
        true,
        &[("0801", "海洋捕捞"), ("0802", "水产养殖")],
    ),
    (
        "09",
        "工贸",
        false,
        &[
            ("0901", "机械制造"),
            ("0902", "纺织服装"),
            ("0903", "鞋业"),
            ("0904", "食品加工"),
            ("0905", "建材陶瓷"),
            ("0906", "石材加工"),
        ],
    ),
    (
        "10",
        "商贸服务",
        false,
        &[
            ("1001", "商场超市"),
            ("1002", "仓储物流"),
            ("1003", "住宿餐饮"),
        ],
    ),
    ("99", "其他", false, &[("9901", "其他行业")]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Industries::Table)
                    .col(string_len(Industries::Code, 20).primary_key())
                    .col(string_len(Industries::Name, 50))
                    .col(string_len_null(Industries::ParentCode, 20))
                    .col(boolean(Industries::Mandatory))
                    .col(integer(Industries::Sort))
                    .take(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Industries::Table)
            .columns([
                Industries::Code,
                Industries::Name,
                Industries::ParentCode,
                Industries::Mandatory,
                Industries::Sort,
            ])
            .take();
        let mut sort = 0i32;
        for (code, name, mandatory, children) in INDUSTRIES {
            insert.values_panic([
                (*code).into(),
                (*name).into(),
                Option::<String>::None.into(),
                (*mandatory).into(),
                sort.into(),
            ]);
            sort += 1;
            for (child, child_name) in *children {
                insert.values_panic([
                    (*child).into(),
                    (*child_name).into(),
                    Some(String::from(*code)).into(),
                    (*mandatory).into(),
                    sort.into(),
                ]);
                sort += 1;
            }
        }
        manager.exec_stmt(insert).await?;

        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(string_len_null(Organizations::IndustryCode, 20))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(big_integer_null(Organizations::EmployeeCount))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Policies::Table)
                    .col(big_pk_auto(Policies::Id))
                    .col(big_integer(Policies::InsurerId))
                    .col(big_integer(Policies::EnterpriseId))
                    .col(string_len(Policies::RegionCode, 12))
                    .col(string_len(Policies::PolicyNo, 40))
                    .col(date(Policies::StartDate))
                    .col(date(Policies::EndDate))
                    .col(big_integer(Policies::Premium))
                    .col(big_integer(Policies::TotalLimit))
                    .col(big_integer(Policies::PerPersonLimit))
                    .col(big_integer(Policies::InsuredCount))
                    .col(integer(Policies::PreventionRatio))
                    .col(timestamp_with_time_zone(Policies::CreatedAt))
                    .col(timestamp_with_time_zone(Policies::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Policies::Table, Policies::InsurerId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut fk(
                        (Policies::Table, Policies::EnterpriseId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_policies_insurer_no",
            Policies::Table,
            vec![
                Policies::InsurerId.into_iden(),
                Policies::PolicyNo.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_policies_region",
            Policies::Table,
            vec![Policies::RegionCode.into_iden(), Policies::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_policies_enterprise",
            Policies::Table,
            vec![Policies::EnterpriseId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_policies_end",
            Policies::Table,
            vec![Policies::EndDate.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceOrders::Table)
                    .col(big_pk_auto(ServiceOrders::Id))
                    .col(string_len_null(ServiceOrders::OrderNo, 24).unique_key())
                    .col(big_integer(ServiceOrders::PolicyId))
                    .col(big_integer(ServiceOrders::InsurerId))
                    .col(big_integer(ServiceOrders::AgencyId))
                    .col(big_integer(ServiceOrders::EnterpriseId))
                    .col(string_len(ServiceOrders::RegionCode, 12))
                    .col(string_len(ServiceOrders::State, 12))
                    .col(date(ServiceOrders::ServiceStart))
                    .col(date(ServiceOrders::ServiceEnd))
                    .col(text(ServiceOrders::Note))
                    .col(string_len_null(ServiceOrders::DeclineReason, 500))
                    .col(timestamp_with_time_zone(ServiceOrders::DesignatedAt))
                    .col(big_integer(ServiceOrders::DesignatedBy))
                    .col(timestamp_with_time_zone_null(ServiceOrders::AcceptedAt))
                    .col(timestamp_with_time_zone_null(ServiceOrders::CompletedAt))
                    .col(timestamp_with_time_zone(ServiceOrders::UpdatedAt))
                    .foreign_key(&mut fk(
                        (ServiceOrders::Table, ServiceOrders::PolicyId),
                        (Policies::Table, Policies::Id),
                    ))
                    .foreign_key(&mut fk(
                        (ServiceOrders::Table, ServiceOrders::AgencyId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .foreign_key(&mut fk(
                        (ServiceOrders::Table, ServiceOrders::InsurerId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_orders_agency_state",
            ServiceOrders::Table,
            vec![
                ServiceOrders::AgencyId.into_iden(),
                ServiceOrders::State.into_iden(),
                ServiceOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_agency",
            ServiceOrders::Table,
            vec![
                ServiceOrders::AgencyId.into_iden(),
                ServiceOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_insurer",
            ServiceOrders::Table,
            vec![
                ServiceOrders::InsurerId.into_iden(),
                ServiceOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_region",
            ServiceOrders::Table,
            vec![
                ServiceOrders::RegionCode.into_iden(),
                ServiceOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_policy",
            ServiceOrders::Table,
            vec![ServiceOrders::PolicyId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_orders_enterprise",
            ServiceOrders::Table,
            vec![ServiceOrders::EnterpriseId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderPlan::Table)
                    .col(big_integer(OrderPlan::OrderId))
                    .col(string_len(OrderPlan::Item, 20))
                    .col(integer(OrderPlan::Planned))
                    .primary_key(Index::create().col(OrderPlan::OrderId).col(OrderPlan::Item))
                    .foreign_key(
                        &mut fk(
                            (OrderPlan::Table, OrderPlan::OrderId),
                            (ServiceOrders::Table, ServiceOrders::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .take(),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderAssignees::Table)
                    .col(big_integer(OrderAssignees::OrderId))
                    .col(big_integer(OrderAssignees::AccountId))
                    .primary_key(
                        Index::create()
                            .col(OrderAssignees::OrderId)
                            .col(OrderAssignees::AccountId),
                    )
                    .foreign_key(
                        &mut fk(
                            (OrderAssignees::Table, OrderAssignees::OrderId),
                            (ServiceOrders::Table, ServiceOrders::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .take(),
                    )
                    .foreign_key(&mut fk(
                        (OrderAssignees::Table, OrderAssignees::AccountId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .take(),
            )
            .await?;
        // An order's timeline reads its audit events.
        index(
            manager,
            "idx_audit_events_object",
            AuditEvents::Table,
            vec![
                AuditEvents::ObjectKind.into_iden(),
                AuditEvents::ObjectId.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_order_assignees_account",
            OrderAssignees::Table,
            vec![
                OrderAssignees::AccountId.into_iden(),
                OrderAssignees::OrderId.into_iden(),
            ],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OrderAssignees::Table.into_iden(),
            OrderPlan::Table.into_iden(),
            ServiceOrders::Table.into_iden(),
            Policies::Table.into_iden(),
            Industries::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        for c in [
            Organizations::EmployeeCount.into_iden(),
            Organizations::IndustryCode.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .drop_column(c)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
