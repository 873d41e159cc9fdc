//! The history schema and its migrations, one text for SQLite and PostgreSQL.
//!
//! Each migration is a list of statements with three placeholders the dialect fills in:
//! `{pk}` (an auto-numbered 64-bit key), `{real}` (a double) and `{without_rowid}` (SQLite's
//! clustered tables). `adreport_schema` holds the version the database is at; a database at a
//! version newer than [`VERSION`] was written by a newer adreport and is refused.

/// The schema version this adreport writes.
pub const VERSION: i64 = 1;

/// The table that marks a database as an adreport history.
pub const VERSION_TABLE: &str = "adreport_schema";

/// The SQL flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE fingerprints (
        id {pk},
        hash TEXT NOT NULL UNIQUE,
        model TEXT, gpu_name TEXT, gpu_count BIGINT, driver TEXT, cuda TEXT,
        engine TEXT, engine_version TEXT, client TEXT, client_version TEXT,
        server_cmd_hash TEXT, config_hash TEXT)",
    "CREATE TABLE runs (
        id {pk},
        run_id TEXT NOT NULL UNIQUE,
        time TEXT NOT NULL,
        time_s BIGINT NOT NULL,
        commit_sha TEXT,
        branch TEXT,
        tags TEXT NOT NULL,
        inputs TEXT NOT NULL,
        fingerprint BIGINT NOT NULL REFERENCES fingerprints(id),
        added_at TEXT NOT NULL)",
    "CREATE INDEX runs_in_order ON runs(time_s, id)",
    "CREATE TABLE metrics (id {pk}, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE points (
        id {pk},
        run BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        source TEXT NOT NULL,
        isl BIGINT, osl BIGINT, concurrency BIGINT, batch_size BIGINT,
        request_rate {real},
        repeat_index BIGINT NOT NULL)",
    "CREATE INDEX points_of_run ON points(run)",
    "CREATE TABLE point_values (
        point BIGINT NOT NULL REFERENCES points(id) ON DELETE CASCADE,
        metric BIGINT NOT NULL REFERENCES metrics(id),
        value {real} NOT NULL,
        PRIMARY KEY (point, metric)){without_rowid}",
]];

/// The statements that take a database from `from` to [`VERSION`], in order.
pub fn migrations(from: i64, dialect: Dialect) -> Vec<String> {
    let (pk, real, without_rowid) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "REAL", " WITHOUT ROWID"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION", ""),
    };
    MIGRATIONS
        .iter()
        .skip(from.max(0) as usize)
        .flat_map(|m| m.iter())
        .map(|s| {
            s.replace("{pk}", pk)
                .replace("{real}", real)
                .replace("{without_rowid}", without_rowid)
        })
        .collect()
}

/// Creates the version table (first statement of every new history).
pub fn create_version_table() -> String {
    format!("CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL, written_by TEXT NOT NULL)")
}

/// The refusal for a database from a newer adreport.
pub fn too_new(found: i64) -> String {
    format!(
        "written by a newer adreport (history schema version {found}; this adreport {} reads up to {VERSION}): upgrade adreport to use it",
        env!("CARGO_PKG_VERSION")
    )
}

/// Columns of a run row as both stores select them; see `RUN_SELECT`.
pub const RUN_SELECT: &str =
    "SELECT r.id, r.run_id, r.time, r.time_s, r.commit_sha, r.branch, r.tags,
        f.hash, f.model, f.gpu_name, f.gpu_count, f.driver, f.cuda, f.engine, f.engine_version,
        f.client, f.client_version, f.server_cmd_hash, f.config_hash,
        (SELECT COUNT(*) FROM points p WHERE p.run = r.id)
    FROM runs r JOIN fingerprints f ON f.id = r.fingerprint";

/// The runs in time order; with `last`, only the newest that many (still oldest first once the
/// caller reverses them: the query takes them newest first so LIMIT keeps the right ones).
pub fn runs_sql(last: Option<usize>) -> String {
    match last {
        Some(n) => format!("{RUN_SELECT} ORDER BY r.time_s DESC, r.id DESC LIMIT {n}"),
        None => format!("{RUN_SELECT} ORDER BY r.time_s, r.id"),
    }
}

/// The queries of [`super::ValueTable`] for these run keys: the points, the metric names, and
/// the values as (point, metric, value) in key order (the table's own order: no sort).
pub fn value_table_sql(run_keys: &[i64]) -> [String; 3] {
    let keys: Vec<String> = run_keys.iter().map(i64::to_string).collect();
    let keys = keys.join(",");
    [
        format!(
            "SELECT p.id, p.run, p.label, p.isl, p.osl, p.concurrency, p.batch_size, p.request_rate
    FROM points p WHERE p.run IN ({keys}) ORDER BY p.run, p.id"
        ),
        "SELECT id, name FROM metrics".to_string(),
        format!(
            "SELECT v.point, v.metric, v.value FROM point_values v
    WHERE v.point IN (SELECT p.id FROM points p WHERE p.run IN ({keys}))
    ORDER BY v.point, v.metric"
        ),
    ]
}

/// Inserting a fingerprint (kept when the hash is there already).
pub const FINGERPRINT_INSERT: &str = "INSERT INTO fingerprints (hash, model, gpu_name, gpu_count,
        driver, cuda, engine, engine_version, client, client_version, server_cmd_hash, config_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (hash) DO NOTHING";

pub const RUN_INSERT: &str = "INSERT INTO runs (run_id, time, time_s, commit_sha, branch, tags,
        inputs, fingerprint, added_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub const POINT_INSERT: &str = "INSERT INTO points (run, label, source, isl, osl, concurrency,
        batch_size, request_rate, repeat_index)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_get_the_same_tables() {
        let lite = migrations(0, Dialect::Sqlite);
        let pg = migrations(0, Dialect::Postgres);
        assert_eq!(lite.len(), pg.len());
        assert!(lite[0].contains("id INTEGER PRIMARY KEY"));
        assert!(pg[0].contains("id BIGSERIAL PRIMARY KEY"));
        assert!(lite.last().unwrap().ends_with("WITHOUT ROWID"));
        assert!(pg.iter().all(|s| !s.contains('{')));
        assert!(migrations(VERSION, Dialect::Sqlite).is_empty());
    }
}
