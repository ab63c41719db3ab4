//! `/metrics`: Prometheus text for the operator's scraper.
//!
//! The code records through the `metrics` facade (`counter!`, `histogram!`), whose recorder is
//! process-wide and can be installed only once. [`handle`] installs it on first use and every
//! later call, from any router or test server in the process, gets the same handle; a thread of
//! its own drains histogram samples every few seconds, so an unscraped server does not gather
//! them without bound. Several servers in one process (the integration tests) therefore share
//! their counters: a test compares a value before and after its own requests, and other tests
//! only ever add to it.
//!
//! The page is not public: it answers only to the configured client addresses (loopback by
//! default) or to `Authorization: Bearer <token>` with the configured token, and everyone else
//! gets the site's ordinary 404 page, so it does not reveal that it exists. The address is the
//! TCP peer's, never `X-Forwarded-For`: behind a reverse proxy every request comes from the
//! proxy's address, and allowing that address would publish the page to the internet, so scrape
//! the instance directly or with the token.
//!
//! Every metric name and its meaning is listed in docs/operations.md.

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::PageError;
use crate::extract::origin::IpNet;

pub const HTTP_REQUESTS: &str = "anze_http_requests_total";
pub const HTTP_DURATION: &str = "anze_http_request_duration_seconds";
pub const UPLOAD_BYTES: &str = "anze_upload_bytes_total";
pub const UPLOAD_FILES: &str = "anze_upload_files_total";
pub const UPLOAD_FAILURES: &str = "anze_upload_failures_total";
pub const LOGIN_FAILURES: &str = "anze_login_failures_total";
pub const LOGIN_LOCKOUTS: &str = "anze_login_lockouts_total";
pub const POOL_CONNECTIONS: &str = "anze_db_pool_connections";
pub const POOL_MAX: &str = "anze_db_pool_max_connections";
/// Counted by the store, where the error surfaces; described here with the rest.
pub const POOL_ACQUIRE_TIMEOUTS: &str = "anze_db_pool_acquire_timeouts_total";
/// Counted by the job runner of the binary.
pub const JOB_RUNS: &str = "anze_job_runs_total";
pub const JOB_TICK_FAILURES: &str = "anze_job_tick_failures_total";

/// The route label of a request no route matched: raw paths never become labels, so a
/// scanner's thousands of paths cost one series.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the latency buckets, in seconds: list pages take milliseconds, uploads and
/// exports seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed by the first call. `None` when another
/// recorder was installed first (then nothing recorded here is rendered, and the page says so).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
                .and_then(|b| b.install_recorder());
            match installed {
                Ok(handle) => {
                    describe();
                    let upkeep = handle.clone();
                    let spawned = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(UPKEEP_EVERY);
                                upkeep.run_upkeep();
                            }
                        });
                    if let Err(e) = spawned {
                        // Rendering drains the samples too; only an unscraped server grows.
                        tracing::warn!(error = %e, "metrics upkeep thread did not start");
                    }
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed: /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// HELP lines, and a zero for every series without labels or with a fixed set of them, so a
/// dashboard sees 0 rather than no data before the first event.
fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time until the response started, by method, route template and status"
    );
    describe_counter!(
        UPLOAD_BYTES,
        metrics::Unit::Bytes,
        "Bytes of uploaded files received and stored"
    );
    describe_counter!(UPLOAD_FILES, "Uploaded files received and stored");
    describe_counter!(
        UPLOAD_FAILURES,
        "Upload requests refused or failed while their files were received, by reason"
    );
    describe_counter!(
        LOGIN_FAILURES,
        "Login attempts refused, by reason: invalid_credentials, locked (refused during a \
         lock), disabled"
    );
    describe_counter!(
        LOGIN_LOCKOUTS,
        "Locks of a (username, address) pair begun by a wrong password"
    );
    describe_gauge!(
        POOL_CONNECTIONS,
        "Database connections open at the last scrape, by pool and state (in_use, idle)"
    );
    describe_gauge!(POOL_MAX, "Largest number of connections a pool opens");
    describe_counter!(
        POOL_ACQUIRE_TIMEOUTS,
        "Requests for a database connection that waited the whole acquire timeout and failed"
    );
    describe_counter!(
        JOB_RUNS,
        "Background job runs performed, by kind and outcome (done, retry, failed)"
    );
    describe_counter!(
        JOB_TICK_FAILURES,
        "Job runner ticks that failed before or between runs (the database did not answer)"
    );
    counter!(UPLOAD_BYTES).absolute(0);
    counter!(UPLOAD_FILES).absolute(0);
    counter!(LOGIN_LOCKOUTS).absolute(0);
    counter!(POOL_ACQUIRE_TIMEOUTS).absolute(0);
    counter!(JOB_TICK_FAILURES).absolute(0);
    for reason in LoginFailureReason::ALL {
        counter!(LOGIN_FAILURES, "reason" => reason.label()).absolute(0);
    }
    for reason in UploadFailureReason::ALL {
        counter!(UPLOAD_FAILURES, "reason" => reason.label()).absolute(0);
    }
}

