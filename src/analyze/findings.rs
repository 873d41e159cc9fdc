//! Findings: the numbers and verdicts every output shows, computed once from a Sweep.
//! The sentences about them are written in `render::headline`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::align::AlignKey;
use super::capacity::{capacity, Capacity};
use super::compare::{compare, Comparison, Delta, Evidence, Verdict};
use super::family::{self, Family};
use super::gate::{self, Basis, Power};
use super::goodput::{goodput, Goodput};
use super::noise::{Noise, NoiseFrom, NoiseSources};
use super::pareto::{efficiency_y_metric, frontier, frontier_concurrencies};
use super::searched::{searched, SearchedFinding};
use super::sla::{PointVerdict, Sla};
use crate::model::{Latency, Metric, Point, Source, Stat, Sweep};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub sla: Option<Sla>,
    /// `--fail-on-regression PCT`.
    pub fail_on_regression: Option<f64>,
    /// `--fail-on-sla`.
    pub fail_on_sla: bool,
    /// `--noise FILE` and `--noise-floor PCT`.
    pub noise: NoiseSources,
}

#[derive(Clone, Debug, Serialize)]
pub struct PointFinding {
    pub label: String,
    pub source: String,
    pub path: String,
    pub model: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrency: Option<u64>,
    /// The load axis of a point without a concurrency (trtllm-bench throughput).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u64>,
    pub num_gpus: Option<u64>,
    pub num_gpus_from: Option<String>,
    /// Mean over the runs when the point was measured several times.
    pub metrics: BTreeMap<String, f64>,
    /// How many runs the point stands for.
    pub runs: usize,
    /// Lowest and highest value over the runs, per metric, when there are several.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub run_range: BTreeMap<String, [f64; 2]>,
    pub sla: Option<PointVerdict>,
    pub sla_pass: Option<bool>,
    pub goodput: Option<Goodput>,
    pub per_request: bool,
}

/// One label at one (ISL, OSL).
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    pub label: String,
    pub source: String,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrencies: Vec<u64>,
    /// Max batch sizes of the points without a concurrency.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub batch_sizes: Vec<u64>,
    pub capacity: Option<Capacity>,
    /// Concurrencies on the tokens/s/user vs `pareto_y` frontier, low to high tokens/s/user.
    pub pareto_concurrencies: Vec<u64>,
    pub pareto_y: String,
    /// Concurrencies on the tokens/s/user vs output tokens per joule frontier (points with GPU
    /// telemetry only), low to high tokens/s/user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub energy_pareto_concurrencies: Vec<u64>,
    /// The highest output tokens/s of the series, for the ISL x OSL table.
    #[serde(skip)]
    pub best_output: Option<BestOutput>,
}

/// The highest output tokens/s of a series and the max batch size of the point that gave it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BestOutput {
    pub output_token_throughput: f64,
    pub max_batch_size: Option<u64>,
}

/// A gate that tripped (exit code 2).
#[derive(Clone, Debug)]
pub struct GateHit {
    pub label: String,
    pub gate: Gate,
}

#[derive(Clone, Debug)]
pub enum Gate {
    /// `--fail-on-regression`: a metric worse than the baseline by more than `limit_pct`.
    Regression {
        key: AlignKey,
        delta: Box<Delta>,
        limit_pct: f64,
        basis: Basis,
    },
    /// `--fail-on-sla`: `Findings::points[point]` misses the SLA.
    Sla { point: usize },
}

/// The regression gate as set, and what it could not judge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RegressionGate {
    pub limit_pct: f64,
    /// Deltas the gate could test.
    pub judged: usize,
    /// Deltas with nothing to test them with (a value <= 0 in a single run).
    pub unjudged: usize,
}

/// One answer a summary leads with.
#[derive(Clone, Debug, PartialEq)]
pub enum Headline {
    /// `Findings::comparisons[comparison]` over its aligned points, one shift per key metric.
    Comparison {
        comparison: usize,
        shifts: Vec<Shift>,
    },
    /// Where `Findings::series[series]` stops meeting the SLA; `show_workload` when its label
    /// has several workloads (ISL/OSL).
    Capacity { series: usize, show_workload: bool },
    /// Nothing to judge (no SLA, one label): how much was read.
    Unjudged { points: usize, labels: usize },
}

