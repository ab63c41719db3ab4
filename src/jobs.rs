//! The job runner inside `anze serve`: every tick it enqueues the current slot of each
//! scheduled kind, then claims and runs due runs one at a time until none is left. Every
//! instance runs one; the `(kind, key)` unique key and the `FOR UPDATE SKIP LOCKED` claim (see
//! `anze_core::job` and the store) make each run execute on one instance.
//!
//! Adding a kind of work: a variant of `anze_core::job::JobKind` (code, label, schedule,
//! attempts) and an arm in [`Runner::perform`] calling one async function that returns
//! `Ok(())` or the error to record. A run that fails is retried with back-off, and a run whose
//! instance died is claimed again after its lease, so the function must be safe to repeat
//! (the reminders are, through their dedupe keys).

use anze_core::Store;
use anze_core::job::{self, JobKind, JobRun, RunOutcome};
use anze_core::time::Clock;
use anze_core::webhook::{self, Payload};
use anze_core::{dashboard, notify};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs one tick claims at most, so a backlog cannot hold a tick (and shutdown) for long.
const MAX_RUNS_PER_TICK: u32 = 100;
/// How long a webhook receiver may take to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Scheduled runs this instance inserted (0 when another instance was first).
    pub enqueued: u32,
    pub done: u32,
    pub retried: u32,
    pub failed: u32,
}

impl TickReport {
    pub fn ran(&self) -> u32 {
        self.done + self.retried + self.failed
    }
}

pub struct Runner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    /// This instance's name in `job_runs.locked_by`: host, process and a random suffix, so two
    /// instances on one host differ.
    worker: String,
    /// The kinds this runner enqueues and runs: all of them, unless narrowed with `only`.
    kinds: Vec<JobKind>,
    /// Cancelled at shutdown: the run in progress finishes, no further one is claimed.
    stop: CancellationToken,
}

