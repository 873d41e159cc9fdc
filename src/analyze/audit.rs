//! Prediction-accuracy audit: AIConfigurator's predicted curve for one config against a
//! measured sweep of that config (docs/formats.md).
//!
//! Pure computation: the caller loads the save dir ([`AicRun`]) and the measured points.
//! Each AIConfigurator row predicts ONE replica, so a measured point at concurrency C on
//! `replicas` replicas is compared at per-replica concurrency C / replicas. Where that
//! concurrency is not predicted, the prediction is interpolated linearly between the
//! neighbouring predicted concurrencies; outside the predicted range the point is skipped.
//! The measured statistic is always the mean: AIConfigurator predicts means.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::sla::{Sla, Target};
use crate::error::Error;
use crate::ingest::aiconfigurator::{AicExperiment, AicRow, AicRun};
use crate::model::{Latency, Metric, Point, Stat};
use crate::render::format::{human, pct};

/// What is compared, predicted column against measured mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuditMetric {
    Ttft,
    Tpot,
    TokensPerSUser,
    TokensPerSGpu,
    RequestRate,
    RequestLatency,
}

impl AuditMetric {
    pub const ALL: [AuditMetric; 6] = [
        AuditMetric::Ttft,
        AuditMetric::Tpot,
        AuditMetric::TokensPerSUser,
        AuditMetric::TokensPerSGpu,
        AuditMetric::RequestRate,
        AuditMetric::RequestLatency,
    ];

    /// Name in audit.json and in the PNG file names.
    pub fn key(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft",
            AuditMetric::Tpot => "tpot",
            AuditMetric::TokensPerSUser => "tokens_per_s_user",
            AuditMetric::TokensPerSGpu => "tokens_per_s_gpu",
            AuditMetric::RequestRate => "request_rate",
            AuditMetric::RequestLatency => "request_latency",
        }
    }

    pub fn from_key(key: &str) -> Option<AuditMetric> {
        AuditMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "TTFT",
            AuditMetric::Tpot => "TPOT",
            AuditMetric::TokensPerSUser => "tokens/s/user",
            AuditMetric::TokensPerSGpu => "tokens/s/gpu",
            AuditMetric::RequestRate => "request rate",
            AuditMetric::RequestLatency => "request latency",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            AuditMetric::Ttft | AuditMetric::Tpot | AuditMetric::RequestLatency => "ms",
            AuditMetric::TokensPerSUser => "tok/s/user",
            AuditMetric::TokensPerSGpu => "tok/s/gpu",
            AuditMetric::RequestRate => "req/s",
        }
    }

    /// The AIConfigurator CSV column predicting it (per replica).
    pub fn predicted_column(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft",
            AuditMetric::Tpot => "tpot",
            AuditMetric::TokensPerSUser => "tokens/s/user",
            AuditMetric::TokensPerSGpu => "tokens/s/gpu",
            AuditMetric::RequestRate => "request_rate",
            AuditMetric::RequestLatency => "request_latency",
        }
    }

    /// Where the measured value comes from, for the reports.
    pub fn measured_source(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft_avg_ms",
            AuditMetric::Tpot => "tpot_avg_ms (aiperf inter_token_latency, benchmark_serving tpot)",
            AuditMetric::TokensPerSUser => {
                "tokens_per_s_user (aiperf: mean of per-request 1000/TPOT; else 1000 / mean TPOT)"
            }
            AuditMetric::TokensPerSGpu => "output_token_throughput / GPUs used",
            AuditMetric::RequestRate => "request_throughput / replicas",
            AuditMetric::RequestLatency => "e2el_avg_ms (request_latency)",
        }
    }

    fn predicted(self, row: &AicRow) -> Option<f64> {
        match self {
            AuditMetric::Ttft => Some(row.ttft_ms),
            AuditMetric::Tpot => Some(row.tpot_ms),
            AuditMetric::TokensPerSUser => Some(row.tokens_s_user),
            AuditMetric::TokensPerSGpu => Some(row.tokens_s_gpu),
            AuditMetric::RequestRate => row.request_rate,
            AuditMetric::RequestLatency => row.request_latency_ms,
        }
    }

    /// The measured mean, scaled to one replica / one GPU where the metric is a rate.
    fn measured(self, p: &Point, gpus: u64, replicas: u64) -> Option<f64> {
        let v = match self {
            AuditMetric::Ttft => p.get(Metric::Latency(Latency::Ttft, Stat::Avg)),
            AuditMetric::Tpot => p.get(Metric::Latency(Latency::Tpot, Stat::Avg)),
            AuditMetric::TokensPerSUser => p.get(Metric::TokensPerSUser),
            AuditMetric::TokensPerSGpu => p
                .get(Metric::OutputTokenThroughput)
                .map(|t| t / gpus as f64),
            AuditMetric::RequestRate => p
                .get(Metric::RequestThroughput)
                .map(|r| r / replicas as f64),
            AuditMetric::RequestLatency => p.get(Metric::Latency(Latency::E2el, Stat::Avg)),
        };
        v.filter(|v| v.is_finite())
    }

    /// The measured field a point lacks, for skip reasons.
    fn measured_field(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft_avg_ms",
            AuditMetric::Tpot => "tpot_avg_ms",
            AuditMetric::TokensPerSUser => "tokens_per_s_user",
            AuditMetric::TokensPerSGpu => "output_token_throughput",
            AuditMetric::RequestRate => "request_throughput",
            AuditMetric::RequestLatency => "e2el_avg_ms",
        }
    }
}

/// A concurrency or SLA limit for people: whole numbers without decimals (`8`, `500`, `2.5`).
pub fn whole(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        human(v)
    }
}

// ---------------------------------------------------------------------------------------------
// Choosing the config

/// How the audited config is chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// The config AIConfigurator would deploy (see [`select`]).
    Default,
    /// `--rank N` (or a `rankN=` / `topN=` label): row N of `best_config_topn.csv`.
    Rank(usize),
    /// `--config PREFIX`: the config whose `parallel` starts with PREFIX.
    Config(String),
}

/// The chosen experiment and config.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    pub exp: &'a AicExperiment,
    /// The config's `parallel` text.
    pub config: String,
    /// Its rank in `best_config_topn.csv`, when listed there.
    pub rank: Option<usize>,
    /// The ranked row (else the config's first pareto row): GPUs per replica, AIC's pick.
    pub row: &'a AicRow,
    /// Why this config, in words.
    pub why: String,
}

