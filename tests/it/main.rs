//! Integration tests through real HTTP against the spawned application, on every backend.
//!
//! This binary has its own harness (`harness.rs`): tests are not `#[test]` functions but are
//! registered by `crate::backend_tests!`, `storage_tests!`, `browser_tests!`, `tests!` or
//! `async_tests!` in the file that defines them. A new file needs only its `mod` line below.

mod harness;
mod helpers;

mod accounts;
mod api;
mod archive;
mod attachments;
mod audit_chain;
mod auth;
mod backup;
mod bench;
mod browser;
mod browser_checklists;
mod browser_confirmations;
mod browser_dashboard;
mod browser_orders;
mod browser_phone;
mod browser_records;
mod browser_uploads;
mod checklists;
mod cli;
mod cluster;
mod complaints;
mod confirmations;
mod crash;
mod dashboard;
mod delegation;
mod documents;
mod enterprise_accounts;
mod hazards;
mod integrity;
mod integrity_backfill;
mod jobs_cluster;
mod ledgers;
mod load;
mod login_security;
mod logs;
mod metrics;
mod notifications;
mod orders;
mod orgs;
mod pending_uploads;
mod permissions;
mod policies;
mod policy_import;
mod process;
mod records;
mod roles;
mod satisfaction;
mod shutdown;
mod submissions;

fn main() -> std::process::ExitCode {
    harness::main()
}
