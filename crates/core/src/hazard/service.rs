use chrono::{DateTime, Utc};

use super::{AFTER_PHOTOS, BEFORE_PHOTOS, PLAN, after_field};
use super::{
    Hazard, HazardAction, HazardCounts, HazardFilter, HazardForm, HazardLevel, HazardQuery,
    HazardState, Rectification, Rectifier, RectifyForm, ReviewForm, parse_hazard,
    parse_rectification, parse_review,
};
use crate::attachment::{Attachment, FileRule, NewAttachment, OwnerKind, check_files};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::{HazardId, RecordId};
use crate::order::{OrderState, ServiceOrder};
use crate::org::OrgKind;
use crate::page::{Page, PageRequest};
use crate::record::ServiceRecord;
use crate::scope;
use crate::service_item::ServiceItem;
use crate::store::Store;
use crate::time::today;

/// The housekeeping job's part for hazards (and a server's start): deadlines before
/// yesterday are past for every instance, whatever its clock says around midnight, so the
/// store may compact what it keeps per deadline for them.
pub async fn fold_past_deadlines(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u64> {
    let before = today(now) - chrono::Duration::days(1);
    store.fold_past_deadlines(before).await
}

/// 隐患台账 (seed §4.3): regulators read 重大 and 逾期 first.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &HazardFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> CoreResult<(Page<Hazard>, HazardCounts)> {
    require(actor, Permission::HazardView)?;
    let scope = scope::of(store, actor).await?;
    let mut query = filter.query(today(now))?;
    query.regions = crate::region::filter(store, &filter.region).await?;
    // Regulators read 重大 and 逾期 first; so does an enterprise, whose own overdue hazards are
    // what it must act on.
    query.serious_first = matches!(actor.org_kind, OrgKind::Regulator | OrgKind::Enterprise);
    store.hazard_ledger(&scope, &query, page).await
}

