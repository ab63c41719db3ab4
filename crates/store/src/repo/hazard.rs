use anze_core::attachment::{NewAttachment, OwnerKind, OwnerRef};
use anze_core::audit::AuditEvent;
use anze_core::hazard::{
    Hazard, HazardCounts, HazardInput, HazardLevel, HazardQuery, HazardState, HazardStep,
    HazardStore, NoticeReceipt, ReceiptVia, Rectification, Rectifier, Review, StepKind,
    hazard_number,
};
use anze_core::ids::{AccountId, CheckId, HazardId, OrderId, OrgId, RecordId};
use anze_core::page::{Page, PageRequest};
use anze_core::scope::Scope;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

mod tally;

use super::policy::enterprises_named;
use super::{NameQuery, capped_page_of, count_upto, insert_audit};
use crate::entity::{hazard, hazard_step, notice_receipt, service_record};
use crate::{Db, db_err};

fn scope_condition(scope: &Scope) -> Condition {
    use hazard::Column as C;
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

/// Whether a condition selects rows to show or only counts them: the two want the open
/// hazards said differently (see `open_condition`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Rows,
    Count,
}

/// Open hazards. Rows: `state <> 'closed'` with the literal in the SQL, not a bound parameter:
/// only then can SQLite and PostgreSQL (with a generic plan) prove that the partial indexes of
/// open hazards, which hold them newest first, have every row the page wants. Counts:
/// `state IN (the open states)`, so a count seeks straight to those states in the
/// (party, state, deadline) indexes instead of stepping over a party's closed hazards (80 %).
fn open_condition(u: Use) -> SimpleExpr {
    let state = Expr::col((hazard::Entity, hazard::Column::State));
    match u {
        Use::Rows => state.ne(Expr::cust(format!("'{}'", HazardState::Closed.code()))),
        Use::Count => state.is_in(
            HazardState::ALL
                .into_iter()
                .filter(|s| *s != HazardState::Closed)
                .map(|s| s.code()),
        ),
    }
}

/// How a count of the ledger's rows says "open": 重大 hazards are counted in their own
/// partial indexes, which hold the state and deadline, so there the rows' form serves best;
/// the `IN` form would send the count through every open hazard to find the few major ones.
fn count_use(q: &HazardQuery) -> Use {
    if q.level == Some(HazardLevel::Major) {
        Use::Rows
    } else {
        Use::Count
    }
}

/// `level = 'major'`, literal for the same reason: the partial index of 重大 hazards.
fn major_condition() -> SimpleExpr {
    Expr::col((hazard::Entity, hazard::Column::Level))
        .eq(Expr::cust(format!("'{}'", HazardLevel::Major.code())))
}

fn overdue_condition(today: chrono::NaiveDate, u: Use) -> Condition {
    Condition::all()
        .add(open_condition(u))
        .add(hazard::Column::Deadline.lt(today))
}

/// Every filter but the state, so the counts at the top stay meaningful while one state is shown.
fn filter_condition(backend: DbBackend, scope: &Scope, q: &HazardQuery, u: Use) -> Condition {
    use hazard::Column as C;
    // One order's (or one inspection's) hazards: scoped through the order (the inspection),
    // see `order_in_scope`.
    let mut cond = match (q.order, q.inspection) {
        (Some(o), _) => {
            Condition::all().add(C::OrderId.in_subquery(super::order::order_in_scope(scope, o)))
        }
        (None, Some(i)) => Condition::all().add(
            C::InspectionId.in_subquery(
                Query::select()
                    .column(service_record::Column::Id)
                    .from(service_record::Entity)
                    .and_where(service_record::Column::Id.eq(i.0))
                    .cond_where(super::record::scope_condition(scope))
                    .take(),
            ),
        ),
        (None, None) => scope_condition(scope),
    };
    match q.level {
        Some(HazardLevel::Major) => cond = cond.add(major_condition()),
        Some(level) => cond = cond.add(C::Level.eq(level.code())),
        None => {}
    }
    if let (true, Some(today)) = (q.overdue, q.today) {
        cond = cond.add(overdue_condition(today, u));
    }
    if let Some(name) = &q.enterprise {
        cond = cond.add(C::EnterpriseId.in_subquery(enterprises_named(backend, name)));
    }
    if let Some(f) = q.flagged {
        cond = cond.add(C::Id.in_subquery(super::integrity::flagged_owners(true, f)));
    }
    if let Some(i) = q.insurer {
        cond = cond.add(C::InsurerId.eq(i.0));
    }
    if let Some(a) = q.agency {
        cond = cond.add(C::AgencyId.eq(a.0));
    }
    if let Some(r) = &q.regions {
        cond = cond.add(C::RegionCode.is_in(r.iter().cloned()));
    }
    if let Some(d) = q.found_from {
        cond = cond.add(C::FoundOn.gte(d));
    }
    if let Some(d) = q.found_to {
        cond = cond.add(C::FoundOn.lte(d));
    }
    if let Some(d) = q.deadline_from {
        cond = cond.add(C::Deadline.gte(d));
    }
    if let Some(d) = q.deadline_to {
        cond = cond.add(C::Deadline.lte(d));
    }
    if let Some(text) = &q.q {
        cond = cond.add(super::search::text_matches::<hazard::Entity>(
            backend,
            &[C::HazardNo, C::Description],
            text,
        ));
    }
    if let Some(i) = q.inspection {
        cond = cond.add(C::InspectionId.eq(i.0));
    }
    if let Some(o) = q.order {
        cond = cond.add(C::OrderId.eq(o.0));
    }
    cond
}

