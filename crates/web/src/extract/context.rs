//! The one middleware every request passes: it assigns a request id, resolves the session,
//! enforces CSRF on state-changing requests and adds security headers to every response.

use anze_core::auth::Actor;
use anze_core::auth::session::{self, SessionRecord};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use rand::RngCore;
use std::net::SocketAddr;

use super::origin::{client_ip, is_cross_site};
use crate::error::PageError;
use crate::view::Flash;
use crate::{AppState, WebConfig};

pub const SESSION_COOKIE: &str = "anze_session";
/// Double-submit token for forms shown before login.
pub const PRE_CSRF_COOKIE: &str = "anze_csrf";
pub const FLASH_COOKIE: &str = "anze_flash";

tokio::task_local! {
    /// The current request's id, for error pages and logs.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

#[derive(Clone)]
pub struct Authed {
    pub actor: Actor,
    pub session: SessionRecord,
}

/// What the middleware learned about the request, for extractors and handlers.
#[derive(Clone)]
pub struct RequestContext {
    pub ip: String,
    pub user_agent: String,
    pub auth: Option<Authed>,
    pub flash: Option<Flash>,
    pub pre_csrf: Option<String>,
}

pub use anze_core::auth::session::{new_token as random_token, token_hash as hash_token};

fn request_ip(req: &Request, config: &WebConfig) -> String {
    client_ip_of(req.headers(), req.extensions(), config)
}

/// The client's address from the connection, or from `X-Forwarded-For` behind a trusted proxy.
pub(crate) fn client_ip_of(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    config: &WebConfig,
) -> String {
    let Some(peer) = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
    else {
        return "unknown".into();
    };
    let forwarded = config
        .trust_proxy
        .then(|| {
            // Several headers are one list, in order.
            let all: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!all.is_empty()).then(|| all.join(","))
        })
        .flatten();
    client_ip(peer, forwarded.as_deref(), &config.trusted_proxies).to_string()
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timing.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let request_id = {
        let mut bytes = [0u8; 8];
        rand::rng().fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let hsts = state.config.hsts;
    REQUEST_ID
        .scope(request_id.clone(), async move {
            let is_static = req.uri().path().starts_with("/static/");
            let mut res = match handle(state, req, next).await {
                Ok(res) => res,
                Err(e) => e.into_response(),
            };
            secure_headers(res.headers_mut(), is_static, hsts);
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert("x-request-id", v);
            }
            res
        })
        .await
}

async fn handle(state: AppState, mut req: Request, next: Next) -> Result<Response, PageError> {
    let jar = CookieJar::from_headers(req.headers());
    let ip = request_ip(&req, &state.config);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(255)
        .collect::<String>();
    let now = state.clock.now();
    let auth = match jar.get(SESSION_COOKIE) {
        Some(c) if c.value().len() == 64 => session::resolve(
            state.store(),
            &state.config.session,
            &hash_token(c.value()),
            &ip,
            now,
        )
        .await?
        .map(|(actor, session)| Authed { actor, session }),
        _ => None,
    };
    let flash = jar
        .get(FLASH_COOKIE)
        .and_then(|c| Flash::from_code(c.value()));
    let pre_csrf = jar
        .get(PRE_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64);

    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        // The token proves the form came from us; the origin headers stop a page of another
        // site that somehow holds one (and cost nothing to check).
        if is_cross_site(req.headers(), state.config.public_origin.as_ref()) {
            tracing::info!(
                origin = ?req.headers().get(header::ORIGIN),
                fetch_site = ?req.headers().get("sec-fetch-site"),
                "cross-site request refused"
            );
            return Err(PageError::CrossSite);
        }
        let expected = auth
            .as_ref()
            .map(|a| a.session.csrf_token.clone())
            .or_else(|| pre_csrf.clone());
        let (provided, rebuilt) = provided_token(req, state.config.max_form_bytes).await?;
        req = rebuilt;
        match (expected, provided) {
            (Some(e), Some(p)) if same_token(&e, &p) => {}
            _ => return Err(PageError::StaleForm),
        }
    }

    let had_flash = flash.is_some();
    req.extensions_mut().insert(RequestContext {
        ip,
        user_agent,
        auth,
        flash,
        pre_csrf,
    });
    let mut res = next.run(req).await;
    if had_flash && res.status().is_success() {
        res.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("anze_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    Ok(res)
}

/// Reads the CSRF token from the header, the query string, or an urlencoded body (which is
/// buffered, within the form size limit, and put back for the handler).
async fn provided_token(
    req: Request,
    limit: usize,
) -> Result<(Option<String>, Request), PageError> {
    provided_value(req, limit, "x-csrf-token", "_csrf").await
}

/// A token a request carries in `header`, the query parameter `field`, or the field `field`
/// of an urlencoded body (buffered within `limit` and put back for the handler). Multipart
/// bodies are never read here: their forms put tokens in the URL.
pub(crate) async fn provided_value(
    req: Request,
    limit: usize,
    header: &str,
    field: &str,
) -> Result<(Option<String>, Request), PageError> {
    let in_pairs =
        |pairs: Vec<(String, String)>| pairs.into_iter().find(|(k, _)| k == field).map(|(_, v)| v);
    if let Some(v) = req.headers().get(header).and_then(|v| v.to_str().ok()) {
        let v = v.to_string();
        return Ok((Some(v), req));
    }
    if let Some(v) = req
        .uri()
        .query()
        .and_then(|q| serde_html_form::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(in_pairs)
    {
        return Ok((Some(v), req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| PageError::TooLarge)?;
    let value = serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(in_pairs);
    Ok((value, Request::from_parts(parts, Body::from(bytes))))
}

fn secure_headers(h: &mut HeaderMap, is_static: bool, hsts: bool) {
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    // A handler may set its own policy: served files need one that lets PDFs display.
    if !h.contains_key("content-security-policy") {
        set(
            h,
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
    }
    set(h, "x-content-type-options", "nosniff");
    if !h.contains_key("x-frame-options") {
        set(h, "x-frame-options", "DENY");
    }
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    if hsts {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
}
