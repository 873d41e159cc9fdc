//! A baseline from history: the newest runs that ran the same thing (same fingerprint) as a
//! sweep whose points are the repeats of each load point, one per stored run.

use std::path::PathBuf;

use crate::error::Error;
use crate::model::{Metric, Point, Source, Sweep};
use crate::store::{Fingerprint, RunInfo, Store};

const SOURCES: [Source; 5] = [
    Source::Aiperf,
    Source::GenaiPerf,
    Source::BenchmarkServing,
    Source::TrtllmBench,
    Source::AiConfigurator,
];

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
    let mut sweep = Sweep::default();
    // Rows come ordered by run, then point.
    let mut current: Option<(i64, Point)> = None;
    for row in store.values(&keys)? {
        if current.as_ref().is_none_or(|(k, _)| *k != row.point_key) {
            if let Some((_, p)) = current.take() {
                sweep.points.push(p);
            }
            let run = runs.iter().find(|r| r.key == row.run_key);
            let mut p = Point::new(
                SOURCES
                    .into_iter()
                    .find(|s| Some(s.name()) == fingerprint.client.as_deref())
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
        sweep.points.push(p);
    }
    sweep.files_read = vec![PathBuf::from(db)];
    Ok(HistoryBaseline { sweep, runs })
}
