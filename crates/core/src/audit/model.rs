use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::ids::{AccountId, AuditEventId, LoginEventId, OrgId};

/// 操作类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AuditAction {
    Create,
    Update,
    Delete,
    Enable,
    Disable,
    ChangePassword,
    /// 指定服务机构
    Designate,
    /// 受理
    Accept,
    /// 拒绝
    Decline,
    /// 撤销
    Cancel,
    /// 完成
    Complete,
    /// 指派负责人员
    Assign,
    /// Excel 导入
    Import,
    /// 整改
    Rectify,
    /// 复查 (不通过)
    Review,
    /// 复查通过,销号
    Close,
    /// 整改通知书签收
    Sign,
    /// 企业确认服务记录
    Confirm,
    /// 企业对服务记录提出异议
    Object,
    /// 服务机构答复异议
    Reply,
    /// 投诉转入处理
    Process,
    /// 投诉办结
    Settle,
    /// 服务机构答复投诉
    Respond,
}

impl AuditAction {
    pub const ALL: [AuditAction; 23] = [
        AuditAction::Process,
        AuditAction::Settle,
        AuditAction::Respond,
        AuditAction::Sign,
        AuditAction::Rectify,
        AuditAction::Review,
        AuditAction::Close,
        AuditAction::Confirm,
        AuditAction::Object,
        AuditAction::Reply,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Delete,
        AuditAction::Enable,
        AuditAction::Disable,
        AuditAction::ChangePassword,
        AuditAction::Designate,
        AuditAction::Accept,
        AuditAction::Decline,
        AuditAction::Cancel,
        AuditAction::Complete,
        AuditAction::Assign,
        AuditAction::Import,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
            AuditAction::Enable => "enable",
            AuditAction::Disable => "disable",
            AuditAction::ChangePassword => "password",
            AuditAction::Designate => "designate",
            AuditAction::Accept => "accept",
            AuditAction::Decline => "decline",
            AuditAction::Cancel => "cancel",
            AuditAction::Complete => "complete",
            AuditAction::Assign => "assign",
            AuditAction::Import => "import",
            AuditAction::Rectify => "rectify",
            AuditAction::Review => "review",
            AuditAction::Close => "close",
            AuditAction::Sign => "sign",
            AuditAction::Confirm => "confirm",
            AuditAction::Object => "object",
            AuditAction::Reply => "reply",
            AuditAction::Process => "process",
            AuditAction::Settle => "settle",
            AuditAction::Respond => "respond",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::Create => "新增",
            AuditAction::Update => "编辑",
            AuditAction::Delete => "删除",
            AuditAction::Enable => "启用",
            AuditAction::Disable => "停用",
            AuditAction::ChangePassword => "修改密码",
            AuditAction::Designate => "指定服务机构",
            AuditAction::Accept => "受理",
            AuditAction::Decline => "拒绝",
            AuditAction::Cancel => "撤销",
            AuditAction::Complete => "完成",
            AuditAction::Assign => "指派",
            AuditAction::Import => "导入",
            AuditAction::Rectify => "整改",
            AuditAction::Review => "复查",
            AuditAction::Close => "销号",
            AuditAction::Sign => "签收",
            AuditAction::Confirm => "确认",
            AuditAction::Object => "异议",
            AuditAction::Reply => "答复异议",
            AuditAction::Process => "转入处理",
            AuditAction::Settle => "办结",
            AuditAction::Respond => "答复投诉",
        }
    }
}

