use chrono::{DateTime, Utc};

use super::{
    Confirmation, ItemSpec, RecordConfirmation, RecordFilter, RecordForm, RecordInput, RecordQuery,
    SIGNATURE, ServiceRecord, parse_reason, parse_record, parse_signature, spec_of,
};
use crate::account::AccountRef;
use crate::attachment::{Attachment, NewAttachment, check_files};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::AttachmentId;
use crate::ids::{OrderId, RecordId};
use crate::order::{OrderState, ServiceOrder};
use crate::page::{Page, PageRequest};
use crate::scope;
use crate::service_item::ServiceItem;
use crate::store::Store;
use crate::time::today;

pub fn spec(item: ServiceItem) -> CoreResult<&'static ItemSpec> {
    spec_of(item).ok_or(CoreError::NotFound)
}

/// The cross-order list of one record type (seed §4.2, §4.4–§4.8).
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    item: ServiceItem,
    filter: &RecordFilter,
    page: PageRequest,
) -> CoreResult<Page<ServiceRecord>> {
    require(actor, Permission::RecordView)?;
    spec(item)?;
    let scope = scope::of(store, actor).await?;
    let query = RecordQuery {
        item: Some(item),
        regions: crate::region::filter(store, &filter.region).await?,
        ..filter.query()?
    };
    store.list_records(&scope, &query, page).await
}

/// 服务确认: the enterprise's records of every item, what waits for it first.
pub async fn confirmations(
    store: &dyn Store,
    actor: &Actor,
    filter: &RecordFilter,
    page: PageRequest,
) -> CoreResult<Page<ServiceRecord>> {
    require(actor, Permission::RecordConfirm)?;
    let scope = scope::of(store, actor).await?;
    let query = RecordQuery {
        waiting_first: true,
        regions: crate::region::filter(store, &filter.region).await?,
        ..filter.query()?
    };
    store.list_records(&scope, &query, page).await
}

/// The upload fields of a record form: the item's own and the on-site signature.
pub fn form_rules(spec: &ItemSpec) -> Vec<crate::attachment::FileRule> {
    spec.files.iter().copied().chain([SIGNATURE]).collect()
}

/// One order's records of one type (seed 图4.1.6 and its siblings).
pub async fn list_for_order(
    store: &dyn Store,
    actor: &Actor,
    order: OrderId,
    item: ServiceItem,
    confirmation: Option<Confirmation>,
    page: PageRequest,
) -> CoreResult<(ServiceOrder, Page<ServiceRecord>)> {
    require(actor, Permission::RecordView)?;
    spec(item)?;
    let order = crate::order::service::get(store, actor, order).await?;
    let scope = scope::of(store, actor).await?;
    let query = RecordQuery {
        order: Some(order.id),
        item: Some(item),
        confirmation,
        ..RecordQuery::default()
    };
    let page = store.list_records(&scope, &query, page).await?;
    Ok((order, page))
}

/// A record, visible exactly when its order is.
pub async fn get(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder)> {
    require(actor, Permission::RecordView)?;
    let record = store.get_record(id).await?.ok_or(CoreError::NotFound)?;
    let order = crate::order::service::get(store, actor, record.order_id).await?;
    Ok((record, order))
}

/// Staff of the order's agency who can be named as 服务人员.
pub async fn staff_choices(
    store: &dyn Store,
    actor: &Actor,
    order: &ServiceOrder,
) -> CoreResult<Vec<AccountRef>> {
    require(actor, Permission::RecordWrite)?;
    store.account_options(order.agency_id, true, 500).await
}

/// The 服务人员 filter of the cross-order record lists: an agency's accounts, or only the actor
/// where its data scope is 仅本人负责; other organization types filter by agency instead.
pub async fn staff_filter_choices(store: &dyn Store, actor: &Actor) -> CoreResult<Vec<AccountRef>> {
    require(actor, Permission::RecordView)?;
    if actor.org_kind != crate::org::OrgKind::Agency {
        return Ok(vec![]);
    }
    let all = store.account_options(actor.org_id, false, 500).await?;
    Ok(match actor.data_scope {
        crate::auth::DataScope::Organization => all,
        crate::auth::DataScope::Own => all
            .into_iter()
            .filter(|a| a.id == actor.account_id)
            .collect(),
    })
}

fn writable(order: &ServiceOrder) -> CoreResult<()> {
    match order.state {
        OrderState::Accepted => Ok(()),
        OrderState::Completed => Err(CoreError::Conflict(
            "订单已完成,服务记录不能再新增、修改或删除".into(),
        )),
        other => Err(CoreError::Conflict(format!(
            "订单状态为“{}”,只有已受理的订单可以录入服务记录",
            other.label()
        ))),
    }
}