/// Picks the experiment and config. Default: among the experiments' rank-1 rows of
/// `best_config_topn.csv` that meet the SLA, the highest tokens/s/gpu_cluster (else
/// tokens/s/gpu); when none meets it, the agg experiment's rank 1.
pub fn select<'a>(
    run: &'a AicRun,
    mode: Option<&str>,
    pick: &Pick,
) -> Result<Selection<'a>, Error> {
    let exps = experiments_for(run, mode)?;
    match pick {
        Pick::Config(prefix) => config_pick(run, &exps, prefix),
        Pick::Rank(n) => {
            let (exp, why) = default_experiment(run, &exps, mode)?;
            rank_pick(exp, *n, format!("rank {n} of {why}"))
        }
        Pick::Default => {
            let (exp, why) = default_experiment(run, &exps, mode)?;
            rank_pick(exp, 1, format!("rank 1 of {why}"))
        }
    }
}

/// Every experiment, or the one `--mode` names (by directory name first, then by mode).
fn experiments_for<'a>(
    run: &'a AicRun,
    mode: Option<&str>,
) -> Result<Vec<&'a AicExperiment>, Error> {
    let all: Vec<&AicExperiment> = run.experiments.iter().collect();
    let Some(mode) = mode else { return Ok(all) };
    if let Some(e) = all.iter().find(|e| e.name == mode) {
        return Ok(vec![*e]);
    }
    let by_mode: Vec<&AicExperiment> = all.iter().copied().filter(|e| e.mode == mode).collect();
    match by_mode.len() {
        1 => Ok(by_mode),
        0 => Err(Error::Usage(format!(
            "--mode {mode}: {} has no such experiment; available: {}",
            run.dir.display(),
            experiment_list(&all)
        ))),
        _ => Err(Error::Usage(format!(
            "--mode {mode}: several experiments of {} are {mode}: {}; give the experiment's directory name",
            run.dir.display(),
            experiment_list(&by_mode)
        ))),
    }
}

fn experiment_list(exps: &[&AicExperiment]) -> String {
    exps.iter()
        .map(|e| {
            if e.name == e.mode {
                e.name.clone()
            } else {
                format!("{} ({})", e.name, e.mode)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// AIConfigurator's ranking score: tokens/s/gpu_cluster (v0.12+), else tokens/s/gpu.
fn score(row: &AicRow) -> f64 {
    row.tokens_s_gpu_cluster.unwrap_or(row.tokens_s_gpu)
}

/// The experiment whose rank-1 config AIConfigurator would deploy, and why, in words.
fn default_experiment<'a>(
    run: &AicRun,
    exps: &[&'a AicExperiment],
    mode: Option<&str>,
) -> Result<(&'a AicExperiment, String), Error> {
    if let [only] = exps {
        let why = match mode {
            Some(m) => format!("{}/ (--mode {m})", only.name),
            None => format!("{}/ (the only experiment)", only.name),
        };
        return Ok((*only, why));
    }
    let rank1: Vec<(&AicExperiment, &AicRow)> = exps
        .iter()
        .filter_map(|e| Some((*e, e.best_topn.first()?)))
        .collect();
    if rank1.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no experiment has a best_config_topn.csv with rows to rank configs; pass --config (available: {})",
            run.dir.display(),
            config_list(exps)
        )));
    }
    let mut best: Option<(&AicExperiment, &AicRow)> = None;
    for (e, r) in &rank1 {
        if run.row_meets_sla(r) == Some(true) && best.is_none_or(|(_, b)| score(r) > score(b)) {
            best = Some((*e, *r));
        }
    }
    let fmt_rank1 = |(e, r): &(&AicExperiment, &AicRow)| {
        let sla = match run.row_meets_sla(r) {
            Some(true) => "meets the SLA",
            Some(false) => "misses the SLA",
            None => "SLA unknown",
        };
        format!("{}/ rank 1 {} ({})", e.name, human(score(r)), sla)
    };
    let all = rank1.iter().map(fmt_rank1).collect::<Vec<_>>().join(", ");
    if let Some((e, _)) = best {
        return Ok((
            e,
            format!(
                "{}/, the best rank-1 config meeting the SLA by tokens/s/gpu_cluster ({all})",
                e.name
            ),
        ));
    }
    let (e, _) = rank1
        .iter()
        .find(|(e, _)| e.mode == "agg")
        .or(rank1.first())
        .copied()
        .ok_or_else(|| Error::Usage("no ranked experiment".into()))?;
    Ok((
        e,
        format!("{}/, as no rank-1 config meets the SLA ({all})", e.name),
    ))
}

fn rank_pick(exp: &AicExperiment, n: usize, why: String) -> Result<Selection<'_>, Error> {
    let best = exp.dir.join("best_config_topn.csv");
    if exp.best_topn.is_empty() {
        return Err(Error::Usage(format!(
            "{}: missing or empty, so there is no rank {n} in {}/; pass --config (available: {})",
            best.display(),
            exp.name,
            config_list(&[exp])
        )));
    }
    let Some(row) = n.checked_sub(1).and_then(|i| exp.best_topn.get(i)) else {
        let ranks: Vec<String> = exp
            .best_topn
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.rank.unwrap_or(0),
                    r.parallel.as_deref().unwrap_or("?")
                )
            })
            .collect();
        return Err(Error::Usage(format!(
            "rank {n}: {} ranks {} configs: {}",
            best.display(),
            exp.best_topn.len(),
            ranks.join(", ")
        )));
    };
    let config = row.parallel.clone().ok_or_else(|| {
        Error::Usage(format!(
            "{}: row {} has no `parallel` column to find its curve in pareto.csv",
            best.display(),
            row.row
        ))
    })?;
    Ok(Selection {
        exp,
        config,
        rank: Some(n),
        row,
        why,
    })
}

