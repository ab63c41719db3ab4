use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{
    Clocks, Complaint, ComplaintAction, ComplaintCounts, ComplaintFilter, ComplaintForm,
    ComplaintQuery, ComplaintState, FILES, Filer, NewStep, OverdueBefore, REPLY_WORKING_DAYS,
    SETTLE_WORKING_DAYS, StepKind, parse_complaint, parse_note,
};
use crate::attachment::{Attachment, NewAttachment, OwnerKind, check_files};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::calendar::{self, Calendar};
use crate::error::{CoreError, CoreResult, field_error};
use crate::ids::{ComplaintId, OrderId};
use crate::order::{OrderState, ServiceOrder};
use crate::org::OrgKind;
use crate::page::{Page, PageRequest};
use crate::record::ServiceRecord;
use crate::scope;
use crate::store::Store;
use crate::time::today;

/// How far around today the calendar is read: every running clock started within the 30
/// working days (about six weeks, two more over 春节 or 国庆) before today and ends within as
/// many after.
const AROUND_DAYS: i64 = 90;

/// How far around today a missing year of the calendar is worth a warning: clocks that run now
/// started at most this long ago and end at most this far ahead.
const WARN_DAYS: i64 = 60;

/// The calendar around `today`, and the years near it that have none.
async fn calendar_around(store: &dyn Store, today: NaiveDate) -> CoreResult<(Calendar, Vec<i32>)> {
    let around = Duration::days(AROUND_DAYS);
    let calendar = calendar::service::covering(store, today - around, today + around).await?;
    let warn = Duration::days(WARN_DAYS);
    let missing = calendar.missing_years(today - warn, today + warn);
    Ok((calendar, missing))
}

fn overdue_before(today: NaiveDate, calendar: &Calendar) -> OverdueBefore {
    OverdueBefore {
        reply: calendar::overdue_before(today, REPLY_WORKING_DAYS, calendar),
        settle: calendar::overdue_before(today, SETTLE_WORKING_DAYS, calendar),
    }
}

/// A row of the list: the complaint and where its clocks stand today.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub complaint: Complaint,
    pub clocks: Clocks,
}

#[derive(Debug, Clone)]
pub struct Listing {
    pub page: Page<Listed>,
    pub counts: ComplaintCounts,
    /// Years near today without a calendar: their deadlines count Monday–Friday.
    pub missing_years: Vec<i32>,
}

/// 投诉列表: the complaints in the actor's scope that match the filter.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &ComplaintFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> CoreResult<Listing> {
    require(actor, Permission::ComplaintView)?;
    let scope = scope::of(store, actor).await?;
    let t = today(now);
    let mut query = filter.query()?;
    let (around, missing_years) = calendar_around(store, t).await?;
    query.overdue_before = Some(overdue_before(t, &around));
    let counts = store.count_complaints(&scope, &query).await?;
    let page = store.list_complaints(&scope, &query, page).await?;
    // Rows older than the calendar read around today need their own years.
    let calendar = match page.items.iter().map(|c| c.filed_on).min() {
        Some(first) if first < t - Duration::days(AROUND_DAYS) => {
            calendar::service::covering(store, first, t).await?
        }
        _ => around,
    };
    let page = Page {
        items: page
            .items
            .into_iter()
            .map(|c| Listed {
                clocks: c.clocks(t, &calendar),
                complaint: c,
            })
            .collect(),
        total: page.total,
        total_capped: page.total_capped,
        page: page.page,
        size: page.size,
    };
    Ok(Listing {
        page,
        counts,
        missing_years,
    })
}

/// 首页: the actor's complaints by state and the overdue ones.
pub async fn counts(
    store: &dyn Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> CoreResult<ComplaintCounts> {
    require(actor, Permission::ComplaintView)?;
    let scope = scope::of(store, actor).await?;
    let t = today(now);
    let (calendar, _) = calendar_around(store, t).await?;
    let query = ComplaintQuery {
        overdue_before: Some(overdue_before(t, &calendar)),
        ..ComplaintQuery::default()
    };
    store.count_complaints(&scope, &query).await
}

/// The order, when it lies in the actor's scope (`NotFound` otherwise, as for a missing one).
async fn order_in_scope(store: &dyn Store, actor: &Actor, id: OrderId) -> CoreResult<ServiceOrder> {
    let scope = scope::of(store, actor).await?;
    match store.get_order(id).await? {
        Some(o) if scope.allows_order(&o) => Ok(o),
        _ => Err(CoreError::NotFound),
    }
}

/// A complaint, visible exactly when its order is: the insurer of the policy, the agency of the
/// order (its staff of 仅本人负责 when assigned), the enterprise, the regulators of its region
/// and the platform.
pub async fn get(
    store: &dyn Store,
    actor: &Actor,
    id: ComplaintId,
) -> CoreResult<(Complaint, ServiceOrder)> {
    require(actor, Permission::ComplaintView)?;
    let complaint = store.get_complaint(id).await?.ok_or(CoreError::NotFound)?;
    let order = order_in_scope(store, actor, complaint.order_id).await?;
    Ok((complaint, order))
}

/// What the actor may do to a complaint it sees, now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComplaintActions {
    pub accept: bool,
    pub process: bool,
    pub settle: bool,
    /// 答复 (the agency, any number of times until the complaint is settled)
    pub reply: bool,
}

