//! PNG charts: metrics vs concurrency (or max batch size), the efficiency (Pareto) view and per-request
//! latency distributions.
//!
//! Every chart is first built as plain data (a [`Figure`]: axes, series, SLA lines,
//! legend, notes) and then drawn by one renderer, so all charts share the frame,
//! fonts, colours, SLA marks and the legend panel beside the plot (never over data).
//! Text uses DejaVu Sans compiled into the binary: no fontconfig/freetype at run time.

use std::path::Path;
use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, RGBColor};

use super::output::{Exporter, Output};
use super::ReportCtx;
use crate::analyze::findings::{Findings, Frontier, PointFinding};
use crate::analyze::sla::Sla;
use crate::error::Error;
use crate::model::{Direction, Latency, Metric, Point, Stat, Sweep};
use crate::stats;

pub mod audit;
mod axis;
mod draw;
mod energy;
pub mod history;
pub mod plan;

use axis::{category_axis, concurrency_axis, fmt_num, spread_axis, value_axis, Axis, Scale};
use draw::render_png;

/// Size of every PNG, in pixels.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 1000;

/// Okabe-Ito colours (colour-blind safe); label `i` of `Sweep::labels()` uses `PALETTE[i % 8]`.
/// Vermillion comes late so it is rarely next to the red of SLA marks.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),   // blue
    (230, 159, 0),   // orange
    (0, 158, 115),   // bluish green
    (204, 121, 167), // reddish purple
    (86, 180, 233),  // sky blue
    (0, 0, 0),       // black
    (213, 94, 0),    // vermillion
    (240, 228, 66),  // yellow
];

/// Colour of SLA limit lines (judged statistic) and of the ring around points that miss the SLA.
pub const SLA_RGB: (u8, u8, u8) = (214, 0, 0);
const SLA_RED: RGBColor = RGBColor(SLA_RGB.0, SLA_RGB.1, SLA_RGB.2);
const SLA_LIGHT: RGBColor = RGBColor(240, 150, 150);
const GRID: RGBColor = RGBColor(225, 225, 225);
const NOTE_GREY: RGBColor = RGBColor(80, 80, 80);
const FONT: &str = "sans-serif";
const TITLE_PX: u32 = 40;
const AXIS_PX: u32 = 28;
const TICK_PX: u32 = 24;
const LEGEND_PX: u32 = 24;
const NOTE_PX: u32 = 21;
const TITLE_H: u32 = 80;
/// Box-plot percentiles, low to high: whisker, box, median, box, whisker.
const BOX_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// The report's PNG charts: one output per chart the sweep has data for. A chart whose
/// metric no point has is skipped, not drawn empty. SLA misses and Pareto frontiers come
/// from the findings; the charts only draw them.
pub struct Charts;

impl Exporter<ReportCtx<'_>> for Charts {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        ensure_font(ctx.out_dir)?;
        figures(ctx.sweep, ctx.findings)
            .into_iter()
            .map(|(file, fig)| {
                Ok(Output {
                    bytes: render_png(&fig, &file)?,
                    file_name: file,
                })
            })
            .collect()
    }
}

/// Registers the embedded DejaVu Sans as plotters' "sans-serif", once per process.
fn ensure_font(out_dir: &Path) -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Write {
            path: out_dir.to_path_buf(),
            source: std::io::Error::other("the embedded DejaVu Sans font failed to load"),
        })
    }
}

// ---------------------------------------------------------------------------
// Chart data
// ---------------------------------------------------------------------------

/// One chart, in data terms; drawn by [`render`].
struct Figure {
    title: String,
    x: Axis,
    y: Axis,
    series: Vec<Series>,
    boxes: Vec<BoxMark>,
    sla_lines: Vec<SlaLine>,
    legend: Vec<Entry>,
    notes: Vec<String>,
}

/// One label's points (raw values) and the polyline drawn through some of them.
struct Series {
    color: usize,
    label: String,
    marks: Vec<Mark>,
    line: Vec<(f64, f64)>,
}

