use async_trait::async_trait;
use chrono::NaiveDate;

use super::{CalendarDay, NewCalendarDay};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, CalendarDayId};

#[async_trait]
pub trait CalendarStore: Send + Sync {
    /// The entries from `from` to `to` (both included), by date.
    async fn calendar_days(&self, from: NaiveDate, to: NaiveDate) -> CoreResult<Vec<CalendarDay>>;
    /// The years that have at least one entry, ascending.
    async fn calendar_years(&self) -> CoreResult<Vec<i32>>;
    async fn get_calendar_day(&self, id: CalendarDayId) -> CoreResult<Option<CalendarDay>>;
    /// Adds an entry with its audit event; `Duplicate` when the date has one already.
    async fn add_calendar_day(
        &self,
        day: &NewCalendarDay,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<CalendarDayId>;
    /// Removes an entry with its audit event; `false` when it was gone already.
    async fn delete_calendar_day(&self, id: CalendarDayId, audit: &AuditEvent) -> CoreResult<bool>;
}