impl ComplaintActions {
    pub fn any(&self) -> bool {
        self.accept || self.process || self.settle || self.reply
    }
}

pub fn actions(actor: &Actor, c: &Complaint) -> ComplaintActions {
    let handles = actor.has(Permission::ComplaintHandle);
    let may = |a: ComplaintAction| handles && c.state.apply(a).is_ok();
    ComplaintActions {
        accept: may(ComplaintAction::Accept),
        process: may(ComplaintAction::Process),
        settle: may(ComplaintAction::Settle),
        reply: actor.has(Permission::ComplaintReply) && c.state.is_open(),
    }
}

/// The detail page: the complaint with its clocks, files, record and what the actor may do.
#[derive(Debug, Clone)]
pub struct Detail {
    pub complaint: Complaint,
    pub order: ServiceOrder,
    pub record: Option<ServiceRecord>,
    pub clocks: Clocks,
    pub actions: ComplaintActions,
    pub files: Vec<Attachment>,
    /// Years of this complaint's clocks without a calendar (counted Monday–Friday).
    pub missing_years: Vec<i32>,
}

pub async fn detail(
    store: &dyn Store,
    actor: &Actor,
    id: ComplaintId,
    now: DateTime<Utc>,
) -> CoreResult<Detail> {
    let (complaint, order) = get(store, actor, id).await?;
    let t = today(now);
    let calendar = calendar::service::covering(
        store,
        complaint.filed_on,
        complaint.filed_on.max(t) + Duration::days(AROUND_DAYS),
    )
    .await?;
    let clocks = complaint.clocks(t, &calendar);
    let missing_years = calendar.missing_years(complaint.filed_on, clocks.settle.due);
    let record = match complaint.record_id {
        Some(r) => store.get_record(r).await?,
        None => None,
    };
    let files = store
        .attachments_of(OwnerKind::Complaint, &[complaint.id.0])
        .await?;
    Ok(Detail {
        actions: actions(actor, &complaint),
        complaint,
        order,
        record,
        clocks,
        files,
        missing_years,
    })
}

/// Who the actor files as: the enterprise itself, or its insurer on its behalf.
fn filer_of(actor: &Actor) -> Option<Filer> {
    match actor.org_kind {
        OrgKind::Enterprise => Some(Filer::Enterprise),
        OrgKind::Insurer => Some(Filer::Insurer),
        _ => None,
    }
}

fn order_open_to_complaints(order: &ServiceOrder) -> CoreResult<()> {
    match order.state {
        OrderState::Accepted | OrderState::Completed => Ok(()),
        other => Err(CoreError::Conflict(format!(
            "订单状态为“{}”,服务尚未开展,不能投诉",
            other.label()
        ))),
    }
}

/// Whether the actor may file a complaint about this order (the order page shows 投诉).
pub fn can_file(actor: &Actor, order: &ServiceOrder) -> bool {
    actor.has(Permission::ComplaintFile)
        && filer_of(actor).is_some()
        && order_open_to_complaints(order).is_ok()
}

/// The checks of `file` that need no input: asked before an upload is read, so a caller who
/// may not file never gets a byte into storage.
pub async fn authorize_file(
    store: &dyn Store,
    actor: &Actor,
    order: OrderId,
) -> CoreResult<ServiceOrder> {
    require(actor, Permission::ComplaintFile)?;
    filer_of(actor).ok_or(CoreError::Forbidden)?;
    let order = order_in_scope(store, actor, order).await?;
    order_open_to_complaints(&order)?;
    Ok(order)
}

