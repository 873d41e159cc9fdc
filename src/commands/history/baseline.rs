//! A baseline from history: the newest runs that ran the same thing (same fingerprint) as a
//! sweep with one point per load point that carries one repeat per stored run
//! ([`Point::from_repeats`]: the point's metrics are their mean, `run_values` gives each run's).

use std::path::PathBuf;

use crate::model::{Metric, Point, Source, Sweep};
use crate::store::{Fingerprint, RunInfo, Store};
use crate::util::error::Error;

/// The baseline and the runs it was built from, oldest first.
pub struct HistoryBaseline {
    pub sweep: Sweep,
    pub runs: Vec<RunInfo>,
}

/// The newest `last` runs with `fingerprint`, every point labelled `label`; an error when
/// the history holds no such run.
pub fn baseline(
    db: &str,
    fingerprint: &Fingerprint,
    last: usize,
    label: &str,
) -> Result<HistoryBaseline, Error> {
    let mut store = Store::open(db)?;
    let hash = fingerprint.hash();
    let mut runs: Vec<RunInfo> = store
        .runs(None)?
        .into_iter()
        .filter(|r| r.fingerprint_hash == hash)
        .collect();
    if runs.is_empty() {
        return Err(Error::Usage(format!(
            "{db}: no stored run has the fingerprint of these results ({hash}); `adreport history list --db {db}` shows what is there"
        )));
    }
    runs.drain(..runs.len().saturating_sub(last.max(1)));
    let keys: Vec<i64> = runs.iter().map(|r| r.key).collect();
    let mut stored: Vec<Point> = Vec::new();
    // Rows come ordered by run, then point.
    let mut current: Option<(i64, Point)> = None;
    for row in store.values(&keys)? {
        // A searched capacity is the sweep's answer, not a point to compare against.
        if row.metric == Metric::CapacityConcurrency.name() {
            continue;
        }
        if current.as_ref().is_none_or(|(k, _)| *k != row.point_key) {
            if let Some((_, p)) = current.take() {
                stored.push(p);
            }
            let run = runs.iter().find(|r| r.key == row.run_key);
            let mut p = Point::new(
                fingerprint
                    .client
                    .as_deref()
                    .and_then(Source::from_name)
                    .unwrap_or(Source::Aiperf),
                PathBuf::from(format!("{db}#{}", run.map_or("", |r| r.run_id.as_str()))),
            );
            p.label = label.to_string();
            p.model = fingerprint.model.clone();
            p.isl = row.isl.and_then(|v| u64::try_from(v).ok());
            p.osl = row.osl.and_then(|v| u64::try_from(v).ok());
            p.concurrency = row.concurrency.and_then(|v| u64::try_from(v).ok());
            p.request_rate = row.request_rate;
            if let Some(b) = row.batch_size {
                p.extra.insert("max_batch_size".into(), b.to_string());
            }
            current = Some((row.point_key, p));
        }
        if let (Some((_, p)), Some(m)) = (current.as_mut(), Metric::from_name(&row.metric)) {
            p.set(m, row.value);
        }
    }
    if let Some((_, p)) = current.take() {
        stored.push(p);
    }
    // The same load point of every run becomes the repeats of one point, oldest run first.
    let mut groups: Vec<Vec<Point>> = Vec::new();
    for mut p in stored {
        let same = |q: &Point| {
            (
                q.isl,
                q.osl,
                q.concurrency,
                q.max_batch_size(),
                q.request_rate,
            ) == (
                p.isl,
                p.osl,
                p.concurrency,
                p.max_batch_size(),
                p.request_rate,
            )
        };
        match groups.iter_mut().find(|g| same(&g[0])) {
            Some(g) => {
                p.repeat = Some(g.len() as u32 + 1);
                g.push(p);
            }
            None => {
                p.repeat = Some(1);
                groups.push(vec![p]);
            }
        }
    }
    let sweep = Sweep {
        points: groups.into_iter().filter_map(Point::from_repeats).collect(),
        files_read: vec![PathBuf::from(db)],
        ..Default::default()
    };
    Ok(HistoryBaseline { sweep, runs })
}

