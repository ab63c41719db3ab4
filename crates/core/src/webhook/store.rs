use async_trait::async_trait;

use super::Webhook;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::OrgId;

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn get_webhook(&self, org: OrgId) -> CoreResult<Option<Webhook>>;
    /// Creates or replaces the organization's webhook.
    async fn save_webhook(&self, hook: &Webhook, audit: &AuditEvent) -> CoreResult<()>;
}
