use anze_core::CoreResult;
use anze_core::auth::session::{SessionRecord, SessionStore};
use anze_core::ids::AccountId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::session;
use crate::{Db, db_err};

#[async_trait]
impl SessionStore for Db {
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
