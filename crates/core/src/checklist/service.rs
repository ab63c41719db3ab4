use chrono::{DateTime, Utc};

use super::{
    Check, CheckCounts, Checklist, ChecklistFilter, ChecklistForm, ChecklistItem, ChecklistQuery,
    FAIL_ROWS, FailFilter, FailRow, NewChecks, Outcome, Owner, parse_checklist, parse_items,
    parse_marks,
};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::{CheckId, ChecklistId, RecordId};
use crate::industry::Industry;
use crate::order::ServiceOrder;
use crate::page::{Page, PageRequest};
use crate::record::{Confirmation, ServiceRecord};
use crate::sheet::RowError;
use crate::store::Store;

/// Who keeps the checklists the actor creates: the platform keeps the shared library.
fn owner_of(actor: &Actor) -> Owner {
    if actor.is_platform() {
        Owner::Platform
    } else {
        Owner::Agency(actor.org_id)
    }
}

/// The platform sees every checklist; an agency the platform's and its own.
fn visible(actor: &Actor, c: &Checklist) -> bool {
    actor.is_platform() || c.owner == Owner::Platform || c.owner == owner_of(actor)
}

/// Whether the actor may create checklists (for the 新建 button).
pub fn can_create(actor: &Actor) -> bool {
    actor.has(Permission::ChecklistManage)
}

/// Whether the actor may edit, import into, switch off or delete this checklist: its owner's
/// staff holding 维护检查表 (the platform's for the shared library).
pub fn can_manage(actor: &Actor, c: &Checklist) -> bool {
    actor.has(Permission::ChecklistManage) && c.owner == owner_of(actor)
}

/// 检查表列表
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &ChecklistFilter,
    page: PageRequest,
) -> CoreResult<Page<Checklist>> {
    require(actor, Permission::ChecklistView)?;
    let query = filter.query(owner_of(actor).org())?;
    store.list_checklists(&query, page).await
}

/// A checklist with its items, when the actor may see it.
pub async fn get(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
) -> CoreResult<(Checklist, Vec<ChecklistItem>)> {
    require(actor, Permission::ChecklistView)?;
    let checklist = visible_checklist(store, actor, id).await?;
    let items = store.checklist_items(id).await?;
    Ok((checklist, items))
}

async fn visible_checklist(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
) -> CoreResult<Checklist> {
    match store.get_checklist(id).await? {
        Some(c) if visible(actor, &c) => Ok(c),
        _ => Err(CoreError::NotFound),
    }
}

/// The checklist, when the actor may change it.
pub async fn authorize_manage(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
) -> CoreResult<Checklist> {
    require(actor, Permission::ChecklistManage)?;
    let c = visible_checklist(store, actor, id).await?;
    if !can_manage(actor, &c) {
        return Err(CoreError::Forbidden);
    }
    Ok(c)
}

/// The first-level industries a checklist is written for (the 适用行业 select).
pub async fn sectors(store: &dyn Store, actor: &Actor) -> CoreResult<Vec<Industry>> {
    require(actor, Permission::ChecklistView)?;
    let all = store.list_industries().await?;
    Ok(super::sectors(&all).into_iter().cloned().collect())
}

/// How many inspections used the checklist (a used one is switched off, not deleted).
pub async fn uses(store: &dyn Store, actor: &Actor, c: &Checklist) -> CoreResult<u64> {
    require(actor, Permission::ChecklistView)?;
    store.checklist_uses(c.id).await
}

fn event(
    actor: &Actor,
    now: DateTime<Utc>,
    action: AuditAction,
    id: Option<ChecklistId>,
    name: &str,
    summary: String,
) -> AuditEvent {
    AuditEvent::new(
        actor,
        now,
        action,
        ObjectKind::Checklist,
        id.map(|i| i.0),
        name,
        summary,
    )
}

/// 新建检查表: its name, sector and description; the items come by Excel import.
pub async fn create(
    store: &dyn Store,
    actor: &Actor,
    form: &ChecklistForm,
    now: DateTime<Utc>,
) -> CoreResult<ChecklistId> {
    require(actor, Permission::ChecklistManage)?;
    let industries = store.list_industries().await?;
    let input = parse_checklist(form, &industries)?;
    let audit = event(
        actor,
        now,
        AuditAction::Create,
        None,
        &input.name,
        format!("新建检查表“{}”", input.name),
    );
    store
        .create_checklist(owner_of(actor), &input, &[], &audit)
        .await
}

/// 编辑检查表信息
pub async fn update(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
    form: &ChecklistForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let c = authorize_manage(store, actor, id).await?;
    let industries = store.list_industries().await?;
    let input = parse_checklist(form, &industries)?;
    let audit = event(
        actor,
        now,
        AuditAction::Update,
        Some(id),
        &input.name,
        if c.name == input.name {
            "修改检查表信息".into()
        } else {
            format!("修改检查表信息;原名称“{}”", c.name)
        },
    );
    store.update_checklist(id, &input, &audit).await
}

