use chrono::Duration;

use super::{AuditAction, AuditRecord, LogFilter, LogQuery, LoginRecord, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::error::{CoreResult, FieldErrors};
use crate::ids::OrgId;
use crate::page::{Page, PageRequest};
use crate::store::Store;
use crate::time::{parse_date, start_of_day};

/// Turns the filter form into a query scoped to what the actor may see.
pub fn query(actor: &Actor, filter: &LogFilter) -> CoreResult<LogQuery> {
    let mut errors = FieldErrors::new();
    let date = |errors: &mut FieldErrors, field: &'static str, raw: &str| {
        if raw.trim().is_empty() {
            None
        } else {
            errors.take(field, parse_date(raw))
        }
    };
    let from = date(&mut errors, "from", &filter.from);
    let to = date(&mut errors, "to", &filter.to);
    let org = match actor.org_filter() {
        Some(own) => Some(own),
        None => filter.org.trim().parse::<i64>().ok().map(OrgId),
    };
    let q = filter.q.trim();
    errors.into_result(LogQuery {
        org,
        q: (!q.is_empty()).then(|| q.chars().take(50).collect()),
        action: AuditAction::from_code(filter.action.trim()),
        object: ObjectKind::from_code(filter.object.trim()),
        success: match filter.result.trim() {
            "success" => Some(true),
            "failure" => Some(false),
            _ => None,
        },
        from: from.map(start_of_day),
        until: to.map(|d| start_of_day(d) + Duration::days(1)),
    })
}

pub async fn list_audit(
    store: &dyn Store,
    actor: &Actor,
    filter: &LogFilter,
    page: PageRequest,
) -> CoreResult<Page<AuditRecord>> {
    require(actor, Permission::AuditView)?;
    store.list_audit(&query(actor, filter)?, page).await
}

pub async fn list_logins(
    store: &dyn Store,
    actor: &Actor,
    filter: &LogFilter,
    page: PageRequest,
) -> CoreResult<Page<LoginRecord>> {
    require(actor, Permission::LoginLogView)?;
    store.list_logins(&query(actor, filter)?, page).await
}