fn state_of(code: &str) -> CoreResult<HazardState> {
    HazardState::from_code(code).ok_or_else(|| CoreError::Internal(format!("hazard state {code}")))
}

/// One 整改 or 复查 as it is written.
struct NewStep<'a> {
    hazard_id: i64,
    round: i32,
    kind: StepKind,
    on: chrono::NaiveDate,
    note: &'a str,
    passed: Option<bool>,
    reviewer: Option<AccountId>,
    party: Option<Rectifier>,
    by: AccountId,
    at: chrono::DateTime<chrono::Utc>,
}

async fn insert_step(txn: &DatabaseTransaction, s: NewStep<'_>) -> CoreResult<()> {
    hazard_step::ActiveModel {
        id: NotSet,
        hazard_id: Set(s.hazard_id),
        round: Set(s.round),
        kind: Set(s.kind.code().to_string()),
        on_date: Set(s.on),
        note: Set(s.note.to_string()),
        passed: Set(s.passed),
        reviewer_id: Set(s.reviewer.map(|r| r.0)),
        party: Set(s.party.map(|p| p.code().to_string())),
        created_by: Set(s.by.0),
        created_at: Set(s.at),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl Db {
    /// The counts of one order's (or one inspection's) hazards, a handful of rows: one
    /// grouped statement instead of a capped count per figure.
    async fn count_few_hazards(&self, scope: &Scope, q: &HazardQuery) -> CoreResult<HazardCounts> {
        use hazard::Column as C;
        let stmt = Query::select()
            .columns([C::State, C::Level, C::Deadline])
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from(hazard::Entity)
            .cond_where(filter_condition(self.backend(), scope, q, Use::Rows))
            .group_by_columns([C::State, C::Level, C::Deadline])
            .take();
        let mut counts = HazardCounts::default();
        for row in self.conn.query_all(&stmt).await.map_err(db_err)? {
            let state = state_of(&row.try_get::<String>("", "state").map_err(db_err)?)?;
            let level: String = row.try_get("", "level").map_err(db_err)?;
            let deadline: Option<chrono::NaiveDate> =
                row.try_get("", "deadline").map_err(db_err)?;
            let n = u64::try_from(row.try_get::<i64>("", "n").map_err(db_err)?).unwrap_or(0);
            match state {
                HazardState::PendingRectification => counts.pending_rectification += n,
                HazardState::PendingReview => counts.pending_review += n,
                HazardState::Closed => counts.closed += n,
            }
            if level == HazardLevel::Major.code() {
                counts.major += n;
            }
            if let (Some(today), Some(deadline)) = (q.today, deadline)
                && state != HazardState::Closed
                && deadline < today
            {
                counts.overdue += n;
            }
        }
        Ok(counts)
    }

    /// One page in the regulators' order: 重大 before 一般, overdue before the rest, newest
    /// first within each. Sorting the whole ledger by those expressions would sort every
    /// hazard of a city on every page; instead each group is a query walking an index newest
    /// first, and the page's offset is carried from group to group by counts that stop at
    /// the offset.
    async fn serious_first_page(
        &self,
        cond: Condition,
        q: &HazardQuery,
        today: chrono::NaiveDate,
        page: PageRequest,
    ) -> CoreResult<Vec<hazard::Model>> {
        use hazard::Column as C;
        let major = || Condition::all().add(major_condition());
        // 一般 said as equality (the only other level), so a (state, level, id) index serves
        // the group in id order.
        let general = || Condition::all().add(C::Level.eq(HazardLevel::General.code()));
        let not_overdue = || {
            Condition::any()
                .add(C::State.eq(HazardState::Closed.code()))
                .add(C::Deadline.gte(today))
        };
        let groups = if q.overdue {
            // The filter already holds only overdue hazards.
            vec![major(), general()]
        } else {
            vec![
                major().add(overdue_condition(today, Use::Rows)),
                major().add(not_overdue()),
                general().add(overdue_condition(today, Use::Rows)),
                general().add(not_overdue()),
            ]
        };
        let mut skip = page.offset();
        let mut rows = Vec::new();
        let last = groups.len() - 1;
        for (i, group) in groups.into_iter().enumerate() {
            let need = page.size - rows.len() as u64;
            if need == 0 {
                break;
            }
            let select = hazard::Entity::find()
                .filter(cond.clone().add(group))
                .order_by_desc(C::Id);
            // The last group's window is empty past its end, so it needs no count first:
            // the count would walk the same entries the window walks.
            if skip > 0 && i < last {
                let n = count_upto(&self.conn, select.clone(), skip + 1).await?;
                if n <= skip {
                    skip -= n;
                    continue;
                }
            }
            rows.extend(super::fetch_window(&self.conn, select, skip, need).await?);
            skip = 0;
        }
        Ok(rows)
    }

    async fn hydrate_hazards(
        &self,
        rows: Vec<hazard::Model>,
        with_steps: bool,
    ) -> CoreResult<Vec<Hazard>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let steps = if with_steps {
            hazard_step::Entity::find()
                .filter(hazard_step::Column::HazardId.is_in(rows.iter().map(|h| h.id)))
                .order_by_asc(hazard_step::Column::Id)
                .all(&self.conn)
                .await
                .map_err(db_err)?
        } else {
            vec![]
        };
        let names = self
            .names(NameQuery {
                orgs: rows
                    .iter()
                    .flat_map(|h| [h.agency_id, h.insurer_id, h.enterprise_id])
                    .collect(),
                orders: rows.iter().map(|h| h.order_id).collect(),
                accounts: steps
                    .iter()
                    .flat_map(|s| [Some(s.created_by), s.reviewer_id])
                    .flatten()
                    .collect(),
                ..Default::default()
            })
            .await?;
        rows.into_iter()
            .map(|h| {
                let hazard_steps = steps
                    .iter()
                    .filter(|s| s.hazard_id == h.id)
                    .map(|s| HazardStep {
                        step_id: s.id,
                        round: s.round,
                        kind: if s.kind == StepKind::Review.code() {
                            StepKind::Review
                        } else {
                            StepKind::Rectification
                        },
                        on: s.on_date,
                        note: s.note.clone(),
                        passed: s.passed,
                        reviewer: s.reviewer_id.and_then(|r| names.account(r).cloned()),
                        by_name: names.account(s.created_by).cloned().unwrap_or_default(),
                        party: s.party.as_deref().and_then(Rectifier::from_code),
                        at: s.created_at,
                    })
                    .collect();
                Ok(Hazard {
                    id: HazardId(h.id),
                    hazard_no: h.hazard_no.clone().unwrap_or_default(),
                    inspection_id: RecordId(h.inspection_id),
                    order_id: OrderId(h.order_id),
                    order_no: names.order_no(h.order_id),
                    agency_id: OrgId(h.agency_id),
                    agency_name: names.org(h.agency_id),
                    insurer_id: OrgId(h.insurer_id),
                    insurer_name: names.org(h.insurer_id),
                    enterprise_id: OrgId(h.enterprise_id),
                    enterprise_name: names.org(h.enterprise_id),
                    region_code: h.region_code,
                    found_on: h.found_on,
                    description: h.description,
                    location: h.location,
                    category: h.category,
                    level: HazardLevel::from_code(&h.level).unwrap_or(HazardLevel::General),
                    basis: h.basis,
                    suggestion: h.suggestion,
                    deadline: h.deadline,
                    responsible: h.responsible,
                    state: state_of(&h.state)?,
                    round: h.round,
                    closed_at: h.closed_at,
                    created_by: AccountId(h.created_by),
                    created_at: h.created_at,
                    steps: hazard_steps,
                })
            })
            .collect()
    }
}

impl Db {
    /// A page of the ledger; its total from `tallies` when the caller has read them (the
    /// tiles need them too), else a capped count.
    async fn hazard_page(
        &self,
        scope: &Scope,
        q: &HazardQuery,
        page: PageRequest,
        tallies: Option<&[tally::TallyRow]>,
    ) -> CoreResult<Page<Hazard>> {
        use hazard::Column as C;
        let with_state = |mut cond: Condition| {
            if let Some(s) = q.state {
                cond = cond.add(C::State.eq(s.code()));
            }
            cond
        };
        let cond = with_state(filter_condition(self.backend(), scope, q, Use::Rows));
        if page.after.is_some() {
            // The regulators' order (重大 and 逾期 first) has no single key to continue from.
            if q.serious_first {
                return Err(CoreError::Internal(
                    "the ledger read 重大 and 逾期 first pages by number, not by keyset".into(),
                ));
            }
            // A walk by cursor: the rows after the last one, newest first; not counted.
            let rows = hazard::Entity::find()
                .filter(cond)
                .filter(super::keyset_condition(page.after, C::Id, None))
                .order_by_desc(C::Id)
                .limit(page.size)
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            return Ok(capped_page_of(
                self.hydrate_hazards(rows, q.with_steps).await?,
                0,
                false,
                page,
            ));
        }
        let (total, capped) = if let Some(rows) = tallies {
            (tally::total(rows, q), false)
        } else {
            let cap = Ord::max(
                super::search::counting(q.q.as_deref()).cap,
                page.offset() + page.size * 10,
            );
            let counted = hazard::Entity::find().filter(with_state(filter_condition(
                self.backend(),
                scope,
                q,
                count_use(q),
            )));
            let n = count_upto(&self.conn, counted, cap + 1).await?;
            (Ord::min(n, cap), n > cap)
        };
        let rows = match (q.serious_first, q.today) {
            (true, Some(today)) => self.serious_first_page(cond, q, today, page).await?,
            _ => {
                let select = hazard::Entity::find().filter(cond).order_by_desc(C::Id);
                super::fetch_window(&self.conn, select, page.offset(), page.size).await?
            }
        };
        Ok(capped_page_of(
            self.hydrate_hazards(rows, q.with_steps).await?,
            total,
            capped,
            page,
        ))
    }
}

#[async_trait]
impl HazardStore for Db {
    async fn list_hazards(
        &self,
        scope: &Scope,
        q: &HazardQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Hazard>> {
        let scope = self.simplify_scope(scope).await?;
        let tallies = self.tallied(&scope, q).await?;
        self.hazard_page(&scope, q, page, tallies.as_deref()).await
    }

    async fn hazard_ledger(
        &self,
        scope: &Scope,
        q: &HazardQuery,
        page: PageRequest,
    ) -> CoreResult<(Page<Hazard>, HazardCounts)> {
        let simple = self.simplify_scope(scope).await?;
        match self.tallied(&simple, q).await? {
            Some(rows) => Ok((
                self.hazard_page(&simple, q, page, Some(&rows)).await?,
                tally::counts(&rows, q),
            )),
            None => Ok((
                self.hazard_page(&simple, q, page, None).await?,
                self.count_hazards(&simple, q).await?,
            )),
        }
    }

    async fn fold_past_deadlines(&self, before: NaiveDate) -> CoreResult<u64> {
        self.fold_hazard_tallies(before).await
    }

    async fn count_hazards(&self, scope: &Scope, q: &HazardQuery) -> CoreResult<HazardCounts> {
        use hazard::Column as C;
        let scope = self.simplify_scope(scope).await?;
        if q.order.is_some() || q.inspection.is_some() {
            return self.count_few_hazards(&scope, q).await;
        }
        if let Some(rows) = self.tallied(&scope, q).await? {
            return Ok(tally::counts(&rows, q));
        }
        let base = filter_condition(self.backend(), &scope, q, count_use(q));
        // Each count walks at most COUNT_CAP index entries: a city's regulator would
        // otherwise count millions of hazards on every page of the ledger.
        let cap = super::COUNT_CAP;
        let count = |extra: Condition| {
            count_upto(
                &self.conn,
                hazard::Entity::find().filter(base.clone().add(extra)),
                cap,
            )
        };
        let state = |s: HazardState| Condition::all().add(C::State.eq(s.code()));
        let by_state = if q.level == Some(HazardLevel::Major) {
            // 重大 hazards are a few percent of all: one walk of their partial index counts
            // every state, where a count per state would seek through the state indexes and
            // read each hazard to learn its level.
            let stmt = Query::select()
                .column(C::State)
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from(hazard::Entity)
                .cond_where(base.clone())
                .group_by_col(C::State)
                .take();
            let mut n: HashMap<String, u64> = HashMap::new();
            for row in self.conn.query_all(&stmt).await.map_err(db_err)? {
                let s: String = row.try_get("", "state").map_err(db_err)?;
                let c: i64 = row.try_get("", "n").map_err(db_err)?;
                n.insert(s, Ord::min(u64::try_from(c).unwrap_or(0), cap));
            }
            let get = |s: HazardState| n.get(s.code()).copied().unwrap_or(0);
            [
                get(HazardState::PendingRectification),
                get(HazardState::PendingReview),
                get(HazardState::Closed),
            ]
        } else {
            [
                count(state(HazardState::PendingRectification)).await?,
                count(state(HazardState::PendingReview)).await?,
                count(state(HazardState::Closed)).await?,
            ]
        };
        let mut counts = HazardCounts {
            pending_rectification: by_state[0],
            pending_review: by_state[1],
            closed: by_state[2],
            major: count_upto(
                &self.conn,
                hazard::Entity::find().filter(
                    filter_condition(self.backend(), &scope, q, Use::Rows).add(major_condition()),
                ),
                cap,
            )
            .await?,
            overdue: 0,
            capped_at: Some(cap),
        };
        if let Some(today) = q.today {
            counts.overdue = count(overdue_condition(today, count_use(q))).await?;
        }
        Ok(counts)
    }

    async fn get_hazard(&self, id: HazardId) -> CoreResult<Option<Hazard>> {
        let row = hazard::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_hazards(row.into_iter().collect(), true)
            .await?
            .pop())
    }

    async fn create_hazard(
        &self,
        inspection: RecordId,
        input: &HazardInput,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<HazardId> {
        let check = self.photo_check(files).await?.for_new_owner();
        let txn = self.write().await?;
        let record = service_record::Entity::find_by_id(inspection.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        self.lock_accepted_order(&txn, record.order_id).await?;
        let state = if input.rectification.is_some() {
            HazardState::PendingReview
        } else {
            HazardState::PendingRectification
        };
        let created = hazard::ActiveModel {
            id: NotSet,
            hazard_no: Set(None),
            inspection_id: Set(record.id),
            order_id: Set(record.order_id),
            agency_id: Set(record.agency_id),
            insurer_id: Set(record.insurer_id),
            enterprise_id: Set(record.enterprise_id),
            region_code: Set(record.region_code.clone()),
            found_on: Set(record.service_date),
            description: Set(input.description.clone()),
            location: Set(input.location.clone()),
            category: Set(input.category.clone()),
            level: Set(input.level.code().to_string()),
            basis: Set(input.basis.clone()),
            suggestion: Set(input.suggestion.clone()),
            deadline: Set(input.deadline),
            responsible: Set(input.responsible.clone()),
            state: Set(state.code().to_string()),
            round: Set(1),
            closed_at: Set(None),
            created_by: Set(by.0),
            created_at: Set(audit.at),
            updated_at: Set(audit.at),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let id = HazardId(created.id);
        if let Some(check) = input.check {
            link_check(&txn, check, inspection, id).await?;
        }
        let number = hazard_number(record.service_date, id);
        hazard::Entity::update_many()
            .col_expr(hazard::Column::HazardNo, Expr::value(Some(number.clone())))
            .filter(hazard::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if let Some(r) = &input.rectification {
            insert_step(
                &txn,
                NewStep {
                    hazard_id: id.0,
                    round: 1,
                    kind: StepKind::Rectification,
                    on: r.on,
                    note: &r.note,
                    passed: None,
                    reviewer: None,
                    party: Some(r.by),
                    by,
                    at: audit.at,
                },
            )
            .await?;
        }
        super::attachment::insert_attachments(
            &txn,
            &check,
            OrderId(record.order_id),
            OwnerRef {
                kind: OwnerKind::Hazard,
                id: id.0,
            },
            files,
            by,
            audit.at,
        )
        .await?;
        let mut audit = audit.clone().in_org(OrgId(record.agency_id));
        audit.object_label = number;
        insert_audit(&txn, &audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn rectify_hazard(
        &self,
        id: HazardId,
        round: i32,
        r: &Rectification,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use hazard::Column as C;
        let check = self.photo_check(files).await?;
        let txn = self.write().await?;
        let order = hazard::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?
            .order_id;
        let res = hazard::Entity::update_many()
            .col_expr(C::State, Expr::value(HazardState::PendingReview.code()))
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .filter(C::State.eq(HazardState::PendingRectification.code()))
            .filter(C::Round.eq(round))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_step(
            &txn,
            NewStep {
                hazard_id: id.0,
                round,
                kind: StepKind::Rectification,
                on: r.on,
                note: &r.note,
                passed: None,
                reviewer: None,
                party: Some(r.by),
                by,
                at: audit.at,
            },
        )
        .await?;
        super::attachment::insert_attachments(
            &txn,
            &check,
            OrderId(order),
            OwnerRef {
                kind: OwnerKind::Hazard,
                id: id.0,
            },
            files,
            by,
            audit.at,
        )
        .await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn review_hazard(
        &self,
        id: HazardId,
        round: i32,
        r: &Review,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use hazard::Column as C;
        let txn = self.write().await?;
        let mut update = hazard::Entity::update_many()
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .filter(C::State.eq(HazardState::PendingReview.code()))
            .filter(C::Round.eq(round));
        update = if r.passed {
            update
                .col_expr(C::State, Expr::value(HazardState::Closed.code()))
                .col_expr(C::ClosedAt, Expr::value(Some(audit.at)))
        } else {
            // Another round: the photos and opinions of this one stay with their steps.
            update
                .col_expr(
                    C::State,
                    Expr::value(HazardState::PendingRectification.code()),
                )
                .col_expr(C::Round, Expr::value(round + 1))
        };
        let res = update.exec(&txn).await.map_err(db_err)?;
        if res.rows_affected == 0 {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_step(
            &txn,
            NewStep {
                hazard_id: id.0,
                round,
                kind: StepKind::Review,
                on: r.on,
                note: &r.opinion,
                passed: Some(r.passed),
                reviewer: Some(r.reviewer),
                party: None,
                by,
                at: audit.at,
            },
        )
        .await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn notice_receipt(&self, inspection: RecordId) -> CoreResult<Option<NoticeReceipt>> {
        let row = notice_receipt::Entity::find_by_id(inspection.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| NoticeReceipt {
            via: ReceiptVia::from_code(&r.via).unwrap_or(ReceiptVia::Account),
            signer_name: r.signer_name,
            signed_by: r.signed_by.map(AccountId),
            signed_at: r.signed_at,
        }))
    }

    async fn sign_notice(
        &self,
        inspection: RecordId,
        receipt: &NoticeReceipt,
        files: &[(String, NewAttachment)],
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        let check = self.photo_check(files).await?;
        let txn = self.write().await?;
        let order = service_record::Entity::find_by_id(inspection.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?
            .order_id;
        let exists = notice_receipt::Entity::find_by_id(inspection.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .is_some();
        if exists {
            txn.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        let inserted = notice_receipt::ActiveModel {
            record_id: Set(inspection.0),
            via: Set(receipt.via.code().to_string()),
            signer_name: Set(receipt.signer_name.clone()),
            signed_by: Set(receipt.signed_by.map(|a| a.0)),
            signed_at: Set(receipt.signed_at),
        }
        .insert(&txn)
        .await
        .map_err(db_err);
        match inserted {
            // Signed by someone else a moment ago.
            Err(CoreError::Duplicate) => return Ok(false),
            other => {
                other?;
            }
        }
        super::attachment::insert_attachments(
            &txn,
            &check,
            OrderId(order),
            OwnerRef {
                kind: anze_core::record::owner_kind(
                    anze_core::service_item::ServiceItem::HazardInvestigation,
                ),
                id: inspection.0,
            },
            files,
            by,
            audit.at,
        )
        .await?;
        insert_audit(&txn, audit, Some(inspection.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}

/// Links the hazard to the 不符合 check it was registered from, if no other hazard took that
/// check first (two inspectors on one failed item register one hazard).
async fn link_check(
    txn: &DatabaseTransaction,
    check: CheckId,
    inspection: RecordId,
    hazard: HazardId,
) -> CoreResult<()> {
    use crate::entity::inspection_check::{Column as C, Entity};
    let linked = Entity::update_many()
        .col_expr(C::HazardId, Expr::value(Some(hazard.0)))
        .filter(C::Id.eq(check.0))
        .filter(C::RecordId.eq(inspection.0))
        .filter(C::Outcome.eq(anze_core::checklist::Outcome::Fail.code()))
        .filter(C::HazardId.is_null())
        .exec(txn)
        .await
        .map_err(db_err)?;
    if linked.rows_affected == 0 {
        return Err(CoreError::Conflict("该不符合项已登记隐患".into()));
    }
    Ok(())
}