/// 启用 / 停用: a switched-off checklist is no longer offered to new inspections.
pub async fn set_active(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
    active: bool,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let c = authorize_manage(store, actor, id).await?;
    if c.active == active {
        return Ok(());
    }
    let (action, what) = if active {
        (AuditAction::Enable, "启用")
    } else {
        (AuditAction::Disable, "停用")
    };
    let audit = event(
        actor,
        now,
        action,
        Some(id),
        &c.name,
        format!("{what}检查表"),
    );
    store.set_checklist_active(id, active, &audit).await
}

/// 导入检查项: the workbook's rows (header first) replace the checklist's items, all or nothing.
/// Inspections that used the checklist keep the items they copied.
pub async fn import_items(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
    rows: &[Vec<String>],
    now: DateTime<Utc>,
) -> CoreResult<Result<usize, Vec<RowError>>> {
    let c = authorize_manage(store, actor, id).await?;
    let items = match parse_items(rows) {
        Ok(items) => items,
        Err(errors) => return Ok(Err(errors)),
    };
    let audit = event(
        actor,
        now,
        AuditAction::Import,
        Some(id),
        &c.name,
        format!(
            "Excel 导入检查项 {} 项(原有 {} 项)",
            items.len(),
            c.item_count
        ),
    );
    store.replace_checklist_items(id, &items, &audit).await?;
    Ok(Ok(items.len()))
}

/// 删除: only a checklist no inspection has used; a used one is switched off instead, so the
/// inspections that cite it keep their source.
pub async fn delete(
    store: &dyn Store,
    actor: &Actor,
    id: ChecklistId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let c = authorize_manage(store, actor, id).await?;
    let audit = event(
        actor,
        now,
        AuditAction::Delete,
        Some(id),
        &c.name,
        format!("删除检查表({} 个检查项)", c.item_count),
    );
    if store.delete_checklist(id, &audit).await? {
        Ok(())
    } else {
        Err(CoreError::Conflict(
            "该检查表已被排查记录使用,不能删除;如不再使用请停用".into(),
        ))
    }
}

/// An inspection's checks and what the actor may do with them.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub checks: Vec<Check>,
    pub counts: CheckCounts,
    /// The actor may mark the items and take or drop checklists.
    pub can_mark: bool,
    /// The actor may register hazards from failed items.
    pub can_add_hazard: bool,
    /// Active checklists the inspection could still take (for those who may mark).
    pub available: Vec<Checklist>,
}

/// The item counts of an inspection the actor already reads (its record page).
pub async fn counts_of(
    store: &dyn Store,
    actor: &Actor,
    record: &ServiceRecord,
) -> CoreResult<CheckCounts> {
    require(actor, Permission::RecordView)?;
    Ok(CheckCounts::of(&store.checks_of_record(record.id).await?))
}

/// Whether the actor may mark this inspection's items now: the agency's staff who add its
/// hazards, while the order runs and before the enterprise confirmed the record (what it
/// signed for does not change).
pub fn can_mark(actor: &Actor, record: &ServiceRecord, order: &ServiceOrder) -> bool {
    crate::hazard::service::can_add(actor, order)
        && record.confirmation.state != Confirmation::Confirmed
}

/// 检查表 of an inspection: its checks, their counts, and the checklists it could take.
pub async fn of_inspection(
    store: &dyn Store,
    actor: &Actor,
    record: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder, Inspection)> {
    let (record, order) = crate::hazard::service::inspection_of(store, actor, record).await?;
    let checks = store.checks_of_record(record.id).await?;
    let can_mark = can_mark(actor, &record, &order);
    let available = if can_mark && actor.has(Permission::ChecklistView) {
        usable(store, actor, &checks).await?
    } else {
        Vec::new()
    };
    let inspection = Inspection {
        counts: CheckCounts::of(&checks),
        can_add_hazard: crate::hazard::service::can_add(actor, &order),
        checks,
        can_mark,
        available,
    };
    Ok((record, order, inspection))
}

/// The active checklists visible to the actor that `checks` do not use yet.
async fn usable(store: &dyn Store, actor: &Actor, checks: &[Check]) -> CoreResult<Vec<Checklist>> {
    let query = ChecklistQuery {
        active: Some(true),
        visible_to: owner_of(actor).org(),
        ..ChecklistQuery::default()
    };
    let page = store
        .list_checklists(&query, PageRequest::first(200))
        .await?;
    Ok(page
        .items
        .into_iter()
        .filter(|c| !checks.iter().any(|k| k.checklist_id == c.id))
        .collect())
}

async fn authorize_mark(
    store: &dyn Store,
    actor: &Actor,
    record: RecordId,
) -> CoreResult<(ServiceRecord, ServiceOrder)> {
    require(actor, Permission::HazardWrite)?;
    let (record, order) = crate::hazard::service::inspection_of(store, actor, record).await?;
    if !can_mark(actor, &record, &order) {
        return Err(CoreError::Conflict(
            if record.confirmation.state == Confirmation::Confirmed {
                "该记录已由企业确认,检查结果不能再修改".into()
            } else {
                format!("订单状态为“{}”,不能再修改检查结果", order.state.label())
            },
        ));
    }
    Ok((record, order))
}

