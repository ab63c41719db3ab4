//! Domain of anze: organizations, accounts, roles and permissions, and the rules that govern them.
//!
//! Nothing here performs I/O. Persistence is reached only through the store traits each aggregate
//! declares (`*/store.rs`); the `anze-store` crate implements them. Every service operation starts
//! with a permission check, so HTML, API and CLI callers share one authorization policy.

pub mod account;
pub mod api_token;
pub mod attachment;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod checklist;
pub mod complaint;
pub mod dashboard;
pub mod emergency;
pub mod enterprise;
pub mod error;
pub mod field;
pub mod geo;
pub mod hazard;
pub mod ids;
pub mod industry;
pub mod inspection;
pub mod integrity;
pub mod job;
pub mod notify;
pub mod order;
pub mod org;
pub mod other_work;
pub mod page;
pub mod policy;
pub mod promotion;
pub mod record;
pub mod region;
pub mod report;
pub mod risk;
pub mod role;
pub mod satisfaction;
pub mod scope;
pub mod service_item;
pub mod sheet;
pub mod standardization;
pub mod store;
pub mod submission;
pub mod time;
pub mod training;
pub mod webhook;

pub use error::{CoreError, CoreResult, FieldErrors};
pub use store::Store;
