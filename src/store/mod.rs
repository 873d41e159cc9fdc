//! The run store behind `adreport history`: every point of every run added, with a
//! fingerprint of what ran, in SQLite (one file, the default) or PostgreSQL (`postgres://...`,
//! shared by a team). Both use the same schema and migrations ([`schema`]).
//!
//! The store speaks in plain records (labels, load, canonical metric names, numbers); the
//! history job builds them from sweeps and reads series back.

pub mod postgres;
pub mod schema;
pub mod sqlite;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use sha2::{Digest, Sha256};

use crate::util::error::Error;

/// What ran: the things that, when they change, explain a step that is not the code's doing.
/// Unknown fields are `None`; `hash` covers every field.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fingerprint {
    pub model: Option<String>,
    pub gpu_name: Option<String>,
    pub gpu_count: Option<i64>,
    pub driver: Option<String>,
    pub cuda: Option<String>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub client: Option<String>,
    pub client_version: Option<String>,
    /// Hash of the server command line (listen address left out).
    pub server_cmd_hash: Option<String>,
    /// Hash of the config files and the client's settings.
    pub config_hash: Option<String>,
}

impl Fingerprint {
    /// (name, value) of every field, in schema order.
    pub fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("model", self.model.clone()),
            ("gpu_name", self.gpu_name.clone()),
            ("gpu_count", self.gpu_count.map(|n| n.to_string())),
            ("driver", self.driver.clone()),
            ("cuda", self.cuda.clone()),
            ("engine", self.engine.clone()),
            ("engine_version", self.engine_version.clone()),
            ("client", self.client.clone()),
            ("client_version", self.client_version.clone()),
            ("server_cmd_hash", self.server_cmd_hash.clone()),
            ("config_hash", self.config_hash.clone()),
        ]
    }

    /// A stable 16-hex-digit name of the whole fingerprint.
    pub fn hash(&self) -> String {
        let text: Vec<String> = self
            .fields()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", v.unwrap_or_default()))
            .collect();
        short_hash(text.join("\n").as_bytes())
    }

    /// The fields that differ from `other`: (name, this one's value, other's value).
    pub fn differences(&self, other: &Fingerprint) -> Vec<(&'static str, String, String)> {
        self.fields()
            .into_iter()
            .zip(other.fields())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((k, a), (_, b))| (k, a.unwrap_or("-".into()), b.unwrap_or("-".into())))
            .collect()
    }
}

/// The first 16 hex digits of SHA-256: names runs, fingerprints and configs.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// One load point of a run as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPoint {
    pub label: String,
    pub source: String,
    pub isl: Option<i64>,
    pub osl: Option<i64>,
    pub concurrency: Option<i64>,
    pub batch_size: Option<i64>,
    pub request_rate: Option<f64>,
    /// 0 for the first measurement of this point in the run, 1.. for repeats.
    pub repeat: i64,
    /// Canonical metric name -> value.
    pub values: BTreeMap<String, f64>,
}

/// A run as `history add` writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub run_id: String,
    /// RFC 3339 as given; `time_s` orders the runs.
    pub time: String,
    pub time_s: i64,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The paths the run was read from, for the record.
    pub inputs: Vec<String>,
    pub fingerprint: Fingerprint,
    pub points: Vec<StoredPoint>,
}

/// A stored run without its points.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// The database's own key: the values refer to it.
    pub key: i64,
    pub run_id: String,
    pub time: String,
    pub time_s: i64,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub fingerprint: Fingerprint,
    pub fingerprint_hash: String,
    pub points: i64,
}

/// One stored value with where it belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRow {
    pub run_key: i64,
    /// The stored point (repeats of a load point are separate points).
    pub point_key: i64,
    pub label: String,
    pub isl: Option<i64>,
    pub osl: Option<i64>,
    pub concurrency: Option<i64>,
    pub batch_size: Option<i64>,
    pub request_rate: Option<f64>,
    pub metric: String,
    pub value: f64,
}

/// A stored load point without its values.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRow {
    pub key: i64,
    pub run_key: i64,
    pub label: String,
    pub isl: Option<i64>,
    pub osl: Option<i64>,
    pub concurrency: Option<i64>,
    pub batch_size: Option<i64>,
    pub request_rate: Option<f64>,
}

/// The values of a set of runs as columns: a history of 10,000 runs is millions of values, so
/// each row is three numbers, not a copy of its point's label and its metric's name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueTable {
    /// Ordered by run, then point.
    pub points: Vec<PointRow>,
    /// Metric id -> canonical name.
    pub metrics: HashMap<i64, String>,
    /// Per value: index into `points`, metric id, value; ordered by point, then metric id.
    pub point: Vec<u32>,
    pub metric: Vec<i64>,
    pub value: Vec<f64>,
}

/// Fills a [`ValueTable`] from the rows of [`schema::value_table_sql`] as they are read.
pub struct ValueTableBuilder {
    table: ValueTable,
    /// (point key, index into `points`), by key.
    by_key: Vec<(i64, u32)>,
    at: usize,
}