/// Why a login was refused, as the `reason` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailureReason {
    /// Unknown username or wrong password, also the one that begins a lock.
    InvalidCredentials,
    /// Refused unchecked while the (username, address) pair is locked.
    Locked,
    /// The right password of a disabled account or of an account of a disabled organization.
    Disabled,
}

impl LoginFailureReason {
    const ALL: [LoginFailureReason; 3] = [
        LoginFailureReason::InvalidCredentials,
        LoginFailureReason::Locked,
        LoginFailureReason::Disabled,
    ];

    fn label(self) -> &'static str {
        match self {
            LoginFailureReason::InvalidCredentials => "invalid_credentials",
            LoginFailureReason::Locked => "locked",
            LoginFailureReason::Disabled => "disabled",
        }
    }
}

pub fn login_failed(reason: LoginFailureReason, lock_started: bool) {
    counter!(LOGIN_FAILURES, "reason" => reason.label()).increment(1);
    if lock_started {
        counter!(LOGIN_LOCKOUTS).increment(1);
    }
}

/// Why an upload failed, as the `reason` label says it (the kinds of `UploadError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadFailureReason {
    TooLarge,
    Refused,
    Malformed,
    Storage,
}

impl UploadFailureReason {
    const ALL: [UploadFailureReason; 4] = [
        UploadFailureReason::TooLarge,
        UploadFailureReason::Refused,
        UploadFailureReason::Malformed,
        UploadFailureReason::Storage,
    ];

    fn label(self) -> &'static str {
        match self {
            UploadFailureReason::TooLarge => "too_large",
            UploadFailureReason::Refused => "refused",
            UploadFailureReason::Malformed => "malformed",
            UploadFailureReason::Storage => "storage",
        }
    }
}

pub fn upload_received(files: u64, bytes: u64) {
    counter!(UPLOAD_FILES).increment(files);
    counter!(UPLOAD_BYTES).increment(bytes);
}

pub fn upload_failed(reason: UploadFailureReason) {
    counter!(UPLOAD_FAILURES, "reason" => reason.label()).increment(1);
}

/// One connection pool as sampled at a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSample {
    /// `main`, or `writer` for SQLite's single write connection.
    pub pool: &'static str,
    /// Connections open, in use or idle.
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

fn record_pools(pools: &[PoolSample]) {
    for p in pools {
        let in_use = p.size.saturating_sub(p.idle);
        gauge!(POOL_CONNECTIONS, "pool" => p.pool, "state" => "in_use").set(in_use);
        gauge!(POOL_CONNECTIONS, "pool" => p.pool, "state" => "idle").set(p.idle);
        gauge!(POOL_MAX, "pool" => p.pool).set(p.max);
    }
}

