//! 角色: named sets of permissions with a data scope (seed §3.2).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::RoleStore;
