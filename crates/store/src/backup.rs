//! `anze backup` and `anze restore`: everything the system holds (every table's rows and every
//! stored file) in one archive that any of the three databases and either storage can load.
//!
//! The backup reads all tables inside one transaction, so it sees one moment while the server
//! keeps writing: SQLite's read transaction holds a WAL snapshot, PostgreSQL and MySQL run it
//! REPEATABLE READ. Rows are read in primary-key batches and leave in chunks, files in pieces, so
//! memory stays flat whatever the database's size. The files copied are the ones the
//! snapshot's attachment rows name.
//!
//! A restore refuses before writing anything unless the archive's schema is one this program
//! knows, the target database and storage are empty and the whole archive checks out (a first
//! pass over it). It then brings the database's schema to the archive's version, loads every row
//! in one transaction and writes the files; if anything fails the transaction is rolled back and
//! the files written are removed. Migrations newer than the archive run afterwards.
//! The archive's layout is in `archive`.

mod archive;
mod schema;

use anze_core::CoreError;
use anze_core::attachment::{BlobStore, BlobWriter};
use chrono::Utc;
use sea_orm::sea_query::{Alias, InsertStatement, Query};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IsolationLevel, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionOptions,
    TransactionTrait, Value,
};
use sea_orm_migration::{MigratorTrait, SchemaManager};
use std::fmt;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

use crate::{Blobs, Db, Migrator, entity};
use archive::{Event, Piece};

pub use archive::{FileCount, Header, Manifest, TableCount};
pub use schema::{Column, Kind, TableSpec};

/// Rows read per query.
const READ_BATCH: u64 = 2000;
/// A table chunk is closed once it holds this much.
const CHUNK_BYTES: usize = 1024 * 1024;
/// Pieces in flight between the database side and the archive thread.
const CHANNEL: usize = 4;
/// Missing files named one by one (on the terminal and in the manifest); the rest are only
/// counted.
const MISSING_LISTED: usize = 10;
/// Files between two progress lines.
const FILES_PROGRESS_EVERY: u64 = 10_000;
/// Rows per insert statement at most. The driver keeps each statement shape it prepared
/// (SQLite: about 1 MB for 500 rows of 20 columns), so more rows cost memory, not much time.
const ROWS_PER_INSERT: usize = 100;
/// ...and about this many bytes of values. Over TLS (which sqlx uses whenever PostgreSQL
/// offers it) a statement larger than one 16 KiB record goes out in several writes, and without
/// TCP_NODELAY, which sqlx does not set, each further write waited for the server's delayed
/// acknowledgement: the small bench set took 22 s to load into a local PostgreSQL, 5 s without
/// TLS and 5 s with statements that fit one record.
const INSERT_BYTES: usize = 12 * 1024;
/// Rows of one table between two progress lines.
const ROWS_PROGRESS_EVERY: u64 = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "目标数据库不是空的:表 {table} 已有数据。还原只写入空数据库,请新建一个空数据库(SQLite:换一个数据目录)再还原"
    )]
    DatabaseNotEmpty { table: String },
    #[error("目标文件存储不是空的(例如 {key})。还原只写入空的存储,请换一个空目录或存储桶再还原")]
    StorageNotEmpty { key: String },
    #[error(
        "备份来自更新版本的 anze:它的数据库结构含本程序不认识的迁移 {migration}。请用同一或更新版本的 anze 还原"
    )]
    NewerSchema { migration: String },
    #[error(
        "目标数据库已迁移到与备份不同的结构(迁移 {migration} 不在备份中)。请还原到新建的空数据库"
    )]
    TargetSchema { migration: String },
    #[error("数据库结构与本程序不一致:{0}")]
    SourceSchema(String),
    #[error("备份格式版本 {0} 不受本程序支持;请用更新版本的 anze 还原")]
    Format(u32),
    #[error("备份文件已损坏:{0}")]
    Corrupt(String),
    #[error("数据库错误:{0}")]
    Database(String),
    #[error("文件存储错误:{0}")]
    Storage(String),
    #[error("读写备份文件失败:{0}")]
    Io(#[from] std::io::Error),
}

fn db_err(e: DbErr) -> BackupError {
    BackupError::Database(e.to_string())
}

fn storage_err(e: CoreError) -> BackupError {
    BackupError::Storage(e.to_string())
}

