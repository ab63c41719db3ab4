use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{NewNotice, Notice, NoticeQuery, ReminderInput, Viewer};
use crate::error::CoreResult;
use crate::ids::NoticeId;
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// The viewer's notifications, newest first.
    async fn list_notices(
        &self,
        viewer: &Viewer,
        query: &NoticeQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Notice>>;
    /// Unread notifications the viewer sees, counted up to `cap`.
    async fn count_unread_notices(&self, viewer: &Viewer, cap: u64) -> CoreResult<u64>;
    /// Marks one (or, with `None`, every) unread notification the viewer sees as read; the
    /// number changed. Another organization's id changes nothing.
    async fn mark_notices_read(
        &self,
        viewer: &Viewer,
        id: Option<NoticeId>,
        now: DateTime<Utc>,
    ) -> CoreResult<u64>;
    /// Writes notifications in one transaction, skipping those whose dedupe key exists; each
    /// one for an organization with an enabled webhook also enqueues its delivery. Returns how
    /// many were written.
    async fn add_notices(&self, notices: &[NewNotice]) -> CoreResult<u64>;
    /// What the reminder job looks at on `today` (China date).
    async fn reminder_input(&self, today: NaiveDate) -> CoreResult<ReminderInput>;
    async fn get_notice(&self, id: NoticeId) -> CoreResult<Option<Notice>>;
    /// The notification when the viewer sees it (the same scope as the list).
    async fn visible_notice(&self, viewer: &Viewer, id: NoticeId) -> CoreResult<Option<Notice>>;
}