/// How one metric moved over the aligned points of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Shift {
    pub metric: Metric,
    /// Aligned points where the metric is better / worse than the baseline, within noise, or
    /// untested, of `of`.
    pub better: usize,
    pub worse: usize,
    pub within_noise: usize,
    pub unverified: usize,
    pub of: usize,
    /// Lowest and highest relative change in % over the points with one.
    pub rel_pct: Option<(f64, f64)>,
    /// The evidence of the points (one kind, or several when run counts differ).
    pub evidence: Vec<Evidence>,
    /// Runs a side (baseline, label) when every point has the same.
    pub runs: Option<[usize; 2]>,
    /// Single-run points: where their noise came from and its lowest and highest CV.
    pub single_run_noise: Option<(NoiseFrom, [f64; 2])>,
    /// Points where the regression gate tripped on this metric.
    pub gate_hits: usize,
}

/// The efficiency (Pareto) frontier of one label over all its points.
#[derive(Clone, Debug, PartialEq)]
pub struct Frontier {
    pub label: String,
    /// Indices into `Findings::points`, tokens/s/user ascending.
    pub points: Vec<usize>,
}

/// What a summary, the charts and every other output show; built once from a Sweep.
#[derive(Clone, Debug)]
pub struct Findings {
    pub adreport_version: &'static str,
    pub sla: Option<Sla>,
    pub sla_text: Option<String>,
    pub labels: Vec<String>,
    pub baseline: Option<String>,
    /// The answers, most important first; every summary leads with them.
    pub headline: Vec<Headline>,
    pub series: Vec<Series>,
    /// One per point of the sweep, in the sweep's order.
    pub points: Vec<PointFinding>,
    pub comparisons: Vec<Comparison>,
    /// How the tests of all comparisons were corrected as one family; `None` without tests.
    pub family: Option<Family>,
    pub gate_hits: Vec<GateHit>,
    /// `--fail-on-sla` was set.
    pub fail_on_sla: bool,
    /// `--fail-on-regression`, with how many single-run deltas it could not judge.
    pub regression_gate: Option<RegressionGate>,
    /// Per comparison: repeats a side that would detect the gate's change (or 5 %).
    pub power: Vec<Power>,
    /// The y axis of the efficiency view (x is tokens/s/user).
    pub efficiency_y: Metric,
    /// One per label that has points on the efficiency view, in label order.
    pub frontiers: Vec<Frontier>,
    /// Output tokens per joule vs tokens/s/user: one per label with GPU telemetry.
    pub energy_frontiers: Vec<Frontier>,
    /// Capacities found by search (`capacity.json`), each against the baseline's.
    pub searched: Vec<SearchedFinding>,
    pub warnings: Vec<String>,
    pub files_read: Vec<String>,
    /// Tool name -> versions seen.
    pub tool_versions: BTreeMap<String, BTreeSet<String>>,
}

/// The metrics summaries lead with, in this order. Tables leave out those no point has, so the
/// energy and cost columns appear only with GPU telemetry or `--gpu-hour-cost`.
pub const KEY_METRICS: [Metric; 12] = [
    Metric::Latency(Latency::Ttft, Stat::Avg),
    Metric::Latency(Latency::Ttft, Stat::P99),
    Metric::Latency(Latency::Tpot, Stat::Avg),
    Metric::Latency(Latency::Tpot, Stat::P99),
    Metric::Latency(Latency::E2el, Stat::Avg),
    Metric::RequestThroughput,
    Metric::OutputTokenThroughput,
    Metric::TokensPerSUser,
    Metric::TokensPerSGpu,
    Metric::EnergyPerOutputTokenJ,
    Metric::OutputTokensPerJoule,
    Metric::UsdPerMillionOutputTokens,
];

