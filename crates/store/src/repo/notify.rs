use anze_core::audit::ObjectKind;
use anze_core::complaint::ComplaintState;
use anze_core::hazard::HazardState;
use anze_core::ids::{AccountId, ComplaintId, HazardId, NoticeId, OrderId, OrgId};
use anze_core::job::JobKind;
use anze_core::notify::{
    ComplaintDue, HAZARD_DUE_DAYS, HAZARD_OVERDUE_WINDOW_DAYS, HazardDue, NewNotice, Notice,
    NoticeKind, NoticeQuery, NoticeStore, ORDER_ENDING_DAYS, ReminderInput, Viewer,
};
use anze_core::order::OrderState;
use anze_core::page::{Page, PageRequest};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

use super::{capped_page_of, count_upto};
use crate::entity::{
    account, complaint, hazard, job_run, notification, order_assignee, service_order, webhook,
};
use crate::{Db, db_err};

/// The object kinds a notification can point at.
fn object_of(code: &str) -> CoreResult<ObjectKind> {
    [
        ObjectKind::Order,
        ObjectKind::Record,
        ObjectKind::Hazard,
        ObjectKind::Complaint,
        ObjectKind::Policy,
    ]
    .into_iter()
    .find(|k| k.code() == code)
    .ok_or_else(|| CoreError::Internal(format!("unknown notification object {code}")))
}

fn notice_of(m: notification::Model) -> CoreResult<Notice> {
    Ok(Notice {
        id: NoticeId(m.id),
        org_id: OrgId(m.org_id),
        account_id: m.account_id.map(AccountId),
        kind: NoticeKind::from_code(&m.kind)
            .ok_or_else(|| CoreError::Internal(format!("unknown notification kind {}", m.kind)))?,
        object: object_of(&m.object_kind)?,
        object_id: m.object_id,
        order_id: m.order_id.map(OrderId),
        text: m.text,
        created_at: m.created_at,
        read_at: m.read_at,
    })
}

/// The one translation of `Viewer` into SQL: the organization's notifications addressed to it
/// or to this account; for 仅本人负责 staff only those about orders assigned to them (or
/// addressed to them by name).
fn viewer_condition(v: &Viewer) -> Condition {
    use notification::Column as N;
    let mut cond = Condition::all().add(N::OrgId.eq(v.org.0)).add(
        Condition::any()
            .add(N::AccountId.is_null())
            .add(N::AccountId.eq(v.account.0)),
    );
    if v.own_orders_only {
        cond = cond.add(
            Condition::any().add(N::AccountId.eq(v.account.0)).add(
                N::OrderId.in_subquery(
                    Query::select()
                        .column(order_assignee::Column::OrderId)
                        .from(order_assignee::Entity)
                        .and_where(order_assignee::Column::AccountId.eq(v.account.0))
                        .take(),
                ),
            ),
        );
    }
    cond
}

/// Writes notifications inside the caller's transaction, skipping reminders already written,
/// and enqueues a webhook delivery for each one whose organization has an enabled webhook.
/// `created` is the id of the object created in the same transaction, for notices that point
/// at it. Returns how many were written.
pub(crate) async fn insert_notices(
    txn: &DatabaseTransaction,
    notices: &[NewNotice],
    created: Option<i64>,
) -> CoreResult<u64> {
    let mut written = 0;
    let mut hooks: HashMap<i64, bool> = HashMap::new();
    for n in notices {
        if let Some(key) = &n.dedupe {
            let seen = notification::Entity::find()
                .filter(notification::Column::DedupeKey.eq(key.as_str()))
                .count(txn)
                .await
                .map_err(db_err)?;
            if seen > 0 {
                continue;
            }
        }
        let object_id = n
            .object_id
            .or(created)
            .ok_or_else(|| CoreError::Internal("a notification without its object".into()))?;
        let order_id = n
            .order_id
            .map(|o| o.0)
            .or((n.object == ObjectKind::Order).then_some(object_id));
        let row = notification::ActiveModel {
            id: NotSet,
            org_id: Set(n.org_id.0),
            account_id: Set(n.account_id.map(|a| a.0)),
            kind: Set(n.kind.code().to_string()),
            object_kind: Set(n.object.code().to_string()),
            object_id: Set(object_id),
            order_id: Set(order_id),
            text: Set(n.text.clone()),
            dedupe_key: Set(n.dedupe.clone()),
            created_at: Set(n.at),
            read_at: Set(None),
            read_by: Set(None),
        }
        .insert(txn)
        .await
        .map_err(db_err)?;
        written += 1;
        let hooked = match hooks.get(&n.org_id.0) {
            Some(h) => *h,
            None => {
                let h = webhook::Entity::find_by_id(n.org_id.0)
                    .filter(webhook::Column::Enabled.eq(true))
                    .count(txn)
                    .await
                    .map_err(db_err)?
                    > 0;
                hooks.insert(n.org_id.0, h);
                h
            }
        };
        if hooked {
            job_run::ActiveModel {
                id: NotSet,
                kind: Set(JobKind::WebhookDelivery.code().to_string()),
                run_key: Set(row.id.to_string()),
                scheduled_at: Set(n.at),
                state: Set(anze_core::job::JobState::Pending.code().to_string()),
                attempts: Set(0),
                next_attempt_at: Set(n.at),
                locked_by: Set(None),
                locked_until: Set(None),
                last_error: Set(None),
                payload: Set(Some(row.id.to_string())),
                org_id: Set(Some(n.org_id.0)),
                created_at: Set(n.at),
                started_at: Set(None),
                finished_at: Set(None),
            }
            .insert(txn)
            .await
            .map_err(db_err)?;
        }
    }
    Ok(written)
}

