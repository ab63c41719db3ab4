//! 消息推送: an organization's optional outbound webhook. Every notification addressed to an
//! organization with an enabled webhook is also posted to its URL as JSON, signed with
//! HMAC-SHA256 over the body (`X-Anze-Signature: sha256=<hex>`), delivered by the job runner
//! with retries and back-off; each delivery is a run of `JobKind::WebhookDelivery`, which is
//! the delivery log.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::WebhookStore;
