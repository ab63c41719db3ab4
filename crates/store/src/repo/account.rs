use anze_core::account::{
    Account, AccountChanges, AccountFilter, AccountRef, AccountStore, NewAccount, RoleRef,
};
use anze_core::audit::AuditEvent;
use anze_core::auth::password::PasswordHashString;
use anze_core::auth::{DataScope, Permission};
use anze_core::ids::{AccountId, OrgId, RoleId};
use anze_core::page::{Page, PageRequest};
use anze_core::role::{RoleKind, effective_permissions};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

use super::org::kind_of;
use super::{contains, insert_audit, page_of, paginate};
use crate::entity::{account, account_role, role, role_permission, session};
use crate::{Db, db_err};

pub(crate) async fn insert_account(
    txn: &DatabaseTransaction,
    a: &NewAccount,
    now: DateTime<Utc>,
) -> CoreResult<AccountId> {
    let org_id = a
        .org_id
        .ok_or_else(|| CoreError::Internal("account without organization".into()))?;
    let created = account::ActiveModel {
        id: NotSet,
        org_id: Set(org_id.0),
        username: Set(a.username.as_str().to_string()),
        name: Set(a.name.clone()),
        phone: Set(a.phone.as_ref().map(|p| p.to_string())),
        password_hash: Set(a.password_hash.0.clone()),
        enabled: Set(a.enabled),
        deleted_at: Set(None),
        failed_attempts: Set(0),
        locked_until: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    // A new account has no roles to clear. Clearing them anyway made two concurrent creates
    // deadlock on MySQL: each DELETE of nothing gap-locks the end of `account_roles`, and each
    // INSERT then waits for the other's gap lock.
    insert_roles(txn, created.id, &a.role_ids).await?;
    Ok(AccountId(created.id))
}

async fn set_roles(txn: &DatabaseTransaction, account_id: i64, roles: &[RoleId]) -> CoreResult<()> {
    account_role::Entity::delete_many()
        .filter(account_role::Column::AccountId.eq(account_id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    insert_roles(txn, account_id, roles).await
}

async fn insert_roles(
    txn: &DatabaseTransaction,
    account_id: i64,
    roles: &[RoleId],
) -> CoreResult<()> {
    if roles.is_empty() {
        return Ok(());
    }
    account_role::Entity::insert_many(roles.iter().map(|r| account_role::ActiveModel {
        account_id: Set(account_id),
        role_id: Set(r.0),
    }))
    .exec(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn end_sessions(txn: &DatabaseTransaction, account_id: i64) -> CoreResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(super) fn live() -> Condition {
    Condition::all().add(account::Column::DeletedAt.is_null())
}

impl Db {
    /// Attaches organization and roles (with what they grant) to account rows with four extra
    /// queries per page.
    async fn hydrate(&self, rows: Vec<account::Model>) -> CoreResult<Vec<Account>> {
        let orgs = self.org_map(rows.iter().map(|a| a.org_id)).await?;
        let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
        let links = if ids.is_empty() {
            vec![]
        } else {
            account_role::Entity::find()
                .filter(account_role::Column::AccountId.is_in(ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?
        };
        let role_ids: Vec<i64> = links.iter().map(|l| l.role_id).collect();
        let (roles, perms) = if role_ids.is_empty() {
            (HashMap::new(), vec![])
        } else {
            let roles: HashMap<i64, role::Model> = role::Entity::find()
                .filter(role::Column::Id.is_in(role_ids.clone()))
                .all(&self.conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
            let perms = role_permission::Entity::find()
                .filter(role_permission::Column::RoleId.is_in(role_ids))
                .all(&self.conn)
                .await
                .map_err(db_err)?;
            (roles, perms)
        };
        rows.into_iter()
            .map(|a| {
                let org = orgs
                    .get(&a.org_id)
                    .ok_or_else(|| CoreError::Internal(format!("account {} lost its org", a.id)))?;
                let org_kind = kind_of(org)?;
                let mut account_roles: Vec<RoleRef> = links
                    .iter()
                    .filter(|l| l.account_id == a.id)
                    .filter_map(|l| roles.get(&l.role_id))
                    .map(|r| {
                        let kind = RoleKind::from_code(&r.kind).unwrap_or(RoleKind::Custom);
                        // Codes no longer in the catalogue are ignored, as on the roles pages.
                        let stored = perms
                            .iter()
                            .filter(|p| p.role_id == r.id)
                            .filter_map(|p| Permission::from_code(&p.permission))
                            .collect();
                        RoleRef {
                            id: RoleId(r.id),
                            name: r.name.clone(),
                            kind,
                            data_scope: DataScope::from_code(&r.data_scope)
                                .unwrap_or(DataScope::Own),
                            permissions: effective_permissions(kind, org_kind, &stored),
                        }
                    })
                    .collect();
                account_roles.sort_by_key(|r| r.id);
                Ok(Account {
                    id: AccountId(a.id),
                    org_id: OrgId(a.org_id),
                    org_name: org.name.clone(),
                    org_kind,
                    username: a.username,
                    name: a.name,
                    phone: a.phone,
                    enabled: a.enabled,
                    roles: account_roles,
                    last_login_at: a.last_login_at,
                    created_at: a.created_at,
                })
            })
            .collect()
    }
}

#[async_trait]
impl AccountStore for Db {
    async fn list_accounts(
        &self,
        org: Option<OrgId>,
        filter: &AccountFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Account>> {
        let mut cond = live();
        let org = org.or_else(|| filter.org.trim().parse::<i64>().ok().map(OrgId));
        if let Some(org) = org {
            cond = cond.add(account::Column::OrgId.eq(org.0));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            cond = cond.add(
                Condition::any()
                    .add(contains((account::Entity, account::Column::Username), q))
                    .add(contains((account::Entity, account::Column::Name), q))
                    .add(contains((account::Entity, account::Column::Phone), q)),
            );
        }
        match filter.status.trim() {
            "enabled" => cond = cond.add(account::Column::Enabled.eq(true)),
            "disabled" => cond = cond.add(account::Column::Enabled.eq(false)),
            _ => {}
        }
        if let Ok(role_id) = filter.role.trim().parse::<i64>() {
            let holders = Query::select()
                .column(account_role::Column::AccountId)
                .from(account_role::Entity)
                .and_where(account_role::Column::RoleId.eq(role_id))
                .take();
            cond = cond.add(account::Column::Id.in_subquery(holders));
        }
        let select = account::Entity::find()
            .filter(cond)
            .order_by_desc(account::Column::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        Ok(page_of(self.hydrate(rows).await?, total, page))
    }

    async fn account_options(
        &self,
        org: OrgId,
        enabled_only: bool,
        limit: u64,
    ) -> CoreResult<Vec<AccountRef>> {
        let mut cond = live().add(account::Column::OrgId.eq(org.0));
        if enabled_only {
            cond = cond.add(account::Column::Enabled.eq(true));
        }
        Ok(account::Entity::find()
            .filter(cond)
            .order_by_desc(account::Column::Id)
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|a| AccountRef {
                id: AccountId(a.id),
                name: format!("{}({})", a.name, a.username),
            })
            .collect())
    }

    async fn get_account(&self, id: AccountId) -> CoreResult<Option<Account>> {
        let row = account::Entity::find_by_id(id.0)
            .filter(live())
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self.hydrate(row.into_iter().collect()).await?.pop())
    }

    async fn username_taken(&self, username: &str) -> CoreResult<bool> {
        let n = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .count(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(n > 0)
    }

    async fn create_account(&self, a: &NewAccount, audit: &AuditEvent) -> CoreResult<AccountId> {
        let txn = self.write().await?;
        let id = insert_account(&txn, a, audit.at).await?;
        insert_audit(&txn, audit, Some(id.0)).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(id)
    }

    async fn update_account(
        &self,
        id: AccountId,
        c: &AccountChanges,
        audit: &AuditEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        let mut model = account::ActiveModel {
            name: Set(c.name.clone()),
            phone: Set(c.phone.as_ref().map(|p| p.to_string())),
            enabled: Set(c.enabled),
            updated_at: Set(audit.at),
            ..Default::default()
        };
        if let Some(hash) = &c.password_hash {
            model.password_hash = Set(hash.0.clone());
            model.failed_attempts = Set(0);
            model.locked_until = Set(None);
        }
        let res = account::Entity::update_many()
            .set(model)
            .filter(account::Column::Id.eq(id.0))
            .filter(live())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        set_roles(&txn, id.0, &c.role_ids).await?;
        if c.password_hash.is_some() || !c.enabled {
            end_sessions(&txn, id.0).await?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn set_password(
        &self,
        id: AccountId,
        hash: &PasswordHashString,
        audit: Option<&AuditEvent>,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        let res = account::Entity::update_many()
            .col_expr(account::Column::PasswordHash, Expr::value(hash.0.clone()))
            .col_expr(account::Column::FailedAttempts, Expr::value(0))
            .col_expr(
                account::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(account::Column::Id.eq(id.0))
            .filter(live())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        end_sessions(&txn, id.0).await?;
        if let Some(audit) = audit {
            insert_audit(&txn, audit, None).await?;
        }
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn delete_account(&self, id: AccountId, audit: &AuditEvent) -> CoreResult<()> {
        let txn = self.write().await?;
        let res = account::Entity::update_many()
            .col_expr(account::Column::DeletedAt, Expr::value(Some(audit.at)))
            .col_expr(account::Column::Enabled, Expr::value(false))
            .filter(account::Column::Id.eq(id.0))
            .filter(live())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(CoreError::NotFound);
        }
        // The role links go too, so a deleted account never keeps a role "in use".
        set_roles(&txn, id.0, &[]).await?;
        end_sessions(&txn, id.0).await?;
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        self.references_changed();
        Ok(())
    }

    async fn find_account_by_username(&self, username: &str) -> CoreResult<Option<Account>> {
        let row = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .filter(live())
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self.hydrate(row.into_iter().collect()).await?.pop())
    }

    async fn password_hash(&self, id: AccountId) -> CoreResult<Option<PasswordHashString>> {
        let row = account::Entity::find_by_id(id.0)
            .filter(live())
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(|a| PasswordHashString(a.password_hash)))
    }
}
