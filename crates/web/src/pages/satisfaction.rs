//! 回访与满意度: the enterprise's rating of a completed order, the insurer's 电话回访, and the
//! agencies' scores per period for insurers and regulators.

use anze_core::ids::OrderId;
use anze_core::order::ServiceOrder;
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::satisfaction::{
    self, AgencyScore, Rating, RatingForm, RatingSource, SatisfactionFilter,
};
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

pub const LIST_PATH: &str = "/satisfaction";

#[derive(Template)]
#[template(path = "satisfaction/form.html")]
struct FormPage {
    shell: Shell,
    order: ServiceOrder,
    source: RatingSource,
    items: Vec<ServiceItem>,
    form: RatingForm,
    errors: FieldErrors,
}

impl FormPage {
    fn action(&self) -> String {
        format!("/orders/{}/{}", self.order.id, path_of(self.source))
    }

    fn field(&self, item: &ServiceItem) -> &'static str {
        satisfaction::item_field(*item)
    }
}

fn path_of(source: RatingSource) -> &'static str {
    match source {
        RatingSource::Enterprise => "rating",
        RatingSource::Phone => "followup",
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    id: OrderId,
    source: RatingSource,
    form: RatingForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let order = anze_core::order::service::get(state.store(), &ctx.actor, id).await?;
    let ratings = satisfaction::service::of_order(state.store(), &order).await?;
    let allowed = match source {
        RatingSource::Enterprise => satisfaction::service::can_rate(&ctx.actor, &order, &ratings),
        RatingSource::Phone => satisfaction::service::can_call(&ctx.actor, &order),
    };
    if !allowed {
        return Err(CoreError::Forbidden.into());
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &FormPage {
            shell: ctx.shell("/orders"),
            items: satisfaction::service::items_to_rate(&order),
            order,
            source,
            form,
            errors,
        },
        status,
    )
}

async fn submit(
    state: &AppState,
    ctx: &Ctx,
    id: OrderId,
    source: RatingSource,
    pairs: Vec<(String, String)>,
) -> PageResult<Response> {
    let form = RatingForm::from_pairs(&pairs);
    match satisfaction::service::rate(state.store(), &ctx.actor, id, source, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(
            &format!("/orders/{id}#satisfaction"),
            Flash::Saved,
        )),
        Err(CoreError::Validation(errors)) => form_page(state, ctx, id, source, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// 评价服务 (the enterprise), once its order is completed.
pub async fn rating_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    form_page(
        &state,
        &ctx,
        id,
        RatingSource::Enterprise,
        RatingForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    submit(&state, &ctx, id, RatingSource::Enterprise, pairs).await
}

/// 电话回访 (the insurer that designated the order).
pub async fn followup_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let form = RatingForm {
        called_at: ctx
            .now
            .with_timezone(&anze_core::time::china())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        ..RatingForm::default()
    };
    form_page(
        &state,
        &ctx,
        id,
        RatingSource::Phone,
        form,
        FieldErrors::new(),
    )
    .await
}

pub async fn followup(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(pairs): FormData<Vec<(String, String)>>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    submit(&state, &ctx, id, RatingSource::Phone, pairs).await
}

#[derive(Template)]
#[template(path = "satisfaction/list.html")]
struct ListPage {
    shell: Shell,
    filter: SatisfactionFilter,
    /// The period shown, `2026-10-01 至 2026-11-30`.
    period: String,
    scores: Vec<AgencyScore>,
    items: [ServiceItem; 7],
    page: Page<Rating>,
    pager: Pager,
    agencies: Vec<Organization>,
    sources: [RatingSource; 2],
    export_query: String,
}

/// 满意度: each agency's score over the period, and the ratings behind it.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<SatisfactionFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let scores = satisfaction::service::scores(state.store(), &ctx.actor, &filter, ctx.now).await?;
    let page =
        satisfaction::service::list(state.store(), &ctx.actor, &filter, pp.request(), ctx.now)
            .await?;
    let q = filter.query(anze_core::time::today(ctx.now))?;
    let agencies = anze_core::org::service::filter_choices(state.store(), &ctx.actor)
        .await?
        .agencies;
    render(&ListPage {
        period: format!("{} 至 {}", q.from, q.to),
        pager: Pager::new(&page, ctx.uri.query()),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(LIST_PATH),
        items: ServiceItem::ALL,
        sources: RatingSource::ALL,
        agencies,
        filter,
        scores,
        page,
    })
}
