//! Findings: everything the renderers print, computed once from a Sweep.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::capacity::{capacity, Capacity};
use super::compare::{compare, regressions, AlignKey, Comparison, Verdict};
use super::goodput::{goodput, Goodput};
use super::pareto::{efficiency_y_metric, frontier_concurrencies};
use super::sla::{PointVerdict, Sla};
use crate::model::{Latency, Metric, Point, Source, Stat, Sweep};
use crate::render::format::{human, load_text, pct};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub sla: Option<Sla>,
    /// `--fail-on-regression PCT`.
    pub fail_on_regression: Option<f64>,
    /// `--fail-on-sla`.
    pub fail_on_sla: bool,
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
    pub metrics: BTreeMap<String, f64>,
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
}

/// A gate that tripped (exit code 2).
#[derive(Clone, Debug, Serialize)]
pub struct GateHit {
    pub gate: &'static str,
    pub label: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Findings {
    pub adreport_version: &'static str,
    pub sla: Option<Sla>,
    pub sla_text: Option<String>,
    pub labels: Vec<String>,
    pub baseline: Option<String>,
    /// One-line answers, most important first; every renderer prints these.
    pub headline: Vec<String>,
    pub series: Vec<Series>,
    pub points: Vec<PointFinding>,
    pub comparisons: Vec<Comparison>,
    pub gate_hits: Vec<GateHit>,
    pub warnings: Vec<String>,
    pub files_read: Vec<String>,
    /// Tool name -> versions seen.
    pub tool_versions: BTreeMap<String, BTreeSet<String>>,
}

/// The metrics summaries lead with, in this order.
pub const KEY_METRICS: [Metric; 9] = [
    Metric::Latency(Latency::Ttft, Stat::Avg),
    Metric::Latency(Latency::Ttft, Stat::P99),
    Metric::Latency(Latency::Tpot, Stat::Avg),
    Metric::Latency(Latency::Tpot, Stat::P99),
    Metric::Latency(Latency::E2el, Stat::Avg),
    Metric::RequestThroughput,
    Metric::OutputTokenThroughput,
    Metric::TokensPerSUser,
    Metric::TokensPerSGpu,
];

pub fn analyze(sweep: &Sweep, settings: &Settings) -> Findings {
    let labels = sweep.labels();
    let points: Vec<PointFinding> = sweep
        .points
        .iter()
        .map(|p| point_finding(p, settings.sla.as_ref()))
        .collect();
    let series = series_of(sweep, settings.sla.as_ref());
    let by_label =
        |l: &str| -> Vec<&Point> { sweep.points.iter().filter(|p| p.label == l).collect() };
    let comparisons: Vec<Comparison> = match labels.split_first() {
        Some((base, rest)) => rest
            .iter()
            .map(|l| compare(base, &by_label(base), l, &by_label(l)))
            .collect(),
        None => Vec::new(),
    };
    let gate_hits = gates(settings, &labels, &points, &comparisons);
    let mut tool_versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &sweep.points {
        let entry = tool_versions
            .entry(p.source.name().to_string())
            .or_default();
        if let Some(v) = &p.tool_version {
            entry.insert(v.clone());
        }
    }
    let mut f = Findings {
        adreport_version: env!("CARGO_PKG_VERSION"),
        sla_text: settings.sla.as_ref().map(|s| s.to_string()),
        sla: settings.sla.clone(),
        baseline: (labels.len() > 1).then(|| labels[0].clone()),
        labels,
        headline: Vec::new(),
        series,
        points,
        comparisons,
        gate_hits,
        warnings: sweep.warnings.iter().map(|w| w.to_string()).collect(),
        files_read: sweep
            .files_read
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        tool_versions,
    };
    f.headline = headline(&f);
    f
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
        sla_pass: verdict.as_ref().and_then(PointVerdict::pass),
        sla: verdict,
        goodput: sla.and_then(|s| goodput(p, s)),
        per_request: p.requests.as_ref().is_some_and(|r| !r.is_empty()),
    }
}

fn series_of(sweep: &Sweep, sla: Option<&Sla>) -> Vec<Series> {
    let pareto_y = efficiency_y_metric(sweep.points.iter());
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
                label,
                isl,
                osl,
                concurrencies,
                batch_sizes,
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
    if let Some(limit) = settings.fail_on_regression {
        for c in comparisons {
            for (key, d) in regressions(c, limit) {
                hits.push(GateHit {
                    gate: "regression",
                    label: c.label.clone(),
                    message: format!(
                        "{} at {key}: {} -> {} ({}, worse than the {}% allowed)",
                        d.metric,
                        human(d.baseline),
                        human(d.value),
                        d.rel_pct.map(pct).unwrap_or_default(),
                        limit
                    ),
                });
            }
        }
    }
    if settings.fail_on_sla {
        // In a comparison the first label is the reference; the others are under test.
        let judged = if labels.len() > 1 {
            &labels[1..]
        } else {
            labels
        };
        for p in points
            .iter()
            .filter(|p| judged.contains(&p.label) && p.source != Source::AiConfigurator.name())
        {
            if p.sla_pass == Some(false) {
                let failed = p
                    .sla
                    .as_ref()
                    .map(|v| v.failed().join(", "))
                    .unwrap_or_default();
                hits.push(GateHit {
                    gate: "sla",
                    label: p.label.clone(),
                    message: format!(
                        "{} misses the SLA on {failed} ({})",
                        load_text(p.concurrency, p.max_batch_size, "conc ", "?"),
                        p.path
                    ),
                });
            }
        }
    }
    hits
}

