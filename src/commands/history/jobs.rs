//! The jobs of `adreport history add|list|show|check|report` over a run store.
//!
//! `add` loads results like `report` does, fingerprints what ran and stores every point;
//! the other commands read the runs back as series (label x load point x metric, one value
//! per run) and look for the runs where a series changed level.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::analyze::changepoint::Settings;
use crate::analyze::findings::KEY_METRICS;
use crate::analyze::trend::{self, Load, Series, SeriesKey, Trend, TrendCheck, TrendRun};
use crate::error::Error;
use crate::ingest::{self, IngestOptions, Input};
use crate::model::{Metric, Warning};
use crate::render::history::{history_exporters, HistoryCtx};
use crate::render::output::write_outputs;
use crate::store::{redact, Added, Fingerprint, RunInfo, Store, ValueRow};

use super::fingerprint;
use super::label::{self, LabelFrom};
use super::record::{self, RunMeta};

/// Runs `history check` looks at when `--last` is not given.
pub const DEFAULT_CHECK_LAST: usize = 60;

/// `history add`.
#[derive(Clone, Debug, Default)]
pub struct AddJob {
    pub db: String,
    pub paths: Vec<String>,
    /// `--label`: the series label of every input given without `label=`.
    pub label: Option<String>,
    pub meta: RunMeta,
    pub options: IngestOptions,
}

/// What `history add` stored.
pub struct AddDone {
    pub run_id: String,
    pub added: Added,
    pub points: usize,
    pub values: usize,
    pub time: String,
    pub fingerprint: Fingerprint,
    /// Every label stored, with where it came from.
    pub labels: Vec<(String, LabelFrom)>,
    pub warnings: Vec<Warning>,
}

/// Loads the results, fingerprints them and stores the run (replacing one with the same id).
pub fn add(job: &AddJob) -> Result<AddDone, Error> {
    if job.label.as_ref().is_some_and(|l| l.trim().is_empty()) {
        return Err(Error::Usage("--label must not be empty".into()));
    }
    let inputs: Vec<Input> = job
        .paths
        .iter()
        .map(|p| {
            let mut input = Input::parse(p);
            input.label = input.label.or_else(|| job.label.clone());
            input
        })
        .collect();
    let mut sweep = ingest::load(&inputs, &job.options)?;
    let found = fingerprint::fingerprint(&sweep);
    let labels = label::stable_labels(&inputs, &mut sweep, &found.fingerprint);
    let run = record::run_record(
        &sweep,
        &job.meta,
        found.fingerprint,
        found.started,
        &job.paths,
    )?;
    let mut store = Store::open(&job.db)?;
    let added = store.add(&run)?;
    let mut warnings = sweep.warnings;
    warnings.extend(found.warnings);
    Ok(AddDone {
        run_id: run.run_id,
        added,
        points: run.points.len(),
        values: run.points.iter().map(|p| p.values.len()).sum(),
        time: run.time,
        fingerprint: run.fingerprint,
        labels,
        warnings,
    })
}

/// The stored runs, oldest first.
pub fn list(db: &str, last: Option<usize>) -> Result<Vec<TrendRun>, Error> {
    Ok(Store::open(db)?.runs(last)?.iter().map(trend_run).collect())
}

/// A stored run in the terms the analysis and the tables use.
fn trend_run(r: &RunInfo) -> TrendRun {
    TrendRun {
        run_id: r.run_id.clone(),
        commit: r.commit.clone(),
        branch: r.branch.clone(),
        time: r.time.clone(),
        tags: r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        points: usize::try_from(r.points).unwrap_or(0),
        fingerprint: r.fingerprint_hash.clone(),
        environment: environment(&r.fingerprint),
    }
}

/// Which series to read.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub label: Option<String>,
    /// Empty: every metric.
    pub metrics: Vec<Metric>,
    pub concurrency: Option<i64>,
}

impl Filter {
    fn keeps(&self, row: &ValueRow, metric: Metric) -> bool {
        self.label.as_ref().is_none_or(|l| *l == row.label)
            && (self.metrics.is_empty() || self.metrics.contains(&metric))
            && self.concurrency.is_none_or(|c| row.concurrency == Some(c))
    }
}

/// Parses metric names; an unknown one is an error naming it.
pub fn parse_metrics(names: &[String]) -> Result<Vec<Metric>, Error> {
    names
        .iter()
        .flat_map(|n| n.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            Metric::from_name(n).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown metric `{n}` (canonical names like ttft_avg_ms, tpot_p99_ms, request_throughput)"
                ))
            })
        })
        .collect()
}

