use anze_core::CoreResult;
use anze_core::audit::AuditEvent;
use anze_core::checklist::{
    Check, Checklist, ChecklistInput, ChecklistItem, ChecklistQuery, ChecklistStore, FailQuery,
    FailRow, ItemInput, Mark, NewChecks, Outcome, Owner,
};
use anze_core::error::CoreError;
use anze_core::hazard::HazardLevel;
use anze_core::ids::{CheckId, ChecklistId, ChecklistItemId, HazardId, OrgId, RecordId};
use anze_core::industry::{Industry, IndustryStore};
use anze_core::page::{Page, PageRequest};
use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::{NameQuery, as_i64, contains, insert_audit, page_of, paginate};
use crate::entity::{checklist, checklist_item, inspection_check, organization, service_record};
use crate::{Db, db_err};

/// Rows per insert statement: 7 columns stay well below every backend's placeholder limit.
const INSERT_CHUNK: usize = 500;

fn level_of(code: &str) -> HazardLevel {
    HazardLevel::from_code(code).unwrap_or(HazardLevel::General)
}

fn industry_name(industries: &[Industry], code: &str) -> String {
    if code.is_empty() {
        return "通用".into();
    }
    industries
        .iter()
        .find(|i| i.code == code)
        .map_or_else(|| code.to_string(), |i| i.name.clone())
}

fn item_of(m: checklist_item::Model) -> ChecklistItem {
    ChecklistItem {
        id: ChecklistItemId(m.id),
        level: level_of(&m.level),
        section: m.section,
        content: m.content,
        basis: m.basis,
        category: m.category,
    }
}

fn check_of(m: inspection_check::Model) -> Check {
    Check {
        id: CheckId(m.id),
        record_id: RecordId(m.record_id),
        checklist_id: ChecklistId(m.checklist_id),
        level: level_of(&m.level),
        outcome: m.outcome.as_deref().and_then(Outcome::from_code),
        hazard_id: m.hazard_id.map(HazardId),
        checklist_name: m.checklist_name,
        section: m.section,
        content: m.content,
        basis: m.basis,
        category: m.category,
        note: m.note,
    }
}

impl Db {
    async fn hydrate_checklists(&self, rows: Vec<checklist::Model>) -> CoreResult<Vec<Checklist>> {
        let names = self
            .names(NameQuery {
                orgs: rows.iter().filter_map(|r| r.org_id).collect(),
                ..NameQuery::default()
            })
            .await?;
        let industries = self.list_industries().await?;
        Ok(rows
            .into_iter()
            .map(|m| Checklist {
                id: ChecklistId(m.id),
                owner: Owner::of(m.org_id.map(OrgId)),
                owner_name: m.org_id.map_or_else(|| "平台".into(), |o| names.org(o)),
                industry_name: industry_name(&industries, &m.industry),
                name: m.name,
                industry: m.industry,
                description: m.description,
                active: m.active,
                item_count: i64::from(m.item_count),
                updated_at: m.updated_at,
            })
            .collect())
    }

    /// Refuses a name the owner already uses for another checklist.
    async fn check_name_free(
        &self,
        txn: &DatabaseTransaction,
        owner: Owner,
        name: &str,
        other_than: Option<ChecklistId>,
    ) -> CoreResult<()> {
        use checklist::Column as C;
        let mut select = checklist::Entity::find().filter(C::Name.eq(name));
        select = match owner.org() {
            Some(org) => select.filter(C::OrgId.eq(org.0)),
            None => select.filter(C::OrgId.is_null()),
        };
        if let Some(id) = other_than {
            select = select.filter(C::Id.ne(id.0));
        }
        if select.count(txn).await.map_err(db_err)? > 0 {
            return Err(anze_core::error::field_error(
                "name",
                "已有同名的检查表,请换一个名称",
            ));
        }
        Ok(())
    }

