use anze_core::CoreResult;
use anze_core::audit::AuditEvent;
use anze_core::ids::{AccountId, OrgId};
use anze_core::webhook::{Webhook, WebhookStore};
use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::insert_audit;
use crate::entity::webhook;
use crate::{Db, db_err};

#[async_trait]
impl WebhookStore for Db {
    async fn get_webhook(&self, org: OrgId) -> CoreResult<Option<Webhook>> {
        Ok(webhook::Entity::find_by_id(org.0)
            .one(&self.conn)
            .await
            .map_err(db_err)?
            .map(|m| Webhook {
                org_id: OrgId(m.org_id),
                url: m.url,
                secret: m.secret,
                enabled: m.enabled,
                updated_at: m.updated_at,
                updated_by: AccountId(m.updated_by),
            }))
    }

    async fn save_webhook(&self, hook: &Webhook, audit: &AuditEvent) -> CoreResult<()> {
        let txn = self.write().await?;
        let exists = webhook::Entity::find_by_id(hook.org_id.0)
            .one(&txn)
            .await
            .map_err(db_err)?
            .is_some();
        let row = webhook::ActiveModel {
            org_id: Set(hook.org_id.0),
            url: Set(hook.url.clone()),
            secret: Set(hook.secret.clone()),
            enabled: Set(hook.enabled),
            updated_at: Set(hook.updated_at),
            updated_by: Set(hook.updated_by.0),
        };
        if exists {
            row.update(&txn).await.map_err(db_err)?;
        } else {
            row.insert(&txn).await.map_err(db_err)?;
        }
        insert_audit(&txn, audit, None).await?;
        txn.commit().await.map_err(db_err)
    }
}
