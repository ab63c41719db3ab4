use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::audit::ObjectKind;
use crate::auth::{Actor, DataScope};
use crate::calendar::{Calendar, add_working_days, working_days_between};
use crate::complaint::{REPLY_WORKING_DAYS, SETTLE_WORKING_DAYS};
use crate::ids::{AccountId, ComplaintId, HazardId, NoticeId, OrderId, OrgId};
use crate::order::{OrderState, ServiceOrder};
use crate::org::OrgKind;

/// Days before a hazard's 整改期限 its reminder goes out.
pub const HAZARD_DUE_DAYS: i64 = 3;
/// Overdue hazards are reminded of when their deadline passed at most this many days ago, so
/// a first run over an old database does not bury everyone under years of backlog.
pub const HAZARD_OVERDUE_WINDOW_DAYS: i64 = 7;
/// Days before an order's service period ends that undelivered items are reminded of.
pub const ORDER_ENDING_DAYS: i64 = 7;
/// Working days before a complaint deadline its reminder goes out.
pub const COMPLAINT_DUE_WORKING_DAYS: u32 = 2;

/// 消息类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NoticeKind {
    /// 新订单待受理 (agency)
    OrderDesignated,
    /// 订单已受理 (insurer)
    OrderAccepted,
    /// 订单被拒绝 (insurer)
    OrderDeclined,
    /// 服务记录有异议 (agency)
    RecordObjected,
    /// 隐患整改即将到期 (agency, enterprise)
    HazardDueSoon,
    /// 隐患整改已逾期 (agency, enterprise)
    HazardOverdue,
    /// 服务期即将结束且有未完成项目 (agency, insurer)
    OrderEnding,
    /// 投诉受理期限将至 (insurer)
    ComplaintReplyDue,
    /// 投诉办结期限将至 (insurer, agency)
    ComplaintSettleDue,
    /// 投诉已超期 (insurer)
    ComplaintOverdue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::OrderDesignated,
        NoticeKind::OrderAccepted,
        NoticeKind::OrderDeclined,
        NoticeKind::RecordObjected,
        NoticeKind::HazardDueSoon,
        NoticeKind::HazardOverdue,
        NoticeKind::OrderEnding,
        NoticeKind::ComplaintReplyDue,
        NoticeKind::ComplaintSettleDue,
        NoticeKind::ComplaintOverdue,
    ];

    /// Stable code stored in the database and sent to webhooks; never change one that shipped.
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::OrderDesignated => "order.designated",
            NoticeKind::OrderAccepted => "order.accepted",
            NoticeKind::OrderDeclined => "order.declined",
            NoticeKind::RecordObjected => "record.objected",
            NoticeKind::HazardDueSoon => "hazard.due_soon",
            NoticeKind::HazardOverdue => "hazard.overdue",
            NoticeKind::OrderEnding => "order.ending",
            NoticeKind::ComplaintReplyDue => "complaint.reply_due",
            NoticeKind::ComplaintSettleDue => "complaint.settle_due",
            NoticeKind::ComplaintOverdue => "complaint.overdue",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::OrderDesignated => "新订单待受理",
            NoticeKind::OrderAccepted => "订单已受理",
            NoticeKind::OrderDeclined => "订单被拒绝",
            NoticeKind::RecordObjected => "服务记录有异议",
            NoticeKind::HazardDueSoon => "隐患即将到期",
            NoticeKind::HazardOverdue => "隐患已逾期",
            NoticeKind::OrderEnding => "服务期即将结束",
            NoticeKind::ComplaintReplyDue => "投诉受理期限将至",
            NoticeKind::ComplaintSettleDue => "投诉办结期限将至",
            NoticeKind::ComplaintOverdue => "投诉已超期",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            NoticeKind::OrderDeclined
            | NoticeKind::RecordObjected
            | NoticeKind::HazardOverdue
            | NoticeKind::ComplaintOverdue => "tag-danger",
            NoticeKind::HazardDueSoon
            | NoticeKind::OrderEnding
            | NoticeKind::ComplaintReplyDue
            | NoticeKind::ComplaintSettleDue => "tag-warning",
            NoticeKind::OrderDesignated => "tag-info",
            NoticeKind::OrderAccepted => "tag-success",
        }
    }
}

