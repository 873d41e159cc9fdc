//! `report.html`: one self-contained page (CSS inline, images as data URIs, no network).
//!
//! Numbers are formatted here into a view model of strings; the Tera template only lays
//! them out. Autoescaping is on for the template, and nothing derived from an input file
//! is marked safe: only our own CSS, self-check script and base64 image data are.

use std::collections::BTreeSet;

use base64::Engine;
use serde::Serialize;
use tera::{Context, Tera};

use super::format::{human, human_opt, load_text};
use super::gate_text::{gate_message, gate_name};
use super::headline::headline_lines;
use super::output::{Exporter, Output};
use super::ReportCtx;

mod charts;
mod compare;
use super::plots::svg::{report_charts, ChartView, STATS};
use crate::analyze::findings::{Findings, PointFinding, Series};
use crate::model::{config_diff, ConfigFile};
use crate::model::{Direction, Latency, Metric, Stat};
use crate::util::error::Error;
use charts::ChartSection;
use compare::{comparison_view, ComparisonView};

const TEMPLATE: &str = include_str!("../../../report-templates/report.html.tera");
/// One chart's figure (views, caption, table), included by every page with charts.
const CHART_TEMPLATE: &str = include_str!("../../../report-templates/chart.html.tera");
const CSS: &str = include_str!("../../../report-templates/report.css");
/// Sets `data-images-ok="decoded/total"` and `data-charts="N"` (inline SVG charts drawn) on
/// <body> after load, for the browser test.
const SELFCHECK: &str = include_str!("../../../report-templates/selfcheck.js");
/// The charts' interactions: tooltips, legend toggles, statistic and y-scale switch, table
/// row highlight. No framework, no network; it reads the page's `#chart-data` JSON.
const CHARTS_JS: &str = include_str!("../../../report-templates/charts.js");

/// A script's SHA-256 as the page's Content-Security-Policy allows it (`'sha256-...'`), so
/// the policy allows exactly the scripts the page carries and nothing injected.
fn csp_hash(script: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(script.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// What every report page carries besides its content: style, self-check script and version.
#[derive(Serialize)]
pub(crate) struct Chrome {
    css: &'static str,
    selfcheck: &'static str,
    selfcheck_sha256: String,
    charts_js: &'static str,
    charts_sha256: String,
    version: &'static str,
}

impl Chrome {
    pub(crate) fn new(version: &'static str) -> Chrome {
        Chrome {
            css: CSS,
            selfcheck: SELFCHECK,
            selfcheck_sha256: csp_hash(SELFCHECK),
            charts_js: CHARTS_JS,
            charts_sha256: csp_hash(CHARTS_JS),
            version,
        }
    }
}

pub const FILE: &str = super::REPORT_HTML;

/// `report.html`, with every chart of the report drawn inline as SVG (the PNGs are files
/// beside it, drawn from the same figures).
pub struct ReportHtml;

impl Exporter<ReportCtx<'_>> for ReportHtml {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let charts = report_charts(ctx.sweep, ctx.findings, ctx.out_dir)?;
        let html =
            render_html(ctx.findings, &ctx.sweep.configs, charts).map_err(|e| Error::Write {
                path: ctx.out_dir.join(FILE),
                source: std::io::Error::other(e),
            })?;
        Ok(vec![Output::text(FILE, html)])
    }
}

/// The page as a string with the given charts; the error is a template problem (a bug,
/// never input).
pub fn render_html(
    findings: &Findings,
    configs: &[ConfigFile],
    charts: Vec<ChartView>,
) -> Result<String, String> {
    render_page(
        "report.html",
        TEMPLATE,
        &build_view(findings, configs, charts),
    )
}

/// Renders a page of the report family (`name` ends in .html, so Tera escapes everything not
/// marked safe), with the shared chart figure (`chart.html`) to include.
pub(crate) fn render_page(
    name: &str,
    template: &str,
    view: &impl Serialize,
) -> Result<String, String> {
    let mut tera = Tera::default();
    tera.add_raw_templates([("chart.html", CHART_TEMPLATE), (name, template)])
        .map_err(|e| chain(&e))?;
    let ctx = Context::from_serialize(view).map_err(|e| chain(&e))?;
    tera.render(name, &ctx).map_err(|e| chain(&e))
}

/// Tera's top-level message is vague; the cause is in the source chain.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        cur = s.source();
    }
    format!("rendering the HTML template: {msg}")
}

