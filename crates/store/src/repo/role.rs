use anze_core::audit::AuditEvent;
use anze_core::auth::{DataScope, Permission};
use anze_core::ids::{OrgId, RoleId};
use anze_core::page::{Page, PageRequest};
use anze_core::role::{NewRole, Role, RoleFilter, RoleKind, RoleStore, service::in_use};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet,
    QueryFilter, QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};

use super::org::kind_of;
use super::{contains, insert_audit, page_of, paginate};
use crate::entity::{account, account_role, role, role_permission};
use crate::{Db, db_err};

pub(crate) async fn insert_role(
    txn: &DatabaseTransaction,
    org: OrgId,
    r: &NewRole,
) -> CoreResult<RoleId> {
    let now = chrono::Utc::now();
    let created = role::ActiveModel {
        id: NotSet,
        org_id: Set(org.0),
        name: Set(r.name.clone()),
        kind: Set(r.kind.code().to_string()),
        data_scope: Set(r.data_scope.code().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    set_permissions(txn, created.id, &r.permissions).await?;
    Ok(RoleId(created.id))
}

async fn set_permissions(
    txn: &DatabaseTransaction,
    role_id: i64,
    perms: &BTreeSet<Permission>,
) -> CoreResult<()> {
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(role_id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if perms.is_empty() {
        return Ok(());
    }
    role_permission::Entity::insert_many(perms.iter().map(|p| role_permission::ActiveModel {
        role_id: Set(role_id),
        permission: Set(p.code().to_string()),
    }))
    .exec(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Live accounts holding each role.
async fn holder_counts(
    conn: &impl ConnectionTrait,
    role_ids: &[i64],
) -> CoreResult<HashMap<i64, u64>> {
    if role_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = Query::select()
        .column((account_role::Entity, account_role::Column::RoleId))
        .expr_as(
            Expr::col((account_role::Entity, account_role::Column::AccountId)).count(),
            "n",
        )
        .from(account_role::Entity)
        .inner_join(
            account::Entity,
            Expr::col((account::Entity, account::Column::Id))
                .equals((account_role::Entity, account_role::Column::AccountId)),
        )
        .and_where(Expr::col((account::Entity, account::Column::DeletedAt)).is_null())
        .and_where(
            Expr::col((account_role::Entity, account_role::Column::RoleId))
                .is_in(role_ids.iter().copied()),
        )
        .group_by_col((account_role::Entity, account_role::Column::RoleId))
        .take();
    let rows = conn.query_all(&stmt).await.map_err(db_err)?;
    let mut counts = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "role_id").map_err(db_err)?;
        let n: i64 = row.try_get("", "n").map_err(db_err)?;
        counts.insert(id, u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}

impl Db {
    async fn hydrate_roles(&self, rows: Vec<role::Model>) -> CoreResult<Vec<Role>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let orgs = self.org_map(rows.iter().map(|r| r.org_id)).await?;
        let perms = if ids.is_empty() {
            vec![]
        } else {
            role_permission::Entity::find()
                .filter(role_permission::Column::RoleId.is_in(ids.clone()))
                .all(&self.conn)
                .await
                .map_err(db_err)?
        };
        let counts = holder_counts(&self.conn, &ids).await?;
        rows.into_iter()
            .map(|r| {
                let org = orgs
                    .get(&r.org_id)
                    .ok_or_else(|| CoreError::Internal(format!("role {} lost its org", r.id)))?;
                Ok(Role {
                    id: RoleId(r.id),
                    org_id: OrgId(r.org_id),
                    org_name: org.name.clone(),
                    org_kind: kind_of(org)?,
                    kind: RoleKind::from_code(&r.kind).unwrap_or(RoleKind::Custom),
                    data_scope: DataScope::from_code(&r.data_scope).unwrap_or(DataScope::Own),
                    // Codes no longer in the catalogue are ignored rather than failing the page.
                    permissions: perms
                        .iter()
                        .filter(|p| p.role_id == r.id)
                        .filter_map(|p| Permission::from_code(&p.permission))
                        .collect(),
                    account_count: counts.get(&r.id).copied().unwrap_or(0),
                    name: r.name,
                })
            })
            .collect()
    }
}

#[async_trait]
impl RoleStore for Db {
    async fn list_roles(
        &self,
        org: Option<OrgId>,
        filter: &RoleFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Role>> {
        let mut cond = Condition::all();
        let org = org.or_else(|| filter.org.trim().parse::<i64>().ok().map(OrgId));
        if let Some(org) = org {
            cond = cond.add(role::Column::OrgId.eq(org.0));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            cond = cond.add(contains((role::Entity, role::Column::Name), q));
        }
        let select = role::Entity::find()
            .filter(cond)
            .order_by_asc(role::Column::OrgId)
            .order_by_asc(role::Column::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        Ok(page_of(self.hydrate_roles(rows).await?, total, page))
    }

    async fn roles_of_org(&self, org: OrgId) -> CoreResult<Vec<Role>> {
        let rows = role::Entity::find()
            .filter(role::Column::OrgId.eq(org.0))
            .order_by_asc(role::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_roles(rows).await
    }

    async fn get_role(&self, id: RoleId) -> CoreResult<Option<Role>> {
        Ok(self.roles_by_ids(&[id]).await?.pop())
    }

    async fn roles_by_ids(&self, ids: &[RoleId]) -> CoreResult<Vec<Role>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = role::Entity::find()
            .filter(role::Column::Id.is_in(ids.iter().map(|i| i.0)))
            .order_by_asc(role::Column::Id)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        self.hydrate_roles(rows).await
    }

    async fn create_role(&self, org: OrgId, r: &NewRole, audit: &AuditEvent) -> CoreResult<RoleId> {
        let txn = self.write().await?;
        let id = insert_role(&txn, org, r).await?;
        insert_audit(&txn, audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(id)
    }

    async fn ensure_roles(&self, org: OrgId, roles: &[NewRole]) -> CoreResult<()> {
        let txn = self.write().await?;
        let existing = role::Entity::find()
            .filter(role::Column::OrgId.eq(org.0))
            .one(&txn)
            .await
            .map_err(db_err)?;
        if existing.is_some() {
            return Ok(());
        }
        for r in roles {
            match insert_role(&txn, org, r).await {
                // Another instance created them a moment ago.
                Err(CoreError::Duplicate) => return Ok(()),
                other => other?,
            };
        }
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn update_role(&self, id: RoleId, r: &NewRole, audit: &AuditEvent) -> CoreResult<()> {
        let txn = self.write().await?;
        let res = role::Entity::update_many()
            .col_expr(role::Column::Name, Expr::value(r.name.clone()))
            .col_expr(role::Column::DataScope, Expr::value(r.data_scope.code()))
            .col_expr(role::Column::UpdatedAt, Expr::value(audit.at))
            .filter(role::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        set_permissions(&txn, id.0, &r.permissions).await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn delete_role(&self, id: RoleId, audit: &AuditEvent) -> CoreResult<()> {
        let txn = self.write().await?;
        // Checked again under the write lock: an account may have received the role since the
        // service looked.
        let holders = holder_counts(&txn, &[id.0])
            .await?
            .get(&id.0)
            .copied()
            .unwrap_or(0);
        if holders > 0 {
            return Err(in_use(&audit.object_label, holders));
        }
        account_role::Entity::delete_many()
            .filter(account_role::Column::RoleId.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        let res = role::Entity::delete_by_id(id.0)
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
}
