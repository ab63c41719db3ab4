//! `TestApp::spawn`: the real application on a random port over a fresh database of the chosen
//! backend. PostgreSQL and MySQL tests run when `ANZE_TEST_POSTGRES_URL` / `ANZE_TEST_MYSQL_URL`
//! name a server (CI sets both; the harness reports them as ignored otherwise); each test gets its
//! own database, dropped afterwards. Files go to a fresh temporary directory, or, with
//! `TestApp::spawn_with(.., Storage::S3)`, to the S3-compatible server `ANZE_TEST_S3_URL` names,
//! under a key prefix of the test's own.

use anze::Config;
use anze::config::Secret;
use anze_core::account::AccountStore;
use anze_core::auth::Actor;
use anze_core::auth::session::actor_for;
use anze_core::ids::{AccountId, OrderId, OrgId, PolicyId};
use anze_core::org::OrgForm;
use anze_core::policy::PolicyStore;
use anze_core::role::RoleStore;
use anze_core::time::Clock;
use anze_store::{BlobConfig, Blobs, Db};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use reqwest::{Client, StatusCode, redirect};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const ADMIN_PASSWORD: &str = "Admin12345";
pub const PASSWORD: &str = "Passw0rd1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// A clock the test moves by hand.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += by;
    }

    /// Moves the clock to `at` (forward or back), for tests that need a day of the calendar.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Where a test's files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Fs,
    S3,
}

enum Cleanup {
    Dir(PathBuf),
    /// A MySQL database of the pool: handed back for the next test, which empties it.
    Pooled {
        name: String,
        dir: PathBuf,
    },
    Database {
        admin_url: String,
        name: String,
        backend: Backend,
        dir: PathBuf,
    },
}

/// Rows per export batch in the tests (1,000 in production).
pub const EXPORT_BATCH_ROWS: u64 = 2;

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub blobs: Arc<Blobs>,
    pub storage: Storage,
    /// The data directory: the SQLite database (SQLite only) and, with `Storage::Fs`, `files/`.
    pub data_dir: PathBuf,
    pub clock: Arc<TestClock>,
    /// The database's URL, for a second process on the same database.
    pub database_url: String,
    /// With `Storage::S3`, the bucket and key prefix as an `ANZE_STORAGE_URL`, for a second
    /// process on the same files (keys in `ANZE_STORAGE_ACCESS_KEY` / `_SECRET_KEY`).
    pub storage_url: Option<String>,
    server: tokio::task::JoinHandle<()>,
    cleanup: Option<Cleanup>,
}

/// The S3 test server from `ANZE_TEST_S3_URL` (keys `ANZE_TEST_S3_ACCESS_KEY` /
/// `ANZE_TEST_S3_SECRET_KEY`, default `test`), with a fresh key prefix.
/// The bucket is created when missing (moto accepts an unsigned `PUT /bucket`). Also returns
/// the same place as a storage URL.
async fn test_bucket() -> (BlobConfig, String) {
    let url = configured("ANZE_TEST_S3_URL");
    let key = |var: &str| Some(std::env::var(var).unwrap_or_else(|_| "test".into()));
    let mut config = BlobConfig::from_url(
        &url,
        key("ANZE_TEST_S3_ACCESS_KEY"),
        key("ANZE_TEST_S3_SECRET_KEY"),
    )
    .expect("ANZE_TEST_S3_URL is not a valid storage URL");
    if let BlobConfig::S3 {
        endpoint,
        bucket,
        root,
        ..
    } = &mut config
    {
        let res = Client::new()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("ANZE_TEST_S3_URL does not answer: {e}"));
        assert!(
            res.status().is_success() || res.status() == StatusCode::CONFLICT,
            "creating the test bucket failed: {}",
            res.status()
        );
        *root = format!("/t-{}", random_suffix());
        let joint = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{joint}root={root}");
        return (config, url);
    }
    (config, url)
}

/// The variable's value; the harness runs a test only when what it needs is set.
fn configured(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!("{var} is not set; the harness should have ignored this test"),
    }
}

