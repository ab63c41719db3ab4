//! 隐患排查 (seed §4.3): the hazard ledger, 新增隐患, 整改, 复查 and the 整改通知书.

use anze_core::account::Account;
use anze_core::auth::Permission;
use anze_core::hazard::{
    self, CATEGORIES, Hazard, HazardAction, HazardCounts, HazardFilter, HazardForm, HazardLevel,
    HazardState, NoticeReceipt, Rectifier, RectifyForm, ReviewForm,
};
use anze_core::ids::{HazardId, RecordId};
use anze_core::order::ServiceOrder;
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::record::{Choice, ServiceRecord};
use anze_core::region::Region;
use anze_core::time::today;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;

use super::documents;
use super::orgs::parse_id;
use super::records::text_parts;
use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, PageParams, QueryData};
use crate::upload::{self, Submitted};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};
use anze_core::attachment::{Attachment, FileRule};
use anze_core::hazard::{AFTER_PHOTOS, BEFORE_PHOTOS, NOTICE_SIGNATURE, PLAN};

const ACTIVE: &str = "/hazards";

#[derive(Template)]
#[template(path = "hazard/list.html")]
struct LedgerPage {
    shell: Shell,
    filter: HazardFilter,
    page: Page<Hazard>,
    counts: HazardCounts,
    pager: Pager,
    today: NaiveDate,
    states: Vec<HazardState>,
    levels: Vec<HazardLevel>,
    insurers: Vec<Organization>,
    agencies: Vec<Organization>,
    regions: Vec<Region>,
    export_query: String,
    /// Per row: the loop step the caller may take (整改 / 复查), if any.
    steps: Vec<Option<HazardAction>>,
    tags: super::integrity::FlagTags,
}

/// 隐患台账
pub async fn ledger(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<HazardFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let (page, counts) =
        hazard::service::list(state.store(), &ctx.actor, &filter, pp.request(), ctx.now).await?;
    let choices = anze_core::org::service::filter_choices(state.store(), &ctx.actor).await?;
    let (insurers, agencies, regions) = (choices.insurers, choices.agencies, choices.regions);
    let ids: Vec<i64> = page.items.iter().map(|h| h.id.0).collect();
    let tags = super::integrity::FlagTags::load(state.store(), true, &ids).await?;
    render(&LedgerPage {
        tags,
        pager: Pager::new(&page, ctx.uri.query()),
        today: today(ctx.now),
        states: HazardState::ALL.to_vec(),
        levels: HazardLevel::ALL.to_vec(),
        regions,
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        steps: page
            .items
            .iter()
            .map(|h| hazard::service::next_step(&ctx.actor, h))
            .collect(),
        shell: ctx.shell(ACTIVE),
        insurers,
        agencies,
        filter,
        page,
        counts,
    })
}

#[derive(Template)]
#[template(path = "hazard/form.html")]
struct NewPage {
    shell: Shell,
    inspection: ServiceRecord,
    order: ServiceOrder,
    form: HazardForm,
    errors: FieldErrors,
    categories: &'static [Choice],
    levels: Vec<HazardLevel>,
    action: String,
}

fn new_page(
    ctx: &Ctx,
    inspection: ServiceRecord,
    order: ServiceOrder,
    form: HazardForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &NewPage {
            action: ctx.form_action(&format!("/records/{}/hazards", inspection.id)),
            shell: ctx.shell(ACTIVE),
            inspection,
            order,
            form,
            errors,
            categories: CATEGORIES,
            levels: HazardLevel::ALL.to_vec(),
        },
        status,
    )
}

