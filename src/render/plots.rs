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
use crate::analyze::findings::{Findings, PointFinding};
use crate::analyze::sla::Sla;
use crate::model::{Latency, Point, Stat, Sweep};
use crate::util::error::Error;

pub mod audit;
mod axis;
mod conc;
mod distribution;
mod draw;
mod efficiency;
mod energy;
pub mod history;
pub mod plan;
pub mod svg;

use axis::{fmt_num, log_axis, value_axis, Axis, Scale};
use conc::{conc_figure, CONC_CHARTS};
use distribution::distribution_figure;
use draw::render_png;
use efficiency::{efficiency_figure, frontier_series};

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
    /// Capacity under the SLA per series, judged on the statistic the chart shows.
    caps: Vec<CapMark>,
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
    /// The point's index in the sweep, when the mark is one (`data-point` in the SVG).
    point: Option<usize>,
}

/// One box of a box plot: `x` in plot coordinates (categorical axis), `q` raw values.
struct BoxMark {
    color: usize,
    x: f64,
    half_width: f64,
    q: [f64; 5],
    miss: bool,
    /// The point's index in the sweep (`data-point` in the SVG).
    point: Option<usize>,
}

/// A vertical mark at the highest concurrency of series `series` meeting the SLA.
struct CapMark {
    series: usize,
    conc: f64,
    /// The chart shows the statistic the SLA is judged on (else: "if judged on" this one).
    strong: bool,
    tag: String,
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
            caps: Vec::new(),
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
    /// The capacity marks of the series.
    Capacity {
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

    /// The points of `label`, each with its index in the sweep (and the findings).
    fn points_of(
        self,
        label: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Point, &'a PointFinding)> {
        self.points()
            .enumerate()
            .filter(move |(_, (p, _))| p.label == label)
            .map(|(i, (p, pf))| (i, p, pf))
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
        if let Some(fig) = conc_figure(d, labels, chart, load, None) {
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
            Scale::Log10 => log_axis(title, &all),
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
    use crate::model::{test_point, Metric};

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
    fn capacity_marks_move_with_the_statistic_the_chart_shows() {
        // TTFT avg 100, 200, 400, 800 ms and p99 1.5x that (150, 300, 600, 1200) at
        // concurrency 1, 2, 4, 8; SLA TTFT <= 500 ms on avg: capacity 4 on avg, 2 on p99.
        let mut sweep = Sweep::default();
        for c in [1u64, 2, 4, 8] {
            let mut p = test_point(c, 100.0 * c as f64, 1.0);
            p.set(Metric::Latency(Latency::Ttft, Stat::P99), 150.0 * c as f64);
            p.label = "a".into();
            sweep.points.push(p);
        }
        let settings = Settings {
            sla: Some(Sla::parse("ttft=500", Stat::Avg).unwrap()),
            ..Settings::default()
        };
        let figs = figures(&sweep, &analyze(&sweep, &settings));
        let fig = |name: &str| &figs.iter().find(|(f, _)| f == name).unwrap().1;
        let caps = |f: &Figure| -> Vec<(f64, bool, String)> {
            f.caps
                .iter()
                .map(|c| (c.conc, c.strong, c.tag.clone()))
                .collect()
        };
        let avg = fig("avg_time_to_first_token_vs_concurrency.png");
        assert_eq!(caps(avg), [(4.0, true, "capacity 4 (avg)".to_string())]);
        let p99 = fig("p99_time_to_first_token_vs_concurrency.png");
        assert_eq!(caps(p99), [(2.0, false, "capacity 2 (p99)".to_string())]);
        // The SLA line is drawn on both, strong only where the SLA's statistic is shown.
        let strong = |f: &Figure| f.sla_lines.iter().map(|l| l.strong).collect::<Vec<_>>();
        assert_eq!((strong(avg), strong(p99)), (vec![true], vec![false]));
        // Throughput has no capacity mark.
        assert!(fig("request_throughput_vs_concurrency.png").caps.is_empty());
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
