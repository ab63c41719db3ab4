//! 账号: the people who log in (seed §3.1).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::AccountStore;
