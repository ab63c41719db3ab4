//! 服务订单: an insurer's designation of an agency to serve one policy (seed §4.1).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::OrderStore;
