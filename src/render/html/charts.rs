//! The charts section of report.html: every chart as inline SVG (drawn by `plots::svg` from
//! the same figures as the PNGs), the table under each chart, and the points' numbers once, as
//! JSON in a `<script type="application/json">` that `charts.js` reads for tooltips, tables
//! and the statistic switch.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::workload;
use crate::analyze::findings::{Findings, PointFinding};
use crate::model::Metric;
use crate::render::format::{human, load_text};
use crate::render::plots::svg::ChartView;

/// A chart and the table of what it plots (rows keyed by the point, as the SVG's `data-point`).
#[derive(Serialize)]
pub(super) struct ChartSection {
    #[serde(flatten)]
    chart: ChartView,
    /// Head of the value column: the default view's metric and unit.
    value_head: String,
    rows: Vec<ChartRow>,
    /// The chart has views per statistic (the latency charts).
    pub(super) per_stat: bool,
}

#[derive(Serialize)]
struct ChartRow {
    point: usize,
    label: String,
    workload: String,
    concurrency: String,
    value: String,
    range: String,
}

pub(super) fn sections(f: &Findings, charts: Vec<ChartView>) -> Vec<ChartSection> {
    charts
        .into_iter()
        .map(|chart| {
            let metric = chart
                .views
                .iter()
                .find(|v| v.default)
                .map(|v| v.metric.clone())
                .unwrap_or_default();
            let rows = if metric.is_empty() {
                Vec::new()
            } else {
                rows(f, &metric)
            };
            ChartSection {
                per_stat: chart.views.iter().any(|v| !v.stat.is_empty()),
                value_head: format!("{metric} ({})", unit_of(&metric)),
                chart,
                rows,
            }
        })
        .collect()
}

fn unit_of(metric: &str) -> &'static str {
    Metric::from_name(metric).map_or("", Metric::unit)
}

fn rows(f: &Findings, metric: &str) -> Vec<ChartRow> {
    f.points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let v = *p.metrics.get(metric)?;
            Some(ChartRow {
                point: i,
                label: p.label.clone(),
                workload: workload(p.isl, p.osl),
                concurrency: load_text(p.concurrency, p.max_batch_size, "", "-"),
                value: human(v),
                range: range_text(p, metric),
            })
        })
        .collect()
}

fn range_text(p: &PointFinding, metric: &str) -> String {
    match p.run_range.get(metric) {
        Some([lo, hi]) => format!("{}–{} over {} runs", human(*lo), human(*hi), p.runs),
        None => String::new(),
    }
}

/// Every point's numbers (findings.json's values, unrounded) and the units, as JSON that is
/// safe inside a `<script>` element: no `<`, `>` or `&` survives unescaped.
pub(super) fn chart_json(f: &Findings) -> String {
    let points: Vec<Value> = f
        .points
        .iter()
        .map(|p| {
            json!({
                "label": p.label,
                "source": p.source,
                "concurrency": p.concurrency,
                "max_batch_size": p.max_batch_size,
                "isl": p.isl,
                "osl": p.osl,
                "path": p.path,
                "runs": p.runs,
                "values": p.metrics,
                "ranges": p.run_range,
            })
        })
        .collect();
    let mut units = Map::new();
    for p in &f.points {
        for name in p.metrics.keys() {
            units
                .entry(name.clone())
                .or_insert_with(|| Value::from(unit_of(name)));
        }
    }
    let text = json!({ "points": points, "units": units }).to_string();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
