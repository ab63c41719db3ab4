//! 工作日历: which days are working days in China — Monday to Friday, less the public holidays
//! (休), plus the weekend days worked in exchange (调休上班, 班) — as the State Council announces
//! them each year. Complaint deadlines are counted in these working days.
//!
//! The rules are pure functions over a [`Calendar`] (the entries of the years loaded); the
//! entries live in a table the platform admin maintains, seeded with the official 2026
//! arrangement ([`OFFICIAL_2026`]). A year without entries falls back to Monday–Friday, and the
//! pages that count in working days say so.

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::CalendarStore;
