//! 防重复提交: every create form carries a one-time key, and a second submit with the same key
//! answers with the first one's result instead of creating again — the double click, the
//! browser's "resend" after a dropped connection, a client's retry after a timeout.
//!
//! The key is claimed in the database before the work starts (a unique row per account, path
//! and key), so two instances behind a load balancer cannot both run it; the claim records
//! where the first submit led once it succeeded. A claim whose submit died half-way (the
//! instance was killed) stays pending: a retry is told the outcome is unknown and to check
//! the list, never run a second time.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::SubmissionStore;
