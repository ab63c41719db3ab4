use chrono::{DateTime, Utc};

use super::{Webhook, WebhookForm, parse_webhook};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::CoreResult;
use crate::job::{JobKind, JobQuery, JobRun};
use crate::page::{Page, PageRequest};
use crate::store::Store;

/// The actor's organization's webhook, if configured.
pub async fn get(store: &dyn Store, actor: &Actor) -> CoreResult<Option<Webhook>> {
    require(actor, Permission::WebhookManage)?;
    store.get_webhook(actor.org_id).await
}

/// 保存: the organization's admin (or whoever holds 消息推送) sets URL, secret and switch.
pub async fn save(
    store: &dyn Store,
    actor: &Actor,
    form: &WebhookForm,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require(actor, Permission::WebhookManage)?;
    let existing = store.get_webhook(actor.org_id).await?;
    let (url, secret, enabled) = parse_webhook(form, existing.as_ref())?;
    let audit = AuditEvent::new(
        actor,
        now,
        if existing.is_some() {
            AuditAction::Update
        } else {
            AuditAction::Create
        },
        ObjectKind::Organization,
        Some(actor.org_id.0),
        &actor.org_name,
        format!(
            "消息推送: {url}({}){}",
            if enabled { "启用" } else { "停用" },
            if form.secret.trim().is_empty() {
                ""
            } else {
                ",签名密钥已更新"
            }
        ),
    );
    let hook = Webhook {
        org_id: actor.org_id,
        url,
        secret,
        enabled,
        updated_at: now,
        updated_by: actor.account_id,
    };
    store.save_webhook(&hook, &audit).await
}

/// 推送记录: the organization's deliveries, newest first.
pub async fn deliveries(
    store: &dyn Store,
    actor: &Actor,
    page: PageRequest,
) -> CoreResult<Page<JobRun>> {
    require(actor, Permission::WebhookManage)?;
    let query = JobQuery {
        kind: Some(JobKind::WebhookDelivery),
        org: Some(actor.org_id),
        ..JobQuery::default()
    };
    store.list_job_runs(&query, page).await
}
