//! The comparison section of report.html: the at-a-glance matrix and the per-point deltas.

use serde::Serialize;

use super::{cell, workload, Cell};
use crate::analyze::compare::{AlignedPair, Comparison, Delta, Significance, Verdict, ALPHA};
use crate::analyze::findings::KEY_METRICS;
use crate::model::{Metric, Stat};
use crate::render::format::{human, load_text, pct};
use crate::render::headline::{definition_lines, evidence_text, verdict_word, within_run_text};
#[derive(Serialize)]
pub(super) struct ComparisonView {
    label: String,
    baseline: String,
    counts: String,
    /// At a glance: one row per aligned point, one column per key metric.
    glance_heads: Vec<GlanceHead>,
    glance_rows: Vec<GlanceRow>,
    /// Per aligned point, the key metrics.
    key_groups: Vec<PairGroup>,
    /// Per aligned point, every judged metric.
    all_groups: Vec<PairGroup>,
    all_count: usize,
    key_count: usize,
    only_in_baseline: Vec<String>,
    only_in_label: Vec<String>,
    /// Latency families the two tools define differently.
    definitions: Vec<String>,
}

#[derive(Serialize)]
pub(super) struct GlanceHead {
    name: String,
    /// Empty when the name is the unit (`req/s`).
    unit: &'static str,
}

#[derive(Serialize)]
pub(super) struct GlanceRow {
    workload: String,
    concurrency: String,
    /// `None` where a side lacks the metric.
    cells: Vec<Option<GlanceCell>>,
}

#[derive(Serialize)]
pub(super) struct GlanceCell {
    baseline: String,
    value: String,
    rel: String,
    class: &'static str,
}

#[derive(Serialize)]
pub(super) struct PairGroup {
    point: String,
    rows: Vec<DeltaRow>,
}

#[derive(Serialize)]
pub(super) struct DeltaRow {
    metric: String,
    unit: &'static str,
    baseline: String,
    value: String,
    abs: String,
    rel: String,
    verdict: Cell,
    evidence: String,
}

pub(super) fn comparison_view(c: &Comparison) -> ComparisonView {
    let key_names: Vec<String> = KEY_METRICS.iter().map(|m| m.name()).collect();
    let mut key_groups = Vec::new();
    let mut all_groups = Vec::new();
    let (mut better, mut worse, mut noise, mut unverified) = (0, 0, 0, 0);
    for pair in &c.pairs {
        // Key metrics in KEY_METRICS order; the full list in registry order.
        let key_rows: Vec<DeltaRow> = key_names
            .iter()
            .filter_map(|name| pair.deltas.iter().find(|d| &d.metric == name))
            .map(|d| delta_row(pair, d))
            .collect();
        key_groups.push(PairGroup {
            point: pair.key.to_string(),
            rows: key_rows,
        });
        all_groups.push(PairGroup {
            point: pair.key.to_string(),
            rows: pair.deltas.iter().map(|d| delta_row(pair, d)).collect(),
        });
        for d in &pair.deltas {
            match d.verdict {
                Verdict::Better => better += 1,
                Verdict::Worse => worse += 1,
                Verdict::WithinNoise => noise += 1,
                Verdict::Unverified => unverified += 1,
                Verdict::Same => {}
            }
        }
    }
    let keys = |v: &[crate::analyze::align::AlignKey]| v.iter().map(|k| k.to_string()).collect();
    let (glance_heads, glance_rows) = glance(c);
    ComparisonView {
        glance_heads,
        glance_rows,
        label: c.label.clone(),
        baseline: c.baseline.clone(),
        counts: format!(
            "{} aligned points; over all judged metrics: {better} better, {worse} worse, {noise} within noise, {unverified} untested",
            c.pairs.len()
        ),
        key_count: key_groups.iter().map(|g| g.rows.len()).sum(),
        all_count: all_groups.iter().map(|g| g.rows.len()).sum(),
        key_groups,
        all_groups,
        only_in_baseline: keys(&c.only_in_baseline),
        only_in_label: keys(&c.only_in_label),
        definitions: definition_lines(c),
    }
}

