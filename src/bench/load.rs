//! Load clients: logged-in keep-alive HTTP clients that run one scenario at a fixed
//! concurrency, a warm-up first, then a fixed duration, and record every request's latency.

use anyhow::Context;
use reqwest::{Client, StatusCode, redirect};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Request = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// Makes the n-th request of a scenario.
pub type MakeRequest = Arc<dyn Fn(u64) -> Request + Send + Sync>;

/// A browser-like client: cookies kept, redirects not followed, connections kept alive.
pub fn client(concurrency: usize) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .pool_max_idle_per_host(concurrency.max(1))
        .tcp_nodelay(true)
        .build()
        .expect("an HTTP client without TLS builds")
}

pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Logs in as a user would: the login page for the CSRF cookie and token, then the form.
pub async fn login(
    base: &str,
    username: &str,
    password: &str,
    concurrency: usize,
) -> anyhow::Result<Client> {
    let c = client(concurrency);
    let html = c.get(format!("{base}/login")).send().await?.text().await?;
    let token = csrf_token(&html).context("no CSRF token on the login page")?;
    let res = c
        .post(format!("{base}/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        res.status() == StatusCode::SEE_OTHER,
        "login of {username} answered {}",
        res.status()
    );
    Ok(c)
}

/// A client of `/api/v1` acting for the logged-in admin `session`: makes an API 令牌 with every
/// permission the page offers, as an admin would on API 令牌, and sends it on every request.
pub async fn api_client(
    base: &str,
    session: &Client,
    name: &str,
    concurrency: usize,
) -> anyhow::Result<Client> {
    let html = session
        .get(format!("{base}/api-tokens"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_token(&html).context("no CSRF token on the API 令牌 page")?;
    let marker = "name=\"permissions\" value=\"";
    let permissions: Vec<&str> = html
        .match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect();
    let mut form = vec![("_csrf", token.as_str()), ("name", name), ("days", "30")];
    form.extend(permissions.iter().map(|p| ("permissions", *p)));
    let html = session
        .post(format!("{base}/api-tokens"))
        .form(&form)
        .send()
        .await?
        .text()
        .await?;
    let start = html
        .find("data-secret>")
        .context("the API 令牌 page showed no secret")?
        + "data-secret>".len();
    let secret = html
        .get(start..start + 69)
        .context("a secret is 69 characters")?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {secret}").parse()?,
    );
    Ok(Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(concurrency.max(1))
        .tcp_nodelay(true)
        .build()?)
}

/// The cursor `pages` pages of `limit` rows into an API list, for a scenario that reads deep.
pub async fn api_cursor(c: &Client, url: &str, limit: u32, pages: u32) -> anyhow::Result<String> {
    let mut cursor = String::new();
    for _ in 0..pages {
        let sep = if url.contains('?') { '&' } else { '?' };
        let mut next = format!("{url}{sep}limit={limit}");
        if !cursor.is_empty() {
            next.push_str(&format!("&cursor={cursor}"));
        }
        let body: serde_json::Value = c
            .get(&next)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    Ok(cursor)
}

/// The session's CSRF token, read from a page with a form.
pub async fn session_token(c: &Client, url: &str) -> anyhow::Result<String> {
    let html = c.get(url).send().await?.text().await?;
    csrf_token(&html).with_context(|| format!("no CSRF token on {url}"))
}

/// A GET that must answer 200 with its whole body read.
pub fn get(c: &Client, url: String) -> Request {
    let c = c.clone();
    Box::pin(async move {
        let res = c.get(&url).send().await.map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res.bytes().await.map_err(|e| e.to_string())?;
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(format!(
                "{status} from {url}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))
        }
    })
}

#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    /// Latencies of the measured requests, in microseconds, sorted.
    pub latencies: Vec<u32>,
}

impl Measured {
    pub fn throughput(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The q-quantile in milliseconds (nearest rank).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank =
            ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        f64::from(self.latencies[rank - 1]) / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies
            .last()
            .map_or(0.0, |v| f64::from(*v) / 1000.0)
    }
}

/// Runs `make` from `concurrency` tasks: requests started during `warmup` are not counted;
/// requests are started until `warmup + duration` has passed. `max_requests` bounds scenarios
/// that must not run forever (exports, uploads).
pub async fn run(
    make: MakeRequest,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    max_requests: Option<u64>,
) -> Measured {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let make = make.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut m = Measured::default();
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if max_requests.is_some_and(|max| n >= max) {
                    break;
                }
                let result = make(n).await;
                let elapsed = t0.elapsed();
                if t0 < measure_from && max_requests.is_none() {
                    continue;
                }
                m.requests += 1;
                m.latencies
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                if let Err(e) = result {
                    m.errors += 1;
                    m.first_error.get_or_insert(e);
                }
            }
            m
        }));
    }
    let mut all = Measured::default();
    for t in tasks {
        if let Ok(m) = t.await {
            all.requests += m.requests;
            all.errors += m.errors;
            if all.first_error.is_none() {
                all.first_error = m.first_error;
            }
            all.latencies.extend(m.latencies);
        }
    }
    let measured_from = if max_requests.is_some() {
        start
    } else {
        measure_from
    };
    all.seconds = measured_from.elapsed().as_secs_f64();
    all.latencies.sort_unstable();
    all
}
