//! 服务记录 pages for the seven record types: per order (seed 图4.1.4–4.1.17) and across orders
//! (seed §4.2, §4.4–§4.8). One set of handlers serves every type; the type's spec drives the form.

use anze_core::account::AccountRef;
use anze_core::auth::Permission;
use anze_core::ids::{OrderId, RecordId};
use anze_core::order::ServiceOrder;
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::record::{self, ItemSpec, RecordFilter, RecordForm, ServiceRecord};
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, CoreResult, FieldErrors};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::accounts::ConfirmPage;
use super::integrity::FlagTags;
use super::orgs::parse_id;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::upload::{self, Submitted};
use crate::view::{Flash, Pager, Shell, record_list_path, redirect_with, render, render_status};
use anze_core::attachment::{Attachment, FileRule};

/// The record type named in a path, or 404.
fn item_of(code: &str) -> PageResult<(ServiceItem, &'static ItemSpec)> {
    let item = ServiceItem::from_code(code).ok_or(PageError::NotFound)?;
    let spec = record::spec_of(item).ok_or(PageError::NotFound)?;
    Ok((item, spec))
}

/// The menu entry a record type's pages sit under: inspections belong to 隐患排查.
fn menu_path(item: ServiceItem) -> &'static str {
    if item == ServiceItem::HazardInvestigation {
        "/hazards"
    } else {
        record_list_path(item)
    }
}

fn order_records_path(order: OrderId, item: ServiceItem) -> String {
    format!("/orders/{order}/{}", item.code())
}

/// Text parts of a multipart form, bounded in count and size.
pub async fn text_parts(mut multipart: Multipart) -> PageResult<Vec<(String, String)>> {
    const MAX_PARTS: usize = 200;
    const MAX_TEXT: usize = 64 * 1024;
    let mut out = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("表单数据无法解析:{e}")))?
    {
        if out.len() >= MAX_PARTS {
            return Err(PageError::BadRequest("表单字段过多".into()));
        }
        let name = field.name().unwrap_or("").to_string();
        if field.file_name().is_some() {
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|e| PageError::BadRequest(format!("表单数据无法解析:{e}")))?;
        if text.len() > MAX_TEXT {
            return Err(PageError::TooLarge);
        }
        out.push((name, text));
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "record/order_list.html")]
struct OrderListPage {
    shell: Shell,
    item: ServiceItem,
    spec: &'static ItemSpec,
    order: ServiceOrder,
    page: Page<ServiceRecord>,
    pager: Pager,
    can_create: bool,
    states: [record::Confirmation; 3],
    confirmation: String,
    tags: FlagTags,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmationParam {
    confirmation: String,
}

/// One order's records of one type, with 新增.
pub async fn order_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    QueryData(pp): QueryData<PageParams>,
    QueryData(filter): QueryData<ConfirmationParam>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let (item, spec) = item_of(&code)?;
    let (order, page) = record::service::list_for_order(
        state.store(),
        &ctx.actor,
        id,
        item,
        record::Confirmation::from_code(filter.confirmation.trim()),
        pp.request(),
    )
    .await?;
    let tags = record_tags(state.store(), &page).await?;
    render(&OrderListPage {
        tags,
        states: record::Confirmation::ALL,
        confirmation: filter.confirmation,
        pager: Pager::new(&page, ctx.uri.query()),
        can_create: record::service::can_create(&ctx.actor, &order),
        shell: ctx.shell("/orders"),
        item,
        spec,
        order,
        page,
    })
}

#[derive(Template)]
#[template(path = "record/form.html")]
struct FormPage {
    shell: Shell,
    item: ServiceItem,
    spec: &'static ItemSpec,
    order: ServiceOrder,
    record: Option<ServiceRecord>,
    form: RecordForm,
    errors: FieldErrors,
    staff: Vec<AccountRef>,
    action: String,
    /// Edit page: the files the record holds, each removable.
    existing: Vec<Attachment>,
}