/// Removes the notifications about an object deleted in the caller's transaction.
pub(crate) async fn delete_notices_of(
    txn: &DatabaseTransaction,
    object: ObjectKind,
    id: i64,
) -> CoreResult<()> {
    notification::Entity::delete_many()
        .filter(notification::Column::ObjectKind.eq(object.code()))
        .filter(notification::Column::ObjectId.eq(id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl NoticeStore for Db {
    async fn list_notices(
        &self,
        viewer: &Viewer,
        query: &NoticeQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Notice>> {
        use notification::Column as N;
        let mut select = notification::Entity::find().filter(viewer_condition(viewer));
        match query.read {
            Some(true) => select = select.filter(N::ReadAt.is_not_null()),
            Some(false) => select = select.filter(N::ReadAt.is_null()),
            None => {}
        }
        if let Some(k) = query.kind {
            select = select.filter(N::Kind.eq(k.code()));
        }
        // An agency is told of every order: over the years its inbox is the size of its order
        // book, so it is counted like the large lists, up to the cap.
        let (rows, total, capped) =
            super::paginate_capped(&self.conn, select.order_by_desc(N::Id), page).await?;
        let items = rows.into_iter().map(notice_of).collect::<CoreResult<_>>()?;
        Ok(capped_page_of(items, total, capped, page))
    }

    async fn count_unread_notices(&self, viewer: &Viewer, cap: u64) -> CoreResult<u64> {
        // As the bell's badge (on every page), a copy of a few seconds (`crate::cache`).
        self.badge_count(cap, format!("unread:{viewer:?}"), async {
            let select = notification::Entity::find()
                .filter(viewer_condition(viewer))
                .filter(notification::Column::ReadAt.is_null());
            count_upto(&self.conn, select, cap).await
        })
        .await
    }

    async fn mark_notices_read(
        &self,
        viewer: &Viewer,
        id: Option<NoticeId>,
        now: DateTime<Utc>,
    ) -> CoreResult<u64> {
        use notification::Column as N;
        let txn = self.write().await?;
        let mut update = notification::Entity::update_many()
            .col_expr(N::ReadAt, Expr::value(Some(now)))
            .col_expr(N::ReadBy, Expr::value(Some(viewer.account.0)))
            .filter(viewer_condition(viewer))
            .filter(N::ReadAt.is_null());
        if let Some(id) = id {
            update = update.filter(N::Id.eq(id.0));
        }
        let res = update.exec(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(res.rows_affected)
    }

    async fn add_notices(&self, notices: &[NewNotice]) -> CoreResult<u64> {
        let txn = self.write().await?;
        let n = insert_notices(&txn, notices, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn get_notice(&self, id: NoticeId) -> CoreResult<Option<Notice>> {
        notification::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .map(notice_of)
            .transpose()
    }

    async fn visible_notice(&self, viewer: &Viewer, id: NoticeId) -> CoreResult<Option<Notice>> {
        notification::Entity::find_by_id(id.0)
            .filter(viewer_condition(viewer))
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .map(notice_of)
            .transpose()
    }

    async fn reminder_input(&self, today: NaiveDate) -> CoreResult<ReminderInput> {
        let hazards = hazard::Entity::find()
            // Both open states by name, so (state, deadline) is walked as two ranges.
            .filter(hazard::Column::State.is_in([
                HazardState::PendingRectification.code(),
                HazardState::PendingReview.code(),
            ]))
            .filter(
                hazard::Column::Deadline.gte(today - Duration::days(HAZARD_OVERDUE_WINDOW_DAYS)),
            )
            .filter(hazard::Column::Deadline.lte(today + Duration::days(HAZARD_DUE_DAYS)))
            .order_by_asc(hazard::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let orgs = self
            .org_map(hazards.iter().map(|h| h.enterprise_id))
            .await?;
        let enterprise_ids: Vec<i64> = orgs.keys().copied().collect();
        let enterprises_with_accounts: BTreeSet<OrgId> = account::Entity::find()
            .select_only()
            .column(account::Column::OrgId)
            .distinct()
            .filter(account::Column::OrgId.is_in(enterprise_ids))
            .filter(account::Column::Enabled.eq(true))
            .filter(account::Column::DeletedAt.is_null())
            .into_tuple::<i64>()
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(OrgId)
            .collect();
        let hazards = hazards
            .into_iter()
            .map(|h| HazardDue {
                id: HazardId(h.id),
                hazard_no: h.hazard_no.unwrap_or_default(),
                order_id: OrderId(h.order_id),
                agency_id: OrgId(h.agency_id),
                enterprise_id: OrgId(h.enterprise_id),
                enterprise_name: orgs
                    .get(&h.enterprise_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                deadline: h.deadline,
            })
            .collect();
        let ending = service_order::Entity::find()
            .filter(service_order::Column::State.eq(OrderState::Accepted.code()))
            .filter(service_order::Column::ServiceEnd.gte(today))
            .filter(
                service_order::Column::ServiceEnd.lte(today + Duration::days(ORDER_ENDING_DAYS)),
            )
            .order_by_asc(service_order::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        let orders = self.hydrate_orders(ending).await?;
        let complaints = complaint::Entity::find()
            .filter(complaint::Column::State.ne(ComplaintState::Settled.code()))
            .order_by_asc(complaint::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|c| ComplaintDue {
                id: ComplaintId(c.id),
                complaint_no: c.complaint_no.unwrap_or_default(),
                order_id: OrderId(c.order_id),
                insurer_id: OrgId(c.insurer_id),
                agency_id: OrgId(c.agency_id),
                filed_on: c.filed_on,
                accepted: c.state != ComplaintState::Pending.code(),
            })
            .collect();
        Ok(ReminderInput {
            hazards,
            orders,
            complaints,
            enterprises_with_accounts,
        })
    }
}
