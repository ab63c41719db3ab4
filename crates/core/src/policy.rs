//! 保单: the 安责险 policies insurers register; each funds accident-prevention services.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::PolicyStore;
