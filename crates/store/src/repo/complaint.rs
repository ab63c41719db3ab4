//! 投诉 and their steps.

use anze_core::attachment::{NewAttachment, OwnerKind, OwnerRef};
use anze_core::audit::AuditEvent;
use anze_core::complaint::{
    Complaint, ComplaintCategory, ComplaintCounts, ComplaintInput, ComplaintQuery, ComplaintState,
    ComplaintStep, ComplaintStore, Filer, NewStep, OverdueBefore, StepKind, complaint_number,
    filed_on,
};
use anze_core::ids::{AccountId, ComplaintId, OrderId, OrgId, RecordId};
use anze_core::page::{Page, PageRequest};
use anze_core::scope::Scope;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, NotSet,
    QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

use super::policy::enterprises_named;
use super::{capped_page_of, contains, count_upto, insert_audit};
use crate::entity::{account, complaint, complaint_step, service_order};
use crate::{Db, db_err};

fn scope_condition(scope: &Scope) -> Condition {
    use complaint::Column as C;
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

fn open_states() -> impl Iterator<Item = &'static str> {
    ComplaintState::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.code())
}

/// 待受理 past the reply deadline.
fn reply_overdue(b: OverdueBefore) -> Condition {
    use complaint::Column as C;
    Condition::all()
        .add(C::State.eq(ComplaintState::Pending.code()))
        .add(C::FiledOn.lt(b.reply))
}

/// Not settled past the settlement deadline.
fn settle_overdue(b: OverdueBefore) -> Condition {
    use complaint::Column as C;
    Condition::all()
        .add(C::State.is_in(open_states()))
        .add(C::FiledOn.lt(b.settle))
}

/// Every filter but the state.
fn filter_condition(backend: DbBackend, scope: &Scope, q: &ComplaintQuery) -> Condition {
    use complaint::Column as C;
    let mut cond = scope_condition(scope);
    if let Some(c) = q.category {
        cond = cond.add(C::Category.eq(c.code()));
    }
    if let Some(a) = q.agency {
        cond = cond.add(C::AgencyId.eq(a.0));
    }
    if let Some(o) = q.order {
        cond = cond.add(C::OrderId.eq(o.0));
    }
    if let Some(d) = q.filed_from {
        cond = cond.add(C::FiledOn.gte(d));
    }
    if let Some(d) = q.filed_to {
        cond = cond.add(C::FiledOn.lte(d));
    }
    if let Some(text) = &q.q {
        cond = cond.add(
            Condition::any()
                .add(contains((complaint::Entity, C::ComplaintNo), text))
                .add(contains((complaint::Entity, C::Description), text))
                .add(C::EnterpriseId.in_subquery(enterprises_named(backend, text))),
        );
    }
    if let (true, Some(b)) = (q.overdue, q.overdue_before) {
        cond = cond.add(
            Condition::any()
                .add(reply_overdue(b))
                .add(settle_overdue(b)),
        );
    }
    cond
}

fn parse<T>(what: &str, code: &str, f: impl Fn(&str) -> Option<T>) -> CoreResult<T> {
    f(code).ok_or_else(|| CoreError::Internal(format!("complaint {what} {code}")))
}

