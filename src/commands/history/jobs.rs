//! The jobs of `adreport history add|list|show|check|report` over a run store.
//!
//! `add` loads results like `report` does, fingerprints what ran and stores every point;
//! the other commands read the runs back as series (label x load point x metric, one value
//! per run) and look for the runs where a series changed level.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::analyze::changepoint::Settings;
use crate::analyze::findings::KEY_METRICS;
use crate::analyze::trend::{self, Load, Series, SeriesKey, Trend, TrendCheck, TrendRun};
use crate::ingest::{self, IngestOptions, Input};
use crate::model::{Metric, Warning};
use crate::render::history::{history_exporters, HistoryCtx};
use crate::render::output::write_outputs;
use crate::store::{redact, Added, Fingerprint, PointRow, RunInfo, Store};
use crate::util::error::Error;

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
    fn keeps_point(&self, p: &PointRow) -> bool {
        self.label.as_ref().is_none_or(|l| *l == p.label)
            && self.concurrency.is_none_or(|c| p.concurrency == Some(c))
    }

    fn keeps_metric(&self, metric: Metric) -> bool {
        self.metrics.is_empty() || self.metrics.contains(&metric)
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

fn load_of(p: &PointRow) -> Load {
    match (p.concurrency, p.batch_size, p.request_rate) {
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

/// The runs (the newest `last`, oldest first) and their series, one column of values per
/// series, built in one pass over the value columns of the store.
pub fn load_trend(store: &mut Store, last: Option<usize>, filter: &Filter) -> Result<Trend, Error> {
    let infos = store.runs(last)?;
    let keys: Vec<i64> = infos.iter().map(|r| r.key).collect();
    let index: HashMap<i64, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let table = store.value_table(&keys)?;
    // Metric ids as dense slots; a metric this adreport does not know (written by a newer
    // one), or one the filter leaves out, has none.
    let mut metric_ids: Vec<(i64, Metric)> = table
        .metrics
        .iter()
        .filter_map(|(id, name)| Metric::from_name(name).map(|m| (*id, m)))
        .filter(|(_, m)| filter.keeps_metric(*m))
        .collect();
    metric_ids.sort_unstable_by_key(|(id, _)| *id);
    let metric_slot = |id: i64| metric_ids.binary_search_by_key(&id, |(i, _)| *i).ok();
    // (label, isl, osl, load order, load) of each point -> its group of series.
    type Group = (String, Option<i64>, Option<i64>, u8, i64);
    let mut groups: HashMap<Group, usize> = HashMap::new();
    let mut group_load: Vec<(Group, Load)> = Vec::new();
    let group_of: Vec<Option<usize>> = table
        .points
        .iter()
        .map(|p| {
            if !filter.keeps_point(p) {
                return None;
            }
            let load = load_of(p);
            let (order, load_val) = match load {
                Load::Concurrency(c) => (0, c),
                Load::BatchSize(b) => (1, b),
                Load::Rate(r) => (2, r.to_bits() as i64),
                Load::Unset => (3, 0),
            };
            let key = (p.label.clone(), p.isl, p.osl, order, load_val);
            Some(*groups.entry(key.clone()).or_insert_with(|| {
                group_load.push((key, load));
                group_load.len() - 1
            }))
        })
        .collect();
    let run_of: Vec<usize> = table.points.iter().map(|p| index[&p.run_key]).collect();
    // Per (group, metric slot): per run (sum, count) of the repeats.
    let width = metric_ids.len();
    let mut sums: Vec<Option<Vec<(f64, u32)>>> = vec![None; group_load.len() * width];
    let mut last_id = (i64::MIN, None);
    for ((&point, &id), &value) in table.point.iter().zip(&table.metric).zip(&table.value) {
        let Some(g) = group_of[point as usize] else {
            continue;
        };
        if last_id.0 != id {
            last_id = (id, metric_slot(id));
        }
        let Some(m) = last_id.1 else { continue };
        let column = sums[g * width + m].get_or_insert_with(|| vec![(0.0, 0); infos.len()]);
        let slot = &mut column[run_of[point as usize]];
        slot.0 += value;
        slot.1 += 1;
    }
    // In key order: label, lengths, load, metric.
    let mut series: Vec<((&Group, Metric), Series)> = sums
        .into_iter()
        .enumerate()
        .filter_map(|(i, column)| {
            let (group, load) = &group_load[i / width];
            let metric = metric_ids[i % width].1;
            let values = column?
                .into_iter()
                .map(|(s, n)| (n > 0).then(|| s / n as f64))
                .collect();
            let key = SeriesKey {
                label: group.0.clone(),
                isl: group.1,
                osl: group.2,
                load: *load,
                metric,
            };
            Some(((group, metric), Series { key, values }))
        })
        .collect();
    series.sort_by_key(|(key, _)| *key);
    let runs = infos.iter().map(trend_run).collect();
    Ok(Trend {
        runs,
        series: series.into_iter().map(|(_, s)| s).collect(),
    })
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