/// 新增隐患 (seed 图4.3.3)
/// `?check=` on 新增隐患: the 不符合 checklist item the hazard is registered from.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct FromCheck {
    pub check: String,
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    QueryData(from): QueryData<FromCheck>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    anze_core::auth::require(&ctx.actor, Permission::HazardWrite)?;
    let (inspection, order, _) =
        hazard::service::of_inspection(state.store(), &ctx.actor, id, ctx.now).await?;
    if !hazard::service::can_add(&ctx.actor, &order) {
        return Err(PageError::Conflict(format!(
            "订单状态为“{}”,不能再新增隐患",
            order.state.label()
        )));
    }
    let mut form = HazardForm {
        deadline: (inspection.service_date + chrono::Duration::days(30)).to_string(),
        ..HazardForm::default()
    };
    // Pre-filled from the failed item; the inspector edits what he saw on site.
    if let Some(c) =
        anze_core::checklist::service::failed_check(state.store(), &inspection, &from.check).await?
    {
        form.description = if c.note.is_empty() {
            c.content.clone()
        } else {
            format!("{}\n现场情况:{}", c.content, c.note)
        };
        form.basis = c.basis.clone();
        form.level = c.level.code().into();
        form.category = c.category.clone();
        form.check = c.id.to_string();
    }
    new_page(&ctx, inspection, order, form, FieldErrors::new())
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    // Before a byte of the body is read: a caller who may not add hazards stores nothing.
    hazard::service::authorize_create(state.store(), &ctx.actor, id).await?;
    let rules = [BEFORE_PHOTOS, AFTER_PHOTOS, PLAN];
    let submitted = upload::submit(
        multipart,
        &rules,
        &state,
        &ctx,
        async |r: &upload::Received| {
            let form: HazardForm = upload::form_of(&r.fields)?;
            let h =
                hazard::service::create(state.store(), &ctx.actor, id, &form, &r.files, ctx.now)
                    .await?;
            // Parsed as a check id by `create`, so only digits once trimmed.
            Ok((h, form.check.trim().to_string()))
        },
    )
    .await?;
    match submitted {
        // From a checklist item: back to the checklist, where the next failed item waits.
        Submitted::Saved((_, check)) if !check.is_empty() => Ok(redirect_with(
            &format!("/records/{id}/checks#check-{check}"),
            Flash::Created,
        )),
        Submitted::Saved((h, _)) => Ok(redirect_with(&format!("/hazards/{h}"), Flash::Created)),
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let ctx = ctx.with_pending(pending);
            let form = upload::form_of(&fields).unwrap_or_default();
            let (inspection, order, _) =
                hazard::service::of_inspection(state.store(), &ctx.actor, id, ctx.now).await?;
            new_page(&ctx, inspection, order, form, errors)
        }
    }
}

