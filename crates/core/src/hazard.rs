//! 隐患: hazards found by an inspection, tracked until rectified, verified and closed (seed §4.3).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::HazardStore;