/// Who may read `/metrics`.
#[derive(Clone)]
pub struct MetricsAccess {
    /// Client addresses (of the TCP peer) let in without a token.
    pub allow: Vec<IpNet>,
    /// SHA-256 of the bearer token that lets any address in; hashed so that comparing takes
    /// the same time whatever the presented token's length.
    token: Option<[u8; 32]>,
}

impl MetricsAccess {
    /// An empty or absent token lets nobody in by token.
    pub fn new(allow: Vec<IpNet>, token: Option<&str>) -> Self {
        Self {
            allow,
            token: token.filter(|t| !t.is_empty()).map(digest),
        }
    }

    /// Whether a request from `peer` with this `Authorization` header may read the page.
    pub fn allows(&self, peer: Option<IpAddr>, authorization: Option<&HeaderValue>) -> bool {
        if peer.is_some_and(|ip| self.allow.iter().any(|net| net.contains(ip))) {
            return true;
        }
        let (Some(expected), Some(presented)) = (&self.token, bearer(authorization)) else {
            return false;
        };
        bool::from(digest(presented).ct_eq(expected))
    }
}

impl Default for MetricsAccess {
    /// Loopback only, no token.
    fn default() -> Self {
        Self::new(IpNet::loopback(), None)
    }
}

impl fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("allow", &self.allow)
            .field("token", &self.token.map(|_| "***"))
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, as RFC 9110 says).
fn bearer(value: Option<&HeaderValue>) -> Option<&str> {
    let value = value?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `GET /metrics`. Refused callers get the same 404 page as a path that does not exist.
pub async fn page(State(state): State<AppState>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip());
    if !state
        .config
        .metrics
        .allows(peer, req.headers().get(header::AUTHORIZATION))
    {
        tracing::info!(?peer, "metrics refused");
        return PageError::NotFound.into_response();
    }
    let Some(handle) = handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response();
    };
    if let Some(sample) = &state.pools {
        record_pools(&sample());
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// Counts every request and its time to the response head, labelled with the route template
/// (`/orders/{id}`), never the raw path.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_string(), |p| p.as_str().to_string());
    let method = method_label(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    res
}

/// Methods outside the standard set (any token is a valid method) share one label.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: &str) -> HeaderValue {
        HeaderValue::from_str(v).unwrap()
    }

    #[test]
    fn loopback_is_let_in_by_default_and_nobody_else() {
        let a = MetricsAccess::default();
        assert!(a.allows(Some("127.0.0.1".parse().unwrap()), None));
        assert!(a.allows(Some("::1".parse().unwrap()), None));
        assert!(a.allows(Some("::ffff:127.0.0.1".parse().unwrap()), None));
        assert!(!a.allows(Some("10.0.0.5".parse().unwrap()), None));
        assert!(!a.allows(None, None));
        assert!(
            !a.allows(
                Some("10.0.0.5".parse().unwrap()),
                Some(&auth("Bearer anything"))
            ),
            "no token configured: no token lets in"
        );
    }

    #[test]
    fn the_configured_token_lets_in_from_anywhere() {
        let a = MetricsAccess::new(vec![], Some("s3cret-token"));
        let far = Some("203.0.113.7".parse().unwrap());
        assert!(a.allows(far, Some(&auth("Bearer s3cret-token"))));
        assert!(a.allows(far, Some(&auth("bearer  s3cret-token"))));
        assert!(!a.allows(far, Some(&auth("Bearer s3cret-toke"))));
        assert!(!a.allows(far, Some(&auth("Bearer "))));
        assert!(!a.allows(far, Some(&auth("Basic s3cret-token"))));
        assert!(!a.allows(far, Some(&auth("s3cret-token"))));
        assert!(!a.allows(far, None));
        assert!(
            !a.allows(Some("127.0.0.1".parse().unwrap()), None),
            "an empty list lets no address in"
        );
        assert!(!format!("{a:?}").contains("s3cret"));
        let empty = MetricsAccess::new(vec![], Some(""));
        assert!(!empty.allows(far, Some(&auth("Bearer "))));
    }
}
