//! The persistence boundary: everything the domain needs from storage, as one object-safe trait.

use async_trait::async_trait;

use crate::account::AccountStore;
use crate::api_token::ApiTokenStore;
use crate::attachment::AttachmentStore;
use crate::audit::AuditStore;
use crate::auth::login::LoginStore;
use crate::auth::session::SessionStore;
use crate::calendar::CalendarStore;
use crate::checklist::ChecklistStore;
use crate::complaint::ComplaintStore;
use crate::dashboard::DashboardStore;
use crate::enterprise::EnterpriseStore;
use crate::error::CoreResult;
use crate::hazard::HazardStore;
use crate::industry::IndustryStore;
use crate::integrity::IntegrityStore;
use crate::job::JobStore;
use crate::notify::NoticeStore;
use crate::order::OrderStore;
use crate::org::OrgStore;
use crate::policy::PolicyStore;
use crate::record::RecordStore;
use crate::region::RegionStore;
use crate::role::RoleStore;
use crate::satisfaction::SatisfactionStore;
use crate::submission::SubmissionStore;
use crate::webhook::WebhookStore;

#[async_trait]
pub trait Store:
    OrgStore
    + AccountStore
    + LoginStore
    + RoleStore
    + AuditStore
    + SessionStore
    + RegionStore
    + IndustryStore
    + EnterpriseStore
    + PolicyStore
    + OrderStore
    + RecordStore
    + HazardStore
    + ChecklistStore
    + AttachmentStore
    + IntegrityStore
    + SatisfactionStore
    + ComplaintStore
    + CalendarStore
    + JobStore
    + NoticeStore
    + WebhookStore
    + DashboardStore
    + SubmissionStore
    + ApiTokenStore
    + Send
    + Sync
{
    /// Succeeds when the database answers.
    async fn ping(&self) -> CoreResult<()>;
}

/// The health check: the database answers.
pub async fn check_health(store: &dyn Store) -> CoreResult<()> {
    store.ping().await
}