/// A short column head for a key metric: `TTFT avg`, `req/s`.
fn short_head(m: Metric) -> String {
    match m {
        Metric::Latency(l, s) => format!("{} {}", l.title().replace(" latency", ""), s.key()),
        Metric::RequestThroughput => "req/s".into(),
        Metric::OutputTokenThroughput => "out tok/s".into(),
        other => other.unit().into(),
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::WithinNoise | Verdict::Unverified => "noise",
        Verdict::Same => "same",
    }
}

/// The key metrics of every aligned point in one matrix: baseline -> value and the change.
fn glance(c: &Comparison) -> (Vec<GlanceHead>, Vec<GlanceRow>) {
    let metrics: Vec<Metric> = KEY_METRICS
        .into_iter()
        .filter(|m| {
            c.pairs
                .iter()
                .any(|p| p.deltas.iter().any(|d| d.metric == m.name()))
        })
        .collect();
    let heads = metrics
        .iter()
        .map(|m| GlanceHead {
            name: short_head(*m),
            unit: if matches!(m, Metric::Latency(..)) {
                m.unit()
            } else {
                ""
            },
        })
        .collect();
    let rows = c
        .pairs
        .iter()
        .map(|p| GlanceRow {
            workload: workload(p.key.isl, p.key.osl),
            concurrency: load_text(p.key.concurrency, p.key.max_batch_size, "", "-"),
            cells: metrics
                .iter()
                .map(|m| {
                    let d = p.deltas.iter().find(|d| d.metric == m.name())?;
                    Some(GlanceCell {
                        baseline: human(d.baseline),
                        value: human(d.value),
                        rel: d.rel_pct.map(pct).unwrap_or_else(|| "-".into()),
                        class: verdict_class(d.verdict),
                    })
                })
                .collect(),
        })
        .collect();
    (heads, rows)
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", human(v))
    } else {
        human(v)
    }
}

fn delta_row(pair: &AlignedPair, d: &Delta) -> DeltaRow {
    let class = verdict_class(d.verdict);
    DeltaRow {
        metric: d.metric.clone(),
        unit: d.unit,
        baseline: human(d.baseline),
        value: human(d.value),
        abs: signed(d.abs),
        rel: d.rel_pct.map(pct).unwrap_or_else(|| "-".into()),
        verdict: cell(verdict_word(d.verdict), class),
        evidence: [evidence_text(d), within_run(d, &pair.significance)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// The secondary, within-run evidence of a latency delta: the per-request bootstrap CI (mean
/// for avg, median for p50) and the Mann-Whitney p-value of the family. It sees one run's
/// requests only, so it never decides the verdict.
fn within_run(d: &Delta, sig: &std::collections::BTreeMap<String, Significance>) -> String {
    let Some(Metric::Latency(lat, stat)) = d.metric_id else {
        return String::new();
    };
    let Some(s) = sig.get(lat.key()) else {
        return String::new();
    };
    let mut parts = Vec::new();
    let ci = match stat {
        Stat::Avg => s.mean_diff_ci95.map(|c| ("mean", c)),
        Stat::P50 => s.median_diff_ci95.map(|c| ("median", c)),
        _ => None,
    };
    if let Some((what, c)) = ci {
        parts.push(format!("Δ{what} 95% CI [{}, {}]", human(c.lo), human(c.hi)));
    }
    if let Some(mw) = s.mann_whitney {
        let mark = if mw.p_value < ALPHA { "" } else { " (n.s.)" };
        parts.push(format!("{}{mark}", p_text(mw.p_value)));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "{}: {}",
        within_run_text(d).unwrap_or("within-run"),
        parts.join(", ")
    )
}