fn random_suffix() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| (b'a' + rng.random_range(0..26u8)) as char)
        .collect()
}

/// `scheme://user@host:port/db?x` → (`scheme://user@host:port`, `?x` or "").
fn split_url(url: &str) -> (String, String) {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (url.to_string(), String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => base[..scheme_end + i].to_string(),
        None => base,
    };
    (host_part, query)
}

/// A database of `backend` of the test's own, with a fresh data directory; the cleanup drops
/// both. `migrated`: a copy of a database migrated once per run (`Template`), which is what
/// every test's application starts from; otherwise created empty (SQLite: a file not yet made),
/// for `anze restore` to load.
async fn fresh_database(backend: Backend, migrated: bool) -> (String, PathBuf, Cleanup) {
    let dir = std::env::temp_dir().join(format!("anze-test-{}", random_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    match backend {
        Backend::Sqlite => {
            let file = dir.join("anze.db");
            if migrated {
                std::fs::copy(template::sqlite().await, &file).unwrap();
            }
            (
                format!("sqlite://{}", file.display()),
                dir.clone(),
                Cleanup::Dir(dir),
            )
        }
        Backend::Postgres | Backend::Mysql => {
            let var = if backend == Backend::Postgres {
                "ANZE_TEST_POSTGRES_URL"
            } else {
                "ANZE_TEST_MYSQL_URL"
            };
            let admin_url = configured(var);
            let name = format!("anze_t_{}", random_suffix());
            if backend == Backend::Mysql && migrated {
                let name = template::mysql_take(&admin_url).await;
                let (base, query) = split_url(&admin_url);
                return (
                    format!("{base}/{name}{query}"),
                    dir.clone(),
                    Cleanup::Pooled { name, dir },
                );
            }
            let create = match backend {
                Backend::Postgres if migrated => {
                    template::postgres_create(&admin_url, &name).await;
                    None
                }
                _ => Some(format!("CREATE DATABASE {name}")),
            };
            if let Some(create) = create {
                let admin = Db::connect(&admin_url, 1)
                    .await
                    .unwrap_or_else(|e| panic!("{var} does not answer: {e}"));
                admin.execute_unprepared(&create).await.unwrap();
                admin.close().await;
            }
            let (base, query) = split_url(&admin_url);
            (
                format!("{base}/{name}{query}"),
                dir.clone(),
                Cleanup::Database {
                    admin_url,
                    name,
                    backend,
                    dir,
                },
            )
        }
    }
}

/// Databases migrated once per run of the test binary, which each test's database copies: a
/// file copy for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL (a file-level clone). The
/// migrations' DDL, dozens of statements each with its own sync, was most of a PostgreSQL
/// test's set-up. MySQL has no such copy: its migrated databases are pooled instead, each
/// emptied back to the migrated state (the template's seeded rows, counters from 1) by the next
/// test that takes it, so only as many are migrated as tests run at once.
pub mod template {
    use super::{Db, configured, random_suffix, split_url};
    use std::path::PathBuf;
    use tokio::sync::{Mutex, OnceCell};

    static SQLITE: OnceCell<PathBuf> = OnceCell::const_new();
    static POSTGRES: OnceCell<String> = OnceCell::const_new();
    static MYSQL: OnceCell<MysqlTemplate> = OnceCell::const_new();
    /// Pooled MySQL databases a finished test handed back.
    static MYSQL_FREE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    /// Every pooled MySQL database made this run, dropped by `drop_all`.
    static MYSQL_ALL: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

    /// The migrated MySQL database the pool's databases are reset from.
    struct MysqlTemplate {
        name: String,
        /// Every table but the migrations' own ledger.
        tables: Vec<String>,
        /// Tables the migrations seed, with their stored (not generated) columns.
        seeded: Vec<(String, String)>,
        /// Tables with an AUTO_INCREMENT counter.
        counted: Vec<String>,
    }

    /// Creates database `name` on the server of `admin_url` and migrates it.
    async fn migrated(admin_url: &str, name: &str) {
        let admin = Db::connect(admin_url, 1).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await;
        let (base, query) = split_url(admin_url);
        let db = Db::connect(&format!("{base}/{name}{query}"), 1)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db.close().await;
    }

    async fn mysql_template(admin_url: &str) -> &'static MysqlTemplate {
        MYSQL
            .get_or_init(|| async {
                let name = format!("anze_tpl_{}", random_suffix());
                migrated(admin_url, &name).await;
                let admin = Db::connect(admin_url, 1).await.unwrap();
                let strings = |sql: String| {
                    let admin = &admin;
                    async move {
                        admin
                            .query_strings(&sql)
                            .await
                            .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    }
                };
                let tables = strings(format!(
                    "SELECT TABLE_NAME FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = '{name}' AND TABLE_TYPE = 'BASE TABLE' \
                     AND TABLE_NAME <> 'seaql_migrations' ORDER BY TABLE_NAME"
                ))
                .await;
                let counted = strings(format!(
                    "SELECT TABLE_NAME FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = '{name}' AND AUTO_INCREMENT IS NOT NULL"
                ))
                .await;
                let mut seeded = Vec::new();
                for table in &tables {
                    let rows = strings(format!(
                        "SELECT CAST(COUNT(*) AS CHAR) FROM `{name}`.`{table}`"
                    ))
                    .await;
                    if rows.first().is_some_and(|n| n != "0") {
                        let columns = strings(format!(
                            "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                             WHERE TABLE_SCHEMA = '{name}' AND TABLE_NAME = '{table}' \
                             AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION"
                        ))
                        .await;
                        let columns: Vec<String> =
                            columns.iter().map(|c| format!("`{c}`")).collect();
                        seeded.push((table.clone(), columns.join(", ")));
                    }
                }
                admin.close().await;
                MysqlTemplate {
                    name,
                    tables,
                    seeded,
                    counted,
                }
            })
            .await
    }

    /// A migrated MySQL database for one test: one a finished test handed back, emptied to
    /// the migrated state, or a new one.
    pub async fn mysql_take(admin_url: &str) -> String {
        let template = mysql_template(admin_url).await;
        let reused = MYSQL_FREE.lock().unwrap().pop();
        let Some(name) = reused else {
            let name = format!("anze_t_{}", random_suffix());
            migrated(admin_url, &name).await;
            MYSQL_ALL.lock().unwrap().push(name.clone());
            return name;
        };
        let admin = Db::connect(admin_url, 1).await.unwrap();
        // Whatever the last test left connected goes first.
        let stray = admin
            .query_strings(&format!(
                "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE DB = '{name}'"
            ))
            .await
            .unwrap();
        for id in stray {
            let _ = admin
                .execute_unprepared(&format!("KILL CONNECTION {id}"))
                .await;
        }
        let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;");
        // Twice: deleting hazards makes their triggers write the tallies.
        for _ in 0..2 {
            for table in &template.tables {
                sql.push_str(&format!("DELETE FROM `{name}`.`{table}`;"));
            }
        }
        for (table, columns) in &template.seeded {
            sql.push_str(&format!(
                "INSERT INTO `{name}`.`{table}` ({columns}) SELECT {columns} FROM `{}`.`{table}`;",
                template.name
            ));
        }
        for table in &template.counted {
            sql.push_str(&format!(
                "ALTER TABLE `{name}`.`{table}` AUTO_INCREMENT = 1;"
            ));
        }
        sql.push_str("SET FOREIGN_KEY_CHECKS = 1;");
        admin
            .execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("emptying {name}: {e}"));
        admin.close().await;
        name
    }

    /// Hands a pooled MySQL database back once its test is done with it.
    pub fn mysql_give_back(name: String) {
        MYSQL_FREE.lock().unwrap().push(name);
    }
    /// PostgreSQL refuses to clone a template that another clone is reading at that moment.
    static CLONING: Mutex<()> = Mutex::const_new(());

    /// The migrated SQLite file (in the temporary directory, removed by `drop_all`).
    pub async fn sqlite() -> &'static PathBuf {
        SQLITE
            .get_or_init(|| async {
                let path = std::env::temp_dir().join(format!(
                    "anze-template-{}-{}.db",
                    std::process::id(),
                    random_suffix()
                ));
                let db = Db::connect(&format!("sqlite://{}", path.display()), 1)
                    .await
                    .unwrap();
                db.migrate().await.unwrap();
                // Everything into the main file, so a copy of it alone is the whole database.
                db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .unwrap();
                db.close().await;
                path
            })
            .await
    }

    /// Creates database `name` as a copy of the migrated template.
    pub async fn postgres_create(admin_url: &str, name: &str) {
        let template = POSTGRES
            .get_or_init(|| async {
                let template = format!("anze_tpl_{}", random_suffix());
                migrated(admin_url, &template).await;
                template
            })
            .await;
        let _one_at_a_time = CLONING.lock().await;
        let admin = Db::connect(admin_url, 1).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap();
        admin.close().await;
    }

    /// Removes the templates (and MySQL's pool) this run made; the harness calls it when every
    /// test has run.
    pub fn drop_all() {
        if let Some(path) = SQLITE.get() {
            let _ = std::fs::remove_file(path);
        }
        let mut mysql: Vec<String> = std::mem::take(&mut *MYSQL_ALL.lock().unwrap());
        mysql.extend(MYSQL.get().map(|t| t.name.clone()));
        drop_databases("ANZE_TEST_MYSQL_URL", mysql);
        drop_databases(
            "ANZE_TEST_POSTGRES_URL",
            POSTGRES.get().cloned().into_iter().collect(),
        );
    }

    /// Drops `names` on the server the variable `var` points at (none: nothing to do).
    fn drop_databases(var: &str, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let url = configured(var);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            if let Ok(admin) = Db::connect(&url, 1).await {
                for name in names {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                        .await;
                }
                admin.close().await;
            }
        });
    }
}

