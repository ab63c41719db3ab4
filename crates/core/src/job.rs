//! 定时任务: work that runs inside `anze serve` on a schedule (deadline reminders, later daily
//! aggregates) or on demand (webhook deliveries), recorded as runs in one table.
//!
//! A run is identified by `(kind, key)`: for scheduled work the key is the scheduled time, so
//! however many instances compute the same slot, one row exists and one instance claims it.
//! Failed runs come back after a back-off until their kind's attempts are spent. Which code a
//! kind runs lives with the binary (`anze::jobs::perform`), because some of it does I/O.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::JobStore;
