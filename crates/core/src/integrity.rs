//! 可信证据: flags raised on photos that may not evidence what their record claims — the same
//! picture reused for another enterprise or another visit, a capture time far from the service
//! date, an after-photo identical to its hazard's before-photo.
//!
//! A flag is a question, not a verdict: the agency may answer it, an insurer or regulator marks
//! it 已核实 or 已排除. The rules deciding when a flag is raised and who sees what of the other
//! side live in [`model`]; the store raises flags in the transaction that saves the photos.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::IntegrityStore;