/// The label the history baseline's points get in a comparison.
pub const LABEL: &str = "history";

/// `sweep` with a baseline from `db` before it: the newest `last` runs that have the sweep's
/// fingerprint, labelled [`LABEL`]. A warning names the runs used.
pub fn with_history_baseline(sweep: Sweep, db: &str, last: usize) -> Result<Sweep, Error> {
    let fingerprint = super::fingerprint::fingerprint(&sweep).fingerprint;
    let base = baseline(db, &fingerprint, last, LABEL)?;
    let ids: Vec<&str> = base.runs.iter().map(|r| r.run_id.as_str()).collect();
    let mut out = base.sweep;
    out.warnings.push(crate::model::Warning {
        path: PathBuf::from(db),
        message: format!(
            "baseline `{LABEL}`: {} stored run(s) of fingerprint {}: {}",
            ids.len(),
            fingerprint.hash(),
            ids.join(", ")
        ),
    });
    out.points.extend(sweep.points);
    out.warnings.extend(sweep.warnings);
    out.files_read.extend(sweep.files_read);
    out.configs = sweep.configs;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::history::fingerprint::fingerprint;
    use crate::commands::history::jobs::{add, AddJob};
    use crate::commands::history::record::RunMeta;
    use crate::ingest::{load, Input};
    use crate::model::{Latency, Stat};

    fn job(db: &str, path: &str, id: &str, day: u32) -> AddJob {
        AddJob {
            db: db.into(),
            paths: vec![format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))],
            label: None,
            meta: RunMeta {
                run_id: Some(id.into()),
                time: Some(format!("2026-11-{day:02}T02:00:00Z")),
                ..Default::default()
            },
            options: Default::default(),
        }
    }

    #[test]
    fn the_newest_runs_of_the_same_fingerprint_become_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("h.db").display().to_string();
        let h100 = "tests/data/history/gpu_aa_run_1";
        let sample = "sample-results/aiperf/baseline";
        add(&job(&db, h100, "aa-1", 1)).unwrap();
        add(&job(&db, sample, "s-1", 2)).unwrap();
        add(&job(&db, sample, "s-2", 3)).unwrap();
        add(&job(&db, sample, "s-3", 4)).unwrap();
        add(&job(&db, h100, "aa-2", 5)).unwrap();
        let path = format!("{}/{sample}", env!("CARGO_MANIFEST_DIR"));
        let sweep = load(&[Input::parse(&path)], &Default::default()).unwrap();
        let fp = fingerprint(&sweep).fingerprint;

        let b = baseline(&db, &fp, 2, "history").unwrap();
        let ids: Vec<&str> = b.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["s-2", "s-3"]);
        // One point per concurrency, each with a repeat per run.
        assert_eq!(b.sweep.points.len(), 4);
        let ttft = Metric::Latency(Latency::Ttft, Stat::Avg);
        let at_1 = b
            .sweep
            .points
            .iter()
            .find(|p| p.concurrency == Some(1))
            .unwrap();
        // profile_export_aiperf.json of isl_128_osl_64_conc_1: time_to_first_token avg.
        assert_eq!(at_1.run_values(ttft), [68.1756862, 68.1756862]);
        assert_eq!(at_1.runs(), 2);
        assert!(at_1.path.display().to_string().ends_with("#s-2"));
        assert!(b
            .sweep
            .points
            .iter()
            .all(|p| p.label == "history" && p.isl == Some(128)));

        let other = load(
            &[Input::parse(&format!(
                "{}/{h100}",
                env!("CARGO_MANIFEST_DIR")
            ))],
            &Default::default(),
        )
        .unwrap();
        let b = baseline(&db, &fingerprint(&other).fingerprint, 5, "h100").unwrap();
        let ids: Vec<&str> = b.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["aa-1", "aa-2"]);
        assert_eq!(b.sweep.points.len(), 2);
        assert!(b.sweep.points.iter().all(|p| p.runs() == 2));

        let unknown = Fingerprint::default();
        assert!(baseline(&db, &unknown, 3, "x").is_err());
    }
}