/// An empty database and an empty file storage (a directory, or a fresh prefix of the S3 test
/// bucket) for `anze restore` to load; `TestApp::serve` then serves what it holds. Both are
/// removed when it is dropped.
pub struct EmptyTarget {
    pub database_url: String,
    pub data_dir: PathBuf,
    /// The bucket's configuration and URL; `None`: files in `data_dir/files`.
    pub bucket: Option<(BlobConfig, String)>,
    cleanup: Option<Cleanup>,
}

impl EmptyTarget {
    pub async fn create(backend: Backend, storage: Storage) -> EmptyTarget {
        anze_store::install_crypto_provider();
        let bucket = match storage {
            Storage::Fs => None,
            Storage::S3 => Some(test_bucket().await),
        };
        let (database_url, data_dir, cleanup) = fresh_database(backend, false).await;
        EmptyTarget {
            database_url,
            data_dir,
            bucket,
            cleanup: Some(cleanup),
        }
    }

    /// The environment that points `anze` at this database and storage.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("ANZE_DATABASE_URL".to_string(), self.database_url.clone()),
            (
                "ANZE_DATA_DIR".to_string(),
                self.data_dir.display().to_string(),
            ),
        ];
        if let Some((
            BlobConfig::S3 {
                access_key,
                secret_key,
                ..
            },
            url,
        )) = &self.bucket
        {
            env.push(("ANZE_STORAGE_URL".into(), url.clone()));
            env.push((
                "ANZE_STORAGE_ACCESS_KEY".into(),
                access_key.clone().unwrap_or_default(),
            ));
            env.push((
                "ANZE_STORAGE_SECRET_KEY".into(),
                secret_key.clone().unwrap_or_default(),
            ));
        }
        env
    }
}

