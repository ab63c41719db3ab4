//! Bulk loading of generated data sets (`anze bench`): multi-row inserts through prepared
//! statements inside large transactions, with the backend's load-time settings switched on only
//! while loading. Nothing here is used by the application itself.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use std::collections::HashMap;

use crate::{Db, StoreError};

pub use sea_orm::sea_query::Value;

/// Rows of one statement are capped so that a statement stays within every backend's limit of
/// bound parameters (SQLite 32,766; PostgreSQL and MySQL 65,535).
const MAX_PARAMS: usize = 30_000;
const MAX_ROWS_PER_STATEMENT: usize = 1_000;
/// Rows committed per transaction: large enough that commits cost nothing, small enough that
/// a PostgreSQL or MySQL transaction does not grow without bound.
const ROWS_PER_TRANSACTION: usize = 500_000;

#[derive(Debug, thiserror::Error)]
#[error("bulk load: {0}")]
pub struct BulkError(String);

impl From<sea_orm::DbErr> for BulkError {
    fn from(e: sea_orm::DbErr) -> Self {
        BulkError(e.to_string())
    }
}

impl From<StoreError> for BulkError {
    fn from(e: StoreError) -> Self {
        BulkError(e.to_string())
    }
}

struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows_per_statement: usize,
    /// Values of the rows not yet written, row after row.
    pending: Vec<Value>,
    written: u64,
}

/// One connection that writes generated rows table by table. Rows are buffered per table and
/// written as multi-row `INSERT`s of a fixed size, so the statement is prepared once per table;
/// `finish` writes the rest, commits and restores the backend's normal settings.
pub struct BulkLoader {
    conn: DatabaseConnection,
    backend: DbBackend,
    txn: Option<DatabaseTransaction>,
    rows_in_txn: usize,
    tables: Vec<Table>,
    by_name: HashMap<&'static str, usize>,
    sql: HashMap<(usize, usize), String>,
}

