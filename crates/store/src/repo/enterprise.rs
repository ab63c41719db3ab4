use anze_core::audit::AuditEvent;
use anze_core::enterprise::{Enterprise, EnterpriseFields, EnterpriseFilter, EnterpriseStore};
use anze_core::geo::GeoPoint;
use anze_core::ids::{AttachmentId, OrgId};
use anze_core::industry::{self, IndustryStore};
use anze_core::org::OrgKind;
use anze_core::page::{Page, PageRequest};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::{insert_audit, page_of, paginate};
use crate::entity::{industry as industry_entity, organization, policy};
use crate::{Db, db_err};

fn apply_fields(f: &EnterpriseFields, m: &mut organization::ActiveModel) {
    m.name = Set(f.org.name.clone());
    m.credit_code = Set(f.org.credit_code.as_ref().map(|c| c.to_string()));
    m.region_code = Set(f.org.region_code.clone());
    m.address = Set(f.org.address.clone());
    m.contact_name = Set(f.org.contact_name.clone());
    m.contact_phone = Set(f.org.contact_phone.to_string());
    m.industry_code = Set(Some(f.industry_code.clone()));
    m.employee_count = Set(Some(f.employee_count));
    m.site_lat = Set(f.site.map(|p| p.lat));
    m.site_lng = Set(f.site.map(|p| p.lng));
    m.site_photo_id = Set(f.site_photo.map(|a| a.0));
}

