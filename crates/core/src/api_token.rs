//! API 令牌: how an insurer's or regulator's own system calls `/api/v1`. An organization's
//! admin makes a token with a name, the permissions it may use (chosen from what the admin
//! holds) and an expiry; the secret is shown once and only its SHA-256 is kept. A call acts as
//! the admin who made the token, narrowed to the token's permissions, so a token never does
//! more than its maker can do now (a maker who loses a role takes the token's use of it along).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::ApiTokenStore;
