//! 服务报告: what one order delivered, gathered for whoever may see the order — the policy, the
//! plan against what was done per item, every record with its confirmation and photos, and the
//! hazards found with where each stands. Archived with the policy (AQ 9010 keeps five years).

mod model;
pub mod service;

pub use model::*;
