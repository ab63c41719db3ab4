//! Who is calling and what they may do.

mod actor;
pub mod login;
pub mod password;
mod permission;
pub mod session;

pub use actor::{Actor, DataScope};
pub use permission::{MENU_GROUPS, Menu, MenuGroup, Permission};

use crate::error::{CoreError, CoreResult};

/// The first line of every service operation.
pub fn require(actor: &Actor, permission: Permission) -> CoreResult<()> {
    if actor.has(permission) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}