impl Drop for EmptyTarget {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            let bucket = self
                .bucket
                .as_ref()
                .map(|(c, _)| Arc::new(Blobs::open(c).unwrap()));
            run_cleanup(cleanup, bucket);
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Storage::Fs).await
    }

    pub async fn spawn_with(backend: Backend, storage: Storage) -> TestApp {
        Self::spawn_inner(backend, storage, |_| {}).await
    }

    /// An app whose configuration `configure` adjusts first (proxies, public URL).
    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        Self::spawn_inner(backend, Storage::Fs, configure).await
    }

    async fn spawn_inner(
        backend: Backend,
        storage: Storage,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        // Before any HTTP client is built (see `install_crypto_provider`).
        anze_store::install_crypto_provider();
        let bucket = match storage {
            Storage::Fs => None,
            Storage::S3 => Some(test_bucket().await),
        };
        let (url, dir, cleanup) = fresh_database(backend, true).await;
        Self::start(url, dir, bucket, Some(cleanup), configure).await
    }

    /// The application over what `target` holds now (after `anze restore`, say); `target`
    /// keeps the database and files and removes them when dropped.
    pub async fn serve(target: &EmptyTarget) -> TestApp {
        Self::start(
            target.database_url.clone(),
            target.data_dir.clone(),
            target.bucket.clone(),
            None,
            |_| {},
        )
        .await
    }

    /// The application over the database at `url`, with files in `bucket` (its configuration
    /// and URL) or in `dir/files`.
    async fn start(
        url: String,
        dir: PathBuf,
        bucket: Option<(BlobConfig, String)>,
        cleanup: Option<Cleanup>,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let storage = if bucket.is_some() {
            Storage::S3
        } else {
            Storage::Fs
        };
        let (blob_config, storage_url) = bucket.unzip();
        let database_url = url.clone();
        let mut config = Config {
            data_dir: dir.clone(),
            database_url: Some(Secret::new(url)),
            admin_password: Some(Secret::new(ADMIN_PASSWORD)),
            db_max_connections: Some(5),
            ..Config::default()
        };
        configure(&mut config);
        let db = anze::open_database(&config).await.unwrap();
        anze::bootstrap(&db, &config).await.unwrap();
        let blobs = Arc::new(match blob_config {
            Some(c) => Blobs::open(&c).unwrap(),
            None => anze::open_blobs(&config).unwrap(),
        });
        let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
        let web = anze_web::WebConfig {
            // Every export in the tests reads several batches, so the keyset that carries one
            // batch on to the next is exercised by ledgers of a handful of rows.
            export_batch_rows: EXPORT_BATCH_ROWS,
            ..anze::web_config(&config)
        };
        let router = anze::app(db.clone(), blobs.clone(), web, clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            anze::serve(
                listener,
                router,
                std::future::pending(),
                std::time::Duration::ZERO,
            )
            .await
            .unwrap();
        });
        TestApp {
            addr,
            db,
            blobs,
            storage,
            data_dir: dir,
            clock,
            database_url,
            storage_url,
            server,
            cleanup,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn get(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let res = client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Posts a form with the CSRF token taken from `form_page` (the page the user would submit
    /// from).
    pub async fn post_form(
        &self,
        client: &Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, html) = self.get(client, form_page).await;
        let token = csrf_token(&html).unwrap_or_else(|| panic!("no CSRF token on {form_page}"));
        let mut body: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        body.extend_from_slice(fields);
        client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn try_login(&self, username: &str, password: &str) -> (Client, reqwest::Response) {
        let client = self.client();
        let res = self
            .post_form(
                &client,
                "/login",
                "/login",
                &[("username", username), ("password", password)],
            )
            .await;
        (client, res)
    }

    /// Logs in and checks it worked.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let (client, res) = self.try_login(username, password).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {username} failed"
        );
        client
    }

    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }

    pub async fn actor(&self, username: &str) -> Actor {
        let account = self
            .db
            .find_account_by_username(username)
            .await
            .unwrap()
            .unwrap();
        actor_for(&self.db, account.id, "test")
            .await
            .unwrap()
            .unwrap()
    }

    /// Creates an organization through the core service as the platform admin; its admin
    /// account is `admin_username` with `PASSWORD`.
    pub async fn seed_org(&self, kind: &str, name: &str, admin_username: &str) -> OrgId {
        let actor = self.actor("admin").await;
        let code = credit_code(name);
        let form = OrgForm {
            kind: kind.into(),
            name: name.into(),
            credit_code: code,
            region_code: "350503".into(),
            address: "泉州市丰泽区测试路 1 号".into(),
            contact_name: "测试联系人".into(),
            contact_phone: "13905950000".into(),
            admin_username: admin_username.into(),
            admin_name: format!("{name}管理员"),
            admin_password: PASSWORD.into(),
        };
        anze_core::org::service::create(&self.db, &actor, &form, Utc::now())
            .await
            .unwrap()
    }

    /// Creates an account in the organization of `by`, with the named role.
    pub async fn seed_account(&self, by: &str, username: &str, role_name: &str) -> AccountId {
        let actor = self.actor(by).await;
        let role = self
            .db
            .roles_of_org(actor.org_id)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name == role_name)
            .unwrap_or_else(|| panic!("no role {role_name}"));
        let form = anze_core::account::AccountForm {
            org_id: String::new(),
            username: username.into(),
            name: format!("{username}的姓名"),
            phone: String::new(),
            password: PASSWORD.into(),
            role_ids: vec![role.id.to_string()],
            enabled: "1".into(),
        };
        anze_core::account::service::create(&self.db, &actor, &form, Utc::now())
            .await
            .unwrap()
    }
}

