use anze_core::audit::AuditEvent;
use anze_core::enterprise::EnterpriseFields;
use anze_core::field::{Money, Ratio};
use anze_core::ids::{OrgId, PolicyId};
use anze_core::page::{Page, PageRequest};
use anze_core::policy::import::ImportedPolicy;
use anze_core::policy::{
    EXPIRING_DAYS, NewPolicy, Policy, PolicyQuery, PolicyStatus, PolicyStore, PolicyTerms,
};
use anze_core::scope::Scope;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::Duration;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::{capped_page_of, contains, insert_audit, paginate_capped};
use crate::entity::{organization, policy, service_order};
use crate::{Db, db_err};

/// Enterprises whose name matches: a small table, searched first so the large one never is.
pub(crate) fn enterprises_named(
    backend: sea_orm::DbBackend,
    term: &str,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(organization::Column::Id)
        .from(organization::Entity)
        .cond_where(
            Condition::all()
                .add(organization::Column::Kind.eq("enterprise"))
                .add(super::search::text_matches::<organization::Entity>(
                    backend,
                    &[organization::Column::Name],
                    term,
                )),
        )
        .take()
}

fn scope_condition(scope: &Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Insurer(o) => Condition::all().add(policy::Column::InsurerId.eq(o.0)),
        Scope::Regions(r) => {
            Condition::all().add(policy::Column::RegionCode.is_in(r.iter().cloned()))
        }
        Scope::Enterprise(o) => Condition::all().add(policy::Column::EnterpriseId.eq(o.0)),
        Scope::Agency { org, .. } => Condition::all().add(
            policy::Column::Id.in_subquery(
                Query::select()
                    .column(service_order::Column::PolicyId)
                    .from(service_order::Entity)
                    .and_where(service_order::Column::AgencyId.eq(org.0))
                    .take(),
            ),
        ),
    }
}

fn terms_model(t: &PolicyTerms, m: &mut policy::ActiveModel) {
    m.policy_no = Set(t.policy_no.clone());
    m.start_date = Set(t.start_date);
    m.end_date = Set(t.end_date);
    m.premium = Set(t.premium.cents());
    m.total_limit = Set(t.total_limit.cents());
    m.per_person_limit = Set(t.per_person_limit.cents());
    m.insured_count = Set(t.insured_count);
    m.prevention_ratio = Set(t.prevention_ratio.basis_points());
}

