use async_trait::async_trait;

use super::{NewRole, Role, RoleFilter};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{OrgId, RoleId};
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait RoleStore: Send + Sync {
    async fn list_roles(
        &self,
        org: Option<OrgId>,
        filter: &RoleFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Role>>;
    async fn roles_of_org(&self, org: OrgId) -> CoreResult<Vec<Role>>;
    async fn get_role(&self, id: RoleId) -> CoreResult<Option<Role>>;
    /// Only the roles that exist; callers compare lengths to detect foreign or unknown ids.
    async fn roles_by_ids(&self, ids: &[RoleId]) -> CoreResult<Vec<Role>>;
    async fn create_role(
        &self,
        org: OrgId,
        role: &NewRole,
        audit: &AuditEvent,
    ) -> CoreResult<RoleId>;
    async fn update_role(&self, id: RoleId, role: &NewRole, audit: &AuditEvent) -> CoreResult<()>;
    /// Creates `roles` for an organization that has none yet (enterprises registered before they
    /// had accounts); does nothing when it has roles.
    async fn ensure_roles(&self, org: OrgId, roles: &[NewRole]) -> CoreResult<()>;
    /// Refuses with `Conflict` when a live account holds the role, checked inside the transaction.
    async fn delete_role(&self, id: RoleId, audit: &AuditEvent) -> CoreResult<()>;
}
