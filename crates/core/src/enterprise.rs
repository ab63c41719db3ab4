//! 投保企业: insured enterprises, one record per 统一社会信用代码 shared by every insurer.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::EnterpriseStore;