/// A valid, distinct 统一社会信用代码 derived from a name.
pub fn credit_code(seed: &str) -> String {
    let mut h: u64 = 1469598103934665603;
    for b in seed.bytes() {
        h = (h ^ b as u64).wrapping_mul(1099511628211);
    }
    let body = format!("91350500{:09}", h % 1_000_000_000);
    anze_core::field::CreditCode::with_check_digit(&body)
        .unwrap()
        .to_string()
}

pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let Some(cleanup) = self.cleanup.take() else {
            return;
        };
        let bucket = (self.storage == Storage::S3).then(|| self.blobs.clone());
        run_cleanup(cleanup, bucket);
    }
}

/// Empties the test's S3 prefix and removes its directory or database. Drop runs inside the
/// test's runtime; a separate thread has its own.
fn run_cleanup(cleanup: Cleanup, bucket: Option<Arc<Blobs>>) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            if let Some(blobs) = bucket {
                use anze_core::attachment::BlobStore;
                for (key, _) in blobs.list("").await.unwrap_or_default() {
                    let _ = blobs.delete(&key).await;
                }
            }
        });
        match cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Pooled { name, dir } => {
                let _ = std::fs::remove_dir_all(dir);
                template::mysql_give_back(name);
            }
            Cleanup::Database {
                admin_url,
                name,
                backend,
                dir,
            } => {
                let _ = std::fs::remove_dir_all(dir);
                rt.block_on(async {
                    if let Ok(db) = Db::connect(&admin_url, 1).await {
                        let sql = match backend {
                            Backend::Postgres => {
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                            }
                            _ => format!("DROP DATABASE IF EXISTS {name}"),
                        };
                        let _ = db.execute_unprepared(&sql).await;
                        db.close().await;
                    }
                });
            }
        }
    })
    .join();
}

