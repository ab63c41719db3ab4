//! The authorization matrix: every route of the router's own table × every kind of caller × an
//! object of the caller's own side and one of another organization, with the exact status each
//! cell must answer. A route added to the router without a row here fails the test, which then
//! prints the statuses it saw for the missing rows, to be checked by hand before they are copied.
//!
//! Requests change nothing: posts carry forms that fail validation, ask for a confirmation, or
//! target an object whose state refuses the action. The last cell of each caller is 退出.

use anze_core::account::AccountStore;
use anze_core::ids::{AccountId, OrderId, OrgId, RoleId};
use anze_core::role::{RoleKind, RoleStore};
use axum::http::Method;
use reqwest::{Client, StatusCode};
use std::collections::BTreeMap;

use crate::hazards::{accept_and_assign, day, hazard_form, inspect, new_hazard};
use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, csrf_token, location, png};

crate::backend_tests!(
    every_route_answers_every_caller_as_the_matrix_says,
    uploads_are_refused_before_their_body_is_read,
);

/// The callers of the matrix, in the order of a row's cells.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    /// 平台管理员
    Platform,
    /// 保险机构 管理员
    InsurerAdmin,
    /// 保险机构 业务人员
    InsurerStaff,
    /// 技术服务机构 管理员
    AgencyAdmin,
    /// 技术服务机构 服务人员 (仅本人负责, assigned to the own order)
    AgencyStaff,
    /// 监管部门 业务人员 (丰泽区, where the own enterprise is)
    Regulator,
    /// 投保企业 安全管理人员 (the enterprise of the own order)
    Enterprise,
    /// 未登录
    LoggedOut,
}

const CALLERS: [Who; 8] = [
    Who::Platform,
    Who::InsurerAdmin,
    Who::InsurerStaff,
    Who::AgencyAdmin,
    Who::AgencyStaff,
    Who::Regulator,
    Who::Enterprise,
    Who::LoggedOut,
];

/// One side of the data: an insurer, its enterprise and policy, an agency serving it with an
/// accepted order (a training record with a photo, an inspection with a hazard) and a pending one.
struct Side {
    org_insurer: OrgId,
    org_agency: OrgId,
    enterprise: i64,
    policy: i64,
    order: OrderId,
    pending_order: OrderId,
    record: i64,
    inspection: i64,
    hazard: i64,
    attachment: i64,
    /// The 拍摄时间异常 flag on the training's photo (a PNG has no capture time).
    flag: i64,
    /// A complaint about the accepted order, already settled, so the matrix's steps meet a
    /// refusal instead of moving it.
    complaint: i64,
    /// An entry of the (shared) 2026 calendar: each side names a different one.
    calendar_day: i64,
    /// The agency's 新订单待受理 notification about the accepted order.
    notice: i64,
    /// An API token of the insurer, already revoked, so revoking it again is refused.
    api_token: i64,
    /// The agency's own checklist (检查表), used by no inspection.
    checklist: i64,
    /// Staff accounts and preset roles, by organization.
    agency_staff: AccountId,
    agency_role: RoleId,
    insurer_staff: AccountId,
    insurer_role: RoleId,
    regulator_staff: AccountId,
    regulator_role: RoleId,
    enterprise_staff: AccountId,
    enterprise_role: RoleId,
}

/// What a caller's path ids are: its own side's objects, or the other side's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Own,
    Foreign,
}

/// The request body a route takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Form(&'static [(&'static str, &'static str)]),
    Multipart,
    /// A wrong password for a username of the caller's own, so the callers' failures do not
    /// add up to a lock of one (username, address) pair.
    WrongLogin,
}

/// A row: method, path, body, and per caller (in `CALLERS` order) the own and foreign status;
/// routes without an id have one status per caller.
struct Row {
    method: Method,
    path: &'static str,
    body: Body,
    cells: &'static str,
}

const fn get(path: &'static str, cells: &'static str) -> Row {
    Row {
        method: Method::GET,
        path,
        body: Body::None,
        cells,
    }
}

const fn post(path: &'static str, body: Body, cells: &'static str) -> Row {
    Row {
        method: Method::POST,
        path,
        body,
        cells,
    }
}

const NO_FIELDS: Body = Body::Form(&[]);