/// The archive thread went away; its own error says why.
fn writer_gone() -> BackupError {
    BackupError::Io(std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the archive writer stopped",
    ))
}

fn join_err(e: tokio::task::JoinError) -> BackupError {
    BackupError::Io(std::io::Error::other(e.to_string()))
}

/// What the operator sees while a backup or restore runs; `Display` is the line to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A table is done.
    Table {
        name: String,
        rows: u64,
    },
    /// A large table is under way.
    Rows {
        name: String,
        rows: u64,
    },
    Files {
        count: u64,
        bytes: u64,
    },
    MissingFile {
        key: String,
    },
    Step(&'static str),
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Table { name, rows } => write!(f, "表 {name}:{rows} 行"),
            Progress::Rows { name, rows } => write!(f, "表 {name}:已 {rows} 行…"),
            Progress::Files { count, bytes } => {
                write!(f, "文件:{count} 个,{}", size_label(*bytes))
            }
            Progress::MissingFile { key } => {
                write!(f, "警告:附件文件 {key} 已不在存储中,未能备份")
            }
            Progress::Step(s) => f.write_str(s),
        }
    }
}

pub fn size_label(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.2} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} 字节"),
    }
}

/// What `backup` wrote.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub archive_bytes: u64,
}

/// What `restore` loaded.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub header: Header,
    pub manifest: Manifest,
    /// Migrations this program applied after loading an archive of an older schema.
    pub upgraded: usize,
}

/// The schema this program builds: every migration's name, in order.
fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

async fn applied_migrations(conn: &impl ConnectionTrait) -> Result<Vec<String>, BackupError> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version").map_err(db_err))
        .collect()
}

