use async_trait::async_trait;

use super::import::ImportedPolicy;
use super::{NewPolicy, Policy, PolicyQuery, PolicyTerms};
use crate::audit::AuditEvent;
use crate::enterprise::EnterpriseFields;
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
    /// Which of `policy_nos` the insurer has already registered.
    async fn taken_policy_nos(
        &self,
        insurer: OrgId,
        policy_nos: &[String],
    ) -> CoreResult<Vec<String>>;
    /// Creates the new enterprises, then the policies, in one transaction with one audit event;
    /// returns the number of policies created.
    async fn import_policies(
        &self,
        insurer: OrgId,
        new_enterprises: &[EnterpriseFields],
        policies: &[ImportedPolicy],
        audit: &AuditEvent,
    ) -> CoreResult<usize>;
}
