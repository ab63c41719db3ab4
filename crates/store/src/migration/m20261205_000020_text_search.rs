//! Keyword search (关键字, 企业名称) without reading the big tables: a substring of Chinese text
//! has no word boundaries to index, so each backend indexes character trigrams where it can.
//!
//! - SQLite: an FTS5 table per searched table, tokenized into trigrams, holding no copy of
//!   the text (`content=`), kept in step by triggers, so every write path (pages, imports,
//!   restore, the benchmark's loader) feeds it without knowing of it.
//! - PostgreSQL: pg_trgm GIN indexes, which `LIKE '%…%'` itself uses. The extension is
//!   created when the server offers it and the account may; otherwise the search scans.
//! - MySQL and MariaDB: none. MySQL's ngram full-text parser does not exist in MariaDB, and
//!   an InnoDB full-text index without it sees a run of Chinese characters as one word.
//!
//! A term of one or two characters has no trigram: it is matched with LIKE along the list's
//! own index (see `repo::search`).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, searched columns). The FTS5 table is `{table}_fts`, the indexes `idx_{table}_{col}_trgm`.
const SEARCHED: &[(&str, &[&str])] = &[
    ("service_records", &["location", "summary"]),
    ("hazards", &["hazard_no", "description"]),
    ("organizations", &["name", "credit_code"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for (table, cols) in SEARCHED {
                    for sql in sqlite_up(table, cols) {
                        db.execute_unprepared(&sql).await?;
                    }
                }
            }
            DbBackend::Postgres => {
                if !pg_trgm_usable(db).await? {
                    tracing::warn!(
                        "pg_trgm is not available to this account: keyword search will scan"
                    );
                    return Ok(());
                }
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await?;
                for (table, cols) in SEARCHED {
                    for col in *cols {
                        db.execute_unprepared(&format!(
                            "CREATE INDEX idx_{table}_{col}_trgm ON {table} \
                             USING gin ({col} gin_trgm_ops)"
                        ))
                        .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for (table, _) in SEARCHED {
                    for suffix in ["ai", "ad", "au"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {table}_fts_{suffix}"
                        ))
                        .await?;
                    }
                    db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}_fts"))
                        .await?;
                }
            }
            DbBackend::Postgres => {
                for (table, cols) in SEARCHED {
                    for col in *cols {
                        db.execute_unprepared(&format!(
                            "DROP INDEX IF EXISTS idx_{table}_{col}_trgm"
                        ))
                        .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The FTS5 table, its three triggers, and a first fill from the rows already there.
fn sqlite_up(table: &str, cols: &[&str]) -> Vec<String> {
    let fts = format!("{table}_fts");
    let list = cols.join(", ");
    let new: Vec<String> = cols.iter().map(|c| format!("new.{c}")).collect();
    let old: Vec<String> = cols.iter().map(|c| format!("old.{c}")).collect();
    let (new, old) = (new.join(", "), old.join(", "));
    let delete =
        format!("INSERT INTO {fts} ({fts}, rowid, {list}) VALUES ('delete', old.id, {old});");
    let insert = format!("INSERT INTO {fts} (rowid, {list}) VALUES (new.id, {new});");
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5({list}, content='{table}', \
             content_rowid='id', tokenize='trigram')"
        ),
        format!("CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN {insert} END"),
        format!("CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN {delete} END"),
        format!(
            "CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {list} ON {table} \
             BEGIN {delete} {insert} END"
        ),
        format!("INSERT INTO {fts} ({fts}) VALUES ('rebuild')"),
    ]
}

/// Installed already, or offered by the server and creatable by this account (pg_trgm is a
/// trusted extension: the CREATE privilege on the database suffices).
async fn pg_trgm_usable(db: &SchemaManagerConnection<'_>) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') \
             OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') \
                 AND has_database_privilege(current_database(), 'CREATE'))) AS usable",
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<bool>("", "usable")?,
        None => false,
    })
}