impl FormPage {
    /// Whether the record holds files of `field` (the edit page lists them above the picker).
    fn has_existing(&self, field: &str) -> bool {
        self.existing.iter().any(|a| a.field == field)
    }
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    order: ServiceOrder,
    item: ServiceItem,
    record: Option<ServiceRecord>,
    form: RecordForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let spec = record::service::spec(item)?;
    let staff = record::service::staff_choices(state.store(), &ctx.actor, &order).await?;
    let existing = match &record {
        Some(r) => record::service::attachments(state.store(), r).await?,
        None => vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // Multipart forms carry the CSRF token in the query string.
    let target = match &record {
        Some(r) => format!("/records/{}", r.id),
        None => order_records_path(order.id, item),
    };
    render_status(
        &FormPage {
            action: ctx.form_action(&target),
            existing,
            shell: ctx.shell("/orders"),
            item,
            spec,
            order,
            record,
            form,
            errors,
            staff,
        },
        status,
    )
}

/// 新增 (seed 图4.1.7 and its siblings).
pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let (item, _) = item_of(&code)?;
    let order = record::service::authorize_create(state.store(), &ctx.actor, id, item).await?;
    let form = RecordForm {
        service_date: anze_core::time::today(ctx.now)
            .min(order.service_end)
            .to_string(),
        staff_ids: vec![ctx.actor.account_id.to_string()],
        ..RecordForm::default()
    };
    form_page(&state, &ctx, order, item, None, form, FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, code)): Path<(String, String)>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: OrderId = parse_id(&id)?;
    let (item, spec) = item_of(&code)?;
    // Before a byte of the body is read: a caller who may not add records stores nothing.
    record::service::authorize_create(state.store(), &ctx.actor, id, item).await?;
    let rules = record::service::form_rules(spec);
    let (store, actor, now) = (state.store(), &ctx.actor, ctx.now);
    let submitted = upload::submit(multipart, &rules, &state, &ctx, async |received| {
        let form = RecordForm::from_pairs(&received.fields);
        record::service::create(store, actor, id, item, &form, &received.files, now).await
    })
    .await?;
    match submitted {
        Submitted::Saved(record) => {
            Ok(redirect_with(&format!("/records/{record}"), Flash::Created))
        }
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let order = anze_core::order::service::get(store, actor, id).await?;
            let ctx = ctx.with_pending(pending);
            let form = RecordForm::from_pairs(&fields);
            form_page(&state, &ctx, order, item, None, form, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "record/show.html")]