impl Runner {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "anze".into());
        let worker = format!(
            "{host}-{}-{:04x}",
            std::process::id(),
            rand::random::<u16>()
        );
        let http = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("anze/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            clock,
            http,
            worker,
            kinds: JobKind::ALL.to_vec(),
            stop: CancellationToken::new(),
        })
    }

    /// A runner of these kinds only: a test of one job leaves the others' slots alone.
    pub fn only(mut self, kinds: &[JobKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// A runner that claims no further run once `stop` is cancelled ([`Runner::run`] sets it).
    pub fn stopping_on(mut self, stop: CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Enqueues due slots, then runs due runs until none is left (or the per-tick cap).
    pub async fn tick(&self) -> anyhow::Result<TickReport> {
        let mut report = TickReport {
            enqueued: job::service::enqueue_due(self.store.as_ref(), self.clock.now(), &self.kinds)
                .await?,
            ..TickReport::default()
        };
        while report.ran() < MAX_RUNS_PER_TICK && !self.stop.is_cancelled() {
            let Some(run) = job::service::claim(
                self.store.as_ref(),
                &self.worker,
                self.clock.now(),
                &self.kinds,
            )
            .await?
            else {
                break;
            };
            let result = self.perform(&run).await;
            if let Err(e) = &result {
                tracing::warn!(job = run.kind.code(), key = %run.key, attempt = run.attempts, error = %e, "job failed");
            }
            let outcome = job::service::finish(
                self.store.as_ref(),
                &run,
                &self.worker,
                result,
                self.clock.now(),
            )
            .await?;
            let counted = match outcome {
                RunOutcome::Done { .. } => {
                    report.done += 1;
                    "done"
                }
                RunOutcome::Retry { .. } => {
                    report.retried += 1;
                    "retry"
                }
                RunOutcome::GiveUp { .. } => {
                    report.failed += 1;
                    "failed"
                }
            };
            metrics::counter!(
                anze_web::metrics::JOB_RUNS,
                "kind" => run.kind.code(),
                "outcome" => counted
            )
            .increment(1);
        }
        Ok(report)
    }

    /// The extension point: what each kind does.
    async fn perform(&self, run: &JobRun) -> Result<(), String> {
        match run.kind {
            JobKind::Reminders => {
                let n = notify::service::run_reminders(self.store.as_ref(), self.clock.now())
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(notifications = n, "deadline reminders written");
                Ok(())
            }
            JobKind::WebhookDelivery => self.deliver(run).await,
            JobKind::DashboardRecent => {
                let months =
                    dashboard::service::refresh_recent(self.store.as_ref(), self.clock.now())
                        .await
                        .map_err(|e| e.to_string())?;
                tracing::debug!(months = months.len(), "dashboard facts recounted");
                Ok(())
            }
            JobKind::DashboardNightly => {
                let months =
                    dashboard::service::refresh_window(self.store.as_ref(), self.clock.now())
                        .await
                        .map_err(|e| e.to_string())?;
                tracing::info!(months, "dashboard facts of the trend window recounted");
                Ok(())
            }
            JobKind::Housekeeping => {
                let keys =
                    anze_core::submission::service::prune(self.store.as_ref(), self.clock.now())
                        .await
                        .map_err(|e| e.to_string())?;
                let calls = anze_core::api_token::service::prune_calls(
                    self.store.as_ref(),
                    self.clock.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
                tracing::info!(
                    keys,
                    calls,
                    "expired one-time form keys and API calls removed"
                );
                Ok(())
            }
        }
    }

    /// Posts one notification to its organization's webhook. A webhook removed or switched off
    /// since the run was queued ends the run without sending.
    async fn deliver(&self, run: &JobRun) -> Result<(), String> {
        let id = run
            .payload
            .as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or("投递记录缺少消息编号")?;
        // Gone with its object (a deleted record): nothing to tell.
        let Some(notice) = self.store.get_notice(id).await.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let hook = match self
            .store
            .get_webhook(notice.org_id)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(h) if h.enabled => h,
            _ => return Ok(()),
        };
        let body = serde_json::to_vec(&Payload::of(&notice)).map_err(|e| e.to_string())?;
        let res = self
            .http
            .post(&hook.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .header(
                webhook::SIGNATURE_HEADER,
                webhook::signature(&hook.secret, &body),
            )
            .header(webhook::EVENT_HEADER, notice.kind.code())
            .header(webhook::DELIVERY_HEADER, notice.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| format!("推送失败:{}", without_url(&e)))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("接收方返回 HTTP {}", res.status().as_u16()))
        }
    }

    /// Ticks every `interval` until `stop` is cancelled; the run in progress finishes first
    /// and no further run is claimed, even within the tick.
    pub async fn run(mut self, interval: Duration, stop: CancellationToken) {
        self.stop = stop.clone();
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            match self.tick().await {
                Ok(r) if r.ran() > 0 || r.enqueued > 0 => {
                    tracing::debug!(?r, worker = %self.worker, "job tick")
                }
                Ok(_) => {}
                Err(e) => {
                    metrics::counter!(anze_web::metrics::JOB_TICK_FAILURES).increment(1);
                    tracing::warn!(error = %e, "job tick failed")
                }
            }
        }
        tracing::info!(worker = %self.worker, "job runner stopped");
    }
}

/// The error's text without the URL, which may carry a token in its query.
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(url) = e.url() {
        msg = msg.replace(url.as_str(), "<url>");
    }
    if e.is_timeout() {
        "接收方响应超时".into()
    } else if e.is_connect() {
        format!("无法连接接收方({msg})")
    } else {
        msg
    }
}

/// Starts the runner on its own task; cancel `stop` and await the handle to shut down.
pub fn spawn(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    interval: Duration,
    stop: CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let runner = Runner::new(store, clock)?;
    tracing::info!(worker = %runner.worker(), every_secs = interval.as_secs(), "job runner started");
    Ok(tokio::spawn(runner.run(interval, stop)))
}
