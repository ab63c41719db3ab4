//! Request context (session, CSRF, client address, request id) and the extractors handlers use.

pub mod context;
mod ctx;
pub(crate) mod form;
pub mod once;
pub mod origin;

pub use ctx::{Caller, Ctx};
pub use form::{FormData, NOT_UTF8, PageParams, QueryData};
