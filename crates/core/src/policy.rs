//! 保单: the 安责险 policies insurers register; each funds accident-prevention services.

pub mod archive;
pub mod import;
mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::PolicyStore;
