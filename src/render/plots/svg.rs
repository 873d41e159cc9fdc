//! The report's charts as inline SVG: the same [`Figure`]s and the same drawing code as the
//! PNGs (plotters' SVG backend), drawn part by part so that each series is a
//! `<g data-series="LABEL">`, each point a focusable `<g data-point="INDEX">` (its index in
//! the sweep, which the page's JSON is keyed by) and each legend entry a `<g data-toggle>`.
//!
//! report.html shows the latency charts once per statistic (avg, p50, p90, p99) and y scale
//! (linear, log), each view drawn here, so that switching the statistic moves the points,
//! the SLA lines and the capacity marks exactly as the Rust chart code places them; the page's
//! script only shows one view and hides the others.

use std::error::Error as StdError;
use std::path::Path;

use serde::Serialize;

use super::axis::Scale;
use super::conc::{conc_figure, ConcChart, CONC_CHARTS};
use super::distribution::{distribution_figure, latency_name};
use super::draw::{svg_part, Part};
use super::efficiency::efficiency_figure;
use super::{energy, ensure_font, Data, Entry, Figure, LoadAxis, HEIGHT, WIDTH};
use crate::analyze::findings::Findings;
use crate::model::{Latency, Metric, Stat, Sweep};
use crate::render::format::{human, xml_escape as esc};
use crate::util::error::Error;

/// The statistics a latency chart can be switched between, in the order of the buttons.
pub const STATS: [Stat; 4] = [Stat::Avg, Stat::P50, Stat::P90, Stat::P99];

/// One chart of the page and its views; exactly one view is the default (shown without JS).
#[derive(Serialize)]
pub struct ChartView {
    /// `ttft`, `request_throughput`, `efficiency`, ...: unique on the page.
    pub id: String,
    pub title: String,
    /// The PNG beside the report that shows the default view, when there is one.
    pub png: Option<String>,
    pub views: Vec<SvgView>,
}

#[derive(Serialize)]
pub struct SvgView {
    /// `avg`, `p50`, ... for a latency chart; empty for a chart of one statistic.
    pub stat: &'static str,
    /// `linear` or `log` (the y axis).
    pub scale: &'static str,
    /// The metric on y (findings.json's name), for the tooltip and the table under the chart.
    pub metric: String,
    /// The metric on x when it is one of the points' (the efficiency views: tokens/s/user).
    pub x_metric: String,
    /// The scale the chart code picks for this statistic (shown for "y: as drawn").
    pub auto: bool,
    /// The view shown first, and the only one without JavaScript.
    pub default: bool,
    pub svg: String,
}

/// Every chart report.html shows, as inline SVG. `sla_stat` (the statistic the SLA is judged
/// on) is the default view of the latency charts.
pub fn report_charts(
    sweep: &Sweep,
    findings: &Findings,
    out_dir: &Path,
) -> Result<Vec<ChartView>, Error> {
    ensure_font(out_dir)?;
    let d = Data { sweep, findings };
    let labels = &findings.labels;
    let load = LoadAxis::of(findings);
    let fail = |e| chart_error(out_dir, e);
    let mut charts = Vec::new();
    let default_stat = findings
        .sla
        .as_ref()
        .map(|s| s.stat)
        .filter(|s| STATS.contains(s))
        .unwrap_or(Stat::Avg);
    for lat in [Latency::Ttft, Latency::Tpot, Latency::E2el] {
        let mut views = Vec::new();
        for stat in STATS {
            let metric = Metric::Latency(lat, stat);
            let what = format!("{} {}", stat_word(stat), lower_first(latency_name(lat)));
            let chart = ConcChart {
                file: "",
                metric,
                what: &what,
            };
            let Some(auto) = conc_figure(d, labels, &chart, load, None) else {
                continue;
            };
            let default = stat == default_stat;
            for scale in [Scale::Linear, Scale::Log10] {
                let fig = if auto.y.scale == scale {
                    None
                } else {
                    conc_figure(d, labels, &chart, load, Some(scale))
                };
                let fig = fig.as_ref().unwrap_or(&auto);
                views.push(SvgView {
                    stat: stat.key(),
                    scale: scale_name(scale),
                    metric: metric.name(),
                    x_metric: String::new(),
                    auto: auto.y.scale == scale,
                    default: default && auto.y.scale == scale,
                    svg: render_svg(fig, &metric.name()).map_err(fail)?,
                });
            }
        }
        if !views.iter().any(|v| v.default) {
            if let Some(v) = views.first_mut() {
                v.default = true;
            }
        }
        if !views.is_empty() {
            charts.push(ChartView {
                id: lat.key().to_string(),
                title: format!("{} vs {}", latency_name(lat), load.title()),
                png: None,
                views,
            });
        }
    }
    for chart in CONC_CHARTS
        .iter()
        .filter(|c| !matches!(c.metric, Metric::Latency(..)))
    {
        let Some(auto) = conc_figure(d, labels, chart, load, None) else {
            continue;
        };
        let log = conc_figure(d, labels, chart, load, Some(Scale::Log10));
        let mut views = vec![view(&auto, chart.metric.name(), true).map_err(fail)?];
        if let Some(log) = log.filter(|_| auto.y.scale != Scale::Log10) {
            views.push(view(&log, chart.metric.name(), false).map_err(fail)?);
        }
        charts.push(ChartView {
            id: chart.metric.name(),
            title: auto.title.clone(),
            png: Some(load.file_name(chart.file)),
            views,
        });
    }
    let single = [
        (
            "efficiency",
            efficiency_figure(d, labels),
            "efficiency_tok_s_gpu_vs_user.png",
            findings.efficiency_y.name(),
        ),
        (
            "energy_pareto",
            energy::pareto_figure(d, labels),
            energy::PARETO_FILE,
            Metric::OutputTokensPerJoule.name(),
        ),
        (
            "ttft_distribution",
            distribution_figure(d, labels, Latency::Ttft),
            "ttft_distribution.png",
            String::new(),
        ),
        (
            "tpot_distribution",
            distribution_figure(d, labels, Latency::Tpot),
            "tpot_distribution.png",
            String::new(),
        ),
    ];
    for (id, fig, png, metric) in single {
        let Some(fig) = fig else { continue };
        charts.push(ChartView {
            id: id.into(),
            title: fig.title.clone(),
            png: Some(png.into()),
            views: vec![SvgView {
                // Both Pareto views plot tokens/s/user on x (`frontier_series`).
                x_metric: match id {
                    "efficiency" | "energy_pareto" => Metric::TokensPerSUser.name(),
                    _ => String::new(),
                },
                ..view(&fig, metric, true).map_err(fail)?
            }],
        });
    }
    Ok(charts)
}