pub fn analyze(sweep: &Sweep, settings: &Settings) -> Findings {
    let labels = sweep.labels();
    let points: Vec<PointFinding> = sweep
        .points
        .iter()
        .map(|p| point_finding(p, settings.sla.as_ref()))
        .collect();
    let efficiency_y = efficiency_y_metric(sweep.points.iter());
    let series = series_of(sweep, settings.sla.as_ref(), efficiency_y);
    let by_label =
        |l: &str| -> Vec<&Point> { sweep.points.iter().filter(|p| p.label == l).collect() };
    let mut comparisons: Vec<Comparison> = match labels.split_first() {
        Some((base, rest)) => rest
            .iter()
            .map(|l| compare(base, &by_label(base), l, &by_label(l), &settings.noise))
            .collect(),
        None => Vec::new(),
    };
    let family = family::correct(&mut comparisons, settings.fail_on_regression);
    let gate_hits = gates(settings, &labels, &points, &comparisons);
    let regression_gate = settings.fail_on_regression.map(|limit_pct| RegressionGate {
        limit_pct,
        judged: comparisons.iter().map(gate::judged).sum(),
        unjudged: comparisons.iter().map(gate::unjudged).sum(),
    });
    let limit = settings.fail_on_regression;
    // With a comparison, its sides' noise; alone, each label's own repeats.
    let power = if comparisons.is_empty() {
        labels
            .iter()
            .map(|l| {
                let mine: Vec<&Point> = sweep.points.iter().filter(|p| &p.label == l).collect();
                gate::label_power(l, &mine, &KEY_METRICS, limit)
            })
            .collect()
    } else {
        comparisons
            .iter()
            .map(|c| gate::power(c, &KEY_METRICS, limit))
            .collect()
    };
    let mut tool_versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &sweep.points {
        let entry = tool_versions
            .entry(p.source.name().to_string())
            .or_default();
        if let Some(v) = &p.tool_version {
            entry.insert(v.clone());
        }
    }
    let headline = headline(
        &comparisons,
        limit,
        settings.sla.is_some().then_some(series.as_slice()),
        points.len(),
        labels.len(),
    );
    let baseline = (labels.len() > 1).then(|| labels[0].clone());
    Findings {
        adreport_version: env!("CARGO_PKG_VERSION"),
        searched: searched(sweep, baseline.as_deref(), settings.sla.as_ref()),
        sla_text: settings.sla.as_ref().map(|s| s.to_string()),
        sla: settings.sla.clone(),
        baseline,
        frontiers: frontiers(sweep, &labels, efficiency_y),
        energy_frontiers: frontiers(sweep, &labels, Metric::OutputTokensPerJoule)
            .into_iter()
            .filter(|f| !f.points.is_empty())
            .collect(),
        labels,
        headline,
        series,
        points,
        comparisons,
        family,
        gate_hits,
        fail_on_sla: settings.fail_on_sla,
        regression_gate,
        power,
        efficiency_y,
        warnings: sweep.warnings.iter().map(|w| w.to_string()).collect(),
        files_read: sweep
            .files_read
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        tool_versions,
    }
}

fn point_finding(p: &Point, sla: Option<&Sla>) -> PointFinding {
    let verdict = sla.map(|s| s.check(p));
    PointFinding {
        label: p.label.clone(),
        source: p.source.name().to_string(),
        path: p.path.display().to_string(),
        model: p.model.clone(),
        isl: p.isl,
        osl: p.osl,
        concurrency: p.concurrency,
        max_batch_size: p.batch_size_load(),
        num_gpus: p.num_gpus,
        num_gpus_from: p.num_gpus_from.clone(),
        metrics: p.metrics.iter().map(|(m, v)| (m.name(), *v)).collect(),
        runs: p.runs(),
        run_range: run_range(p),
        sla_pass: verdict.as_ref().and_then(PointVerdict::pass),
        sla: verdict,
        goodput: sla.and_then(|s| goodput(p, s)),
        per_request: p.requests.as_ref().is_some_and(|r| !r.is_empty()),
    }
}

/// Per metric, the lowest and highest value over a point's runs (for chart whiskers).
fn run_range(p: &Point) -> BTreeMap<String, [f64; 2]> {
    if p.runs() < 2 {
        return BTreeMap::new();
    }
    p.metrics
        .keys()
        .filter_map(|m| {
            let v = p.run_values(*m);
            let lo = v.iter().copied().min_by(f64::total_cmp)?;
            let hi = v.iter().copied().max_by(f64::total_cmp)?;
            Some((m.name(), [lo, hi]))
        })
        .collect()
}

