use chrono::{DateTime, Utc};

use super::{
    DesignateForm, NewOrder, OrderAction, OrderFilter, OrderQuery, OrderState, ServiceOrder,
    Transition, order_number, parse_designation,
};
use crate::account::AccountRef;
use crate::audit::{AuditAction, AuditEvent, AuditRecord, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::field;
use crate::ids::{AccountId, OrderId, PolicyId};
use crate::notify::{NewNotice, NoticeKind};
use crate::org::{OrgKind, Organization};
use crate::page::{Page, PageRequest};
use crate::scope::{self, Scope};
use crate::store::Store;

impl Scope {
    pub fn allows_order(&self, o: &ServiceOrder) -> bool {
        match self {
            Scope::All => true,
            Scope::Insurer(org) => o.insurer_id == *org,
            Scope::Agency { org, assignee } => {
                o.agency_id == *org && assignee.is_none_or(|a| o.is_assigned_to(a))
            }
            Scope::Regions(r) => r.contains(&o.region_code),
            Scope::Enterprise(org) => o.enterprise_id == *org,
        }
    }
}

/// What an actor may do now to an order it can see. Pages show exactly these actions; the
/// operations below check the same permission and state, so a stale page changes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrderActions {
    /// 受理 / 拒绝
    pub accept: bool,
    /// 撤销
    pub cancel: bool,
    /// 完成订单
    pub complete: bool,
    /// 指派负责人员
    pub assign: bool,
    /// The per-item record pages of the order (its row links).
    pub records: bool,
}

pub fn actions(actor: &Actor, order: &ServiceOrder) -> OrderActions {
    let may =
        |p: Permission, action: OrderAction| actor.has(p) && order.state.apply(action).is_ok();
    OrderActions {
        accept: may(Permission::OrderAccept, OrderAction::Accept),
        cancel: may(Permission::OrderDesignate, OrderAction::Cancel),
        complete: may(Permission::OrderComplete, OrderAction::Complete),
        assign: actor.has(Permission::OrderAssign) && order.state.is_live(),
        records: order.state.takes_records(),
    }
}

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &OrderFilter,
    page: PageRequest,
) -> CoreResult<Page<ServiceOrder>> {
    require(actor, Permission::OrderView)?;
    let scope = scope::of(store, actor).await?;
    let query = OrderQuery {
        regions: crate::region::filter(store, &filter.region).await?,
        ..filter.query()?
    };
    store.list_orders(&scope, &query, page).await
}

/// The number on the 服务订单 menu badge: orders waiting for this agency's 受理.
pub async fn pending_count(store: &dyn Store, actor: &Actor) -> CoreResult<u64> {
    if actor.org_kind != OrgKind::Agency || !actor.has(Permission::OrderView) {
        return Ok(0);
    }
    let scope = scope::of(store, actor).await?;
    store
        .count_orders(&scope, OrderState::Pending, crate::page::BADGE_CAP)
        .await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: OrderId) -> CoreResult<ServiceOrder> {
    require(actor, Permission::OrderView)?;
    let scope = scope::of(store, actor).await?;
    match store.get_order(id).await? {
        Some(o) if scope.allows_order(&o) => Ok(o),
        _ => Err(CoreError::NotFound),
    }
}

/// The order's 操作记录, for an order the caller has just read (`get`, `context`): checked
/// against the caller's scope again rather than read again.
pub async fn timeline(
    store: &dyn Store,
    actor: &Actor,
    order: &ServiceOrder,
) -> CoreResult<Vec<AuditRecord>> {
    require(actor, Permission::OrderView)?;
    if !scope::of(store, actor).await?.allows_order(order) {
        return Err(CoreError::NotFound);
    }
    store.order_timeline(order.id).await
}

/// The orders of a policy, for the policy page.
pub async fn of_policy(
    store: &dyn Store,
    actor: &Actor,
    policy: PolicyId,
) -> CoreResult<Vec<ServiceOrder>> {
    crate::policy::service::get(store, actor, policy).await?;
    store.orders_of_policy(policy).await
}

/// Agencies an insurer can designate: enabled 技术服务机构 only.
pub async fn agencies(store: &dyn Store, actor: &Actor) -> CoreResult<Vec<Organization>> {
    require(actor, Permission::OrderDesignate)?;
    store.org_options(Some(&[OrgKind::Agency])).await
}

