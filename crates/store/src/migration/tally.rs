//! Per-party tallies kept by triggers: a table of (party, key…, n) beside a big table, so a
//! list's total or a ledger's figures are a sum over a few rows instead of a walk over up to
//! ten thousand index entries of the big table.
//!
//! A party is `a:{agency}`, `i:{insurer}`, `r:{region}` or `*` (the platform). Triggers keep
//! the tallies in the writing transaction, on every backend and every write path (pages,
//! restore, the benchmark's loader); the tallies are derived data, not backed up, and
//! refilled from restore's own inserts. Rows of a tallied table are never deleted by a
//! foreign key's cascade (MySQL fires no trigger for those).

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// One tallied table.
pub(crate) struct Tally {
    /// The tallied table, e.g. `hazards`.
    pub table: &'static str,
    /// Its tallies, e.g. `hazard_tallies`.
    pub tallies: &'static str,
    /// PostgreSQL's trigger function.
    pub function: &'static str,
    /// The tallies' columns besides the party and `n`.
    pub keys: &'static [Key],
    /// Columns whose change moves a row between tallies.
    pub keyed: &'static str,
}

/// A column of the tallies besides the party and `n`.
pub(crate) enum Key {
    /// The row's own column of that name.
    Column(&'static str),
    /// A column filled by an expression over the row (its alias given).
    Computed(&'static str, fn(DbBackend, &str) -> String),
}

impl Key {
    fn name(&self) -> &'static str {
        match self {
            Key::Column(n) | Key::Computed(n, _) => n,
        }
    }

    fn value(&self, backend: DbBackend, row: &str) -> String {
        match self {
            Key::Column(n) => format!("{row}.{n}"),
            Key::Computed(_, f) => f(backend, row),
        }
    }
}

impl Tally {
    fn columns(&self) -> String {
        let mut cols = vec!["party"];
        cols.extend(self.keys.iter().map(Key::name));
        cols.join(", ")
    }

    /// The tally keys of row `row` (`NEW`, `OLD` or a table alias): its agency, insurer,
    /// region, and the platform.
    fn parties(backend: DbBackend, row: &str) -> Vec<String> {
        let concat = |prefix: &str, col: &str| match backend {
            DbBackend::MySql => format!("CONCAT('{prefix}', {row}.{col})"),
            _ => format!("'{prefix}' || {row}.{col}"),
        };
        vec![
            concat("a:", "agency_id"),
            concat("i:", "insurer_id"),
            concat("r:", "region_code"),
            "'*'".to_string(),
        ]
    }

    fn key_values(&self, backend: DbBackend, row: &str) -> String {
        self.keys
            .iter()
            .map(|k| k.value(backend, row))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Creates the triggers and counts what the table holds already.
    pub(crate) async fn install(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let backend = db.get_database_backend();
        for sql in self
            .triggers(backend)
            .into_iter()
            .chain(self.refill(backend))
        {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// Drops what `install` made, the tallies' table aside.
    pub(crate) async fn uninstall(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for sql in self.drop_triggers(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// The tallies counted afresh from the table, for a load that bypassed the triggers.
    pub(crate) fn refill(&self, backend: DbBackend) -> Vec<String> {
        let mut sql = vec![format!("DELETE FROM {}", self.tallies)];
        let group: Vec<String> = (1..=self.keys.len() + 1).map(|i| i.to_string()).collect();
        for party in Self::parties(backend, "t") {
            sql.push(format!(
                "INSERT INTO {tallies} ({columns}, n) \
                 SELECT {party}, {keys}, COUNT(*) FROM {table} t GROUP BY {group}",
                tallies = self.tallies,
                columns = self.columns(),
                keys = self.key_values(backend, "t"),
                table = self.table,
                group = group.join(", "),
            ));
        }
        sql
    }

    /// One statement adding `delta` to each party's tally of `row`.
    fn bump(&self, backend: DbBackend, row: &str, delta: i32) -> String {
        let values: Vec<String> = Self::parties(backend, row)
            .into_iter()
            .map(|party| format!("({party}, {}, {delta})", self.key_values(backend, row)))
            .collect();
        let values = values.join(", ");
        let head = format!(
            "INSERT INTO {} ({}, n) VALUES",
            self.tallies,
            self.columns()
        );
        match backend {
            DbBackend::MySql => {
                format!("{head} {values} ON DUPLICATE KEY UPDATE n = n + VALUES(n)")
            }
            _ => format!(
                "{head} {values} ON CONFLICT ({}) DO UPDATE SET n = {}.n + excluded.n",
                self.columns(),
                self.tallies
            ),
        }
    }

    /// The triggers that keep the tallies.
    fn triggers(&self, backend: DbBackend) -> Vec<String> {
        let (table, keyed) = (self.table, self.keyed);
        match backend {
            DbBackend::Postgres => vec![
                format!(
                    "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF TG_OP IN ('UPDATE', 'DELETE') THEN {}; END IF; \
                       IF TG_OP IN ('UPDATE', 'INSERT') THEN {}; END IF; \
                       RETURN NULL; \
                     END $$",
                    self.function,
                    self.bump(backend, "OLD", -1),
                    self.bump(backend, "NEW", 1)
                ),
                format!(
                    "CREATE TRIGGER {table}_tally AFTER INSERT OR DELETE OR UPDATE OF {keyed} \
                     ON {table} FOR EACH ROW EXECUTE FUNCTION {}()",
                    self.function
                ),
            ],
            DbBackend::MySql => vec![
                format!(
                    "CREATE TRIGGER {table}_tally_ai AFTER INSERT ON {table} FOR EACH ROW {}",
                    self.bump(backend, "NEW", 1)
                ),
                format!(
                    "CREATE TRIGGER {table}_tally_ad AFTER DELETE ON {table} FOR EACH ROW {}",
                    self.bump(backend, "OLD", -1)
                ),
                // MySQL has no UPDATE OF: an update that moves nothing adds and takes back one.
                format!(
                    "CREATE TRIGGER {table}_tally_au AFTER UPDATE ON {table} FOR EACH ROW \
                     BEGIN {}; {}; END",
                    self.bump(backend, "OLD", -1),
                    self.bump(backend, "NEW", 1)
                ),
            ],
            _ => vec![
                format!(
                    "CREATE TRIGGER {table}_tally_ai AFTER INSERT ON {table} BEGIN {}; END",
                    self.bump(backend, "new", 1)
                ),
                format!(
                    "CREATE TRIGGER {table}_tally_ad AFTER DELETE ON {table} BEGIN {}; END",
                    self.bump(backend, "old", -1)
                ),
                format!(
                    "CREATE TRIGGER {table}_tally_au AFTER UPDATE OF {keyed} ON {table} \
                     BEGIN {}; {}; END",
                    self.bump(backend, "old", -1),
                    self.bump(backend, "new", 1)
                ),
            ],
        }
    }

    /// What `triggers` made, dropped.
    fn drop_triggers(&self, backend: DbBackend) -> Vec<String> {
        let table = self.table;
        match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {table}_tally ON {table}"),
                format!("DROP FUNCTION IF EXISTS {}()", self.function),
            ],
            _ => ["ai", "ad", "au"]
                .iter()
                .map(|t| format!("DROP TRIGGER IF EXISTS {table}_tally_{t}"))
                .collect(),
        }
    }
}
