use async_trait::async_trait;

use super::{Account, AccountChanges, AccountFilter, AccountRef, NewAccount};
use crate::audit::AuditEvent;
use crate::auth::password::PasswordHashString;
use crate::error::CoreResult;
use crate::ids::{AccountId, OrgId};
use crate::page::{Page, PageRequest};

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// `org = None` lists every organization's accounts. Deleted accounts are never listed.
    async fn list_accounts(
        &self,
        org: Option<OrgId>,
        filter: &AccountFilter,
        page: PageRequest,
    ) -> CoreResult<Page<Account>>;
    /// The live accounts of an organization as pickers and filters list them (newest first,
    /// at most `limit`): one statement, without the roles `list_accounts` brings.
    async fn account_options(
        &self,
        org: OrgId,
        enabled_only: bool,
        limit: u64,
    ) -> CoreResult<Vec<AccountRef>>;
    /// A live (not deleted) account.
    async fn get_account(&self, id: AccountId) -> CoreResult<Option<Account>>;
    /// Deleted accounts keep their username, so it stays taken.
    async fn username_taken(&self, username: &str) -> CoreResult<bool>;
    async fn create_account(
        &self,
        account: &NewAccount,
        audit: &AuditEvent,
    ) -> CoreResult<AccountId>;
    /// Applies the changes; a new password also ends every session of the account.
    async fn update_account(
        &self,
        id: AccountId,
        changes: &AccountChanges,
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    /// Sets a new password and ends every session of the account.
    async fn set_password(
        &self,
        id: AccountId,
        hash: &PasswordHashString,
        audit: Option<&AuditEvent>,
    ) -> CoreResult<()>;
    /// Soft delete: the row stays for history, login is no longer possible, sessions end.
    async fn delete_account(&self, id: AccountId, audit: &AuditEvent) -> CoreResult<()>;
    async fn find_account_by_username(&self, username: &str) -> CoreResult<Option<Account>>;
    async fn password_hash(&self, id: AccountId) -> CoreResult<Option<PasswordHashString>>;
}
