use anyhow::Context;
use anze::{Config, config::LogFormat};
use anze_core::time::SystemClock;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "anze", version, about = "安责险事故预防服务平台")]
struct Cli {
    /// Configuration file (default: ./anze.toml if present)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first)
    Serve {
        /// Also load the demo organizations and accounts (idempotent)
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// API tokens for other systems calling /api/v1
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// Administration from the console
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill demo data into the configured database (idempotent)
    Demo,
    /// Print the effective configuration, secrets masked
    Config,
    /// The tamper-evident 操作日志
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Evidence checks: fingerprints of photos
    Integrity {
        #[command(subcommand)]
        command: IntegrityCommand,
    },
    /// 看板: the monthly facts the dashboards read
    Dashboard {
        #[command(subcommand)]
        command: DashboardCommand,
    },
    /// Maintenance of the file storage
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Write one archive of every table's rows and every stored file, consistent while the
    /// server keeps writing; gzip-compressed unless FILE ends in `.tar` (see docs/backup.md)
    Backup {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Load an archive of `anze backup` into the configured database and file storage, which
    /// must both be empty; any backend into any other (see docs/backup.md)
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Generate a data set into a fresh database, measure the real server over it and write
    /// the table (Markdown and JSON)
    Bench(anze::bench::BenchArgs),
}

#[derive(Subcommand)]
enum IntegrityCommand {
    /// Fingerprint the photos stored before uploads were fingerprinted (resumable: each photo
    /// is marked as it is done)
    Backfill {
        /// Photos read per query
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
}

#[derive(Subcommand)]
enum DashboardCommand {
    /// Recount every month from the first with data (or from `--from YYYY-MM`) to the current
    /// one: after an upgrade, a restore, or edits to old records
    Rebuild {
        #[arg(long)]
        from: Option<String>,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Remove stored files that no attachment references (older than an hour) and print them
    Gc,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the audit log's hash chain and report the first broken link; exits non-zero when
    /// the log was changed outside the application. Each run is recorded for the 操作日志 page
    Verify {
        /// Rows read per query
        #[arg(long, default_value_t = 1000)]
        batch: u64,
        /// Report progress on stderr every this many rows
        #[arg(long, default_value_t = 100_000)]
        progress_every: u64,
    },
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Make an API token that acts as ACCOUNT and print its secret (shown only this once)
    Create {
        account: String,
        /// What the calling system is (令牌名称)
        #[arg(long)]
        name: String,
        /// Permission codes, comma-separated (e.g. order:view,hazard:view); default: all the
        /// account holds
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
        /// Days until it expires (1–365)
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Set a new password for an account and unlock it; all its sessions end
    ResetPassword {
        account: String,
        /// The new password; generated and printed when omitted
        #[arg(long, env = "ANZE_NEW_PASSWORD")]
        password: Option<String>,
    },
}

/// A console command's refusal about `account`, in the words the pages would use.
fn console_error(e: anze_core::CoreError, account: &str) -> anyhow::Error {
    match e {
        anze_core::CoreError::NotFound => anyhow::anyhow!("no such account: {account}"),
        anze_core::CoreError::Validation(v) => anyhow::anyhow!(
            "{}",
            v.0.iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!(other),
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// The C allocator's tuning, on glibc.
mod allocator {
    /// glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB), and
    /// its trim threshold to twice that. Each password check (argon2id) allocates and frees
    /// 19 MiB, so after the first login every later buffer up to that size came from the
    /// arenas, and each arena kept up to 38 MiB of freed memory: a server that had logged in
    /// a few users held 80 MiB where it used 40. A fixed threshold keeps the defaults'
    /// trimming: blocks of 4 MiB and more are mapped and returned when freed, and free
    /// memory at an arena's top goes back to the system.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    pub fn tune() {
        const MMAP_THRESHOLD: libc::c_int = 4 << 20;
        // SAFETY: mallopt only sets a parameter of the allocator, under the allocator's own
        // lock; it reads and writes no memory of ours. A refusal (0) leaves the defaults.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub fn tune() {}
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    allocator::tune();
    let cli = Cli::parse();
    // Before any HTTP client (the S3 one) is built.
    anze_store::install_crypto_provider();
    let config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    init_logging(config.log_format);
    match cli.command {
        Command::Config => {
            print!("{}", config.masked());
        }
        Command::Integrity {
            command: IntegrityCommand::Backfill { batch },
        } => {
            let db = anze::open_database(&config).await?;
            let blobs = anze::open_blobs(&config)?;
            let started = std::time::Instant::now();
            let limits = anze::web_config(&config);
            let done = anze::integrity::backfill(
                &db,
                &blobs,
                batch,
                anze_web::UploadLimits::default()
                    .max_thumbnail_source_bytes
                    .min(limits.max_upload_bytes),
                |d| {
                    eprintln!(
                        "已处理 {} 张照片(附件 id 至 {}),用时 {:.0} 秒",
                        d.hashed + d.without,
                        d.last,
                        started.elapsed().as_secs_f64()
                    )
                },
            )
            .await?;
            println!(
                "照片指纹补算完成:{} 张已计算,{} 张无指纹(近乎纯色、无法解码或文件缺失),用时 {:.1} 秒",
                done.hashed,
                done.without,
                started.elapsed().as_secs_f64()
            );
            db.close().await;
        }
        Command::Dashboard {
            command: DashboardCommand::Rebuild { from },
        } => {
            let from = match from.as_deref() {
                Some(raw) => Some(
                    anze_core::dashboard::parse_month(raw)
                        .with_context(|| format!("--from 应为年月,例如 2026-01,而不是 {raw}"))?,
                ),
                None => None,
            };
            let db = anze::open_database(&config).await?;
            let started = std::time::Instant::now();
            let months =
                anze_core::dashboard::service::rebuild(&db, from, chrono::Utc::now(), &mut |m| {
                    eprintln!(
                        "已统计 {},用时 {:.0} 秒",
                        anze_core::dashboard::month_label(m),
                        started.elapsed().as_secs_f64()
                    )
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!(
                "看板数据重算完成:{months} 个月,用时 {:.1} 秒",
                started.elapsed().as_secs_f64()
            );
            db.close().await;
        }
        Command::Storage {
            command: StorageCommand::Gc,
        } => {
            let db = anze::open_database(&config).await?;
            let blobs = anze::open_blobs(&config)?;
            let gc = anze::storage_gc(&db, &blobs, chrono::Utc::now()).await?;
            for key in gc.orphans.removed.iter().chain(&gc.partial) {
                println!("removed {key}");
            }
            println!(
                "{}: {} orphaned and {} unfinished files removed, {} referenced kept, {} younger than an hour left",
                blobs.describe(),
                gc.orphans.removed.len(),
                gc.partial.len(),
                gc.orphans.kept,
                gc.orphans.young
            );
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    batch,
                    progress_every,
                },
        } => {
            let db = anze::open_database(&config).await?;
            let every = progress_every.max(1);
            let mut reported = 0;
            let mut progress = |checked: u64| {
                if checked / every > reported {
                    reported = checked / every;
                    eprintln!("已校验 {checked} 条…");
                }
            };
            let v = anze_core::audit::service::verify_chain(
                &db,
                chrono::Utc::now(),
                batch,
                &mut progress,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e))
            .context("audit verification failed")?;
            println!("链头:seq {} · hash {}", v.head.seq, v.head.hash);
            if v.ok {
                println!("审计日志校验通过:{} 条", v.rows_checked);
            } else {
                println!("审计日志校验未通过:{}", v.problem);
                println!("(此前 {} 条校验无误)", v.rows_checked);
                db.close().await;
                std::process::exit(1);
            }
        }
        Command::Backup { out } => {
            let db = anze::connect_database(&config).await?;
            let blobs = anze::open_blobs(&config)?;
            let started = std::time::Instant::now();
            eprintln!(
                "备份 {} 数据库与文件存储({})到 {}",
                db.backend_name(),
                blobs.describe(),
                out.display()
            );
            let report = anze_store::backup::backup(&db, &blobs, &out, &mut |p| {
                eprintln!("[{:>7.1} 秒] {p}", started.elapsed().as_secs_f64())
            })
            .await?;
            let m = &report.manifest;
            println!(
                "备份完成:{} 张表 {} 行,{} 个文件({}),归档 {} 为 {},用时 {:.1} 秒",
                m.tables.len(),
                m.tables.iter().map(|t| t.rows).sum::<u64>(),
                m.files.count,
                anze_store::backup::size_label(m.files.bytes),
                out.display(),
                anze_store::backup::size_label(report.archive_bytes),
                started.elapsed().as_secs_f64()
            );
            if m.files.missing_count > 0 {
                println!(
                    "警告:{} 个附件文件已不在存储中,未能备份(附件行照常备份),例如:{}",
                    m.files.missing_count,
                    m.files.missing.join(", ")
                );
            }
            db.close().await;
        }
        Command::Restore { file } => {
            let db = anze::connect_database(&config).await?;
            let blobs = anze::open_blobs(&config)?;
            let started = std::time::Instant::now();
            eprintln!(
                "从 {} 还原到 {} 数据库与文件存储({})",
                file.display(),
                db.backend_name(),
                blobs.describe()
            );
            let report = anze_store::backup::restore(&db, &blobs, &file, &mut |p| {
                eprintln!("[{:>7.1} 秒] {p}", started.elapsed().as_secs_f64())
            })
            .await?;
            let m = &report.manifest;
            println!(
                "还原完成:{} 张表 {} 行,{} 个文件({}),备份时间 {}(来自 {}),用时 {:.1} 秒",
                m.tables.len(),
                m.tables.iter().map(|t| t.rows).sum::<u64>(),
                m.files.count,
                anze_store::backup::size_label(m.files.bytes),
                anze_core::time::format_datetime(report.header.created_at),
                report.header.source,
                started.elapsed().as_secs_f64()
            );
            if report.upgraded > 0 {
                println!(
                    "备份来自较早的版本,已升级数据库结构({} 个迁移)",
                    report.upgraded
                );
            }
            db.close().await;
        }
        Command::Bench(args) => {
            let exe = std::env::current_exe().context("cannot find the anze executable")?;
            let report = anze::bench::run(&args.options(exe)?).await?;
            print!("{}", report.markdown());
            let failures = report.failures();
            anyhow::ensure!(
                failures.is_empty(),
                "{} scenarios had errors",
                failures.len()
            );
        }
        Command::Migrate => {
            let db = anze::open_database(&config).await?;
            tracing::info!(backend = db.backend_name(), "migrations applied");
        }
        Command::Demo => {
            let db = anze::open_database(&config).await?;
            anze::bootstrap(&db, &config).await.map(print_generated)?;
            let blobs = anze::open_blobs(&config)?;
            let summary = anze::demo::load(&db, &blobs).await?;
            println!("{summary}");
        }
        Command::ApiToken {
            command:
                ApiTokenCommand::Create {
                    account,
                    name,
                    permissions,
                    days,
                },
        } => {
            let db = anze::open_database(&config).await?;
            let form = anze_core::api_token::ApiTokenForm {
                name,
                permissions,
                days: days.to_string(),
            };
            let (_, secret) = anze_core::api_token::service::create_from_console(
                &db,
                &account,
                &form,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| console_error(e, &account))?;
            println!("{secret}");
        }
        Command::Admin {
            command: AdminCommand::ResetPassword { account, password },
        } => {
            let db = anze::open_database(&config).await?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (anze::generate_password(), true),
            };
            let account = anze_core::account::service::reset_password_from_console(
                &db,
                &account,
                &password,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| console_error(e, &account))?;
            println!("账号 {} 的密码已重置,所有会话已失效。", account.display());
            if generated {
                println!("新密码(仅显示一次):{password}");
            }
        }
        Command::Serve { demo } => {
            // Before anything records a metric (the job runner's first tick is immediate).
            anze_web::metrics::handle();
            let db = anze::open_database(&config).await?;
            anze::bootstrap(&db, &config).await.map(print_generated)?;
            if demo {
                let blobs = anze::open_blobs(&config)?;
                let summary = anze::demo::load(&db, &blobs).await?;
                tracing::info!("{summary}");
            }
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let addr = listener.local_addr()?;
            let url = config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}/"));
            tracing::info!(backend = db.backend_name(), "anze is ready: open {url}");
            let blobs = anze::open_blobs(&config)?;
            if let Err(e) = blobs.check().await {
                // Pages work without it; uploads and downloads fail until it answers.
                tracing::warn!(storage = blobs.describe(), error = %e, "file storage does not answer");
            }
            tracing::info!(storage = blobs.describe(), "file storage");
            anze::spawn_statistics_refresh(db.clone());
            let store: Arc<dyn anze_core::Store> = Arc::new(db.clone());
            let web = anze::web_config(&config);
            match (&web.pdf_font, &config.pdf_font) {
                (Some(font), _) => tracing::info!(
                    font = %font.path.display(),
                    face = %font.family,
                    "PDF documents"
                ),
                (None, Some(path)) => tracing::warn!(
                    pdf_font = %path.display(),
                    "pdf_font is not a readable CJK font: PDF documents are unavailable, pages \
                     offer their print version"
                ),
                (None, None) => tracing::warn!(
                    "no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk): PDF \
                     documents are unavailable, pages offer their print version"
                ),
            }
            anze::spawn_hourly_upkeep(store.clone(), web.session);
            let stop = tokio_util::sync::CancellationToken::new();
            let jobs = match config.jobs_interval_seconds {
                0 => None,
                secs => Some(anze::jobs::spawn(
                    store.clone(),
                    Arc::new(SystemClock),
                    std::time::Duration::from_secs(secs),
                    stop.clone(),
                )?),
            };
            let router = anze::app(db, Arc::new(blobs), web, Arc::new(SystemClock));
            let grace = std::time::Duration::from_secs(config.shutdown_timeout_seconds);
            let stopping = stop.clone();
            let signalled = Arc::new(std::sync::OnceLock::new());
            let signalled_at = signalled.clone();
            let stopped = anze::serve(
                listener,
                router,
                async move {
                    shutdown_signal().await;
                    let _ = signalled_at.set(std::time::Instant::now());
                    tracing::info!(
                        deadline_secs = grace.as_secs(),
                        "shutting down: no new connections; requests in flight may finish"
                    );
                    stopping.cancel();
                },
                grace,
            )
            .await?;
            if stopped == anze::Stopped::DeadlinePassed {
                tracing::warn!(
                    deadline_secs = grace.as_secs(),
                    "shutdown deadline passed: closing the connections of requests still in flight"
                );
            }
            // The job runner stopped claiming at the signal; let a run in progress record its
            // outcome within what is left of the deadline. A run cut off is claimed again
            // after its lease by whichever instance is still up.
            stop.cancel();
            let left = signalled
                .get()
                .map_or(grace, |at: &std::time::Instant| {
                    grace.saturating_sub(at.elapsed())
                })
                .max(std::time::Duration::from_millis(100));
            if let Some(jobs) = jobs
                && tokio::time::timeout(left, jobs).await.is_err()
            {
                tracing::warn!("the job runner did not stop within the shutdown deadline");
            }
            tracing::info!("stopped");
        }
    }
    Ok(())
}

fn print_generated(password: Option<String>) {
    if let Some(p) = password {
        println!("==============================================================");
        println!(" 首次启动:已创建平台管理员账号 admin");
        println!(" 初始密码(仅显示一次,请登录后立即修改):{p}");
        println!("==============================================================");
    }
}
