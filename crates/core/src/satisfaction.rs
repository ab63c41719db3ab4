//! 回访与满意度 (AQ 9010): the insured enterprise rates the service it received, overall and
//! per delivered item, through its own account or by telephone to the insurer (电话回访), and
//! each agency gets a satisfaction score per period.
//!
//! A rating is a signature: once saved it is never edited. The enterprise rates an order once;
//! the insurer may call as often as it chooses, each call a rating of its own.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::SatisfactionStore;
