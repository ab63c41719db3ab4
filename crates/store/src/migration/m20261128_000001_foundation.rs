//! Regions, organizations, accounts, roles, sessions and the two logs.

use sea_orm_migration::{prelude::*, schema::*};

use super::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
    Name,
    ParentCode,
    Sort,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Kind,
    Name,
    CreditCode,
    RegionCode,
    Address,
    ContactName,
    ContactPhone,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    OrgId,
    Username,
    Name,
    Phone,
    PasswordHash,
    Enabled,
    DeletedAt,
    FailedAttempts,
    LockedUntil,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrgId,
    Name,
    Kind,
    DataScope,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum AccountRoles {
    Table,
    AccountId,
    RoleId,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    AccountId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    Ip,
    UserAgent,
}

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
}

#[derive(DeriveIden)]
enum LoginEvents {
    Table,
    Id,
    At,
    Username,
    AccountId,
    OrgId,
    Success,
    Reason,
    Ip,
    UserAgent,
}

/// 泉州市 and its districts; the two zones are administrative areas without a national code, so
/// they carry local codes in the same shape.
const REGIONS: &[(&str, &str, Option<&str>)] = &[
    ("350500", "泉州市", None),
    ("350502", "鲤城区", Some("350500")),
    ("350503", "丰泽区", Some("350500")),
    ("350504", "洛江区", Some("350500")),
    ("350505", "泉港区", Some("350500")),
    ("350521", "惠安县", Some("350500")),
    ("350524", "安溪县", Some("350500")),
    ("350525", "永春县", Some("350500")),
    ("350526", "德化县", Some("350500")),
    ("350581", "石狮市", Some("350500")),
    ("350582", "晋江市", Some("350500")),
    ("350583", "南安市", Some("350500")),
    ("350591", "泉州台商投资区", Some("350500")),
    ("350592", "泉州经济技术开发区", Some("350500")),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .col(string_len(Regions::Code, 12).primary_key())
                    .col(string_len(Regions::Name, 50))
                    .col(string_len_null(Regions::ParentCode, 12))
                    .col(integer(Regions::Sort))
                    .take(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Regions::Table)
            .columns([
                Regions::Code,
                Regions::Name,
                Regions::ParentCode,
                Regions::Sort,
            ])
            .take();
        for (i, (code, name, parent)) in REGIONS.iter().enumerate() {
            insert.values_panic([
                (*code).into(),
                (*name).into(),
                parent.map(str::to_string).into(),
                (i as i32).into(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(big_pk_auto(Organizations::Id))
                    .col(string_len(Organizations::Kind, 20))
                    .col(string_len(Organizations::Name, 100))
                    .col(string_len_null(Organizations::CreditCode, 18).unique_key())
                    .col(string_len(Organizations::RegionCode, 12))
                    .col(string_len(Organizations::Address, 200))
                    .col(string_len(Organizations::ContactName, 50))
                    .col(string_len(Organizations::ContactPhone, 30))
                    .col(boolean(Organizations::Enabled))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Organizations::Table, Organizations::RegionCode),
                        (Regions::Table, Regions::Code),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_organizations_kind",
            Organizations::Table,
            vec![Organizations::Kind.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_organizations_region",
            Organizations::Table,
            vec![Organizations::RegionCode.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(big_pk_auto(Accounts::Id))
                    .col(big_integer(Accounts::OrgId))
                    .col(string_len(Accounts::Username, 32).unique_key())
                    .col(string_len(Accounts::Name, 50))
                    .col(string_len_null(Accounts::Phone, 20))
                    .col(string_len(Accounts::PasswordHash, 255))
                    .col(boolean(Accounts::Enabled))
                    .col(timestamp_with_time_zone_null(Accounts::DeletedAt))
                    .col(integer(Accounts::FailedAttempts).default(0))
                    .col(timestamp_with_time_zone_null(Accounts::LockedUntil))
                    .col(timestamp_with_time_zone_null(Accounts::LastLoginAt))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Accounts::Table, Accounts::OrgId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_accounts_org",
            Accounts::Table,
            vec![Accounts::OrgId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(big_pk_auto(Roles::Id))
                    .col(big_integer(Roles::OrgId))
                    .col(string_len(Roles::Name, 30))
                    .col(string_len(Roles::Kind, 10))
                    .col(string_len(Roles::DataScope, 20))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .col(timestamp_with_time_zone(Roles::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Roles::Table, Roles::OrgId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "uq_roles_org_name",
            Roles::Table,
            vec![Roles::OrgId.into_iden(), Roles::Name.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .col(big_integer(RolePermissions::RoleId))
                    .col(string_len(RolePermissions::Permission, 50))
                    .primary_key(
                        Index::create()
                            .col(RolePermissions::RoleId)
                            .col(RolePermissions::Permission),
                    )
                    .foreign_key(
                        &mut fk(
                            (RolePermissions::Table, RolePermissions::RoleId),
                            (Roles::Table, Roles::Id),
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
                    .table(AccountRoles::Table)
                    .col(big_integer(AccountRoles::AccountId))
                    .col(big_integer(AccountRoles::RoleId))
                    .primary_key(
                        Index::create()
                            .col(AccountRoles::AccountId)
                            .col(AccountRoles::RoleId),
                    )
                    .foreign_key(
                        &mut fk(
                            (AccountRoles::Table, AccountRoles::AccountId),
                            (Accounts::Table, Accounts::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .take(),
                    )
                    .foreign_key(&mut fk(
                        (AccountRoles::Table, AccountRoles::RoleId),
                        (Roles::Table, Roles::Id),
                    ))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_account_roles_role",
            AccountRoles::Table,
            vec![AccountRoles::RoleId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::TokenHash, 64).primary_key())
                    .col(big_integer(Sessions::AccountId))
                    .col(string_len(Sessions::CsrfToken, 64))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(string_len(Sessions::Ip, 64))
                    .col(string_len(Sessions::UserAgent, 255))
                    .foreign_key(
                        &mut fk(
                            (Sessions::Table, Sessions::AccountId),
                            (Accounts::Table, Accounts::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .take(),
                    )
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_sessions_account",
            Sessions::Table,
            vec![Sessions::AccountId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_sessions_created",
            Sessions::Table,
            vec![Sessions::CreatedAt.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(big_integer_null(AuditEvents::OrgId))
                    .col(big_integer_null(AuditEvents::AccountId))
                    .col(string_len(AuditEvents::ActorName, 100))
                    .col(string_len(AuditEvents::Action, 20))
                    .col(string_len(AuditEvents::ObjectKind, 20))
                    .col(big_integer_null(AuditEvents::ObjectId))
                    .col(string_len(AuditEvents::ObjectLabel, 200))
                    .col(text(AuditEvents::Summary))
                    .col(string_len(AuditEvents::Ip, 64))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_audit_events_at",
            AuditEvents::Table,
            vec![AuditEvents::At.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_audit_events_org_at",
            AuditEvents::Table,
            vec![AuditEvents::OrgId.into_iden(), AuditEvents::At.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginEvents::Table)
                    .col(big_pk_auto(LoginEvents::Id))
                    .col(timestamp_with_time_zone(LoginEvents::At))
                    .col(string_len(LoginEvents::Username, 64))
                    .col(big_integer_null(LoginEvents::AccountId))
                    .col(big_integer_null(LoginEvents::OrgId))
                    .col(boolean(LoginEvents::Success))
                    .col(string_len(LoginEvents::Reason, 50))
                    .col(string_len(LoginEvents::Ip, 64))
                    .col(string_len(LoginEvents::UserAgent, 255))
                    .take(),
            )
            .await?;
        index(
            manager,
            "idx_login_events_at",
            LoginEvents::Table,
            vec![LoginEvents::At.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_login_events_ip_at",
            LoginEvents::Table,
            vec![LoginEvents::Ip.into_iden(), LoginEvents::At.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_login_events_org_at",
            LoginEvents::Table,
            vec![LoginEvents::OrgId.into_iden(), LoginEvents::At.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LoginEvents::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            AccountRoles::Table.into_iden(),
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
            Accounts::Table.into_iden(),
            Organizations::Table.into_iden(),
            Regions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
