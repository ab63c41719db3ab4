//! 操作日志 and 登录日志: append-only records of who did what, kept for years.

pub mod chain;
mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::AuditStore;
