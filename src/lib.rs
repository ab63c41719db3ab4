//! anze: accident-prevention services of work-safety liability insurance (安责险).
//!
//! This crate wires configuration, storage and the web layer into one binary; the integration
//! tests build the application through the same functions as `anze serve`.

pub mod bench;
pub mod config;
pub mod demo;
pub mod integrity;
pub mod jobs;

use anyhow::Context;
use anze_core::Store;
use anze_core::attachment::BlobStore;
use anze_core::attachment::service::GcReport;
use anze_core::auth::password::NewPassword;
use anze_core::auth::session::SessionPolicy;
use anze_core::time::{Clock, SystemClock};
use anze_store::{Blobs, Db};
use anze_web::{AppState, WebConfig};
use axum::Router;
use rand::Rng;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use config::Config;

/// Connects to the configured database (creating the data directory for SQLite) and applies
/// pending migrations.
///
/// Migrations add indexes, and SQLite plans with an index well only once it has statistics
/// for it; gathering them locks out writers for a few seconds at province scale, so after an
/// upgrade that happens here, before any request is served.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = connect_database(config).await?;
    let applied = db.migrate().await.context("database migration failed")?;
    if applied > 0 {
        let started = std::time::Instant::now();
        db.refresh_statistics()
            .await
            .context("refreshing planner statistics after the migrations")?;
        tracing::info!(
            migrations = applied,
            seconds = started.elapsed().as_secs_f64(),
            "database upgraded"
        );
    }
    Ok(db)
}

/// Connects to the configured database (creating the data directory for SQLite) as it is,
/// without migrating: for `anze backup`, which must not change what it copies, and `anze
/// restore`, which brings the schema to the archive's version itself.
pub async fn connect_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let db = Db::connect(&url, config.db_pool_size())
        .await
        .context("database connection failed")?;
    Ok(db.with_integrity_rules(config.integrity_rules()?))
}

/// Opens the configured blob store (creating `<data_dir>/files` for the default local store).
pub fn open_blobs(config: &Config) -> anyhow::Result<Blobs> {
    let blob_config = config
        .blob_config()
        .context("invalid storage configuration")?;
    Blobs::open(&blob_config).context("cannot open the file storage")
}

/// What `anze storage gc` did.
#[derive(Debug, Default)]
pub struct StorageGc {
    pub orphans: GcReport,
    /// Unfinished local writes left by a crash.
    pub partial: Vec<String>,
}

/// `anze storage gc`: removes blobs that no attachment row references and that are older than
/// an hour (younger ones may belong to an upload whose record is still being saved), and
/// unfinished local writes as old.
pub async fn storage_gc(
    db: &Db,
    blobs: &Blobs,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<StorageGc> {
    let orphans = anze_core::attachment::service::collect_orphans(db, blobs, now)
        .await
        .context("collecting orphaned files failed")?;
    let cutoff =
        now - chrono::Duration::minutes(anze_core::attachment::service::ORPHAN_MIN_AGE_MINUTES);
    let partial = blobs
        .sweep_partial_writes(cutoff)
        .await
        .context("removing unfinished writes failed")?;
    Ok(StorageGc { orphans, partial })
}

/// A password that satisfies the policy: 16 letters and digits, at least one of each.
pub fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    loop {
        let p: String = (0..16)
            .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
            .collect();
        if NewPassword::parse(&p).is_ok() {
            return p;
        }
    }
}

/// On an empty database, creates the platform organization and `admin`. Returns the generated
/// password when none was configured, so the caller can show it once.
pub async fn bootstrap(db: &Db, config: &Config) -> anyhow::Result<Option<String>> {
    let (password, generated) = match &config.admin_password {
        Some(p) => (p.expose().to_string(), false),
        None => (generate_password(), true),
    };
    let password = NewPassword::parse(&password)
        .map_err(|m| anyhow::anyhow!("ANZE_ADMIN_PASSWORD is not acceptable: {m}"))?;
    let created =
        anze_core::org::service::bootstrap_platform(db, &password, chrono::Utc::now()).await?;
    Ok((created && generated).then(|| password.expose().to_string()))
}

