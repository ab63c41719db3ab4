//! 服务记录: what an agency did on site for an order, with its evidence (seed §4.1.2–§4.1.8).
//!
//! The seven record types (安全培训, 风险识别, 事故排查, 标准化建设, 应急预案编制和演练,
//! 安全生产科技推广应用, 其他有关事故预防工作) share one mechanism: the common fields, scoping, permissions and storage
//! live here; each type's own module (`training`, `risk`, …) declares its fields, their rules and
//! the evidence it requires. A new type is one new module, not a copy of this one.

mod confirmation;
mod model;
pub mod service;
mod spec;
mod store;

pub use confirmation::*;
pub use model::*;
pub use spec::*;
pub use store::RecordStore;
