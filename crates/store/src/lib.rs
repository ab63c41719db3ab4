//! Storage for anze: SeaORM over SQLite, PostgreSQL or MySQL, chosen at runtime by URL.
//!
//! `Db` implements every store trait of `anze-core`. Each write and the audit event describing it
//! are committed in one transaction.

pub mod backup;
mod blob;
pub mod bulk;
mod cache;
mod entity;
mod migration;
mod repo;

use anze_core::{CoreError, CoreResult};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub use blob::{BlobConfig, BlobError, Blobs, install_crypto_provider};
pub use migration::Migrator;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] DbErr),
    #[error("migration failed: {0}")]
    Migrate(#[source] DbErr),
    #[error("unsupported database URL (expected sqlite://, postgres:// or mysql://)")]
    UnsupportedUrl,
}

#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite only: one connection that every write transaction takes, so writers queue in the
    /// process (first come, first served) instead of in SQLite's busy handler, whose back-off
    /// sleeps (up to 100 ms a try) made the slowest writes of a busy minute hundreds of
    /// milliseconds. Reads keep the pool. PostgreSQL and MySQL lock rows, not the database.
    writer: Option<DatabaseConnection>,
    /// How uploads are checked (拍摄地点异常's distance); set from the configuration.
    integrity: anze_core::integrity::IntegrityRules,
    /// 看板 facts already summed, per scope and period, with the recount stamp they were read
    /// at (`repo::dashboard`).
    dashboard_cache: repo::DashboardCache,
    /// Principals, regions and organizations every page reads (`cache`).
    reference: std::sync::Arc<cache::ReferenceCache>,
}

impl Db {
    /// Sets how uploaded photos are checked; the default until called.
    pub fn with_integrity_rules(mut self, rules: anze_core::integrity::IntegrityRules) -> Self {
        self.integrity = rules;
        self
    }

