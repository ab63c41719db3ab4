//! What every page shares: the shell (menu, top bar, flash message), pagination links and
//! formatting helpers called from templates.

use anze_core::auth::{MENU_GROUPS, Menu};
use anze_core::page::{PAGE_SIZES, Page};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use std::borrow::Borrow;

use crate::error::{PageError, PageResult};
use crate::extract::Ctx;

/// Short confirmations shown once on the next page. Codes, not text, travel in the cookie, so
/// nobody can make the page say something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flash {
    Saved,
    Created,
    Deleted,
    Enabled,
    Disabled,
    PasswordChanged,
    LoggedOut,
    Accepted,
    Declined,
    Cancelled,
    Completed,
    Imported,
    Signed,
    Registered,
    MarkedRead,
    Resubmitted,
}

impl Flash {
    const ALL: [Flash; 16] = [
        Flash::Resubmitted,
        Flash::MarkedRead,
        Flash::Registered,
        Flash::Signed,
        Flash::Imported,
        Flash::Accepted,
        Flash::Declined,
        Flash::Cancelled,
        Flash::Completed,
        Flash::Saved,
        Flash::Created,
        Flash::Deleted,
        Flash::Enabled,
        Flash::Disabled,
        Flash::PasswordChanged,
        Flash::LoggedOut,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Flash::Saved => "saved",
            Flash::Created => "created",
            Flash::Deleted => "deleted",
            Flash::Enabled => "enabled",
            Flash::Disabled => "disabled",
            Flash::PasswordChanged => "password",
            Flash::LoggedOut => "logout",
            Flash::Accepted => "accepted",
            Flash::Declined => "declined",
            Flash::Cancelled => "cancelled",
            Flash::Completed => "completed",
            Flash::Imported => "imported",
            Flash::Signed => "signed",
            Flash::Registered => "registered",
            Flash::MarkedRead => "read",
            Flash::Resubmitted => "resubmitted",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Flash::Saved => "操作成功,已保存",
            Flash::Created => "操作成功,已新增",
            Flash::Deleted => "操作成功,已删除",
            Flash::Enabled => "操作成功,已启用",
            Flash::Disabled => "操作成功,已停用",
            Flash::PasswordChanged => "密码已修改,请使用新密码登录",
            Flash::LoggedOut => "您已安全退出",
            Flash::Accepted => "操作成功,已同意服务,可以开始录入服务记录",
            Flash::Declined => "操作成功,已拒绝该订单,保险机构将看到拒绝原因",
            Flash::Cancelled => "操作成功,订单已撤销",
            Flash::Completed => "操作成功,订单已完成",
            Flash::Imported => "导入成功,保单已登记",
            Flash::Signed => "已签收整改通知书",
            Flash::Registered => "注册成功,请使用新开通的管理员账号登录",
            Flash::MarkedRead => "操作成功,消息已全部标为已读",
            Flash::Resubmitted => "该表单已经提交过,这次没有重复保存;以下是第一次提交的结果",
        }
    }
}

/// 303 to `to` with a one-time message.
pub fn redirect_with(to: &str, flash: Flash) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "anze_flash={}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
        flash.code()
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub fn render(t: &impl Template) -> PageResult<Response> {
    render_status(t, StatusCode::OK)
}

pub fn render_status(t: &impl Template, status: StatusCode) -> PageResult<Response> {
    let body = t
        .render()
        .map_err(|e| PageError::Internal(format!("template: {e}")))?;
    Ok((status, Html(body)).into_response())
}

pub struct MenuItem {
    pub label: &'static str,
    pub path: &'static str,
    pub active: bool,
    pub badge: u64,
}

pub struct MenuGroupView {
    pub label: &'static str,
    pub items: Vec<MenuItem>,
}

pub struct Shell {
    pub user_name: String,
    pub org_name: String,
    pub org_kind: &'static str,
    pub csrf: String,
    /// The one-time key of the page's create forms.
    pub once: String,
    pub flash: Option<&'static str>,
    pub menu: Vec<MenuGroupView>,
    pub home_active: bool,
    /// Unread notifications: the bell's number.
    pub unread: u64,
    pub bell_active: bool,
    /// The admin's link to API 令牌.
    pub api_tokens: bool,
    /// Files kept from a refused submit of the page's form.
    pub pending: Vec<crate::upload::PendingFile>,
}

