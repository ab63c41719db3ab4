//! 消息通知: what each party is told when something needs it. Immediate events (an order
//! designated, accepted or declined, a record objected to) are written by the core service in
//! the same transaction as the change; deadline reminders are planned here from what the store
//! reports and written by the daily 到期提醒 job, each at most once (a dedupe key per object,
//! deadline and recipient).
//!
//! A notification is addressed to an organization (and optionally one account). Its accounts
//! share the read state, like a team inbox: once a colleague opened it, it no longer counts as
//! unread for the others. Staff whose data scope is 仅本人负责 see only notifications about
//! orders they are assigned to (and those addressed to them by name).

mod model;
pub mod service;
mod store;

pub use model::*;
pub use store::NoticeStore;