fn series_of(sweep: &Sweep, sla: Option<&Sla>, pareto_y: Metric) -> Vec<Series> {
    let mut keys: Vec<(String, Option<u64>, Option<u64>)> = Vec::new();
    for p in &sweep.points {
        let k = (p.label.clone(), p.isl, p.osl);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(label, isl, osl)| {
            let pts: Vec<&Point> = sweep
                .points
                .iter()
                .filter(|p| p.label == label && p.isl == isl && p.osl == osl)
                .collect();
            let mut concurrencies: Vec<u64> = pts.iter().filter_map(|p| p.concurrency).collect();
            concurrencies.sort_unstable();
            concurrencies.dedup();
            let mut batch_sizes: Vec<u64> =
                pts.iter().filter_map(|p| p.batch_size_load()).collect();
            batch_sizes.sort_unstable();
            batch_sizes.dedup();
            let sources: BTreeSet<&str> = pts.iter().map(|p| p.source.name()).collect();
            Series {
                source: sources.into_iter().collect::<Vec<_>>().join("+"),
                capacity: sla.map(|s| capacity(&pts, s)),
                pareto_concurrencies: frontier_concurrencies(&pts, pareto_y),
                pareto_y: pareto_y.name(),
                energy_pareto_concurrencies: frontier_concurrencies(
                    &pts,
                    Metric::OutputTokensPerJoule,
                ),
                best_output: best_output(&pts),
                label,
                isl,
                osl,
                concurrencies,
                batch_sizes,
            }
        })
        .collect()
}

fn best_output(points: &[&Point]) -> Option<BestOutput> {
    points
        .iter()
        .filter_map(|p| {
            Some(BestOutput {
                output_token_throughput: p.get(Metric::OutputTokenThroughput)?,
                max_batch_size: p.max_batch_size(),
            })
        })
        .max_by(|a, b| {
            a.output_token_throughput
                .total_cmp(&b.output_token_throughput)
        })
}

/// Per label, the frontier over all its points (every workload), as the efficiency chart
/// draws it.
fn frontiers(sweep: &Sweep, labels: &[String], y: Metric) -> Vec<Frontier> {
    labels
        .iter()
        .map(|label| {
            let (index, pts): (Vec<usize>, Vec<&Point>) = sweep
                .points
                .iter()
                .enumerate()
                .filter(|(_, p)| &p.label == label)
                .unzip();
            Frontier {
                label: label.clone(),
                points: frontier(&pts, y).into_iter().map(|i| index[i]).collect(),
            }
        })
        .collect()
}

fn gates(
    settings: &Settings,
    labels: &[String],
    points: &[PointFinding],
    comparisons: &[Comparison],
) -> Vec<GateHit> {
    let mut hits = Vec::new();
    if let Some(limit_pct) = settings.fail_on_regression {
        for c in comparisons {
            for (key, d, basis) in gate::regressions(c, limit_pct) {
                hits.push(GateHit {
                    label: c.label.clone(),
                    gate: Gate::Regression {
                        key,
                        delta: Box::new(d.clone()),
                        limit_pct,
                        basis,
                    },
                });
            }
        }
    }
    if settings.fail_on_sla {
        for (i, p) in points.iter().enumerate() {
            if sla_gated(labels, p) && p.sla_pass == Some(false) {
                hits.push(GateHit {
                    label: p.label.clone(),
                    gate: Gate::Sla { point: i },
                });
            }
        }
    }
    hits
}

/// Whether `--fail-on-sla` judges point `p`: a measured point with an SLA verdict, of the only
/// label or (in a comparison, where the first label is the reference) of a label under test.
pub fn sla_gated(labels: &[String], p: &PointFinding) -> bool {
    let judged = if labels.len() > 1 {
        &labels[1..]
    } else {
        labels
    };
    judged.contains(&p.label) && p.source != Source::AiConfigurator.name() && p.sla_pass.is_some()
}