/// The ledger newest first, for a client that walks it by cursor (`page.after`): the same
/// rows and filters as `list`, without reading 重大 and 逾期 first, which has no key to continue
/// from.
pub async fn walk(
    store: &dyn Store,
    actor: &Actor,
    filter: &HazardFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> CoreResult<Page<Hazard>> {
    require(actor, Permission::HazardView)?;
    let scope = scope::of(store, actor).await?;
    let query = HazardQuery {
        regions: crate::region::filter(store, &filter.region).await?,
        ..filter.query(today(now))?
    };
    store.list_hazards(&scope, &query, page).await
}

/// The inspection with the hazards it found.
pub async fn of_inspection(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
    now: DateTime<Utc>,
) -> CoreResult<(ServiceRecord, ServiceOrder, Vec<Hazard>)> {
    require(actor, Permission::HazardView)?;
    let (record, order) = inspection_of(store, actor, inspection).await?;
    let scope = scope::of(store, actor).await?;
    let query = HazardQuery {
        inspection: Some(inspection),
        today: Some(today(now)),
        ..HazardQuery::default()
    };
    let page = store
        .list_hazards(&scope, &query, PageRequest::first(500))
        .await?;
    Ok((record, order, page.items))
}

/// Hazard counts of one order, for its progress.
pub async fn counts_of_order(
    store: &dyn Store,
    actor: &Actor,
    order: &ServiceOrder,
    now: DateTime<Utc>,
) -> CoreResult<Option<HazardCounts>> {
    if !actor.has(Permission::HazardView) {
        return Ok(None);
    }
    let scope = scope::of(store, actor).await?;
    let query = HazardQuery {
        order: Some(order.id),
        today: Some(today(now)),
        ..HazardQuery::default()
    };
    store.count_hazards(&scope, &query).await.map(Some)
}

pub(crate) async fn inspection_of(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder)> {
    let (record, order) = crate::record::service::get(store, actor, id).await?;
    if record.item != ServiceItem::HazardInvestigation {
        return Err(CoreError::NotFound);
    }
    Ok((record, order))
}

/// The files of a hazard: before-photos, 治理方案, and each round's after-photos.
pub async fn attachments(store: &dyn Store, hazard: &Hazard) -> CoreResult<Vec<Attachment>> {
    store
        .attachments_of(OwnerKind::Hazard, &[hazard.id.0])
        .await
}

/// The files of several hazards at once (a ledger page), in upload order.
pub async fn attachments_of_all(
    store: &dyn Store,
    hazards: &[Hazard],
) -> CoreResult<Vec<Attachment>> {
    let ids: Vec<i64> = hazards.iter().map(|h| h.id.0).collect();
    store.attachments_of(OwnerKind::Hazard, &ids).await
}

/// Checks uploads against rules and files them under their stored field names (the
/// after-photos of a round carry the round).
fn file_check(
    rules: &[FileRule],
    files: &[(String, NewAttachment)],
    round: i32,
) -> CoreResult<Vec<(String, NewAttachment)>> {
    let errors = check_files(rules, files, &[]);
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    Ok(files
        .iter()
        .map(|(field, f)| {
            let stored = if field == AFTER_PHOTOS.field {
                after_field(round)
            } else {
                field.clone()
            };
            (stored, f.clone())
        })
        .collect())
}

/// Staff of the order's agency who can be named 复查人: enabled accounts.
pub async fn reviewers(
    store: &dyn Store,
    actor: &Actor,
    order: &ServiceOrder,
) -> CoreResult<Vec<crate::account::Account>> {
    require(actor, Permission::HazardReview)?;
    let page = store
        .list_accounts(
            Some(order.agency_id),
            &crate::account::AccountFilter {
                status: "enabled".into(),
                ..Default::default()
            },
            PageRequest::first(500),
        )
        .await?;
    Ok(page.items)
}

/// A hazard, visible exactly when its order is.
pub async fn get(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
) -> CoreResult<(Hazard, ServiceOrder)> {
    require(actor, Permission::HazardView)?;
    let hazard = store.get_hazard(id).await?.ok_or(CoreError::NotFound)?;
    let order = crate::order::service::get(store, actor, hazard.order_id).await?;
    Ok((hazard, order))
}

/// The checks of `create` that need no input: asked before an upload is read, so a caller who
/// may not add hazards never gets a byte into storage.
pub async fn authorize_create(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder)> {
    require(actor, Permission::HazardWrite)?;
    let (record, order) = inspection_of(store, actor, inspection).await?;
    if !can_add(actor, &order) {
        return Err(CoreError::Conflict(format!(
            "订单状态为“{}”,不能再新增隐患",
            order.state.label()
        )));
    }
    Ok((record, order))
}

/// Who the actor rectifies as: the enterprise itself (企业整改), or the agency recording the
/// enterprise's rectification on its behalf; `None` for everyone else.
pub fn rectifier(actor: &Actor) -> Option<Rectifier> {
    if actor.has(Permission::HazardRectify) {
        Some(Rectifier::Enterprise)
    } else if actor.has(Permission::HazardWrite) {
        Some(Rectifier::Agency)
    } else {
        None
    }
}

/// The checks of `rectify` that need no input (see `authorize_create`).
pub async fn authorize_rectify(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
) -> CoreResult<(Hazard, ServiceOrder)> {
    rectifier(actor).ok_or(CoreError::Forbidden)?;
    step_allowed(store, actor, id, HazardAction::Rectify).await
}

/// The hazard and its order, when its loop is open and its state allows `action`.
async fn step_allowed(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
    action: HazardAction,
) -> CoreResult<(Hazard, ServiceOrder)> {
    let (hazard, order) = get(store, actor, id).await?;
    loop_open(&order)?;
    hazard.state.apply(action).map_err(CoreError::Conflict)?;
    Ok((hazard, order))
}

/// The checks of `review` that need no input (see `authorize_create`).
pub async fn authorize_review(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
) -> CoreResult<(Hazard, ServiceOrder)> {
    require(actor, Permission::HazardReview)?;
    step_allowed(store, actor, id, HazardAction::Pass).await
}

/// 新增隐患 (seed 图4.3.3), optionally already rectified (即查即改).
pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
    form: &HazardForm,
    files: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<HazardId> {
    let (record, _) = authorize_create(store, actor, inspection).await?;
    let rules: &[FileRule] = if form.is_immediate() {
        &[BEFORE_PHOTOS, AFTER_PHOTOS, PLAN]
    } else {
        &[BEFORE_PHOTOS, PLAN]
    };
    let parsed = parse_hazard(form, record.service_date, today(now));
    let files = match (parsed.is_ok(), file_check(rules, files, 1)) {
        (_, Ok(files)) => files,
        (true, Err(e)) => return Err(e),
        (false, Err(CoreError::Validation(file_errors))) => {
            // Both the fields and the files are wrong: show everything at once.
            let Err(CoreError::Validation(mut errors)) = parsed else {
                return Err(CoreError::Validation(file_errors));
            };
            errors.0.extend(file_errors.0);
            return Err(CoreError::Validation(errors));
        }
        (false, Err(e)) => return Err(e),
    };
    let mut input = parsed?;
    // Registered from a 不符合 item of the inspection's checklist: linked to it.
    let check = crate::checklist::service::failed_check(store, &record, &form.check).await?;
    input.check = check.as_ref().map(|c| c.id);
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Hazard,
        None,
        &input.description.chars().take(40).collect::<String>(),
        format!(
            "{} · {};整改期限: {}{}",
            input.level.label(),
            record.enterprise_name,
            input.deadline,
            if input.rectification.is_some() {
                ";即查即改"
            } else {
                ""
            }
        ),
    );
    store
        .create_hazard(inspection, &input, &files, actor.account_id, &audit)
        .await
}