struct ShowPage {
    shell: Shell,
    spec: &'static ItemSpec,
    record: ServiceRecord,
    order: ServiceOrder,
    details: Vec<(&'static str, String)>,
    can_change: bool,
    can_delete: bool,
    /// The enterprise may 确认 or 提出异议.
    can_confirm: bool,
    /// The agency may answer the objection.
    can_reply: bool,
    /// 企业签字 files (on-site signatures), oldest first.
    signatures: Vec<Attachment>,
    /// A refused objection or answer, shown under its text box with what was typed.
    errors: FieldErrors,
    reason: String,
    /// Inspections: the hazards found (隐患明细, seed 图4.3.2).
    hazards: Vec<anze_core::hazard::Hazard>,
    is_inspection: bool,
    /// An inspection's checklist results, and whether the caller may mark them.
    checks: Option<(anze_core::checklist::CheckCounts, bool)>,
    can_add_hazard: bool,
    /// Per hazard: the loop step the caller may take (整改 / 复查), if any.
    hazard_steps: Vec<Option<anze_core::hazard::HazardAction>>,
    /// Each upload field with its files.
    files: Vec<(FileRule, Vec<Attachment>)>,
    today: chrono::NaiveDate,
    /// 可疑标记 on the record's photos.
    flags: Vec<super::integrity::FlagRow>,
    /// The enterprise, or its insurer, may complain about this record.
    can_complain: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    show_page(&state, &ctx, id, FieldErrors::new(), String::new()).await
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: RecordId,
    errors: FieldErrors,
    reason: String,
) -> PageResult<Response> {
    let (record, order) = record::service::get(state.store(), &ctx.actor, id).await?;
    let spec = record::service::spec(record.item)?;
    let is_inspection = record.item == ServiceItem::HazardInvestigation;
    let all = record::service::attachments(state.store(), &record).await?;
    let of_field = |field: &str| -> Vec<Attachment> {
        all.iter().filter(|a| a.field == field).cloned().collect()
    };
    let files = spec
        .files
        .iter()
        .map(|rule| (*rule, of_field(rule.field)))
        .collect();
    let hazards = if is_inspection && ctx.actor.has(Permission::HazardView) {
        anze_core::hazard::service::of_inspection(state.store(), &ctx.actor, id, ctx.now)
            .await?
            .2
    } else {
        vec![]
    };
    let checks = if is_inspection {
        let counts =
            anze_core::checklist::service::counts_of(state.store(), &ctx.actor, &record).await?;
        let can_mark = anze_core::checklist::service::can_mark(&ctx.actor, &record, &order);
        Some((counts, can_mark))
    } else {
        None
    };
    let flags = super::integrity::rows_of(
        state.store(),
        &ctx.actor,
        anze_core::attachment::OwnerRef {
            kind: record::owner_kind(record.item),
            id: record.id.0,
        },
    )
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &ShowPage {
            flags,
            files,
            signatures: of_field(record::SIGNATURE.field),
            spec,
            details: spec.describe(&record.details),
            can_change: record::service::can_change(&ctx.actor, &record, &order),
            can_delete: record::service::can_delete(&ctx.actor, &record, &order),
            can_confirm: record::service::can_confirm(&ctx.actor, &record),
            can_complain: anze_core::complaint::service::can_file(&ctx.actor, &order),
            can_reply: record::service::can_reply(&ctx.actor, &record),
            errors,
            reason,
            can_add_hazard: is_inspection
                && anze_core::hazard::service::can_add(&ctx.actor, &order),
            hazard_steps: hazards
                .iter()
                .map(|h| anze_core::hazard::service::next_step(&ctx.actor, h))
                .collect(),
            today: anze_core::time::today(ctx.now),
            is_inspection,
            checks,
            hazards,
            shell: ctx.shell(menu_path(record.item)),
            record,
            order,
        },
        status,
    )
}

/// 确认 (the enterprise).
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    record::service::confirm(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(&format!("/records/{id}"), Flash::Saved))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