impl BulkLoader {
    /// Opens its own single connection to `url` (migrations must have run) and switches the
    /// backend to load mode: no fsync, no foreign-key checks (the generator keeps references
    /// consistent), a large page cache.
    pub async fn open(url: &str) -> Result<Self, BulkError> {
        // Never recycled: a fresh connection would come without the load-mode settings below.
        let db = Db::connect_with(url, 1, false).await?;
        // The loader's one connection must be the only one: leaving WAL needs the database to
        // itself.
        if let Some(writer) = db.writer {
            let _ = writer.close().await;
        }
        let conn = db.conn;
        let backend = conn.get_database_backend();
        let settings: &[&str] = match backend {
            DbBackend::Sqlite => &[
                "PRAGMA foreign_keys = OFF",
                "PRAGMA synchronous = OFF",
                "PRAGMA journal_mode = OFF",
                // Up to 2 GiB of page cache (taken only as the B-trees grow): with 256 MiB a
                // province's indexes outgrew it, and the load spent about half its time
                // reading index pages back from the file (4.4 GB written in 33 minutes).
                "PRAGMA cache_size = -2097152",
                "PRAGMA temp_store = MEMORY",
            ],
            DbBackend::Postgres => &[
                "SET synchronous_commit = off",
                "SET session_replication_role = replica",
            ],
            DbBackend::MySql => &["SET foreign_key_checks = 0", "SET unique_checks = 0"],
            _ => &[],
        };
        for s in settings {
            conn.execute_unprepared(s).await?;
        }
        Ok(Self {
            conn,
            backend,
            txn: None,
            rows_in_txn: 0,
            tables: Vec::new(),
            by_name: HashMap::new(),
            sql: HashMap::new(),
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// A query on the open transaction if there is one: the loader has a single connection.
    async fn query_one(&self, stmt: Statement) -> Result<Option<sea_orm::QueryResult>, BulkError> {
        Ok(match &self.txn {
            Some(txn) => txn.query_one_raw(stmt).await?,
            None => self.conn.query_one_raw(stmt).await?,
        })
    }

    /// The largest id in `table`, 0 when empty: generated rows continue after existing ones.
    pub async fn max_id(&self, table: &str) -> Result<i64, BulkError> {
        let row = self
            .query_one(Statement::from_string(
                self.backend,
                format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"),
            ))
            .await?
            .ok_or_else(|| BulkError(format!("no answer from {table}")))?;
        Ok(row.try_get::<i64>("", "m")?)
    }

    /// Whether a table exists (tables added by later work are filled only when present).
    pub async fn has_table(&self, table: &str) -> Result<bool, BulkError> {
        let sql = match self.backend {
            DbBackend::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?"
            }
            DbBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
            _ => {
                "SELECT COUNT(*) AS n FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = ?"
            }
        };
        let row = self
            .query_one(Statement::from_sql_and_values(
                self.backend,
                sql,
                [Value::from(table.to_string())],
            ))
            .await?
            .ok_or_else(|| BulkError("no answer".into()))?;
        Ok(row.try_get::<i64>("", "n")? > 0)
    }

    /// Declares a table and the columns its rows give, in order.
    pub fn table(&mut self, name: &'static str, columns: &'static [&'static str]) {
        if self.by_name.contains_key(name) {
            return;
        }
        self.by_name.insert(name, self.tables.len());
        self.tables.push(Table {
            name,
            columns,
            rows_per_statement: (MAX_PARAMS / columns.len()).clamp(1, MAX_ROWS_PER_STATEMENT),
            pending: Vec::new(),
            written: 0,
        });
    }

    /// Adds one row to a declared table; writes a full statement's worth when one is ready.
    pub async fn row(
        &mut self,
        table: &'static str,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<(), BulkError> {
        let i = *self
            .by_name
            .get(table)
            .ok_or_else(|| BulkError(format!("table {table} was not declared")))?;
        let t = &mut self.tables[i];
        let before = t.pending.len();
        t.pending.extend(values);
        if t.pending.len() - before != t.columns.len() {
            return Err(BulkError(format!(
                "{table}: a row of {} values for {} columns",
                t.pending.len() - before,
                t.columns.len()
            )));
        }
        if t.pending.len() >= t.rows_per_statement * t.columns.len() {
            self.flush(i).await?;
        }
        Ok(())
    }

    /// Rows written so far, per table.
    pub fn written(&self) -> Vec<(&'static str, u64)> {
        self.tables.iter().map(|t| (t.name, t.written)).collect()
    }

    fn insert_sql(&mut self, i: usize, rows: usize) -> String {
        let backend = self.backend;
        let t = &self.tables[i];
        self.sql
            .entry((i, rows))
            .or_insert_with(|| {
                let cols = t.columns.len();
                let mut sql = format!("INSERT INTO {} ({}) VALUES ", t.name, t.columns.join(", "));
                sql.reserve(rows * cols * 6);
                let mut n = 0usize;
                for r in 0..rows {
                    if r > 0 {
                        sql.push(',');
                    }
                    sql.push('(');
                    for c in 0..cols {
                        if c > 0 {
                            sql.push(',');
                        }
                        n += 1;
                        if backend == DbBackend::Postgres {
                            sql.push('$');
                            sql.push_str(&n.to_string());
                        } else {
                            sql.push('?');
                        }
                    }
                    sql.push(')');
                }
                sql
            })
            .clone()
    }

    async fn flush(&mut self, i: usize) -> Result<(), BulkError> {
        let cols = self.tables[i].columns.len();
        let rows = self.tables[i].pending.len() / cols;
        if rows == 0 {
            return Ok(());
        }
        let sql = self.insert_sql(i, rows);
        let values = std::mem::take(&mut self.tables[i].pending);
        if self.txn.is_none() {
            self.txn = Some(self.conn.begin().await?);
        }
        let stmt = Statement::from_sql_and_values(self.backend, sql, values);
        if let Some(txn) = &self.txn {
            txn.execute_raw(stmt)
                .await
                .map_err(|e| BulkError(format!("insert into {}: {e}", self.tables[i].name)))?;
        }
        let t = &mut self.tables[i];
        t.pending = Vec::with_capacity(t.rows_per_statement * cols);
        t.written += rows as u64;
        self.rows_in_txn += rows;
        if self.rows_in_txn >= ROWS_PER_TRANSACTION {
            self.commit().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), BulkError> {
        if let Some(txn) = self.txn.take() {
            txn.commit().await?;
        }
        self.rows_in_txn = 0;
        Ok(())
    }

    /// Writes every buffered row and commits, so that all tables are consistent.
    pub async fn flush_all(&mut self) -> Result<(), BulkError> {
        for i in 0..self.tables.len() {
            self.flush(i).await?;
        }
        self.commit().await
    }

    /// Writes the rest, restores the backend's normal settings, moves PostgreSQL's id sequences
    /// past the generated ids and refreshes the planner's statistics where the backend keeps
    /// them automatically anyway (PostgreSQL, MySQL). SQLite keeps none unless asked, and the
    /// application never asks, so none are made here either: the plans measured are the plans
    /// a real installation gets.
    pub async fn finish(mut self) -> Result<(), BulkError> {
        self.flush_all().await?;
        let tables: Vec<&'static str> = self.tables.iter().map(|t| t.name).collect();
        match self.backend {
            DbBackend::Sqlite => {
                for s in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA foreign_keys = ON",
                ] {
                    self.conn.execute_unprepared(s).await?;
                }
            }
            DbBackend::Postgres => {
                self.conn
                    .execute_unprepared("SET session_replication_role = origin")
                    .await?;
                // Replica mode fired no trigger: the tallies are counted afresh.
                for tally in crate::migration::TALLIES {
                    for sql in tally.refill(self.backend) {
                        self.conn.execute_unprepared(&sql).await?;
                    }
                }
                for t in &tables {
                    let has_id = self
                        .conn
                        .query_one_raw(Statement::from_sql_and_values(
                            self.backend,
                            "SELECT COUNT(*) AS n FROM information_schema.columns \
                             WHERE table_schema = current_schema() AND table_name = $1 \
                             AND column_name = 'id'",
                            [Value::from(t.to_string())],
                        ))
                        .await?
                        .map(|r| r.try_get::<i64>("", "n"))
                        .transpose()?
                        .unwrap_or(0)
                        > 0;
                    if has_id {
                        self.conn
                            .execute_unprepared(&format!(
                                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                                 (SELECT COALESCE(MAX(id), 1) FROM {t}))"
                            ))
                            .await?;
                    }
                }
                self.conn.execute_unprepared("VACUUM ANALYZE").await?;
            }
            DbBackend::MySql => {
                self.conn
                    .execute_unprepared("SET foreign_key_checks = 1")
                    .await?;
                self.conn
                    .execute_unprepared("SET unique_checks = 1")
                    .await?;
                for t in &tables {
                    self.conn
                        .execute_unprepared(&format!("ANALYZE TABLE {t}"))
                        .await?;
                }
            }
            _ => {}
        }
        let _ = self.conn.close().await;
        Ok(())
    }
}