/// Named staff must belong to the order's agency.
async fn check_staff(
    store: &dyn Store,
    order: &ServiceOrder,
    input: &RecordInput,
) -> CoreResult<()> {
    for id in &input.staff {
        match store.get_account(*id).await? {
            Some(a) if a.org_id == order.agency_id => {}
            _ => return Err(field_error("staff_ids", "服务人员须为本机构的账号")),
        }
    }
    Ok(())
}

/// Validates the fields and the files together, so the user sees every problem at once.
fn parse(
    form: &RecordForm,
    spec: &ItemSpec,
    order: &ServiceOrder,
    added: &[(String, NewAttachment)],
    kept: &[Attachment],
    now: DateTime<Utc>,
) -> CoreResult<RecordInput> {
    let mut file_errors = check_files(spec.files, added, kept);
    let signed = match parse_signature(&form.signer_name, added, now) {
        Ok(signed) => signed,
        Err(errors) => {
            file_errors.0.extend(errors.0);
            None
        }
    };
    let period = (order.service_start, order.service_end);
    match parse_record(form, spec, period, today(now)) {
        Ok(mut input) if file_errors.is_empty() => {
            if let Some(signed) = signed {
                input.confirmation = signed;
            }
            Ok(input)
        }
        Ok(_) => Err(CoreError::Validation(file_errors)),
        Err(CoreError::Validation(mut errors)) => {
            errors.0.extend(file_errors.0);
            Err(CoreError::Validation(errors))
        }
        Err(e) => Err(e),
    }
}

/// The files of a record, in upload order.
pub async fn attachments(store: &dyn Store, record: &ServiceRecord) -> CoreResult<Vec<Attachment>> {
    store
        .attachments_of(super::owner_kind(record.item), &[record.id.0])
        .await
}

/// The files of several records of one type at once (a ledger page), in upload order.
pub async fn attachments_of_all(
    store: &dyn Store,
    item: ServiceItem,
    records: &[ServiceRecord],
) -> CoreResult<Vec<Attachment>> {
    let ids: Vec<i64> = records.iter().map(|r| r.id.0).collect();
    store.attachments_of(super::owner_kind(item), &ids).await
}

/// The checks of `create` that need no input: asked before an upload is read, so a caller who
/// may not add records never gets a byte into storage.
pub async fn authorize_create(
    store: &dyn Store,
    actor: &Actor,
    order_id: OrderId,
    item: ServiceItem,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::RecordWrite)?;
    spec(item)?;
    let order = crate::order::service::get(store, actor, order_id).await?;
    writable(&order)?;
    Ok(order)
}

/// The checks of `update` and `delete` that need no input (see `authorize_create`).
pub async fn authorize_change(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder)> {
    require(actor, Permission::RecordWrite)?;
    let (record, order) = get(store, actor, id).await?;
    may_change(actor, &record)?;
    writable(&order)?;
    Ok((record, order))
}

pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    order_id: OrderId,
    item: ServiceItem,
    form: &RecordForm,
    files: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<RecordId> {
    let order = authorize_create(store, actor, order_id, item).await?;
    let spec = spec(item)?;
    let input = parse(form, spec, &order, files, &[], now)?;
    check_staff(store, &order, &input).await?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Record,
        None,
        &format!("{} · {}", item.label(), order.order_no),
        format!(
            "服务日期: {};服务地点: {};附件 {} 个;{}",
            input.service_date,
            input.location,
            files.len(),
            confirmation_note(&input.confirmation)
        ),
    );
    store
        .create_record(item, order.id, &input, files, actor.account_id, &audit)
        .await
}

