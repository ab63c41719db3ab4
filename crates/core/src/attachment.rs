//! 附件: files that evidence a service record or a hazard (photos, sign-in sheets, reports).
//!
//! The bytes live in a blob store (local directory or S3 bucket) under random keys; a row per file
//! says which record owns it, what it is and who uploaded it. Files are never served by their
//! storage key: the web layer loads the row through [`service::download`], which applies the
//! owning order's scope.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::{AttachmentStore, BlobReader, BlobStore, BlobWriter};
