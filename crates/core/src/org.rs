//! 机构: the organizations that use the system, one per legal entity.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::OrgStore;
