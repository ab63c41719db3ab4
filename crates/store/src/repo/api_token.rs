use anze_core::CoreResult;
use anze_core::api_token::{
    ApiCall, ApiCallQuery, ApiCallRecord, ApiToken, ApiTokenStore, NewApiToken,
};
use anze_core::audit::AuditEvent;
use anze_core::auth::Permission;
use anze_core::ids::{AccountId, ApiCallId, ApiTokenId, OrgId};
use anze_core::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

use super::{
    NameQuery, capped_page_of, contains, insert_audit, page_of, paginate, paginate_capped,
};
use crate::entity::{api_call, api_token};
use crate::{Db, db_err};

#[async_trait]
impl ApiTokenStore for Db {
    async fn insert_api_token(
        &self,
        token: &NewApiToken,
        audit: &AuditEvent,
    ) -> CoreResult<ApiTokenId> {
        let txn = self.write().await?;
        let row = api_token::ActiveModel {
            id: NotSet,
            org_id: Set(token.org_id.0),
            name: Set(token.name.clone()),
            permissions: Set(token
                .permissions
                .iter()
                .map(|p| p.code())
                .collect::<Vec<_>>()
                .join(",")),
            prefix: Set(token.prefix.clone()),
            secret_hash: Set(token.secret_hash.clone()),
            created_by: Set(token.created_by.0),
            created_at: Set(token.created_at),
            expires_at: Set(token.expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        insert_audit(&txn, audit, Some(row.id)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(ApiTokenId(row.id))
    }

    async fn list_api_tokens(&self, org: OrgId, page: PageRequest) -> CoreResult<Page<ApiToken>> {
        use api_token::Column as C;
        let select = api_token::Entity::find()
            .filter(C::OrgId.eq(org.0))
            .order_by_desc(C::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        Ok(page_of(self.hydrate_tokens(rows).await?, total, page))
    }

    async fn get_api_token(&self, id: ApiTokenId) -> CoreResult<Option<ApiToken>> {
        let row = api_token::Entity::find_by_id(id.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(self.hydrate_tokens(row.into_iter().collect()).await?.pop())
    }

    async fn find_api_token_by_hash(&self, hash: &str) -> CoreResult<Option<ApiToken>> {
        let row = api_token::Entity::find()
            .filter(api_token::Column::SecretHash.eq(hash))
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        // A call needs no names: the maker's own are read with its principal.
        Ok(row.map(|m| token_of(m, String::new())))
    }

    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> CoreResult<bool> {
        use api_token::Column as C;
        let txn = self.write().await?;
        let done = api_token::Entity::update_many()
            .col_expr(C::RevokedAt, Expr::value(Some(at)))
            .filter(C::Id.eq(id.0))
            .filter(C::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if done.rows_affected == 0 {
            return Ok(false);
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn touch_api_token(&self, id: ApiTokenId, at: DateTime<Utc>) -> CoreResult<()> {
        use api_token::Column as C;
        api_token::Entity::update_many()
            .col_expr(C::LastUsedAt, Expr::value(Some(at)))
            .filter(C::Id.eq(id.0))
            .exec(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_api_call(&self, call: &ApiCall) -> CoreResult<()> {
        api_call::ActiveModel {
            id: NotSet,
            at: Set(call.at),
            token_id: Set(call.token_id.0),
            org_id: Set(call.org_id.0),
            method: Set(call.method.clone()),
            route: Set(call.route.clone()),
            path: Set(call.path.clone()),
            status: Set(i32::from(call.status)),
            ip: Set(call.ip.clone()),
        }
        .insert(self.write_conn())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn list_api_calls(
        &self,
        query: &ApiCallQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ApiCallRecord>> {
        use api_call::Column as C;
        let mut cond = Condition::all();
        if let Some(org) = query.org {
            cond = cond.add(C::OrgId.eq(org.0));
        }
        if let Some(token) = query.token {
            cond = cond.add(C::TokenId.eq(token.0));
        }
        if let Some(q) = &query.q {
            cond = cond.add(contains((api_call::Entity, C::Path), q));
        }
        match query.success {
            Some(true) => cond = cond.add(C::Status.lt(400)),
            Some(false) => cond = cond.add(C::Status.gte(400)),
            None => {}
        }
        if let Some(from) = query.from {
            cond = cond.add(C::At.gte(from));
        }
        if let Some(until) = query.until {
            cond = cond.add(C::At.lt(until));
        }
        let select = api_call::Entity::find().filter(cond).order_by_desc(C::Id);
        // A busy integration calls thousands of times a day: the count stops at the cap.
        let (rows, total, capped) = paginate_capped(&self.conn, select, page).await?;
        let orgs = self.org_map(rows.iter().map(|r| r.org_id)).await?;
        let mut token_ids: Vec<i64> = rows.iter().map(|r| r.token_id).collect();
        token_ids.sort_unstable();
        token_ids.dedup();
        let tokens: HashMap<i64, String> = api_token::Entity::find()
            .filter(api_token::Column::Id.is_in(token_ids))
            .all(&self.conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let items = rows
            .into_iter()
            .map(|r| ApiCallRecord {
                id: ApiCallId(r.id),
                at: r.at,
                token_id: ApiTokenId(r.token_id),
                token_name: tokens.get(&r.token_id).cloned().unwrap_or_default(),
                org_name: orgs.get(&r.org_id).map(|o| o.name.clone()),
                method: r.method,
                route: r.route,
                path: r.path,
                status: u16::try_from(r.status).unwrap_or(0),
                ip: r.ip,
            })
            .collect();
        Ok(capped_page_of(items, total, capped, page))
    }

    async fn prune_api_calls(&self, before: DateTime<Utc>) -> CoreResult<u64> {
        let done = api_call::Entity::delete_many()
            .filter(api_call::Column::At.lt(before))
            .exec(self.write_conn())
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected)
    }
}

fn token_of(m: api_token::Model, created_by_name: String) -> ApiToken {
    ApiToken {
        id: ApiTokenId(m.id),
        org_id: OrgId(m.org_id),
        name: m.name,
        // A code no longer in the catalogue grants nothing.
        permissions: m
            .permissions
            .split(',')
            .filter_map(Permission::from_code)
            .collect(),
        prefix: m.prefix,
        created_by: AccountId(m.created_by),
        created_by_name,
        created_at: m.created_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
        last_used_at: m.last_used_at,
    }
}

impl Db {
    async fn hydrate_tokens(&self, rows: Vec<api_token::Model>) -> CoreResult<Vec<ApiToken>> {
        let names = self
            .names(NameQuery {
                accounts: rows.iter().map(|r| r.created_by).collect(),
                ..NameQuery::default()
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let by = names.account(m.created_by).cloned().unwrap_or_default();
                token_of(m, by)
            })
            .collect())
    }
}