/// Whether the actor may record a 整改 of this hazard now (the page shows the form).
pub fn can_rectify(actor: &Actor, hazard: &Hazard, order: &ServiceOrder) -> bool {
    rectifier(actor).is_some()
        && loop_open(order).is_ok()
        && hazard.state.apply(HazardAction::Rectify).is_ok()
}

/// Whether the actor may record a 复查 of this hazard now.
pub fn can_review(actor: &Actor, hazard: &Hazard, order: &ServiceOrder) -> bool {
    actor.has(Permission::HazardReview)
        && loop_open(order).is_ok()
        && hazard.state.apply(HazardAction::Pass).is_ok()
}

/// Whether the actor may add hazards to an inspection of this order now.
pub fn can_add(actor: &Actor, order: &ServiceOrder) -> bool {
    actor.has(Permission::HazardWrite) && order.state == OrderState::Accepted
}

/// The step of the loop a ledger row offers the actor: 整改, 复查, or none (查看). Ledger rows
/// carry no order, so the order's state is checked when the step is taken.
pub fn next_step(actor: &Actor, hazard: &Hazard) -> Option<HazardAction> {
    match hazard.state {
        HazardState::PendingRectification if rectifier(actor).is_some() => {
            Some(HazardAction::Rectify)
        }
        HazardState::PendingReview if actor.has(Permission::HazardReview) => {
            Some(HazardAction::Fail)
        }
        _ => None,
    }
}

/// Whether the actor may sign for (签收) an inspection's 整改通知书 now.
pub fn can_sign_notice(
    actor: &Actor,
    hazards: &[Hazard],
    receipt: Option<&super::NoticeReceipt>,
) -> bool {
    actor.has(Permission::HazardRectify) && !hazards.is_empty() && receipt.is_none()
}

/// The 整改通知书 of an inspection with its 签收, if any.
pub async fn notice(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
    now: DateTime<Utc>,
) -> CoreResult<(ServiceRecord, Vec<Hazard>, Option<super::NoticeReceipt>)> {
    let (record, _, hazards) = of_inspection(store, actor, inspection, now).await?;
    if hazards.is_empty() {
        return Err(CoreError::Conflict(
            "本次排查未发现隐患,无需下达整改通知书".into(),
        ));
    }
    let receipt = store.notice_receipt(inspection).await?;
    Ok((record, hazards, receipt))
}

