use chrono::{DateTime, NaiveDate, Utc};

use super::{NewPolicy, Policy, PolicyFilter, PolicyForm, parse_form};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::enterprise::Enterprise;
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::PolicyId;
use crate::page::{Page, PageRequest};
use crate::scope::{self, Scope};
use crate::store::Store;
use crate::time::today;

impl Scope {
    pub fn allows_policy(&self, p: &Policy) -> bool {
        match self {
            Scope::All => true,
            Scope::Insurer(o) => p.insurer_id == *o,
            Scope::Regions(r) => r.contains(&p.region_code),
            Scope::Enterprise(o) => p.enterprise_id == *o,
            // Agencies see policy terms through the orders designated to them.
            Scope::Agency { .. } => false,
        }
    }
}

pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &PolicyFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> CoreResult<Page<Policy>> {
    require(actor, Permission::PolicyView)?;
    let scope = scope::of(store, actor).await?;
    let query = filter.query(today(now))?;
    store.list_policies(&scope, &query, page).await
}

pub async fn get(store: &dyn Store, actor: &Actor, id: PolicyId) -> CoreResult<Policy> {
    require(actor, Permission::PolicyView)?;
    load_scoped(store, actor, id).await
}

async fn load_scoped(store: &dyn Store, actor: &Actor, id: PolicyId) -> CoreResult<Policy> {
    let scope = scope::of(store, actor).await?;
    match store.get_policy(id).await? {
        Some(p) if scope.allows_policy(&p) => Ok(p),
        _ => Err(CoreError::NotFound),
    }
}

async fn enterprise_by_code(store: &dyn Store, code: &str) -> CoreResult<Enterprise> {
    store
        .find_enterprise_by_credit_code(code.trim().to_ascii_uppercase().as_str())
        .await?
        .ok_or_else(|| {
            field_error(
                "enterprise_credit_code",
                "未找到该统一社会信用代码的投保企业,请先在“投保企业”中登记",
            )
        })
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &PolicyForm,
    now: DateTime<Utc>,
) -> CoreResult<PolicyId> {
    require(actor, Permission::PolicyCreate)?;
    let terms = parse_form(form)?;
    let enterprise = enterprise_by_code(store, &form.enterprise_credit_code).await?;
    if store
        .policy_no_taken(actor.org_id, &terms.policy_no, None)
        .await?
    {
        return Err(field_error("policy_no", "本机构已登记该保单号"));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Policy,
        None,
        &terms.policy_no,
        format!(
            "投保企业: {};保险期间: {} 至 {};保费: {}",
            enterprise.name, terms.start_date, terms.end_date, terms.premium
        ),
    );
    let policy = NewPolicy {
        insurer_id: actor.org_id,
        enterprise_id: enterprise.id,
        region_code: enterprise.region_code,
        terms,
    };
    store
        .create_policy(&policy, &audit)
        .await
        .map_err(|e| e.on_duplicate("policy_no", "本机构已登记该保单号"))
}

pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: PolicyId,
    form: &PolicyForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::PolicyEdit)?;
    let before = load_scoped(store, actor, id).await?;
    let terms = parse_form(form)?;
    let enterprise = enterprise_by_code(store, &form.enterprise_credit_code).await?;
    if store
        .policy_no_taken(before.insurer_id, &terms.policy_no, Some(id))
        .await?
    {
        return Err(field_error("policy_no", "本机构已登记该保单号"));
    }
    // Live orders must keep their service period inside the policy period.
    for order in store.orders_of_policy(id).await? {
        if order.state.is_live()
            && (order.service_start < terms.start_date || order.service_end > terms.end_date)
        {
            return Err(field_error(
                "end_date",
                format!(
                    "服务订单 {} 的服务期限 {} 至 {} 须在保险期间内",
                    order.order_no, order.service_start, order.service_end
                ),
            ));
        }
    }
    let mut summary = terms.diff(&before);
    if enterprise.id != before.enterprise_id {
        summary = format!(
            "投保企业: {} → {};{summary}",
            before.enterprise_name, enterprise.name
        );
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Policy,
        Some(id.0),
        &before.policy_no,
        summary,
    );
    store
        .update_policy(id, enterprise.id, &enterprise.region_code, &terms, &audit)
        .await
        .map_err(|e| e.on_duplicate("policy_no", "本机构已登记该保单号"))
}

/// Whether today falls inside the policy period; designation needs a policy not yet expired.
/// Whether the actor may designate an agency for this policy now: an insurer's live policy with
/// no order binding it (待受理 or 已受理).
pub fn can_designate(
    actor: &Actor,
    policy: &Policy,
    orders: &[crate::order::ServiceOrder],
    now: DateTime<Utc>,
) -> bool {
    actor.has(Permission::OrderDesignate)
        && !expired(policy, now)
        && !orders.iter().any(|o| o.state.is_live())
}

pub fn expired(policy: &Policy, now: DateTime<Utc>) -> bool {
    let t: NaiveDate = today(now);
    t > policy.end_date
}