impl TestApp {
    /// Registers an enterprise in 丰泽区 through the core as `by` (an insurer); returns its code.
    pub async fn seed_enterprise(&self, by: &str, name: &str, region: &str) -> String {
        let actor = self.actor(by).await;
        let code = credit_code(name);
        let form = anze_core::enterprise::EnterpriseForm {
            name: name.into(),
            credit_code: code.clone(),
            region_code: region.into(),
            address: "泉州市测试路 8 号".into(),
            contact_name: "企业联系人".into(),
            contact_phone: "13905958888".into(),
            industry_code: "0201".into(),
            employee_count: "120".into(),
            ..Default::default()
        };
        anze_core::enterprise::service::create(&self.db, &actor, &form, Utc::now())
            .await
            .unwrap();
        code
    }

    /// A policy of insurer `by` running from 30 days ago for a year.
    pub async fn seed_policy(&self, by: &str, enterprise_code: &str, policy_no: &str) -> PolicyId {
        let actor = self.actor(by).await;
        let today = anze_core::time::today(self.clock.now());
        let form = anze_core::policy::PolicyForm {
            policy_no: policy_no.into(),
            enterprise_credit_code: enterprise_code.into(),
            start_date: (today - Duration::days(30)).to_string(),
            end_date: (today + Duration::days(334)).to_string(),
            premium: "20000".into(),
            total_limit: "5000000".into(),
            per_person_limit: "500000".into(),
            insured_count: "120".into(),
            prevention_ratio: "15".into(),
        };
        anze_core::policy::service::create(&self.db, &actor, &form, Utc::now())
            .await
            .unwrap()
    }

