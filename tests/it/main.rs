//! Integration tests through real HTTP against the spawned application, on every backend.

mod helpers;

mod accounts;
mod attachments;
mod auth;
mod bench;
mod browser;
mod browser_orders;
mod browser_records;
mod cli;
mod hazards;
mod ledgers;
mod login_security;
mod logs;
mod orders;
mod orgs;
mod permissions;
mod policies;
mod policy_import;
mod records;
mod roles;