fn headline(f: &Findings) -> Vec<String> {
    let mut out = Vec::new();
    for c in &f.comparisons {
        out.push(comparison_line(c));
    }
    if f.sla.is_some() {
        for s in &f.series {
            out.push(capacity_line(
                s,
                f.series.iter().filter(|x| x.label == s.label).count() > 1,
            ));
        }
    }
    if out.is_empty() {
        out.push(format!(
            "{} points in {} label(s); give --sla to judge them",
            f.points.len(),
            f.labels.len()
        ));
    }
    out
}

fn comparison_line(c: &Comparison) -> String {
    if c.pairs.is_empty() {
        return format!(
            "{} vs {}: no points align on ISL/OSL/concurrency",
            c.label, c.baseline
        );
    }
    let mut parts = Vec::new();
    for m in [
        Metric::Latency(Latency::Ttft, Stat::Avg),
        Metric::Latency(Latency::Tpot, Stat::Avg),
        Metric::OutputTokenThroughput,
    ] {
        let ds: Vec<_> = c
            .pairs
            .iter()
            .filter_map(|p| p.deltas.iter().find(|d| d.metric == m.name()))
            .collect();
        if ds.is_empty() {
            continue;
        }
        let better = ds.iter().filter(|d| d.verdict == Verdict::Better).count();
        let worse = ds.iter().filter(|d| d.verdict == Verdict::Worse).count();
        let rels: Vec<f64> = ds.iter().filter_map(|d| d.rel_pct).collect();
        let range = match (
            rels.iter().copied().min_by(f64::total_cmp),
            rels.iter().copied().max_by(f64::total_cmp),
        ) {
            (Some(lo), Some(hi)) if (hi - lo).abs() > 0.05 => format!("{} to {}", pct(lo), pct(hi)),
            (Some(lo), _) => pct(lo),
            _ => "n/a".into(),
        };
        parts.push(format!(
            "{} {range} (better at {better}, worse at {worse} of {})",
            short(m),
            ds.len()
        ));
    }
    format!(
        "{} vs {} over {} aligned points: {}",
        c.label,
        c.baseline,
        c.pairs.len(),
        parts.join("; ")
    )
}

fn short(m: Metric) -> String {
    match m {
        Metric::Latency(l, s) => format!("{} {}", s.key(), l.title()),
        Metric::OutputTokenThroughput => "output tok/s".into(),
        other => other.name(),
    }
}

fn capacity_line(s: &Series, show_workload: bool) -> String {
    let name = if show_workload {
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        format!("{} (isl {} osl {})", s.label, o(s.isl), o(s.osl))
    } else {
        s.label.clone()
    };
    let Some(c) = &s.capacity else {
        return format!("{name}: no SLA given");
    };
    if s.concurrencies.is_empty() {
        // Request-rate and offline runs have no concurrency axis to find a limit on.
        return format!(
            "{name}: no concurrency axis (rate or offline runs); see the SLA per point"
        );
    }
    let mut line = match c.max_passing_concurrency {
        Some(conc) => format!(
            "{name}: meets the SLA up to concurrency {conc} ({} req/s, {} output tok/s{})",
            c.request_throughput
                .map(human)
                .unwrap_or_else(|| "-".into()),
            c.output_token_throughput
                .map(human)
                .unwrap_or_else(|| "-".into()),
            c.tokens_per_s_gpu
                .map(|v| format!(", {} tok/s/gpu", human(v)))
                .unwrap_or_default()
        ),
        None => format!("{name}: meets the SLA at no measured concurrency"),
    };
    if let Some(l) = c.limit_concurrency {
        line.push_str(&format!(
            "; limit crossed at about concurrency {}",
            human(l)
        ));
    }
    if c.non_monotone {
        line.push_str("; note: a higher concurrency passes after a lower one failed");
    }
    line
}

/// Shorthand used by tests and renderers: the key of a point finding.
pub fn key_of(p: &PointFinding) -> AlignKey {
    AlignKey {
        isl: p.isl,
        osl: p.osl,
        concurrency: p.concurrency,
        max_batch_size: p.max_batch_size,
    }
}