#[derive(Template)]
#[template(path = "hazard/show.html")]
struct ShowPage {
    shell: Shell,
    hazard: Hazard,
    order: ServiceOrder,
    overdue: bool,
    can_rectify: bool,
    /// Who the caller rectifies as (the agency records on the enterprise's behalf).
    rectifier: Option<Rectifier>,
    can_review: bool,
    staff: Vec<Account>,
    rectify: RectifyForm,
    review: ReviewForm,
    errors: FieldErrors,
    today: NaiveDate,
    rectify_action: String,
    review_action: String,
    before: Vec<Attachment>,
    plan: Vec<Attachment>,
    /// Each round's after-photos.
    after: Vec<(i32, Vec<Attachment>)>,
    after_rule: FileRule,
    plan_rule: FileRule,
    /// 可疑标记 on the hazard's photos.
    flags: Vec<super::integrity::FlagRow>,
    /// The hazard has a 复查意见 to download.
    reviewed: bool,
    /// Whether the server can make PDF files.
    pdf: bool,
    pdf_href: String,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: HazardId,
    rectify: RectifyForm,
    review: ReviewForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let (hazard, order) = hazard::service::get(state.store(), &ctx.actor, id).await?;
    let can_rectify = hazard::service::can_rectify(&ctx.actor, &hazard, &order);
    let can_review = hazard::service::can_review(&ctx.actor, &hazard, &order);
    let staff = if can_review {
        hazard::service::reviewers(state.store(), &ctx.actor, &order).await?
    } else {
        vec![]
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let t = today(ctx.now);
    let files = hazard::service::attachments(state.store(), &hazard).await?;
    let pick = |field: &str| -> Vec<Attachment> {
        files.iter().filter(|a| a.field == field).cloned().collect()
    };
    let after = (1..=hazard.round)
        .map(|r| (r, pick(&anze_core::hazard::after_field(r))))
        .filter(|(_, f)| !f.is_empty())
        .collect();
    let flags = super::integrity::rows_of(
        state.store(),
        &ctx.actor,
        anze_core::attachment::OwnerRef {
            kind: anze_core::attachment::OwnerKind::Hazard,
            id: hazard.id.0,
        },
    )
    .await?;
    render_status(
        &ShowPage {
            flags,
            reviewed: hazard::service::has_review(&hazard),
            pdf: state.pdf.available(),
            pdf_href: format!("/hazards/{id}/review.pdf"),
            before: pick(BEFORE_PHOTOS.field),
            plan: pick(PLAN.field),
            after,
            after_rule: AFTER_PHOTOS,
            plan_rule: PLAN,
            overdue: hazard.overdue(t),
            rectify_action: ctx.form_action(&format!("/hazards/{id}/rectify")),
            review_action: ctx.form_action(&format!("/hazards/{id}/review")),
            shell: ctx.shell(ACTIVE),
            today: t,
            hazard,
            order,
            can_rectify,
            rectifier: hazard::service::rectifier(&ctx.actor),
            can_review,
            staff,
            rectify,
            review,
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
    let id: HazardId = parse_id(&id)?;
    let review = ReviewForm {
        reviewer_id: ctx.actor.account_id.to_string(),
        reviewed_on: today(ctx.now).to_string(),
        ..ReviewForm::default()
    };
    let rectify = RectifyForm {
        rectified_on: today(ctx.now).to_string(),
        ..RectifyForm::default()
    };
    show_page(&state, &ctx, id, rectify, review, FieldErrors::new()).await
}

/// 整改 (seed 图4.3.5)
pub async fn rectify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: HazardId = parse_id(&id)?;
    hazard::service::authorize_rectify(state.store(), &ctx.actor, id).await?;
    let rules = [AFTER_PHOTOS, PLAN];
    let submitted = upload::submit(
        multipart,
        &rules,
        &state,
        &ctx,
        async |r: &upload::Received| {
            let form: RectifyForm = upload::form_of(&r.fields)?;
            hazard::service::rectify(state.store(), &ctx.actor, id, &form, &r.files, ctx.now).await
        },
    )
    .await?;
    match submitted {
        Submitted::Saved(()) => Ok(redirect_with(&format!("/hazards/{id}"), Flash::Saved)),
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let ctx = ctx.with_pending(pending);
            let form = upload::form_of(&fields).unwrap_or_default();
            show_page(&state, &ctx, id, form, ReviewForm::default(), errors).await
        }
    }
}

/// 复查
pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: HazardId = parse_id(&id)?;
    hazard::service::authorize_review(state.store(), &ctx.actor, id).await?;
    let form: ReviewForm = upload::form_of(&text_parts(multipart).await?).unwrap_or_default();
    match hazard::service::review(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(&format!("/hazards/{id}"), Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            show_page(&state, &ctx, id, RectifyForm::default(), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "hazard/notice.html")]
struct NoticePage {
    inspection: ServiceRecord,
    /// 编号
    number: String,
    hazards: Vec<Hazard>,
    /// Each hazard's 整改前照片, in the order of `hazards`.
    before: Vec<Vec<Attachment>>,
    /// Whether the server can make the PDF (a CJK font is installed).
    pdf: bool,
    pdf_href: String,
    today: NaiveDate,
    receipt: Option<NoticeReceipt>,
    /// The on-site signature image, when signed on site.
    signature: Option<Attachment>,
    can_sign: bool,
    can_sign_on_site: bool,
    csrf: String,
    flash: Option<&'static str>,
    signer_name: String,
    errors: FieldErrors,
}

/// 整改通知书: the written notice the enterprise receives (AQ 9010), printable on A4, with its
/// 签收 when the enterprise has signed for it.
pub async fn notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    notice_page(&state, &ctx, id, String::new(), FieldErrors::new()).await
}

async fn notice_page(
    state: &AppState,
    ctx: &Ctx,
    id: RecordId,
    signer_name: String,
    errors: FieldErrors,
) -> PageResult<Response> {
    let (inspection, hazards, receipt) =
        hazard::service::notice(state.store(), &ctx.actor, id, ctx.now).await?;
    let signature = match &receipt {
        Some(_) => hazard::service::notice_signature(state.store(), &inspection).await?,
        None => None,
    };
    let files = hazard::service::attachments_of_all(state.store(), &hazards).await?;
    let before = hazards.iter().map(|h| h.photos(&files).0).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &NoticePage {
            can_sign: hazard::service::can_sign_notice(&ctx.actor, &hazards, receipt.as_ref()),
            can_sign_on_site: hazard::service::can_sign_notice_on_site(
                &ctx.actor,
                &hazards,
                receipt.as_ref(),
            ),
            today: today(ctx.now),
            csrf: ctx.csrf.clone(),
            flash: ctx.flash.map(Flash::message),
            number: hazard::notice_number(inspection.id, inspection.service_date),
            pdf: state.pdf.available(),
            pdf_href: format!("/records/{id}/notice.pdf"),
            before,
            inspection,
            hazards,
            receipt,
            signature,
            signer_name,
            errors,
        },
        status,
    )
}

