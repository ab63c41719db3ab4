use anze_core::attachment::{NewAttachment, OwnerRef};
use anze_core::audit::AuditEvent;
use anze_core::ids::AttachmentId;
use anze_core::ids::{AccountId, OrderId, OrgId, RecordId};
use anze_core::order::OrderState;
use anze_core::page::{Page, PageRequest};
use anze_core::record::{
    Confirmation, Details, RecordConfirmation, RecordInput, RecordQuery, RecordStore,
    ServiceRecord, owner_kind,
};
use anze_core::scope::Scope;
use anze_core::service_item::ServiceItem;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::policy::enterprises_named;
use super::{NameQuery, capped_page_of, insert_audit, paginate_capped_at};
use crate::entity::{record_staff, service_order, service_record};
use crate::{Db, db_err};

pub(crate) fn scope_condition(scope: &Scope) -> Condition {
    use service_record::Column as C;
    super::scope_condition(
        scope,
        super::ScopeColumns {
            insurer: C::InsurerId,
            agency: C::AgencyId,
            enterprise: C::EnterpriseId,
            region: C::RegionCode,
            order: C::OrderId,
        },
    )
}

/// Records done and, of those, confirmed by the enterprise per (order, item), for the orders'
/// progress.
pub(crate) async fn done_counts(
    conn: &impl ConnectionTrait,
    orders: &[i64],
) -> CoreResult<HashMap<(i64, String), (i64, i64)>> {
    if orders.is_empty() {
        return Ok(HashMap::new());
    }
    use service_record::Column as C;
    let stmt = Query::select()
        .column(C::OrderId)
        .column(C::Item)
        .expr_as(Expr::col(C::Id).count(), "n")
        // COUNT, not SUM: it is a BIGINT on every backend (MySQL's SUM is a DECIMAL).
        .expr_as(
            Expr::case(
                Expr::col(C::Confirmation).eq(Confirmation::Confirmed.code()),
                Expr::val(1),
            )
            .count(),
            "confirmed",
        )
        .from(service_record::Entity)
        .and_where(C::OrderId.is_in(orders.iter().copied()))
        .group_by_col(C::OrderId)
        .group_by_col(C::Item)
        .take();
    let mut out = HashMap::new();
    for row in conn.query_all(&stmt).await.map_err(db_err)? {
        let order: i64 = row.try_get("", "order_id").map_err(db_err)?;
        let item: String = row.try_get("", "item").map_err(db_err)?;
        let n: i64 = row.try_get("", "n").map_err(db_err)?;
        let confirmed: i64 = row.try_get("", "confirmed").map_err(db_err)?;
        out.insert((order, item), (n, confirmed));
    }
    Ok(out)
}