/// Distinct configs of an experiment, ranked ones first, in file order.
fn configs_of(exp: &AicExperiment) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in exp.best_topn.iter().chain(&exp.pareto) {
        if let Some(p) = &r.parallel {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

fn config_list(exps: &[&AicExperiment]) -> String {
    exps.iter()
        .map(|e| format!("{}: {}", e.name, configs_of(e).join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn config_pick<'a>(
    run: &AicRun,
    exps: &[&'a AicExperiment],
    prefix: &str,
) -> Result<Selection<'a>, Error> {
    let want = prefix.trim().to_ascii_lowercase();
    let mut exact: Vec<(&AicExperiment, String)> = Vec::new();
    let mut prefixed: Vec<(&AicExperiment, String)> = Vec::new();
    for e in exps {
        for c in configs_of(e) {
            let low = c.to_ascii_lowercase();
            if low == want {
                exact.push((e, c));
            } else if !want.is_empty() && low.starts_with(&want) {
                prefixed.push((e, c));
            }
        }
    }
    let found = if exact.is_empty() { prefixed } else { exact };
    let (exp, config) = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(Error::Usage(format!(
                "--config {prefix}: no config of {} starts with it; available: {}",
                run.dir.display(),
                config_list(exps)
            )))
        }
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|(e, c)| format!("{}: {c}", e.name))
                .collect();
            return Err(Error::Usage(format!(
                "--config {prefix}: matches several configs ({}); give more of it{}",
                list.join(", "),
                if exps.len() > 1 { " or --mode" } else { "" }
            )));
        }
    };
    let ranked = exp
        .best_topn
        .iter()
        .find(|r| r.parallel.as_deref() == Some(config.as_str()));
    let row = ranked
        .or_else(|| {
            exp.pareto
                .iter()
                .find(|r| r.parallel.as_deref() == Some(config.as_str()))
        })
        .ok_or_else(|| Error::Usage(format!("--config {prefix}: no row of {config}")))?;
    Ok(Selection {
        exp,
        rank: ranked.and_then(|r| r.rank),
        row,
        why: format!("--config {prefix}"),
        config,
    })
}

// ---------------------------------------------------------------------------------------------
// The predicted curve

/// One predicted concurrency of the audited config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictedRow {
    /// Per-replica concurrency.
    pub concurrency: u64,
    /// `pareto.csv` or `best_config_topn.csv`.
    pub file: &'static str,
    /// 1-based data row in that file.
    pub row: usize,
    /// Predicted value per audited metric key (missing when the CSV lacks the column).
    pub values: BTreeMap<&'static str, f64>,
    pub meets_sla: Option<bool>,
}

impl PredictedRow {
    fn from_row(row: &AicRow, file: &'static str, run: &AicRun) -> PredictedRow {
        PredictedRow {
            concurrency: row.concurrency,
            file,
            row: row.row,
            values: AuditMetric::ALL
                .into_iter()
                .filter_map(|m| Some((m.key(), m.predicted(row).filter(|v| v.is_finite())?)))
                .collect(),
            meets_sla: run.row_meets_sla(row),
        }
    }

    pub fn get(&self, m: AuditMetric) -> Option<f64> {
        self.values.get(m.key()).copied()
    }
}

/// The config's rows of `pareto.csv` sorted by concurrency (plus its `best_config_topn.csv`
/// rows when pareto.csv has fewer than two), one per concurrency.
pub fn predicted_curve(
    run: &AicRun,
    exp: &AicExperiment,
    config: &str,
) -> Result<(Vec<PredictedRow>, Vec<String>), Error> {
    let Some(pareto) = &exp.pareto_csv else {
        return Err(Error::Usage(format!(
            "{}: missing; the predicted curve of {config} comes from the experiment's pareto.csv",
            exp.dir.join("pareto.csv").display()
        )));
    };
    let of_config = |r: &&AicRow| r.parallel.as_deref() == Some(config);
    let mut rows: Vec<PredictedRow> = exp
        .pareto
        .iter()
        .filter(of_config)
        .map(|r| PredictedRow::from_row(r, "pareto.csv", run))
        .collect();
    let mut notes = Vec::new();
    if rows.len() < 2 {
        let extra: Vec<PredictedRow> = exp
            .best_topn
            .iter()
            .filter(of_config)
            .filter(|r| !rows.iter().any(|p| p.concurrency == r.concurrency))
            .map(|r| PredictedRow::from_row(r, "best_config_topn.csv", run))
            .collect();
        notes.push(format!(
            "{} has {} row(s) of {config}; {} row(s) of best_config_topn.csv were added to the predicted curve.",
            pareto.display(),
            rows.len(),
            extra.len()
        ));
        rows.extend(extra);
    }
    if rows.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no row of {config} (nor in best_config_topn.csv)",
            pareto.display()
        )));
    }
    rows.sort_by_key(|r| (r.concurrency, r.row));
    notes.extend(dedupe_concurrency(&mut rows, config));
    Ok((rows, notes))
}

/// Several rows of one config at one concurrency (different batching): keeps the one with
/// the highest tokens/s/gpu, the one AIConfigurator's ranking would favour.
fn dedupe_concurrency(rows: &mut Vec<PredictedRow>, config: &str) -> Vec<String> {
    let mut notes = Vec::new();
    let mut kept: Vec<PredictedRow> = Vec::new();
    for r in rows.drain(..) {
        let tput = |x: &PredictedRow| x.get(AuditMetric::TokensPerSGpu).unwrap_or(f64::MIN);
        match kept.last_mut() {
            Some(prev) if prev.concurrency == r.concurrency => {
                let (keep, drop) = if tput(&r) > tput(prev) {
                    (r, prev.clone())
                } else {
                    (prev.clone(), r)
                };
                notes.push(format!(
                    "{} data rows {} and {} are both {config} at concurrency {}; kept row {} (tokens/s/gpu {} vs {}).",
                    keep.file,
                    keep.row.min(drop.row),
                    keep.row.max(drop.row),
                    keep.concurrency,
                    keep.row,
                    human(tput(&keep)),
                    human(tput(&drop)),
                ));
                *prev = keep;
            }
            _ => kept.push(r),
        }
    }
    *rows = kept;
    notes
}

/// Where a per-replica concurrency falls on the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    Exact(usize),
    /// Between rows `lo` and `hi`, at fraction `t` from lo.
    Between(usize, usize, f64),
    Outside,
}

fn locate(curve: &[PredictedRow], c: f64) -> At {
    if let Some(i) = curve.iter().position(|r| r.concurrency as f64 == c) {
        return At::Exact(i);
    }
    let lo = curve.iter().rposition(|r| (r.concurrency as f64) < c);
    let hi = curve.iter().position(|r| (r.concurrency as f64) > c);
    match (lo, hi) {
        (Some(lo), Some(hi)) => match (curve.get(lo), curve.get(hi)) {
            (Some(a), Some(b)) => {
                let (ca, cb) = (a.concurrency as f64, b.concurrency as f64);
                At::Between(lo, hi, (c - ca) / (cb - ca))
            }
            _ => At::Outside,
        },
        _ => At::Outside,
    }
}