impl Shell {
    pub fn new(ctx: &Ctx, active: &'static str) -> Self {
        let menu = MENU_GROUPS
            .into_iter()
            .map(|g| MenuGroupView {
                label: g.label(),
                items: Menu::ALL
                    .into_iter()
                    .filter(|m| m.group() == g && ctx.actor.has(m.view_permission()))
                    .flat_map(|m| menu_items(m, active, ctx))
                    .collect::<Vec<_>>(),
            })
            .filter(|g| !g.items.is_empty())
            .map(|mut g| {
                g.items.sort_by_key(|i| service_rank(i.path));
                g
            })
            .collect();
        Self {
            user_name: ctx.actor.display(),
            org_name: ctx.actor.org_name.clone(),
            org_kind: ctx.actor.org_kind.label(),
            csrf: ctx.csrf.clone(),
            once: ctx.once.clone(),
            flash: ctx.flash.map(Flash::message),
            menu,
            home_active: active == "/",
            unread: ctx.unread_notices,
            bell_active: active == "/notifications",
            api_tokens: anze_core::api_token::service::may_manage(&ctx.actor),
            pending: ctx.pending.clone(),
        }
    }

    /// The kept files of one file field (`macros.html` `files`).
    pub fn pending_of(&self, field: &str) -> Vec<&crate::upload::PendingFile> {
        self.pending.iter().filter(|p| p.field == field).collect()
    }
}

/// A menu's entries: one, except 服务记录, which the user sees as its six record types.
fn menu_items(m: Menu, active: &str, ctx: &Ctx) -> Vec<MenuItem> {
    if m == Menu::Records {
        // The enterprise confirms records of every item on one page.
        let confirm = ctx
            .actor
            .has(anze_core::auth::Permission::RecordConfirm)
            .then(|| MenuItem {
                label: "服务确认",
                path: crate::pages::records::CONFIRMATIONS_PATH,
                active: active == crate::pages::records::CONFIRMATIONS_PATH,
                badge: 0,
            });
        // Those who decide integrity flags read them across records on one page.
        let flagged = anze_core::integrity::service::may_list(&ctx.actor).then(|| MenuItem {
            label: "可疑记录",
            path: crate::pages::integrity::LIST_PATH,
            active: active == crate::pages::integrity::LIST_PATH,
            badge: 0,
        });
        // Inspections are reached through the 隐患排查 menu (the hazard ledger).
        return confirm
            .into_iter()
            .chain(flagged)
            .chain(
                anze_core::record::record_items()
                    .into_iter()
                    .filter(|i| *i != anze_core::service_item::ServiceItem::HazardInvestigation)
                    .map(|item| {
                        let path = record_list_path(item);
                        MenuItem {
                            label: item.label(),
                            active: path == active,
                            path,
                            badge: 0,
                        }
                    }),
            )
            .collect();
    }
    let mut items = vec![MenuItem {
        label: m.label(),
        path: m.path(),
        active: m.path() == active,
        badge: if m == Menu::Orders {
            ctx.pending_orders
        } else {
            0
        },
    }];
    // Those who choose and watch agencies read their satisfaction scores next to the orders.
    if m == Menu::Orders && anze_core::satisfaction::service::may_list(&ctx.actor) {
        items.push(MenuItem {
            label: "满意度",
            path: crate::pages::satisfaction::LIST_PATH,
            active: active == crate::pages::satisfaction::LIST_PATH,
            badge: 0,
        });
    }
    items
}

/// The seed's order of the 安责险服务 menu (§4.1–§4.8); other groups keep catalogue order.
fn service_rank(path: &str) -> usize {
    const ORDER: [&str; 11] = [
        "/orders",
        "/satisfaction",
        "/confirmations",
        "/integrity",
        "/services/training",
        "/hazards",
        "/services/risk",
        "/services/standardization",
        "/services/emergency",
        "/services/promotion",
        "/services/other",
    ];
    ORDER.iter().position(|p| *p == path).unwrap_or(ORDER.len())
}