#[derive(Serialize)]
struct View {
    title: String,
    #[serde(flatten)]
    chrome: Chrome,
    labels: Vec<String>,
    baseline: Option<String>,
    sla_text: Option<String>,
    sla_stat: Option<&'static str>,
    headline: Vec<String>,
    gate_hits: Vec<GateView>,
    sla: Option<SlaView>,
    capacity: Vec<CapacityRow>,
    /// Some capacity point has GPU telemetry or a price: show its J/token and $/Mtok columns.
    capacity_energy: bool,
    comparisons: Vec<ComparisonView>,
    charts: Vec<ChartSection>,
    /// Some chart has a view per statistic: show the statistic buttons.
    any_per_stat: bool,
    stats: Vec<&'static str>,
    /// The points' numbers for the charts' script (already safe inside `<script>`).
    chart_json: String,
    configs: Option<ConfigsView>,
    metrics: Vec<MetricDef>,
    points: Vec<ProvenanceRow>,
    files_read: Vec<String>,
    tool_versions: Vec<(String, String)>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct GateView {
    gate: &'static str,
    label: String,
    message: String,
}

#[derive(Serialize)]
struct SlaView {
    /// Column heads, e.g. `avg TTFT ≤ 500 ms`.
    targets: Vec<String>,
    rows: Vec<SlaRow>,
    any_goodput: bool,
}

#[derive(Serialize)]
struct Cell {
    text: String,
    /// CSS class: `pass`, `fail`, `better`, `worse`, `noise`, `same` or empty.
    class: &'static str,
}

#[derive(Serialize)]
struct SlaRow {
    /// First row of a label: drawn with a separator above.
    group_start: bool,
    label: String,
    source: String,
    workload: String,
    concurrency: String,
    checks: Vec<Cell>,
    verdict: Cell,
    goodput: String,
    goodput_rate: String,
    request_throughput: String,
    output_throughput: String,
}

#[derive(Serialize)]
struct CapacityRow {
    label: String,
    source: String,
    workload: String,
    measured: String,
    max_passing: String,
    request_throughput: String,
    output_throughput: String,
    tokens_per_s_gpu: String,
    tokens_per_s_user: String,
    energy_per_output_token_j: String,
    usd_per_million_output_tokens: String,
    crossing: String,
    note: String,
}

#[derive(Serialize)]
struct ConfigsView {
    heads: Vec<ConfigHead>,
    diff_rows: Vec<ConfigRow>,
    same_rows: Vec<ConfigRow>,
}

#[derive(Serialize)]
struct ConfigHead {
    label: String,
    path: String,
    text: String,
}

#[derive(Serialize)]
struct ConfigRow {
    key: String,
    values: Vec<Cell>,
}

#[derive(Serialize)]
struct MetricDef {
    name: String,
    unit: &'static str,
    direction: String,
    definition: String,
}

#[derive(Serialize)]
struct ProvenanceRow {
    label: String,
    source: String,
    workload: String,
    concurrency: String,
    model: String,
    gpus: String,
    per_request: &'static str,
    path: String,
}

fn build_view(f: &Findings, configs: &[ConfigFile], charts: Vec<ChartView>) -> View {
    let charts = charts::sections(f, charts);
    let title = match &f.baseline {
        Some(b) => {
            let others: Vec<&str> = f
                .labels
                .iter()
                .filter(|l| *l != b)
                .map(String::as_str)
                .collect();
            format!("{} vs {b}", others.join(", "))
        }
        None => f.labels.join(", "),
    };
    View {
        title,
        chrome: Chrome::new(f.adreport_version),
        labels: f.labels.clone(),
        baseline: f.baseline.clone(),
        sla_text: f.sla_text.clone(),
        sla_stat: f.sla.as_ref().map(|s| s.stat.key()),
        headline: headline_lines(f),
        gate_hits: f
            .gate_hits
            .iter()
            .map(|g| GateView {
                gate: gate_name(g),
                label: g.label.clone(),
                message: gate_message(f, g),
            })
            .collect(),
        sla: sla_view(f),
        capacity: f.series.iter().filter_map(capacity_row).collect(),
        capacity_energy: f
            .series
            .iter()
            .filter_map(|s| s.capacity.as_ref())
            .any(|c| {
                c.energy_per_output_token_j.is_some() || c.usd_per_million_output_tokens.is_some()
            }),
        comparisons: f.comparisons.iter().map(comparison_view).collect(),
        any_per_stat: charts.iter().any(|c| c.per_stat),
        stats: STATS.iter().map(|s| s.key()).collect(),
        chart_json: charts::chart_json(f),
        charts,
        configs: configs_view(configs),
        metrics: metric_defs(f),
        points: f.points.iter().map(provenance_row).collect(),
        files_read: f.files_read.clone(),
        tool_versions: f
            .tool_versions
            .iter()
            .map(|(tool, v)| {
                let v: Vec<&str> = v.iter().map(String::as_str).collect();
                let v = if v.is_empty() {
                    "version not recorded".to_string()
                } else {
                    v.join(", ")
                };
                (tool.clone(), v)
            })
            .collect(),
        warnings: f.warnings.clone(),
    }
}

/// An SLA limit as the user wrote it: `500`, `7.5`.
fn limit(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

fn opt_u64(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn workload(isl: Option<u64>, osl: Option<u64>) -> String {
    format!("{} / {}", opt_u64(isl), opt_u64(osl))
}

fn cell(text: impl Into<String>, class: &'static str) -> Cell {
    Cell {
        text: text.into(),
        class,
    }
}

fn pass_cell(pass: Option<bool>, yes: &str, no: &str) -> Cell {
    match pass {
        Some(true) => cell(yes, "pass"),
        Some(false) => cell(no, "fail"),
        None => cell("n/a", ""),
    }
}

/// Points in label order, then workload and concurrency, so each label reads as a sweep.
fn sorted_points(f: &Findings) -> Vec<&PointFinding> {
    let mut pts: Vec<&PointFinding> = f.points.iter().collect();
    let rank = |l: &str| f.labels.iter().position(|x| x == l).unwrap_or(usize::MAX);
    pts.sort_by_key(|p| {
        (
            rank(&p.label),
            p.isl,
            p.osl,
            p.concurrency,
            p.max_batch_size,
        )
    });
    pts
}

fn metric_text(p: &PointFinding, m: Metric) -> String {
    human_opt(p.metrics.get(&m.name()).copied())
}

fn sla_view(f: &Findings) -> Option<SlaView> {
    let sla = f.sla.as_ref()?;
    let targets = sla
        .targets
        .iter()
        .map(|t| {
            format!(
                "{} {} ≤ {} ms",
                sla.stat.key(),
                t.latency.title(),
                limit(t.limit_ms)
            )
        })
        .collect();
    let mut prev_label: Option<&str> = None;
    let mut rows = Vec::new();
    for p in sorted_points(f) {
        let checks = match &p.sla {
            Some(v) => v
                .checks
                .iter()
                .map(|c| {
                    let class = match c.pass {
                        Some(true) => "pass",
                        Some(false) => "fail",
                        None => "",
                    };
                    cell(human_opt(c.value), class)
                })
                .collect(),
            None => Vec::new(),
        };
        let (goodput, goodput_rate) = match &p.goodput {
            Some(g) => (
                format!("{}/{} ({:.1}%)", g.good, g.total, g.fraction * 100.0),
                human_opt(g.per_s),
            ),
            None => ("-".into(), "-".into()),
        };
        rows.push(SlaRow {
            group_start: prev_label.is_some_and(|l| l != p.label),
            label: p.label.clone(),
            source: p.source.clone(),
            workload: workload(p.isl, p.osl),
            concurrency: load_text(p.concurrency, p.max_batch_size, "", "-"),
            checks,
            verdict: pass_cell(p.sla_pass, "pass", "FAIL"),
            goodput,
            goodput_rate,
            request_throughput: metric_text(p, Metric::RequestThroughput),
            output_throughput: metric_text(p, Metric::OutputTokenThroughput),
        });
        prev_label = Some(&p.label);
    }
    Some(SlaView {
        targets,
        any_goodput: f.points.iter().any(|p| p.goodput.is_some()),
        rows,
    })
}

fn capacity_row(s: &Series) -> Option<CapacityRow> {
    let c = s.capacity.as_ref()?;
    let crossing: Vec<String> = c
        .crossings
        .iter()
        .map(|x| {
            format!(
                "≈ {} ({} {} ms, between {} and {})",
                human(x.concurrency),
                x.target,
                limit(x.limit_ms),
                x.between.0,
                x.between.1
            )
        })
        .collect();
    Some(CapacityRow {
        label: s.label.clone(),
        source: s.source.clone(),
        workload: workload(s.isl, s.osl),
        measured: s
            .concurrencies
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        max_passing: c
            .max_passing_concurrency
            .map(|v| v.to_string())
            .unwrap_or_else(|| "none".into()),
        request_throughput: human_opt(c.request_throughput),
        output_throughput: human_opt(c.output_token_throughput),
        tokens_per_s_gpu: human_opt(c.tokens_per_s_gpu),
        tokens_per_s_user: human_opt(c.tokens_per_s_user),
        energy_per_output_token_j: human_opt(c.energy_per_output_token_j),
        usd_per_million_output_tokens: human_opt(c.usd_per_million_output_tokens),
        crossing: if crossing.is_empty() {
            "-".into()
        } else {
            crossing.join("; ")
        },
        note: if c.non_monotone {
            "passes again above a failing concurrency".into()
        } else {
            String::new()
        },
    })
}

fn configs_view(configs: &[ConfigFile]) -> Option<ConfigsView> {
    let first = configs.first()?;
    // A key differs when some config disagrees with the first one about it.
    let mut differing: BTreeSet<String> = BTreeSet::new();
    for other in &configs[1..] {
        differing.extend(config_diff(first, other).into_iter().map(|(k, _, _)| k));
    }
    let all_keys: BTreeSet<&String> = configs.iter().flat_map(|c| c.flat.keys()).collect();
    let row = |key: &String, highlight: bool| ConfigRow {
        key: key.clone(),
        values: configs
            .iter()
            .map(|c| match c.flat.get(key) {
                None => cell("—", "missing"),
                Some(v) if highlight && first.flat.get(key) != Some(v) => cell(v.clone(), "chg"),
                Some(v) => cell(v.clone(), if highlight { "diff" } else { "" }),
            })
            .collect(),
    };
    let (mut diff_rows, mut same_rows) = (Vec::new(), Vec::new());
    for key in all_keys {
        if differing.contains(key) {
            diff_rows.push(row(key, true));
        } else {
            same_rows.push(row(key, false));
        }
    }
    Some(ConfigsView {
        heads: configs
            .iter()
            .map(|c| ConfigHead {
                label: c.label.clone(),
                path: c.path.display().to_string(),
                text: c.text.clone(),
            })
            .collect(),
        diff_rows,
        same_rows,
    })
}

fn direction_text(d: Direction) -> &'static str {
    match d {
        Direction::LowerIsBetter => "lower is better",
        Direction::HigherIsBetter => "higher is better",
        Direction::Neutral => "not judged",
    }
}

/// Definitions of the metrics present: one row per latency family (its stats listed), one per other metric.
fn metric_defs(f: &Findings) -> Vec<MetricDef> {
    let present: BTreeSet<&str> = f
        .points
        .iter()
        .flat_map(|p| p.metrics.keys().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    for lat in Latency::ALL {
        let stats: Vec<Stat> = Stat::ALL
            .into_iter()
            .filter(|s| present.contains(Metric::Latency(lat, *s).name().as_str()))
            .collect();
        if stats.is_empty() {
            continue;
        }
        let keys: Vec<&str> = stats.iter().map(|s| s.key()).collect();
        let full = Metric::Latency(lat, Stat::Avg).definition();
        // "avg of TTFT: time from ..." -> "time from ...": the stat is listed in the name.
        let def = full.split_once(": ").map(|(_, d)| d).unwrap_or(&full);
        let unjudged: Vec<&str> = stats
            .iter()
            .filter(|s| Metric::Latency(lat, **s).direction() == Direction::Neutral)
            .map(|s| s.key())
            .collect();
        let mut direction = "lower is better".to_string();
        if !unjudged.is_empty() {
            direction.push_str(&format!(" ({} not judged)", unjudged.join(", ")));
        }
        out.push(MetricDef {
            name: format!("{}_{{{}}}_ms", lat.key(), keys.join(",")),
            unit: "ms",
            direction,
            definition: format!("{}: {def}", lat.title()),
        });
    }
    for m in Metric::all() {
        if matches!(m, Metric::Latency(..)) || !present.contains(m.name().as_str()) {
            continue;
        }
        out.push(MetricDef {
            name: m.name(),
            unit: m.unit(),
            direction: direction_text(m.direction()).into(),
            definition: m.definition(),
        });
    }
    out
}

fn provenance_row(p: &PointFinding) -> ProvenanceRow {
    let gpus = match (p.num_gpus, &p.num_gpus_from) {
        (Some(n), Some(from)) => format!("{n} ({from})"),
        (Some(n), None) => n.to_string(),
        (None, _) => "-".into(),
    };
    ProvenanceRow {
        label: p.label.clone(),
        source: p.source.clone(),
        workload: workload(p.isl, p.osl),
        concurrency: load_text(p.concurrency, p.max_batch_size, "", "-"),
        model: p.model.clone().unwrap_or_else(|| "-".into()),
        gpus,
        per_request: if p.per_request { "yes" } else { "no" },
        path: p.path.clone(),
    }
}