/// The author edits and deletes their own records; 管理本机构全部记录 covers everyone's.
fn may_change(actor: &Actor, record: &ServiceRecord) -> CoreResult<()> {
    require(actor, Permission::RecordWrite)?;
    if record.created_by == actor.account_id || actor.has(Permission::RecordManage) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// Saves the changes; returns the storage keys of removed files for the caller to delete.
pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    form: &RecordForm,
    added: &[(String, NewAttachment)],
    removed: &[String],
    now: DateTime<Utc>,
) -> CoreResult<Vec<String>> {
    let (before, order) = authorize_change(store, actor, id).await?;
    let spec = spec(before.item)?;
    let removed: Vec<AttachmentId> = removed
        .iter()
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let kept: Vec<Attachment> = attachments(store, &before)
        .await?
        .into_iter()
        .filter(|a| !removed.contains(&a.id))
        .collect();
    let mut input = parse(form, spec, &order, added, &kept, now)?;
    check_staff(store, &order, &input).await?;
    if !input.confirmation.on_site {
        // What the enterprise confirmed, or objected to, is not what the record says now.
        input.confirmation = before.confirmation.after_edit();
    }
    if before.item == ServiceItem::HazardInvestigation && before.service_date != input.service_date
    {
        // Hazards carry the inspection's date as their discovery date, and their numbers and
        // deadline checks follow from it.
        let query = crate::hazard::HazardQuery {
            inspection: Some(before.id),
            ..Default::default()
        };
        if store
            .count_hazards(&crate::scope::Scope::All, &query)
            .await?
            .total()
            > 0
        {
            return Err(field_error(
                "service_date",
                "本次排查已登记隐患,排查日期不能再修改",
            ));
        }
    }
    let mut changes = Vec::new();
    if !added.is_empty() {
        changes.push(format!("新增附件 {} 个", added.len()));
    }
    if !removed.is_empty() {
        changes.push(format!("删除附件 {} 个", removed.len()));
    }
    if before.service_date != input.service_date {
        changes.push(format!(
            "服务日期: {} → {}",
            before.service_date, input.service_date
        ));
    }
    if before.location != input.location {
        changes.push(format!(
            "服务地点: {} → {}",
            before.location, input.location
        ));
    }
    if before.enterprise_contact != input.enterprise_contact {
        changes.push(format!(
            "企业对接人: {} → {}",
            before.enterprise_contact, input.enterprise_contact
        ));
    }
    if before.summary != input.summary {
        changes.push(format!(
            "服务内容: {} → {}",
            excerpt(&before.summary),
            excerpt(&input.summary)
        ));
    }
    let staff: Vec<_> = before.staff.iter().map(|s| s.id).collect();
    if staff != input.staff {
        changes.push(format!(
            "服务人员: {} → {} 人",
            staff.len(),
            input.staff.len()
        ));
    }
    for f in spec.fields {
        let (old, new) = (before.details.get(f.name), input.details.get(f.name));
        if old != new {
            changes.push(format!(
                "{}: {} → {}",
                f.label,
                old.map(|v| f.display(v)).unwrap_or_default(),
                new.map(|v| f.display(v)).unwrap_or_default()
            ));
        }
    }
    if before.confirmation.state != input.confirmation.state || input.confirmation.on_site {
        let reason = if input.confirmation.on_site {
            ""
        } else {
            "(记录已修改,须企业重新确认)"
        };
        changes.push(format!(
            "确认状态: {} → {}{reason}",
            before.confirmation.state.label(),
            confirmation_note(&input.confirmation)
        ));
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Record,
        Some(id.0),
        &format!("{} · {}", before.item.label(), before.order_no),
        if changes.is_empty() {
            "无变化".into()
        } else {
            changes.join(";")
        },
    );
    store
        .update_record(id, &input, added, &removed, actor.account_id, &audit)
        .await
}

/// Deletes the record; returns it and the storage keys of its files.
pub async fn delete(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    now: DateTime<Utc>,
) -> CoreResult<(ServiceRecord, Vec<String>)> {
    let (record, _) = authorize_change(store, actor, id).await?;
    check_deletable(&record)?;
    if record.item == ServiceItem::HazardInvestigation {
        let query = crate::hazard::HazardQuery {
            inspection: Some(record.id),
            ..Default::default()
        };
        if store
            .count_hazards(&crate::scope::Scope::All, &query)
            .await?
            .total()
            > 0
        {
            return Err(CoreError::Conflict(
                "该排查记录已登记隐患,不能删除;隐患须按整改、复查流程闭环".into(),
            ));
        }
    }
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Delete,
        ObjectKind::Record,
        Some(id.0),
        &format!("{} · {}", record.item.label(), record.order_no),
        format!("删除 {} 的服务记录", record.service_date),
    );
    let keys = store.delete_record(id, &audit).await?;
    Ok((record, keys))
}

/// Whether the actor may add records to this order now (新增).
pub fn can_create(actor: &Actor, order: &ServiceOrder) -> bool {
    actor.has(Permission::RecordWrite) && writable(order).is_ok()
}

/// Whether the actor may edit or delete this record now (for showing the buttons).
pub fn can_change(actor: &Actor, record: &ServiceRecord, order: &ServiceOrder) -> bool {
    may_change(actor, record).is_ok() && writable(order).is_ok()
}

/// A record the enterprise confirmed is never deleted: the enterprise signed for it, and
/// service records are kept (docs/retention.md).
pub fn check_deletable(record: &ServiceRecord) -> CoreResult<()> {
    if record.confirmation.state == Confirmation::Confirmed {
        return Err(CoreError::Conflict(
            "该记录已由企业确认,不能删除;服务记录须保存五年".into(),
        ));
    }
    Ok(())
}

/// Whether the actor may delete the record: one it may change that the enterprise has not
/// confirmed.
pub fn can_delete(actor: &Actor, record: &ServiceRecord, order: &ServiceOrder) -> bool {
    can_change(actor, record, order) && check_deletable(record).is_ok()
}