    /// Designates `agency_org` for the policy as insurer `by`; returns the 待受理 order.
    pub async fn seed_order(&self, by: &str, policy: PolicyId, agency_org: OrgId) -> OrderId {
        let actor = self.actor(by).await;
        let p = self.db.get_policy(policy).await.unwrap().unwrap();
        let mut form = anze_core::order::DesignateForm::suggested(p.start_date, p.end_date);
        form.agency_id = agency_org.to_string();
        anze_core::order::service::designate(&self.db, &actor, policy, &form, self.clock.now())
            .await
            .unwrap()
    }
}

impl TestApp {
    /// The CSRF token a page gives its forms (in a hidden field, or in a multipart form's
    /// action).
    pub async fn csrf(&self, client: &Client, page: &str) -> String {
        let (_, html) = self.get(client, page).await;
        csrf_token(&html)
            .or_else(|| {
                let marker = "_csrf=";
                let start = html.find(marker)? + marker.len();
                Some(html[start..start + 64].to_string())
            })
            .unwrap_or_else(|| panic!("no CSRF token on {page}"))
    }

    /// Posts a multipart form (text parts only) the way the record pages submit it: the CSRF
    /// token from `form_page` travels in the query string.
    pub async fn post_multipart(
        &self,
        client: &Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(client, form_page).await;
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        client
            .post(self.url(&format!("{action}?_csrf={token}")))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// The time the application sees.
    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// A small real PNG, for photo fields.
pub fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The smallest file that is a PDF by its content.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n".to_vec()
}

impl TestApp {
    /// Like `post_multipart`, with files: (field, file name, content).
    pub async fn post_multipart_files(
        &self,
        client: &Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> reqwest::Response {
        let token = self.csrf(client, form_page).await;
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, bytes) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        client
            .post(self.url(&format!("{action}?_csrf={token}")))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// An account of the insured enterprise `enterprise_code` with its 安全管理人员 role, made by
    /// the platform admin; returns the account.
    pub async fn seed_enterprise_account(
        &self,
        enterprise_code: &str,
        username: &str,
    ) -> AccountId {
        use anze_core::enterprise::EnterpriseStore;
        let actor = self.actor("admin").await;
        let org = self
            .db
            .find_enterprise_by_credit_code(enterprise_code)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no enterprise {enterprise_code}"))
            .id;
        let role = anze_core::role::service::assignable(&self.db, &actor, org)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name == "安全管理人员")
            .expect("enterprises have a 安全管理人员 role");
        let form = anze_core::account::AccountForm {
            org_id: org.to_string(),
            username: username.into(),
            name: format!("{username}的姓名"),
            phone: String::new(),
            password: PASSWORD.into(),
            role_ids: vec![role.id.to_string()],
            enabled: "1".into(),
        };
        anze_core::account::service::create(&self.db, &actor, &form, Utc::now())
            .await
            .unwrap()
    }
}

pub use anze::bench::exif::{Exif, with_exif};

/// A list page's "共 N 条" (N as shown, with its "+" when capped).
pub fn pager_total(html: &str) -> String {
    let head = "<span class=\"pager-total\">共 ";
    let start = html.find(head).expect("a pager") + head.len();
    let end = start + html[start..].find(" 条").expect("the pager's total");
    html[start..end].to_string()
}
