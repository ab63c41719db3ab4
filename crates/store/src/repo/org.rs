use anze_core::account::NewAccount;
use anze_core::audit::AuditEvent;
use anze_core::ids::OrgId;
use anze_core::org::{NewOrg, OrgFields, OrgFilter, OrgKind, OrgStore, Organization};
use anze_core::page::{Page, PageRequest};
use anze_core::role::NewRole;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};
use std::collections::HashMap;

use super::{insert_audit, page_of, paginate};
use crate::entity::{account, organization, region, session};
use crate::{Db, db_err};

impl Db {
    pub(crate) async fn region_names(&self) -> CoreResult<HashMap<String, String>> {
        let rows = self.region_rows().await?;
        Ok(rows.into_iter().map(|r| (r.code, r.name)).collect())
    }

    /// Every region, in the dictionary's order (`sort`); a copy kept by `crate::cache`.
    pub(crate) async fn region_rows(&self) -> CoreResult<Vec<region::Model>> {
        if let Some(rows) = self.reference.regions() {
            return Ok(rows);
        }
        let at = self.reference.read_at();
        let rows = region::Entity::find()
            .order_by_asc(region::Column::Sort)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.reference.keep_regions(rows.clone(), at);
        Ok(rows)
    }

    /// After a write to accounts, roles or organizations has committed: the copies every
    /// page reads are dropped (`crate::cache`).
    pub(crate) fn references_changed(&self) {
        self.reference.invalidate();
    }

    pub(crate) async fn org_map(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> CoreResult<HashMap<i64, organization::Model>> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // A detail page names a few organizations (the policy's insurer and enterprise, the
        // enterprise's insurers), the same ones on every visit: those come from the short-lived
        // copy (`crate::cache`), one statement less each. A list page's or an export's many
        // names are read as they are.
        let few = ids.len() <= FEW_ORGS;
        let mut found = HashMap::new();
        if few {
            ids.retain(|id| match self.reference.org_row(*id) {
                Some(row) => {
                    found.insert(*id, row);
                    false
                }
                None => true,
            });
            if ids.is_empty() {
                return Ok(found);
            }
        }
        let at = self.reference.read_at();
        let rows = organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids))
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        if few {
            self.reference.keep_org_rows(&rows, at);
        }
        found.extend(rows.into_iter().map(|o| (o.id, o)));
        Ok(found)
    }
}

/// At most this many organizations are looked up in the short-lived copy by `Db::org_map`.
const FEW_ORGS: usize = 8;

pub(crate) fn kind_of(m: &organization::Model) -> CoreResult<OrgKind> {
    OrgKind::from_code(&m.kind).ok_or_else(|| {
        CoreError::Internal(format!("organization {} has unknown kind {}", m.id, m.kind))
    })
}