/// Every mark's x and y over all series, for sizing the axes.
fn mark_coordinates(series: &[Series]) -> (Vec<f64>, Vec<f64>) {
    series
        .iter()
        .flat_map(|s| s.marks.iter().map(|m| (m.x, m.y)))
        .unzip()
}

struct Mark {
    x: f64,
    y: f64,
    /// Text drawn beside the marker (the concurrency on the efficiency chart).
    tag: Option<String>,
    /// The point's SLA verdict is "fail".
    miss: bool,
    /// Drawn as an outline: a derived value (an interpolated prediction), not a data row.
    hollow: bool,
    /// Lowest and highest value over the point's runs, drawn as a whisker; `y` is their mean.
    whisker: Option<[f64; 2]>,
}

/// One box of a box plot: `x` in plot coordinates (categorical axis), `q` raw values.
struct BoxMark {
    color: usize,
    x: f64,
    half_width: f64,
    q: [f64; 5],
    miss: bool,
}

struct SlaLine {
    limit_ms: f64,
    /// Drawn strong when the chart shows the statistic the SLA is judged on.
    strong: bool,
    tag: String,
    legend: String,
}

impl Figure {
    fn new(title: String, x: Axis, y: Axis, notes: Vec<String>) -> Figure {
        Figure {
            title,
            x,
            y,
            series: Vec::new(),
            boxes: Vec::new(),
            sla_lines: Vec::new(),
            legend: Vec::new(),
            notes,
        }
    }
}

enum Entry {
    /// `line`: the series draws a line (else markers only).
    Series {
        color: usize,
        label: String,
        line: bool,
    },
    Swatch {
        color: usize,
        label: String,
    },
    Sla {
        strong: bool,
        text: String,
    },
    Miss {
        text: String,
    },
    /// An outlined marker of a series' colour and what it means.
    Hollow {
        color: usize,
        text: String,
    },
}

// ---------------------------------------------------------------------------
// Which charts
// ---------------------------------------------------------------------------

/// A "metric vs concurrency" chart: file name, metric, and what the y axis shows.
struct ConcChart {
    file: &'static str,
    metric: Metric,
    what: &'static str,
}

const CONC_CHARTS: [ConcChart; 7] = [
    ConcChart {
        file: "p50_inter_token_latency_vs_concurrency.png",
        metric: Metric::Latency(Latency::Tpot, Stat::P50),
        what: "P50 inter-token latency (TPOT)",
    },
    ConcChart {
        file: "avg_inter_token_latency_vs_concurrency.png",
        metric: Metric::Latency(Latency::Tpot, Stat::Avg),
        what: "Average inter-token latency (TPOT)",
    },
    ConcChart {
        file: "avg_time_to_first_token_vs_concurrency.png",
        metric: Metric::Latency(Latency::Ttft, Stat::Avg),
        what: "Average time to first token (TTFT)",
    },
    ConcChart {
        file: "p99_time_to_first_token_vs_concurrency.png",
        metric: Metric::Latency(Latency::Ttft, Stat::P99),
        what: "P99 time to first token (TTFT)",
    },
    ConcChart {
        file: "request_throughput_vs_concurrency.png",
        metric: Metric::RequestThroughput,
        what: "Request throughput",
    },
    ConcChart {
        file: "output_token_throughput_vs_concurrency.png",
        metric: Metric::OutputTokenThroughput,
        what: "Output token throughput",
    },
    ConcChart {
        file: "output_tokens_per_joule_vs_concurrency.png",
        metric: Metric::OutputTokensPerJoule,
        what: "Output tokens per joule of GPU energy",
    },
];

/// What a chart draws from: the points with their findings (SLA verdicts, load axis) and
/// the findings of the whole sweep (SLA, frontiers).
#[derive(Clone, Copy)]
struct Data<'a> {
    sweep: &'a Sweep,
    findings: &'a Findings,
}

impl<'a> Data<'a> {
    /// Every point with its finding (the findings hold one per point, in the sweep's order).
    fn points(self) -> impl Iterator<Item = (&'a Point, &'a PointFinding)> {
        self.sweep.points.iter().zip(&self.findings.points)
    }

