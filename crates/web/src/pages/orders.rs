use anze_core::account::AccountRef;
use anze_core::audit::AuditRecord;
use anze_core::auth::{Permission, require};
use anze_core::ids::OrderId;
use anze_core::order::service::{OrderActions, OrderContext};
use anze_core::order::{self, OrderFilter, OrderState, ServiceOrder};
use anze_core::org::{OrgKind, Organization};
use anze_core::page::Page;
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/orders";

/// A service-item link on an order row; present only for items whose pages exist.
pub struct ItemLink {
    pub label: &'static str,
    pub href: String,
}

/// The seven service items of an order row (seed 图4.1.3), each to its per-order page.
pub fn item_links(order: &ServiceOrder) -> Vec<ItemLink> {
    ServiceItem::ALL
        .into_iter()
        .filter(|item| anze_core::record::spec_of(*item).is_some())
        .map(|item| ItemLink {
            label: item.row_link_label(),
            href: format!("/orders/{}/{}", order.id, item.code()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "order/list.html")]
struct ListPage {
    shell: Shell,
    filter: OrderFilter,
    page: Page<ServiceOrder>,
    links: Vec<Vec<ItemLink>>,
    /// Per row: what the caller may do to that order.
    actions: Vec<OrderActions>,
    pager: Pager,
    states: Vec<OrderState>,
    insurers: Vec<Organization>,
    agencies: Vec<Organization>,
    regions: Vec<anze_core::region::Region>,
    is_agency: bool,
    export_query: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<OrderFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = order::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let kind = ctx.actor.org_kind;
    let choices = anze_core::org::service::filter_choices(state.store(), &ctx.actor).await?;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        links: page.items.iter().map(item_links).collect(),
        actions: page
            .items
            .iter()
            .map(|o| order::service::actions(&ctx.actor, o))
            .collect(),
        states: OrderState::ALL.to_vec(),
        insurers: choices.insurers,
        agencies: choices.agencies,
        regions: choices.regions,
        is_agency: kind == OrgKind::Agency,
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
    })
}

#[derive(Template)]
#[template(path = "order/show.html")]
struct ShowPage {
    shell: Shell,
    c: OrderContext,
    timeline: Vec<AuditRecord>,
    staff: Vec<AccountRef>,
    links: Vec<ItemLink>,
    actions: OrderActions,
    errors: FieldErrors,
    hazards: Option<anze_core::hazard::HazardCounts>,
    ratings: Vec<anze_core::satisfaction::Rating>,
    can_rate: bool,
    can_call: bool,
    /// 投诉: the enterprise, or its insurer on its behalf.
    can_complain: bool,
    /// The link to the order's complaints.
    sees_complaints: bool,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: OrderId,
    errors: FieldErrors,
) -> PageResult<Response> {
    let c = order::service::context(state.store(), &ctx.actor, id).await?;
    let timeline = order::service::timeline(state.store(), &ctx.actor, &c.order).await?;
    let hazards =
        anze_core::hazard::service::counts_of_order(state.store(), &ctx.actor, &c.order, ctx.now)
            .await?;
    let actions = order::service::actions(&ctx.actor, &c.order);
    let ratings = anze_core::satisfaction::service::of_order(state.store(), &c.order).await?;
    let can_rate = anze_core::satisfaction::service::can_rate(&ctx.actor, &c.order, &ratings);
    let can_call = anze_core::satisfaction::service::can_call(&ctx.actor, &c.order);
    let staff = if actions.assign {
        order::service::assignable_staff(state.store(), &ctx.actor, &c.order).await?
    } else {
        vec![]
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &ShowPage {
            shell: ctx.shell(ACTIVE),
            links: if actions.records {
                item_links(&c.order)
            } else {
                vec![]
            },
            can_complain: anze_core::complaint::service::can_file(&ctx.actor, &c.order),
            sees_complaints: ctx.actor.has(Permission::ComplaintView),
            actions,
            staff,
            timeline,
            errors,
            hazards,
            ratings,
            can_rate,
            can_call,
            c,
        },
        status,
    )
}

/// 订单详情: parties, plan and progress, 负责人员 and the timeline.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    show_page(&state, &ctx, id, FieldErrors::new()).await
}

#[derive(Template)]
#[template(path = "order/accept.html")]
struct AcceptPage {
    shell: Shell,
    actions: OrderActions,
    c: OrderContext,
    reason: String,
    errors: FieldErrors,
}

/// 受理 page (seed 图4.1.2).
pub async fn accept_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    require(&ctx.actor, Permission::OrderAccept)?;
    let c = order::service::context(state.store(), &ctx.actor, id).await?;
    render(&AcceptPage {
        shell: ctx.shell(ACTIVE),
        actions: order::service::actions(&ctx.actor, &c.order),
        c,
        reason: String::new(),
        errors: FieldErrors::new(),
    })
}

/// 同意服务
pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    order::service::accept(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(&format!("/orders/{id}"), Flash::Accepted))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclineForm {
    reason: String,
}

/// 拒绝, with the reason the insurer will read.
pub async fn decline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DeclineForm>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    match order::service::decline(state.store(), &ctx.actor, id, &form.reason, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Declined)),
        Err(CoreError::Validation(errors)) => {
            let c = order::service::context(state.store(), &ctx.actor, id).await?;
            render_status(
                &AcceptPage {
                    shell: ctx.shell(ACTIVE),
                    actions: order::service::actions(&ctx.actor, &c.order),
                    c,
                    reason: form.reason,
                    errors,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// 撤销 by the insurer.
pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    order::service::cancel(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(&format!("/orders/{id}"), Flash::Cancelled))
}

/// 完成 by the agency.
pub async fn complete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    order::service::complete(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(&format!("/orders/{id}"), Flash::Completed))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    account_ids: Vec<String>,
}

/// 指派负责人员
pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<AssignForm>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    match order::service::assign(state.store(), &ctx.actor, id, &form.account_ids, ctx.now).await {
        Ok(()) => Ok(redirect_with(&format!("/orders/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => show_page(&state, &ctx, id, errors).await,
        Err(e) => Err(e.into()),
    }
}
