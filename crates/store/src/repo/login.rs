use anze_core::audit::LoginEvent;
use anze_core::auth::login::{LoginAccount, LoginStore, Throttle};
use anze_core::auth::password::PasswordHashString;
use anze_core::ids::{AccountId, OrgId};
use anze_core::{CoreError, CoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::account::live;
use super::audit::insert_login_event;
use crate::entity::{account, login_throttle, organization};
use crate::{Db, db_err};

fn throttle_of(m: login_throttle::Model) -> Throttle {
    Throttle {
        failures: m.failures,
        locks: m.locks,
        locked_until: m.locked_until,
        last_failure_at: m.last_failure_at,
    }
}

#[async_trait]
impl LoginStore for Db {
    async fn find_login_account(&self, username: &str) -> CoreResult<Option<LoginAccount>> {
        let Some(a) = account::Entity::find()
            .filter(account::Column::Username.eq(username))
            .filter(live())
            .one(&self.conn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        // Read, not taken from the short-lived copy: a login right after the organization
        // was disabled on another instance is refused at once.
        let org_enabled = organization::Entity::find_by_id(a.org_id)
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .is_some_and(|o| o.enabled);
        Ok(Some(LoginAccount {
            id: AccountId(a.id),
            org_id: OrgId(a.org_id),
            username: a.username,
            password_hash: PasswordHashString(a.password_hash),
            enabled: a.enabled,
            org_enabled,
        }))
    }

    async fn login_throttle(&self, key: &str, ip: &str) -> CoreResult<Option<Throttle>> {
        Ok(
            login_throttle::Entity::find_by_id((key.to_string(), ip.to_string()))
                .one(&self.conn)
                .await
                .map_err(db_err)?
                .map(throttle_of),
        )
    }

    async fn register_login_failure(
        &self,
        key: &str,
        ip: &str,
        step: &(dyn for<'t> Fn(Option<&'t Throttle>) -> (Throttle, LoginEvent) + Send + Sync),
    ) -> CoreResult<Throttle> {
        let id = (key.to_string(), ip.to_string());
        let txn = self.write().await?;
        // Make sure the row exists (a blank record counts like none), then lock it: concurrent
        // failures of one pair queue here and each sees the count the one before it wrote.
        // SQLite's write lock already serializes the whole transaction.
        let at = step(None).0.last_failure_at;
        login_throttle::Entity::insert(login_throttle::ActiveModel {
            username_key: Set(id.0.clone()),
            ip: Set(id.1.clone()),
            failures: Set(0),
            locks: Set(0),
            locked_until: Set(None),
            last_failure_at: Set(at),
        })
        .on_conflict_do_nothing_on([
            login_throttle::Column::UsernameKey,
            login_throttle::Column::Ip,
        ])
        .exec_without_returning(&txn)
        .await
        .map_err(db_err)?;
        let mut select = login_throttle::Entity::find_by_id(id.clone());
        if self.backend() != DbBackend::Sqlite {
            select = select.lock_exclusive();
        }
        let current = select
            .one(&txn)
            .await
            .map_err(db_err)?
            .ok_or_else(|| CoreError::Internal("login throttle row vanished".into()))?;
        let (next, event) = step(Some(&throttle_of(current)));
        login_throttle::ActiveModel {
            username_key: Set(id.0),
            ip: Set(id.1),
            failures: Set(next.failures),
            locks: Set(next.locks),
            locked_until: Set(next.locked_until),
            last_failure_at: Set(next.last_failure_at),
        }
        .update(&txn)
        .await
        .map_err(db_err)?;
        insert_login_event(&txn, &event).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(next)
    }

    async fn register_login_success(
        &self,
        id: AccountId,
        key: &str,
        ip: &str,
        event: &LoginEvent,
    ) -> CoreResult<()> {
        let txn = self.write().await?;
        account::Entity::update_many()
            .col_expr(account::Column::LastLoginAt, Expr::value(Some(event.at)))
            .filter(account::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::UsernameKey.eq(key))
            .filter(login_throttle::Column::Ip.eq(ip))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_login_event(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn clear_login_throttle(&self, key: &str) -> CoreResult<()> {
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::UsernameKey.eq(key))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn forget_login_throttles(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let res = login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::LastFailureAt.lt(before))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected)
    }
}
