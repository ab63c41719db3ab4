//! The fixed permission catalogue. Roles hold subsets of it; each permission belongs to a menu and
//! is owned by certain organization types, and an organization can grant only what its type owns.

use crate::org::OrgKind;
use serde::Serialize;

/// Top-level menu groups, in the order the left menu shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MenuGroup {
    /// 安责险服务
    Service,
    /// 保单管理
    Policies,
    /// 系统账号
    Accounts,
    /// 系统管理
    System,
}

impl MenuGroup {
    pub fn label(self) -> &'static str {
        match self {
            MenuGroup::Service => "安责险服务",
            MenuGroup::Policies => "保单管理",
            MenuGroup::Accounts => "系统账号",
            MenuGroup::System => "系统管理",
        }
    }
}

pub const MENU_GROUPS: [MenuGroup; 4] = [
    MenuGroup::Service,
    MenuGroup::Policies,
    MenuGroup::Accounts,
    MenuGroup::System,
];

/// A menu entry; its first permission (`view`) decides whether the entry is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Menu {
    /// 服务订单
    Orders,
    /// 隐患排查 (the hazard ledger)
    Hazards,
    /// 服务投诉
    Complaints,
    /// 检查表 (the checklist library inspections are marked against)
    Checklists,
    /// 服务记录: one node of the permission tree; the left menu shows it as the six item menus
    /// (安全培训, 风险识别, 标准化建设, …) in the seed's order.
    Records,
    /// 保单列表
    Policies,
    /// 投保企业
    Enterprises,
    /// 账号管理
    Accounts,
    /// 角色管理
    Roles,
    /// 机构管理
    Organizations,
    /// 工作日历 (public holidays and swapped working days)
    Calendar,
    /// 操作日志
    AuditLog,
    /// 登录日志
    LoginLog,
    /// 定时任务 (the platform's)
    Jobs,
    /// 消息推送 (an organization's webhook)
    Webhook,
}