fn quoted(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// Writes the archive of everything `db` and `blobs` hold to `out`: gzip-compressed unless the
/// name ends in `.tar`. The archive is written beside it as `<out>.partial` and renamed when
/// complete, so `out` is never a half-written archive.
pub async fn backup(
    db: &Db,
    blobs: &Blobs,
    out: &Path,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<BackupReport, BackupError> {
    let gzip = !out.to_string_lossy().ends_with(".tar");
    let partial = partial_path(out);
    let file = std::fs::File::create(&partial)?;
    let (tx, rx) = mpsc::channel(CHANNEL);
    let writer = tokio::task::spawn_blocking(move || archive::write(file, gzip, rx));
    let produced = produce(db, blobs, &tx, progress).await;
    let finished = match produced {
        Ok((tables, files)) => {
            let sent = tx.send(Piece::Finish { tables, files }).await;
            drop(tx);
            match (writer.await.map_err(join_err)?, sent) {
                (Ok(manifest), Ok(())) => Ok(manifest),
                (Err(e), _) => Err(e.into()),
                (Ok(_), Err(_)) => Err(writer_gone()),
            }
        }
        Err(e) => {
            drop(tx);
            let writer_failed = writer.await.ok().and_then(Result::err);
            let gone =
                matches!(&e, BackupError::Io(x) if x.kind() == std::io::ErrorKind::BrokenPipe);
            match writer_failed {
                // The producer stopped because the writer did: the writer's error is the cause.
                Some(io) if gone => Err(io.into()),
                _ => Err(e),
            }
        }
    };
    match finished {
        Ok(manifest) => {
            std::fs::rename(&partial, out)?;
            Ok(BackupReport {
                manifest,
                archive_bytes: std::fs::metadata(out)?.len(),
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

async fn send(tx: &mpsc::Sender<Piece>, piece: Piece) -> Result<(), BackupError> {
    tx.send(piece).await.map_err(|_| writer_gone())
}

/// Reads everything inside one transaction and sends it to the archive thread; returns the
/// counts for the manifest.
async fn produce(
    db: &Db,
    blobs: &Blobs,
    tx: &mpsc::Sender<Piece>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Vec<TableCount>, FileCount), BackupError> {
    let backend = db.backend();
    let options = match backend {
        // A deferred transaction: its first read fixes the snapshot every later read sees.
        DbBackend::Sqlite => TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: None,
        },
        _ => TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            sqlite_transaction_mode: None,
        },
    };
    let txn = db.conn.begin_with_options(options).await.map_err(db_err)?;
    if !SchemaManager::new(&txn)
        .has_table("seaql_migrations")
        .await
        .map_err(db_err)?
    {
        return Err(BackupError::SourceSchema(
            "数据库是空的(从未迁移),没有可备份的内容;请检查数据库配置".into(),
        ));
    }
    let applied = applied_migrations(&txn).await?;
    let known = known_migrations();
    if applied != known {
        let detail = match applied.iter().find(|m| !known.contains(m)) {
            Some(m) => format!("数据库已由更新版本的 anze 迁移(迁移 {m}),请用那个版本备份"),
            None => "数据库尚有未执行的迁移,请先运行 anze migrate".to_string(),
        };
        return Err(BackupError::SourceSchema(detail));
    }
    let tables = schema::tables();
    let header = Header {
        format: archive::FORMAT.into(),
        version: archive::FORMAT_VERSION,
        anze_version: env!("CARGO_PKG_VERSION").into(),
        created_at: Utc::now(),
        source: db.backend_name().into(),
        migrations: applied,
        tables: tables.iter().map(|t| t.spec()).collect(),
    };
    let data = serde_json::to_vec_pretty(&header).map_err(std::io::Error::other)?;
    send(
        tx,
        Piece::Entry {
            path: archive::HEADER.into(),
            data,
        },
    )
    .await?;
    let mut counts = Vec::with_capacity(tables.len());
    for t in &tables {
        let count = dump_table(&txn, t.as_ref(), tx, progress).await?;
        progress(Progress::Table {
            name: count.name.clone(),
            rows: count.rows,
        });
        counts.push(count);
    }
    let files = copy_files(&txn, blobs, tx, progress).await?;
    // Read only: nothing to keep.
    txn.rollback().await.map_err(db_err)?;
    Ok((counts, files))
}

async fn dump_table(
    txn: &DatabaseTransaction,
    table: &dyn schema::Table,
    tx: &mpsc::Sender<Piece>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<TableCount, BackupError> {
    let spec = table.spec();
    let keys = table.key_positions();
    let mut count = TableCount {
        name: spec.name.clone(),
        rows: 0,
        chunks: 0,
    };
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + 64 * 1024);
    let mut after: Option<Vec<Value>> = None;
    loop {
        let batch = table
            .read_after(txn, after.as_deref(), READ_BATCH)
            .await
            .map_err(db_err)?;
        for row in &batch {
            schema::encode_row(row, &mut chunk)
                .map_err(|e| BackupError::Database(format!("{}: {e}", spec.name)))?;
            count.rows += 1;
            if chunk.len() >= CHUNK_BYTES {
                flush_chunk(&mut count, &mut chunk, tx).await?;
            }
            if count.rows.is_multiple_of(ROWS_PROGRESS_EVERY) {
                progress(Progress::Rows {
                    name: count.name.clone(),
                    rows: count.rows,
                });
            }
        }
        match batch.last() {
            Some(last) if batch.len() as u64 == READ_BATCH => {
                after = Some(keys.iter().map(|&i| last[i].clone()).collect());
            }
            _ => break,
        }
    }
    if !chunk.is_empty() {
        flush_chunk(&mut count, &mut chunk, tx).await?;
    }
    Ok(count)
}

async fn flush_chunk(
    count: &mut TableCount,
    chunk: &mut Vec<u8>,
    tx: &mpsc::Sender<Piece>,
) -> Result<(), BackupError> {
    count.chunks += 1;
    let path = format!(
        "{}{}/{:06}.jsonl",
        archive::TABLES,
        count.name,
        count.chunks
    );
    let data = std::mem::replace(chunk, Vec::with_capacity(CHUNK_BYTES + 64 * 1024));
    send(tx, Piece::Entry { path, data }).await
}

/// Copies the files the snapshot's attachment rows name (originals and thumbnails).
async fn copy_files(
    txn: &DatabaseTransaction,
    blobs: &Blobs,
    tx: &mpsc::Sender<Piece>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<FileCount, BackupError> {
    use entity::attachment::{Column, Entity};
    let mut files = FileCount::default();
    let mut after = 0i64;
    loop {
        let batch: Vec<(i64, String, Option<String>)> = Entity::find()
            .select_only()
            .columns([Column::Id, Column::StorageKey, Column::ThumbKey])
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(500)
            .into_tuple()
            .all(txn)
            .await
            .map_err(db_err)?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (_, key, thumb) in batch {
            for key in std::iter::once(key).chain(thumb) {
                match copy_file(blobs, &key, tx).await? {
                    Some(size) => {
                        files.count += 1;
                        files.bytes += size;
                        if files.count.is_multiple_of(FILES_PROGRESS_EVERY) {
                            progress(Progress::Files {
                                count: files.count,
                                bytes: files.bytes,
                            });
                        }
                    }
                    None => {
                        files.missing_count += 1;
                        if files.missing.len() < MISSING_LISTED {
                            files.missing.push(key.clone());
                            progress(Progress::MissingFile { key });
                        }
                    }
                }
            }
        }
    }
    progress(Progress::Files {
        count: files.count,
        bytes: files.bytes,
    });
    Ok(files)
}

/// Streams one stored file into the archive; its size, or `None` when the storage does not
/// have it.
async fn copy_file(
    blobs: &Blobs,
    key: &str,
    tx: &mpsc::Sender<Piece>,
) -> Result<Option<u64>, BackupError> {
    let Some((size, mut reader)) = blobs.open_sized(key).await.map_err(storage_err)? else {
        return Ok(None);
    };
    send(
        tx,
        Piece::FileStart {
            path: format!("{}{key}", archive::FILES),
            size,
        },
    )
    .await?;
    let mut sent = 0u64;
    while let Some(chunk) = reader.next_chunk().await.map_err(storage_err)? {
        sent += chunk.len() as u64;
        if sent > size {
            break;
        }
        send(tx, Piece::Data(chunk)).await?;
    }
    if sent != size {
        return Err(BackupError::Storage(format!(
            "文件 {key} 在备份过程中发生了变化(应为 {size} 字节,读到 {sent} 字节),请重试"
        )));
    }
    send(tx, Piece::FileEnd).await?;
    Ok(Some(size))
}

/// Loads the archive at `path` into `db` and `blobs`, which must be empty; see the module's
/// documentation for the order of checks. On failure nothing stays written: the load is one
/// transaction, and files written before the failure are removed (the storage was empty).
/// Only the schema may remain, created up to the archive's version with its tables empty, which
/// a later restore accepts.
pub async fn restore(
    db: &Db,
    blobs: &Blobs,
    path: &Path,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<RestoreReport, BackupError> {
    // The header alone first: an archive of a newer schema is refused before anything else.
    let header = archive::read_header(path)?;
    let known = known_migrations();
    check_archive_schema(&header.migrations, &known)?;

    let applied = target_migrations(db).await?;
    if let Some((_, m)) = applied
        .iter()
        .enumerate()
        .find(|(i, m)| header.migrations.get(*i) != Some(*m))
    {
        return Err(BackupError::TargetSchema {
            migration: m.clone(),
        });
    }
    check_database_empty(db).await?;
    if let Some(key) = blobs.any_file().await.map_err(storage_err)? {
        return Err(BackupError::StorageNotEmpty { key });
    }

    progress(Progress::Step("校验备份文件(第一遍,只读)…"));
    let owned = path.to_owned();
    let (header, manifest) =
        tokio::task::spawn_blocking(move || archive::read(&owned, &mut |_| Ok(())))
            .await
            .map_err(join_err)??;
    check_archive_schema(&header.migrations, &known)?;
    progress(Progress::Step("校验通过,开始写入(第二遍)…"));

    let missing = header.migrations.len() - applied.len();
    if missing > 0 {
        Migrator::up(&db.conn, Some(missing as u32))
            .await
            .map_err(db_err)?;
    }
    if let Err(e) = load(db, blobs, path, &header, progress).await {
        match blobs.remove_everything().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "files of the failed restore removed"),
            Err(r) => {
                tracing::warn!(error = %r, "removing the files of the failed restore failed; \
                empty the storage before the next attempt")
            }
        }
        return Err(e);
    }
    let upgraded = known.len() - header.migrations.len();
    if upgraded > 0 {
        progress(Progress::Step("升级数据库结构到本程序的版本…"));
        db.migrate()
            .await
            .map_err(|e| BackupError::Database(e.to_string()))?;
    }
    Ok(RestoreReport {
        header,
        manifest,
        upgraded,
    })
}

/// The archive's migrations must be this program's, in its order (a prefix of them when the
/// archive is older).
fn check_archive_schema(archive: &[String], known: &[String]) -> Result<(), BackupError> {
    if let Some(m) = archive.iter().find(|m| !known.contains(m)) {
        return Err(BackupError::NewerSchema {
            migration: m.clone(),
        });
    }
    if known.get(..archive.len()) != Some(archive) {
        return Err(BackupError::Corrupt(
            "header.json 中迁移的顺序与本程序不一致".into(),
        ));
    }
    Ok(())
}

async fn target_migrations(db: &Db) -> Result<Vec<String>, BackupError> {
    let manager = SchemaManager::new(&db.conn);
    if !manager
        .has_table("seaql_migrations")
        .await
        .map_err(db_err)?
    {
        return Ok(vec![]);
    }
    applied_migrations(&db.conn).await
}

/// Every table but those the migrations fill must be missing or without rows.
async fn check_database_empty(db: &Db) -> Result<(), BackupError> {
    let manager = SchemaManager::new(&db.conn);
    let backend = db.backend();
    for table in schema::tables() {
        let name = table.spec().name;
        if schema::SEEDED.contains(&name.as_str())
            || !manager.has_table(&name).await.map_err(db_err)?
        {
            continue;
        }
        let any = db
            .conn
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT 1 AS one FROM {} LIMIT 1", quoted(backend, &name)),
            ))
            .await
            .map_err(db_err)?;
        if any.is_some() {
            return Err(BackupError::DatabaseNotEmpty { table: name });
        }
    }
    Ok(())
}

/// The second pass: every row in one transaction, every file, then the commit.
async fn load(
    db: &Db,
    blobs: &Blobs,
    path: &Path,
    header: &Header,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), BackupError> {
    let backend = db.backend();
    let txn = db
        .write()
        .await
        .map_err(|e| BackupError::Database(e.to_string()))?;
    // The rows the migrations put in (regions, holidays, the chain's head) make way for the
    // archive's; children first.
    for spec in header.tables.iter().rev() {
        txn.execute_unprepared(&format!("DELETE FROM {}", quoted(backend, &spec.name)))
            .await
            .map_err(db_err)?;
    }
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || {
        archive::read(&owned, &mut |event| {
            tx.blocking_send(event)
                .map_err(|_| BackupError::Io(std::io::Error::other("restore stopped")))
        })
    });
    let mut loader = Loader {
        txn: &txn,
        blobs,
        backend,
        header,
        table: None,
        pending: None,
        per_statement: None,
        file: None,
        files: FileCount::default(),
    };
    let mut loaded = Ok(());
    while let Some(event) = rx.recv().await {
        if let Err(e) = loader.handle(event, progress).await {
            loaded = Err(e);
            break;
        }
    }
    // Stops the reader if the loader failed.
    drop(rx);
    let read = reader.await.map_err(join_err)?;
    let outcome = match (loaded, read) {
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(_)) => loader.finish(progress).await,
    };
    if let Some(w) = loader.file.take() {
        w.abort().await;
    }
    match outcome {
        Ok(()) => txn.commit().await.map_err(db_err),
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

struct Loader<'a> {
    txn: &'a DatabaseTransaction,
    blobs: &'a Blobs,
    backend: DbBackend,
    header: &'a Header,
    /// The table being loaded and its rows so far.
    table: Option<(usize, u64)>,
    /// The insert being filled for that table, and its rows.
    pending: Option<(InsertStatement, usize)>,
    /// Rows per insert for that table, from its first chunk.
    per_statement: Option<usize>,
    file: Option<Box<dyn BlobWriter>>,
    files: FileCount,
}

impl Loader<'_> {
    async fn handle(
        &mut self,
        event: Event,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), BackupError> {
        match event {
            Event::Rows { table, chunk } => {
                let index = self
                    .header
                    .tables
                    .iter()
                    .position(|t| t.name == table)
                    .ok_or_else(|| BackupError::Corrupt(format!("未知的表 {table}")))?;
                if self.table.map(|(i, _)| i) != Some(index) {
                    self.end_table(progress).await?;
                    self.table = Some((index, 0));
                }
                let rows = self.add_rows(index, &chunk).await?;
                if let Some((i, n)) = &mut self.table {
                    let before = *n;
                    *n += rows;
                    if *n / ROWS_PROGRESS_EVERY > before / ROWS_PROGRESS_EVERY {
                        progress(Progress::Rows {
                            name: self.header.tables[*i].name.clone(),
                            rows: *n,
                        });
                    }
                }
                Ok(())
            }
            Event::FileStart { key } => {
                self.end_table(progress).await?;
                self.file = Some(self.blobs.writer(&key).await.map_err(storage_err)?);
                Ok(())
            }
            Event::Data(data) => match &mut self.file {
                Some(w) => {
                    self.files.bytes += data.len() as u64;
                    w.write(data).await.map_err(storage_err)
                }
                None => Err(BackupError::Corrupt("文件数据不在文件条目中".into())),
            },
            Event::FileEnd => match self.file.take() {
                Some(w) => {
                    w.close().await.map_err(storage_err)?;
                    self.files.count += 1;
                    if self.files.count.is_multiple_of(FILES_PROGRESS_EVERY) {
                        progress(Progress::Files {
                            count: self.files.count,
                            bytes: self.files.bytes,
                        });
                    }
                    Ok(())
                }
                None => Err(BackupError::Corrupt("文件结束标记不在文件条目中".into())),
            },
        }
    }

    /// Adds one chunk's rows to the table's inserts, many rows per statement (within every
    /// backend's limit of bound values). Statements carry the same number of rows across
    /// chunks, so the driver prepares (and caches) two shapes per table, not one per chunk.
    async fn add_rows(&mut self, index: usize, chunk: &[u8]) -> Result<u64, BackupError> {
        let header = self.header;
        let spec = &header.tables[index];
        let per_statement = *self
            .per_statement
            .get_or_insert_with(|| rows_per_statement(spec, chunk));
        let mut rows = 0;
        for line in chunk.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let values = schema::decode_row(line, &spec.columns, self.backend).map_err(|e| {
                BackupError::Corrupt(format!("表 {} 的一行无法读取:{e}", spec.name))
            })?;
            let (statement, n) = self.pending.get_or_insert_with(|| {
                let mut s = Query::insert();
                s.into_table(Alias::new(&spec.name))
                    .columns(spec.columns.iter().map(|c| Alias::new(&c.name)));
                (s, 0)
            });
            statement
                .values(values.into_iter().map(Into::into))
                .map_err(|e| BackupError::Corrupt(e.to_string()))?;
            *n += 1;
            rows += 1;
            if *n == per_statement {
                self.flush(index).await?;
            }
        }
        Ok(rows)
    }

    async fn flush(&mut self, index: usize) -> Result<(), BackupError> {
        if let Some((statement, _)) = self.pending.take() {
            self.txn
                .execute(&statement)
                .await
                .map_err(|e| row_err(&self.header.tables[index], e))?;
        }
        Ok(())
    }

    /// The current table's last insert, and its line.
    async fn end_table(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), BackupError> {
        if let Some((i, rows)) = self.table.take() {
            self.flush(i).await?;
            self.per_statement = None;
            progress(Progress::Table {
                name: self.header.tables[i].name.clone(),
                rows,
            });
        }
        Ok(())
    }

    /// After the last row: the last table's line, the files' line, and PostgreSQL's sequences
    /// moved past the loaded ids (SQLite and MySQL move theirs when an id is inserted).
    async fn finish(
        &mut self,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), BackupError> {
        self.end_table(progress).await?;
        progress(Progress::Files {
            count: self.files.count,
            bytes: self.files.bytes,
        });
        if self.backend == DbBackend::Postgres {
            for spec in self.header.tables.iter().filter(|t| t.auto_increment) {
                let key = &spec.primary_key[0];
                self.txn
                    .execute_unprepared(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{key}'), \
                         COALESCE((SELECT MAX(\"{key}\") FROM \"{table}\"), 0) + 1, false)",
                        table = spec.name
                    ))
                    .await
                    .map_err(db_err)?;
            }
        }
        Ok(())
    }
}

/// As many rows as keep a statement's values near `INSERT_BYTES`, judged by the chunk's lines
/// (a value's JSON is about as long as its bound form, plus a few bytes each for its length).
/// The same number for the whole table, so its statements share one prepared shape.
fn rows_per_statement(spec: &TableSpec, chunk: &[u8]) -> usize {
    let lines = chunk.iter().filter(|b| **b == b'\n').count().max(1);
    let row_bytes = chunk.len() / lines + 6 * spec.columns.len();
    (INSERT_BYTES / row_bytes.max(1)).clamp(1, ROWS_PER_INSERT)
}

fn row_err(spec: &TableSpec, e: DbErr) -> BackupError {
    BackupError::Database(format!("写入表 {} 失败:{e}", spec.name))
}
