use anze_core::auth::{Permission, require};
use anze_core::ids::PolicyId;
use anze_core::order::{self, DesignateForm, ServiceOrder};
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::policy::{self, Policy, PolicyFilter, PolicyForm, PolicyStatus};
use anze_core::service_item::ServiceItem;
use anze_core::time::today;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/policies";

#[derive(Template)]
#[template(path = "policy/list.html")]
struct ListPage {
    shell: Shell,
    filter: PolicyFilter,
    page: Page<Policy>,
    pager: Pager,
    today: NaiveDate,
    statuses: Vec<PolicyStatus>,
    /// Platform and regulators see several insurers and can filter by one.
    insurers: Vec<Organization>,
    can_create: bool,
    can_import: bool,
    export_query: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<PolicyFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page =
        policy::service::list(state.store(), &ctx.actor, &filter, pp.request(), ctx.now).await?;
    let insurers = anze_core::org::service::filter_choices(state.store(), &ctx.actor)
        .await?
        .insurers;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        today: today(ctx.now),
        statuses: PolicyStatus::ALL.to_vec(),
        insurers,
        can_create: ctx.actor.has(Permission::PolicyCreate),
        can_import: ctx.actor.has(Permission::PolicyImport),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
    })
}

#[derive(Template)]
#[template(path = "policy/form.html")]
struct FormPage {
    shell: Shell,
    policy: Option<Policy>,
    form: PolicyForm,
    errors: FieldErrors,
}

fn form_page(
    ctx: &Ctx,
    policy: Option<Policy>,
    form: PolicyForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            policy,
            form,
            errors,
        },
        status,
    )
}

pub async fn new(ctx: Ctx) -> PageResult<Response> {
    require(&ctx.actor, Permission::PolicyCreate)?;
    let form = PolicyForm {
        prevention_ratio: "15".into(),
        ..PolicyForm::default()
    };
    form_page(&ctx, None, form, FieldErrors::new())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<PolicyForm>,
) -> PageResult<Response> {
    match policy::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(id) => Ok(redirect_with(&format!("/policies/{id}"), Flash::Created)),
        Err(CoreError::Validation(errors)) => form_page(&ctx, None, form, errors),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "policy/show.html")]
struct ShowPage {
    shell: Shell,
    policy: Policy,
    status: PolicyStatus,
    orders: Vec<ServiceOrder>,
    can_edit: bool,
    can_designate: bool,
    can_archive: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    let policy = policy::service::get(state.store(), &ctx.actor, id).await?;
    let orders = order::service::of_policy(state.store(), &ctx.actor, id).await?;
    let can_designate = policy::service::can_designate(&ctx.actor, &policy, &orders, ctx.now);
    render(&ShowPage {
        status: policy.status(today(ctx.now)),
        can_edit: ctx.actor.has(Permission::PolicyEdit),
        can_designate,
        can_archive: policy::archive::may_archive(&ctx.actor),
        shell: ctx.shell(ACTIVE),
        policy,
        orders,
    })
}

/// 服务档案: `GET /policies/{id}/archive.zip`, for the insurer and the regulator.
pub async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    let archive = policy::archive::collect(state.store(), &ctx.actor, id, ctx.now).await?;
    let documents = archive_documents(&state, &ctx, &archive).await?;
    let file = crate::archive::write(&archive, documents, state.blobs()).await?;
    let no = &archive.policy.policy_no;
    let stamp = today(ctx.now).format("%Y%m%d");
    Ok(crate::xlsx::download_file_as(
        file,
        "application/zip",
        &format!(
            "archive-{}-{stamp}.zip",
            policy::archive::safe_name(no)
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
        ),
        &format!("服务档案-{}-{stamp}.zip", policy::archive::safe_name(no)),
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    require(&ctx.actor, Permission::PolicyEdit)?;
    let policy = policy::service::get(state.store(), &ctx.actor, id).await?;
    let form = PolicyForm::from_policy(&policy);
    form_page(&ctx, Some(policy), form, FieldErrors::new())
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<PolicyForm>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    match policy::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(&format!("/policies/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let policy = policy::service::get(state.store(), &ctx.actor, id).await?;
            form_page(&ctx, Some(policy), form, errors)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "policy/designate.html")]
struct DesignatePage {
    shell: Shell,
    policy: Policy,
    agencies: Vec<Organization>,
    form: DesignateForm,
    errors: FieldErrors,
    items: Vec<ServiceItem>,
}

async fn designate_page(
    state: &AppState,
    ctx: &Ctx,
    policy: Policy,
    form: DesignateForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &DesignatePage {
            shell: ctx.shell(ACTIVE),
            agencies: order::service::agencies(state.store(), &ctx.actor).await?,
            policy,
            form,
            errors,
            items: ServiceItem::ALL.to_vec(),
        },
        status,
    )
}

/// 指定服务机构
pub async fn designate_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    require(&ctx.actor, Permission::OrderDesignate)?;
    let policy = policy::service::get(state.store(), &ctx.actor, id).await?;
    let form = DesignateForm::suggested(policy.start_date, policy.end_date);
    designate_page(&state, &ctx, policy, form, FieldErrors::new()).await
}

pub async fn designate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DesignateForm>,
) -> PageResult<Response> {
    let id: PolicyId = parse_id(&id)?;
    match order::service::designate(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(order) => Ok(redirect_with(&format!("/orders/{order}"), Flash::Created)),
        Err(CoreError::Validation(errors)) => {
            let policy = policy::service::get(state.store(), &ctx.actor, id).await?;
            designate_page(&state, &ctx, policy, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The documents of an archive: each order's 服务报告 and each inspection's 整改通知书, as PDF;
/// none when the server has no CJK font (说明.txt then says so).
async fn archive_documents(
    state: &AppState,
    ctx: &Ctx,
    archive: &policy::archive::PolicyArchive,
) -> PageResult<Option<Vec<crate::archive::Document>>> {
    use super::documents;
    if !state.pdf.available() {
        return Ok(None);
    }
    let mut out = Vec::new();
    let pdf = |doc, photos| async move {
        match state.pdf.press().await {
            Some(press) => documents::make(press, doc, photos).await.map(Some),
            None => Ok(None),
        }
    };
    for o in &archive.orders {
        let folder = policy::archive::safe_name(&o.order.order_no);
        let r = anze_core::report::service::order_report(
            state.store(),
            &ctx.actor,
            o.order.id,
            ctx.now,
        )
        .await?;
        let (doc, photos) = documents::report(state.blobs(), &r).await;
        if let Some(bytes) = pdf(doc, photos).await? {
            out.push(crate::archive::Document {
                path: format!("{folder}/服务报告-{folder}.pdf"),
                bytes,
            });
        }
        let inspections = o
            .records
            .iter()
            .filter(|(r, _)| o.hazards.iter().any(|(h, _)| h.inspection_id == r.id));
        for (inspection, _) in inspections {
            let (doc, photos, name) =
                super::hazards::notice_document(state, &ctx.actor, inspection.id, ctx.now).await?;
            if let Some(bytes) = pdf(doc, photos).await? {
                out.push(crate::archive::Document {
                    path: format!("{folder}/{}", policy::archive::safe_name(&name)),
                    bytes,
                });
            }
        }
    }
    Ok(Some(out))
}
