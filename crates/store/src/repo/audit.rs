use anze_core::CoreResult;
use anze_core::audit::chain::{ChainHead, ChainRow, ChainVerification};
use anze_core::audit::{AuditRecord, AuditStore, LogQuery, LoginEvent, LoginRecord};
use anze_core::ids::{AuditEventId, LoginEventId};
use anze_core::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{contains, page_of, paginate};
use crate::entity::{audit_chain_head, audit_event, audit_verification, login_event};
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

    async fn audit_chain_head(&self) -> CoreResult<(ChainHead, Option<i64>)> {
        use audit_chain_head::Column as C;
        let stmt = Query::select()
            .columns([C::Seq, C::Hash])
            .expr_as(Expr::cust("(SELECT MAX(seq) FROM audit_events)"), "top")
            .from(audit_chain_head::Entity)
            .and_where(C::Id.eq(audit_chain_head::ROW))
            .take();
        let row = self
            .conn
            .query_one(&stmt)
            .await
            .map_err(db_err)?
            .ok_or_else(|| {
                anze_core::CoreError::Internal("the audit chain head is missing".into())
            })?;
        let head = ChainHead {
            seq: row.try_get("", "seq").map_err(db_err)?,
            hash: row.try_get("", "hash").map_err(db_err)?,
        };
        Ok((head, row.try_get("", "top").map_err(db_err)?))
    }

    async fn audit_chain_rows(
        &self,
        after: i64,
        upto: i64,
        limit: u64,
    ) -> CoreResult<Vec<ChainRow>> {
        use audit_event::Column as C;
        let rows = audit_event::Entity::find()
            .filter(C::Seq.gt(after))
            .filter(C::Seq.lte(upto))
            .order_by_asc(C::Seq)
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(ChainRow {
                    id: AuditEventId(r.id),
                    seq: r.seq?,
                    prev_hash: r.prev_hash.unwrap_or_default(),
                    hash: r.hash.unwrap_or_default(),
                    at: r.at,
                    org_id: r.org_id,
                    account_id: r.account_id,
                    actor_name: r.actor_name,
                    action: r.action,
                    object_kind: r.object_kind,
                    object_id: r.object_id,
                    object_label: r.object_label,
                    summary: r.summary,
                    ip: r.ip,
                })
            })
            .collect())
    }

    async fn first_unchained_audit(&self) -> CoreResult<Option<AuditEventId>> {
        use audit_event::Column as C;
        let id: Option<i64> = audit_event::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::Seq.is_null())
            .order_by_asc(C::Id)
            .into_tuple()
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(id.map(AuditEventId))
    }

    async fn record_chain_verification(&self, v: &ChainVerification) -> CoreResult<()> {
        audit_verification::ActiveModel {
            at: Set(v.at),
            ok: Set(v.ok),
            rows_checked: Set(i64::try_from(v.rows_checked).unwrap_or(i64::MAX)),
            head_seq: Set(v.head.seq),
            head_hash: Set(v.head.hash.clone()),
            problem: Set(v.problem.chars().take(500).collect()),
            ..Default::default()
        }
        .insert(&self.conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn last_chain_verification(
        &self,
        passed_only: bool,
    ) -> CoreResult<Option<ChainVerification>> {
        let mut select = audit_verification::Entity::find();
        if passed_only {
            select = select.filter(audit_verification::Column::Ok.eq(true));
        }
        let row = select
            .order_by_desc(audit_verification::Column::Id)
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| ChainVerification {
            at: r.at,
            ok: r.ok,
            rows_checked: u64::try_from(r.rows_checked).unwrap_or(0),
            head: ChainHead {
                seq: r.head_seq,
                hash: r.head_hash,
            },
            problem: r.problem,
        }))
    }
}
