use async_trait::async_trait;

use super::{NewOrder, OrderQuery, OrderState, ServiceOrder, Transition};
use crate::audit::{AuditEvent, AuditRecord};
use crate::error::CoreResult;
use crate::ids::{AccountId, OrderId, PolicyId};
use crate::notify::NewNotice;
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

#[async_trait]
pub trait OrderStore: Send + Sync {
    async fn list_orders(
        &self,
        scope: &Scope,
        query: &OrderQuery,
        page: PageRequest,
    ) -> CoreResult<Page<ServiceOrder>>;
    /// Orders in one state, counted up to `cap`.
    async fn count_orders(&self, scope: &Scope, state: OrderState, cap: u64) -> CoreResult<u64>;
    async fn get_order(&self, id: OrderId) -> CoreResult<Option<ServiceOrder>>;
    async fn orders_of_policy(&self, policy: PolicyId) -> CoreResult<Vec<ServiceOrder>>;
    /// Creates the order with its plan and number, and the notifications about it (their
    /// object id is the new order's). Fails with `Conflict` when the policy got a live order
    /// in the meantime (checked inside the transaction).
    async fn create_order(
        &self,
        order: &NewOrder,
        audit: &AuditEvent,
        notices: &[NewNotice],
    ) -> CoreResult<OrderId>;
    /// Applies the transition (and writes its notifications) only if the order is still in
    /// `from`; `false` when someone else moved it first.
    async fn transition_order(
        &self,
        id: OrderId,
        t: &Transition,
        audit: &AuditEvent,
        notices: &[NewNotice],
    ) -> CoreResult<bool>;
    async fn set_assignees(
        &self,
        id: OrderId,
        accounts: &[AccountId],
        audit: &AuditEvent,
    ) -> CoreResult<()>;
    /// The order's audit events, oldest first: its timeline.
    async fn order_timeline(&self, id: OrderId) -> CoreResult<Vec<AuditRecord>>;
}