/// The record a complaint form names, when it is one of the order's.
pub async fn record_of(
    store: &dyn Store,
    order: &ServiceOrder,
    record: Option<crate::ids::RecordId>,
) -> CoreResult<Option<ServiceRecord>> {
    let Some(id) = record else {
        return Ok(None);
    };
    match store.get_record(id).await? {
        Some(r) if r.order_id == order.id => Ok(Some(r)),
        _ => Err(field_error("record_id", "所投诉的服务记录不属于该订单")),
    }
}

/// 登记投诉: the enterprise about its own order, or the insurer about one of its policies'
/// orders on the enterprise's behalf. Both clocks start on the filing date.
pub async fn file(
    store: &dyn Store,
    actor: &Actor,
    order: OrderId,
    form: &ComplaintForm,
    files: &[(String, NewAttachment)],
    now: DateTime<Utc>,
) -> CoreResult<ComplaintId> {
    let order = authorize_file(store, actor, order).await?;
    let filer = filer_of(actor).ok_or(CoreError::Forbidden)?;
    let file_errors = check_files(&[FILES], files, &[]);
    let input = match parse_complaint(form) {
        Ok(input) if file_errors.is_empty() => input,
        Ok(_) => return Err(CoreError::Validation(file_errors)),
        Err(CoreError::Validation(mut errors)) => {
            errors.0.extend(file_errors.0);
            return Err(CoreError::Validation(errors));
        }
        Err(e) => return Err(e),
    };
    let record = record_of(store, &order, input.record).await?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::Complaint,
        None,
        &order.order_no,
        format!(
            "{}:{} · 服务机构 {}{}",
            filer.label(),
            input.category.label(),
            order.agency_name,
            record
                .map(|r| format!(" · {} {}", r.item.label(), r.service_date))
                .unwrap_or_default()
        ),
    );
    let step = NewStep {
        kind: StepKind::Filed,
        note: input.description.clone(),
        by: actor.account_id,
        org: actor.org_id,
        at: now,
    };
    store
        .create_complaint(order.id, &input, filer, files, &step, &audit)
        .await
}

fn moved(current: Option<Complaint>) -> CoreError {
    match current {
        Some(c) => CoreError::Conflict(format!(
            "该投诉已被他人处理,当前状态为“{}”",
            c.state.label()
        )),
        None => CoreError::NotFound,
    }
}

/// 受理 / 转入处理 / 办结, by the insurer of the policy. 办结 needs the outcome.
pub async fn handle(
    store: &dyn Store,
    actor: &Actor,
    id: ComplaintId,
    action: ComplaintAction,
    note: &str,
    now: DateTime<Utc>,
) -> CoreResult<ComplaintState> {
    require(actor, Permission::ComplaintHandle)?;
    let (c, _) = get(store, actor, id).await?;
    let next = c.state.apply(action).map_err(CoreError::Conflict)?;
    let kind = StepKind::of(action);
    let note = parse_note(note, kind)?;
    let audit = AuditEvent::new(
        actor,
        now,
        match action {
            ComplaintAction::Accept => AuditAction::Accept,
            ComplaintAction::Process => AuditAction::Process,
            ComplaintAction::Settle => AuditAction::Settle,
        },
        ObjectKind::Complaint,
        Some(id.0),
        &c.complaint_no,
        format!(
            "{} → {}{}",
            c.state.label(),
            next.label(),
            if note.is_empty() {
                String::new()
            } else {
                format!(":{note}")
            }
        ),
    );
    let step = NewStep {
        kind,
        note,
        by: actor.account_id,
        org: actor.org_id,
        at: now,
    };
    if !store
        .move_complaint(id, c.state, next, &step, &audit)
        .await?
    {
        return Err(moved(store.get_complaint(id).await?));
    }
    Ok(next)
}

/// 答复: the agency complained about answers, as often as it has something to say, until the
/// complaint is settled. Answers do not move the state or stop a clock: the deadlines are the
/// insurer's.
pub async fn reply(
    store: &dyn Store,
    actor: &Actor,
    id: ComplaintId,
    text: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::ComplaintReply)?;
    let (c, _) = get(store, actor, id).await?;
    if !c.state.is_open() {
        return Err(CoreError::Conflict("该投诉已办结,不能再答复".into()));
    }
    let note = parse_note(text, StepKind::Reply)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Respond,
        ObjectKind::Complaint,
        Some(id.0),
        &c.complaint_no,
        note.chars().take(200).collect(),
    );
    let step = NewStep {
        kind: StepKind::Reply,
        note,
        by: actor.account_id,
        org: actor.org_id,
        at: now,
    };
    if !store.reply_complaint(id, &step, &audit).await? {
        return Err(CoreError::Conflict("该投诉已办结,不能再答复".into()));
    }
    Ok(())
}
