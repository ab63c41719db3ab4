use async_trait::async_trait;

use super::{NewPolicy, Policy, PolicyQuery, PolicyTerms};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{OrgId, PolicyId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

#[async_trait]
pub trait PolicyStore: Send + Sync {
    async fn list_policies(
        &self,
        scope: &Scope,
        query: &PolicyQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Policy>>;
    async fn get_policy(&self, id: PolicyId) -> CoreResult<Option<Policy>>;
    async fn policy_no_taken(
        &self,
        insurer: OrgId,
        policy_no: &str,
        except: Option<PolicyId>,
    ) -> CoreResult<bool>;
    async fn create_policy(&self, policy: &NewPolicy, audit: &AuditEvent) -> CoreResult<PolicyId>;
    async fn update_policy(
        &self,
        id: PolicyId,
        enterprise: OrgId,
        region_code: &str,
        terms: &PolicyTerms,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
}
