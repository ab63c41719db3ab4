//! 服务投诉: the list, 登记投诉 from an order or a record, the detail with its history and the
//! insurer's and agency's steps.

use anze_core::FieldErrors;
use anze_core::attachment::FileRule;
use anze_core::calendar::fallback_notice;
use anze_core::complaint::service::{ComplaintActions, Detail, Listed};
use anze_core::complaint::{
    self, ComplaintAction, ComplaintCategory, ComplaintCounts, ComplaintFilter, ComplaintForm,
    ComplaintState, FILES,
};
use anze_core::ids::{ComplaintId, OrderId};
use anze_core::order::ServiceOrder;
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::record::ServiceRecord;
use anze_core::{CoreError, CoreResult};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::upload::{self, Submitted};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

pub const LIST_PATH: &str = "/complaints";

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[derive(Template)]
#[template(path = "complaint/list.html")]
struct ListPage {
    shell: Shell,
    filter: ComplaintFilter,
    page: Page<Listed>,
    counts: ComplaintCounts,
    pager: Pager,
    states: [ComplaintState; 4],
    categories: [ComplaintCategory; 6],
    agencies: Vec<Organization>,
    export_query: String,
    notice: Option<String>,
}

/// 服务投诉: the complaints the caller sees, overdue ones highlighted.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<ComplaintFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let listing =
        complaint::service::list(state.store(), &ctx.actor, &filter, pp.request(), ctx.now).await?;
    let agencies = anze_core::org::service::filter_choices(state.store(), &ctx.actor)
        .await?
        .agencies;
    render(&ListPage {
        pager: Pager::new(&listing.page, ctx.uri.query()),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(LIST_PATH),
        states: ComplaintState::ALL,
        categories: ComplaintCategory::ALL,
        notice: fallback_notice(&listing.missing_years),
        agencies,
        filter,
        page: listing.page,
        counts: listing.counts,
    })
}

#[derive(Template)]
#[template(path = "complaint/form.html")]
struct NewPage {
    shell: Shell,
    order: ServiceOrder,
    record: Option<ServiceRecord>,
    form: ComplaintForm,
    errors: FieldErrors,
    categories: [ComplaintCategory; 6],
    files: FileRule,
    action: String,
    /// The insurer files on the enterprise's behalf.
    on_behalf: bool,
}

fn new_page(
    ctx: &Ctx,
    order: ServiceOrder,
    record: Option<ServiceRecord>,
    form: ComplaintForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = status_of(&errors);
    render_status(
        &NewPage {
            action: ctx.form_action(&format!("/orders/{}/complaints", order.id)),
            shell: ctx.shell(LIST_PATH),
            on_behalf: ctx.actor.org_kind == anze_core::org::OrgKind::Insurer,
            categories: ComplaintCategory::ALL,
            files: FILES,
            order,
            record,
            form,
            errors,
        },
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    record: String,
}

/// The order and, when the form names one, the record complained about.
async fn form_context(
    state: &AppState,
    ctx: &Ctx,
    order: OrderId,
    form: &ComplaintForm,
) -> CoreResult<(ServiceOrder, Option<ServiceRecord>)> {
    let order = complaint::service::authorize_file(state.store(), &ctx.actor, order).await?;
    let record = match form.record_id.trim().parse() {
        // A record of another order is not shown; filing says why.
        Ok(id) => match complaint::service::record_of(state.store(), &order, Some(id)).await {
            Ok(r) => r,
            Err(CoreError::Validation(_)) => None,
            Err(e) => return Err(e),
        },
        Err(_) => None,
    };
    Ok((order, record))
}

/// 登记投诉: `?record=` names the service record complained about.
pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    QueryData(q): QueryData<NewQuery>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let mut form = ComplaintForm {
        record_id: q.record.trim().to_string(),
        ..ComplaintForm::default()
    };
    let (order, record) = form_context(&state, &ctx, id, &form).await?;
    if record.is_none() {
        form.record_id.clear();
    }
    if ctx.actor.org_kind == anze_core::org::OrgKind::Enterprise {
        form.complainant = ctx.actor.name.clone();
    }
    new_page(&ctx, order, record, form, FieldErrors::new())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    // Before a byte of the body is read: a caller who may not file stores nothing.
    complaint::service::authorize_file(state.store(), &ctx.actor, id).await?;
    let submitted = upload::submit(
        multipart,
        &[FILES],
        &state,
        &ctx,
        async |r: &upload::Received| {
            let form: ComplaintForm = upload::form_of(&r.fields)?;
            complaint::service::file(state.store(), &ctx.actor, id, &form, &r.files, ctx.now).await
        },
    )
    .await?;
    match submitted {
        Submitted::Saved(c) => Ok(redirect_with(&format!("/complaints/{c}"), Flash::Created)),
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let ctx = ctx.with_pending(pending);
            let form: ComplaintForm = upload::form_of(&fields).unwrap_or_default();
            let (order, record) = form_context(&state, &ctx, id, &form).await?;
            new_page(&ctx, order, record, form, errors)
        }
    }
}