fn to_domain(
    m: organization::Model,
    regions: &HashMap<String, String>,
) -> CoreResult<Organization> {
    Ok(Organization {
        id: OrgId(m.id),
        kind: kind_of(&m)?,
        region_name: regions.get(&m.region_code).cloned().unwrap_or_default(),
        name: m.name,
        credit_code: m.credit_code,
        region_code: m.region_code,
        address: m.address,
        contact_name: m.contact_name,
        contact_phone: m.contact_phone,
        enabled: m.enabled,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn fields_model(f: &OrgFields, m: &mut organization::ActiveModel) {
    m.name = Set(f.name.clone());
    m.credit_code = Set(f.credit_code.as_ref().map(|c| c.to_string()));
    m.region_code = Set(f.region_code.clone());
    m.address = Set(f.address.clone());
    m.contact_name = Set(f.contact_name.clone());
    m.contact_phone = Set(f.contact_phone.to_string());
}

#[async_trait]
impl OrgStore for Db {
    async fn list_orgs(
        &self,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Organization>> {
        let mut cond = Condition::all();
        let q = filter.q.trim();
        if !q.is_empty() {
            cond = cond.add(super::search::text_matches::<organization::Entity>(
                self.backend(),
                &[organization::Column::Name, organization::Column::CreditCode],
                q,
            ));
        }
        if let Some(kind) = OrgKind::from_code(filter.kind.trim()) {
            cond = cond.add(organization::Column::Kind.eq(kind.code()));
        }
        if !filter.region.trim().is_empty() {
            cond = cond.add(organization::Column::RegionCode.eq(filter.region.trim()));
        }
        match filter.status.trim() {
            "enabled" => cond = cond.add(organization::Column::Enabled.eq(true)),
            "disabled" => cond = cond.add(organization::Column::Enabled.eq(false)),
            _ => {}
        }
        let select = organization::Entity::find()
            .filter(cond)
            .order_by_desc(organization::Column::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        let regions = self.region_names().await?;
        let items = rows
            .into_iter()
            .map(|m| to_domain(m, &regions))
            .collect::<CoreResult<_>>()?;
        Ok(page_of(items, total, page))
    }

    async fn org_options(&self, kinds: Option<&[OrgKind]>) -> CoreResult<Vec<Organization>> {
        let key: Vec<&'static str> = match kinds {
            Some(kinds) => kinds.iter().map(|k| k.code()).collect(),
            None => vec!["*"],
        };
        if let Some(orgs) = self.reference.org_options(&key) {
            return Ok(orgs);
        }
        let at = self.reference.read_at();
        let mut select = organization::Entity::find()
            .filter(organization::Column::Enabled.eq(true))
            .order_by_asc(organization::Column::Name);
        if let Some(kinds) = kinds {
            select =
                select.filter(organization::Column::Kind.is_in(kinds.iter().map(|k| k.code())));
        }
        let rows = select.all(&self.conn).await.map_err(db_err)?;
        let regions = self.region_names().await?;
        let orgs = rows
            .into_iter()
            .map(|m| to_domain(m, &regions))
            .collect::<CoreResult<Vec<_>>>()?;
        self.reference.keep_org_options(key, orgs.clone(), at);
        Ok(orgs)
    }

    async fn get_org(&self, id: OrgId) -> CoreResult<Option<Organization>> {
        // Through `org_map`, which keeps the row for `crate::cache`'s few seconds.
        match self.org_map([id.0]).await?.remove(&id.0) {
            Some(m) => Ok(Some(to_domain(m, &self.region_names().await?)?)),
            None => Ok(None),
        }
    }

    async fn credit_code_taken(&self, code: &str, except: Option<OrgId>) -> CoreResult<bool> {
        let mut select =
            organization::Entity::find().filter(organization::Column::CreditCode.eq(code));
        if let Some(except) = except {
            select = select.filter(organization::Column::Id.ne(except.0));
        }
        Ok(select.count(&self.conn).await.map_err(db_err)? > 0)
    }

    async fn orgs_by_credit_codes(&self, codes: &[String]) -> CoreResult<Vec<Organization>> {
        let regions = self.region_names().await?;
        let mut out = Vec::new();
        // Chunked so the IN list stays well inside every backend's parameter limit.
        for chunk in codes.chunks(super::policy_import::BATCH) {
            let rows = organization::Entity::find()
                .filter(organization::Column::CreditCode.is_in(chunk.iter().cloned()))
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            for m in rows {
                out.push(to_domain(m, &regions)?);
            }
        }
        Ok(out)
    }

    async fn platform_org(&self) -> CoreResult<Option<Organization>> {
        let Some(m) = organization::Entity::find()
            .filter(organization::Column::Kind.eq(OrgKind::Platform.code()))
            .one(&self.conn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let regions = self.region_names().await?;
        to_domain(m, &regions).map(Some)
    }

    async fn create_org(
        &self,
        org: &NewOrg,
        roles: &[NewRole],
        admin: &NewAccount,
        audit: &AuditEvent,
    ) -> CoreResult<OrgId> {
        let now = audit.at;
        let txn = self.write().await?;
        let mut model = organization::ActiveModel {
            id: NotSet,
            kind: Set(org.kind.code().to_string()),
            enabled: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        fields_model(&org.fields, &mut model);
        let created = model.insert(&txn).await.map_err(db_err)?;
        let org_id = OrgId(created.id);
        let mut role_ids = Vec::new();
        for role in roles {
            role_ids.push(super::role::insert_role(&txn, org_id, role).await?);
        }
        let mut admin = admin.clone();
        admin.org_id = Some(org_id);
        admin.role_ids = role_ids.into_iter().take(1).collect();
        super::account::insert_account(&txn, &admin, now).await?;
        insert_audit(&txn, &audit.clone().in_org(org_id), Some(org_id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(org_id)
    }

    async fn update_org(
        &self,
        id: OrgId,
        fields: &OrgFields,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        let mut model = organization::ActiveModel {
            id: Set(id.0),
            updated_at: Set(audit.at),
            ..Default::default()
        };
        fields_model(fields, &mut model);
        let res = organization::Entity::update_many()
            .set(model)
            .filter(organization::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn set_org_enabled(
        &self,
        id: OrgId,
        enabled: bool,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        organization::Entity::update_many()
            .set(organization::ActiveModel {
                enabled: Set(enabled),
                updated_at: Set(audit.at),
                ..Default::default()
            })
            .filter(organization::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if !enabled {
            // Everyone of a disabled organization is logged out at once.
            let members = Query::select()
                .column(account::Column::Id)
                .from(account::Entity)
                .and_where(account::Column::OrgId.eq(id.0))
                .take();
            session::Entity::delete_many()
                .filter(session::Column::AccountId.in_subquery(members))
                .exec(&txn)
                .await
                .map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }
}