/// 指定服务机构: creates a 待受理 order for the policy.
pub async fn designate(
    store: &dyn Store,
    actor: &Actor,
    policy_id: PolicyId,
    form: &DesignateForm,
    now: DateTime<Utc>,
) -> CoreResult<OrderId> {
    require(actor, Permission::OrderDesignate)?;
    let policy = crate::policy::service::get(store, actor, policy_id).await?;
    if crate::policy::service::expired(&policy, now) {
        return Err(CoreError::Conflict("保单已过期,不能再指定服务机构".into()));
    }
    if let Some(live) = store
        .orders_of_policy(policy_id)
        .await?
        .into_iter()
        .find(|o| o.state.is_live())
    {
        return Err(CoreError::Conflict(format!(
            "该保单已有{}的服务订单 {},请等待处理或先撤销",
            live.state.label(),
            live.order_no
        )));
    }
    let designation = parse_designation(form, policy.start_date, policy.end_date)?;
    let agency = store
        .get_org(designation.agency_id)
        .await?
        .filter(|o| o.kind == OrgKind::Agency && o.enabled)
        .ok_or_else(|| field_error("agency_id", "请选择启用状态的技术服务机构"))?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Designate,
        ObjectKind::Order,
        None,
        &policy.policy_no,
        format!(
            "保单 {} 指定服务机构: {};服务期限: {} 至 {}",
            policy.policy_no, agency.name, designation.service_start, designation.service_end
        ),
    );
    // The new order's id is filled in by the store, in the same transaction.
    let notice = NewNotice::new(
        agency.id,
        NoticeKind::OrderDesignated,
        ObjectKind::Order,
        None,
        None,
        format!(
            "{} 指定贵机构为保单 {}({})提供事故预防服务,服务期限 {} 至 {},请及时受理",
            actor.org_name,
            policy.policy_no,
            policy.enterprise_name,
            designation.service_start,
            designation.service_end
        ),
        now,
    );
    let order = NewOrder {
        policy_id,
        insurer_id: policy.insurer_id,
        enterprise_id: policy.enterprise_id,
        region_code: policy.region_code.clone(),
        designation,
        designated_at: now,
        designated_by: actor.account_id,
    };
    store.create_order(&order, &audit, &[notice]).await
}

async fn transition(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    action: OrderAction,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> CoreResult<ServiceOrder> {
    let order = get(store, actor, id).await?;
    let to = order.state.apply(action).map_err(CoreError::Conflict)?;
    let (audit_action, summary) = match action {
        OrderAction::Accept => (AuditAction::Accept, "同意服务".to_string()),
        OrderAction::Decline => (
            AuditAction::Decline,
            format!("拒绝服务,原因: {}", reason.as_deref().unwrap_or("")),
        ),
        OrderAction::Cancel => (AuditAction::Cancel, "保险机构撤销订单".to_string()),
        OrderAction::Complete => (AuditAction::Complete, "服务完成".to_string()),
    };
    let audit = AuditEvent::new(
        actor,
        now,
        audit_action,
        ObjectKind::Order,
        Some(id.0),
        &order.order_no,
        format!("{summary}(状态: {} → {})", order.state.label(), to.label()),
    );
    let t = Transition {
        from: order.state,
        to,
        at: now,
        by: actor.account_id,
        reason,
    };
    let notices = transition_notices(&order, action, t.reason.as_deref(), now);
    if !store.transition_order(id, &t, &audit, &notices).await? {
        // Someone else moved it first: tell the user where it stands now.
        let current = store.get_order(id).await?.ok_or(CoreError::NotFound)?;
        return Err(CoreError::Conflict(format!(
            "该订单已被他人处理,当前状态为“{}”",
            current.state.label()
        )));
    }
    store.get_order(id).await?.ok_or(CoreError::NotFound)
}

/// The insurer hears of the agency's answer to its designation.
fn transition_notices(
    order: &ServiceOrder,
    action: OrderAction,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<NewNotice> {
    let (kind, text) = match action {
        OrderAction::Accept => (
            NoticeKind::OrderAccepted,
            format!(
                "{} 已受理订单 {}({}),开始提供服务",
                order.agency_name, order.order_no, order.enterprise_name
            ),
        ),
        OrderAction::Decline => (
            NoticeKind::OrderDeclined,
            format!(
                "{} 拒绝了订单 {}({}),原因:{},请重新指定服务机构",
                order.agency_name,
                order.order_no,
                order.enterprise_name,
                reason.unwrap_or("")
            ),
        ),
        OrderAction::Cancel | OrderAction::Complete => return vec![],
    };
    vec![NewNotice::new(
        order.insurer_id,
        kind,
        ObjectKind::Order,
        Some(order.id.0),
        Some(order.id),
        text,
        now,
    )]
}

/// 同意服务
pub async fn accept(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    now: DateTime<Utc>,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::OrderAccept)?;
    transition(store, actor, id, OrderAction::Accept, None, now).await
}

/// 拒绝: the reason is required and shown to the insurer.
pub async fn decline(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    reason: &str,
    now: DateTime<Utc>,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::OrderAccept)?;
    let reason =
        field::text(reason, "拒绝原因", 500, true).map_err(|m| field_error("reason", m))?;
    transition(store, actor, id, OrderAction::Decline, Some(reason), now).await
}