async fn insert_step(txn: &DatabaseTransaction, id: i64, s: &NewStep) -> CoreResult<()> {
    complaint_step::ActiveModel {
        id: NotSet,
        complaint_id: Set(id),
        kind: Set(s.kind.code().to_string()),
        note: Set(s.note.clone()),
        org_id: Set(s.org.0),
        created_by: Set(s.by.0),
        created_at: Set(s.at),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl Db {
    async fn hydrate_complaints(
        &self,
        rows: Vec<complaint::Model>,
        with_steps: bool,
    ) -> CoreResult<Vec<Complaint>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let steps = if with_steps {
            complaint_step::Entity::find()
                .filter(complaint_step::Column::ComplaintId.is_in(rows.iter().map(|c| c.id)))
                .order_by_asc(complaint_step::Column::Id)
                .all(&self.conn)
                .await
                .map_err(db_err)?
        } else {
            vec![]
        };
        let orgs = self
            .org_map(
                rows.iter()
                    .flat_map(|c| [c.agency_id, c.insurer_id, c.enterprise_id])
                    .chain(steps.iter().map(|s| s.org_id)),
            )
            .await?;
        let org_name = |id: i64| orgs.get(&id).map(|o| o.name.clone()).unwrap_or_default();
        let orders: HashMap<i64, String> = service_order::Entity::find()
            .filter(service_order::Column::Id.is_in(rows.iter().map(|c| c.order_id)))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.order_no.unwrap_or_default()))
            .collect();
        let people: HashMap<i64, String> = account::Entity::find()
            .filter(account::Column::Id.is_in(steps.iter().map(|s| s.created_by)))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|a| (a.id, format!("{}({})", a.name, a.username)))
            .collect();
        rows.into_iter()
            .map(|c| {
                let history = steps
                    .iter()
                    .filter(|s| s.complaint_id == c.id)
                    .map(|s| {
                        Ok(ComplaintStep {
                            kind: parse("step", &s.kind, StepKind::from_code)?,
                            note: s.note.clone(),
                            by_name: people.get(&s.created_by).cloned().unwrap_or_default(),
                            org_name: org_name(s.org_id),
                            at: s.created_at,
                        })
                    })
                    .collect::<CoreResult<Vec<_>>>()?;
                Ok(Complaint {
                    id: ComplaintId(c.id),
                    complaint_no: c.complaint_no.clone().unwrap_or_default(),
                    order_id: OrderId(c.order_id),
                    order_no: orders.get(&c.order_id).cloned().unwrap_or_default(),
                    record_id: c.record_id.map(RecordId),
                    insurer_id: OrgId(c.insurer_id),
                    insurer_name: org_name(c.insurer_id),
                    agency_id: OrgId(c.agency_id),
                    agency_name: org_name(c.agency_id),
                    enterprise_id: OrgId(c.enterprise_id),
                    enterprise_name: org_name(c.enterprise_id),
                    region_code: c.region_code,
                    category: parse("category", &c.category, ComplaintCategory::from_code)?,
                    description: c.description,
                    complainant: c.complainant,
                    phone: c.phone,
                    filer: parse("filer", &c.filer, Filer::from_code)?,
                    state: parse("state", &c.state, ComplaintState::from_code)?,
                    filed_at: c.filed_at,
                    filed_on: c.filed_on,
                    accepted_at: c.accepted_at,
                    settled_at: c.settled_at,
                    outcome: c.outcome,
                    created_by: AccountId(c.created_by),
                    steps: history,
                })
            })
            .collect()
    }
}

#[async_trait]
impl ComplaintStore for Db {
    async fn list_complaints(
        &self,
        scope: &Scope,
        q: &ComplaintQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Complaint>> {
        use complaint::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let mut cond = filter_condition(self.backend(), &scope, q);
        if let Some(s) = q.state {
            cond = cond.add(C::State.eq(s.code()));
        }
        cond = cond.add(super::keyset_condition(page.after, C::Id, None));
        let select = complaint::Entity::find().filter(cond).order_by_desc(C::Id);
        let (rows, total, capped) = super::paginate_capped(&self.conn, select, page).await?;
        Ok(capped_page_of(
            self.hydrate_complaints(rows, false).await?,
            total,
            capped,
            page,
        ))
    }

    async fn count_complaints(
        &self,
        scope: &Scope,
        q: &ComplaintQuery,
    ) -> CoreResult<ComplaintCounts> {
        use complaint::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let base = filter_condition(self.backend(), &scope, q);
        let cap = super::COUNT_CAP;
        let count = |extra: Condition| {
            count_upto(
                &self.conn,
                complaint::Entity::find().filter(base.clone().add(extra)),
                cap,
            )
        };
        let state = |s: ComplaintState| Condition::all().add(C::State.eq(s.code()));
        let mut counts = ComplaintCounts {
            pending: count(state(ComplaintState::Pending)).await?,
            accepted: count(state(ComplaintState::Accepted)).await?,
            processing: count(state(ComplaintState::Processing)).await?,
            settled: count(state(ComplaintState::Settled)).await?,
            reply_overdue: 0,
            settle_overdue: 0,
            capped_at: Some(cap),
        };
        if let Some(b) = q.overdue_before {
            counts.reply_overdue = count(reply_overdue(b)).await?;
            counts.settle_overdue = count(settle_overdue(b)).await?;
        }
        Ok(counts)
    }

    async fn get_complaint(&self, id: ComplaintId) -> CoreResult<Option<Complaint>> {
        let row = complaint::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_complaints(row.into_iter().collect(), true)
            .await?
            .pop())
    }

