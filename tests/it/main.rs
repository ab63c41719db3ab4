//! Integration tests through real HTTP against the spawned application, on every backend.

mod helpers;

mod accounts;
mod auth;
mod browser;
mod cli;
mod logs;
mod orgs;
mod permissions;
mod policy_import;
mod roles;
