//! The PostgreSQL history (`--db postgres://...`): the same schema as SQLite, so a team keeps
//! one history for every machine that runs benchmarks.

use std::collections::HashMap;
use std::error::Error as _;

use postgres::{Client, NoTls, Row};

use super::schema::{self, Dialect};
use super::{
    db_error, redact, Added, Fingerprint, PointRow, RunInfo, RunRecord, ValueTable,
    ValueTableBuilder,
};
use crate::util::error::Error;

/// Any number, the same for every adreport: serialises schema migrations across clients.
const MIGRATION_LOCK: i64 = 0x0ad7_e907;

pub struct PgStore {
    client: Client,
    name: String,
}

/// The server's own message when there is one, else the client's with its causes.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, Error> {
        let name = redact(url);
        let client = Client::connect(url, NoTls)
            .map_err(|e| db_error(&name, format!("cannot connect: {}", describe(&e))))?;
        let mut store = PgStore { client, name };
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, e: postgres::Error) -> Error {
        db_error(&self.name, describe(&e))
    }

    fn migrate(&mut self) -> Result<(), Error> {
        let name = self.name.clone();
        let err = |e: postgres::Error| db_error(&name, describe(&e));
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err)?;
        let regclass = |tx: &mut postgres::Transaction, t: &str| -> Result<bool, Error> {
            tx.query_one("SELECT to_regclass($1) IS NOT NULL", &[&t])
                .map(|r| r.get::<_, bool>(0))
                .map_err(err)
        };
        let exists = regclass(&mut tx, schema::VERSION_TABLE)?;
        let version = if exists {
            tx.query_one(
                &format!("SELECT MAX(version) FROM {}", schema::VERSION_TABLE),
                &[],
            )
            .map_err(err)?
            .get::<_, Option<i64>>(0)
            .unwrap_or(0)
        } else {
            // Other tables are normal in a shared database; ours without the marker are not.
            if regclass(&mut tx, "runs")? {
                return Err(db_error(
                    &name,
                    format!(
                        "not an adreport history: it has a `runs` table but no {} table",
                        schema::VERSION_TABLE
                    ),
                ));
            }
            tx.execute(&schema::create_version_table(), &[])
                .map_err(err)?;
            0
        };
        if version > schema::VERSION {
            return Err(db_error(&name, schema::too_new(version)));
        }
        if version < schema::VERSION {
            for sql in schema::migrations(version, Dialect::Postgres) {
                tx.execute(&sql, &[]).map_err(err)?;
            }
            tx.execute(&format!("DELETE FROM {}", schema::VERSION_TABLE), &[])
                .map_err(err)?;
            let by = format!("adreport {}", env!("CARGO_PKG_VERSION"));
            tx.execute(
                &format!(
                    "INSERT INTO {} (version, written_by) VALUES ($1, $2)",
                    schema::VERSION_TABLE
                ),
                &[&schema::VERSION, &by],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    pub fn add(&mut self, run: &RunRecord) -> Result<Added, Error> {
        let name = self.name.clone();
        let err = |e: postgres::Error| db_error(&name, describe(&e));
        let mut tx = self.client.transaction().map_err(err)?;
        let replaced = tx
            .execute("DELETE FROM runs WHERE run_id = $1", &[&run.run_id])
            .map_err(err)?
            > 0;
        let f = &run.fingerprint;
        let hash = f.hash();
        tx.execute(
            schema::FINGERPRINT_INSERT,
            &[
                &hash,
                &f.model,
                &f.gpu_name,
                &f.gpu_count,
                &f.driver,
                &f.cuda,
                &f.engine,
                &f.engine_version,
                &f.client,
                &f.client_version,
                &f.server_cmd_hash,
                &f.config_hash,
            ],
        )
        .map_err(err)?;
        let fingerprint: i64 = tx
            .query_one("SELECT id FROM fingerprints WHERE hash = $1", &[&hash])
            .map_err(err)?
            .get(0);
        let tags = serde_json::to_string(&run.tags).unwrap_or_default();
        let inputs = serde_json::to_string(&run.inputs).unwrap_or_default();
        let run_key: i64 = tx
            .query_one(
                &format!("{} RETURNING id", schema::RUN_INSERT),
                &[
                    &run.run_id,
                    &run.time,
                    &run.time_s,
                    &run.commit,
                    &run.branch,
                    &tags,
                    &inputs,
                    &fingerprint,
                    &crate::store::now_rfc3339(),
                ],
            )
            .map_err(err)?
            .get(0);
        // Metric ids in one round trip each way.
        let names: Vec<String> = {
            let mut n: Vec<String> = run
                .points
                .iter()
                .flat_map(|p| p.values.keys().cloned())
                .collect();
            n.sort();
            n.dedup();
            n
        };
        tx.execute(
            "INSERT INTO metrics (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
            &[&names],
        )
        .map_err(err)?;
        let ids: HashMap<String, i64> = tx
            .query(
                "SELECT name, id FROM metrics WHERE name = ANY($1)",
                &[&names],
            )
            .map_err(err)?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let insert_point = tx
            .prepare(&format!("{} RETURNING id", schema::POINT_INSERT))
            .map_err(err)?;
        let (mut points, mut metrics, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for p in &run.points {
            let key: i64 = tx
                .query_one(
                    &insert_point,
                    &[
                        &run_key,
                        &p.label,
                        &p.source,
                        &p.isl,
                        &p.osl,
                        &p.concurrency,
                        &p.batch_size,
                        &p.request_rate,
                        &p.repeat,
                    ],
                )
                .map_err(err)?
                .get(0);
            for (metric, value) in &p.values {
                points.push(key);
                metrics.push(ids[metric]);
                values.push(*value);
            }
        }
        tx.execute(
            "INSERT INTO point_values (point, metric, value)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[])",
            &[&points, &metrics, &values],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(if replaced {
            Added::Replaced
        } else {
            Added::New
        })
    }

    /// The runs in the order of [`schema::runs_sql`].
    pub fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunInfo>, Error> {
        let sql = schema::runs_sql(last);
        let rows = self.client.query(&sql, &[]).map_err(|e| self.err(e))?;
        Ok(rows.iter().map(run_info).collect())
    }

    pub fn value_table(&mut self, run_keys: &[i64]) -> Result<ValueTable, Error> {
        let [points_sql, metrics_sql, values_sql] = schema::value_table_sql(run_keys);
        let mut query = |sql: &str| self.client.query(sql, &[]);
        let read = (|| {
            Ok((
                query(&points_sql)?,
                query(&metrics_sql)?,
                query(&values_sql)?,
            ))
        })();
        let (points, metrics, values) = read.map_err(|e: postgres::Error| self.err(e))?;
        let points = points
            .iter()
            .map(|r| PointRow {
                key: r.get(0),
                run_key: r.get(1),
                label: r.get(2),
                isl: r.get(3),
                osl: r.get(4),
                concurrency: r.get(5),
                batch_size: r.get(6),
                request_rate: r.get(7),
            })
            .collect();
        let metrics = metrics.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut table = ValueTableBuilder::new(points, metrics);
        for r in &values {
            table.push(r.get(0), r.get(1), r.get(2));
        }
        Ok(table.finish())
    }
}

fn run_info(r: &Row) -> RunInfo {
    let tags: String = r.get(6);
    RunInfo {
        key: r.get(0),
        run_id: r.get(1),
        time: r.get(2),
        time_s: r.get(3),
        commit: r.get(4),
        branch: r.get(5),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        fingerprint_hash: r.get(7),
        fingerprint: Fingerprint {
            model: r.get(8),
            gpu_name: r.get(9),
            gpu_count: r.get(10),
            driver: r.get(11),
            cuda: r.get(12),
            engine: r.get(13),
            engine_version: r.get(14),
            client: r.get(15),
            client_version: r.get(16),
            server_cmd_hash: r.get(17),
            config_hash: r.get(18),
        },
        points: r.get(19),
    }
}