pub fn web_config(config: &Config) -> WebConfig {
    WebConfig {
        secure_cookies: config.secure_cookies(),
        hsts: config.secure_cookies(),
        trust_proxy: config.trust_proxy,
        trusted_proxies: config.trusted_proxies.clone(),
        public_origin: config.public_origin(),
        session: SessionPolicy {
            idle: chrono::Duration::minutes(config.session_idle_minutes),
            absolute: chrono::Duration::hours(config.session_absolute_hours),
        },
        max_upload_bytes: config.max_upload_bytes(),
        api_requests_per_minute: config.api_requests_per_minute,
        pdf_font: anze_web::pdf::FontSource::locate(config.pdf_font.as_deref()).ok(),
        metrics: anze_web::MetricsAccess::new(
            config.metrics.allow.clone(),
            config.metrics.token.as_ref().map(|t| t.expose()),
        ),
        ..WebConfig::default()
    }
}

/// The whole HTTP application over a database and a blob store; `/metrics` reports the
/// database's connection pools.
pub fn app(db: Db, blobs: Arc<dyn BlobStore>, web: WebConfig, clock: Arc<dyn Clock>) -> Router {
    let pools = db.clone();
    let store: Arc<dyn Store> = Arc::new(db);
    anze_web::router(AppState::new(store, web, clock, blobs).with_pools(move || {
        pools
            .pool_status()
            .into_iter()
            .map(|p| anze_web::PoolSample {
                pool: p.name,
                size: p.size,
                idle: p.idle,
                max: p.max,
            })
            .collect()
    }))
}

/// How a server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every request in flight finished.
    Drained,
    /// The deadline passed with requests still in flight; their connections were closed.
    DeadlinePassed,
}

/// Serves until `shutdown` resolves; then accepts no more connections (the listener closes at
/// once, so new ones are refused) and lets the requests in flight finish for at most `grace`,
/// after which their connections are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> anyhow::Result<Stopped> {
    let signalled = tokio_util::sync::CancellationToken::new();
    let signal = signalled.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        signal.cancel();
    });
    // axum's graceful shutdown waits for every connection however long it takes; the deadline
    // ends the wait, and dropping the server future then drops the connections' watch, while
    // the tasks serving them end with the runtime.
    let deadline = async {
        signalled.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server.into_future() => {
            served.context("server failed")?;
            Ok(Stopped::Drained)
        }
        () = deadline => Ok(Stopped::DeadlinePassed),
    }
}

/// Keeps the database's planner statistics current as the data grows: at start, then hourly.
pub fn spawn_statistics_refresh(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = db.refresh_statistics().await {
                tracing::warn!(error = %e, "refreshing planner statistics failed");
            }
        }
    });
}

/// Removes sessions past their absolute lifetime and forgotten login failures, and folds the
/// hazard ledger's figures of deadlines that have passed, at start and then hourly (so a
/// server started on a loaded or restored database folds at once, whether or not it runs the
/// scheduled jobs). Every instance may run it.
pub fn spawn_hourly_upkeep(store: Arc<dyn Store>, policy: SessionPolicy) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let cutoff = SystemClock.now() - policy.absolute;
            match store.delete_sessions_before(cutoff).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session sweep failed"),
            }
            if let Err(e) = anze_core::auth::login::sweep(store.as_ref(), SystemClock.now()).await {
                tracing::warn!(error = %e, "login throttle sweep failed");
            }
            let started = std::time::Instant::now();
            match anze_core::hazard::service::fold_past_deadlines(store.as_ref(), SystemClock.now())
                .await
            {
                Ok(n) if n > 0 => tracing::info!(
                    rows = n,
                    seconds = started.elapsed().as_secs_f64(),
                    "hazard tallies of past deadlines folded"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "folding the hazard tallies failed"),
            }
        }
    });
}