impl ValueTableBuilder {
    pub fn new(points: Vec<PointRow>, metrics: HashMap<i64, String>) -> ValueTableBuilder {
        let mut by_key: Vec<(i64, u32)> = (0..points.len())
            .map(|i| (points[i].key, i as u32))
            .collect();
        by_key.sort_unstable();
        ValueTableBuilder {
            table: ValueTable {
                points,
                metrics,
                ..Default::default()
            },
            by_key,
            at: 0,
        }
    }

    /// One value; they come ordered by point key.
    pub fn push(&mut self, point_key: i64, metric: i64, value: f64) {
        while self
            .by_key
            .get(self.at)
            .is_some_and(|(k, _)| *k < point_key)
        {
            self.at += 1;
        }
        if let Some(&(k, index)) = self.by_key.get(self.at) {
            if k == point_key {
                self.table.point.push(index);
                self.table.metric.push(metric);
                self.table.value.push(value);
            }
        }
    }

    pub fn finish(self) -> ValueTable {
        let mut t = self.table;
        // Point keys grow with the run keys, so this is sorted already; stay right if not.
        if !t.point.is_sorted() {
            let mut order: Vec<usize> = (0..t.point.len()).collect();
            order.sort_by_key(|&i| t.point[i]);
            t.point = order.iter().map(|&i| t.point[i]).collect();
            t.metric = order.iter().map(|&i| t.metric[i]).collect();
            t.value = order.iter().map(|&i| t.value[i]).collect();
        }
        t
    }
}

impl ValueTable {
    /// The values as rows, ordered by run, point, metric id.
    pub fn rows(&self) -> Vec<ValueRow> {
        (0..self.value.len())
            .map(|i| {
                let p = &self.points[self.point[i] as usize];
                ValueRow {
                    run_key: p.run_key,
                    point_key: p.key,
                    label: p.label.clone(),
                    isl: p.isl,
                    osl: p.osl,
                    concurrency: p.concurrency,
                    batch_size: p.batch_size,
                    request_rate: p.request_rate,
                    metric: self
                        .metrics
                        .get(&self.metric[i])
                        .cloned()
                        .unwrap_or_default(),
                    value: self.value[i],
                }
            })
            .collect()
    }
}

/// What `add` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    /// A run with the same id was there and is now replaced.
    Replaced,
}

/// An open history database.
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// Where a history lives: a PostgreSQL URL or a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

impl Store {
    /// Opens (and creates or migrates) the history at `db`.
    pub fn open(db: &str) -> Result<Store, Error> {
        if is_postgres_url(db) {
            Ok(Store::Postgres(postgres::PgStore::open(db)?))
        } else {
            Ok(Store::Sqlite(sqlite::SqliteStore::open(db.as_ref())?))
        }
    }

    /// Stores a run; a run with the same id is replaced in the same transaction.
    pub fn add(&mut self, run: &RunRecord) -> Result<Added, Error> {
        match self {
            Store::Sqlite(s) => s.add(run),
            Store::Postgres(s) => s.add(run),
        }
    }

    /// Runs oldest first; with `last`, only the newest `last` of them.
    pub fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunInfo>, Error> {
        let mut runs = match self {
            Store::Sqlite(s) => s.runs(last)?,
            Store::Postgres(s) => s.runs(last)?,
        };
        // The newest `last` come newest first (so LIMIT keeps them): back to time order.
        if last.is_some() {
            runs.reverse();
        }
        Ok(runs)
    }

    /// Every value of the runs with these keys (repeats included, in stored order).
    pub fn values(&mut self, run_keys: &[i64]) -> Result<Vec<ValueRow>, Error> {
        Ok(self.value_table(run_keys)?.rows())
    }

    /// [`Store::values`] as columns.
    pub fn value_table(&mut self, run_keys: &[i64]) -> Result<ValueTable, Error> {
        if run_keys.is_empty() {
            return Ok(ValueTable::default());
        }
        match self {
            Store::Sqlite(s) => s.value_table(run_keys),
            Store::Postgres(s) => s.value_table(run_keys),
        }
    }
}

/// Now, as RFC 3339 UTC to the second: when a run was added.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// A database problem, named after the database.
pub fn db_error(db: &str, message: impl fmt::Display) -> Error {
    Error::Database {
        db: db.to_string(),
        message: message.to_string(),
    }
}

/// A URL with its password replaced, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user_pass, host)) => {
            let user = user_pass.split(':').next().unwrap_or("");
            if user_pass.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_string()
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_hash_changes_with_any_field_and_names_the_difference() {
        let a = Fingerprint {
            model: Some("llama".into()),
            gpu_name: Some("NVIDIA H100 80GB HBM3".into()),
            gpu_count: Some(1),
            ..Default::default()
        };
        let mut b = a.clone();
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 16);
        b.driver = Some("580.159.04".into());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(
            a.differences(&b),
            vec![("driver", "-".to_string(), "580.159.04".to_string())]
        );
    }

    #[test]
    fn short_hash_is_sha256() {
        // printf abc | sha256sum -> ba7816bf8f01cfea414140de5dae2223...
        assert_eq!(short_hash(b"abc"), "ba7816bf8f01cfea");
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://bob:secret@db:5432/h"),
            "postgres://bob:***@db:5432/h"
        );
        assert_eq!(redact("postgres:///h?host=/tmp"), "postgres:///h?host=/tmp");
    }
}