/// A drawing failure, named after the page it was for.
fn chart_error(out_dir: &Path, e: Box<dyn StdError>) -> Error {
    Error::Write {
        path: out_dir.join(crate::render::REPORT_HTML),
        source: std::io::Error::other(format!("cannot draw a chart: {e}")),
    }
}

/// Charts of one view each (the audit's and the history's pages), keyed by their PNG's name.
pub(super) fn static_charts(
    figs: Vec<(String, Figure)>,
    out_dir: &Path,
) -> Result<Vec<ChartView>, Error> {
    figs.into_iter()
        .map(|(file, fig)| {
            Ok(ChartView {
                id: file.trim_end_matches(".png").to_string(),
                title: fig.title.clone(),
                views: vec![view(&fig, String::new(), true).map_err(|e| chart_error(out_dir, e))?],
                png: Some(file),
            })
        })
        .collect()
}

fn view(fig: &Figure, metric: String, default: bool) -> Result<SvgView, Box<dyn StdError>> {
    Ok(SvgView {
        stat: "",
        scale: scale_name(fig.y.scale),
        svg: render_svg(fig, &metric)?,
        metric,
        x_metric: String::new(),
        auto: default,
        default,
    })
}

fn scale_name(s: Scale) -> &'static str {
    match s {
        Scale::Linear => "linear",
        Scale::Log2 | Scale::Log10 => "log",
    }
}

fn stat_word(s: Stat) -> &'static str {
    match s {
        Stat::Avg => "Average",
        Stat::P50 => "P50",
        Stat::P90 => "P90",
        Stat::P99 => "P99",
        other => other.key(),
    }
}

/// "Time to first token" -> "time to first token"; "TTFT ..." stays.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.clone().next()) {
        (Some(a), Some(b)) if b.is_lowercase() => a.to_lowercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

/// The figure as one `<svg>` element: the frame, then each series (line, then each point),
/// then each box plot label's boxes, then the series' legend entries.
pub(super) fn render_svg(fig: &Figure, metric: &str) -> Result<String, Box<dyn StdError>> {
    let mut out = format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" class=\"chart-svg\" role=\"img\" aria-label=\"{}\" data-metric=\"{}\">\n",
        esc(&fig.title),
        esc(metric)
    );
    out.push_str(&svg_part(fig, Part::Frame)?);
    let point_attr = |p: Option<usize>| p.map(|p| p.to_string()).unwrap_or_default();
    for (i, s) in fig.series.iter().enumerate() {
        out.push_str(&format!("\n<g data-series=\"{}\">\n", esc(&s.label)));
        out.push_str(&svg_part(fig, Part::Line(i))?);
        for (j, m) in s.marks.iter().enumerate() {
            let tip = format!(
                "{}: {} {}, {}",
                s.label,
                fig.x.title.to_lowercase(),
                human(m.x),
                human(m.y)
            );
            out.push_str(&format!(
                "\n<g data-point=\"{}\" tabindex=\"0\"><title>{}</title>\n",
                point_attr(m.point),
                esc(&tip)
            ));
            out.push_str(&svg_part(fig, Part::Mark(i, j))?);
            out.push_str("\n</g>");
        }
        out.push_str("\n</g>");
    }
    for e in &fig.legend {
        let Entry::Swatch { color, label } = e else {
            continue;
        };
        out.push_str(&format!("\n<g data-series=\"{}\">", esc(label)));
        for (k, b) in fig.boxes.iter().enumerate() {
            if b.color != *color {
                continue;
            }
            let q: Vec<String> = b.q.iter().map(|v| v.to_string()).collect();
            out.push_str(&format!(
                "\n<g data-point=\"{}\" data-q=\"{}\" tabindex=\"0\"><title>{}: p5 {}, p25 {}, p50 {}, p75 {}, p95 {}</title>\n",
                point_attr(b.point),
                q.join(","),
                esc(label),
                human(b.q[0]),
                human(b.q[1]),
                human(b.q[2]),
                human(b.q[3]),
                human(b.q[4])
            ));
            out.push_str(&svg_part(fig, Part::Box(k))?);
            out.push_str("\n</g>");
        }
        out.push_str("\n</g>");
    }
    for (k, e) in fig.legend.iter().enumerate() {
        let (Entry::Series { label, .. } | Entry::Swatch { label, .. }) = e else {
            continue;
        };
        out.push_str(&format!(
            "\n<g data-toggle=\"{}\" tabindex=\"0\" role=\"button\" aria-pressed=\"true\"><title>show or hide {}</title>\n",
            esc(label),
            esc(label)
        ));
        out.push_str(&svg_part(fig, Part::Legend(k))?);
        out.push_str("\n</g>");
    }
    out.push_str("\n</svg>");
    Ok(out)
}