/// 操作对象
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ObjectKind {
    Organization,
    Account,
    Role,
    Enterprise,
    Policy,
    Order,
    Record,
    Hazard,
    /// 投诉
    Complaint,
    /// 工作日历
    CalendarDay,
    /// API 令牌
    ApiToken,
    /// 检查表
    Checklist,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 3] = [
        ObjectKind::Organization,
        ObjectKind::Account,
        ObjectKind::Role,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ObjectKind::Organization => "organization",
            ObjectKind::Account => "account",
            ObjectKind::Role => "role",
            ObjectKind::Enterprise => "enterprise",
            ObjectKind::Policy => "policy",
            ObjectKind::Order => "order",
            ObjectKind::Record => "record",
            ObjectKind::Hazard => "hazard",
            ObjectKind::Complaint => "complaint",
            ObjectKind::CalendarDay => "calendar_day",
            ObjectKind::ApiToken => "api_token",
            ObjectKind::Checklist => "checklist",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ObjectKind::Organization => "机构",
            ObjectKind::Account => "账号",
            ObjectKind::Role => "角色",
            ObjectKind::Enterprise => "投保企业",
            ObjectKind::Policy => "保单",
            ObjectKind::Order => "服务订单",
            ObjectKind::Record => "服务记录",
            ObjectKind::Hazard => "隐患",
            ObjectKind::Complaint => "投诉",
            ObjectKind::CalendarDay => "工作日历",
            ObjectKind::ApiToken => "API 令牌",
            ObjectKind::Checklist => "检查表",
        }
    }
}

/// One audited change, written in the same transaction as the change itself.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    /// Organization the event belongs to (the changed object's), so each org admin sees its own.
    pub org_id: Option<OrgId>,
    pub account_id: Option<AccountId>,
    pub actor_name: String,
    pub action: AuditAction,
    pub object_kind: ObjectKind,
    /// Filled by the store when the object is created in the same transaction.
    pub object_id: Option<i64>,
    pub object_label: String,
    pub summary: String,
    pub ip: String,
}

impl AuditEvent {
    pub fn new(
        actor: &Actor,
        at: DateTime<Utc>,
        action: AuditAction,
        object_kind: ObjectKind,
        object_id: Option<i64>,
        object_label: &str,
        summary: String,
    ) -> Self {
        Self {
            at,
            org_id: Some(actor.org_id),
            account_id: Some(actor.account_id),
            actor_name: actor.display(),
            action,
            object_kind,
            object_id,
            object_label: object_label.chars().take(200).collect(),
            summary: summary.chars().take(2000).collect(),
            ip: actor.ip.clone(),
        }
    }

    /// An event caused by the operator at the console rather than a logged-in user.
    pub fn system(
        at: DateTime<Utc>,
        action: AuditAction,
        object_kind: ObjectKind,
        object_id: Option<i64>,
        object_label: &str,
        summary: String,
    ) -> Self {
        Self {
            at,
            org_id: None,
            account_id: None,
            actor_name: "系统(命令行)".into(),
            action,
            object_kind,
            object_id,
            object_label: object_label.chars().take(200).collect(),
            summary,
            ip: String::new(),
        }
    }

    /// Files the event under the organization the changed object belongs to.
    pub fn in_org(mut self, org: OrgId) -> Self {
        self.org_id = Some(org);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: AuditEventId,
    pub at: DateTime<Utc>,
    pub org_name: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<i64>,
    pub object_label: String,
    pub summary: String,
    pub ip: String,
}

impl AuditRecord {
    pub fn action_label(&self) -> &str {
        match AuditAction::from_code(&self.action) {
            Some(a) => a.label(),
            None => &self.action,
        }
    }

    pub fn object_kind_label(&self) -> &str {
        match ObjectKind::from_code(&self.object_kind) {
            Some(k) => k.label(),
            None => &self.object_kind,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoginEvent {
    pub at: DateTime<Utc>,
    pub username: String,
    pub account_id: Option<AccountId>,
    pub org_id: Option<OrgId>,
    pub success: bool,
    pub reason: String,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginRecord {
    pub id: LoginEventId,
    pub at: DateTime<Utc>,
    pub username: String,
    pub org_name: Option<String>,
    pub success: bool,
    pub reason: String,
    pub ip: String,
    pub user_agent: String,
}

/// Filters of both logs; dates are local `YYYY-MM-DD`, inclusive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LogFilter {
    /// 操作人 / 账号, partial.
    pub q: String,
    pub action: String,
    pub object: String,
    /// "success" | "failure" | "" (login log only)
    pub result: String,
    pub org: String,
    pub from: String,
    pub to: String,
}

/// The parsed form of `LogFilter` the store applies.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub org: Option<OrgId>,
    pub q: Option<String>,
    pub action: Option<AuditAction>,
    pub object: Option<ObjectKind>,
    pub success: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}