/// Comparisons first, then (with an SLA) the capacity of every series; `Unjudged` when
/// there is neither.
fn headline(
    comparisons: &[Comparison],
    limit_pct: Option<f64>,
    judged_series: Option<&[Series]>,
    points: usize,
    labels: usize,
) -> Vec<Headline> {
    let mut out: Vec<Headline> = comparisons
        .iter()
        .enumerate()
        .map(|(i, c)| Headline::Comparison {
            comparison: i,
            shifts: shifts(c, limit_pct),
        })
        .collect();
    let series = judged_series.unwrap_or_default();
    for (i, s) in series.iter().enumerate() {
        let workloads = series.iter().filter(|x| x.label == s.label).count();
        out.push(Headline::Capacity {
            series: i,
            show_workload: workloads > 1,
        });
    }
    if out.is_empty() {
        out.push(Headline::Unjudged { points, labels });
    }
    out
}

/// Every key metric over the aligned points of a comparison, in [`KEY_METRICS`] order (the
/// first three present lead the headline).
fn shifts(c: &Comparison, limit_pct: Option<f64>) -> Vec<Shift> {
    KEY_METRICS
        .into_iter()
        .filter_map(|metric| {
            let ds: Vec<&Delta> = c
                .pairs
                .iter()
                .filter_map(|p| p.deltas.iter().find(|d| d.metric_id == Some(metric)))
                .collect();
            if ds.is_empty() {
                return None;
            }
            let rels: Vec<f64> = ds.iter().filter_map(|d| d.rel_pct).collect();
            let lo = rels.iter().copied().min_by(f64::total_cmp);
            let hi = rels.iter().copied().max_by(f64::total_cmp);
            let count = |v: Verdict| ds.iter().filter(|d| d.verdict == v).count();
            let mut evidence: Vec<Evidence> = Vec::new();
            for d in &ds {
                if !evidence.contains(&d.evidence) {
                    evidence.push(d.evidence);
                }
            }
            let single: Vec<Noise> = ds
                .iter()
                .filter(|d| d.evidence == Evidence::SingleRun)
                .filter_map(|d| d.noise)
                .collect();
            let single_run_noise = single
                .first()
                .zip(gate::range(single.iter().map(|n| n.cv)))
                .map(|(n, cvs)| (n.from, cvs));
            let runs = ds
                .iter()
                .all(|d| d.runs == ds[0].runs)
                .then_some(ds[0].runs);
            Some(Shift {
                metric,
                runs,
                better: count(Verdict::Better),
                worse: count(Verdict::Worse),
                within_noise: count(Verdict::WithinNoise) + count(Verdict::Same),
                unverified: count(Verdict::Unverified),
                of: ds.len(),
                rel_pct: lo.zip(hi),
                evidence,
                single_run_noise,
                gate_hits: limit_pct.map_or(0, |l| {
                    ds.iter()
                        .filter(|d| gate::regression(d, l).is_some())
                        .count()
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_point;

    #[test]
    fn frontiers_index_the_points_of_each_label_by_tokens_per_user() {
        let mut sweep = Sweep::default();
        // (label, tokens/s/user, output tokens/s): (60, 100) is beaten by (80, 120).
        for (c, (label, user, out)) in [
            ("a", 100.0, 50.0),
            ("a", 80.0, 120.0),
            ("a", 60.0, 100.0),
            ("b", 10.0, 10.0),
        ]
        .into_iter()
        .enumerate()
        {
            let mut p = test_point(c as u64 + 1, 100.0, 1.0);
            p.label = label.into();
            p.set(Metric::TokensPerSUser, user);
            p.set(Metric::OutputTokenThroughput, out);
            sweep.points.push(p);
        }
        let f = analyze(&sweep, &Settings::default());
        // No GPU count anywhere: the frontier is over total output tokens/s.
        assert_eq!(f.efficiency_y, Metric::OutputTokenThroughput);
        let got: Vec<(&str, &[usize])> = f
            .frontiers
            .iter()
            .map(|fr| (fr.label.as_str(), fr.points.as_slice()))
            .collect();
        assert_eq!(got, [("a", &[1, 0][..]), ("b", &[3][..])]);
        assert_eq!(f.series[0].pareto_concurrencies, [2, 1]);
    }
}