    async fn create_complaint(
        &self,
        order: OrderId,
        input: &ComplaintInput,
        filer: Filer,
        files: &[(String, NewAttachment)],
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<ComplaintId> {
        let check = self.photo_check(files).await?.for_new_owner();
        let txn = self.write().await?;
        let order = service_order::Entity::find_by_id(order.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        let filed_on = filed_on(step.at);
        let created = complaint::ActiveModel {
            id: NotSet,
            complaint_no: Set(None),
            order_id: Set(order.id),
            record_id: Set(input.record.map(|r| r.0)),
            insurer_id: Set(order.insurer_id),
            agency_id: Set(order.agency_id),
            enterprise_id: Set(order.enterprise_id),
            region_code: Set(order.region_code.clone()),
            category: Set(input.category.code().to_string()),
            description: Set(input.description.clone()),
            complainant: Set(input.complainant.clone()),
            phone: Set(input.phone.clone()),
            filer: Set(filer.code().to_string()),
            state: Set(ComplaintState::Pending.code().to_string()),
            filed_at: Set(step.at),
            filed_on: Set(filed_on),
            accepted_at: Set(None),
            settled_at: Set(None),
            outcome: Set(None),
            created_by: Set(step.by.0),
            created_at: Set(step.at),
            updated_at: Set(step.at),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let id = ComplaintId(created.id);
        let number = complaint_number(filed_on, id);
        complaint::Entity::update_many()
            .col_expr(
                complaint::Column::ComplaintNo,
                Expr::value(Some(number.clone())),
            )
            .filter(complaint::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_step(&txn, id.0, step).await?;
        super::attachment::insert_attachments(
            &txn,
            &check,
            OrderId(order.id),
            OwnerRef {
                kind: OwnerKind::Complaint,
                id: id.0,
            },
            files,
            step.by,
            step.at,
        )
        .await?;
        let mut audit = audit.clone();
        audit.object_label = number;
        insert_audit(&txn, &audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn move_complaint(
        &self,
        id: ComplaintId,
        from: ComplaintState,
        to: ComplaintState,
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use complaint::Column as C;
        let txn = self.write().await?;
        let mut update = complaint::Entity::update_many()
            .col_expr(C::State, Expr::value(to.code()))
            .col_expr(C::UpdatedAt, Expr::value(step.at))
            .filter(C::Id.eq(id.0))
            .filter(C::State.eq(from.code()));
        if from == ComplaintState::Pending && to == ComplaintState::Accepted {
            update = update.col_expr(C::AcceptedAt, Expr::value(Some(step.at)));
        }
        if to == ComplaintState::Settled {
            update = update
                .col_expr(C::SettledAt, Expr::value(Some(step.at)))
                .col_expr(C::Outcome, Expr::value(Some(step.note.clone())));
        }
        if update.exec(&txn).await.map_err(db_err)?.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_step(&txn, id.0, step).await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn reply_complaint(
        &self,
        id: ComplaintId,
        step: &NewStep,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use complaint::Column as C;
        let txn = self.write().await?;
        let res = complaint::Entity::update_many()
            .col_expr(C::UpdatedAt, Expr::value(step.at))
            .filter(C::Id.eq(id.0))
            .filter(C::State.is_in(open_states()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_step(&txn, id.0, step).await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
