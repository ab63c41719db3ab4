use anze_core::CoreResult;
use anze_core::audit::{AuditRecord, AuditStore, LogQuery, LoginEvent, LoginRecord};
use anze_core::ids::{AuditEventId, LoginEventId};
use anze_core::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{contains, page_of, paginate};
use crate::entity::{audit_event, login_event};
use crate::{Db, db_err};

pub(crate) async fn insert_login_event(
    txn: &DatabaseTransaction,
    e: &LoginEvent,
) -> CoreResult<()> {
    login_event_model(e).insert(txn).await.map_err(db_err)?;
    Ok(())
}

fn login_event_model(e: &LoginEvent) -> login_event::ActiveModel {
    login_event::ActiveModel {
        at: Set(e.at),
        username: Set(e.username.chars().take(64).collect()),
        account_id: Set(e.account_id.map(|a| a.0)),
        org_id: Set(e.org_id.map(|o| o.0)),
        success: Set(e.success),
        reason: Set(e.reason.chars().take(50).collect()),
        ip: Set(e.ip.chars().take(64).collect()),
        user_agent: Set(e.user_agent.chars().take(255).collect()),
        ..Default::default()
    }
}

#[async_trait]
impl AuditStore for Db {
    async fn list_audit(
        &self,
        query: &LogQuery,
        page: PageRequest,
    ) -> CoreResult<Page<AuditRecord>> {
        use audit_event::Column as C;
        let mut cond = Condition::all();
        if let Some(org) = query.org {
            cond = cond.add(C::OrgId.eq(org.0));
        }
        if let Some(q) = &query.q {
            cond = cond.add(
                Condition::any()
                    .add(contains((audit_event::Entity, C::ActorName), q))
                    .add(contains((audit_event::Entity, C::ObjectLabel), q)),
            );
        }
        if let Some(a) = query.action {
            cond = cond.add(C::Action.eq(a.code()));
        }
        if let Some(o) = query.object {
            cond = cond.add(C::ObjectKind.eq(o.code()));
        }
        if let Some(from) = query.from {
            cond = cond.add(C::At.gte(from));
        }
        if let Some(until) = query.until {
            cond = cond.add(C::At.lt(until));
        }
        let select = audit_event::Entity::find()
            .filter(cond)
            .order_by_desc(C::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        let orgs = self.org_map(rows.iter().filter_map(|r| r.org_id)).await?;
        let items = rows
            .into_iter()
            .map(|r| AuditRecord {
                id: AuditEventId(r.id),
                at: r.at,
                org_name: r.org_id.and_then(|o| orgs.get(&o)).map(|o| o.name.clone()),
                actor_name: r.actor_name,
                action: r.action,
                object_kind: r.object_kind,
                object_id: r.object_id,
                object_label: r.object_label,
                summary: r.summary,
                ip: r.ip,
            })
            .collect();
        Ok(page_of(items, total, page))
    }

    async fn list_logins(
        &self,
        query: &LogQuery,
        page: PageRequest,
    ) -> CoreResult<Page<LoginRecord>> {
        use login_event::Column as C;
        let mut cond = Condition::all();
        if let Some(org) = query.org {
            cond = cond.add(C::OrgId.eq(org.0));
        }
        if let Some(q) = &query.q {
            cond = cond.add(
                Condition::any()
                    .add(contains((login_event::Entity, C::Username), q))
                    .add(contains((login_event::Entity, C::Ip), q)),
            );
        }
        if let Some(success) = query.success {
            cond = cond.add(C::Success.eq(success));
        }
        if let Some(from) = query.from {
            cond = cond.add(C::At.gte(from));
        }
        if let Some(until) = query.until {
            cond = cond.add(C::At.lt(until));
        }
        let select = login_event::Entity::find()
            .filter(cond)
            .order_by_desc(C::Id);
        let (rows, total) = paginate(&self.conn, select, page).await?;
        let orgs = self.org_map(rows.iter().filter_map(|r| r.org_id)).await?;
        let items = rows
            .into_iter()
            .map(|r| LoginRecord {
                id: LoginEventId(r.id),
                at: r.at,
                org_name: r.org_id.and_then(|o| orgs.get(&o)).map(|o| o.name.clone()),
                username: r.username,
                success: r.success,
                reason: r.reason,
                ip: r.ip,
                user_agent: r.user_agent,
            })
            .collect();
        Ok(page_of(items, total, page))
    }

    async fn record_login_event(&self, event: &LoginEvent) -> CoreResult<()> {
        login_event_model(event)
            .insert(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn count_login_failures_from(&self, ip: &str, since: DateTime<Utc>) -> CoreResult<u64> {
        login_event::Entity::find()
            .filter(login_event::Column::Ip.eq(ip))
            .filter(login_event::Column::At.gte(since))
            .filter(login_event::Column::Success.eq(false))
            .count(&self.conn)
            .await
            .map_err(db_err)
    }
}
