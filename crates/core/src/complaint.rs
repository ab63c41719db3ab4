//! 投诉: an enterprise (or its insurer on its behalf) complains about the service of an order or
//! one of its records; the insurer of the policy handles it (受理 → 处理中 → 已办结), the agency
//! answers, regulators read. Two clocks run from the filing, in working days of the
//! [`crate::calendar`]: 受理 within 10, 办结 within 30.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::{ComplaintStore, NewStep};
