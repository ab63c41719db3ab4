//! The tables a backup holds and how one row travels: read through the SeaORM entity (the same
//! decoding the application uses), written as a JSON array, read back into the `Value`s an
//! insert binds. The column list and each column's kind go into the archive's header, so a
//! later version of anze can load an archive without this version's entities.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable,
    ModelTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Value,
};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

use crate::entity;

/// What a column holds, as far as the archive is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Bool,
    I32,
    I64,
    F64,
    Text,
    /// `YYYY-MM-DD`.
    Date,
    /// An instant, RFC 3339 in UTC with as many fractional digits as it has.
    Timestamp,
    /// Binary, as lowercase hex (no table has one yet; a migration may add one).
    Bytes,
}

impl Kind {
    fn of(t: ArrayType) -> Option<Kind> {
        Some(match t {
            ArrayType::Bool => Kind::Bool,
            ArrayType::Int => Kind::I32,
            ArrayType::BigInt => Kind::I64,
            ArrayType::Double => Kind::F64,
            ArrayType::String => Kind::Text,
            ArrayType::ChronoDate => Kind::Date,
            ArrayType::ChronoDateTimeUtc => Kind::Timestamp,
            ArrayType::Bytes => Kind::Bytes,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
}

/// One table as the archive describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    pub name: String,
    pub columns: Vec<Column>,
    /// Names of the primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// A single integer key the database numbers: its sequence is moved past the loaded rows.
    pub auto_increment: bool,
}

/// One table of this version's schema, read through its entity.
#[async_trait::async_trait]
pub(crate) trait Table: Send + Sync {
    fn spec(&self) -> TableSpec;

    /// Up to `limit` rows after the key `after` (all from the start when `None`), in key
    /// order, each as its values in the order of `spec().columns`.
    async fn read_after(
        &self,
        txn: &DatabaseTransaction,
        after: Option<&[Value]>,
        limit: u64,
    ) -> Result<Vec<Vec<Value>>, DbErr>;

    /// Positions of the primary key's columns within a row.
    fn key_positions(&self) -> Vec<usize>;
}

struct Of<E>(PhantomData<E>);

#[async_trait::async_trait]
impl<E> Table for Of<E>
where
    E: EntityTrait + Sync,
    E::Model: Sync,
{
    fn spec(&self) -> TableSpec {
        let columns = E::Column::iter()
            .map(|c| Column {
                name: c.as_str().to_string(),
                kind: Kind::of(<E::Model as ModelTrait>::get_value_type(c)).unwrap_or_else(|| {
                    panic!(
                        "{}.{}: no archive encoding for this column type",
                        E::default().table_name(),
                        c.as_str()
                    )
                }),
                nullable: c.def().is_null(),
            })
            .collect();
        let primary_key: Vec<String> = E::PrimaryKey::iter()
            .map(|k| k.into_column().as_str().to_string())
            .collect();
        TableSpec {
            name: E::default().table_name().to_string(),
            columns,
            auto_increment: primary_key.len() == 1
                && <E::PrimaryKey as PrimaryKeyTrait>::auto_increment(),
            primary_key,
        }
    }

    fn key_positions(&self) -> Vec<usize> {
        let columns: Vec<E::Column> = E::Column::iter().collect();
        E::PrimaryKey::iter()
            .map(|k| {
                let c = k.into_column();
                columns
                    .iter()
                    .position(|x| x.as_str() == c.as_str())
                    .expect("a key column is a column")
            })
            .collect()
    }

    async fn read_after(
        &self,
        txn: &DatabaseTransaction,
        after: Option<&[Value]>,
        limit: u64,
    ) -> Result<Vec<Vec<Value>>, DbErr> {
        let key: Vec<E::Column> = E::PrimaryKey::iter().map(|k| k.into_column()).collect();
        let mut query = E::find();
        if let Some(after) = after {
            query = match key.as_slice() {
                [one] => query.filter(one.gt(after[0].clone())),
                // `(a, b) > (x, y)` alone is not a range for MariaDB, which would scan the key
                // from its start for every batch; `a >= x` in front of it is.
                [first, ..] => query.filter(first.gte(after[0].clone())).filter(
                    Expr::tuple(key.iter().map(|c| c.into_expr()))
                        .gt(Expr::tuple(after.iter().cloned().map(Expr::val))),
                ),
                [] => query,
            };
        }
        for c in &key {
            query = query.order_by_asc(*c);
        }
        let models = query.limit(limit).all(txn).await?;
        let columns: Vec<E::Column> = E::Column::iter().collect();
        Ok(models
            .iter()
            .map(|m| columns.iter().map(|c| m.get(*c)).collect())
            .collect())
    }
}

fn table<E>() -> Box<dyn Table>
where
    E: EntityTrait + Sync,
    E::Model: Sync,
{
    Box::new(Of::<E>(PhantomData))
}

/// Every table of the schema, each after the tables its foreign keys name, so rows load in
/// this order with every constraint checked. A test compares it with the migrated database.
pub(crate) fn tables() -> Vec<Box<dyn Table>> {
    use entity::*;
    vec![
        table::<region::Entity>(),
        table::<organization::Entity>(),
        table::<account::Entity>(),
        table::<role::Entity>(),
        table::<role_permission::Entity>(),
        table::<account_role::Entity>(),
        table::<session::Entity>(),
        table::<audit_event::Entity>(),
        table::<audit_chain_head::Entity>(),
        table::<audit_verification::Entity>(),
        table::<login_event::Entity>(),
        table::<login_throttle::Entity>(),
        table::<industry::Entity>(),
        table::<policy::Entity>(),
        table::<service_order::Entity>(),
        table::<order_plan::Entity>(),
        table::<order_assignee::Entity>(),
        table::<attachment::Entity>(),
        table::<pending_upload::Entity>(),
        table::<service_record::Entity>(),
        table::<record_staff::Entity>(),
        table::<hazard::Entity>(),
        table::<hazard_step::Entity>(),
        table::<checklist::Entity>(),
        table::<checklist_item::Entity>(),
        table::<inspection_check::Entity>(),
        table::<notice_receipt::Entity>(),
        table::<integrity_flag::Entity>(),
        table::<satisfaction_rating::Entity>(),
        table::<satisfaction_item_score::Entity>(),
        table::<calendar_day::Entity>(),
        table::<complaint::Entity>(),
        table::<complaint_step::Entity>(),
        table::<job_run::Entity>(),
        table::<notification::Entity>(),
        table::<webhook::Entity>(),
        table::<dashboard_fact::Entity>(),
        table::<dashboard_coverage::Entity>(),
        table::<dashboard_staff::Entity>(),
        table::<dashboard_refresh::Entity>(),
        table::<submission::Entity>(),
        table::<api_token::Entity>(),
        table::<api_call::Entity>(),
    ]
}

/// Tables the migrations fill (regions, industries, the shipped holidays, the chain's head
/// row): a database holding only these rows is still empty, and a restore replaces them.
pub(crate) const SEEDED: &[&str] = &[
    "regions",
    "industries",
    "calendar_days",
    "audit_chain_head",
    "checklists",
    "checklist_items",
];

/// One row as a JSON array. Fails on a value JSON cannot hold exactly (a non-finite float).
pub(crate) fn encode_row(row: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
    let values = row
        .iter()
        .map(encode_value)
        .collect::<Result<Vec<_>, _>>()?;
    serde_json::to_writer(&mut *out, &values).map_err(|e| e.to_string())?;
    out.push(b'\n');
    Ok(())
}

fn encode_value(v: &Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match v {
        Value::Bool(b) => b.map_or(J::Null, J::Bool),
        Value::Int(i) => i.map_or(J::Null, J::from),
        Value::BigInt(i) => i.map_or(J::Null, J::from),
        Value::Double(f) => match f {
            None => J::Null,
            Some(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .ok_or_else(|| format!("{f} cannot be written exactly"))?,
        },
        Value::String(s) => s.as_ref().map_or(J::Null, |s| J::String(s.clone())),
        Value::ChronoDate(d) => d.map_or(J::Null, |d| J::String(d.format("%Y-%m-%d").to_string())),
        Value::ChronoDateTimeUtc(t) => t.map_or(J::Null, |t| {
            J::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }),
        Value::Bytes(b) => b.as_ref().map_or(J::Null, |b| {
            J::String(b.iter().map(|x| format!("{x:02x}")).collect())
        }),
        other => return Err(format!("no archive encoding for {other:?}")),
    })
}

/// How finely the target keeps an instant: SQLite as written (nanoseconds), PostgreSQL in
/// microseconds, MySQL's `TIMESTAMP` in whole seconds. Instants are cut (never rounded, which
/// could carry one into the next second, day or year) to that before they are bound, so the
/// stored value is the same whichever way the driver or server would treat the rest.
fn fit_timestamp(t: DateTime<Utc>, backend: DbBackend) -> DateTime<Utc> {
    match backend {
        DbBackend::Postgres => t.trunc_subsecs(6),
        DbBackend::MySql => t.trunc_subsecs(0),
        _ => t,
    }
}

/// One line of a table chunk back into the values of `columns`.
pub(crate) fn decode_row(
    line: &[u8],
    columns: &[Column],
    backend: DbBackend,
) -> Result<Vec<Value>, String> {
    let values: Vec<serde_json::Value> =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON array: {e}"))?;
    if values.len() != columns.len() {
        return Err(format!(
            "{} values for {} columns",
            values.len(),
            columns.len()
        ));
    }
    values
        .into_iter()
        .zip(columns)
        .map(|(v, c)| {
            decode_value(v, c.kind, backend).map_err(|e| format!("column {}: {e}", c.name))
        })
        .collect()
}

fn decode_value(v: serde_json::Value, kind: Kind, backend: DbBackend) -> Result<Value, String> {
    use serde_json::Value as J;
    let null = serde_json::Value::is_null(&v);
    let bad = |v: &J| format!("{v} is not a {kind:?}");
    Ok(match kind {
        Kind::Bool => Value::Bool(if null {
            None
        } else {
            Some(v.as_bool().ok_or_else(|| bad(&v))?)
        }),
        Kind::I32 => Value::Int(if null {
            None
        } else {
            Some(
                v.as_i64()
                    .and_then(|i| i32::try_from(i).ok())
                    .ok_or_else(|| bad(&v))?,
            )
        }),
        Kind::I64 => Value::BigInt(if null {
            None
        } else {
            Some(v.as_i64().ok_or_else(|| bad(&v))?)
        }),
        Kind::F64 => Value::Double(if null {
            None
        } else {
            Some(v.as_f64().ok_or_else(|| bad(&v))?)
        }),
        Kind::Text => Value::String(match v {
            J::Null => None,
            J::String(s) => Some(s),
            other => return Err(bad(&other)),
        }),
        Kind::Date => Value::ChronoDate(match &v {
            J::Null => None,
            J::String(s) => Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad(&v))?),
            _ => return Err(bad(&v)),
        }),
        Kind::Timestamp => Value::ChronoDateTimeUtc(match &v {
            J::Null => None,
            J::String(s) => Some(fit_timestamp(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| bad(&v))?
                    .with_timezone(&Utc),
                backend,
            )),
            _ => return Err(bad(&v)),
        }),
        Kind::Bytes => Value::Bytes(match &v {
            J::Null => None,
            J::String(s) if s.len() % 2 == 0 && s.is_ascii() => Some(
                (0..s.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&s[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| bad(&v))?,
            ),
            _ => return Err(bad(&v)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_survives_the_json_line_exactly() {
        let columns: Vec<Column> = [
            Kind::Bool,
            Kind::I32,
            Kind::I64,
            Kind::F64,
            Kind::F64,
            Kind::Text,
            Kind::Date,
            Kind::Timestamp,
            Kind::Text,
            Kind::Bytes,
            Kind::Bytes,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, kind)| Column {
            name: format!("c{i}"),
            kind,
            nullable: true,
        })
        .collect();
        let t = DateTime::parse_from_rfc3339("2026-11-30T23:59:59.987654321Z")
            .unwrap()
            .with_timezone(&Utc);
        let row = vec![
            Value::Bool(Some(true)),
            Value::Int(Some(i32::MIN)),
            Value::BigInt(Some(i64::MAX)),
            Value::Double(Some(118.675_676_123_456_78)),
            Value::Double(Some(0.1 + 0.2)),
            Value::String(Some("泉州市丰泽区 \"引号\"\n第二行 \u{1F600}".into())),
            Value::ChronoDate(NaiveDate::from_ymd_opt(2026, 2, 28)),
            Value::ChronoDateTimeUtc(Some(t)),
            Value::String(None),
            Value::Bytes(Some(vec![0, 0x7f, 0x80, 0xff, b'\n'])),
            Value::Bytes(None),
        ];
        let mut line = Vec::new();
        encode_row(&row, &mut line).unwrap();
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let back = decode_row(&line[..line.len() - 1], &columns, DbBackend::Sqlite).unwrap();
        assert_eq!(back, row);

        // Cut, never rounded up into the next second (or day).
        let pg = decode_row(&line[..line.len() - 1], &columns, DbBackend::Postgres).unwrap();
        assert_eq!(pg[7], Value::ChronoDateTimeUtc(Some(t.trunc_subsecs(6))));
        let my = decode_row(&line[..line.len() - 1], &columns, DbBackend::MySql).unwrap();
        assert_eq!(
            my[7],
            Value::ChronoDateTimeUtc(Some(
                DateTime::parse_from_rfc3339("2026-11-30T23:59:59Z")
                    .unwrap()
                    .with_timezone(&Utc)
            ))
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused_with_its_column() {
        let columns = vec![Column {
            name: "enabled".into(),
            kind: Kind::Bool,
            nullable: false,
        }];
        let err = decode_row(b"[1]", &columns, DbBackend::Sqlite).unwrap_err();
        assert!(err.contains("enabled"), "{err}");
        assert!(decode_row(b"[true, 1]", &columns, DbBackend::Sqlite).is_err());
        assert!(encode_row(&[Value::Double(Some(f64::NAN))], &mut Vec::new()).is_err());
    }

    #[test]
    fn every_table_has_an_encoding_for_each_column() {
        for t in tables() {
            let spec = t.spec();
            assert!(!spec.primary_key.is_empty(), "{}", spec.name);
            assert_eq!(t.key_positions().len(), spec.primary_key.len());
        }
    }

    /// The list above against the schema the migrations build: every table, every column,
    /// and each table after the tables its foreign keys name.
    #[tokio::test]
    async fn the_table_list_is_the_migrated_schema_in_foreign_key_order() {
        use sea_orm::{ConnectionTrait, Statement};
        let path = std::env::temp_dir().join(format!(
            "anze-backup-schema-{}-{}.db",
            std::process::id(),
            rand_suffix()
        ));
        let db = crate::Db::connect(&format!("sqlite://{}", path.display()), 1)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let query = |sql: String| {
            let conn = db.conn.clone();
            async move {
                conn.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
                    .await
                    .unwrap()
            }
        };
        let specs: Vec<TableSpec> = tables().iter().map(|t| t.spec()).collect();
        let position = |name: &str| specs.iter().position(|s| s.name == name);
        let names = query(
            // The keyword index (`*_fts*`) and the tallies are derived: triggers refill them
            // from restore's inserts.
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT IN ('seaql_migrations', 'sqlite_sequence') \
             AND name NOT GLOB '*_tallies' \
             AND name NOT GLOB '*_fts*'"
                .into(),
        )
        .await;
        assert_eq!(names.len(), specs.len());
        for row in names {
            let name: String = row.try_get("", "name").unwrap();
            let at = position(&name).unwrap_or_else(|| panic!("{name} is not backed up"));
            let mut columns: Vec<String> = query(format!("PRAGMA table_info(\"{name}\")"))
                .await
                .iter()
                .map(|r| r.try_get("", "name").unwrap())
                .collect();
            let mut expected: Vec<String> =
                specs[at].columns.iter().map(|c| c.name.clone()).collect();
            columns.sort();
            expected.sort();
            assert_eq!(columns, expected, "columns of {name}");
            for fk in query(format!("PRAGMA foreign_key_list(\"{name}\")")).await {
                let target: String = fk.try_get("", "table").unwrap();
                assert!(
                    position(&target).is_some_and(|t| t < at),
                    "{name} must come after {target}"
                );
            }
        }
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    fn rand_suffix() -> u64 {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(0u8)
    }
}