/// 签收 by an enterprise account: the enterprise acknowledges the notice and its deadlines.
pub async fn sign_notice(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::HazardRectify)?;
    let (record, hazards, receipt) = notice(store, actor, inspection, now).await?;
    if !can_sign_notice(actor, &hazards, receipt.as_ref()) {
        return Err(CoreError::Conflict("该整改通知书已签收".into()));
    }
    let receipt = super::NoticeReceipt {
        via: super::ReceiptVia::Account,
        signer_name: actor.name.clone(),
        signed_by: Some(actor.account_id),
        signed_at: now,
    };
    save_receipt(store, actor, &record, hazards.len(), &receipt, &[]).await
}

/// Records a 签收 with its audit event; a notice signed meanwhile by someone else is refused.
async fn save_receipt(
    store: &dyn Store,
    actor: &Actor,
    inspection: &ServiceRecord,
    hazard_count: usize,
    receipt: &super::NoticeReceipt,
    files: &[(String, NewAttachment)],
) -> CoreResult<()> {
    let audit = AuditEvent::new(
        actor,
        receipt.signed_at,
        AuditAction::Sign,
        ObjectKind::Record,
        Some(inspection.id.0),
        &format!("整改通知书 · {}", inspection.order_no),
        format!(
            "{} 签收 {hazard_count} 项隐患的整改通知书({})",
            receipt.signer_name,
            receipt.via.label()
        ),
    );
    if !store
        .sign_notice(inspection.id, receipt, files, actor.account_id, &audit)
        .await?
    {
        return Err(CoreError::Conflict("该整改通知书已签收".into()));
    }
    Ok(())
}

/// Whether the actor may take the enterprise's 签收 on site (its representative signs on the
/// agency's device).
pub fn can_sign_notice_on_site(
    actor: &Actor,
    hazards: &[Hazard],
    receipt: Option<&super::NoticeReceipt>,
) -> bool {
    actor.has(Permission::HazardWrite) && !hazards.is_empty() && receipt.is_none()
}

/// 现场签字签收: the enterprise's representative signs the notice on the agency's device; the
/// drawn PNG (checked not blank) is kept as an attachment of the inspection.
pub async fn sign_notice_on_site(
    store: &dyn Store,
    actor: &Actor,
    inspection: RecordId,
    signer_name: &str,
    files: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::HazardWrite)?;
    let (record, hazards, receipt) = notice(store, actor, inspection, now).await?;
    if !can_sign_notice_on_site(actor, &hazards, receipt.as_ref()) {
        return Err(CoreError::Conflict("该整改通知书已签收".into()));
    }
    let files: Vec<(String, NewAttachment)> = files
        .iter()
        .filter(|(f, _)| f == super::NOTICE_SIGNATURE.field)
        .map(|(_, a)| (crate::record::SIGNATURE.field.to_string(), a.clone()))
        .collect();
    let signed =
        crate::record::parse_signature(signer_name, &files, now).map_err(CoreError::Validation)?;
    let Some(signed) = signed else {
        return Err(field_error(
            "signature",
            "请企业代表在签字板上签字并填写签字人姓名",
        ));
    };
    let receipt = super::NoticeReceipt {
        via: super::ReceiptVia::OnSite,
        signer_name: signed.by_name.unwrap_or_default(),
        signed_by: None,
        signed_at: now,
    };
    let files: Vec<(String, NewAttachment)> = files
        .into_iter()
        .map(|(_, a)| (super::NOTICE_SIGNATURE.field.to_string(), a))
        .collect();
    save_receipt(store, actor, &record, hazards.len(), &receipt, &files).await
}

/// The on-site signature image of a notice, if it was signed on site.
pub async fn notice_signature(
    store: &dyn Store,
    inspection: &ServiceRecord,
) -> CoreResult<Option<Attachment>> {
    Ok(crate::record::service::attachments(store, inspection)
        .await?
        .into_iter()
        .find(|a| a.field == super::NOTICE_SIGNATURE.field))
}

/// Rectifying and reviewing go on after the order is completed: an open hazard is still open.
fn loop_open(order: &ServiceOrder) -> CoreResult<()> {
    match order.state {
        OrderState::Accepted | OrderState::Completed => Ok(()),
        other => Err(CoreError::Conflict(format!(
            "订单状态为“{}”",
            other.label()
        ))),
    }
}

