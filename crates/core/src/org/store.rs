use async_trait::async_trait;

use super::{NewOrg, OrgFields, OrgFilter, Organization};
use crate::account::NewAccount;
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::OrgId;
use crate::page::{Page, PageRequest};
use crate::role::NewRole;

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn list_orgs(
        &self,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Organization>>;
    /// All enabled organizations of the kinds given, for pickers; `None` = every kind.
    async fn org_options(&self, kinds: Option<&[super::OrgKind]>) -> CoreResult<Vec<Organization>>;
    async fn get_org(&self, id: OrgId) -> CoreResult<Option<Organization>>;
    async fn credit_code_taken(&self, code: &str, except: Option<OrgId>) -> CoreResult<bool>;
    /// The organizations, of any kind, holding these credit codes.
    async fn orgs_by_credit_codes(&self, codes: &[String]) -> CoreResult<Vec<Organization>>;
    async fn platform_org(&self) -> CoreResult<Option<Organization>>;
    /// Creates the organization with its built-in roles and first admin account, in one
    /// transaction. The admin receives the first role in `roles`.
    async fn create_org(
        &self,
        org: &NewOrg,
        roles: &[NewRole],
        admin: &NewAccount,
        audit: &AuditEvent,
    ) -> CoreResult<OrgId>;
    async fn update_org(&self, id: OrgId, fields: &OrgFields, audit: &AuditEvent)
    -> CoreResult<()>;
    async fn set_org_enabled(&self, id: OrgId, enabled: bool, audit: &AuditEvent)
    -> CoreResult<()>;
}
