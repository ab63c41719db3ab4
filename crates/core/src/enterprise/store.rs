use async_trait::async_trait;

use super::{Enterprise, EnterpriseFields, EnterpriseFilter};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::geo::GeoPoint;
use crate::ids::{AttachmentId, OrgId};
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait EnterpriseStore: Send + Sync {
    /// `regions = None`: every enterprise.
    async fn list_enterprises(
        &self,
        regions: Option<&[String]>,
        filter: &EnterpriseFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Enterprise>>;
    async fn get_enterprise(&self, id: OrgId) -> CoreResult<Option<Enterprise>>;
    async fn find_enterprise_by_credit_code(&self, code: &str) -> CoreResult<Option<Enterprise>>;
    /// `creator`: the organization registering it, recorded for `service::can_edit`.
    async fn create_enterprise(
        &self,
        fields: &EnterpriseFields,
        creator: OrgId,
        audit: &AuditEvent,
    ) -> CoreResult<OrgId>;
    async fn update_enterprise(
        &self,
        id: OrgId,
        fields: &EnterpriseFields,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    /// Sets the site of an enterprise that has none, from a photo; `false` (and no audit event)
    /// when it has one by now.
    async fn adopt_enterprise_site(
        &self,
        id: OrgId,
        site: GeoPoint,
        photo: AttachmentId,
        audit: &AuditEvent,
    ) -> CoreResult<bool>;
}
