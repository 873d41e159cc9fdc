//! Prediction-accuracy audit: AIConfigurator's predicted curve for one config against a
//! measured sweep of that config (docs/formats.md).
//!
//! Pure computation: the caller loads the save dir ([`AicRun`]) and the measured points.
//! Each AIConfigurator row predicts ONE replica, so a measured point at concurrency C on
//! `replicas` replicas is compared at per-replica concurrency C / replicas. Where that
//! concurrency is not predicted, the prediction is interpolated linearly between the
//! neighbouring predicted concurrencies; outside the predicted range the point is skipped.
//! The measured statistic is always the mean: AIConfigurator predicts means.
//!
//! Modules by role: [`metrics`] (what is compared), [`pick`] (which config), [`curve`] (the
//! predicted curve), [`sweep`] (one sweep against it), [`rank`] (ranked sweeps against each
//! other), [`error`]. Results are numbers and typed reasons; `render::audit::words` writes
//! them as sentences, the audit job writes the errors.

pub mod curve;
pub mod error;
pub mod metrics;
pub mod pick;
pub mod rank;
mod sweep;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use super::sla::{Sla, Target};
use crate::model::{AicRun, Latency, Point, Stat};

pub use curve::{Note, PredictedRow};
pub use error::AuditError;
pub use metrics::AuditMetric;
pub use pick::{select, ExperimentWhy, Pick, Rank1, Selection, Why};
pub use rank::{cluster_factor, RankRow, Ranking};

/// Why a measured point (or one metric of it) was left out.
#[derive(Clone, Debug, PartialEq)]
pub enum SkipReason {
    /// A request-rate run: no concurrency to place on the curve.
    NoConcurrency,
    /// The per-replica concurrency is outside the predicted range of `config`.
    OutsideRange {
        concurrency: f64,
        range: [u64; 2],
        config: String,
    },
    /// The predicted curve lacks this CSV column.
    NoPredictedColumn(&'static str),
    /// The measured point lacks this field.
    NoMeasuredField(&'static str),
    ZeroPrediction,
}

/// Where the GPU count of a measured sweep came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpusFrom {
    /// One replica's `num_total_gpus`.
    OneReplica,
    /// The user's GPU count.
    Given,
}

/// One sweep whose MAPE of one metric is past the `max_ape` gate.
#[derive(Clone, Debug, PartialEq)]
pub struct GateHit {
    pub sweep: String,
    pub metric: AuditMetric,
    pub mape_pct: f64,
}

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
    pub reason: SkipReason,
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
    pub why: Why,
    /// GPUs of one replica (`num_total_gpus`).
    pub gpus_per_replica: u64,
    /// GPUs the measured sweep used (`--gpus`, else one replica's).
    pub gpus: u64,
    pub gpus_from: GpusFrom,
    pub replicas: u64,
    pub predicted_file: String,
    pub predicted_range: [u64; 2],
    pub predicted_curve: Vec<PredictedRow>,
    /// AIConfigurator's pick for this config: its ranked (or first) row.
    pub predicted_pick: PredictedRow,
    pub measured_concurrencies: Vec<u64>,
    pub metrics: BTreeMap<&'static str, MetricSummary>,
    pub sla_agreement: Option<SlaAgreement>,
    pub notes: Vec<Note>,
    #[serde(skip)]
    pub points: Vec<AuditPoint>,
    #[serde(skip)]
    pub skipped: Vec<Skipped>,
    /// Every measured point with a concurrency (audited or not), scaled like the audit.
    #[serde(skip)]
    pub measured: Vec<MeasuredPoint>,
    /// The Pareto frontiers on tokens/s/user vs tokens/s/gpu, as indexes into
    /// `predicted_curve` and `measured`, best tokens/s/user first.
    #[serde(skip)]
    pub predicted_frontier: Vec<usize>,
    #[serde(skip)]
    pub measured_frontier: Vec<usize>,
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
    /// Metrics past the `max_ape` gate.
    #[serde(skip)]
    pub gate: Vec<GateHit>,
    /// `gate` and the headline in words, written by `render::audit::words` (kept for audit.json).
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
) -> Result<Audit, AuditError> {
    if let Some(p) = settings.max_ape {
        if !(p.is_finite() && p >= 0.0) {
            return Err(AuditError::BadMaxApe);
        }
    }
    let mut audited = Vec::new();
    for s in sweeps {
        audited.push(sweep::audit_sweep(run, s, settings)?);
    }
    let first = audited.first().ok_or(AuditError::NoMeasuredSweep)?;
    let points: Vec<AuditPoint> = audited.iter().flat_map(|s| s.points.clone()).collect();
    Ok(Audit {
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
        ranking: rank::ranking(run, &audited),
        max_ape_pct: settings.max_ape,
        gate: gate(&audited, settings.max_ape),
        gate_hits: Vec::new(),
        headline: Vec::new(),
        warnings: run.warnings.iter().map(|w| w.to_string()).collect(),
        sweeps: audited,
    })
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

/// Every sweep's metrics whose MAPE is past `max_ape`.
fn gate(sweeps: &[SweepAudit], max_ape: Option<f64>) -> Vec<GateHit> {
    let Some(limit) = max_ape else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for s in sweeps {
        for m in AuditMetric::ALL {
            if let Some(mape) = s.metrics.get(m.key()).and_then(|x| x.mape_pct) {
                if mape > limit {
                    hits.push(GateHit {
                        sweep: s.label.clone(),
                        metric: m,
                        mape_pct: mape,
                    });
                }
            }
        }
    }
    hits
}