/// Cells: `P IA IS AA AS R E X` (see `Who`), each `own/foreign` or, without an id, one status.
fn matrix() -> Vec<Row> {
    use Body::*;
    vec![
        get("/", "200 200 200 200 200 200 200 303"),
        get("/accounts", "200 200 200 200 200 200 200 303"),
        get("/accounts/new", "200 200 403 200 403 403 403 303"),
        get(
            "/accounts/{id}",
            "200/200 200/404 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        get(
            "/attachments/{id}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/attachments/{id}/thumb",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get("/audit", "200 200 403 200 403 403 403 303"),
        // The chain spans every organization: the platform admin's alone.
        post(
            "/audit/verify",
            NO_FIELDS,
            "303 403 403 403 403 403 403 303",
        ),
        get("/enterprises", "200 200 200 403 403 200 403 303"),
        get(
            "/enterprises/{id}/account",
            "200/200 200/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        get("/register", "303 303 303 303 303 303 303 200"),
        post(
            "/enterprises/{id}/account",
            NO_FIELDS,
            "409/409 409/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post("/register", NO_FIELDS, "422 422 422 422 422 422 422 422"),
        get("/enterprises/new", "200 200 403 403 403 403 403 303"),
        get(
            "/enterprises/{id}",
            "200/200 200/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        get("/hazards", "200 200 200 200 200 200 200 303"),
        get("/complaints", "200 200 200 200 200 200 200 303"),
        // 检查表: the platform keeps the shared library and reads every agency's; an agency
        // its own (its staff read them); insurers, regulators and enterprises have none.
        get("/checklists", "200 403 403 200 200 403 403 303"),
        get("/checklists/new", "200 403 403 200 403 403 403 303"),
        post("/checklists", NO_FIELDS, "422 403 403 422 403 403 403 303"),
        get(
            "/checklists/template.xlsx",
            "200 403 403 200 403 403 403 303",
        ),
        get("/checklists/stats", "200 403 403 200 200 403 403 303"),
        get(
            "/checklists/stats/export.xlsx",
            "200 403 403 200 200 403 403 303",
        ),
        get(
            "/checklists/{id}",
            "200/200 403/403 403/403 200/404 200/404 403/403 403/403 303/303",
        ),
        get(
            "/checklists/{id}/export.xlsx",
            "200/200 403/403 403/403 200/404 200/404 403/403 403/403 303/303",
        ),
        // Only its owner changes a checklist, not even the platform.
        get(
            "/checklists/{id}/edit",
            "403/403 403/403 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/checklists/{id}",
            NO_FIELDS,
            "403/403 403/403 403/403 422/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/checklists/{id}/items",
            Multipart,
            "403/403 403/403 403/403 400/404 403/403 403/403 403/403 303/303",
        ),
        // Switching on a checklist that is on changes nothing.
        post(
            "/checklists/{id}/toggle",
            Form(&[("active", "1")]),
            "403/403 403/403 403/403 303/404 403/403 403/403 403/403 303/303",
        ),
        // Without `confirmed` a deletion asks first (200).
        post(
            "/checklists/{id}/delete",
            NO_FIELDS,
            "403/403 403/403 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        // An inspection's checks: whoever reads the record reads them; its agency marks them.
        get(
            "/records/{id}/checks",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        // No marks submitted: nothing to save (303).
        post(
            "/records/{id}/checks",
            NO_FIELDS,
            "403/403 403/403 403/403 303/404 303/404 403/403 403/403 303/303",
        ),
        post(
            "/records/{id}/checklists",
            NO_FIELDS,
            "403/403 403/403 403/403 422/404 422/404 403/403 403/403 303/303",
        ),
        // The side's checklist is not one the inspection uses (404 to those who may mark).
        post(
            "/records/{id}/checklists/{checklist}/remove",
            NO_FIELDS,
            "403/403 403/404 403/404 404/404 404/404 403/404 403/404 303/303",
        ),
        get("/complaints/export.xlsx", "200 200 200 200 200 200 200 303"),
        get(
            "/complaints/{id}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/orders/{id}/complaints/new",
            "403/403 200/404 403/403 403/403 403/403 403/403 200/404 303/303",
        ),
        // The calendar is the platform's: it counts everyone's deadlines.
        get("/calendar", "200 403 403 403 403 403 403 303"),
        post("/calendar", NO_FIELDS, "422 403 403 403 403 403 403 303"),
        // Without `confirmed` a deletion asks first (200).
        post(
            "/calendar/{id}/delete",
            NO_FIELDS,
            "200/200 403/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        // The settled complaint refuses every step (409) to those who may take one.
        post(
            "/complaints/{id}/accept",
            NO_FIELDS,
            "403/403 409/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/complaints/{id}/process",
            NO_FIELDS,
            "403/403 409/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/complaints/{id}/settle",
            NO_FIELDS,
            "403/403 409/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/complaints/{id}/reply",
            NO_FIELDS,
            "403/403 403/403 403/403 409/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/complaints",
            Multipart,
            "403/403 422/404 403/403 403/403 403/403 403/403 422/404 303/303",
        ),
        get("/hazards/export.xlsx", "200 200 200 200 200 200 200 303"),
        get("/integrity", "200 200 200 403 403 200 403 303"),
        get("/integrity/export.xlsx", "200 200 200 403 403 200 403 303"),
        get("/integrity/rates.xlsx", "200 200 200 403 403 200 403 303"),
        get("/dashboard", "200 200 200 200 200 200 403 303"),
        get("/dashboard/export.xlsx", "200 200 200 200 200 200 403 303"),
        post(
            "/dashboard/refresh",
            NO_FIELDS,
            "303 403 403 403 403 403 403 303",
        ),
        get("/satisfaction", "200 200 200 403 403 200 403 303"),
        get(
            "/satisfaction/export.xlsx",
            "200 200 200 403 403 200 403 303",
        ),
        // The fixture's order is in service: the enterprise rates only a completed one.
        get(
            "/orders/{id}/rating",
            "403/403 403/404 403/404 403/404 403/404 403/404 403/404 303/303",
        ),
        get(
            "/orders/{id}/followup",
            "403/403 200/404 403/404 403/404 403/404 403/404 403/404 303/303",
        ),
        get(
            "/hazards/{id}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        // The side's hazard has not been reviewed: who may see it learns there is no 复查意见
        // yet; nobody else learns it exists.
        get(
            "/hazards/{id}/review.pdf",
            "409/409 409/404 409/404 409/404 409/404 409/404 409/404 303/303",
        ),
        get("/healthz", "200 200 200 200 200 200 200 200"),
        // Not a session route: it answers by client address or bearer token (tests/it/metrics.rs),
        // and the matrix's callers all connect from loopback, which the default lets in.
        get("/metrics", "200 200 200 200 200 200 200 200"),
        get("/login", "303 303 303 303 303 303 303 200"),
        get("/login-log", "200 200 403 200 403 403 403 303"),
        // Every account has its organization's inbox.
        get("/notifications", "200 200 200 200 200 200 200 303"),
        post(
            "/notifications/read-all",
            NO_FIELDS,
            "303 303 303 303 303 303 303 303",
        ),
        // The agency's notification opens (303 to its order) for the agency, and for its staff
        // member because the order is assigned to them; nobody else learns it exists. Marking a
        // notification read is the one change these rows make: nothing depends on it.
        post(
            "/notifications/{id}/read",
            NO_FIELDS,
            "404/404 404/404 404/404 303/404 303/404 404/404 404/404 303/303",
        ),
        // The platform's: runs of every organization's work.
        get("/jobs", "200 403 403 403 403 403 403 303"),
        // Each organization's admin sets its own webhook (the matrix's regulator and
        // enterprise callers are staff); the platform has none.
        get("/webhook", "403 200 403 200 403 403 403 303"),
        post("/webhook", NO_FIELDS, "403 422 403 422 403 403 403 303"),
        // Each organization's admin makes its own API tokens; the matrix's token is revoked.
        get("/api-tokens", "200 200 403 200 403 403 403 303"),
        get("/api-tokens/calls", "200 200 403 200 403 403 403 303"),
        post("/api-tokens", NO_FIELDS, "422 422 403 422 403 403 403 303"),
        post(
            "/api-tokens/{id}/revoke",
            NO_FIELDS,
            "404/404 409/404 403/403 404/404 403/403 403/403 403/403 303/303",
        ),
        // The API reads no session cookie: every logged-in caller is a stranger there.
        // The API's description is public: it holds no data.
        get("/api/v1/openapi.json", "200 200 200 200 200 200 200 200"),
        get("/api/docs", "200 200 200 200 200 200 200 200"),
        get("/api/v1/orders", "401 401 401 401 401 401 401 401"),
        get(
            "/api/v1/orders/{id}",
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        post(
            "/api/v1/orders/{id}/accept",
            NO_FIELDS,
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        post(
            "/api/v1/orders/{id}/decline",
            NO_FIELDS,
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        post(
            "/api/v1/orders/{id}/cancel",
            NO_FIELDS,
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        post(
            "/api/v1/policies/{id}/orders",
            NO_FIELDS,
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        get("/api/v1/records", "401 401 401 401 401 401 401 401"),
        get(
            "/api/v1/records/{id}",
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        get(
            "/api/v1/attachments/{id}",
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        get("/api/v1/hazards", "401 401 401 401 401 401 401 401"),
        get(
            "/api/v1/hazards/{id}",
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        get("/api/v1/policies", "401 401 401 401 401 401 401 401"),
        get(
            "/api/v1/policies/{id}",
            "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401",
        ),
        post(
            "/api/v1/policies/batch",
            NO_FIELDS,
            "401 401 401 401 401 401 401 401",
        ),
        get("/me/password", "200 200 200 200 200 200 200 303"),
        get("/orders", "200 200 200 200 200 200 200 303"),
        get("/orders/export.xlsx", "200 200 200 200 200 200 200 303"),
        get(
            "/orders/{id}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        // 服务报告: whoever sees the order reads its report, as a page and as a PDF.
        get(
            "/orders/{id}/report",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/orders/{id}/report.pdf",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/orders/{id}/accept",
            "403/403 403/403 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        get(
            "/orders/{id}/{item}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/orders/{id}/{item}/new",
            "403/403 403/403 403/403 200/404 200/404 403/403 403/403 303/303",
        ),
        get("/orgs", "200 403 403 403 403 403 403 303"),
        get("/orgs/new", "200 403 403 403 403 403 403 303"),
        get(
            "/orgs/{id}",
            "200/200 403/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        get("/policies", "200 200 200 403 403 200 200 303"),
        get("/policies/export.xlsx", "200 200 200 403 403 200 200 303"),
        get("/policies/import", "403 200 403 403 403 403 403 303"),
        get(
            "/policies/import/template.xlsx",
            "403 200 403 403 403 403 403 303",
        ),
        get("/policies/new", "403 200 403 403 403 403 403 303"),
        get(
            "/policies/{id}/archive.zip",
            "200/200 200/404 200/404 403/403 403/403 200/404 403/403 303/303",
        ),
        get(
            "/policies/{id}",
            "200/200 200/404 200/404 403/403 403/403 200/404 200/404 303/303",
        ),
        get(
            "/policies/{id}/designate",
            "403/403 200/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        get(
            "/policies/{id}/edit",
            "403/403 200/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        get(
            "/records/{id}",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/records/{id}/edit",
            "403/403 403/404 403/404 200/404 200/404 403/404 403/404 303/303",
        ),
        get(
            "/records/{id}/hazards/new",
            "403/403 403/403 403/403 200/404 200/404 403/403 403/403 303/303",
        ),
        get(
            "/records/{id}/notice",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get(
            "/records/{id}/notice.pdf",
            "200/200 200/404 200/404 200/404 200/404 200/404 200/404 303/303",
        ),
        get("/roles", "200 200 200 200 200 200 200 303"),
        get("/roles/new", "200 200 403 200 403 403 403 303"),
        get("/confirmations", "403 403 403 403 403 403 200 303"),
        get(
            "/roles/{id}",
            "200/200 200/404 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        get("/services/{item}", "200 200 200 200 200 200 200 303"),
        get(
            "/services/{item}/export.xlsx",
            "200 200 200 200 200 200 200 303",
        ),
        get("/static/{*path}", "200 200 200 200 200 200 200 200"),
        post("/accounts", NO_FIELDS, "422 422 403 422 403 403 403 303"),
        post(
            "/accounts/{id}",
            NO_FIELDS,
            "422/422 422/404 403/403 422/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/accounts/{id}/delete",
            NO_FIELDS,
            "200/200 200/404 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
        post("/enterprises", NO_FIELDS, "422 422 403 403 403 403 403 303"),
        post(
            "/enterprises/{id}",
            NO_FIELDS,
            "422/422 422/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/hazards/{id}/rectify",
            Multipart,
            "403/403 403/403 403/403 422/404 422/404 403/403 422/404 303/303",
        ),
        post(
            "/hazards/{id}/review",
            Multipart,
            "403/403 403/403 403/403 409/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/integrity/{id}/answer",
            Form(&[("explanation", "")]),
            "403/403 403/404 403/404 422/404 422/404 403/404 403/404 303/303",
        ),
        post(
            "/integrity/{id}/decide",
            Form(&[("decision", "")]),
            "422/422 422/404 422/404 403/404 403/404 422/404 403/404 303/303",
        ),
        post("/login", WrongLogin, "401 401 401 401 401 401 401 401"),
        post("/logout", NO_FIELDS, "303 303 303 303 303 303 303 303"),
        post("/me/password", NO_FIELDS, "422 422 422 422 422 422 422 303"),
        post(
            "/orders/{id}/accept",
            NO_FIELDS,
            "403/403 403/403 403/403 409/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/assign",
            Form(&[("account_ids", "x")]),
            "403/403 403/403 403/403 422/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/cancel",
            NO_FIELDS,
            "403/403 409/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/rating",
            NO_FIELDS,
            "403/403 403/404 403/404 403/404 403/404 403/404 409/404 303/303",
        ),
        post(
            "/orders/{id}/followup",
            NO_FIELDS,
            "403/403 422/404 403/404 403/404 403/404 403/404 403/404 303/303",
        ),
        post(
            "/orders/{id}/complete",
            NO_FIELDS,
            "403/403 403/403 403/403 409/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/decline",
            NO_FIELDS,
            "403/403 403/403 403/403 422/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orders/{id}/{item}",
            Multipart,
            "403/403 403/403 403/403 422/404 422/404 403/403 403/403 303/303",
        ),
        post("/orgs", NO_FIELDS, "422 403 403 403 403 403 403 303"),
        post(
            "/orgs/{id}",
            NO_FIELDS,
            "422/422 403/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/orgs/{id}/toggle",
            Form(&[("enabled", "1")]),
            "303/303 403/403 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post("/policies", NO_FIELDS, "403 422 403 403 403 403 403 303"),
        post(
            "/policies/import",
            Multipart,
            "403 400 403 403 403 403 403 303",
        ),
        post(
            "/policies/{id}",
            NO_FIELDS,
            "403/403 422/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/policies/{id}/designate",
            NO_FIELDS,
            "403/403 409/404 403/403 403/403 403/403 403/403 403/403 303/303",
        ),
        post(
            "/records/{id}",
            Multipart,
            "403/403 403/403 403/403 422/404 422/404 403/403 403/403 303/303",
        ),
        post(
            "/records/{id}/notice/sign",
            NO_FIELDS,
            "403/403 403/403 403/403 403/403 403/403 403/403 409/404 303/303",
        ),
        post(
            "/records/{id}/notice/sign-onsite",
            Multipart,
            "403/403 403/404 403/404 409/404 409/404 403/404 403/404 303/303",
        ),
        post(
            "/records/{id}/confirm",
            NO_FIELDS,
            "403/403 403/403 403/403 403/403 403/403 403/403 409/404 303/303",
        ),
        post(
            "/records/{id}/object",
            NO_FIELDS,
            "403/403 403/403 403/403 403/403 403/403 403/403 422/404 303/303",
        ),
        post(
            "/records/{id}/reply",
            NO_FIELDS,
            "403/403 403/403 403/403 422/404 422/404 403/403 403/403 303/303",
        ),
        post(
            "/records/{id}/delete",
            NO_FIELDS,
            // The fixture's records are confirmed: kept, whoever asks.
            "403/403 403/404 403/404 409/404 409/404 403/404 403/404 303/303",
        ),
        post(
            "/records/{id}/hazards",
            Multipart,
            "403/403 403/403 403/403 422/404 422/404 403/403 403/403 303/303",
        ),
        post("/roles", NO_FIELDS, "422 422 403 422 403 403 403 303"),
        post(
            "/roles/{id}",
            NO_FIELDS,
            "422/422 422/404 403/403 422/404 403/403 403/403 403/403 303/303",
        ),
        post(
            "/roles/{id}/delete",
            NO_FIELDS,
            "200/200 200/404 403/403 200/404 403/403 403/403 403/403 303/303",
        ),
    ]
}

/// The path with its captures filled for `who` and `case`; `None` when the route has no id.
fn fill(path: &str, who: Who, case: Case, own: &Side, foreign: &Side) -> (String, bool) {
    let side = match case {
        Case::Own => own,
        Case::Foreign => foreign,
    };
    let mut has_id = false;
    let mut out = path
        .replace("{*path}", "app.css")
        .replace("{item}", "training")
        .replace("{checklist}", &side.checklist.to_string());
    if out.contains("{id}") {
        has_id = true;
        let id = if out.starts_with("/orders/{id}/complete") {
            side.pending_order.0
        } else if out.starts_with("/orders/") || out.starts_with("/api/v1/orders/") {
            side.order.0
        } else if out.starts_with("/records/{id}/hazards")
            || out.starts_with("/records/{id}/notice")
            || out.starts_with("/records/{id}/check")
        {
            side.inspection
        } else if out.starts_with("/records/") || out.starts_with("/api/v1/records/") {
            side.record
        } else if out.starts_with("/hazards/") || out.starts_with("/api/v1/hazards/") {
            side.hazard
        } else if out.starts_with("/policies/") || out.starts_with("/api/v1/policies/") {
            side.policy
        } else if out.starts_with("/enterprises/") {
            side.enterprise
        } else if out.starts_with("/attachments/") || out.starts_with("/api/v1/attachments/") {
            side.attachment
        } else if out.starts_with("/integrity/") {
            side.flag
        } else if out.starts_with("/complaints/") {
            side.complaint
        } else if out.starts_with("/calendar/") {
            side.calendar_day
        } else if out.starts_with("/notifications/") {
            side.notice
        } else if out.starts_with("/checklists/") {
            side.checklist
        } else if out.starts_with("/api-tokens/") {
            side.api_token
        } else if out.starts_with("/orgs/") {
            match who {
                Who::InsurerAdmin | Who::InsurerStaff => side.org_insurer.0,
                Who::Enterprise => side.enterprise,
                _ => side.org_agency.0,
            }
        } else if out.starts_with("/accounts/") {
            match who {
                Who::InsurerAdmin | Who::InsurerStaff => side.insurer_staff.0,
                Who::Regulator => side.regulator_staff.0,
                Who::Enterprise => side.enterprise_staff.0,
                _ => side.agency_staff.0,
            }
        } else if out.starts_with("/roles/") {
            match who {
                Who::InsurerAdmin | Who::InsurerStaff => side.insurer_role.0,
                Who::Regulator => side.regulator_role.0,
                Who::Enterprise => side.enterprise_role.0,
                _ => side.agency_role.0,
            }
        } else {
            panic!("the matrix does not know which object {path} takes");
        };
        out = out.replace("{id}", &id.to_string());
    }
    (out, has_id)
}

async fn preset_role(app: &TestApp, org: OrgId) -> RoleId {
    app.db
        .roles_of_org(org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == RoleKind::Preset)
        .unwrap()
        .id
}

async fn account_id(app: &TestApp, username: &str) -> AccountId {
    app.db
        .find_account_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// One side's data, made through the pages and the core as its users would.
async fn side(app: &TestApp, tag: &str, region: &str) -> Side {
    let ins = format!("{tag}_ins");
    let ag = format!("{tag}_ag");
    let reg = format!("{tag}_reg");
    let org_insurer = app
        .seed_org("insurer", &format!("{tag}保险机构"), &ins)
        .await;
    app.seed_account(&ins, &format!("{ins}_staff"), "业务人员")
        .await;
    let org_agency = app.seed_org("agency", &format!("{tag}服务机构"), &ag).await;
    let staff = app
        .seed_account(&ag, &format!("{ag}_staff"), "服务人员")
        .await;
    let org_regulator = app
        .seed_org("regulator", &format!("{tag}监管部门"), &reg)
        .await;
    app.seed_account(&reg, &format!("{reg}_staff"), "业务人员")
        .await;
    let code = app
        .seed_enterprise(&ins, &format!("{tag}化工有限公司"), region)
        .await;
    let policy = app.seed_policy(&ins, &code, &format!("{tag}-P-1")).await;
    let enterprise_staff = app
        .seed_enterprise_account(&code, &format!("{tag}_qy"))
        .await;
    let order = app.seed_order(&ins, policy, org_agency).await;
    accept_and_assign(app, &ag, order, &[staff]).await;
    let code2 = app
        .seed_enterprise(&ins, &format!("{tag}纺织有限公司"), region)
        .await;
    let policy2 = app.seed_policy(&ins, &code2, &format!("{tag}-P-2")).await;
    let pending_order = app.seed_order(&ins, policy2, org_agency).await;

    // The staff member records a training with a photo and an inspection with a hazard.
    let client = app.login(&format!("{ag}_staff"), PASSWORD).await;
    let date = day(app, 0);
    let staff_id = staff.to_string();
    let fields = [
        ("service_date", date.as_str()),
        ("location", "企业三楼会议室"),
        ("staff_ids", staff_id.as_str()),
        ("enterprise_contact", "陈主任"),
        ("topic", "危险化学品安全管理培训"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2"),
        ("participants", "30"),
        ("trainer", "张工"),
        ("summary", "讲解危化品储存要求。"),
    ];
    let res = app
        .post_multipart_files(
            &client,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &fields,
            &[("photos", "现场.png", png())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "training of {tag}");
    let record: i64 = location(&res)
        .trim_start_matches("/records/")
        .parse()
        .unwrap();
    let inspection_path = inspect(app, &client, order, &date, &staff_id).await;
    let deadline = day(app, 20);
    let hazard_path = new_hazard(
        app,
        &client,
        &inspection_path,
        &hazard_form("消防通道堆放杂物", "general", &deadline),
    )
    .await;
    let inspection: i64 = inspection_path
        .trim_start_matches("/records/")
        .parse()
        .unwrap();
    // Signed for already, so the matrix's 签收 meets a refusal instead of signing.
    let qy = app.actor(&format!("{tag}_qy")).await;
    anze_core::hazard::service::sign_notice(
        &app.db,
        &qy,
        anze_core::ids::RecordId(inspection),
        app.clock_now(),
    )
    .await
    .unwrap();
    // Confirmed already, so the matrix's 确认 and 异议 meet a refusal instead of changing it.
    anze_core::record::service::confirm(
        &app.db,
        &qy,
        anze_core::ids::RecordId(record),
        app.clock_now(),
    )
    .await
    .unwrap();
    let (_, html) = app.get(&client, &format!("/records/{record}")).await;
    let marker = "/attachments/";
    let at = html.find(marker).expect("the record shows its photo") + marker.len();
    let attachment: i64 = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    let flag = anze_core::integrity::IntegrityStore::flags_of(
        &app.db,
        anze_core::attachment::OwnerKind::Training,
        &[record],
    )
    .await
    .unwrap()
    .first()
    .expect("the photo is flagged")
    .id
    .0;
    // A complaint of the enterprise about the order, settled by the insurer.
    let complaint = anze_core::complaint::service::file(
        &app.db,
        &qy,
        order,
        &anze_core::complaint::ComplaintForm {
            category: "quality".into(),
            description: "培训内容与企业实际不符".into(),
            complainant: "陈主任".into(),
            ..Default::default()
        },
        &[],
        app.clock_now(),
    )
    .await
    .unwrap();
    let insurer = app.actor(&ins).await;
    for (action, note) in [
        (anze_core::complaint::ComplaintAction::Accept, ""),
        (
            anze_core::complaint::ComplaintAction::Settle,
            "已责令服务机构补讲",
        ),
    ] {
        anze_core::complaint::service::handle(
            &app.db,
            &insurer,
            complaint,
            action,
            note,
            app.clock_now(),
        )
        .await
        .unwrap();
    }
    let days = anze_core::calendar::CalendarStore::calendar_days(
        &app.db,
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    )
    .await
    .unwrap();
    let calendar_day = if tag == "own" {
        days.first()
    } else {
        days.last()
    }
    .expect("the 2026 calendar is shipped")
    .id
    .0;
    let notice = anze_core::notify::NoticeStore::list_notices(
        &app.db,
        &anze_core::notify::Viewer {
            org: org_agency,
            account: AccountId(0),
            own_orders_only: false,
        },
        &anze_core::notify::NoticeQuery {
            read: None,
            kind: Some(anze_core::notify::NoticeKind::OrderDesignated),
        },
        anze_core::page::PageRequest::first(10),
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .find(|n| n.object_id == order.0)
    .expect("the agency was told of the order")
    .id
    .0;
    let enterprise = anze_core::policy::PolicyStore::get_policy(&app.db, policy)
        .await
        .unwrap()
        .unwrap()
        .enterprise_id
        .0;
    let api_token = {
        let admin = app.actor(&ins).await;
        let form = anze_core::api_token::ApiTokenForm {
            name: format!("{tag}核心系统"),
            permissions: vec!["order:view".into()],
            days: "30".into(),
        };
        let now = app.clock_now();
        let (id, _) = anze_core::api_token::service::create(&app.db, &admin, &form, now)
            .await
            .unwrap();
        anze_core::api_token::service::revoke(&app.db, &admin, id, now)
            .await
            .unwrap();
        id.0
    };
    let checklist = anze_core::checklist::service::create(
        &app.db,
        &app.actor(&ag).await,
        &anze_core::checklist::ChecklistForm {
            name: format!("{tag}检查表"),
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .0;
    Side {
        checklist,
        api_token,
        org_insurer,
        org_agency,
        enterprise,
        policy: policy.0,
        order,
        pending_order,
        record,
        inspection,
        hazard: hazard_path.trim_start_matches("/hazards/").parse().unwrap(),
        attachment,
        flag,
        complaint: complaint.0,
        calendar_day,
        notice,
        agency_staff: staff,
        agency_role: preset_role(app, org_agency).await,
        insurer_staff: account_id(app, &format!("{ins}_staff")).await,
        insurer_role: preset_role(app, org_insurer).await,
        regulator_staff: account_id(app, &format!("{reg}_staff")).await,
        regulator_role: preset_role(app, org_regulator).await,
        enterprise_role: preset_role(app, anze_core::ids::OrgId(enterprise)).await,
        enterprise_staff,
    }
}

fn username(who: Who) -> Option<(&'static str, &'static str)> {
    Some(match who {
        Who::Platform => ("admin", ADMIN_PASSWORD),
        Who::InsurerAdmin => ("own_ins", PASSWORD),
        Who::InsurerStaff => ("own_ins_staff", PASSWORD),
        Who::AgencyAdmin => ("own_ag", PASSWORD),
        Who::AgencyStaff => ("own_ag_staff", PASSWORD),
        Who::Regulator => ("own_reg_staff", PASSWORD),
        Who::Enterprise => ("own_qy", PASSWORD),
        Who::LoggedOut => return None,
    })
}

async fn send(
    app: &TestApp,
    client: &Client,
    token: &str,
    who: Who,
    row: &Row,
    path: &str,
) -> StatusCode {
    let res = match (row.method.clone(), row.body) {
        (_, Body::WrongLogin) => {
            let username = format!("nobody_{who:?}");
            let body = [
                ("_csrf", token),
                ("username", username.as_str()),
                ("password", "wrong"),
            ];
            client.post(app.url(path)).form(&body).send().await
        }
        (Method::GET, _) => client.get(app.url(path)).send().await,
        (_, Body::None) => {
            client
                .post(app.url(path))
                .header("x-csrf-token", token)
                .send()
                .await
        }
        (_, Body::Form(fields)) => {
            let mut body: Vec<(&str, &str)> = vec![("_csrf", token)];
            body.extend_from_slice(fields);
            client.post(app.url(path)).form(&body).send().await
        }
        (_, Body::Multipart) => {
            let form = reqwest::multipart::Form::new().text("_probe", "1");
            client
                .post(app.url(&format!("{path}?_csrf={token}")))
                .multipart(form)
                .send()
                .await
        }
    };
    res.unwrap().status()
}

fn parse_cells(row: &Row) -> Vec<(StatusCode, Option<StatusCode>)> {
    let code = |s: &str| {
        StatusCode::from_u16(s.parse().unwrap_or_else(|_| panic!("{}: {s}", row.path))).unwrap()
    };
    let cells: Vec<_> = row
        .cells
        .split_whitespace()
        .map(|c| match c.split_once('/') {
            Some((own, foreign)) => (code(own), Some(code(foreign))),
            None => (code(c), None),
        })
        .collect();
    assert_eq!(cells.len(), CALLERS.len(), "{} {}", row.method, row.path);
    cells
}

async fn every_route_answers_every_caller_as_the_matrix_says(app: TestApp) {
    let own = side(&app, "own", "350503").await;
    let foreign = side(&app, "far", "350582").await;
    let rows = matrix();
    let routes = anze_web::route_table();

    // Every row is a route; a route without a row is still called (with an empty form), so the
    // failure shows what it answers.
    for row in &rows {
        assert!(
            routes
                .iter()
                .any(|(m, p)| *m == row.method && *p == row.path),
            "the matrix has a row for {} {}, which is no route",
            row.method,
            row.path
        );
    }
    let unlisted: Vec<Row> = routes
        .iter()
        .filter(|(m, p)| !rows.iter().any(|r| r.method == m && r.path == *p))
        .map(|(m, p)| Row {
            method: m.clone(),
            path: p,
            body: if *m == Method::GET {
                Body::None
            } else {
                NO_FIELDS
            },
            cells: "",
        })
        .collect();
    let missing: Vec<String> = unlisted
        .iter()
        .chain(rows.iter().filter(|r| r.cells.is_empty()))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();

    // 退出 ends the session, so it runs last for each caller.
    let mut order: Vec<&Row> = rows
        .iter()
        .chain(unlisted.iter())
        .filter(|r| r.path != "/logout")
        .collect();
    order.extend(
        rows.iter()
            .chain(unlisted.iter())
            .filter(|r| r.path == "/logout"),
    );

    let mut seen: BTreeMap<(String, &str), Vec<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut cells = 0usize;
    for (i, who) in CALLERS.into_iter().enumerate() {
        let client = match username(who) {
            Some((u, p)) => app.login(u, p).await,
            None => app.client(),
        };
        let (_, home) = app.get(&client, "/login").await;
        let token = match csrf_token(&home) {
            Some(t) => t,
            None => {
                let (_, home) = app.get(&client, "/").await;
                csrf_token(&home).unwrap_or_default()
            }
        };
        for row in &order {
            let expected = if row.cells.is_empty() {
                None
            } else {
                Some(parse_cells(row)[i])
            };
            let mut got = Vec::new();
            for case in [Case::Own, Case::Foreign] {
                let (path, has_id) = fill(row.path, who, case, &own, &foreign);
                if case == Case::Foreign && !has_id {
                    break;
                }
                let status = send(&app, &client, &token, who, row, &path).await;
                cells += 1;
                let want = match (case, expected) {
                    (_, None) => None,
                    (Case::Own, Some(e)) => Some(e.0),
                    (Case::Foreign, Some(e)) => e.1,
                };
                if expected.is_some() && want != Some(status) {
                    wrong.push(format!(
                        "{} {path} as {who:?} ({}): expected {want:?}, got {status}",
                        row.method,
                        if case == Case::Own { "own" } else { "foreign" },
                    ));
                }
                got.push(status.as_u16().to_string());
            }
            seen.entry((row.method.to_string(), row.path))
                .or_default()
                .push(got.join("/"));
        }
    }
    let suggestions: Vec<String> = seen
        .iter()
        .map(|((m, p), c)| format!("{m} {p:40} \"{}\"", c.join(" ")))
        .collect();
    assert!(
        missing.is_empty() && wrong.is_empty(),
        "routes without a row: {missing:?}\nwrong cells:\n{}\nall cells seen:\n{}",
        wrong.join("\n"),
        suggestions.join("\n")
    );
    // Routes × callers × own/foreign, as reported in the documentation of the matrix.
    eprintln!(
        "authorization matrix: {} routes × {} callers, {cells} cells",
        routes.len(),
        CALLERS.len()
    );
}

/// A caller who may not write to an object is refused before the upload is read: the answer is
/// 403/404, not the file check's 422 that reading the body would give, and nothing is stored.
async fn uploads_are_refused_before_their_body_is_read(app: TestApp) {
    use anze_core::attachment::BlobStore;
    let own = side(&app, "own", "350503").await;
    let foreign = side(&app, "far", "350582").await;
    let stored = app.blobs.list("").await.unwrap().len();
    // A disguised executable and a real photo: reading the body would refuse the first (422).
    // Small enough to be sent whole before the early answer arrives.
    let files = || {
        reqwest::multipart::Form::new()
            .text("service_date", "2026-01-01")
            .part(
                "photos",
                reqwest::multipart::Part::bytes(b"MZ\x90\x00\x03 not a photo".repeat(40))
                    .file_name("现场.jpg"),
            )
            .part(
                "before",
                reqwest::multipart::Part::bytes(png()).file_name("隐患.png"),
            )
    };
    for (username, password, expected, side) in [
        ("own_reg_staff", PASSWORD, StatusCode::FORBIDDEN, &own),
        ("own_ins", PASSWORD, StatusCode::FORBIDDEN, &own),
        ("admin", ADMIN_PASSWORD, StatusCode::FORBIDDEN, &own),
        ("own_ag", PASSWORD, StatusCode::NOT_FOUND, &foreign),
        ("own_ag_staff", PASSWORD, StatusCode::NOT_FOUND, &foreign),
    ] {
        let client = app.login(username, password).await;
        let (_, home) = app.get(&client, "/").await;
        let token = csrf_token(&home).unwrap();
        for action in [
            format!("/orders/{}/training", side.order),
            format!("/records/{}", side.record),
            format!("/records/{}/hazards", side.inspection),
            format!("/hazards/{}/rectify", side.hazard),
            format!("/hazards/{}/review", side.hazard),
        ] {
            let res = client
                .post(app.url(&format!("{action}?_csrf={token}")))
                .multipart(files())
                .send()
                .await
                .unwrap();
            // 服务人员 do not hold 复查 at all, whoever's hazard it is.
            let expected = if username == "own_ag_staff" && action.ends_with("/review") {
                StatusCode::FORBIDDEN
            } else {
                expected
            };
            assert_eq!(res.status(), expected, "{action} as {username}");
        }
    }
    assert_eq!(
        app.blobs.list("").await.unwrap().len(),
        stored,
        "a refused upload left files behind"
    );
}
