//! The SQLite history: one file, WAL mode and a busy timeout so CI jobs adding at the same
//! time all land (each add is one IMMEDIATE transaction; a second writer waits its turn).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::schema::{self, Dialect};
use super::{
    db_error, Added, Fingerprint, PointRow, RunInfo, RunRecord, ValueTable, ValueTableBuilder,
};
use crate::util::error::Error;

/// How long a writer waits for another one before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

pub struct SqliteStore {
    conn: Connection,
    name: String,
    /// Metric name -> id, of ids known to be committed.
    metric_ids: HashMap<String, i64>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        let name = path.display().to_string();
        if path.is_dir() {
            return Err(db_error(
                &name,
                "is a directory, not a history database file",
            ));
        }
        let conn = Connection::open(path).map_err(|e| db_error(&name, e))?;
        let mut store = SqliteStore {
            conn,
            name,
            metric_ids: HashMap::new(),
        };
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.err(e))?;
        store.check_is_history()?;
        // WAL: readers never block the writer; NORMAL sync is durable in WAL mode.
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| store.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(store.err(format!("cannot switch to WAL mode (got {mode})")));
        }
        store
            .conn
            .execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
            .map_err(|e| store.err(e))?;
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        db_error(&self.name, e)
    }

    /// Refuses files that are not SQLite, and SQLite databases of something else, before
    /// anything is written to them.
    fn check_is_history(&self) -> Result<(), Error> {
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => self.err(
                    "not an adreport history: the file is not a SQLite database (give a new file name or an existing history)",
                ),
                _ => self.err(e),
            })?;
        if !tables.is_empty() && !tables.iter().any(|t| t == schema::VERSION_TABLE) {
            return Err(self.err(format!(
                "not an adreport history: a SQLite database with other tables ({}) and no {} table",
                tables.join(", "),
                schema::VERSION_TABLE
            )));
        }
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), Error> {
        let name = self.name.clone();
        let err = |e: rusqlite::Error| db_error(&name, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let exists: bool = tx
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [schema::VERSION_TABLE],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
            > 0;
        let version = if exists {
            tx.query_row(
                &format!("SELECT MAX(version) FROM {}", schema::VERSION_TABLE),
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map_err(err)?
            .unwrap_or(0)
        } else {
            tx.execute(&schema::create_version_table(), [])
                .map_err(err)?;
            0
        };
        if version > schema::VERSION {
            return Err(db_error(&name, schema::too_new(version)));
        }
        if version < schema::VERSION {
            for sql in schema::migrations(version, Dialect::Sqlite) {
                tx.execute(&sql, []).map_err(err)?;
            }
            tx.execute(&format!("DELETE FROM {}", schema::VERSION_TABLE), [])
                .map_err(err)?;
            tx.execute(
                &format!(
                    "INSERT INTO {} (version, written_by) VALUES (?1, ?2)",
                    schema::VERSION_TABLE
                ),
                params![
                    schema::VERSION,
                    format!("adreport {}", env!("CARGO_PKG_VERSION"))
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    pub fn add(&mut self, run: &RunRecord) -> Result<Added, Error> {
        let name = self.name.clone();
        let err = |e: rusqlite::Error| db_error(&name, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let replaced = tx
            .execute("DELETE FROM runs WHERE run_id = ?1", [&run.run_id])
            .map_err(err)?
            > 0;
        let f = &run.fingerprint;
        let hash = f.hash();
        tx.execute(
            schema::FINGERPRINT_INSERT,
            params![
                hash,
                f.model,
                f.gpu_name,
                f.gpu_count,
                f.driver,
                f.cuda,
                f.engine,
                f.engine_version,
                f.client,
                f.client_version,
                f.server_cmd_hash,
                f.config_hash
            ],
        )
        .map_err(err)?;
        let fingerprint: i64 = tx
            .query_row(
                "SELECT id FROM fingerprints WHERE hash = ?1",
                [&hash],
                |r| r.get(0),
            )
            .map_err(err)?;
        let tags = serde_json::to_string(&run.tags).unwrap_or_default();
        let inputs = serde_json::to_string(&run.inputs).unwrap_or_default();
        tx.execute(
            schema::RUN_INSERT,
            params![
                run.run_id,
                run.time,
                run.time_s,
                run.commit,
                run.branch,
                tags,
                inputs,
                fingerprint,
                crate::store::now_rfc3339()
            ],
        )
        .map_err(err)?;
        let run_key = tx.last_insert_rowid();
        let mut new_ids: HashMap<String, i64> = HashMap::new();
        {
            let mut point_stmt = tx.prepare_cached(schema::POINT_INSERT).map_err(err)?;
            let mut value_stmt = tx
                .prepare_cached(
                    "INSERT INTO point_values (point, metric, value) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            for p in &run.points {
                point_stmt
                    .execute(params![
                        run_key,
                        p.label,
                        p.source,
                        p.isl,
                        p.osl,
                        p.concurrency,
                        p.batch_size,
                        p.request_rate,
                        p.repeat
                    ])
                    .map_err(err)?;
                let point_key = tx.last_insert_rowid();
                for (metric, value) in &p.values {
                    let id = match self.metric_ids.get(metric).or(new_ids.get(metric)) {
                        Some(id) => *id,
                        None => {
                            let id = metric_id(&tx, metric).map_err(err)?;
                            new_ids.insert(metric.clone(), id);
                            id
                        }
                    };
                    value_stmt
                        .execute(params![point_key, id, value])
                        .map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)?;
        self.metric_ids.extend(new_ids);
        Ok(if replaced {
            Added::Replaced
        } else {
            Added::New
        })
    }

    /// The runs in the order of [`schema::runs_sql`].
    pub fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunInfo>, Error> {
        let sql = schema::runs_sql(last);
        self.conn
            .prepare(&sql)
            .and_then(|mut s| s.query_map([], run_info)?.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))
    }

    pub fn value_table(&mut self, run_keys: &[i64]) -> Result<ValueTable, Error> {
        let [points_sql, metrics_sql, values_sql] = schema::value_table_sql(run_keys);
        let read = || -> rusqlite::Result<ValueTable> {
            let points = self
                .conn
                .prepare(&points_sql)?
                .query_map([], |r| {
                    Ok(PointRow {
                        key: r.get(0)?,
                        run_key: r.get(1)?,
                        label: r.get(2)?,
                        isl: r.get(3)?,
                        osl: r.get(4)?,
                        concurrency: r.get(5)?,
                        batch_size: r.get(6)?,
                        request_rate: r.get(7)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let metrics = self
                .conn
                .prepare(&metrics_sql)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<HashMap<_, _>, _>>()?;
            let mut table = ValueTableBuilder::new(points, metrics);
            let mut stmt = self.conn.prepare(&values_sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                table.push(r.get(0)?, r.get(1)?, r.get(2)?);
            }
            Ok(table.finish())
        };
        read().map_err(|e| self.err(e))
    }
}

/// The id of a metric name, added when new.
fn metric_id(tx: &rusqlite::Transaction, name: &str) -> rusqlite::Result<i64> {
    if let Some(id) = tx
        .query_row("SELECT id FROM metrics WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    tx.execute("INSERT INTO metrics (name) VALUES (?1)", [name])?;
    Ok(tx.last_insert_rowid())
}

fn run_info(r: &rusqlite::Row) -> rusqlite::Result<RunInfo> {
    let tags: String = r.get(6)?;
    Ok(RunInfo {
        key: r.get(0)?,
        run_id: r.get(1)?,
        time: r.get(2)?,
        time_s: r.get(3)?,
        commit: r.get(4)?,
        branch: r.get(5)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        fingerprint_hash: r.get(7)?,
        fingerprint: Fingerprint {
            model: r.get(8)?,
            gpu_name: r.get(9)?,
            gpu_count: r.get(10)?,
            driver: r.get(11)?,
            cuda: r.get(12)?,
            engine: r.get(13)?,
            engine_version: r.get(14)?,
            client: r.get(15)?,
            client_version: r.get(16)?,
            server_cmd_hash: r.get(17)?,
            config_hash: r.get(18)?,
        },
        points: r.get(19)?,
    })
}