    async fn insert_items(
        &self,
        txn: &DatabaseTransaction,
        id: ChecklistId,
        items: &[ItemInput],
    ) -> CoreResult<()> {
        for (n, chunk) in items.chunks(INSERT_CHUNK).enumerate() {
            let rows = chunk.iter().enumerate().map(|(i, item)| {
                let position = (n * INSERT_CHUNK + i + 1) as i32;
                checklist_item::ActiveModel {
                    id: NotSet,
                    checklist_id: Set(id.0),
                    position: Set(position),
                    section: Set(item.section.clone()),
                    content: Set(item.content.clone()),
                    basis: Set(item.basis.clone()),
                    level: Set(item.level.code().to_string()),
                    category: Set(item.category.clone()),
                }
            });
            checklist_item::Entity::insert_many(rows)
                .exec(txn)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// The first-level industry of an enterprise's industry, or "" when it has none.
    async fn sector_of(&self, txn: &DatabaseTransaction, enterprise: OrgId) -> CoreResult<String> {
        let org = organization::Entity::find_by_id(enterprise.0)
            .one(txn)
            .await
            .map_err(db_err)?;
        let Some(code) = org.and_then(|o| o.industry_code) else {
            return Ok(String::new());
        };
        let industries = self.list_industries().await?;
        Ok(match industries.iter().find(|i| i.code == code) {
            Some(i) => i.parent_code.clone().unwrap_or(code),
            None => String::new(),
        })
    }
}

#[async_trait]
impl ChecklistStore for Db {
    async fn list_checklists(
        &self,
        query: &ChecklistQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Checklist>> {
        use checklist::Column as C;
        let mut cond = Condition::all();
        if let Some(org) = query.visible_to {
            cond = cond.add(
                Condition::any()
                    .add(C::OrgId.is_null())
                    .add(C::OrgId.eq(org.0)),
            );
        }
        match query.owner {
            Some(Owner::Platform) => cond = cond.add(C::OrgId.is_null()),
            Some(Owner::Agency(org)) => cond = cond.add(C::OrgId.eq(org.0)),
            None => {}
        }
        if let Some(active) = query.active {
            cond = cond.add(C::Active.eq(active));
        }
        if let Some(industry) = &query.industry {
            cond = cond.add(C::Industry.eq(industry.as_str()));
        }
        if let Some(q) = &query.q {
            cond = cond.add(
                Condition::any()
                    .add(contains((checklist::Entity, C::Name), q))
                    .add(contains((checklist::Entity, C::Description), q)),
            );
        }
        // The platform's library first (NULL owner), then each agency's, by name.
        let select = checklist::Entity::find()
            .filter(cond)
            .order_by(Expr::col(C::OrgId).is_not_null(), Order::Asc)
            .order_by_asc(C::OrgId)
            .order_by_asc(C::Name)
            .order_by_asc(C::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        Ok(page_of(self.hydrate_checklists(rows).await?, total, page))
    }

    async fn get_checklist(&self, id: ChecklistId) -> CoreResult<Option<Checklist>> {
        let row = checklist::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_checklists(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn checklist_items(&self, id: ChecklistId) -> CoreResult<Vec<ChecklistItem>> {
        use checklist_item::Column as C;
        Ok(checklist_item::Entity::find()
            .filter(C::ChecklistId.eq(id.0))
            .order_by_asc(C::Position)
            .order_by_asc(C::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(item_of)
            .collect())
    }

    async fn create_checklist(
        &self,
        owner: Owner,
        input: &ChecklistInput,
        items: &[ItemInput],
        audit: &AuditEvent,
    ) -> CoreResult<ChecklistId> {
        let txn = self.write().await?;
        self.check_name_free(&txn, owner, &input.name, None).await?;
        let row = checklist::ActiveModel {
            id: NotSet,
            org_id: Set(owner.org().map(|o| o.0)),
            name: Set(input.name.clone()),
            industry: Set(input.industry.clone()),
            description: Set(input.description.clone()),
            active: Set(true),
            item_count: Set(items.len() as i32),
            created_at: Set(audit.at),
            updated_at: Set(audit.at),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        let id = ChecklistId(row.id);
        self.insert_items(&txn, id, items).await?;
        insert_audit(&txn, audit, Some(row.id)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn update_checklist(
        &self,
        id: ChecklistId,
        input: &ChecklistInput,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        use checklist::Column as C;
        let txn = self.write().await?;
        let row = checklist::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        let owner = Owner::of(row.org_id.map(OrgId));
        self.check_name_free(&txn, owner, &input.name, Some(id))
            .await?;
        checklist::Entity::update_many()
            .col_expr(C::Name, Expr::value(input.name.clone()))
            .col_expr(C::Industry, Expr::value(input.industry.clone()))
            .col_expr(C::Description, Expr::value(input.description.clone()))
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn set_checklist_active(
        &self,
        id: ChecklistId,
        active: bool,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        use checklist::Column as C;
        let txn = self.write().await?;
        checklist::Entity::update_many()
            .col_expr(C::Active, Expr::value(active))
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn replace_checklist_items(
        &self,
        id: ChecklistId,
        items: &[ItemInput],
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        use checklist::Column as C;
        let txn = self.write().await?;
        checklist_item::Entity::delete_many()
            .filter(checklist_item::Column::ChecklistId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        self.insert_items(&txn, id, items).await?;
        checklist::Entity::update_many()
            .col_expr(C::ItemCount, Expr::value(items.len() as i32))
            .col_expr(C::UpdatedAt, Expr::value(audit.at))
            .filter(C::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn delete_checklist(&self, id: ChecklistId, audit: &AuditEvent) -> CoreResult<bool> {
        let txn = self.write().await?;
        let used = inspection_check::Entity::find()
            .filter(inspection_check::Column::ChecklistId.eq(id.0))
            .count(&txn)
            .await
            .map_err(db_err)?;
        if used > 0 {
            return Ok(false);
        }
        checklist_item::Entity::delete_many()
            .filter(checklist_item::Column::ChecklistId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        checklist::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn checklist_uses(&self, id: ChecklistId) -> CoreResult<u64> {
        use inspection_check::Column as C;
        let records: Vec<i64> = inspection_check::Entity::find()
            .select_only()
            .column(C::RecordId)
            .distinct()
            .filter(C::ChecklistId.eq(id.0))
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(records.len() as u64)
    }

    async fn checks_of_record(&self, record: RecordId) -> CoreResult<Vec<Check>> {
        use inspection_check::Column as C;
        Ok(inspection_check::Entity::find()
            .filter(C::RecordId.eq(record.0))
            .order_by_asc(C::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(check_of)
            .collect())
    }

    async fn get_check(&self, id: CheckId) -> CoreResult<Option<Check>> {
        Ok(inspection_check::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .map(check_of))
    }

    async fn add_checks(&self, new: &NewChecks<'_>, audit: &AuditEvent) -> CoreResult<bool> {
        use inspection_check::Column as C;
        let txn = self.write().await?;
        let taken = inspection_check::Entity::find()
            .filter(C::RecordId.eq(new.record.0))
            .filter(C::ChecklistId.eq(new.checklist.id.0))
            .count(&txn)
            .await
            .map_err(db_err)?;
        if taken > 0 {
            return Ok(false);
        }
        let record = service_record::Entity::find_by_id(new.record.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or(CoreError::NotFound)?;
        let sector = self.sector_of(&txn, OrgId(record.enterprise_id)).await?;
        for (n, chunk) in new.items.chunks(INSERT_CHUNK).enumerate() {
            let rows = chunk
                .iter()
                .enumerate()
                .map(|(i, item)| inspection_check::ActiveModel {
                    id: NotSet,
                    record_id: Set(new.record.0),
                    checklist_id: Set(new.checklist.id.0),
                    checklist_name: Set(new.checklist.name.clone()),
                    sector: Set(sector.clone()),
                    position: Set((n * INSERT_CHUNK + i + 1) as i32),
                    section: Set(item.section.clone()),
                    content: Set(item.content.clone()),
                    basis: Set(item.basis.clone()),
                    level: Set(item.level.code().to_string()),
                    category: Set(item.category.clone()),
                    outcome: Set(None),
                    note: Set(String::new()),
                    hazard_id: Set(None),
                    updated_at: Set(audit.at),
                });
            inspection_check::Entity::insert_many(rows)
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn remove_checks(
        &self,
        record: RecordId,
        checklist: ChecklistId,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use inspection_check::Column as C;
        let txn = self.write().await?;
        let mine = Condition::all()
            .add(C::RecordId.eq(record.0))
            .add(C::ChecklistId.eq(checklist.0));
        let linked = inspection_check::Entity::find()
            .filter(mine.clone())
            .filter(C::HazardId.is_not_null())
            .count(&txn)
            .await
            .map_err(db_err)?;
        if linked > 0 {
            return Ok(false);
        }
        inspection_check::Entity::delete_many()
            .filter(mine)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn mark_checks(&self, marks: &[Mark], audit: &AuditEvent) -> CoreResult<()> {
        use inspection_check::Column as C;
        let txn = self.write().await?;
        for mark in marks {
            let mut update = inspection_check::Entity::update_many()
                .col_expr(
                    C::Outcome,
                    Expr::value(mark.outcome.map(|o| o.code().to_string())),
                )
                .col_expr(C::Note, Expr::value(mark.note.clone()))
                .col_expr(C::UpdatedAt, Expr::value(audit.at))
                .filter(C::Id.eq(mark.check.0));
            if mark.outcome != Some(Outcome::Fail) {
                // A hazard registered meanwhile pins its item to 不符合.
                update = update.filter(C::HazardId.is_null());
            }
            update.exec(&txn).await.map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn fail_stats(&self, query: &FailQuery, limit: u64) -> CoreResult<Vec<FailRow>> {
        use inspection_check::Column as C;
        use service_record::Column as R;
        let backend = self.conn.get_database_backend();
        let ic = inspection_check::Entity;
        let col = |c: C| Expr::col((ic, c));
        let mut q = Query::select();
        q.from(ic)
            .inner_join(
                service_record::Entity,
                Expr::col((service_record::Entity, R::Id)).equals((ic, C::RecordId)),
            )
            .column((ic, C::Sector))
            .column((ic, C::ChecklistName))
            .column((ic, C::Section))
            .column((ic, C::Content))
            .column((ic, C::Basis))
            .expr_as(
                Expr::cust(as_i64(
                    backend,
                    "SUM(CASE WHEN inspection_checks.outcome IN ('pass', 'fail') THEN 1 ELSE 0 END)",
                )),
                Alias::new("checked"),
            )
            .expr_as(
                Expr::cust(as_i64(
                    backend,
                    "SUM(CASE WHEN inspection_checks.outcome = 'fail' THEN 1 ELSE 0 END)",
                )),
                Alias::new("failed"),
            )
            .and_where(col(C::Outcome).is_in(["pass", "fail"]));
        if let Some(agency) = query.agency {
            q.and_where(Expr::col((service_record::Entity, R::AgencyId)).eq(agency.0));
        }
        if let Some(sector) = &query.sector {
            q.and_where(col(C::Sector).eq(sector.as_str()));
        }
        if let Some(checklist) = query.checklist {
            q.and_where(col(C::ChecklistId).eq(checklist.0));
        }
        if let Some(from) = query.from {
            q.and_where(Expr::col((service_record::Entity, R::ServiceDate)).gte(from));
        }
        if let Some(to) = query.to {
            q.and_where(Expr::col((service_record::Entity, R::ServiceDate)).lte(to));
        }
        q.add_group_by([
            col(C::Sector),
            col(C::ChecklistId),
            col(C::ChecklistName),
            col(C::Section),
            col(C::Content),
            col(C::Basis),
        ])
        .and_having(Expr::cust(
            "SUM(CASE WHEN inspection_checks.outcome = 'fail' THEN 1 ELSE 0 END) > 0",
        ))
        .order_by(Alias::new("failed"), Order::Desc)
        .order_by(Alias::new("checked"), Order::Desc)
        .order_by((ic, C::Content), Order::Asc)
        .limit(limit);
        let rows = self.conn.query_all(&q).await.map_err(db_err)?;
        let industries = self.list_industries().await?;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let sector: String = row.try_get("", "sector").map_err(db_err)?;
            let sector_name = names
                .entry(sector.clone())
                .or_insert_with(|| {
                    if sector.is_empty() {
                        "未填写行业".into()
                    } else {
                        industry_name(&industries, &sector)
                    }
                })
                .clone();
            let get = |c: &str| row.try_get::<String>("", c).map_err(db_err);
            let num = |c: &str| {
                row.try_get::<i64>("", c)
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(db_err)
            };
            out.push(FailRow {
                sector,
                sector_name,
                checklist_name: get("checklist_name")?,
                section: get("section")?,
                content: get("content")?,
                basis: get("basis")?,
                checked: num("checked")?,
                failed: num("failed")?,
            });
        }
        Ok(out)
    }
}