/// The predicted value at a location; `None` when a needed row lacks the metric.
fn value_at(curve: &[PredictedRow], at: At, m: AuditMetric) -> Option<f64> {
    match at {
        At::Exact(i) => curve.get(i)?.get(m),
        At::Between(lo, hi, t) => {
            let (a, b) = (curve.get(lo)?.get(m)?, curve.get(hi)?.get(m)?);
            Some(a + t * (b - a))
        }
        At::Outside => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The audit

/// One measured sweep to audit.
#[derive(Clone, Debug)]
pub struct MeasuredSweep<'a> {
    pub label: String,
    pub path: String,
    pub pick: Pick,
    pub points: &'a [Point],
}

/// What the user asked for besides the sweeps.
#[derive(Clone, Debug, Default)]
pub struct AuditSettings {
    /// `--mode`: experiment name or mode.
    pub mode: Option<String>,
    /// `--gpus`: GPUs the measured sweeps ran on.
    pub gpus: Option<u64>,
    /// `--max-ape`: gate on every sweep's per-metric MAPE.
    pub max_ape: Option<f64>,
}

/// Accuracy of one metric over audited points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricSummary {
    pub n: usize,
    pub interpolated: usize,
    /// Mean absolute percentage error; `None` with no point.
    pub mape_pct: Option<f64>,
    /// Mean signed percentage error (+: measured above predicted).
    pub bias_pct: Option<f64>,
    pub max_abs_error_pct: Option<f64>,
    pub unit: &'static str,
}

/// One metric at one measured point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditPoint {
    pub sweep: String,
    pub rank: Option<usize>,
    pub config: String,
    /// Per-replica concurrency (measured concurrency / replicas).
    pub concurrency: f64,
    /// Concurrency the measured run used.
    pub measured_concurrency: u64,
    pub metric: &'static str,
    pub predicted: f64,
    pub measured: f64,
    /// (measured - predicted) / predicted * 100.
    pub error_pct: f64,
    pub abs_error_pct: f64,
    pub interpolated: bool,
    /// The predicted concurrencies interpolated between.
    pub between: Option<[u64; 2]>,
    pub path: String,
}

/// A measured point (or one metric of it) left out, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub sweep: String,
    pub measured_concurrency: Option<u64>,
    pub concurrency: Option<f64>,
    /// `None`: the whole point.
    pub metric: Option<&'static str>,
    pub reason: String,
    pub path: String,
}

/// Predicted vs measured SLA verdict at one audited point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlaRow {
    pub concurrency: f64,
    pub measured_concurrency: u64,
    pub interpolated: bool,
    pub predicted_ttft_ms: f64,
    pub predicted_tpot_ms: f64,
    pub predicted_pass: bool,
    pub measured_ttft_ms: Option<f64>,
    pub measured_tpot_ms: Option<f64>,
    pub measured_pass: Option<bool>,
    pub agree: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlaAgreement {
    pub ttft_ms: f64,
    pub tpot_ms: f64,
    pub rows: Vec<SlaRow>,
    pub agree: usize,
    pub disagree: usize,
    /// Highest per-replica concurrency of the predicted curve meeting the SLA.
    pub predicted_highest: Option<u64>,
    /// Highest per-replica concurrency measured meeting it (every measured point counts).
    pub measured_highest: Option<f64>,
    /// The same as the run's own concurrency.
    pub measured_highest_run: Option<u64>,
    /// Every measured point meets it: the measured limit is above the sweep.
    pub all_measured_pass: bool,
}

/// One sweep against its config.
#[derive(Clone, Debug, Serialize)]
pub struct SweepAudit {
    pub label: String,
    pub path: String,
    pub experiment: String,
    pub mode: String,
    pub rank: Option<usize>,
    pub config: String,
    pub why: String,
    /// GPUs of one replica (`num_total_gpus`).
    pub gpus_per_replica: u64,
    /// GPUs the measured sweep used (`--gpus`, else one replica's).
    pub gpus: u64,
    pub gpus_from: &'static str,
    pub replicas: u64,
    pub predicted_file: String,
    pub predicted_range: [u64; 2],
    pub predicted_curve: Vec<PredictedRow>,
    /// AIConfigurator's pick for this config: its ranked (or first) row.
    pub predicted_pick: PredictedRow,
    pub measured_concurrencies: Vec<u64>,
    pub metrics: BTreeMap<&'static str, MetricSummary>,
    pub sla_agreement: Option<SlaAgreement>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub points: Vec<AuditPoint>,
    #[serde(skip)]
    pub skipped: Vec<Skipped>,
    /// Every measured point with a concurrency (audited or not), scaled like the audit.
    #[serde(skip)]
    pub measured: Vec<MeasuredPoint>,
}

/// A measured point's values per audited metric (per replica / per GPU), for charts and ranks.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasuredPoint {
    /// Per-replica concurrency.
    pub concurrency: f64,
    pub measured_concurrency: u64,
    pub values: BTreeMap<&'static str, f64>,
    pub meets_sla: Option<bool>,
}

