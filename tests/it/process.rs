//! Real processes for the tests that need them: `anze serve` (the binary this package builds)
//! over a `TestApp`'s database, and nginx in front of one or more of them. Both are killed if a
//! test fails before it stops them.

use reqwest::StatusCode;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{ADMIN_PASSWORD, TestApp};

/// A port nobody listens on now, for a process that must come back on the same address after
/// a restart (an upstream of nginx, or a client's base URL).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to start one `anze serve`; kept by the `Server` so a killed one restarts the same way.
#[derive(Clone)]
pub struct Launch {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Launch {
    /// An instance named `name` (its working directory and logs under the app's data directory)
    /// on the app's database, its files in the app's data directory, listening on a free port
    /// of its choosing, logging JSON lines.
    pub fn new(app: &TestApp, name: &str) -> Launch {
        let dir = app.data_dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let env = [
            ("ANZE_DATABASE_URL", app.database_url.as_str()),
            ("ANZE_DATA_DIR", app.data_dir.to_str().unwrap()),
            ("ANZE_LISTEN", "127.0.0.1:0"),
            ("ANZE_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ANZE_JOBS_INTERVAL_SECONDS", "1"),
            ("ANZE_DB_MAX_CONNECTIONS", "3"),
            ("RUST_LOG", "info,sqlx=warn,sea_orm=warn"),
            ("ANZE_LOG_FORMAT", "json"),
        ];
        Launch {
            dir,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Sets (or replaces) one variable.
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Launch {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// Listens on this port of 127.0.0.1, also after a restart.
    pub fn port(self, port: u16) -> Launch {
        self.env("ANZE_LISTEN", format!("127.0.0.1:{port}"))
    }

    /// Starts it and waits until it serves.
    pub async fn start(self) -> Server {
        let mut server = Server {
            child: None,
            log: PathBuf::new(),
            addr: "127.0.0.1:1".parse().unwrap(),
            starts: 0,
            launch: self,
        };
        server.spawn().await;
        server
    }
}

/// An `anze serve` process.
pub struct Server {
    child: Option<Child>,
    log: PathBuf,
    pub addr: SocketAddr,
    starts: u32,
    launch: Launch,
}

impl Server {
    async fn spawn(&mut self) {
        self.starts += 1;
        // One log per start: what a killed process wrote stays readable.
        self.log = self.launch.dir.join(format!("serve-{}.log", self.starts));
        let out = std::fs::File::create(&self.log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_anze"));
        command
            .arg("serve")
            .current_dir(&self.launch.dir)
            // Nothing of the developer's own configuration.
            .env_remove("ANZE_CONFIG")
            .env_remove("ANZE_STORAGE_URL")
            .env_remove("ANZE_PUBLIC_URL")
            .envs(self.launch.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        self.child = Some(command.spawn().unwrap());
        let started = Instant::now();
        self.addr = loop {
            if let Some(addr) = self.ready_address() {
                break addr;
            }
            assert!(self.exited().is_none(), "exited at start: {}", self.log());
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not ready: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
    }

    /// What this start has written.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `message` of each JSON log line of this start.
    pub fn messages(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["fields"]["message"].as_str().map(str::to_string))
            .collect()
    }

    /// From "anze is ready: open http://127.0.0.1:PORT/".
    fn ready_address(&self) -> Option<SocketAddr> {
        self.messages().iter().find_map(|m| {
            let rest = m.split_once("anze is ready: open http://")?.1;
            rest.split('/').next()?.parse().ok()
        })
    }

    /// The name its job runner claims runs under, once the runner has started.
    pub fn worker(&self) -> Option<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("job runner started"))
            .find_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                v["fields"]["worker"].as_str().map(str::to_string)
            })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().unwrap()
    }

    /// SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        let child = self.child.as_ref().expect("running");
        assert!(signal(child, "TERM"), "SIGTERM not sent");
    }

    /// SIGKILL: gone at once, whatever it was doing, as in a crash or an OOM kill.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Starts it again the same way (the same port, when one was given), after `kill`.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "still running");
        self.spawn().await;
    }

    pub async fn wait_for_message(&self, part: &str) {
        let started = Instant::now();
        while !self.messages().iter().any(|m| m.contains(part)) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no \"{part}\" in the log: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its exit status, waiting at most `limit`.
    pub async fn exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "still running after {limit:?}: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then a clean exit within 30 seconds.
    pub async fn stop(mut self) {
        self.terminate();
        let status = self.exit(Duration::from_secs(30)).await;
        assert!(status.success(), "exit {status}: {}", self.log());
    }

    /// The value of a counter or gauge on its `/metrics` (read directly, from loopback), summed
    /// over the series whose labels contain every `labels` entry (`route="/orders"`).
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        let res = reqwest::get(self.url("/metrics")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        text.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            })
            .filter(|l| labels.iter().all(|label| l.contains(label)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends the signal `name` (`TERM`); false when the process is gone already.
fn signal(child: &Child, name: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// nginx: `ANZE_TEST_NGINX`, else `/usr/sbin/nginx` (Debian's `nginx-light` or `nginx`), else
/// `nginx` on the `PATH`.
pub fn nginx_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ANZE_TEST_NGINX").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.is_file() {
        return Some(sbin);
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("nginx"))
        .find(|p| p.is_file())
}

/// nginx as the reverse proxy in front of instances of anze, round robin, with the README's
/// configuration (without TLS; keep the two alike); every path (pid, logs, temporary files) inside its own directory,
/// so it runs beside a system nginx and without root.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    pub addr: SocketAddr,
}

/// The response header naming the instance (`127.0.0.1:PORT`) that answered.
pub const UPSTREAM_HEADER: &str = "x-upstream";

impl Nginx {
    pub async fn start(dir: &Path, upstreams: &[SocketAddr]) -> Nginx {
        let binary = nginx_binary().expect("nginx is not installed (apt-get install nginx-light)");
        std::fs::create_dir_all(dir).unwrap();
        let port = free_port();
        let d = dir.display();
        let servers: String = upstreams
            .iter()
            // Never marked down on failures: nginx's passive marking can leave a restarted
            // instance out while the other dies, and then both are out ("no live upstreams").
            // A stopped instance refuses connections, and nginx moves the request on at once.
            .map(|a| format!("        server {a} max_fails=0;\n"))
            .collect();
        // As root the workers would run as `nobody` and could not write this directory.
        let user = if std::fs::metadata(dir).unwrap().uid() == 0 {
            "user root;\n"
        } else {
            ""
        };
        let config = format!(
            "{user}worker_processes 1;
error_log {d}/error.log info;
pid {d}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$status|$upstream_addr|$upstream_status|$request_method $request_uri';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream anze {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 60m;
        location = /metrics {{ return 404; }}
        location / {{
            proxy_pass http://anze;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
            proxy_connect_timeout 3s;
            proxy_read_timeout 300s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"
        );
        std::fs::write(dir.join("nginx.conf"), config).unwrap();
        let log = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let child = Command::new(&binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut nginx = Nginx {
            child,
            dir: dir.to_path_buf(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(nginx.addr).await.is_err() {
            assert!(
                nginx.child.try_wait().unwrap().is_none(),
                "nginx exited at start: {}",
                nginx.logs()
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nginx not listening: {}",
                nginx.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its error log and what it printed, for a failing assertion.
    pub fn logs(&self) -> String {
        ["stderr.log", "error.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Its access log: one line per request, `status|instances tried|their statuses|method
    /// uri`, the instances separated by `, `.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM lets the master stop its worker; a killed master would leave it listening.
        let _ = signal(&self.child, "TERM");
        let started = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