    fn points_of(self, label: &'a str) -> impl Iterator<Item = (&'a Point, &'a PointFinding)> {
        self.points().filter(move |(p, _)| p.label == label)
    }

    fn sla(self) -> Option<&'a Sla> {
        self.findings.sla.as_ref()
    }
}

fn figures(sweep: &Sweep, findings: &Findings) -> Vec<(String, Figure)> {
    let d = Data { sweep, findings };
    let labels = &findings.labels;
    let load = LoadAxis::of(findings);
    let mut out = Vec::new();
    for chart in &CONC_CHARTS {
        if let Some(fig) = conc_figure(d, labels, chart, load) {
            out.push((load.file_name(chart.file), fig));
        }
    }
    if let Some(fig) = efficiency_figure(d, labels) {
        out.push(("efficiency_tok_s_gpu_vs_user.png".into(), fig));
    }
    if let Some(fig) = energy::pareto_figure(d, labels) {
        out.push((energy::PARETO_FILE.into(), fig));
    }
    for (lat, file) in [
        (Latency::Ttft, "ttft_distribution.png"),
        (Latency::Tpot, "tpot_distribution.png"),
    ] {
        if let Some(fig) = distribution_figure(d, labels, lat) {
            out.push((file.into(), fig));
        }
    }
    out
}

/// The x axis of the "metric vs load" charts: concurrency, or for sweeps without any (trtllm-bench
/// throughput runs), the max batch size.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoadAxis {
    Concurrency,
    BatchSize,
}

impl LoadAxis {
    fn of(f: &Findings) -> LoadAxis {
        let any_conc = f.points.iter().any(|p| p.concurrency.is_some());
        let any_bs = f.points.iter().any(|p| p.max_batch_size.is_some());
        if !any_conc && any_bs {
            LoadAxis::BatchSize
        } else {
            LoadAxis::Concurrency
        }
    }

    fn x(self, p: &PointFinding) -> Option<u64> {
        match self {
            LoadAxis::Concurrency => p.concurrency,
            LoadAxis::BatchSize => p.max_batch_size,
        }
        .filter(|&v| v > 0)
    }

    fn title(self) -> &'static str {
        match self {
            LoadAxis::Concurrency => "concurrency",
            LoadAxis::BatchSize => "max batch size",
        }
    }

    /// `x_vs_concurrency.png` -> `x_vs_batch_size.png` on the batch-size axis.
    fn file_name(self, file: &str) -> String {
        match self {
            LoadAxis::Concurrency => file.to_string(),
            LoadAxis::BatchSize => file.replace("_vs_concurrency", "_vs_batch_size"),
        }
    }
}

/// The point's SLA verdict is "fail".
fn misses(p: &PointFinding) -> bool {
    p.sla_pass == Some(false)
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

// ---------------------------------------------------------------------------
// Metric vs concurrency
// ---------------------------------------------------------------------------

fn conc_figure(d: Data, labels: &[String], chart: &ConcChart, load: LoadAxis) -> Option<Figure> {
    let mut series: Vec<Series> = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        series.extend(conc_series(d, i, l, chart.metric, load));
    }
    if series.is_empty() {
        return None;
    }
    // A label over several workloads draws one line per workload, each in its own colour.
    if series.len() > labels.len() {
        for (i, s) in series.iter_mut().enumerate() {
            s.color = i;
        }
    }
    let (concs, mut ys) = mark_coordinates(&series);
    let whiskers = series
        .iter()
        .flat_map(|s| &s.marks)
        .filter_map(|m| m.whisker);
    let repeated = whiskers.clone().count();
    ys.extend(whiskers.flatten());
    let mut notes = vec![direction_note(chart.metric)];
    if repeated > 0 {
        notes.push("Points measured several times: the mean over the runs, whiskers from the lowest to the highest run.".into());
    }
    let dropped = d
        .points()
        .filter(|(p, pf)| load.x(pf).is_none() && finite(p.get(chart.metric)).is_some())
        .count();
    if dropped > 0 {
        notes.push(format!(
            "{dropped} point(s) without a {} are not shown.",
            load.title()
        ));
    }
    let y_title = format!("{}, {}", chart.what, chart.metric.unit());
    let lines = match chart.metric {
        Metric::Latency(lat, stat) => sla_lines(d.sla(), lat, Some(stat)),
        _ => Vec::new(),
    };
    let title = format!("{} vs {}", chart.what, load.title());
    let mut x = concurrency_axis(&concs);
    if load == LoadAxis::BatchSize {
        x.title = "Max batch size".into();
    }
    // Latencies of very different configs can differ 100x: a log axis keeps both readable.
    let y = match chart.metric {
        Metric::Latency(..) => spread_axis(y_title, &ys, Vec::new()),
        _ => value_axis(y_title, &ys),
    };
    let mut fig = Figure::new(title, x, y, notes);
    fig.series = series;
    fit_sla_lines(&mut fig, lines, &ys);
    finish_legend(&mut fig, d.sla());
    Some(fig)
}

