//! The server under test: the `anze serve` command of the given executable, as a child process
//! on a loopback port, so its memory is its own and can be read from `/proc/<pid>/status`.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts `exe serve` over `database_url`, with a configuration file of its own in `dir`
    /// (so neither a local `anze.toml` nor the caller's `ANZE_*` variables change what is
    /// measured), and waits until `/healthz` answers.
    pub async fn start(exe: &Path, database_url: &str, dir: &Path) -> anyhow::Result<Server> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let config = dir.join("bench-server.toml");
        std::fs::write(
            &config,
            format!(
                // Files up to 2 GiB, so that the large-upload measurement is accepted and
                // stored, not refused at the limit. No scheduled jobs: the table measures
                // requests, and the recount's own time is logged when the data set is made.
                // The API's per-token limit is lifted: a token under load is measured.
                "listen = \"127.0.0.1:{port}\"\ndata_dir = {:?}\ndatabase_url = {:?}\n\
                 max_upload_mb = 2048\njobs_interval_seconds = 0\n\
                 api_requests_per_minute = 100000000\n",
                dir.display().to_string(),
                database_url
            ),
        )?;
        let log = dir.join("bench-server.log");
        let log_file = std::fs::File::create(&log)?;
        let mut cmd = Command::new(exe);
        cmd.arg("--config").arg(&config).arg("serve");
        for (k, _) in std::env::vars() {
            if k.starts_with("ANZE_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "the server exited with {status} before it was ready; see {}",
                    self.log.display()
                );
            }
            if let Ok(res) = client.get(format!("{}/healthz", self.base)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("the server did not answer within 2 minutes");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmRSS, VmHWM) in KiB.
    pub fn memory(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Resets the peak RSS to the current RSS (Linux `clear_refs` 5), so the peak of one
    /// scenario can be read alone. False where the kernel does not allow it.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