    /// Connects to the database the URL names. SQLite files are created when missing and run in
    /// WAL mode with foreign keys enforced.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, max_connections, true).await
    }

    /// `connect` with connections that are never recycled (`recycle` false): for a session
    /// that changes its connection's settings (the bulk loader turns foreign keys and fsync
    /// off) and must keep that one connection however long it runs. Pools otherwise replace
    /// a connection after 30 minutes, and the new one starts with the defaults.
    pub async fn connect_with(
        url: &str,
        max_connections: u32,
        recycle: bool,
    ) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            DbBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbBackend::Postgres
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            DbBackend::MySql
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            DbBackend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            DbBackend::MySql => url.replacen("mariadb://", "mysql://", 1),
            _ => url.to_string(),
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a pooled connection on every checkout by default: one more round trip
            // to SQLite's worker thread (or the server) for each statement, which was the
            // largest single cost of a list page's nine statements. Only a connection idle for
            // a while can have been dropped by a server or a proxy, so only those are pinged.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(std::env::var_os("ANZE_SQL_TRACE").is_some())
            .sqlx_logging_level(tracing::log::LevelFilter::Warn);
        if !recycle {
            opts.max_lifetime(None::<Duration>)
                .idle_timeout(None::<Duration>);
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // A connection's worker thread hands rows over through a channel of this many;
                // at the default 50, a statement of thousands of rows (an export batch's plans
                // and names) woke the worker once per row after the first fifty. The rows end
                // up in one Vec either way, so a larger channel holds nothing more.
                .row_buffer_size(8192)
        });
        let writer = if backend == DbBackend::Sqlite {
            let mut one = opts.clone();
            one.max_connections(1).min_connections(1);
            Some(Database::connect(one).await.map_err(StoreError::Connect)?)
        } else {
            None
        };
        let conn = Database::connect(opts).await.map_err(StoreError::Connect)?;
        Ok(Self {
            conn,
            writer,
            integrity: Default::default(),
            dashboard_cache: Default::default(),
            reference: Default::default(),
        })
    }

    /// Applies pending migrations (safe to call on every start); answers how many there were.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let pending = Migrator::get_pending_migrations(&self.conn)
            .await
            .map_err(StoreError::Migrate)?
            .len();
        Migrator::up(&self.conn, None)
            .await
            .map_err(StoreError::Migrate)?;
        Ok(pending)
    }

    /// SQLite chooses indexes by its statistics and keeps none until told to: without them it
    /// guessed that a hazard's state narrows more than its order does, and an order's page
    /// walked every open hazard of the province. A database that has never been analyzed is
    /// analyzed from a sample of each index (`analysis_limit`: about half a minute for a
    /// province's data); after that `optimize` re-analyzes only tables that changed a lot.
    /// The sample undercounts a column with few values (a record's service item reads as
    /// 401 rows a value where it has 71,000), but a copy analyzed in full planned no measured
    /// page better (docs/performance.md). PostgreSQL and MySQL keep their statistics
    /// themselves.
    ///
    /// Analyzing writes the statistics tables, so it runs on the one write connection: writes
    /// made meanwhile wait their turn for it, where on a read connection they found the
    /// database locked and failed after the busy timeout (a login right after an upgrade that
    /// added an index to the records answered 500).
    pub async fn refresh_statistics(&self) -> CoreResult<()> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let analyzed = self
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'",
            ))
            .await
            .map_err(db_err)?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()
            .map_err(db_err)?
            .unwrap_or(0)
            > 0;
        self.write_conn()
            .execute_unprepared(if analyzed {
                "PRAGMA analysis_limit = 400; PRAGMA optimize;"
            } else {
                "PRAGMA analysis_limit = 400; ANALYZE;"
            })
            .await
            .map(|_| ())
            .map_err(db_err)
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// The backend's name, for logs and `anze config`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            DbBackend::MySql => "mysql",
            _ => "other",
        }
    }

    /// The connection pools as they are now: the main pool, and on SQLite the one write
    /// connection. sqlx tells how many connections are open and idle, not how many callers
    /// are waiting for one; a pool whose connections are all in use makes the next caller
    /// wait, and one that waits the whole acquire timeout is counted in
    /// `anze_db_pool_acquire_timeouts_total`.
    pub fn pool_status(&self) -> Vec<PoolStatus> {
        let mut pools = vec![PoolStatus::of("main", &self.conn)];
        if let Some(writer) = &self.writer {
            pools.push(PoolStatus::of("writer", writer));
        }
        pools
    }

    pub async fn close(self) {
        if let Some(writer) = self.writer {
            let _ = writer.close().await;
        }
        let _ = self.conn.close().await;
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`) on the
    /// one writer connection, so writers queue for that connection instead of one failing when
    /// it upgrades a read lock; writes outside a transaction still meet the busy timeout.
    pub(crate) async fn write(&self) -> CoreResult<DatabaseTransaction> {
        self.reference.writes_begin();
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: (self.backend() == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
        };
        self.writer
            .as_ref()
            .unwrap_or(&self.conn)
            .begin_with_options(options)
            .await
            .map_err(db_err)
    }

    /// The connection for a single write statement outside a transaction: on SQLite the one
    /// writer, so it queues behind write transactions instead of polling the busy timeout.
    pub(crate) fn write_conn(&self) -> &DatabaseConnection {
        self.writer.as_ref().unwrap_or(&self.conn)
    }

    /// Runs a raw query and returns its first column as text (the query casts it); used by
    /// test helpers.
    pub async fn query_strings(&self, sql: &str) -> CoreResult<Vec<String>> {
        let rows = self
            .conn
            .query_all_raw(sea_orm::Statement::from_string(self.backend(), sql))
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).map_err(db_err))
            .collect()
    }

    /// Runs a raw statement; used by test helpers and maintenance commands.
    pub async fn execute_unprepared(&self, sql: &str) -> CoreResult<()> {
        self.conn
            .execute_unprepared(sql)
            .await
            .map(|_| ())
            .map_err(db_err)
    }
}

/// One connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// `main`, or `writer` for SQLite's single write connection.
    pub name: &'static str,
    /// Connections open, in use or idle.
    pub size: u32,
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl PoolStatus {
    fn of(name: &'static str, conn: &DatabaseConnection) -> Self {
        fn read<DB: sea_orm::sqlx::Database>(
            name: &'static str,
            pool: &sea_orm::sqlx::Pool<DB>,
        ) -> PoolStatus {
            PoolStatus {
                name,
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            }
        }
        match conn.get_database_backend() {
            DbBackend::Sqlite => read(name, conn.get_sqlite_connection_pool()),
            DbBackend::Postgres => read(name, conn.get_postgres_connection_pool()),
            _ => read(name, conn.get_mysql_connection_pool()),
        }
    }
}

/// Maps a database error into the domain's terms: unique violations become `Duplicate`, the rest
/// is internal and keeps its message for the log.
pub(crate) fn db_err(e: DbErr) -> CoreError {
    if matches!(
        e,
        DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
    ) {
        // Every store method maps its errors here, so this sees each timed-out acquire once.
        metrics::counter!("anze_db_pool_acquire_timeouts_total").increment(1);
    }
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CoreError::Duplicate,
        _ => CoreError::Internal(e.to_string()),
    }
}