impl Menu {
    pub const ALL: [Menu; 15] = [
        Menu::Orders,
        Menu::Records,
        Menu::Hazards,
        Menu::Checklists,
        Menu::Complaints,
        Menu::Policies,
        Menu::Enterprises,
        Menu::Accounts,
        Menu::Roles,
        Menu::Organizations,
        Menu::Calendar,
        Menu::AuditLog,
        Menu::LoginLog,
        Menu::Jobs,
        Menu::Webhook,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Menu::Orders => "服务订单",
            Menu::Records => "服务记录",
            Menu::Hazards => "隐患排查",
            Menu::Complaints => "服务投诉",
            Menu::Checklists => "检查表",
            Menu::Policies => "保单列表",
            Menu::Enterprises => "投保企业",
            Menu::Accounts => "账号管理",
            Menu::Roles => "角色管理",
            Menu::Organizations => "机构管理",
            Menu::Calendar => "工作日历",
            Menu::AuditLog => "操作日志",
            Menu::LoginLog => "登录日志",
            Menu::Jobs => "定时任务",
            Menu::Webhook => "消息推送",
        }
    }

    pub fn group(self) -> MenuGroup {
        match self {
            Menu::Orders | Menu::Records | Menu::Hazards | Menu::Checklists | Menu::Complaints => {
                MenuGroup::Service
            }
            Menu::Policies | Menu::Enterprises => MenuGroup::Policies,
            Menu::Accounts | Menu::Roles => MenuGroup::Accounts,
            Menu::Organizations
            | Menu::Calendar
            | Menu::AuditLog
            | Menu::LoginLog
            | Menu::Jobs
            | Menu::Webhook => MenuGroup::System,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Menu::Orders => "/orders",
            Menu::Records => "/services/training",
            Menu::Hazards => "/hazards",
            Menu::Complaints => "/complaints",
            Menu::Checklists => "/checklists",
            Menu::Policies => "/policies",
            Menu::Enterprises => "/enterprises",
            Menu::Accounts => "/accounts",
            Menu::Roles => "/roles",
            Menu::Organizations => "/orgs",
            Menu::Calendar => "/calendar",
            Menu::AuditLog => "/audit",
            Menu::LoginLog => "/login-log",
            Menu::Jobs => "/jobs",
            Menu::Webhook => "/webhook",
        }
    }

    /// The permission that makes the menu visible.
    pub fn view_permission(self) -> Permission {
        self.permissions()[0]
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Menu::Records => &[RecordView, RecordWrite, RecordManage, RecordConfirm],
            Menu::Hazards => &[HazardView, HazardWrite, HazardReview, HazardRectify],
            Menu::Complaints => &[
                ComplaintView,
                ComplaintFile,
                ComplaintHandle,
                ComplaintReply,
            ],
            Menu::Checklists => &[ChecklistView, ChecklistManage],
            Menu::Calendar => &[CalendarView, CalendarEdit],
            Menu::Orders => &[
                OrderView,
                OrderDesignate,
                OrderAccept,
                OrderAssign,
                OrderComplete,
            ],
            Menu::Policies => &[PolicyView, PolicyCreate, PolicyEdit, PolicyImport],
            Menu::Enterprises => &[EnterpriseView, EnterpriseCreate, EnterpriseEdit],
            Menu::Accounts => &[AccountView, AccountCreate, AccountEdit, AccountDelete],
            Menu::Roles => &[RoleView, RoleCreate, RoleEdit, RoleDelete],
            Menu::Organizations => &[OrgView, OrgCreate, OrgEdit, OrgToggle],
            Menu::AuditLog => &[AuditView],
            Menu::LoginLog => &[LoginLogView],
            Menu::Jobs => &[JobView],
            Menu::Webhook => &[WebhookManage],
        }
    }

    /// Whether an organization of this type can be granted anything in this menu.
    pub fn available_to(self, kind: OrgKind) -> bool {
        self.permissions().iter().any(|p| p.owned_by(kind))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Permission {
    /// 服务订单 · 查看
    OrderView,
    /// 服务订单 · 指定服务机构 / 撤销 (insurer)
    OrderDesignate,
    /// 服务订单 · 受理 / 拒绝 (agency)
    OrderAccept,
    /// 服务订单 · 指派负责人员 (agency)
    OrderAssign,
    /// 服务订单 · 完成 (agency)
    OrderComplete,
    /// 服务记录 · 查看
    RecordView,
    /// 服务记录 · 录入 (and editing one's own records)
    RecordWrite,
    /// 服务记录 · 管理本机构全部记录 (edit and delete anyone's)
    RecordManage,
    /// 服务记录 · 确认/异议 (the insured enterprise's signature)
    RecordConfirm,
    /// 隐患排查 · 查看
    HazardView,
    /// 隐患排查 · 新增隐患与整改
    HazardWrite,
    /// 隐患排查 · 复查销号
    HazardReview,
    /// 隐患排查 · 企业整改与签收 (the insured enterprise rectifies its own hazards)
    HazardRectify,
    /// 服务投诉 · 查看
    ComplaintView,
    /// 服务投诉 · 登记投诉 (the enterprise, or its insurer on its behalf)
    ComplaintFile,
    /// 服务投诉 · 受理与办结 (the insurer of the policy)
    ComplaintHandle,
    /// 服务投诉 · 答复 (the agency complained about)
    ComplaintReply,
    /// 检查表 · 查看 (and the 不符合项统计)
    ChecklistView,
    /// 检查表 · 维护本机构检查表 (the platform: the shared library)
    ChecklistManage,
    /// 工作日历 · 查看
    CalendarView,
    /// 工作日历 · 维护
    CalendarEdit,
    /// 保单列表 · 查看
    PolicyView,
    /// 保单列表 · 新增
    PolicyCreate,
    /// 保单列表 · 编辑
    PolicyEdit,
    /// 保单列表 · 导入
    PolicyImport,
    /// 投保企业 · 查看
    EnterpriseView,
    /// 投保企业 · 新增
    EnterpriseCreate,
    /// 投保企业 · 编辑
    EnterpriseEdit,
    /// 账号管理 · 查看
    AccountView,
    /// 账号管理 · 新增
    AccountCreate,
    /// 账号管理 · 编辑(含修改密码)
    AccountEdit,
    /// 账号管理 · 删除
    AccountDelete,
    /// 角色管理 · 查看
    RoleView,
    /// 角色管理 · 新增
    RoleCreate,
    /// 角色管理 · 编辑
    RoleEdit,
    /// 角色管理 · 删除
    RoleDelete,
    /// 机构管理 · 查看
    OrgView,
    /// 机构管理 · 新增
    OrgCreate,
    /// 机构管理 · 编辑
    OrgEdit,
    /// 机构管理 · 启用/停用
    OrgToggle,
    /// 操作日志 · 查看
    AuditView,
    /// 登录日志 · 查看
    LoginLogView,
    /// 定时任务 · 查看 (the platform's)
    JobView,
    /// 消息推送 · 设置推送地址与查看推送记录
    WebhookManage,
}

impl Permission {
    pub const ALL: [Permission; 44] = [
        Permission::HazardView,
        Permission::HazardWrite,
        Permission::HazardReview,
        Permission::HazardRectify,
        Permission::RecordView,
        Permission::RecordWrite,
        Permission::RecordManage,
        Permission::RecordConfirm,
        Permission::ComplaintView,
        Permission::ComplaintFile,
        Permission::ComplaintHandle,
        Permission::ComplaintReply,
        Permission::ChecklistView,
        Permission::ChecklistManage,
        Permission::OrderView,
        Permission::OrderDesignate,
        Permission::OrderAccept,
        Permission::OrderAssign,
        Permission::OrderComplete,
        Permission::PolicyView,
        Permission::PolicyCreate,
        Permission::PolicyEdit,
        Permission::PolicyImport,
        Permission::EnterpriseView,
        Permission::EnterpriseCreate,
        Permission::EnterpriseEdit,
        Permission::AccountView,
        Permission::AccountCreate,
        Permission::AccountEdit,
        Permission::AccountDelete,
        Permission::RoleView,
        Permission::RoleCreate,
        Permission::RoleEdit,
        Permission::RoleDelete,
        Permission::OrgView,
        Permission::OrgCreate,
        Permission::OrgEdit,
        Permission::OrgToggle,
        Permission::CalendarView,
        Permission::CalendarEdit,
        Permission::AuditView,
        Permission::LoginLogView,
        Permission::JobView,
        Permission::WebhookManage,
    ];

    /// Stable code stored in the database; never change one that has shipped.
    pub fn code(self) -> &'static str {
        use Permission::*;
        match self {
            OrderView => "order:view",
            OrderDesignate => "order:designate",
            OrderAccept => "order:accept",
            OrderAssign => "order:assign",
            OrderComplete => "order:complete",
            RecordView => "record:view",
            RecordWrite => "record:write",
            RecordManage => "record:manage",
            RecordConfirm => "record:confirm",
            HazardView => "hazard:view",
            HazardWrite => "hazard:write",
            HazardReview => "hazard:review",
            HazardRectify => "hazard:rectify",
            ComplaintView => "complaint:view",
            ComplaintFile => "complaint:file",
            ComplaintHandle => "complaint:handle",
            ComplaintReply => "complaint:reply",
            ChecklistView => "checklist:view",
            ChecklistManage => "checklist:manage",
            CalendarView => "calendar:view",
            CalendarEdit => "calendar:edit",
            PolicyView => "policy:view",
            PolicyCreate => "policy:create",
            PolicyEdit => "policy:edit",
            PolicyImport => "policy:import",
            EnterpriseView => "enterprise:view",
            EnterpriseCreate => "enterprise:create",
            EnterpriseEdit => "enterprise:edit",
            AccountView => "account:view",
            AccountCreate => "account:create",
            AccountEdit => "account:edit",
            AccountDelete => "account:delete",
            RoleView => "role:view",
            RoleCreate => "role:create",
            RoleEdit => "role:edit",
            RoleDelete => "role:delete",
            OrgView => "org:view",
            OrgCreate => "org:create",
            OrgEdit => "org:edit",
            OrgToggle => "org:toggle",
            AuditView => "audit:view",
            LoginLogView => "loginlog:view",
            JobView => "job:view",
            WebhookManage => "webhook:manage",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The action's label inside its menu.
    pub fn label(self) -> &'static str {
        use Permission::*;
        match self {
            OrderView | RecordView | HazardView | ComplaintView | CalendarView | PolicyView
            | EnterpriseView | AccountView | RoleView | OrgView | AuditView | LoginLogView
            | JobView | ChecklistView => "查看",
            ChecklistManage => "维护检查表",
            ComplaintFile => "登记投诉",
            ComplaintHandle => "受理与办结",
            ComplaintReply => "答复投诉",
            CalendarEdit => "维护节假日与调休",
            OrderDesignate => "指定服务机构/撤销",
            OrderAccept => "受理/拒绝",
            RecordWrite => "录入与修改本人记录",
            RecordManage => "修改/删除本机构全部记录",
            HazardWrite => "新增隐患与整改",
            HazardReview => "复查销号",
            RecordConfirm => "确认/异议",
            HazardRectify => "企业整改与签收",
            OrderAssign => "指派负责人员",
            OrderComplete => "完成订单",
            PolicyImport => "Excel 导入",
            PolicyCreate | EnterpriseCreate | AccountCreate | RoleCreate | OrgCreate => "新增",
            AccountEdit => "编辑(含修改密码)",
            PolicyEdit | EnterpriseEdit | RoleEdit | OrgEdit => "编辑",
            AccountDelete | RoleDelete => "删除",
            OrgToggle => "启用/停用",
            WebhookManage => "设置推送地址与查看推送记录",
        }
    }

    pub fn menu(self) -> Menu {
        Menu::ALL
            .into_iter()
            .find(|m| m.permissions().contains(&self))
            .expect("every permission belongs to a menu")
    }

    /// Which organization types may hold this permission.
    pub fn owned_by(self, kind: OrgKind) -> bool {
        use OrgKind::*;
        use Permission::*;
        match self {
            OrderView | RecordView | HazardView | ComplaintView => {
                matches!(kind, Platform | Insurer | Agency | Regulator | Enterprise)
            }
            ComplaintFile => matches!(kind, Insurer | Enterprise),
            ComplaintHandle => kind == Insurer,
            ComplaintReply => kind == Agency,
            CalendarView | CalendarEdit | JobView => kind == Platform,
            ChecklistView | ChecklistManage => matches!(kind, Platform | Agency),
            WebhookManage => kind != Platform,
            RecordWrite | RecordManage | HazardWrite | HazardReview => kind == Agency,
            RecordConfirm | HazardRectify => kind == Enterprise,
            OrderDesignate | PolicyCreate | PolicyEdit | PolicyImport => kind == Insurer,
            OrderAccept | OrderAssign | OrderComplete => kind == Agency,
            PolicyView => matches!(kind, Platform | Insurer | Regulator | Enterprise),
            EnterpriseView => matches!(kind, Platform | Insurer | Regulator),
            EnterpriseCreate | EnterpriseEdit => matches!(kind, Platform | Insurer),
            OrgView | OrgCreate | OrgEdit | OrgToggle => kind == Platform,
            AccountView | AccountCreate | AccountEdit | AccountDelete | RoleView | RoleCreate
            | RoleEdit | RoleDelete | AuditView | LoginLogView => true,
        }
    }

    /// Everything an organization of this type may grant: the built-in admin role holds it all.
    pub fn owned_by_kind(kind: OrgKind) -> Vec<Permission> {
        Self::ALL.into_iter().filter(|p| p.owned_by(kind)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut codes: Vec<_> = Permission::ALL.iter().map(|p| p.code()).collect();
        for p in Permission::ALL {
            assert_eq!(Permission::from_code(p.code()), Some(p));
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Permission::ALL.len());
        assert_eq!(Permission::from_code("account:view;drop"), None);
    }

    #[test]
    fn every_permission_sits_in_exactly_one_menu() {
        for p in Permission::ALL {
            let n = Menu::ALL
                .iter()
                .filter(|m| m.permissions().contains(&p))
                .count();
            assert_eq!(n, 1, "{p:?}");
        }
    }

    #[test]
    fn every_menu_sits_in_a_listed_group() {
        for m in Menu::ALL {
            assert!(MENU_GROUPS.contains(&m.group()), "{m:?}");
        }
    }

    #[test]
    fn only_the_platform_owns_organization_management() {
        assert!(Permission::OrgCreate.owned_by(OrgKind::Platform));
        for kind in [
            OrgKind::Regulator,
            OrgKind::Insurer,
            OrgKind::Agency,
            OrgKind::Enterprise,
        ] {
            assert!(!Permission::OrgView.owned_by(kind));
            assert!(!Menu::Organizations.available_to(kind));
            assert!(Permission::AccountCreate.owned_by(kind));
        }
    }
}