#[derive(Template)]
#[template(path = "complaint/show.html")]
struct ShowPage {
    shell: Shell,
    d: Detail,
    notice: Option<String>,
    actions: ComplaintActions,
    /// The text of the step form that failed, and which one.
    note: String,
    failed: Option<&'static str>,
    errors: FieldErrors,
}

impl ShowPage {
    /// The text the user typed into the step form `form`, when it failed.
    fn note_of(&self, form: &str) -> &str {
        if self.failed == Some(form) {
            &self.note
        } else {
            ""
        }
    }

    /// The errors of the step form `form`: none unless it is the one that failed.
    fn errors_of(&self, form: &str) -> &FieldErrors {
        static NONE: FieldErrors = FieldErrors(Vec::new());
        if self.failed == Some(form) {
            &self.errors
        } else {
            &NONE
        }
    }
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: ComplaintId,
    failed: Option<(&'static str, String, FieldErrors)>,
) -> PageResult<Response> {
    let d = complaint::service::detail(state.store(), &ctx.actor, id, ctx.now).await?;
    let (failed, note, errors) = match failed {
        Some((form, note, errors)) => (Some(form), note, errors),
        None => (None, String::new(), FieldErrors::new()),
    };
    let status = status_of(&errors);
    render_status(
        &ShowPage {
            shell: ctx.shell(LIST_PATH),
            notice: fallback_notice(&d.missing_years),
            actions: d.actions,
            d,
            note,
            failed,
            errors,
        },
        status,
    )
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: ComplaintId = parse_id(&id)?;
    show_page(&state, &ctx, id, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    note: String,
}

/// A step form's answer: back to the complaint, or the page again with the form's errors.
async fn after_step<T>(
    state: &AppState,
    ctx: &Ctx,
    id: ComplaintId,
    form: &'static str,
    note: String,
    result: CoreResult<T>,
) -> PageResult<Response> {
    match result {
        Ok(_) => Ok(redirect_with(&format!("/complaints/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            show_page(state, ctx, id, Some((form, note, errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn handle(
    state: AppState,
    ctx: Ctx,
    id: String,
    action: ComplaintAction,
    form: &'static str,
    note: String,
) -> PageResult<Response> {
    let id: ComplaintId = parse_id(&id)?;
    let result =
        complaint::service::handle(state.store(), &ctx.actor, id, action, &note, ctx.now).await;
    after_step(&state, &ctx, id, form, note, result).await
}

/// 受理 (the insurer)
pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(f): FormData<NoteForm>,
) -> PageResult<Response> {
    handle(state, ctx, id, ComplaintAction::Accept, "accept", f.note).await
}

/// 转入处理 (the insurer)
pub async fn process(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(f): FormData<NoteForm>,
) -> PageResult<Response> {
    handle(state, ctx, id, ComplaintAction::Process, "process", f.note).await
}

/// 办结 with the outcome (the insurer)
pub async fn settle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(f): FormData<NoteForm>,
) -> PageResult<Response> {
    handle(state, ctx, id, ComplaintAction::Settle, "settle", f.note).await
}

/// 答复 (the agency complained about)
pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(f): FormData<NoteForm>,
) -> PageResult<Response> {
    let id: ComplaintId = parse_id(&id)?;
    let result = complaint::service::reply(state.store(), &ctx.actor, id, &f.note, ctx.now).await;
    after_step(&state, &ctx, id, "reply", f.note, result).await
}