/// A notification to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The recipient organization.
    pub org_id: OrgId,
    /// One account of it only, when set.
    pub account_id: Option<AccountId>,
    pub kind: NoticeKind,
    /// What it links to: an order, a record, a hazard or a complaint.
    pub object: ObjectKind,
    /// `None`: the object is created in the same transaction and the store fills its id.
    pub object_id: Option<i64>,
    /// The order the object belongs to (the object itself for orders), which scopes the
    /// notification for 仅本人负责 staff; `None` for an order created in the same transaction.
    pub order_id: Option<OrderId>,
    pub text: String,
    /// Reminders carry one, so the same reminder is never written twice.
    pub dedupe: Option<String>,
    pub at: DateTime<Utc>,
}

impl NewNotice {
    pub fn new(
        org_id: OrgId,
        kind: NoticeKind,
        object: ObjectKind,
        object_id: Option<i64>,
        order_id: Option<OrderId>,
        text: String,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            org_id,
            account_id: None,
            kind,
            object,
            object_id,
            order_id,
            text: text.chars().take(500).collect(),
            dedupe: None,
            at,
        }
    }

    fn once(mut self, key: String) -> Self {
        self.dedupe = Some(format!("{key}:{}", self.org_id));
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: NoticeId,
    pub org_id: OrgId,
    pub account_id: Option<AccountId>,
    pub kind: NoticeKind,
    pub object: ObjectKind,
    pub object_id: i64,
    pub order_id: Option<OrderId>,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl Notice {
    /// The page of the object the notification is about.
    pub fn link(&self) -> String {
        link_of(self.object, self.object_id)
    }
}

pub fn link_of(object: ObjectKind, id: i64) -> String {
    match object {
        ObjectKind::Order => format!("/orders/{id}"),
        ObjectKind::Record => format!("/records/{id}"),
        ObjectKind::Hazard => format!("/hazards/{id}"),
        ObjectKind::Complaint => format!("/complaints/{id}"),
        ObjectKind::Policy => format!("/policies/{id}"),
        _ => "/notifications".into(),
    }
}

/// Whose notifications a request sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub org: OrgId,
    pub account: AccountId,
    /// 仅本人负责: only notifications about orders assigned to `account`, and those addressed
    /// to it.
    pub own_orders_only: bool,
}

impl Viewer {
    /// As `scope::of` reads the data scope: 仅本人负责 narrows agency staff to their orders;
    /// other organization types see their orders whatever the role says, and so their
    /// notifications.
    pub fn of(actor: &Actor) -> Self {
        Self {
            org: actor.org_id,
            account: actor.account_id,
            own_orders_only: actor.org_kind == OrgKind::Agency
                && actor.data_scope == DataScope::Own,
        }
    }
}

/// Filters of the list: 已读/未读 and type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeFilter {
    /// "unread" | "read" | ""
    pub read: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeQuery {
    pub read: Option<bool>,
    pub kind: Option<NoticeKind>,
}

impl NoticeFilter {
    /// Unknown values are ignored: the filter comes from a query string.
    pub fn query(&self) -> NoticeQuery {
        NoticeQuery {
            read: match self.read.as_str() {
                "read" => Some(true),
                "unread" => Some(false),
                _ => None,
            },
            kind: NoticeKind::from_code(&self.kind),
        }
    }
}

/// An open hazard near or past its deadline.
#[derive(Debug, Clone)]
pub struct HazardDue {
    pub id: HazardId,
    pub hazard_no: String,
    pub order_id: OrderId,
    pub agency_id: OrgId,
    pub enterprise_id: OrgId,
    pub enterprise_name: String,
    pub deadline: NaiveDate,
}

/// An open complaint, for its two clocks.
#[derive(Debug, Clone)]
pub struct ComplaintDue {
    pub id: ComplaintId,
    pub complaint_no: String,
    pub order_id: OrderId,
    pub insurer_id: OrgId,
    pub agency_id: OrgId,
    pub filed_on: NaiveDate,
    pub accepted: bool,
}