/// 撤销 by the insurer while the agency has not answered.
pub async fn cancel(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    now: DateTime<Utc>,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::OrderDesignate)?;
    transition(store, actor, id, OrderAction::Cancel, None, now).await
}

/// The agency marks the service finished; the insurer sees it.
pub async fn complete(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    now: DateTime<Utc>,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::OrderComplete)?;
    transition(store, actor, id, OrderAction::Complete, None, now).await
}

/// Live accounts of the order's agency, to choose 负责人员 from.
pub async fn assignable_staff(
    store: &dyn Store,
    actor: &Actor,
    order: &ServiceOrder,
) -> CoreResult<Vec<AccountRef>> {
    require(actor, Permission::OrderAssign)?;
    store.account_options(order.agency_id, true, 500).await
}

/// 指派负责人员: staff of the agency only.
pub async fn assign(
    store: &dyn Store,
    actor: &Actor,
    id: OrderId,
    raw_ids: &[String],
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::OrderAssign)?;
    let order = get(store, actor, id).await?;
    if !order.state.is_live() {
        return Err(CoreError::Conflict(format!(
            "订单状态为“{}”,不能再指派负责人员",
            order.state.label()
        )));
    }
    let mut ids = Vec::new();
    for raw in raw_ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let id: AccountId = raw
            .parse()
            .map_err(|_| field_error("account_ids", "负责人员选择无效"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut names = Vec::new();
    for account_id in &ids {
        match store.get_account(*account_id).await? {
            Some(a) if a.org_id == order.agency_id && a.enabled => names.push(a.display()),
            _ => return Err(CoreError::NotFound),
        }
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Assign,
        ObjectKind::Order,
        Some(id.0),
        &order.order_no,
        format!(
            "负责人员: {} → {}",
            order.assignee_names(),
            if names.is_empty() {
                "未指派".into()
            } else {
                names.join("、")
            }
        ),
    );
    store.set_assignees(id, &ids, &audit).await
}

/// Exposed for the store: the number an order gets once its id is known.
pub fn number_for(at: DateTime<Utc>, id: OrderId) -> String {
    order_number(at, id)
}

/// An order with the policy and enterprise it serves. Whoever may see the order may see these:
/// the agency learns the policy terms through the order designated to it.
pub struct OrderContext {
    pub order: ServiceOrder,
    pub policy: crate::policy::Policy,
    pub enterprise: crate::enterprise::Enterprise,
}

pub async fn context(store: &dyn Store, actor: &Actor, id: OrderId) -> CoreResult<OrderContext> {
    let order = get(store, actor, id).await?;
    let policy = store
        .get_policy(order.policy_id)
        .await?
        .ok_or_else(|| CoreError::Internal(format!("order {id} lost its policy")))?;
    let enterprise = store
        .get_enterprise(order.enterprise_id)
        .await?
        .ok_or_else(|| CoreError::Internal(format!("order {id} lost its enterprise")))?;
    Ok(OrderContext {
        order,
        policy,
        enterprise,
    })
}
