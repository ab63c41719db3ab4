//! HTML handlers, one file per aggregate.

pub mod accounts;
pub mod auth;
pub mod exports;
pub mod home;
pub mod logs;
pub mod orgs;
pub mod policy_import;
pub mod roles;