fn load_of(row: &ValueRow) -> Load {
    match (row.concurrency, row.batch_size, row.request_rate) {
        (Some(c), _, _) => Load::Concurrency(c),
        (None, Some(b), _) => Load::BatchSize(b),
        (None, None, Some(r)) => Load::Rate(r),
        _ => Load::Unset,
    }
}

/// The fingerprint as (field, value) pairs for saying what changed.
pub fn environment(f: &Fingerprint) -> Vec<(String, String)> {
    f.fields()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.unwrap_or_else(|| "-".into())))
        .collect()
}

/// The runs (the newest `last`, oldest first) and their series.
pub fn load_trend(store: &mut Store, last: Option<usize>, filter: &Filter) -> Result<Trend, Error> {
    let infos = store.runs(last)?;
    let keys: Vec<i64> = infos.iter().map(|r| r.key).collect();
    let index: HashMap<i64, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let rows = store.values(&keys)?;
    // (label, isl, osl, load order, load, metric) -> per run (sum, count) of the repeats.
    type Key = (String, Option<i64>, Option<i64>, u8, i64, Metric);
    let mut acc: BTreeMap<Key, (SeriesKey, Vec<(f64, u32)>)> = BTreeMap::new();
    let mut metric_of: HashMap<String, Option<Metric>> = HashMap::new();
    for row in &rows {
        let metric = *metric_of
            .entry(row.metric.clone())
            .or_insert_with(|| Metric::from_name(&row.metric));
        // A metric this adreport does not know (written by a newer one) is left out.
        let Some(metric) = metric else { continue };
        if !filter.keeps(row, metric) {
            continue;
        }
        let load = load_of(row);
        let (order, load_val) = match load {
            Load::Concurrency(c) => (0, c),
            Load::BatchSize(b) => (1, b),
            Load::Rate(r) => (2, r.to_bits() as i64),
            Load::Unset => (3, 0),
        };
        let key = (row.label.clone(), row.isl, row.osl, order, load_val, metric);
        let entry = acc.entry(key).or_insert_with(|| {
            (
                SeriesKey {
                    label: row.label.clone(),
                    isl: row.isl,
                    osl: row.osl,
                    load,
                    metric,
                },
                vec![(0.0, 0); infos.len()],
            )
        });
        let slot = &mut entry.1[index[&row.run_key]];
        slot.0 += row.value;
        slot.1 += 1;
    }
    let series = acc
        .into_values()
        .map(|(key, sums)| Series {
            key,
            values: sums
                .into_iter()
                .map(|(s, n)| (n > 0).then(|| s / n as f64))
                .collect(),
        })
        .collect();
    let runs = infos.iter().map(trend_run).collect();
    Ok(Trend { runs, series })
}

/// `history check`.
#[derive(Clone, Debug)]
pub struct CheckJob {
    pub db: String,
    /// The newest N runs; `None`: all of them.
    pub last: Option<usize>,
    pub filter: Filter,
    pub settings: Settings,
    pub fail_on_regression: Option<f64>,
}

/// Reads the newest runs and finds the change points of every series.
pub fn check(job: &CheckJob) -> Result<(Trend, TrendCheck), Error> {
    if job
        .fail_on_regression
        .is_some_and(|p| !(p.is_finite() && p >= 0.0))
    {
        return Err(Error::Usage(
            "--fail-on-regression takes a percentage >= 0".into(),
        ));
    }
    let mut store = Store::open(&job.db)?;
    let trend = load_trend(&mut store, job.last, &job.filter)?;
    let result = trend::check(&trend, &job.settings, job.fail_on_regression);
    Ok((trend, result))
}

/// `history report`: the check's findings as trend charts, summary.md and report.html.
pub struct ReportJob {
    pub check: CheckJob,
    pub out: PathBuf,
}

pub struct ReportDone {
    pub trend: Trend,
    pub check: TrendCheck,
    pub files: Vec<PathBuf>,
}

pub fn report(job: &ReportJob) -> Result<ReportDone, Error> {
    let (trend, result) = check(&job.check)?;
    let mut metrics: Vec<Metric> = if job.check.filter.metrics.is_empty() {
        // Those every summary leads with.
        KEY_METRICS.to_vec()
    } else {
        job.check.filter.metrics.clone()
    };
    for c in result
        .changes
        .iter()
        .filter(|c| c.kind == trend::Kind::Regression)
    {
        let m = trend.series[c.series].key.metric;
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let db = redact(&job.check.db);
    let ctx = HistoryCtx {
        trend: &trend,
        check: &result,
        metrics: &metrics,
        db: &db,
        threshold: job.check.fail_on_regression,
        out_dir: &job.out,
    };
    let files = write_outputs(&history_exporters(), &ctx, &job.out)?;
    Ok(ReportDone {
        trend,
        check: result,
        files,
    })
}