/// What the store reports to the reminder job.
#[derive(Debug, Clone, Default)]
pub struct ReminderInput {
    /// Open hazards with a deadline from `HAZARD_OVERDUE_WINDOW_DAYS` ago to
    /// `HAZARD_DUE_DAYS` ahead.
    pub hazards: Vec<HazardDue>,
    /// Accepted orders whose service period ends within `ORDER_ENDING_DAYS`.
    pub orders: Vec<ServiceOrder>,
    /// Complaints not yet settled.
    pub complaints: Vec<ComplaintDue>,
    /// Enterprises with at least one enabled account: only they are told of their hazards.
    pub enterprises_with_accounts: BTreeSet<OrgId>,
}

/// Every reminder due on `today` (China date); the dedupe keys make a second run write none.
pub fn plan_reminders(
    today: NaiveDate,
    input: &ReminderInput,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let mut out = hazard_reminders(today, &input.hazards, &input.enterprises_with_accounts, now);
    out.extend(order_ending_reminders(today, &input.orders, now));
    out.extend(complaint_reminders(today, &input.complaints, calendar, now));
    out
}

pub fn hazard_reminders(
    today: NaiveDate,
    hazards: &[HazardDue],
    enterprises_with_accounts: &BTreeSet<OrgId>,
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let mut out = Vec::new();
    for h in hazards {
        let (kind, text, key) = if h.deadline < today {
            if h.deadline < today - Duration::days(HAZARD_OVERDUE_WINDOW_DAYS) {
                continue;
            }
            (
                NoticeKind::HazardOverdue,
                format!(
                    "隐患 {}({})整改期限 {} 已过,尚未销号",
                    h.hazard_no, h.enterprise_name, h.deadline
                ),
                format!("hazard-overdue:{}:{}", h.id, h.deadline),
            )
        } else if h.deadline <= today + Duration::days(HAZARD_DUE_DAYS) {
            let left = (h.deadline - today).num_days();
            (
                NoticeKind::HazardDueSoon,
                if left == 0 {
                    format!(
                        "隐患 {}({})今日到期,请尽快完成整改",
                        h.hazard_no, h.enterprise_name
                    )
                } else {
                    format!(
                        "隐患 {}({})整改期限 {},还剩 {left} 天",
                        h.hazard_no, h.enterprise_name, h.deadline
                    )
                },
                format!("hazard-due:{}:{}", h.id, h.deadline),
            )
        } else {
            continue;
        };
        let mut to = vec![h.agency_id];
        if enterprises_with_accounts.contains(&h.enterprise_id) {
            to.push(h.enterprise_id);
        }
        for org in to {
            out.push(
                NewNotice::new(
                    org,
                    kind,
                    ObjectKind::Hazard,
                    Some(h.id.0),
                    Some(h.order_id),
                    text.clone(),
                    now,
                )
                .once(key.clone()),
            );
        }
    }
    out
}

pub fn order_ending_reminders(
    today: NaiveDate,
    orders: &[ServiceOrder],
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let mut out = Vec::new();
    for o in orders {
        if o.state != OrderState::Accepted
            || o.service_end < today
            || o.service_end > today + Duration::days(ORDER_ENDING_DAYS)
        {
            continue;
        }
        let missing: Vec<String> = o
            .plan
            .iter()
            .filter(|p| p.done < p.planned)
            .map(|p| format!("{} {}/{}", p.item.label(), p.done, p.planned))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let text = format!(
            "订单 {}({})服务期将于 {} 结束,尚未完成:{}",
            o.order_no,
            o.enterprise_name,
            o.service_end,
            missing.join("、")
        );
        for org in [o.agency_id, o.insurer_id] {
            out.push(
                NewNotice::new(
                    org,
                    NoticeKind::OrderEnding,
                    ObjectKind::Order,
                    Some(o.id.0),
                    Some(o.id),
                    text.clone(),
                    now,
                )
                .once(format!("order-ending:{}:{}", o.id, o.service_end)),
            );
        }
    }
    out
}

