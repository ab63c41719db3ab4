use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{Calendar, CalendarDay, CalendarForm, YEARS, parse_calendar_day};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreError, CoreResult};
use crate::ids::CalendarDayId;
use crate::store::Store;

/// The calendar of every year from `from`'s to `to`'s, whole years. Any caller may have its
/// deadlines counted, so this asks no permission; it reveals only public holidays.
pub async fn covering(store: &dyn Store, from: NaiveDate, to: NaiveDate) -> CoreResult<Calendar> {
    let (from, to) = (from.min(to), from.max(to));
    let first = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
    let last = NaiveDate::from_ymd_opt(to.year(), 12, 31).unwrap_or(to);
    let days = store.calendar_days(first, last).await?;
    Ok(Calendar::new(days.into_iter().map(|d| (d.on, d.kind))))
}

/// The calendar page of one year.
#[derive(Debug, Clone)]
pub struct YearView {
    pub year: i32,
    /// Its entries, by date.
    pub days: Vec<CalendarDay>,
    /// The years that have entries, for the page's year links.
    pub years: Vec<i32>,
}

impl YearView {
    /// A year without entries counts Monday–Friday.
    pub fn is_fallback(&self) -> bool {
        self.days.is_empty()
    }
}

/// The year a calendar page shows: the one asked for when it is a sensible year, else this one.
pub fn year_of(raw: Option<&str>, now: DateTime<Utc>) -> i32 {
    raw.and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| YEARS.contains(y))
        .unwrap_or_else(|| crate::time::today(now).year())
}

pub async fn year(store: &dyn Store, actor: &Actor, year: i32) -> CoreResult<YearView> {
    require(actor, Permission::CalendarView)?;
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(CoreError::NotFound);
    };
    Ok(YearView {
        year,
        days: store.calendar_days(first, last).await?,
        years: store.calendar_years().await?,
    })
}

/// Whether the actor may add and delete entries.
pub fn can_edit(actor: &Actor) -> bool {
    actor.has(Permission::CalendarEdit)
}

/// 新增: one day off (休) or one weekend day worked (班).
pub async fn add(
    store: &dyn Store,
    actor: &Actor,
    form: &CalendarForm,
    now: DateTime<Utc>,
) -> CoreResult<CalendarDayId> {
    require(actor, Permission::CalendarEdit)?;
    let day = parse_calendar_day(form)?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Create,
        ObjectKind::CalendarDay,
        None,
        &format!("{} {}", day.on, day.name),
        format!(
            "工作日历新增 {}({}){}",
            day.on,
            super::weekday_label(day.on),
            day.kind.long_label()
        ),
    );
    store
        .add_calendar_day(&day, actor.account_id, &audit)
        .await
        .map_err(|e| e.on_duplicate("on", "该日期已在日历中,如需修改请先删除原条目"))
}

/// The entry a 删除 is about to remove, for the confirmation that names it.
pub async fn get_for_delete(
    store: &dyn Store,
    actor: &Actor,
    id: CalendarDayId,
) -> CoreResult<CalendarDay> {
    require(actor, Permission::CalendarEdit)?;
    store.get_calendar_day(id).await?.ok_or(CoreError::NotFound)
}

/// 删除 an entry; returns it, for the page to go back to its year.
pub async fn delete(
    store: &dyn Store,
    actor: &Actor,
    id: CalendarDayId,
    now: DateTime<Utc>,
) -> CoreResult<CalendarDay> {
    let day = get_for_delete(store, actor, id).await?;
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Delete,
        ObjectKind::CalendarDay,
        Some(id.0),
        &format!("{} {}", day.on, day.name),
        format!(
            "工作日历删除 {}({}){}",
            day.on,
            day.weekday_label(),
            day.kind.long_label()
        ),
    );
    if !store.delete_calendar_day(id, &audit).await? {
        return Err(CoreError::NotFound);
    }
    Ok(day)
}
