//! HTML handlers, one file per aggregate.

pub mod accounts;
pub mod api_tokens;
pub mod attachments;
pub mod auth;
pub mod calendar;
pub mod checklists;
pub mod complaints;
pub mod dashboard;
pub mod documents;
pub mod enterprises;
pub mod exports;
pub mod hazards;
pub mod home;
pub mod integrity;
pub mod jobs;
pub mod logs;
pub mod notifications;
pub mod orders;
pub mod orgs;
pub mod policies;
pub mod policy_import;
pub mod records;
pub mod reports;
pub mod roles;
pub mod satisfaction;
pub mod webhooks;