/// How a save leaves the confirmation, for the audit trail.
fn confirmation_note(c: &RecordConfirmation) -> String {
    match (c.state, &c.by_name) {
        (Confirmation::Confirmed, Some(name)) if c.on_site => {
            format!("已确认(企业现场签字,签字人: {name})")
        }
        (state, _) => state.label().into(),
    }
}

/// The start of a long text, for the audit trail's before → after.
fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// The enterprise speaks only for its own records (the scope already hides the others).
fn may_confirm(actor: &Actor, record: &ServiceRecord) -> CoreResult<()> {
    require(actor, Permission::RecordConfirm)?;
    if actor.org_kind == crate::org::OrgKind::Enterprise && record.enterprise_id == actor.org_id {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// Whether the actor may confirm or object to this record now (for showing the buttons).
pub fn can_confirm(actor: &Actor, record: &ServiceRecord) -> bool {
    may_confirm(actor, record).is_ok() && record.confirmation.state.is_pending()
}

/// The agency's staff who may change the record answer objections to it.
fn may_reply(actor: &Actor, record: &ServiceRecord) -> CoreResult<()> {
    may_change(actor, record)?;
    if actor.org_kind == crate::org::OrgKind::Agency && record.agency_id == actor.org_id {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// Whether the actor may answer the record's objection now.
pub fn can_reply(actor: &Actor, record: &ServiceRecord) -> bool {
    may_reply(actor, record).is_ok() && record.confirmation.state.is_objected()
}

/// The record for a confirmation step: visible to the actor (404 otherwise), and theirs to act on.
async fn load_for(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    permission: Permission,
) -> CoreResult<ServiceRecord> {
    require(actor, permission)?;
    let (record, _) = get(store, actor, id).await?;
    Ok(record)
}

fn confirmation_audit(
    actor: &Actor,
    record: &ServiceRecord,
    action: AuditAction,
    summary: String,
    now: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent::new(
        actor,
        now,
        action,
        ObjectKind::Record,
        Some(record.id.0),
        &format!(
            "{} · {} · {}",
            record.item.label(),
            record.order_no,
            record.service_date
        ),
        summary,
    )
}

/// 确认: the enterprise confirms the service took place as recorded.
pub async fn confirm(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let record = load_for(store, actor, id, Permission::RecordConfirm).await?;
    may_confirm(actor, &record)?;
    let next = record
        .confirmation
        .confirmed(actor.account_id, actor.display(), now)?;
    let audit = confirmation_audit(
        actor,
        &record,
        AuditAction::Confirm,
        format!("确认状态: {} → 已确认", record.confirmation.state.label()),
        now,
    );
    store
        .set_confirmation(id, record.confirmation.state, &next, &audit, &[])
        .await?;
    let owner = crate::attachment::OwnerRef {
        kind: super::owner_kind(record.item),
        id: record.id.0,
    };
    crate::enterprise::service::adopt_site_from_record(
        store,
        actor,
        record.enterprise_id,
        owner,
        record.item.label(),
        now,
    )
    .await
}

/// 提出异议: the enterprise disputes the record, with its reason.
pub async fn object(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    reason: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let record = load_for(store, actor, id, Permission::RecordConfirm).await?;
    may_confirm(actor, &record)?;
    let reason = parse_reason(reason, "异议理由")?;
    let next =
        record
            .confirmation
            .objected(actor.account_id, actor.display(), reason.clone(), now)?;
    let audit = confirmation_audit(
        actor,
        &record,
        AuditAction::Object,
        format!(
            "确认状态: {} → 有异议;异议理由: {reason}",
            record.confirmation.state.label()
        ),
        now,
    );
    let notice = crate::notify::NewNotice::new(
        record.agency_id,
        crate::notify::NoticeKind::RecordObjected,
        ObjectKind::Record,
        Some(record.id.0),
        Some(record.order_id),
        format!(
            "{} 对{}记录({},订单 {})提出异议:{reason}",
            record.enterprise_name,
            record.item.label(),
            record.service_date,
            record.order_no
        ),
        now,
    );
    store
        .set_confirmation(id, record.confirmation.state, &next, &audit, &[notice])
        .await
}

/// 答复异议: the agency answers; the enterprise is asked to confirm again.
pub async fn reply(
    store: &dyn Store,
    actor: &Actor,
    id: RecordId,
    text: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let record = load_for(store, actor, id, Permission::RecordWrite).await?;
    may_reply(actor, &record)?;
    let text = parse_reason(text, "答复内容")?;
    let next = record.confirmation.replied(text.clone())?;
    let audit = confirmation_audit(
        actor,
        &record,
        AuditAction::Reply,
        format!("确认状态: 有异议 → 待确认;答复: {text}"),
        now,
    )
    .in_org(record.agency_id);
    store
        .set_confirmation(id, record.confirmation.state, &next, &audit, &[])
        .await
}