/// One label's line, or one per workload (ISL/OSL) when the label has several.
fn conc_series(d: Data, color: usize, label: &str, metric: Metric, load: LoadAxis) -> Vec<Series> {
    type Workload = (Option<u64>, Option<u64>);
    let mut groups: Vec<(Workload, Vec<Mark>)> = Vec::new();
    for (p, pf) in d.points_of(label) {
        let (Some(x), Some(y)) = (load.x(pf), finite(p.get(metric))) else {
            continue;
        };
        let mark = Mark {
            x: x as f64,
            y,
            tag: None,
            miss: misses(pf),
            hollow: false,
            whisker: pf.run_range.get(&metric.name()).copied(),
        };
        match groups.iter_mut().find(|(w, _)| *w == (p.isl, p.osl)) {
            Some((_, marks)) => marks.push(mark),
            None => groups.push(((p.isl, p.osl), vec![mark])),
        }
    }
    let several = groups.len() > 1;
    groups
        .into_iter()
        .map(|((isl, osl), mut marks)| {
            marks.sort_by(|a, b| a.x.total_cmp(&b.x));
            let line = marks.iter().map(|m| (m.x, m.y)).collect();
            let o = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            Series {
                color,
                label: if several {
                    format!("{label} isl {} osl {}", o(isl), o(osl))
                } else {
                    label.to_string()
                },
                marks,
                line,
            }
        })
        .collect()
}