fn record_event(
    actor: &Actor,
    now: DateTime<Utc>,
    record: &ServiceRecord,
    summary: String,
) -> AuditEvent {
    AuditEvent::new(
        actor,
        now,
        AuditAction::Update,
        ObjectKind::Record,
        Some(record.id.0),
        &format!("{} {}", record.enterprise_name, record.service_date),
        summary,
    )
}

/// 使用检查表: the inspection takes every item of the checklist, unmarked.
pub async fn take(
    store: &dyn Store,
    actor: &Actor,
    record: RecordId,
    checklist: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let (record, _) = authorize_mark(store, actor, record).await?;
    let id: ChecklistId = checklist
        .trim()
        .parse()
        .map_err(|_| field_error("checklist", "请选择检查表"))?;
    let (c, items) = match store.get_checklist(id).await? {
        Some(c) if visible(actor, &c) && c.active => {
            let items = store.checklist_items(id).await?;
            (c, items)
        }
        _ => return Err(field_error("checklist", "所选检查表不存在或已停用")),
    };
    if items.is_empty() {
        return Err(field_error("checklist", "所选检查表还没有检查项"));
    }
    let audit = record_event(
        actor,
        now,
        &record,
        format!("使用检查表“{}”({} 项)", c.name, items.len()),
    );
    let new = NewChecks {
        record: record.id,
        checklist: &c,
        items: &items,
    };
    if store.add_checks(&new, &audit).await? {
        Ok(())
    } else {
        Err(CoreError::Conflict("本次排查已使用该检查表".into()))
    }
}

/// 移除检查表: drops the checklist's checks from the inspection, unless a hazard was
/// registered from one of them.
pub async fn drop_checklist(
    store: &dyn Store,
    actor: &Actor,
    record: RecordId,
    checklist: ChecklistId,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let (record, _) = authorize_mark(store, actor, record).await?;
    let checks = store.checks_of_record(record.id).await?;
    let Some(first) = checks.iter().find(|c| c.checklist_id == checklist) else {
        return Err(CoreError::NotFound);
    };
    let audit = record_event(
        actor,
        now,
        &record,
        format!("移除检查表“{}”", first.checklist_name),
    );
    if store.remove_checks(record.id, checklist, &audit).await? {
        Ok(())
    } else {
        Err(CoreError::Conflict(
            "该检查表中已有不符合项登记了隐患,不能移除".into(),
        ))
    }
}

/// 保存检查结果 (符合 / 不符合 / 不涉及 and a note per item). Returns how many changed.
pub async fn mark(
    store: &dyn Store,
    actor: &Actor,
    record: RecordId,
    pairs: &[(String, String)],
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    let (record, _) = authorize_mark(store, actor, record).await?;
    let checks = store.checks_of_record(record.id).await?;
    let marks = parse_marks(pairs, &checks)?;
    if marks.is_empty() {
        return Ok(0);
    }
    let failed = marks
        .iter()
        .filter(|m| m.outcome == Some(Outcome::Fail))
        .count();
    let audit = record_event(
        actor,
        now,
        &record,
        format!("记录检查结果 {} 项,其中不符合 {failed} 项", marks.len()),
    );
    store.mark_checks(&marks, &audit).await?;
    Ok(marks.len())
}

/// The 不符合 check of this inspection a hazard is being registered from (the 新增隐患 form's
/// `check` field): the hazard form is pre-filled from it and the hazard is linked to it.
pub async fn failed_check(
    store: &dyn Store,
    record: &ServiceRecord,
    raw: &str,
) -> CoreResult<Option<Check>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let id: CheckId = raw
        .parse()
        .map_err(|_| field_error("check", "检查项无效"))?;
    match store.get_check(id).await? {
        Some(c) if c.record_id == record.id => {
            if c.hazard_id.is_some() {
                Err(CoreError::Conflict("该不符合项已登记隐患".into()))
            } else if c.outcome != Some(Outcome::Fail) {
                Err(CoreError::Conflict(
                    "该检查项不是“不符合”,不能据此登记隐患".into(),
                ))
            } else {
                Ok(Some(c))
            }
        }
        _ => Err(field_error("check", "检查项不属于本次排查")),
    }
}

/// 不符合项统计: the items that fail most, per sector of the inspected enterprises. An agency
/// sees its own inspections, the platform all.
pub async fn fail_stats(
    store: &dyn Store,
    actor: &Actor,
    filter: &FailFilter,
) -> CoreResult<Vec<FailRow>> {
    require(actor, Permission::ChecklistView)?;
    let query = filter.query(owner_of(actor).org())?;
    store.fail_stats(&query, FAIL_ROWS).await
}
