//! The result table, as Markdown for people and JSON for comparing runs; and the large upload,
//! which is measured for memory rather than speed.

use serde::Serialize;
use std::path::Path;
use std::time::Instant;

use super::server::Server;
use super::{BenchOptions, Dataset, Target};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub role: String,
    pub path: String,
    pub target: Target,
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    /// Requests per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Throughput as a fraction of `/healthz` in the same run.
    pub ceiling_fraction: Option<f64>,
    pub rss_before_kib: Option<u64>,
    /// Peak RSS of the server during this scenario alone.
    pub peak_rss_kib: Option<u64>,
    pub first_error: Option<String>,
}

impl Row {
    /// Whether the row meets its target; `None` when it has none.
    pub fn met(&self) -> Option<bool> {
        let ok = self.errors == 0;
        match self.target {
            Target::List => {
                Some(ok && self.p99_ms <= 10.0 && self.ceiling_fraction.is_none_or(|f| f >= 0.15))
            }
            Target::Home => Some(ok && self.p99_ms <= 20.0),
            Target::Aggregate => Some(ok && self.p99_ms <= 50.0),
            Target::Dashboard => Some(ok && self.p99_ms <= 100.0),
            Target::Ceiling | Target::None => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub bytes: u64,
    pub route: String,
    pub outcome: String,
    pub seconds: f64,
    pub rss_before_kib: u64,
    pub peak_rss_kib: u64,
    /// Peak during the upload minus RSS before it.
    pub extra_rss_kib: u64,
}

/// `anze integrity backfill` over stored phone photos.
#[derive(Debug, Clone, Serialize)]
pub struct Backfill {
    pub photos: u64,
    pub bytes: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_kib: u64,
}

impl Machine {
    fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model: cpuinfo
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            memory_kib: meminfo
                .lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub machine: Machine,
    pub backend: String,
    pub scale: String,
    pub dataset: Dataset,
    pub concurrency: usize,
    pub warmup_secs: f64,
    pub duration_secs: f64,
    pub rows: Vec<Row>,
    pub server_peak_rss_kib: Option<u64>,
    pub upload: Option<Upload>,
    pub backfill: Option<Backfill>,
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

impl Report {
    pub fn new(opts: &BenchOptions, backend: &str, dataset: &Dataset) -> Self {
        Report {
            started_at: chrono::Utc::now().to_rfc3339(),
            machine: Machine::read(),
            backend: backend.into(),
            scale: opts.scale_name.clone(),
            dataset: dataset.clone(),
            concurrency: opts.concurrency,
            warmup_secs: opts.warmup.as_secs_f64(),
            duration_secs: opts.duration.as_secs_f64(),
            rows: Vec::new(),
            server_peak_rss_kib: None,
            upload: None,
            backfill: None,
        }
    }

    pub fn push(&mut self, mut row: Row) {
        let ceiling = self
            .rows
            .iter()
            .find(|r| r.target == Target::Ceiling)
            .map(|r| r.throughput);
        if row.target != Target::Ceiling {
            row.ceiling_fraction = ceiling.filter(|c| *c > 0.0).map(|c| row.throughput / c);
        }
        self.server_peak_rss_kib = self.server_peak_rss_kib.max(row.peak_rss_kib);
        self.rows.push(row);
    }

    /// Scenarios that had errors, by name.
    pub fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.errors > 0 || r.requests == 0)
            .map(|r| {
                format!(
                    "{} ({}): {} errors of {} requests; first: {}",
                    r.scenario,
                    r.role,
                    r.errors,
                    r.requests,
                    r.first_error.as_deref().unwrap_or("no request completed")
                )
            })
            .collect()
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        s.push_str(&format!(
            "Backend {}, scale {} ({} orders, {} records, {} hazards requested); machine: {} CPUs ({}), {:.1} GiB memory; \
             {} concurrent clients, {:.0} s warm-up + {:.0} s measured per scenario; generation took {:.0} s.\n\n",
            self.backend,
            self.scale,
            self.dataset.scale.orders,
            self.dataset.scale.records,
            self.dataset.scale.hazards,
            m.cpus,
            m.cpu_model,
            m.memory_kib as f64 / 1024.0 / 1024.0,
            self.concurrency,
            self.warmup_secs,
            self.duration_secs,
            self.dataset.generated_in_secs,
        ));
        s.push_str("Rows generated: ");
        s.push_str(
            &self
                .dataset
                .rows
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        s.push_str("\n\n");
        s.push_str("| scenario | role | requests | req/s | p50 ms | p99 ms | max ms | of ceiling | errors | peak RSS MiB | target |\n");
        s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for r in &self.rows {
            let target = match (r.target, r.met()) {
                (Target::Ceiling, _) => "ceiling".to_string(),
                (Target::List, Some(true)) => "met (p99 ≤ 10 ms, ≥ 15%)".into(),
                (Target::List, _) => "**missed** (p99 ≤ 10 ms, ≥ 15%)".into(),
                (Target::Home, Some(true)) => "met (p99 ≤ 20 ms)".into(),
                (Target::Home, _) => "**missed** (p99 ≤ 20 ms)".into(),
                (Target::Aggregate, Some(true)) => "met (p99 ≤ 50 ms)".into(),
                (Target::Aggregate, _) => "**missed** (p99 ≤ 50 ms)".into(),
                (Target::Dashboard, Some(true)) => "met (p99 ≤ 100 ms)".into(),
                (Target::Dashboard, _) => "**missed** (p99 ≤ 100 ms)".into(),
                (Target::None, _) => "-".into(),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} |\n",
                r.scenario,
                r.role,
                r.requests,
                r.throughput,
                r.p50_ms,
                r.p99_ms,
                r.max_ms,
                r.ceiling_fraction
                    .map_or("-".into(), |f| format!("{:.0}%", f * 100.0)),
                r.errors,
                mib(r.peak_rss_kib),
                target,
            ));
        }
        s.push_str(&format!(
            "\nServer peak RSS over the run: {} MiB.\n",
            mib(self.server_peak_rss_kib)
        ));
        if let Some(u) = &self.upload {
            s.push_str(&format!(
                "\nLarge upload: {} MiB to `{}`: {} in {:.1} s; RSS before {} MiB, peak {} MiB, extra {} MiB.\n",
                u.bytes / (1024 * 1024),
                u.route,
                u.outcome,
                u.seconds,
                mib(Some(u.rss_before_kib)),
                mib(Some(u.peak_rss_kib)),
                mib(Some(u.extra_rss_kib)),
            ));
        }
        if let Some(b) = &self.backfill {
            s.push_str(&format!(
                "\nFingerprint backfill: {} photos ({:.0} MiB, 4032×3024 JPEG) in {:.1} s: {:.1} photos/s, {:.1} MiB/s.\n",
                b.photos,
                b.bytes as f64 / 1_048_576.0,
                b.seconds,
                b.photos as f64 / b.seconds.max(1e-9),
                b.bytes as f64 / 1_048_576.0 / b.seconds.max(1e-9),
            ));
        }
        let failures = self.failures();
        if !failures.is_empty() {
            s.push_str("\nErrors:\n");
            for f in failures {
                s.push_str(&format!("- {f}\n"));
            }
        }
        s
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::write(dir.join("report.md"), self.markdown())?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}

/// Posts a multipart form with one file of `bytes` to the record create route, streamed from
/// the client without holding it, and reads how much the server's memory grew.
pub async fn upload(
    server: &Server,
    client: &reqwest::Client,
    base: &str,
    order: i64,
    staff: &str,
    bytes: u64,
) -> anyhow::Result<Upload> {
    use tokio::io::AsyncReadExt;
    let token =
        super::load::session_token(client, &format!("{base}/orders/{order}/training/new")).await?;
    let route = format!("/orders/{order}/training");
    let boundary = "anzebench7d1f0c9b2e";
    let mut head = String::new();
    for (k, v) in [
        (
            "service_date",
            anze_core::time::today(chrono::Utc::now()).to_string(),
        ),
        ("location", "生产车间".to_string()),
        ("staff_ids", staff.to_string()),
        ("enterprise_contact", "安全主任".to_string()),
        ("summary", "大文件上传测试".to_string()),
        ("topic", "大文件上传测试".to_string()),
        ("audience", "manager".to_string()),
        ("mode", "offline".to_string()),
        ("hours", "2".to_string()),
        ("participants", "30".to_string()),
        ("trainer", "张工".to_string()),
    ] {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    // A PDF as the training's 课件: checked by its content like any upload, then stored.
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"courseware\"; filename=\"large.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ));
    let tail = format!("\n%%EOF\n\r\n--{boundary}--\r\n");
    let length = head.len() as u64 + bytes + tail.len() as u64;
    let reader = std::io::Cursor::new(head.into_bytes())
        .chain(tokio::io::repeat(0x5A).take(bytes))
        .chain(std::io::Cursor::new(tail.into_bytes()));
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
        reader,
        64 * 1024,
    ));
    server.reset_peak();
    let (rss_before, _) = server.memory().unwrap_or((0, 0));
    let started = Instant::now();
    let result = client
        .post(format!("{base}{route}?_csrf={token}"))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(reqwest::header::CONTENT_LENGTH, length)
        .body(body)
        .send()
        .await;
    let outcome = match result {
        Ok(res) => {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let title = text
                .split("<title>")
                .nth(1)
                .and_then(|t| t.split("</title>").next())
                .unwrap_or("")
                .to_string();
            format!("answered {status} {title}")
        }
        Err(e) => format!("connection ended by the server: {e}"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let (_, peak) = server.memory().unwrap_or((0, 0));
    Ok(Upload {
        bytes,
        route: format!("POST {route}"),
        outcome,
        seconds,
        rss_before_kib: rss_before,
        peak_rss_kib: peak,
        extra_rss_kib: peak.saturating_sub(rss_before),
    })
}
