//! 检查表: the checklists an inspection (隐患排查 record) is marked against. A checklist has items
//! grouped by section, each with 检查内容, 检查依据 (the clause it rests on) and the level and
//! category of the hazard a failed item becomes. The platform keeps the shared library (the
//! starter checklists for the mandatory sectors ship with the schema); each agency keeps its own
//! beside it, loaded and edited as Excel.
//!
//! An inspection copies the items of the checklists it uses into its own checks (`Check`), so
//! editing or re-importing a checklist never changes what an inspector marked; each 不符合 check
//! becomes a hazard through the ordinary 新增隐患 form, pre-filled from the item.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::{ChecklistStore, NewChecks};