/// A new policy row; the import inserts many of them at once.
pub(crate) fn policy_model(
    insurer: OrgId,
    enterprise: OrgId,
    region_code: &str,
    terms: &PolicyTerms,
    now: chrono::DateTime<chrono::Utc>,
) -> policy::ActiveModel {
    let mut m = policy::ActiveModel {
        id: NotSet,
        insurer_id: Set(insurer.0),
        enterprise_id: Set(enterprise.0),
        region_code: Set(region_code.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    terms_model(terms, &mut m);
    m
}

/// Inserts a policy inside the caller's transaction.
pub(crate) async fn insert_policy(
    txn: &DatabaseTransaction,
    p: &NewPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> CoreResult<PolicyId> {
    let created = policy_model(p.insurer_id, p.enterprise_id, &p.region_code, &p.terms, now)
        .insert(txn)
        .await
        .map_err(db_err)?;
    Ok(PolicyId(created.id))
}

impl Db {
    pub(crate) async fn hydrate_policies(
        &self,
        rows: Vec<policy::Model>,
    ) -> CoreResult<Vec<Policy>> {
        let orgs = self
            .org_map(rows.iter().flat_map(|p| [p.insurer_id, p.enterprise_id]))
            .await?;
        let name = |id: i64| orgs.get(&id).map(|o| o.name.clone()).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|p| Policy {
                id: PolicyId(p.id),
                insurer_id: OrgId(p.insurer_id),
                insurer_name: name(p.insurer_id),
                enterprise_id: OrgId(p.enterprise_id),
                enterprise_name: name(p.enterprise_id),
                enterprise_credit_code: orgs
                    .get(&p.enterprise_id)
                    .and_then(|o| o.credit_code.clone())
                    .unwrap_or_default(),
                region_code: p.region_code,
                policy_no: p.policy_no,
                start_date: p.start_date,
                end_date: p.end_date,
                premium: Money::from_cents(p.premium),
                total_limit: Money::from_cents(p.total_limit),
                per_person_limit: Money::from_cents(p.per_person_limit),
                insured_count: p.insured_count,
                prevention_ratio: Ratio::from_basis_points(p.prevention_ratio),
                created_at: p.created_at,
            })
            .collect())
    }
}

#[async_trait]
impl PolicyStore for Db {
    async fn list_policies(
        &self,
        scope: &Scope,
        query: &PolicyQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Policy>> {
        use policy::Column as C;
        let scope = self.simplify_scope(scope).await?;
        let mut cond = scope_condition(&scope);
        if let Some(q) = &query.q {
            cond = cond.add(
                Condition::any()
                    .add(contains((policy::Entity, C::PolicyNo), q))
                    .add(C::EnterpriseId.in_subquery(enterprises_named(self.backend(), q))),
            );
        }
        if let (Some(status), Some(today)) = (query.status, query.today) {
            let soon = today + Duration::days(EXPIRING_DAYS);
            cond = cond.add(match status {
                PolicyStatus::NotYetEffective => Condition::all().add(C::StartDate.gt(today)),
                PolicyStatus::Expired => Condition::all().add(C::EndDate.lt(today)),
                PolicyStatus::ExpiringSoon => Condition::all()
                    .add(C::StartDate.lte(today))
                    .add(C::EndDate.gte(today))
                    .add(C::EndDate.lt(soon)),
                PolicyStatus::Active => Condition::all()
                    .add(C::StartDate.lte(today))
                    .add(C::EndDate.gte(soon)),
            });
        }
        if let Some(from) = query.from {
            cond = cond.add(C::EndDate.gte(from));
        }
        if let Some(to) = query.to {
            cond = cond.add(C::StartDate.lte(to));
        }
        if let Some(insurer) = query.insurer {
            cond = cond.add(C::InsurerId.eq(insurer.0));
        }
        let select = policy::Entity::find()
            .filter(cond)
            .filter(super::keyset_condition(page.after, C::Id, None))
            .order_by_desc(C::Id);
        let (rows, total, capped) = paginate_capped(&self.conn, select, page).await?;
        Ok(capped_page_of(
            self.hydrate_policies(rows).await?,
            total,
            capped,
            page,
        ))
    }

    async fn get_policy(&self, id: PolicyId) -> CoreResult<Option<Policy>> {
        let row = policy::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_policies(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn policy_no_taken(
        &self,
        insurer: OrgId,
        policy_no: &str,
        except: Option<PolicyId>,
    ) -> CoreResult<bool> {
        let mut select = policy::Entity::find()
            .filter(policy::Column::InsurerId.eq(insurer.0))
            .filter(policy::Column::PolicyNo.eq(policy_no));
        if let Some(except) = except {
            select = select.filter(policy::Column::Id.ne(except.0));
        }
        Ok(select.count(&self.conn).await.map_err(db_err)? > 0)
    }

    async fn create_policy(&self, p: &NewPolicy, audit: &AuditEvent) -> CoreResult<PolicyId> {
        let txn = self.write().await?;
        let id = insert_policy(&txn, p, audit.at).await?;
        insert_audit(&txn, audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn taken_policy_nos(
        &self,
        insurer: OrgId,
        policy_nos: &[String],
    ) -> CoreResult<Vec<String>> {
        super::policy_import::taken_policy_nos(self, insurer, policy_nos).await
    }

    async fn import_policies(
        &self,
        insurer: OrgId,
        new_enterprises: &[EnterpriseFields],
        policies: &[ImportedPolicy],
        audit: &AuditEvent,
    ) -> CoreResult<usize> {
        let n =
            super::policy_import::import_policies(self, insurer, new_enterprises, policies, audit)
                .await?;
        // New enterprises are organizations.
        self.references_changed();
        Ok(n)
    }

    async fn update_policy(
        &self,
        id: PolicyId,
        enterprise: OrgId,
        region_code: &str,
        terms: &PolicyTerms,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        let mut m = policy::ActiveModel {
            enterprise_id: Set(enterprise.0),
            region_code: Set(region_code.to_string()),
            updated_at: Set(audit.at),
            ..Default::default()
        };
        terms_model(terms, &mut m);
        let res = policy::Entity::update_many()
            .set(m)
            .filter(policy::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        service_order::Entity::update_many()
            .col_expr(
                service_order::Column::EnterpriseId,
                Expr::value(enterprise.0),
            )
            .col_expr(
                service_order::Column::RegionCode,
                Expr::value(region_code.to_string()),
            )
            .filter(service_order::Column::PolicyId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }
}