/// `/services/training` and its siblings: the cross-order list of a record type.
pub fn record_list_path(item: anze_core::service_item::ServiceItem) -> &'static str {
    use anze_core::service_item::ServiceItem::*;
    match item {
        Training => "/services/training",
        RiskIdentification => "/services/risk",
        HazardInvestigation => "/services/hazard",
        Standardization => "/services/standardization",
        Emergency => "/services/emergency",
        Promotion => "/services/promotion",
        OtherWork => "/services/other",
    }
}

pub struct PageLink {
    pub number: u64,
    pub href: String,
    pub current: bool,
}

/// Pagination links that keep the list's filters.
pub struct Pager {
    pub total: u64,
    pub total_capped: bool,
    pub page: u64,
    pub pages: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub links: Vec<PageLink>,
    pub sizes: Vec<(u64, String, bool)>,
}

impl Pager {
    pub fn new<T>(page: &Page<T>, query: Option<&str>) -> Self {
        let params: Vec<(String, String)> = query
            .and_then(|q| serde_html_form::from_str(q).ok())
            .unwrap_or_default();
        let href = |number: u64, size: u64| {
            let mut p: Vec<(String, String)> = params
                .iter()
                .filter(|(k, _)| k != "page" && k != "size")
                .cloned()
                .collect();
            p.push(("page".into(), number.to_string()));
            p.push(("size".into(), size.to_string()));
            format!("?{}", serde_html_form::to_string(&p).unwrap_or_default())
        };
        let pages = page.pages();
        let window_start = page.page.saturating_sub(2).max(1);
        let window_end = (window_start + 4).min(pages);
        let mut numbers: Vec<u64> = (window_start..=window_end).collect();
        if !numbers.contains(&1) {
            numbers.insert(0, 1);
        }
        if !numbers.contains(&pages) {
            numbers.push(pages);
        }
        Self {
            total: page.total,
            total_capped: page.total_capped,
            page: page.page,
            pages,
            prev: (page.page > 1).then(|| href(page.page - 1, page.size)),
            next: (page.page < pages).then(|| href(page.page + 1, page.size)),
            links: numbers
                .into_iter()
                .map(|n| PageLink {
                    number: n,
                    href: href(n, page.size),
                    current: n == page.page,
                })
                .collect(),
            sizes: PAGE_SIZES
                .iter()
                .map(|s| (*s, href(1, *s), *s == page.size))
                .collect(),
        }
    }
}

/// `2026-11-28 14:03:00` in China Standard Time.
pub fn dt(t: impl Borrow<DateTime<Utc>>) -> String {
    anze_core::time::format_datetime(*t.borrow())
}

pub fn opt_dt(t: impl Borrow<Option<DateTime<Utc>>>) -> String {
    t.borrow().as_ref().map(dt).unwrap_or_else(|| "—".into())
}

/// The errors of a form whose page has none of the field kind (an import's errors are rows).
pub static NO_ERRORS: anze_core::FieldErrors = anze_core::FieldErrors(Vec::new());

/// Whether a form's or filter's current value is `value`, whatever their types (a filter holds
/// the text it was sent, an option's value may be an id or a code).
pub fn same(current: impl std::fmt::Display, value: impl std::fmt::Display) -> bool {
    current.to_string() == value.to_string()
}

/// Counts with thousands separators: 12,345.
pub fn count(n: impl Borrow<u64>) -> String {
    let s = n.borrow().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn pager_keeps_filters_and_escapes_them() {
        let page: Page<()> = Page {
            items: vec![],
            total: 95,
            total_capped: false,
            page: 3,
            size: 20,
        };
        let p = Pager::new(&page, Some("q=%3Cb%3E&page=3&size=20"));
        assert_eq!(p.pages, 5);
        assert_eq!(p.prev.as_deref(), Some("?q=%3Cb%3E&page=2&size=20"));
        assert_eq!(
            p.links.iter().map(|l| l.number).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
    }
}