fn direction_note(metric: Metric) -> String {
    match metric.direction() {
        Direction::LowerIsBetter => "Lower is better.".into(),
        Direction::HigherIsBetter => "Higher is better.".into(),
        Direction::Neutral => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Efficiency: tok/s/GPU vs tok/s/user with Pareto frontiers
// ---------------------------------------------------------------------------

fn efficiency_figure(d: Data, labels: &[String]) -> Option<Figure> {
    let per_gpu = d.findings.efficiency_y == Metric::TokensPerSGpu;
    let series: Vec<Series> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            frontier_series(d, i, l, d.findings.efficiency_y, &d.findings.frontiers)
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    let (xs, ys) = mark_coordinates(&series);
    let y_title = if per_gpu {
        "Output tokens/s per GPU".to_string()
    } else {
        "tok/s (GPU count unknown: pass --gpus)".to_string()
    };
    let mut fig = Figure::new(
        "GPU efficiency vs user experience".into(),
        value_axis("Output tokens/s per user".into(), &xs),
        value_axis(y_title, &ys),
        efficiency_notes(d, per_gpu),
    );
    fig.series = series;
    finish_legend(&mut fig, d.sla());
    Some(fig)
}

fn efficiency_notes(d: Data, per_gpu: bool) -> Vec<String> {
    let sweep = d.sweep;
    let mut notes = vec![
        format!("Numbers on dots: {}.", LoadAxis::of(d.findings).title()),
        "Line: Pareto frontier of each label (no other point of the label is better on both axes). Up and right is better.".to_string(),
    ];
    if per_gpu {
        let without = sweep
            .points
            .iter()
            .filter(|p| {
                p.get(Metric::TokensPerSUser).is_some() && p.get(Metric::TokensPerSGpu).is_none()
            })
            .count();
        if without > 0 {
            notes.push(format!(
                "{without} point(s) without a GPU count are not shown."
            ));
        }
    } else {
        notes.push("No GPU count in the inputs: y is total output tok/s, not per GPU.".to_string());
    }
    notes
}

/// A label's points on a tokens/s/user vs `y_metric` view; the line is its Pareto frontier
/// from the findings (`frontiers`, computed on the same axes).
fn frontier_series(
    d: Data,
    color: usize,
    label: &str,
    y_metric: Metric,
    frontiers: &[Frontier],
) -> Option<Series> {
    let xy = |p: &Point| {
        Some((
            finite(p.get(Metric::TokensPerSUser))?,
            finite(p.get(y_metric))?,
        ))
    };
    let mut marks: Vec<Mark> = d
        .points_of(label)
        .filter_map(|(p, pf)| {
            let (x, y) = xy(p)?;
            Some(Mark {
                x,
                y,
                tag: pf.concurrency.or(pf.max_batch_size).map(|c| c.to_string()),
                miss: misses(pf),
                hollow: false,
                whisker: None,
            })
        })
        .collect();
    if marks.is_empty() {
        return None;
    }
    marks.sort_by(|a, b| a.x.total_cmp(&b.x));
    let line = frontiers
        .iter()
        .filter(|f| f.label == label)
        .flat_map(|f| &f.points)
        .filter_map(|&i| xy(d.sweep.points.get(i)?))
        .collect();
    Some(Series {
        color,
        label: label.to_string(),
        marks,
        line,
    })
}

// ---------------------------------------------------------------------------
// Per-request distributions (box plots)
// ---------------------------------------------------------------------------

/// One box before layout: which label, which concurrency, the five percentiles.
struct Cell {
    label: usize,
    conc: u64,
    q: [f64; 5],
    miss: bool,
}

fn distribution_figure(d: Data, labels: &[String], lat: Latency) -> Option<Figure> {
    let sla = d.sla();
    let cells: Vec<Cell> = d
        .points()
        .filter_map(|(p, pf)| cell(p, misses(pf), labels, lat))
        .collect();
    if cells.is_empty() {
        return None;
    }
    let mut concs: Vec<u64> = cells.iter().map(|c| c.conc).collect();
    concs.sort_unstable();
    concs.dedup();
    let mut shown: Vec<usize> = cells.iter().map(|c| c.label).collect();
    shown.sort_unstable();
    shown.dedup();
    let boxes = layout_boxes(&cells, &concs, &shown);
    let values: Vec<f64> = cells.iter().flat_map(|c| [c.q[0], c.q[4]]).collect();
    let title = format!(
        "{} per request: box p25–p75, line p50, whiskers p5–p95",
        lat.title()
    );
    let y_title = format!("{}, ms", latency_name(lat));
    let notes = vec![
        "Successful requests of each run; one box per label and concurrency.".into(),
        "Lower is better.".into(),
    ];
    let y = spread_axis(y_title, &values, sla_limits(sla, lat));
    let mut fig = Figure::new(title, category_axis(&concs), y, notes);
    fig.boxes = boxes;
    fig.legend = shown
        .iter()
        .filter_map(|&i| {
            Some(Entry::Swatch {
                color: i,
                label: labels.get(i)?.clone(),
            })
        })
        .collect();
    fit_sla_lines(&mut fig, sla_lines(sla, lat, None), &values);
    finish_legend(&mut fig, sla);
    Some(fig)
}

fn latency_name(lat: Latency) -> &'static str {
    match lat {
        Latency::Ttft => "Time to first token (TTFT)",
        Latency::Tpot => "Inter-token latency (TPOT)",
        Latency::Itl => "Inter-chunk latency (ITL)",
        Latency::E2el => "End-to-end latency",
    }
}

fn cell(p: &Point, miss: bool, labels: &[String], lat: Latency) -> Option<Cell> {
    let conc = p.concurrency?;
    let values = stats::sorted(&p.requests.as_ref()?.ok_values(lat));
    let method = p.source.percentile_method();
    let mut q = [0.0; 5];
    for (slot, quantile) in q.iter_mut().zip(BOX_QUANTILES) {
        *slot = stats::percentile_sorted(&values, quantile, method)?;
    }
    Some(Cell {
        label: labels.iter().position(|l| *l == p.label)?,
        conc,
        q,
        miss,
    })
}

/// Places boxes side by side within each concurrency group (group `g` centred at x = g).
fn layout_boxes(cells: &[Cell], concs: &[u64], shown: &[usize]) -> Vec<BoxMark> {
    let slot = 0.8 / shown.len().max(1) as f64;
    cells
        .iter()
        .filter_map(|c| {
            let g = concs.iter().position(|&x| x == c.conc)? as f64;
            let j = shown.iter().position(|&l| l == c.label)? as f64;
            Some(BoxMark {
                color: c.label,
                x: g - 0.4 + slot * (j + 0.5),
                half_width: slot * 0.35,
                q: c.q,
                miss: c.miss,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// SLA lines and legend
// ---------------------------------------------------------------------------

fn sla_limits(sla: Option<&Sla>, lat: Latency) -> Vec<f64> {
    sla.map(|s| {
        s.targets
            .iter()
            .filter(|t| t.latency == lat)
            .map(|t| t.limit_ms)
            .collect()
    })
    .unwrap_or_default()
}

/// SLA limits for a latency family; `shown` is the statistic plotted (`None`: per request).
fn sla_lines(sla: Option<&Sla>, lat: Latency, shown: Option<Stat>) -> Vec<SlaLine> {
    let Some(sla) = sla else { return Vec::new() };
    sla.targets
        .iter()
        .filter(|t| t.latency == lat)
        .map(|t| {
            let tag = format!(
                "SLA {} {} {}\u{a0}ms",
                sla.stat.key(),
                lat.title(),
                fmt_num(t.limit_ms)
            );
            let strong = shown == Some(sla.stat);
            let legend = match shown {
                _ if strong => tag.clone(),
                Some(s) => format!(
                    "{tag} (the SLA is judged on {}, this chart shows {})",
                    sla.stat.key(),
                    s.key()
                ),
                None => format!(
                    "{tag} (judged on each run's {}, not per request)",
                    sla.stat.key()
                ),
            };
            SlaLine {
                limit_ms: t.limit_ms,
                strong,
                tag,
                legend,
            }
        })
        .collect()
}

/// Keeps SLA lines the y axis shows; a limit far above the data becomes a note instead
/// of squashing every point to the bottom of the chart.
fn fit_sla_lines(fig: &mut Figure, lines: Vec<SlaLine>, values: &[f64]) {
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let mut extended = false;
    for line in lines {
        if line.limit_ms > 2.0 * max {
            fig.notes.push(format!(
                "{}: above the plotted range (every value is under half of it).",
                line.tag
            ));
            continue;
        }
        extended |= fig.y.map(line.limit_ms).is_some_and(|v| v > fig.y.hi);
        fig.legend.push(Entry::Sla {
            strong: line.strong,
            text: line.legend.clone(),
        });
        fig.sla_lines.push(line);
    }
    if extended {
        let mut all: Vec<f64> = values.to_vec();
        all.extend(fig.sla_lines.iter().map(|l| l.limit_ms));
        let title = std::mem::take(&mut fig.y.title);
        fig.y = match fig.y.scale {
            Scale::Log10 => spread_axis(title, &all, Vec::new()),
            _ => value_axis(title, &all),
        };
    }
}

/// Puts the series entries first and the SLA-miss mark last.
fn finish_legend(fig: &mut Figure, sla: Option<&Sla>) {
    let mut entries: Vec<Entry> = fig
        .series
        .iter()
        .map(|s| Entry::Series {
            color: s.color,
            label: s.label.clone(),
            line: s.line.len() > 1,
        })
        .collect();
    entries.append(&mut fig.legend);
    let any_miss = fig.series.iter().any(|s| s.marks.iter().any(|m| m.miss))
        || fig.boxes.iter().any(|b| b.miss);
    if let (true, Some(sla)) = (any_miss, sla) {
        entries.push(Entry::Miss {
            text: miss_text(sla),
        });
    }
    fig.legend = entries;
    fig.notes.retain(|n| !n.is_empty());
}

/// "Misses the SLA:" and one target per line, e.g. "avg TTFT ≤ 500 ms".
fn miss_text(sla: &Sla) -> String {
    let mut text = "Misses the SLA:".to_string();
    for t in &sla.targets {
        text.push_str(&format!(
            "\n{} {} ≤ {}\u{a0}ms",
            sla.stat.key(),
            t.latency.title(),
            fmt_num(t.limit_ms)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::{analyze, Settings};
    use crate::model::test_point;

    /// A trtllm-bench throughput point of `label`: no concurrency, a max batch size.
    fn bs_point(label: &str, isl: u64, bs: u64, tput: f64) -> Point {
        let mut p = test_point(1, 100.0, tput);
        p.label = label.into();
        p.concurrency = None;
        (p.isl, p.osl) = (Some(isl), Some(128));
        p.extra.insert("max_batch_size".into(), bs.to_string());
        p
    }

    #[test]
    fn sweeps_without_concurrency_plot_against_max_batch_size_one_line_per_workload() {
        let mut sweep = Sweep::default();
        for (label, isl) in [("pytorch", 128), ("pytorch", 512), ("_autodeploy", 128)] {
            for bs in [32, 64] {
                sweep.points.push(bs_point(label, isl, bs, bs as f64));
            }
        }
        let figs = figures(&sweep, &analyze(&sweep, &Settings::default()));
        let (file, fig) = figs
            .iter()
            .find(|(f, _)| f.starts_with("request_throughput"))
            .unwrap();
        assert_eq!(file, "request_throughput_vs_batch_size.png");
        assert_eq!(fig.title, "Request throughput vs max batch size");
        assert_eq!(fig.x.title, "Max batch size");
        let names: Vec<(&str, usize)> = fig
            .series
            .iter()
            .map(|s| (s.label.as_str(), s.color))
            .collect();
        assert_eq!(
            names,
            [
                ("pytorch isl 128 osl 128", 0),
                ("pytorch isl 512 osl 128", 1),
                ("_autodeploy", 2)
            ]
        );
        let xy: Vec<(f64, f64)> = fig.series[0].marks.iter().map(|m| (m.x, m.y)).collect();
        assert_eq!(xy, [(32.0, 32.0), (64.0, 64.0)]);
        // One point with a concurrency: the sweep is plotted by concurrency, as before.
        sweep.points.push(test_point(4, 1.0, 1.0));
        let figs = figures(&sweep, &analyze(&sweep, &Settings::default()));
        assert!(figs
            .iter()
            .any(|(f, _)| f == "request_throughput_vs_concurrency.png"));
    }

    #[test]
    fn repeats_draw_their_mean_with_a_whisker_and_wide_latencies_a_log_axis() {
        // "a": TTFT runs 90, 110 ms at conc 1 (mean 100); "b": 5000 ms, one run: 50x apart.
        let mut a =
            Point::from_repeats(vec![test_point(1, 90.0, 2.0), test_point(1, 110.0, 2.0)]).unwrap();
        a.label = "a".into();
        let mut b = test_point(1, 5000.0, 1.0);
        b.label = "b".into();
        let sweep = Sweep {
            points: vec![a, b],
            ..Sweep::default()
        };
        let figs = figures(&sweep, &analyze(&sweep, &Settings::default()));
        let fig = |name: &str| &figs.iter().find(|(f, _)| f == name).unwrap().1;
        let ttft = fig("avg_time_to_first_token_vs_concurrency.png");
        assert!(ttft.y.scale == Scale::Log10);
        let m = &ttft.series[0].marks[0];
        assert_eq!((m.y, m.whisker), (100.0, Some([90.0, 110.0])));
        assert_eq!(ttft.series[1].marks[0].whisker, None);
        // Throughput is not a latency: linear, however wide.
        let rps = fig("request_throughput_vs_concurrency.png");
        assert!(rps.y.scale != Scale::Log10);
    }
}