async fn set_staff(txn: &DatabaseTransaction, record: i64, staff: &[AccountId]) -> CoreResult<()> {
    record_staff::Entity::delete_many()
        .filter(record_staff::Column::RecordId.eq(record))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if staff.is_empty() {
        return Ok(());
    }
    record_staff::Entity::insert_many(staff.iter().map(|a| record_staff::ActiveModel {
        record_id: Set(record),
        account_id: Set(a.0),
    }))
    .exec(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl Db {
    /// The order a record hangs on, locked for the rest of the transaction so completing the
    /// order and changing its records cannot interleave.
    pub(crate) async fn lock_accepted_order(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
    ) -> CoreResult<service_order::Model> {
        let mut select = service_order::Entity::find_by_id(id);
        if self.backend() != DbBackend::Sqlite {
            select = select.lock_exclusive();
        }
        let order = select
            .one(txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        if order.state != OrderState::Accepted.code() {
            return Err(CoreError::Conflict(
                "订单已不在服务中,服务记录不能再新增、修改或删除".into(),
            ));
        }
        Ok(order)
    }

    async fn hydrate_records(
        &self,
        rows: Vec<service_record::Model>,
    ) -> CoreResult<Vec<ServiceRecord>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut staff: HashMap<i64, Vec<i64>> = HashMap::new();
        for s in record_staff::Entity::find()
            .filter(record_staff::Column::RecordId.is_in(ids))
            .all(&self.conn)
            .await
            .map_err(db_err)?
        {
            staff.entry(s.record_id).or_default().push(s.account_id);
        }
        let names = self
            .names(NameQuery {
                orgs: rows
                    .iter()
                    .flat_map(|r| [r.agency_id, r.insurer_id, r.enterprise_id])
                    .collect(),
                orders: rows.iter().map(|r| r.order_id).collect(),
                accounts: staff
                    .values()
                    .flatten()
                    .copied()
                    .chain(rows.iter().map(|r| r.created_by))
                    .collect(),
                ..Default::default()
            })
            .await?;
        rows.into_iter()
            .map(|r| {
                let item = ServiceItem::from_code(&r.item).ok_or_else(|| {
                    CoreError::Internal(format!("record {} has item {}", r.id, r.item))
                })?;
                let details: Details = serde_json::from_str(&r.details)
                    .map_err(|e| CoreError::Internal(format!("record {} details: {e}", r.id)))?;
                let record_staff = names.account_refs(staff.get(&r.id));
                Ok(ServiceRecord {
                    id: RecordId(r.id),
                    item,
                    order_id: OrderId(r.order_id),
                    order_no: names.order_no(r.order_id),
                    agency_id: OrgId(r.agency_id),
                    agency_name: names.org(r.agency_id),
                    insurer_id: OrgId(r.insurer_id),
                    insurer_name: names.org(r.insurer_id),
                    enterprise_id: OrgId(r.enterprise_id),
                    enterprise_name: names.org(r.enterprise_id),
                    region_code: r.region_code,
                    service_date: r.service_date,
                    location: r.location,
                    staff: record_staff,
                    enterprise_contact: r.enterprise_contact,
                    summary: r.summary,
                    details,
                    created_by: AccountId(r.created_by),
                    created_by_name: names.account(r.created_by).cloned().unwrap_or_default(),
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    confirmation: RecordConfirmation {
                        state: Confirmation::from_code(&r.confirmation).ok_or_else(|| {
                            CoreError::Internal(format!(
                                "record {} has confirmation {}",
                                r.id, r.confirmation
                            ))
                        })?,
                        by: r.confirmed_by.map(AccountId),
                        by_name: r.confirmed_by_name,
                        at: r.confirmed_at,
                        on_site: r.signed_on_site,
                        objection: r.objection,
                        reply: r.objection_reply,
                    },
                })
            })
            .collect()
    }
}

/// Writes the confirmation columns; with `from`, only while the record is still in that state.
async fn set_confirmation_columns(
    txn: &DatabaseTransaction,
    id: i64,
    c: &RecordConfirmation,
    from: Option<Confirmation>,
) -> CoreResult<()> {
    use service_record::Column as C;
    let mut update = service_record::Entity::update_many()
        .col_expr(C::Confirmation, Expr::value(c.state.code()))
        .col_expr(C::ConfirmedBy, Expr::value(c.by.map(|a| a.0)))
        .col_expr(C::ConfirmedByName, Expr::value(c.by_name.clone()))
        .col_expr(C::ConfirmedAt, Expr::value(c.at))
        .col_expr(C::SignedOnSite, Expr::value(c.on_site))
        .col_expr(C::Objection, Expr::value(c.objection.clone()))
        .col_expr(C::ObjectionReply, Expr::value(c.reply.clone()))
        .col_expr(C::ObjectionAnswered, Expr::value(c.reply.is_some()))
        .filter(C::Id.eq(id));
    if let Some(from) = from {
        update = update.filter(C::Confirmation.eq(from.code()));
    }
    let done = update.exec(txn).await.map_err(db_err)?;
    // Only moves between states are checked: they always change the row, and MySQL counts
    // changed rows, not matched ones.
    if from.is_some() && done.rows_affected == 0 {
        return Err(CoreError::Conflict(
            "该记录的确认状态已变化,请刷新页面后重试".into(),
        ));
    }
    Ok(())
}

fn details_json(d: &Details) -> CoreResult<String> {
    serde_json::to_string(d).map_err(|e| CoreError::Internal(format!("details: {e}")))
}

/// The `record_tallies` keys of a query that filters by nothing else (its service item and
/// 企业确认 state, if any), or `None` when the tallies cannot answer it.
fn tally_keys(query: &RecordQuery) -> Option<[(&'static str, Option<&'static str>); 2]> {
    // Every field named, so a new filter cannot be overlooked here.
    let RecordQuery {
        enterprise,
        insurer,
        agency,
        from,
        to,
        staff,
        q,
        regions,
        order,
        confirmation,
        item,
        waiting_first: _,
        flagged,
    } = query;
    let unfiltered = enterprise.is_none()
        && insurer.is_none()
        && agency.is_none()
        && from.is_none()
        && to.is_none()
        && staff.is_none()
        && q.is_none()
        && regions.is_none()
        && order.is_none()
        && flagged.is_none();
    unfiltered.then(|| {
        [
            ("item", item.map(|i| i.code())),
            ("confirmation", confirmation.map(|c| c.code())),
        ]
    })
}

#[async_trait]
impl RecordStore for Db {
    async fn list_records(
        &self,
        scope: &Scope,
        query: &RecordQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ServiceRecord>> {
        use service_record::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let mut cond = match query.order {
            Some(order) => Condition::all()
                .add(C::OrderId.eq(order.0))
                .add(C::OrderId.in_subquery(super::order::order_in_scope(&scope, order))),
            None => scope_condition(&scope),
        };
        if let Some(item) = query.item {
            cond = cond.add(C::Item.eq(item.code()));
        }
        if let Some(c) = query.confirmation {
            cond = cond.add(C::Confirmation.eq(c.code()));
        }
        if let Some(f) = query.flagged {
            cond = cond.add(C::Id.in_subquery(super::integrity::flagged_owners(false, f)));
        }
        if let Some(name) = &query.enterprise {
            cond = cond.add(C::EnterpriseId.in_subquery(enterprises_named(self.backend(), name)));
        }
        if let Some(i) = query.insurer {
            cond = cond.add(C::InsurerId.eq(i.0));
        }
        if let Some(a) = query.agency {
            cond = cond.add(C::AgencyId.eq(a.0));
        }
        if let Some(r) = &query.regions {
            cond = cond.add(C::RegionCode.is_in(r.iter().cloned()));
        }
        if let Some(from) = query.from {
            cond = cond.add(C::ServiceDate.gte(from));
        }
        if let Some(to) = query.to {
            cond = cond.add(C::ServiceDate.lte(to));
        }
        if let Some(staff) = query.staff {
            cond = cond.add(
                C::Id.in_subquery(
                    Query::select()
                        .column(record_staff::Column::RecordId)
                        .from(record_staff::Entity)
                        .and_where(record_staff::Column::AccountId.eq(staff.0))
                        .take(),
                ),
            );
        }
        if let Some(q) = &query.q {
            cond = cond.add(super::search::text_matches::<service_record::Entity>(
                self.backend(),
                &[C::Location, C::Summary],
                q,
            ));
        }
        let mut select = service_record::Entity::find().filter(cond);
        if query.waiting_first {
            // Not an export: no keyset, so the state may lead the order.
            select = select.order_by_desc(C::Confirmation);
        } else {
            select = select.filter(super::keyset_condition(
                page.after,
                C::Id,
                Some(C::ServiceDate),
            ));
        }
        let select = select.order_by_desc(C::ServiceDate).order_by_desc(C::Id);
        let (rows, total, capped) = match tally_keys(query) {
            Some(keys) => {
                let known = self
                    .tally_total(&crate::migration::RECORD_TALLIES, &scope, &keys)
                    .await?;
                super::paginate_tallied(&self.conn, select, page, known).await?
            }
            None => {
                let counting = super::search::counting(query.q.as_deref());
                paginate_capped_at(&self.conn, select, page, counting).await?
            }
        };
        Ok(capped_page_of(
            self.hydrate_records(rows).await?,
            total,
            capped,
            page,
        ))
    }

    async fn get_record(&self, id: RecordId) -> CoreResult<Option<ServiceRecord>> {
        let row = service_record::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self.hydrate_records(row.into_iter().collect()).await?.pop())
    }

    async fn create_record(
        &self,
        item: ServiceItem,
        order: OrderId,
        input: &RecordInput,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<RecordId> {
        let check = self.photo_check(files).await?.for_new_owner();
        let txn = self.write().await?;
        let o = self.lock_accepted_order(&txn, order.0).await?;
        let created = service_record::ActiveModel {
            id: NotSet,
            item: Set(item.code().to_string()),
            order_id: Set(o.id),
            agency_id: Set(o.agency_id),
            insurer_id: Set(o.insurer_id),
            enterprise_id: Set(o.enterprise_id),
            region_code: Set(o.region_code),
            service_date: Set(input.service_date),
            location: Set(input.location.clone()),
            enterprise_contact: Set(input.enterprise_contact.clone()),
            summary: Set(input.summary.clone()),
            details: Set(details_json(&input.details)?),
            created_by: Set(by.0),
            created_at: Set(audit.at),
            updated_at: Set(audit.at),
            confirmation: NotSet,
            confirmed_by: NotSet,
            confirmed_by_name: NotSet,
            confirmed_at: NotSet,
            signed_on_site: NotSet,
            objection: NotSet,
            objection_reply: NotSet,
            objection_answered: NotSet,
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        set_confirmation_columns(&txn, created.id, &input.confirmation, None).await?;
        set_staff(&txn, created.id, &input.staff).await?;
        let owner = OwnerRef {
            kind: owner_kind(item),
            id: created.id,
        };
        super::attachment::insert_attachments(&txn, &check, order, owner, files, by, audit.at)
            .await?;
        insert_audit(
            &txn,
            &audit.clone().in_org(OrgId(o.agency_id)),
            Some(created.id),
        )
        .await?;
        txn.commit().await.map_err(db_err)?;
        Ok(RecordId(created.id))
    }

    async fn update_record(
        &self,
        id: RecordId,
        input: &RecordInput,
        added: &[(String, NewAttachment)],
        removed: &[AttachmentId],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<Vec<String>> {
        use service_record::Column as C;
        let check = self.photo_check(added).await?;
        let txn = self.write().await?;
        let record = service_record::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        self.lock_accepted_order(&txn, record.order_id).await?;
        service_record::Entity::update_many()
            .col_expr(C::ServiceDate, Expr::value(input.service_date))
            .col_expr(C::Location, Expr::value(input.location.clone()))
            .col_expr(
                C::EnterpriseContact,
                Expr::value(input.enterprise_contact.clone()),
            )
            .col_expr(C::Summary, Expr::value(input.summary.clone()))
            .col_expr(C::Details, Expr::value(details_json(&input.details)?))
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        set_confirmation_columns(&txn, id.0, &input.confirmation, None).await?;
        set_staff(&txn, id.0, &input.staff).await?;
        let item = ServiceItem::from_code(&record.item).ok_or_else(|| {
            CoreError::Internal(format!("record {} has item {}", id, record.item))
        })?;
        let owner = OwnerRef {
            kind: owner_kind(item),
            id: id.0,
        };
        let keys = super::attachment::delete_attachment_rows_by_id(&txn, owner, removed).await?;
        super::attachment::insert_attachments(
            &txn,
            &check,
            OrderId(record.order_id),
            owner,
            added,
            by,
            audit.at,
        )
        .await?;
        insert_audit(&txn, &audit.clone().in_org(OrgId(record.agency_id)), None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(keys)
    }

    async fn count_records(&self, scope: &Scope, state: Confirmation) -> CoreResult<u64> {
        let scope = self.simplify_scope(scope).await?;
        let tallied = self
            .tally_total(
                &crate::migration::RECORD_TALLIES,
                &scope,
                &[("item", None), ("confirmation", Some(state.code()))],
            )
            .await?;
        if let Some(n) = tallied {
            return Ok(Ord::min(n, super::COUNT_CAP));
        }
        let select = service_record::Entity::find()
            .filter(scope_condition(&scope))
            .filter(service_record::Column::Confirmation.eq(state.code()));
        super::count_upto(&self.conn, select, super::COUNT_CAP).await
    }

    async fn set_confirmation(
        &self,
        id: RecordId,
        from: Confirmation,
        to: &RecordConfirmation,
        audit: &AuditEvent,
        notices: &[anze_core::notify::NewNotice],
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        set_confirmation_columns(&txn, id.0, to, Some(from)).await?;
        insert_audit(&txn, audit, None).await?;
        super::notify::insert_notices(&txn, notices, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_record(&self, id: RecordId, audit: &AuditEvent) -> CoreResult<Vec<String>> {
        let txn = self.write().await?;
        let record = service_record::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        self.lock_accepted_order(&txn, record.order_id).await?;
        let item = ServiceItem::from_code(&record.item).ok_or_else(|| {
            CoreError::Internal(format!("record {} has item {}", id, record.item))
        })?;
        let keys = super::attachment::delete_attachment_rows(
            &txn,
            OwnerRef {
                kind: owner_kind(item),
                id: id.0,
            },
        )
        .await?;
        set_staff(&txn, id.0, &[]).await?;
        // An inspection's checklist results (one with a hazard never gets here: an inspection
        // with hazards is not deleted).
        crate::entity::inspection_check::Entity::delete_many()
            .filter(crate::entity::inspection_check::Column::RecordId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        // Its notifications (an objection) would only lead to a missing page.
        super::notify::delete_notices_of(&txn, anze_core::audit::ObjectKind::Record, id.0).await?;
        service_record::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, &audit.clone().in_org(OrgId(record.agency_id)), None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(keys)
    }
}