/// A new enterprise row; the policy import inserts many of them at once.
pub(crate) fn enterprise_model(
    f: &EnterpriseFields,
    creator: OrgId,
    now: chrono::DateTime<chrono::Utc>,
) -> organization::ActiveModel {
    let mut m = organization::ActiveModel {
        id: NotSet,
        kind: Set(OrgKind::Enterprise.code().to_string()),
        created_by_org_id: Set(Some(creator.0)),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_fields(f, &mut m);
    m
}

/// Inserts an enterprise inside the caller's transaction.
pub(crate) async fn insert_enterprise(
    txn: &DatabaseTransaction,
    f: &EnterpriseFields,
    creator: OrgId,
    now: chrono::DateTime<chrono::Utc>,
) -> CoreResult<OrgId> {
    let created = enterprise_model(f, creator, now)
        .insert(txn)
        .await
        .map_err(db_err)?;
    Ok(OrgId(created.id))
}

impl Db {
    async fn hydrate_enterprises(
        &self,
        rows: Vec<organization::Model>,
    ) -> CoreResult<Vec<Enterprise>> {
        let regions = self.region_names().await?;
        let all = self.list_industries().await?;
        let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
        let mut insurers: HashMap<i64, Vec<OrgId>> = HashMap::new();
        if !ids.is_empty() {
            let pairs: Vec<(i64, i64)> = policy::Entity::find()
                .select_only()
                .column(policy::Column::EnterpriseId)
                .column(policy::Column::InsurerId)
                .distinct()
                .filter(policy::Column::EnterpriseId.is_in(ids))
                .order_by_asc(policy::Column::InsurerId)
                .into_tuple()
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            for (enterprise, insurer) in pairs {
                insurers.entry(enterprise).or_default().push(OrgId(insurer));
            }
        }
        let choices: HashMap<String, industry::IndustryChoice> = industry::choices(&all)
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        Ok(rows
            .into_iter()
            .map(|m| {
                let code = m.industry_code.clone().unwrap_or_default();
                let choice = choices.get(&code);
                Enterprise {
                    id: OrgId(m.id),
                    region_name: regions.get(&m.region_code).cloned().unwrap_or_default(),
                    industry_label: choice.map(|c| c.label.clone()).unwrap_or_default(),
                    mandatory: choice.is_some_and(|c| c.mandatory),
                    industry_code: code,
                    employee_count: m.employee_count.unwrap_or(0),
                    name: m.name,
                    credit_code: m.credit_code.unwrap_or_default(),
                    region_code: m.region_code,
                    address: m.address,
                    contact_name: m.contact_name,
                    contact_phone: m.contact_phone,
                    created_at: m.created_at,
                    created_by: m.created_by_org_id.map(OrgId),
                    insurers: insurers.remove(&m.id).unwrap_or_default(),
                    site: m
                        .site_lat
                        .zip(m.site_lng)
                        .map(|(lat, lng)| GeoPoint { lat, lng }),
                    site_photo: m.site_photo_id.map(AttachmentId),
                }
            })
            .collect())
    }
}

fn is_enterprise() -> Condition {
    Condition::all().add(organization::Column::Kind.eq(OrgKind::Enterprise.code()))
}

#[async_trait]
impl EnterpriseStore for Db {
    async fn list_enterprises(
        &self,
        regions: Option<&[String]>,
        filter: &EnterpriseFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Enterprise>> {
        let mut cond = is_enterprise();
        if let Some(regions) = regions {
            cond = cond.add(organization::Column::RegionCode.is_in(regions.iter().cloned()));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            cond = cond.add(super::search::text_matches::<organization::Entity>(
                self.backend(),
                &[organization::Column::Name, organization::Column::CreditCode],
                q,
            ));
        }
        if !filter.region.trim().is_empty() {
            cond = cond.add(organization::Column::RegionCode.eq(filter.region.trim()));
        }
        let industry = filter.industry.trim();
        if !industry.is_empty() {
            // A first-level code selects all its children.
            let children = Query::select()
                .column(industry_entity::Column::Code)
                .from(industry_entity::Entity)
                .and_where(industry_entity::Column::ParentCode.eq(industry))
                .take();
            cond = cond.add(
                Condition::any()
                    .add(organization::Column::IndustryCode.eq(industry))
                    .add(organization::Column::IndustryCode.in_subquery(children)),
            );
        }
        if filter.mandatory.trim() == "1" {
            let mandatory = Query::select()
                .column(industry_entity::Column::Code)
                .from(industry_entity::Entity)
                .and_where(industry_entity::Column::Mandatory.eq(true))
                .take();
            cond = cond.add(organization::Column::IndustryCode.in_subquery(mandatory));
        }
        let select = organization::Entity::find()
            .filter(cond)
            .order_by_desc(organization::Column::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        Ok(page_of(self.hydrate_enterprises(rows).await?, total, page))
    }

    async fn get_enterprise(&self, id: OrgId) -> CoreResult<Option<Enterprise>> {
        // Through `org_map`, whose short-lived copy an order's page reads it from.
        let row = self
            .org_map([id.0])
            .await?
            .remove(&id.0)
            .filter(|m| m.kind == OrgKind::Enterprise.code());
        Ok(self
            .hydrate_enterprises(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn find_enterprise_by_credit_code(&self, code: &str) -> CoreResult<Option<Enterprise>> {
        let row = organization::Entity::find()
            .filter(is_enterprise())
            .filter(organization::Column::CreditCode.eq(code))
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self
            .hydrate_enterprises(row.into_iter().collect())
            .await?
            .pop())
    }

    async fn create_enterprise(
        &self,
        fields: &EnterpriseFields,
        creator: OrgId,
        audit: &AuditEvent,
    ) -> CoreResult<OrgId> {
        let txn = self.write().await?;
        let id = insert_enterprise(&txn, fields, creator, audit.at).await?;
        insert_audit(&txn, audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(id)
    }

    async fn update_enterprise(
        &self,
        id: OrgId,
        fields: &EnterpriseFields,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        let mut m = organization::ActiveModel {
            updated_at: Set(audit.at),
            ..Default::default()
        };
        apply_fields(fields, &mut m);
        let res = organization::Entity::update_many()
            .set(m)
            .filter(organization::Column::Id.eq(id.0))
            .filter(is_enterprise())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        // Policies and orders carry the enterprise's region for regional scoping.
        crate::entity::policy::Entity::update_many()
            .col_expr(
                crate::entity::policy::Column::RegionCode,
                sea_orm::sea_query::Expr::value(fields.org.region_code.clone()),
            )
            .filter(crate::entity::policy::Column::EnterpriseId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        crate::entity::service_order::Entity::update_many()
            .col_expr(
                crate::entity::service_order::Column::RegionCode,
                sea_orm::sea_query::Expr::value(fields.org.region_code.clone()),
            )
            .filter(crate::entity::service_order::Column::EnterpriseId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn adopt_enterprise_site(
        &self,
        id: OrgId,
        site: GeoPoint,
        photo: AttachmentId,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use organization::Column as O;
        let txn = self.write().await?;
        // Conditional on having no site: a site typed meanwhile is not overwritten.
        let res = organization::Entity::update_many()
            .col_expr(O::SiteLat, Expr::value(site.lat))
            .col_expr(O::SiteLng, Expr::value(site.lng))
            .col_expr(O::SitePhotoId, Expr::value(photo.0))
            .filter(O::Id.eq(id.0))
            .filter(is_enterprise())
            .filter(O::SiteLat.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Ok(false);
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