fn moved(current: Option<Hazard>) -> CoreError {
    match current {
        Some(h) => CoreError::Conflict(format!(
            "该隐患已被他人处理,当前状态为“{}”(第 {} 轮)",
            h.state.label(),
            h.round
        )),
        None => CoreError::NotFound,
    }
}

/// 整改 (seed 图4.3.5).
pub async fn rectify(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
    form: &RectifyForm,
    files: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let (hazard, _) = authorize_rectify(store, actor, id).await?;
    let parsed = parse_rectification(form, hazard.found_on, today(now));
    let files = match (
        file_check(&[AFTER_PHOTOS, PLAN], files, hazard.round),
        parsed,
    ) {
        (Ok(files), Ok(_)) => files,
        (Err(CoreError::Validation(mut a)), Err(CoreError::Validation(b))) => {
            a.0.extend(b.0);
            return Err(CoreError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let r = Rectification {
        by: rectifier(actor).ok_or(CoreError::Forbidden)?,
        ..parse_rectification(form, hazard.found_on, today(now))?
    };
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Rectify,
        ObjectKind::Hazard,
        Some(id.0),
        &hazard.hazard_no,
        format!(
            "第 {} 轮整改({}),完成日期 {}",
            hazard.round,
            r.by.label(),
            r.on
        ),
    );
    if !store
        .rectify_hazard(id, hazard.round, &r, &files, actor.account_id, &audit)
        .await?
    {
        return Err(moved(store.get_hazard(id).await?));
    }
    Ok(())
}

/// 复查: 通过 closes the hazard (销号); 不通过 sends it back to 待整改 for another round. A 重大
/// hazard closes only with its 治理方案 on file.
pub async fn review(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
    form: &ReviewForm,
    now: DateTime<Utc>,
) -> CoreResult<HazardState> {
    let (hazard, order) = authorize_review(store, actor, id).await?;
    let rectified_on = hazard.last_rectified_on().unwrap_or(hazard.found_on);
    let r = parse_review(form, rectified_on, today(now))?;
    match store.get_account(r.reviewer).await? {
        Some(a) if a.org_id == order.agency_id && a.enabled => {}
        _ => return Err(field_error("reviewer_id", "复查人须为本机构启用的账号")),
    }
    let has_plan = attachments(store, &hazard)
        .await?
        .iter()
        .any(|a| a.field == PLAN.field);
    if r.passed && hazard.level == HazardLevel::Major && !has_plan {
        return Err(CoreError::Conflict(
            "重大隐患须先上传治理方案,才能复查销号".into(),
        ));
    }
    let action = if r.passed {
        HazardAction::Pass
    } else {
        HazardAction::Fail
    };
    let next = hazard.state.apply(action).map_err(CoreError::Conflict)?;
    let audit = AuditEvent::new(
        actor,
        now,
        if r.passed {
            AuditAction::Close
        } else {
            AuditAction::Review
        },
        ObjectKind::Hazard,
        Some(id.0),
        &hazard.hazard_no,
        format!(
            "第 {} 轮复查{}:{}",
            hazard.round,
            if r.passed {
                "通过,已销号"
            } else {
                "不通过"
            },
            if r.opinion.is_empty() {
                "无意见"
            } else {
                &r.opinion
            }
        ),
    );
    if !store
        .review_hazard(id, hazard.round, &r, actor.account_id, &audit)
        .await?
    {
        return Err(moved(store.get_hazard(id).await?));
    }
    Ok(next)
}

/// Whether the hazard has been reviewed (复查) at least once: what a 复查意见 reports on.
pub fn has_review(hazard: &Hazard) -> bool {
    hazard.last_review().is_some()
}

/// The 复查意见 of a hazard: the hazard, its order and its files, once it has been reviewed.
/// Visible exactly when the hazard is.
pub async fn review_outcome(
    store: &dyn Store,
    actor: &Actor,
    id: HazardId,
) -> CoreResult<(Hazard, ServiceOrder, Vec<Attachment>)> {
    let (hazard, order) = get(store, actor, id).await?;
    if !has_review(&hazard) {
        return Err(CoreError::Conflict("该隐患尚未复查,还没有复查意见".into()));
    }
    let files = attachments(store, &hazard).await?;
    Ok((hazard, order, files))
}