/// 受理 within 10 working days (the insurer), 办结 within 30 (the insurer, and the agency that
/// has to answer): a reminder `COMPLAINT_DUE_WORKING_DAYS` before each, and one when overdue.
pub fn complaint_reminders(
    today: NaiveDate,
    complaints: &[ComplaintDue],
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let mut out = Vec::new();
    let mut push = |c: &ComplaintDue, org: OrgId, kind: NoticeKind, text: String, key: String| {
        out.push(
            NewNotice::new(
                org,
                kind,
                ObjectKind::Complaint,
                Some(c.id.0),
                Some(c.order_id),
                text,
                now,
            )
            .once(key),
        )
    };
    for c in complaints {
        let reply_due = add_working_days(c.filed_on, REPLY_WORKING_DAYS, calendar);
        let settle_due = add_working_days(c.filed_on, SETTLE_WORKING_DAYS, calendar);
        let overdue = |due: NaiveDate| today > due;
        let near = |due: NaiveDate| {
            today <= due && working_days_between(today, due, calendar) <= COMPLAINT_DUE_WORKING_DAYS
        };
        if !c.accepted {
            if overdue(reply_due) {
                push(
                    c,
                    c.insurer_id,
                    NoticeKind::ComplaintOverdue,
                    format!(
                        "投诉 {} 已超过受理期限 {},请尽快受理",
                        c.complaint_no, reply_due
                    ),
                    format!("complaint-reply-overdue:{}", c.id),
                );
            } else if near(reply_due) {
                push(
                    c,
                    c.insurer_id,
                    NoticeKind::ComplaintReplyDue,
                    format!("投诉 {} 须于 {} 前受理", c.complaint_no, reply_due),
                    format!("complaint-reply-due:{}", c.id),
                );
            }
        }
        if overdue(settle_due) {
            push(
                c,
                c.insurer_id,
                NoticeKind::ComplaintOverdue,
                format!("投诉 {} 已超过办结期限 {}", c.complaint_no, settle_due),
                format!("complaint-settle-overdue:{}", c.id),
            );
        } else if near(settle_due) {
            for org in [c.insurer_id, c.agency_id] {
                push(
                    c,
                    org,
                    NoticeKind::ComplaintSettleDue,
                    format!("投诉 {} 须于 {} 前办结", c.complaint_no, settle_due),
                    format!("complaint-settle-due:{}", c.id),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::PlanItem;
    use crate::service_item::ServiceItem;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn now() -> DateTime<Utc> {
        crate::time::start_of_day(d("2026-11-30")) + Duration::hours(7)
    }

    fn hazard(id: i64, deadline: &str) -> HazardDue {
        HazardDue {
            id: HazardId(id),
            hazard_no: format!("YH{id}"),
            order_id: OrderId(5),
            agency_id: OrgId(2),
            enterprise_id: OrgId(3),
            enterprise_name: "恒安石化".into(),
            deadline: d(deadline),
        }
    }

    #[test]
    fn hazards_are_reminded_three_days_ahead_and_when_overdue() {
        let today = d("2026-11-30");
        let hs = [
            hazard(1, "2026-12-03"),
            hazard(2, "2026-12-04"),
            hazard(3, "2026-11-29"),
            hazard(4, "2026-11-22"),
            hazard(5, "2026-11-30"),
        ];
        let none = BTreeSet::new();
        let out = hazard_reminders(today, &hs, &none, now());
        let got: Vec<(i64, NoticeKind)> =
            out.iter().map(|n| (n.object_id.unwrap(), n.kind)).collect();
        assert_eq!(
            got,
            [
                (1, NoticeKind::HazardDueSoon),
                (3, NoticeKind::HazardOverdue),
                (5, NoticeKind::HazardDueSoon)
            ]
        );
        assert!(out.iter().all(|n| n.org_id == OrgId(2)));
        assert!(out[2].text.contains("今日到期"));
        assert_eq!(out[0].dedupe.as_deref(), Some("hazard-due:1:2026-12-03:2"));
    }

    #[test]
    fn an_enterprise_with_accounts_hears_of_its_hazards_too() {
        let with = BTreeSet::from([OrgId(3)]);
        let out = hazard_reminders(d("2026-11-30"), &[hazard(1, "2026-12-01")], &with, now());
        let orgs: Vec<OrgId> = out.iter().map(|n| n.org_id).collect();
        assert_eq!(orgs, [OrgId(2), OrgId(3)]);
        assert_ne!(out[0].dedupe, out[1].dedupe);
    }

    fn order(end: &str, planned: i64, done: i64) -> ServiceOrder {
        ServiceOrder {
            id: OrderId(9),
            order_no: "DD1".into(),
            policy_id: crate::ids::PolicyId(1),
            policy_no: "P1".into(),
            insurer_id: OrgId(1),
            insurer_name: "人保".into(),
            agency_id: OrgId(2),
            agency_name: "安信".into(),
            enterprise_id: OrgId(3),
            enterprise_name: "恒安石化".into(),
            region_code: "350503".into(),
            state: OrderState::Accepted,
            service_start: d("2026-01-01"),
            service_end: d(end),
            note: String::new(),
            decline_reason: None,
            designated_at: now(),
            designated_by: String::new(),
            accepted_at: None,
            completed_at: None,
            plan: vec![PlanItem {
                item: ServiceItem::Training,
                planned,
                done,
                confirmed: 0,
            }],
            assignees: vec![],
        }
    }

    #[test]
    fn an_order_ending_with_items_undelivered_tells_agency_and_insurer() {
        let today = d("2026-11-30");
        let out = order_ending_reminders(today, &[order("2026-12-05", 2, 1)], now());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].org_id, OrgId(2));
        assert_eq!(out[1].org_id, OrgId(1));
        assert!(out[0].text.contains("安全培训 1/2"), "{}", out[0].text);
        // Delivered in full, or ending later than a week: nothing.
        assert!(order_ending_reminders(today, &[order("2026-12-05", 2, 2)], now()).is_empty());
        assert!(order_ending_reminders(today, &[order("2026-12-08", 2, 0)], now()).is_empty());
    }

    #[test]
    fn complaint_clocks_remind_before_and_after_their_deadlines() {
        let cal = Calendar::new([]);
        // Filed Monday 16 November: 受理 due 30 November (10 working days), 办结 28 December.
        let c = ComplaintDue {
            id: ComplaintId(7),
            complaint_no: "TS1".into(),
            order_id: OrderId(9),
            insurer_id: OrgId(1),
            agency_id: OrgId(2),
            filed_on: d("2026-11-16"),
            accepted: false,
        };
        let kinds = |today: &str, c: &ComplaintDue| -> Vec<NoticeKind> {
            complaint_reminders(d(today), std::slice::from_ref(c), &cal, now())
                .into_iter()
                .map(|n| n.kind)
                .collect()
        };
        assert_eq!(kinds("2026-11-20", &c), []);
        assert_eq!(kinds("2026-11-26", &c), [NoticeKind::ComplaintReplyDue]);
        assert_eq!(kinds("2026-12-01", &c), [NoticeKind::ComplaintOverdue]);
        let accepted = ComplaintDue {
            accepted: true,
            ..c.clone()
        };
        assert_eq!(kinds("2026-12-01", &accepted), []);
        assert_eq!(
            kinds("2026-12-24", &accepted),
            [
                NoticeKind::ComplaintSettleDue,
                NoticeKind::ComplaintSettleDue
            ]
        );
        assert_eq!(
            kinds("2026-12-29", &accepted),
            [NoticeKind::ComplaintOverdue]
        );
    }

    #[test]
    fn only_agency_staff_are_narrowed_to_their_orders() {
        let actor = |org_kind: OrgKind, data_scope: DataScope| Actor {
            account_id: AccountId(7),
            username: "u".into(),
            name: "n".into(),
            org_id: OrgId(3),
            org_name: "o".into(),
            org_kind,
            permissions: Default::default(),
            data_scope,
            is_org_admin: false,
            ip: String::new(),
        };
        assert!(Viewer::of(&actor(OrgKind::Agency, DataScope::Own)).own_orders_only);
        assert!(!Viewer::of(&actor(OrgKind::Agency, DataScope::Organization)).own_orders_only);
        assert!(!Viewer::of(&actor(OrgKind::Insurer, DataScope::Own)).own_orders_only);
        assert_eq!(
            Viewer::of(&actor(OrgKind::Insurer, DataScope::Own)).org,
            OrgId(3)
        );
    }

    #[test]
    fn kinds_round_trip_and_the_filter_ignores_nonsense() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::from_code(k.code()), Some(k));
        }
        let q = NoticeFilter {
            read: "unread".into(),
            kind: "order.designated".into(),
        }
        .query();
        assert_eq!(q.read, Some(false));
        assert_eq!(q.kind, Some(NoticeKind::OrderDesignated));
        assert_eq!(
            NoticeFilter {
                read: "x".into(),
                kind: "<script>".into()
            }
            .query(),
            NoticeQuery::default()
        );
    }
}
