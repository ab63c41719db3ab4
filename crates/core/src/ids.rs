//! Typed ids: a value of one table's id cannot be passed where another's is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

typed_id!(
    /// 机构
    OrgId,
    /// 账号
    AccountId,
    /// 角色
    RoleId,
    /// 操作日志
    AuditEventId,
    /// 登录日志
    LoginEventId,
    /// 保单
    PolicyId,
    /// 服务订单
    OrderId,
    /// 服务记录
    RecordId,
    /// 隐患
    HazardId,
    /// 附件
    AttachmentId,
    /// 可疑标记 (a photo's integrity flag)
    FlagId,
    /// 满意度评价 (an enterprise's rating or a 电话回访)
    RatingId,
    /// 投诉
    ComplaintId,
    /// 工作日历条目
    CalendarDayId,
    /// 消息通知
    NoticeId,
    /// 定时任务的一次执行
    JobRunId,
    /// API 令牌
    ApiTokenId,
    /// API 调用日志
    ApiCallId,
    /// 检查表
    ChecklistId,
    /// 检查表的一个检查项
    ChecklistItemId,
    /// 一次排查中一个检查项的检查结果
    CheckId,
);
