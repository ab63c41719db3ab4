//! Integration tests through real HTTP against the spawned application, on every backend.

mod helpers;

mod accounts;
mod auth;
mod bench;
mod browser;
mod cli;
mod logs;
mod orders;
mod orgs;
mod permissions;
mod policies;
mod policy_import;
mod records;
mod roles;
