use anze_core::auth::session::{Principal, RoleGrant, SessionRecord, SessionStore};
use anze_core::auth::{DataScope, Permission};
use anze_core::ids::{AccountId, OrgId};
use anze_core::org::OrgKind;
use anze_core::role::RoleKind;
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;

use crate::entity::{account, account_role, organization, role, role_permission, session};
use crate::{Db, db_err};

fn code_of<T>(code: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> CoreResult<T> {
    parse(code).ok_or_else(|| CoreError::Internal(format!("unknown {what} {code}")))
}

impl Db {
    /// The principal as stored; `principal` keeps a short-lived copy (`crate::cache`).
    async fn read_principal(&self, account_id: AccountId) -> CoreResult<Option<Principal>> {
        use account::Column as A;
        use organization::Column as O;
        let stmt = Query::select()
            .expr_as(Expr::col((account::Entity, A::Username)), "username")
            .expr_as(Expr::col((account::Entity, A::Name)), "name")
            .expr_as(Expr::col((account::Entity, A::Enabled)), "enabled")
            .expr_as(Expr::col((organization::Entity, O::Id)), "org_id")
            .expr_as(Expr::col((organization::Entity, O::Name)), "org_name")
            .expr_as(Expr::col((organization::Entity, O::Kind)), "org_kind")
            .expr_as(Expr::col((organization::Entity, O::Enabled)), "org_enabled")
            .from(account::Entity)
            .inner_join(
                organization::Entity,
                Expr::col((organization::Entity, O::Id)).equals((account::Entity, A::OrgId)),
            )
            .and_where(Expr::col((account::Entity, A::Id)).eq(account_id.0))
            .and_where(Expr::col((account::Entity, A::DeletedAt)).is_null())
            .take();
        let Some(row) = self.conn.query_one(&stmt).await.map_err(db_err)? else {
            return Ok(None);
        };
        let get_str = |col: &str| row.try_get::<String>("", col).map_err(db_err);
        let org_kind = code_of(&get_str("org_kind")?, OrgKind::from_code, "org kind")?;

        // One row per (role, permission); a role without permissions comes once, with NULL.
        let stmt = Query::select()
            .expr_as(Expr::col((role::Entity, role::Column::Id)), "role_id")
            .expr_as(Expr::col((role::Entity, role::Column::Kind)), "kind")
            .expr_as(
                Expr::col((role::Entity, role::Column::DataScope)),
                "data_scope",
            )
            .expr_as(
                Expr::col((role_permission::Entity, role_permission::Column::Permission)),
                "permission",
            )
            .from(account_role::Entity)
            .inner_join(
                role::Entity,
                Expr::col((role::Entity, role::Column::Id))
                    .equals((account_role::Entity, account_role::Column::RoleId)),
            )
            .left_join(
                role_permission::Entity,
                Expr::col((role_permission::Entity, role_permission::Column::RoleId))
                    .equals((role::Entity, role::Column::Id)),
            )
            .and_where(
                Expr::col((account_role::Entity, account_role::Column::AccountId)).eq(account_id.0),
            )
            .take();
        let mut roles: BTreeMap<i64, RoleGrant> = BTreeMap::new();
        for r in self.conn.query_all(&stmt).await.map_err(db_err)? {
            let id: i64 = r.try_get("", "role_id").map_err(db_err)?;
            if let std::collections::btree_map::Entry::Vacant(slot) = roles.entry(id) {
                let kind: String = r.try_get("", "kind").map_err(db_err)?;
                let scope: String = r.try_get("", "data_scope").map_err(db_err)?;
                slot.insert(RoleGrant {
                    kind: RoleKind::from_code(&kind).unwrap_or(RoleKind::Custom),
                    data_scope: DataScope::from_code(&scope).unwrap_or(DataScope::Own),
                    permissions: Default::default(),
                });
            }
            let permission: Option<String> = r.try_get("", "permission").map_err(db_err)?;
            // Codes no longer in the catalogue are ignored, as on the roles pages.
            if let (Some(grant), Some(p)) = (
                roles.get_mut(&id),
                permission.as_deref().and_then(Permission::from_code),
            ) {
                grant.permissions.insert(p);
            }
        }
        Ok(Some(Principal {
            account_id,
            username: get_str("username")?,
            name: get_str("name")?,
            account_enabled: row.try_get("", "enabled").map_err(db_err)?,
            org_id: OrgId(row.try_get("", "org_id").map_err(db_err)?),
            org_name: get_str("org_name")?,
            org_kind,
            org_enabled: row.try_get("", "org_enabled").map_err(db_err)?,
            roles: roles.into_values().collect(),
        }))
    }
}

#[async_trait]
impl SessionStore for Db {
    async fn principal(&self, account_id: AccountId) -> CoreResult<Option<Principal>> {
        if let Some(p) = self.reference.principal(account_id.0) {
            return Ok(p);
        }
        let at = self.reference.read_at();
        let p = self.read_principal(account_id).await?;
        self.reference.keep_principal(account_id.0, p.clone(), at);
        Ok(p)
    }

    async fn create_session(&self, s: &SessionRecord) -> CoreResult<()> {
        session::ActiveModel {
            token_hash: Set(s.token_hash.clone()),
            account_id: Set(s.account_id.0),
            csrf_token: Set(s.csrf_token.clone()),
            created_at: Set(s.created_at),
            last_seen_at: Set(s.last_seen_at),
            ip: Set(s.ip.chars().take(64).collect()),
            user_agent: Set(s.user_agent.chars().take(255).collect()),
        }
        .insert(&self.conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn get_session(&self, token_hash: &str) -> CoreResult<Option<SessionRecord>> {
        let row = session::Entity::find_by_id(token_hash.to_string())
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(|s| SessionRecord {
            token_hash: s.token_hash,
            account_id: AccountId(s.account_id),
            csrf_token: s.csrf_token,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        }))
    }

    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> CoreResult<()> {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::TokenHash.eq(token_hash))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> CoreResult<()> {
        session::Entity::delete_by_id(token_hash.to_string())
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_sessions_before(&self, created_before: DateTime<Utc>) -> CoreResult<u64> {
        let res = session::Entity::delete_many()
            .filter(session::Column::CreatedAt.lt(created_before))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected)
    }
}