/// 提出异议 (the enterprise), with its reason.
pub async fn object(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<ReasonForm>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    match record::service::object(state.store(), &ctx.actor, id, &form.reason, ctx.now).await {
        Ok(()) => Ok(redirect_with(&format!("/records/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            show_page(&state, &ctx, id, errors, form.reason).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 答复异议 (the agency): the enterprise is asked to confirm again.
pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<ReasonForm>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    match record::service::reply(state.store(), &ctx.actor, id, &form.reason, ctx.now).await {
        Ok(()) => Ok(redirect_with(&format!("/records/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            show_page(&state, &ctx, id, errors, form.reason).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "record/confirmations.html")]
struct ConfirmationsPage {
    shell: Shell,
    filter: RecordFilter,
    page: Page<ServiceRecord>,
    pager: Pager,
    items: Vec<ServiceItem>,
    states: [record::Confirmation; 3],
}

/// 服务确认: the enterprise's records, what waits for it first.
pub async fn confirmations(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<RecordFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page =
        record::service::confirmations(state.store(), &ctx.actor, &filter, pp.request()).await?;
    render(&ConfirmationsPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(CONFIRMATIONS_PATH),
        items: record::record_items(),
        states: record::Confirmation::ALL,
        filter,
        page,
    })
}

/// The menu entry of 服务确认.
pub const CONFIRMATIONS_PATH: &str = "/confirmations";

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    let (record, order) = record::service::get(state.store(), &ctx.actor, id).await?;
    if !record::service::can_change(&ctx.actor, &record, &order) {
        return Err(PageError::Forbidden);
    }
    let spec = record::service::spec(record.item)?;
    let form = RecordForm::from_record(&record, spec);
    let item = record.item;
    form_page(
        &state,
        &ctx,
        order,
        item,
        Some(record),
        form,
        FieldErrors::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    // Checked before the body is read; the record's type also decides which upload fields
    // are allowed.
    let (before, _) = record::service::authorize_change(state.store(), &ctx.actor, id).await?;
    let rules = record::service::form_rules(record::service::spec(before.item)?);
    let (store, actor, now) = (state.store(), &ctx.actor, ctx.now);
    let submitted = upload::submit(multipart, &rules, &state, &ctx, async |received| {
        let form = RecordForm::from_pairs(&received.fields);
        let removed: Vec<String> = received
            .fields
            .iter()
            .filter(|(k, _)| k == "remove_attachment")
            .map(|(_, v)| v.clone())
            .collect();
        record::service::update(store, actor, id, &form, &received.files, &removed, now).await
    })
    .await?;
    match submitted {
        Submitted::Saved(keys) => {
            anze_core::attachment::service::remove_blobs(state.blobs(), &keys).await;
            Ok(redirect_with(&format!("/records/{id}"), Flash::Saved))
        }
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let (record, order) = record::service::get(store, actor, id).await?;
            let ctx = ctx.with_pending(pending);
            let item = record.item;
            let form = RecordForm::from_pairs(&fields);
            form_page(&state, &ctx, order, item, Some(record), form, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirmed: String,
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DeleteForm>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    if form.confirmed != "1" {
        let (record, order) = record::service::get(state.store(), &ctx.actor, id).await?;
        if !record::service::can_change(&ctx.actor, &record, &order) {
            return Err(PageError::Forbidden);
        }
        record::service::check_deletable(&record)?;
        return render(&ConfirmPage {
            shell: ctx.shell("/orders"),
            title: "删除服务记录".into(),
            message: format!(
                "确定删除 {} 的{}记录(订单 {})吗?",
                record.service_date,
                record.item.label(),
                record.order_no
            ),
            action: format!("/records/{id}/delete"),
            back: "/orders".into(),
        });
    }
    let (record, keys) = record::service::delete(state.store(), &ctx.actor, id, ctx.now).await?;
    anze_core::attachment::service::remove_blobs(state.blobs(), &keys).await;
    Ok(redirect_with(
        &order_records_path(record.order_id, record.item),
        Flash::Deleted,
    ))
}

#[derive(Template)]
#[template(path = "record/list.html")]
struct ListPage {
    shell: Shell,
    item: ServiceItem,
    spec: &'static ItemSpec,
    filter: RecordFilter,
    page: Page<ServiceRecord>,
    pager: Pager,
    insurers: Vec<Organization>,
    agencies: Vec<Organization>,
    regions: Vec<anze_core::region::Region>,
    staff: Vec<AccountRef>,
    export_query: String,
    states: [record::Confirmation; 3],
    tags: FlagTags,
}

async fn record_tags(
    store: &dyn anze_core::Store,
    page: &Page<ServiceRecord>,
) -> CoreResult<FlagTags> {
    let ids: Vec<i64> = page.items.iter().map(|r| r.id.0).collect();
    FlagTags::load(store, false, &ids).await
}

/// The cross-order list of one record type (seed §4.2, §4.4–§4.8).
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    QueryData(filter): QueryData<RecordFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let (item, spec) = item_of(&code)?;
    let page =
        record::service::list(state.store(), &ctx.actor, item, &filter, pp.request()).await?;
    let choices = anze_core::org::service::filter_choices(state.store(), &ctx.actor).await?;
    let staff = record::service::staff_filter_choices(state.store(), &ctx.actor).await?;
    let tags = record_tags(state.store(), &page).await?;
    render(&ListPage {
        tags,
        states: record::Confirmation::ALL,
        pager: Pager::new(&page, ctx.uri.query()),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(menu_path(item)),
        item,
        spec,
        filter,
        page,
        insurers: choices.insurers,
        agencies: choices.agencies,
        regions: choices.regions,
        staff,
    })
}
