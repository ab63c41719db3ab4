use chrono::{DateTime, Duration, Utc};

use super::{NewNotice, Notice, NoticeFilter, Viewer, plan_reminders};
use crate::auth::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ids::NoticeId;
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// 消息通知: every logged-in account has its organization's inbox, so no permission is needed
/// beyond being who the notification is for.
pub async fn list(
    store: &dyn Store,
    actor: &Actor,
    filter: &NoticeFilter,
    page: PageRequest,
) -> CoreResult<Page<Notice>> {
    store
        .list_notices(&Viewer::of(actor), &filter.query(), page)
        .await
}

/// The number on the bell.
pub async fn unread_count(store: &dyn Store, actor: &Actor) -> CoreResult<u64> {
    store
        .count_unread_notices(&Viewer::of(actor), crate::page::BADGE_CAP)
        .await
}

/// 标为已读, returning where the notification points so the page can open it. Another
/// organization's id (or one a 仅本人负责 account does not see) is not found.
pub async fn open(
    store: &dyn Store,
    actor: &Actor,
    id: NoticeId,
    now: DateTime<Utc>,
) -> CoreResult<String> {
    let viewer = Viewer::of(actor);
    let notice = store
        .visible_notice(&viewer, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    store.mark_notices_read(&viewer, Some(id), now).await?;
    Ok(notice.link())
}

/// 全部标为已读: everything the actor sees.
pub async fn mark_all_read(
    store: &dyn Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> CoreResult<u64> {
    store.mark_notices_read(&Viewer::of(actor), None, now).await
}

/// Writes notifications outside any other change (the reminder job, demo data).
pub async fn add(store: &dyn Store, notices: &[NewNotice]) -> CoreResult<u64> {
    store.add_notices(notices).await
}

/// The 到期提醒 job: plans today's reminders and writes those not written before. Running it
/// twice on a day (a retry, a second instance) writes nothing new.
pub async fn run_reminders(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u64> {
    let today = crate::time::today(now);
    let input = store.reminder_input(today).await?;
    let earliest = input
        .complaints
        .iter()
        .map(|c| c.filed_on)
        .min()
        .unwrap_or(today);
    let calendar =
        crate::calendar::service::covering(store, earliest, today + Duration::days(90)).await?;
    let notices = plan_reminders(today, &input, &calendar, now);
    // A province's day can hold thousands: written in batches, so no one transaction holds
    // SQLite's write lock for long. A run cut off halfway is finished by its retry, the
    // written ones skipped by their dedupe keys.
    let mut written = 0;
    for batch in notices.chunks(REMINDER_BATCH) {
        written += store.add_notices(batch).await?;
    }
    Ok(written)
}

/// Reminders written per transaction.
const REMINDER_BATCH: usize = 200;