impl MeasuredPoint {
    pub fn get(&self, m: AuditMetric) -> Option<f64> {
        self.values.get(m.key()).copied()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankRow {
    pub rank: usize,
    pub sweep: String,
    pub config: String,
    /// The ranked row's tokens/s/gpu_cluster (else tokens/s/gpu), AIConfigurator's score.
    pub predicted_tokens_s_gpu: f64,
    pub predicted_concurrency: u64,
    /// Best measured tokens/s/gpu among points meeting the SLA, on the same cluster basis.
    pub measured_best_tokens_s_gpu: Option<f64>,
    pub measured_at_concurrency: Option<u64>,
    /// tokens/s/gpu_cluster / tokens/s/gpu: idle GPUs when the cluster is not a multiple of a replica.
    pub cluster_factor: f64,
    pub error_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranking {
    pub rows: Vec<RankRow>,
    pub best_measured_rank: Option<usize>,
    /// The measured order (best tokens/s/gpu first) is AIConfigurator's rank order.
    pub order_holds: bool,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SlaTargets {
    pub ttft_ms: f64,
    pub tpot_ms: f64,
}

/// The whole audit, as audit.json writes it.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    pub adreport_version: &'static str,
    pub predicted_dir: String,
    pub model: Option<String>,
    pub system: Option<String>,
    pub backend: Option<String>,
    pub backend_version: Option<String>,
    pub aiconfigurator_version: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub total_gpus: Option<u64>,
    pub sla: Option<SlaTargets>,
    pub measured_statistic: &'static str,
    /// The first sweep's choice (the only one unless several `--measured` are given).
    pub experiment: String,
    pub mode: String,
    pub rank: Option<usize>,
    pub config: String,
    pub replicas: u64,
    pub gpus: u64,
    pub sla_agreement: Option<SlaAgreement>,
    /// Over every sweep's points.
    pub metrics: BTreeMap<&'static str, MetricSummary>,
    pub points: Vec<AuditPoint>,
    pub skipped: Vec<Skipped>,
    pub sweeps: Vec<SweepAudit>,
    pub ranking: Option<Ranking>,
    pub max_ape_pct: Option<f64>,
    pub gate_hits: Vec<String>,
    pub headline: Vec<String>,
    pub warnings: Vec<String>,
}

pub const MEASURED_STATISTIC: &str =
    "mean (AIConfigurator predicts means): ttft_avg_ms, tpot_avg_ms, e2el_avg_ms, mean throughputs";

/// The run's SLA as an [`Sla`] on the mean.
pub fn run_sla(run: &AicRun) -> Option<Sla> {
    Some(Sla {
        targets: vec![
            Target {
                latency: Latency::Ttft,
                limit_ms: run.sla_ttft_ms?,
            },
            Target {
                latency: Latency::Tpot,
                limit_ms: run.sla_tpot_ms?,
            },
        ],
        stat: Stat::Avg,
    })
}

/// Audits every sweep; fails on a usage problem or when a sweep does not overlap its curve.
pub fn audit(
    run: &AicRun,
    sweeps: &[MeasuredSweep],
    settings: &AuditSettings,
) -> Result<Audit, Error> {
    if let Some(p) = settings.max_ape {
        if !(p.is_finite() && p >= 0.0) {
            return Err(Error::Usage("--max-ape takes a percentage >= 0".into()));
        }
    }
    let mut audited = Vec::new();
    for s in sweeps {
        audited.push(audit_sweep(run, s, settings)?);
    }
    let first = audited
        .first()
        .ok_or_else(|| Error::Usage("give at least one --measured sweep".into()))?;
    let points: Vec<AuditPoint> = audited.iter().flat_map(|s| s.points.clone()).collect();
    let mut audit = Audit {
        adreport_version: env!("CARGO_PKG_VERSION"),
        predicted_dir: run.dir.display().to_string(),
        model: run.model.clone(),
        system: run.system.clone(),
        backend: run.backend.clone(),
        backend_version: run.backend_version.clone(),
        aiconfigurator_version: run.aic_version.clone(),
        isl: run.isl,
        osl: run.osl,
        total_gpus: run.total_gpus,
        sla: run
            .sla_ttft_ms
            .zip(run.sla_tpot_ms)
            .map(|(ttft_ms, tpot_ms)| SlaTargets { ttft_ms, tpot_ms }),
        measured_statistic: MEASURED_STATISTIC,
        experiment: first.experiment.clone(),
        mode: first.mode.clone(),
        rank: first.rank,
        config: first.config.clone(),
        replicas: first.replicas,
        gpus: first.gpus,
        sla_agreement: first.sla_agreement.clone(),
        metrics: summarize(&points),
        skipped: audited.iter().flat_map(|s| s.skipped.clone()).collect(),
        points,
        ranking: ranking(run, &audited),
        max_ape_pct: settings.max_ape,
        gate_hits: Vec::new(),
        headline: Vec::new(),
        warnings: run.warnings.iter().map(|w| w.to_string()).collect(),
        sweeps: audited,
    };
    audit.gate_hits = gate_hits(&audit.sweeps, settings.max_ape);
    audit.headline = headline(&audit);
    Ok(audit)
}

fn audit_sweep(
    run: &AicRun,
    s: &MeasuredSweep,
    settings: &AuditSettings,
) -> Result<SweepAudit, Error> {
    let sel = select(run, settings.mode.as_deref(), &s.pick)?;
    let (curve, mut notes) = predicted_curve(run, sel.exp, &sel.config)?;
    let per_replica = sel.row.num_total_gpus;
    let (gpus, replicas, gpus_from) = replicas(settings.gpus, per_replica, &sel.config)?;
    let lo = curve.first().map_or(0, |r| r.concurrency);
    let hi = curve.last().map_or(0, |r| r.concurrency);
    let predicted_file = sel
        .exp
        .pareto_csv
        .clone()
        .unwrap_or_else(|| sel.exp.dir.join("pareto.csv"))
        .display()
        .to_string();
    let sla = run_sla(run);
    let mut points = Vec::new();
    let mut skipped = Vec::new();
    let mut sla_rows = Vec::new();
    let mut measured_points = Vec::new();
    let mut measured_passing: Vec<(f64, u64)> = Vec::new();
    let mut all_pass = true;
    let skip = |p: &Point, c: Option<f64>, metric: Option<&'static str>, reason: String| Skipped {
        sweep: s.label.clone(),
        measured_concurrency: p.concurrency,
        concurrency: c,
        metric,
        reason,
        path: p.path.display().to_string(),
    };
    for p in s.points {
        let Some(mc) = p.concurrency else {
            skipped.push(skip(
                p,
                None,
                None,
                "no concurrency (a request-rate run?)".into(),
            ));
            continue;
        };
        let c = mc as f64 / replicas as f64;
        let measured_pass = sla.as_ref().and_then(|sla| sla.check(p).pass());
        match measured_pass {
            Some(true) => measured_passing.push((c, mc)),
            _ => all_pass = false,
        }
        measured_points.push(MeasuredPoint {
            concurrency: c,
            measured_concurrency: mc,
            values: AuditMetric::ALL
                .into_iter()
                .filter_map(|m| Some((m.key(), m.measured(p, gpus, replicas)?)))
                .collect(),
            meets_sla: measured_pass,
        });
        let at = locate(&curve, c);
        if at == At::Outside {
            skipped.push(skip(
                p,
                Some(c),
                None,
                format!(
                    "per-replica concurrency {} is outside the predicted range {lo}..{hi} of {}",
                    whole(c),
                    sel.config
                ),
            ));
            continue;
        }
        let (interpolated, between) = match at {
            At::Between(a, b, _) => (
                true,
                Some([
                    curve.get(a).map_or(0, |r| r.concurrency),
                    curve.get(b).map_or(0, |r| r.concurrency),
                ]),
            ),
            _ => (false, None),
        };
        for m in AuditMetric::ALL {
            let Some(predicted) = value_at(&curve, at, m) else {
                skipped.push(skip(
                    p,
                    Some(c),
                    Some(m.key()),
                    format!(
                        "the predicted curve has no `{}` column",
                        m.predicted_column()
                    ),
                ));
                continue;
            };
            let Some(measured) = m.measured(p, gpus, replicas) else {
                skipped.push(skip(
                    p,
                    Some(c),
                    Some(m.key()),
                    format!("the measured point has no {}", m.measured_field()),
                ));
                continue;
            };
            if predicted == 0.0 {
                skipped.push(skip(
                    p,
                    Some(c),
                    Some(m.key()),
                    "the prediction is 0".into(),
                ));
                continue;
            }
            let error_pct = (measured - predicted) / predicted * 100.0;
            points.push(AuditPoint {
                sweep: s.label.clone(),
                rank: sel.rank,
                config: sel.config.clone(),
                concurrency: c,
                measured_concurrency: mc,
                metric: m.key(),
                predicted,
                measured,
                error_pct,
                abs_error_pct: error_pct.abs(),
                interpolated,
                between,
                path: p.path.display().to_string(),
            });
        }
        if let (Some(sla), Some(pt), Some(pp)) = (
            &sla,
            value_at(&curve, at, AuditMetric::Ttft),
            value_at(&curve, at, AuditMetric::Tpot),
        ) {
            let (lt, lp) = (limit(sla, Latency::Ttft), limit(sla, Latency::Tpot));
            let predicted_pass = pt <= lt && pp <= lp;
            sla_rows.push(SlaRow {
                concurrency: c,
                measured_concurrency: mc,
                interpolated,
                predicted_ttft_ms: pt,
                predicted_tpot_ms: pp,
                predicted_pass,
                measured_ttft_ms: AuditMetric::Ttft.measured(p, gpus, replicas),
                measured_tpot_ms: AuditMetric::Tpot.measured(p, gpus, replicas),
                measured_pass,
                agree: measured_pass.map(|m| m == predicted_pass),
            });
        }
    }
    if points.is_empty() && !s.points.is_empty() {
        let measured: Vec<String> = s
            .points
            .iter()
            .filter_map(|p| p.concurrency)
            .map(|c| whole(c as f64 / replicas as f64))
            .collect();
        return Err(Error::Usage(format!(
            "no measured concurrency overlaps the predicted curve: {} measured {} (per replica, {} replica(s)); {} predicts {} only at {lo}..{hi}",
            s.path,
            if measured.is_empty() { "none".into() } else { measured.join(", ") },
            replicas,
            predicted_file,
            sel.config
        )));
    }
    let pick = PredictedRow::from_row(
        sel.row,
        if sel.rank.is_some() {
            "best_config_topn.csv"
        } else {
            "pareto.csv"
        },
        run,
    );
    let sla_agreement = sla.as_ref().map(|sla| SlaAgreement {
        ttft_ms: limit(sla, Latency::Ttft),
        tpot_ms: limit(sla, Latency::Tpot),
        agree: sla_rows.iter().filter(|r| r.agree == Some(true)).count(),
        disagree: sla_rows.iter().filter(|r| r.agree == Some(false)).count(),
        rows: sla_rows,
        // The ranked row counts too: it may sit below the pareto rows (rank 2 at concurrency 1).
        predicted_highest: curve
            .iter()
            .chain([&pick])
            .filter(|r| r.meets_sla == Some(true))
            .map(|r| r.concurrency)
            .max(),
        measured_highest: measured_passing.iter().map(|x| x.0).reduce(f64::max),
        measured_highest_run: measured_passing.iter().map(|x| x.1).max(),
        all_measured_pass: all_pass && !s.points.is_empty(),
    });
    if sla.is_none() {
        notes.push("The AIConfigurator run's SLA is unknown (no exp_config.yaml and no ttft/tpot in the directory name): no SLA agreement.".into());
    }
    let mut measured_concurrencies: Vec<u64> =
        s.points.iter().filter_map(|p| p.concurrency).collect();
    measured_concurrencies.sort_unstable();
    Ok(SweepAudit {
        label: s.label.clone(),
        path: s.path.clone(),
        experiment: sel.exp.name.clone(),
        mode: sel.exp.mode.clone(),
        rank: sel.rank,
        config: sel.config.clone(),
        why: sel.why.clone(),
        gpus_per_replica: per_replica,
        gpus,
        gpus_from,
        replicas,
        predicted_file,
        predicted_range: [lo, hi],
        predicted_pick: pick,
        predicted_curve: curve,
        measured_concurrencies,
        metrics: summarize(&points),
        sla_agreement,
        notes,
        points,
        skipped,
        measured: measured_points,
    })
}

fn limit(sla: &Sla, lat: Latency) -> f64 {
    sla.targets
        .iter()
        .find(|t| t.latency == lat)
        .map_or(f64::INFINITY, |t| t.limit_ms)
}

/// GPUs used and replicas: one replica unless `--gpus` says more (a whole number of them).
fn replicas(
    gpus: Option<u64>,
    per_replica: u64,
    config: &str,
) -> Result<(u64, u64, &'static str), Error> {
    if per_replica == 0 {
        return Err(Error::Usage(format!("{config}: num_total_gpus is 0")));
    }
    match gpus {
        None => Ok((per_replica, 1, "num_total_gpus")),
        Some(n) if n == 0 || n % per_replica != 0 => Err(Error::Usage(format!(
            "--gpus {n}: not a whole number of {config} replicas ({per_replica} GPUs each)"
        ))),
        Some(n) => Ok((n, n / per_replica, "--gpus")),
    }
}

/// MAPE, bias and worst error per metric.
pub fn summarize(points: &[AuditPoint]) -> BTreeMap<&'static str, MetricSummary> {
    AuditMetric::ALL
        .into_iter()
        .map(|m| {
            let errs: Vec<f64> = points
                .iter()
                .filter(|p| p.metric == m.key())
                .map(|p| p.error_pct)
                .collect();
            let n = errs.len();
            let mean =
                |v: &mut dyn Iterator<Item = f64>| (n > 0).then(|| v.sum::<f64>() / n as f64);
            (
                m.key(),
                MetricSummary {
                    n,
                    interpolated: points
                        .iter()
                        .filter(|p| p.metric == m.key() && p.interpolated)
                        .count(),
                    mape_pct: mean(&mut errs.iter().map(|e| e.abs())),
                    bias_pct: mean(&mut errs.iter().copied()),
                    max_abs_error_pct: errs.iter().map(|e| e.abs()).reduce(f64::max),
                    unit: m.unit(),
                },
            )
        })
        .collect()
}

/// Per ranked sweep: the best measured tokens/s/gpu meeting the SLA against AIConfigurator's score.
fn ranking(run: &AicRun, sweeps: &[SweepAudit]) -> Option<Ranking> {
    if sweeps.len() < 2 {
        return None;
    }
    let mut rows = Vec::new();
    for s in sweeps {
        let rank = s.rank?;
        let pick = &s.predicted_pick;
        let tput = pick.get(AuditMetric::TokensPerSGpu).unwrap_or(f64::NAN);
        let factor = cluster_factor(run.total_gpus, s.gpus_per_replica);
        let best = s
            .measured
            .iter()
            .filter(|e| e.meets_sla != Some(false))
            .filter_map(|e| Some((e, e.get(AuditMetric::TokensPerSGpu)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let predicted = tput * factor;
        let measured = best.map(|(_, v)| v * factor);
        rows.push(RankRow {
            rank,
            sweep: s.label.clone(),
            config: s.config.clone(),
            predicted_tokens_s_gpu: predicted,
            predicted_concurrency: pick.concurrency,
            measured_best_tokens_s_gpu: measured,
            measured_at_concurrency: best.map(|(b, _)| b.measured_concurrency),
            cluster_factor: factor,
            error_pct: measured.map(|m| (m - predicted) / predicted * 100.0),
        });
    }
    rows.sort_by_key(|r| r.rank);
    let value = |r: &RankRow| r.measured_best_tokens_s_gpu.unwrap_or(f64::NEG_INFINITY);
    let best = rows
        .iter()
        .filter(|r| r.measured_best_tokens_s_gpu.is_some())
        .fold(None::<&RankRow>, |b, r| match b {
            Some(b) if value(b) >= value(r) => Some(b),
            _ => Some(r),
        });
    let order_holds = rows.windows(2).all(|w| value(&w[0]) >= value(&w[1]));
    let text = match best {
        None => "No ranked sweep has a measured point meeting the SLA: the ranks cannot be compared.".to_string(),
        Some(b) => format!(
            "Best when measured: rank {} ({}, {} tok/s/gpu at concurrency {}); AIConfigurator's order {}.",
            b.rank,
            b.config,
            human(value(b)),
            b.measured_at_concurrency.map_or("-".into(), |c| c.to_string()),
            if order_holds { "holds" } else { "does NOT hold" }
        ),
    };
    Some(Ranking {
        best_measured_rank: best.map(|b| b.rank),
        order_holds,
        text,
        rows,
    })
}

/// `tokens/s/gpu_cluster / tokens/s/gpu` = (total // n) * n / total; 1 when the cluster is unknown.
pub fn cluster_factor(total_gpus: Option<u64>, per_replica: u64) -> f64 {
    match total_gpus {
        Some(t) if t > 0 && per_replica > 0 => ((t / per_replica) * per_replica) as f64 / t as f64,
        _ => 1.0,
    }
}

fn gate_hits(sweeps: &[SweepAudit], max_ape: Option<f64>) -> Vec<String> {
    let Some(limit) = max_ape else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for s in sweeps {
        for m in AuditMetric::ALL {
            if let Some(mape) = s.metrics.get(m.key()).and_then(|x| x.mape_pct) {
                if mape > limit {
                    hits.push(format!(
                        "{}: {} MAPE {:.1}% > {}%",
                        s.label,
                        m.title(),
                        mape,
                        whole(limit)
                    ));
                }
            }
        }
    }
    hits
}

fn headline(a: &Audit) -> Vec<String> {
    let mut out = Vec::new();
    for s in &a.sweeps {
        let at = |interp: bool| -> BTreeSet<u64> {
            s.points
                .iter()
                .filter(|p| p.interpolated || !interp)
                .map(|p| p.measured_concurrency)
                .collect()
        };
        let (audited, interpolated) = (at(false).len(), at(true).len());
        let skipped_points = s.skipped.iter().filter(|k| k.metric.is_none()).count();
        out.push(format!(
            "{}: {}/ {}{} ({} GPUs per replica) measured on {} replica(s), {} GPUs: {audited} point(s) audited ({interpolated} interpolated), {skipped_points} skipped.",
            s.label,
            s.experiment,
            s.rank.map_or(String::new(), |r| format!("rank {r} ")),
            s.config,
            s.gpus_per_replica,
            s.replicas,
            s.gpus
        ));
        let parts: Vec<String> = AuditMetric::ALL
            .into_iter()
            .filter_map(|m| {
                let x = s.metrics.get(m.key())?;
                Some(format!(
                    "{} {:.1}% (bias {})",
                    m.title(),
                    x.mape_pct?,
                    pct(x.bias_pct?)
                ))
            })
            .collect();
        if !parts.is_empty() {
            out.push(format!("{}: MAPE {}.", s.label, parts.join(", ")));
        }
        if let Some(sla) = &s.sla_agreement {
            let measured = match (sla.measured_highest, sla.all_measured_pass) {
                (Some(c), true) => format!("≥ {} (every measured point passes)", whole(c)),
                (Some(c), false) => whole(c),
                (None, _) => "none".into(),
            };
            out.push(format!(
                "{}: SLA (avg TTFT ≤ {} ms, avg TPOT ≤ {} ms): prediction and measurement agree at {} of {} point(s); highest concurrency per replica meeting it: predicted {}, measured {measured}.",
                s.label,
                whole(sla.ttft_ms),
                whole(sla.tpot_ms),
                sla.agree,
                sla.rows.len(),
                sla.predicted_highest.map_or("none".into(), |c| c.to_string()),
            ));
        }
    }
    if let Some(r) = &a.ranking {
        out.push(r.text.clone());
    }
    if let Some(limit) = a.max_ape_pct {
        if a.gate_hits.is_empty() {
            out.push(format!(
                "--max-ape {}%: every metric's MAPE is within it.",
                whole(limit)
            ));
        } else {
            out.push(format!(
                "--max-ape {}% exceeded: {}.",
                whole(limit),
                a.gate_hits.join("; ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::aiconfigurator::load_run;
    use crate::model::Source;

    /// The real AIConfigurator 0.12 save dir bundled in sample-results.
    fn real_run() -> AicRun {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "sample-results/aiconfigurator/qwen3_32b_h200_isl4000_osl500/Qwen/Qwen3-32B_h200_sxm_trtllm_isl4000_osl500_ttft500_tpot7_636671",
        );
        load_run(&dir).unwrap()
    }

    #[test]
    fn default_pick_is_the_best_rank1_meeting_the_sla() {
        let run = real_run();
        // agg rank 1: tp8, TTFT 347.435 / TPOT 6.568 (meets 500 / 7), tokens/s/gpu_cluster 199.644;
        // disagg rank 1: 463.5 but TPOT 13.841: agg wins although its score is lower.
        let sel = select(&run, None, &Pick::Default).unwrap();
        assert_eq!((sel.exp.name.as_str(), sel.rank), ("agg", Some(1)));
        assert_eq!(sel.config, "tp8pp1dp1etp1ep1");
        assert!(
            sel.why.contains("disagg/ rank 1 463.5 (misses the SLA)"),
            "{}",
            sel.why
        );
        let sel = select(&run, Some("disagg"), &Pick::Default).unwrap();
        assert_eq!(sel.config, "(p)tp2pp1dp1etp1ep1x2 + (d)tp4pp1dp1etp1ep1x1");
        let sel = select(&run, None, &Pick::Rank(2)).unwrap();
        assert_eq!(
            (sel.config.as_str(), sel.row.concurrency),
            ("tp4pp1dp1etp1ep1", 1)
        );
        // A prefix naming a disagg config finds it without --mode.
        let sel = select(&run, None, &Pick::Config("(p)tp2pp1dp1etp1ep1x3".into())).unwrap();
        assert_eq!((sel.exp.name.as_str(), sel.rank), ("disagg", Some(3)));
        let e = select(&run, None, &Pick::Config("tp".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("matches several configs"), "{e}");
    }

    #[test]
    fn when_none_meets_the_sla_the_agg_rank1_is_picked() {
        let mut run = real_run();
        run.sla_tpot_ms = Some(1.0);
        let sel = select(&run, None, &Pick::Default).unwrap();
        assert_eq!(sel.exp.name, "agg");
        assert!(
            sel.why.contains("as no rank-1 config meets the SLA"),
            "{}",
            sel.why
        );
    }

    #[test]
    fn a_thin_pareto_curve_borrows_best_config_topn_rows() {
        let mut run = real_run();
        let agg = run
            .experiments
            .iter_mut()
            .find(|e| e.name == "agg")
            .unwrap();
        // Keep one tp4 pareto row (concurrency 32); rank 2 adds best_config_topn's tp4 row at 1.
        let keep = agg
            .pareto
            .iter()
            .find(|r| r.parallel.as_deref() == Some("tp4pp1dp1etp1ep1"))
            .cloned()
            .unwrap();
        agg.pareto = vec![keep];
        let exp = run.experiment("agg").unwrap();
        let (curve, notes) = predicted_curve(&run, exp, "tp4pp1dp1etp1ep1").unwrap();
        let got: Vec<(u64, &str)> = curve.iter().map(|r| (r.concurrency, r.file)).collect();
        assert_eq!(got, [(1, "best_config_topn.csv"), (32, "pareto.csv")]);
        // best_config_topn.csv row 2: ttft 247.665 at concurrency 1.
        assert_eq!(curve[0].get(AuditMetric::Ttft), Some(247.665));
        assert!(
            notes[0].contains(
                "has 1 row(s) of tp4pp1dp1etp1ep1; 1 row(s) of best_config_topn.csv were added"
            ),
            "{notes:?}"
        );
    }

    fn row(conc: u64, ttft: f64, tpot: f64, gpu: f64) -> PredictedRow {
        PredictedRow {
            concurrency: conc,
            file: "pareto.csv",
            row: conc as usize,
            values: [("ttft", ttft), ("tpot", tpot), ("tokens_per_s_gpu", gpu)]
                .into_iter()
                .collect(),
            meets_sla: None,
        }
    }

    #[test]
    fn interpolates_linearly_between_neighbours() {
        let curve = vec![row(4, 100.0, 5.0, 10.0), row(8, 200.0, 7.0, 30.0)];
        assert_eq!(locate(&curve, 4.0), At::Exact(0));
        assert_eq!(locate(&curve, 3.0), At::Outside);
        assert_eq!(locate(&curve, 9.0), At::Outside);
        // 6 is halfway from 4 to 8: 100 + 0.5 * (200 - 100) = 150.
        let at = locate(&curve, 6.0);
        assert_eq!(at, At::Between(0, 1, 0.5));
        assert_eq!(value_at(&curve, at, AuditMetric::Ttft), Some(150.0));
        // 5 is a quarter of the way: 5 + 0.25 * (7 - 5) = 5.5.
        assert_eq!(
            value_at(&curve, locate(&curve, 5.0), AuditMetric::Tpot),
            Some(5.5)
        );
        assert_eq!(value_at(&curve, at, AuditMetric::RequestRate), None);
    }

    #[test]
    fn duplicate_concurrency_keeps_the_higher_throughput_row() {
        let mut rows = vec![row(5, 322.0, 5.4, 103.351), row(5, 184.0, 5.4, 105.257)];
        rows[1].row = 42;
        rows[0].row = 43;
        let notes = dedupe_concurrency(&mut rows, "tp8");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 42);
        assert!(notes[0].contains("kept row 42"), "{notes:?}");
    }

    fn point(ttft: f64) -> AuditPoint {
        AuditPoint {
            sweep: "s".into(),
            rank: Some(1),
            config: "tp8".into(),
            concurrency: 1.0,
            measured_concurrency: 1,
            metric: "ttft",
            predicted: 100.0,
            measured: ttft,
            error_pct: ttft - 100.0,
            abs_error_pct: (ttft - 100.0).abs(),
            interpolated: false,
            between: None,
            path: String::new(),
        }
    }

    #[test]
    fn mape_is_mean_absolute_and_bias_mean_signed() {
        // Errors +10% and -30%: MAPE (10 + 30) / 2 = 20, bias (10 - 30) / 2 = -10.
        let s = summarize(&[point(110.0), point(70.0)]);
        let t = &s["ttft"];
        assert_eq!(t.n, 2);
        assert_eq!(t.mape_pct, Some(20.0));
        assert_eq!(t.bias_pct, Some(-10.0));
        assert_eq!(t.max_abs_error_pct, Some(30.0));
        assert_eq!(s["tpot"].mape_pct, None);
    }

    #[test]
    fn replicas_need_a_whole_number() {
        assert_eq!(replicas(None, 8, "tp8").unwrap(), (8, 1, "num_total_gpus"));
        assert_eq!(replicas(Some(16), 8, "tp8").unwrap(), (16, 2, "--gpus"));
        let e = replicas(Some(12), 8, "tp8").unwrap_err().to_string();
        assert!(e.contains("--gpus 12") && e.contains("8 GPUs each"), "{e}");
    }

    #[test]
    fn cluster_factor_counts_idle_gpus() {
        // 8 GPUs, 3-GPU replicas: 2 replicas use 6 of 8.
        assert_eq!(cluster_factor(Some(8), 3), 0.75);
        assert_eq!(cluster_factor(Some(8), 4), 1.0);
        assert_eq!(cluster_factor(None, 4), 1.0);
    }

    #[test]
    fn measured_rates_scale_to_one_replica_and_gpu() {
        let mut p = Point::new(Source::Aiperf, "x");
        p.set(Metric::OutputTokenThroughput, 1600.0);
        p.set(Metric::RequestThroughput, 4.0);
        assert_eq!(AuditMetric::TokensPerSGpu.measured(&p, 16, 2), Some(100.0));
        assert_eq!(AuditMetric::RequestRate.measured(&p, 16, 2), Some(2.0));
        assert_eq!(AuditMetric::Ttft.measured(&p, 16, 2), None);
    }
}