/// 现场签收: the enterprise's representative signs the notice on the agency's device.
pub async fn sign_notice_on_site(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    let (_, hazards, receipt) =
        hazard::service::notice(state.store(), &ctx.actor, id, ctx.now).await?;
    // Before the body is read: only the agency, and only while the notice is unsigned.
    if !hazard::service::can_sign_notice_on_site(&ctx.actor, &hazards, receipt.as_ref()) {
        anze_core::auth::require(&ctx.actor, Permission::HazardWrite)?;
        return Err(CoreError::Conflict("该整改通知书已签收".into()).into());
    }
    let submitted = upload::submit(
        multipart,
        &[NOTICE_SIGNATURE],
        &state,
        &ctx,
        async |r: &upload::Received| {
            let signer = r.text("signer_name").unwrap_or("");
            hazard::service::sign_notice_on_site(
                state.store(),
                &ctx.actor,
                id,
                signer,
                &r.files,
                ctx.now,
            )
            .await
        },
    )
    .await?;
    match submitted {
        Submitted::Saved(()) => Ok(redirect_with(
            &format!("/records/{id}/notice"),
            Flash::Signed,
        )),
        Submitted::Invalid {
            errors,
            fields,
            pending,
        } => {
            let ctx = ctx.with_pending(pending);
            let signer = fields
                .iter()
                .find(|(k, _)| k == "signer_name")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            notice_page(&state, &ctx, id, signer, errors).await
        }
    }
}

/// 签收 of the 整改通知书 by an enterprise account.
pub async fn sign_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    hazard::service::sign_notice(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(
        &format!("/records/{id}/notice"),
        Flash::Signed,
    ))
}

/// 整改通知书 as a PDF file, with each hazard's 整改前照片.
pub async fn notice_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RecordId = parse_id(&id)?;
    let (doc, photos, name) = notice_document(&state, &ctx.actor, id, ctx.now).await?;
    let press = documents::press(&state, &format!("/records/{id}/notice")).await?;
    documents::respond(press, doc, photos, &name).await
}

/// The 整改通知书 of an inspection as a document to print, with its file name; shared by the
/// PDF route and the policy archive.
pub async fn notice_document(
    state: &AppState,
    actor: &anze_core::auth::Actor,
    id: RecordId,
    now: chrono::DateTime<chrono::Utc>,
) -> PageResult<(crate::pdf::Doc, crate::pdf::PhotoSet, String)> {
    let (inspection, hazards, receipt) =
        hazard::service::notice(state.store(), actor, id, now).await?;
    let signature = match &receipt {
        Some(_) => hazard::service::notice_signature(state.store(), &inspection).await?,
        None => None,
    };
    let files = hazard::service::attachments_of_all(state.store(), &hazards).await?;
    let (doc, photos) = documents::notice(
        state.blobs(),
        &inspection,
        &hazards,
        &files,
        receipt.as_ref(),
        signature.as_ref(),
        today(now),
    )
    .await;
    let name = format!(
        "整改通知书-{}-{}.pdf",
        doc.number, inspection.enterprise_name
    );
    Ok((doc, photos, name))
}

/// 复查意见书 of a reviewed hazard, as a PDF file.
pub async fn review_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: HazardId = parse_id(&id)?;
    let (hazard, order, files) =
        hazard::service::review_outcome(state.store(), &ctx.actor, id).await?;
    let press = documents::press(&state, &format!("/hazards/{id}")).await?;
    let (doc, photos) = documents::review(state.blobs(), &hazard, &order, &files).await;
    let name = format!("复查意见书-{}.pdf", hazard.hazard_no);
    documents::respond(press, doc, photos, &name).await
}
