//! `history report`'s trend charts, built as [`Figure`]s and drawn by the report charts'
//! renderer: one PNG per metric and load point, each label's value per run in order, the level
//! between change points, the first run after each change marked and tagged, and the runs where
//! what ran (the fingerprint) changed drawn hollow.

use super::axis::{thin_ticks, value_axis, Axis, Scale};
use super::draw::render_png;
use super::svg::{static_charts, ChartView};
use super::{ensure_font, finish_legend, Entry, Figure, Mark, Series};
use crate::analyze::trend::{Change, Kind, Load, Trend};
use crate::model::Metric;
use crate::render::history::HistoryCtx;
use crate::render::output::{Exporter, Output};
use crate::util::error::Error;

/// Colour of the level lines (black in the palette).
const LEVEL_COLOR: usize = 5;
/// Pixels per run at which run names stop overlapping (a name is about 11 characters).
const PLOT_PX: f64 = 1000.0;

/// The trend charts of the metrics in the context, as PNG outputs.
pub struct TrendCharts;

impl Exporter<HistoryCtx<'_>> for TrendCharts {
    fn render(&self, ctx: &HistoryCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        ensure_font(ctx.out_dir)?;
        figures(ctx)
            .into_iter()
            .map(|(file_name, fig)| {
                let bytes = render_png(&fig, &file_name)?;
                Ok(Output { file_name, bytes })
            })
            .collect()
    }
}

/// The same charts as inline SVG, for the history's report.html.
pub fn svg_charts(ctx: &HistoryCtx) -> Result<Vec<ChartView>, Error> {
    ensure_font(ctx.out_dir)?;
    static_charts(figures(ctx), ctx.out_dir)
}

/// `trend_ttft_avg_ms_isl128_osl64_conc8.png`.
pub fn file_name(metric: Metric, isl: Option<i64>, osl: Option<i64>, load: Load) -> String {
    let len = |v: Option<i64>| v.map_or("x".into(), |v| v.to_string());
    let load = match load {
        Load::Concurrency(c) => format!("_conc{c}"),
        Load::BatchSize(b) => format!("_bs{b}"),
        Load::Rate(r) => format!("_rate{}", r.to_string().replace('.', "p")),
        Load::Unset => String::new(),
    };
    format!(
        "trend_{}_isl{}_osl{}{load}.png",
        metric.name(),
        len(isl),
        len(osl)
    )
}

/// The runs as the x axis: run i at x = i, labelled with its id where there is room.
fn run_axis(trend: &Trend) -> Axis {
    let n = trend.runs.len().max(1);
    let ticks = trend
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64, r.run_id.clone()))
        .collect();
    Axis {
        title: "Run (oldest to newest)".into(),
        scale: Scale::Linear,
        lo: -0.6,
        hi: n as f64 - 0.4,
        ticks: thin_ticks(ticks, PLOT_PX / n as f64),
        minor: Vec::new(),
    }
}

fn figures(ctx: &HistoryCtx) -> Vec<(String, Figure)> {
    // Series of one metric and load point, every label together.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in ctx.trend.series.iter().enumerate() {
        if !ctx.metrics.contains(&s.key.metric) {
            continue;
        }
        let name = file_name(s.key.metric, s.key.isl, s.key.osl, s.key.load);
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(i),
            None => groups.push((name, vec![i])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(name, members)| Some((name, figure(ctx, &members)?)))
        .collect()
}

fn change_tag(c: &Change) -> String {
    format!("{} {:+.1}%", c.kind.name(), c.step.change_pct)
}

fn figure(ctx: &HistoryCtx, members: &[usize]) -> Option<Figure> {
    let trend = ctx.trend;
    let key = &trend.series[*members.first()?].key;
    let mut series = Vec::new();
    let mut levels = Vec::new();
    let mut notes = Vec::new();
    let (mut any_regression, mut any_env) = (false, false);
    for (color, &si) in members.iter().enumerate() {
        let s = &trend.series[si];
        let changes: Vec<&Change> = ctx
            .check
            .changes
            .iter()
            .filter(|c| c.series == si)
            .collect();
        let present = s.present();
        if present.is_empty() {
            continue;
        }
        let mut marks = Vec::new();
        let mut previous: Option<usize> = None;
        for &(i, v) in &present {
            let change = changes.iter().find(|c| c.first_bad == i);
            let env =
                previous.is_some_and(|p| trend.runs[p].fingerprint != trend.runs[i].fingerprint);
            any_env |= env;
            let regression = change.is_some_and(|c| c.kind == Kind::Regression);
            any_regression |= regression;
            marks.push(Mark {
                x: i as f64,
                y: v,
                tag: change.map(|c| change_tag(c)),
                miss: regression,
                hollow: env,
                whisker: None,
                point: None,
            });
            previous = Some(i);
        }
        let line = marks.iter().map(|m| (m.x, m.y)).collect();
        series.push(Series {
            color,
            label: s.key.label.clone(),
            marks,
            line,
        });
        levels.push(level_series(s.key.label.as_str(), &present, &changes));
        for c in &changes {
            let r = &trend.runs[c.first_bad];
            let mut note = format!(
                "{}: {} {} {:+.1}% (95% CI {:+.1}% .. {:+.1}%), first run {}{}",
                s.key.label,
                c.kind.name(),
                key.metric,
                c.step.change_pct,
                c.step.ci_pct.0,
                c.step.ci_pct.1,
                r.run_id,
                r.commit
                    .as_ref()
                    .map_or(String::new(), |c| format!(" (commit {c})"))
            );
            for (k, a, b) in &c.environment {
                note.push_str(&format!("; {k} {a} -> {b}"));
            }
            notes.push(note);
        }
    }
    if series.is_empty() {
        return None;
    }
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.marks.iter().map(|m| m.y))
        .collect();
    let direction = match key.metric.direction() {
        crate::model::Direction::LowerIsBetter => "Lower is better. ",
        crate::model::Direction::HigherIsBetter => "Higher is better. ",
        crate::model::Direction::Neutral => "",
    };
    notes.insert(
        0,
        format!("{direction}Black steps: the mean between change points (E-Divisive, permutation test)."),
    );
    let len = |v: Option<i64>| v.map_or("?".into(), |v| v.to_string());
    let title = format!(
        "{} at {}, ISL {} OSL {}",
        key.metric,
        key.load,
        len(key.isl),
        len(key.osl)
    );
    let y_title = format!("{}, {}", key.metric, key.metric.unit());
    let mut fig = Figure::new(title, run_axis(trend), value_axis(y_title, &ys), notes);
    series.extend(levels);
    fig.series = series;
    if any_regression {
        fig.legend.push(Entry::Miss {
            text: "first run after a regression".into(),
        });
    }
    if any_env {
        fig.legend.push(Entry::Hollow {
            color: 0,
            text: "what ran changed (fingerprint) at this run".into(),
        });
    }
    finish_legend(&mut fig, None);
    Some(fig)
}

/// The mean of each window between change points, drawn as steps that jump halfway between
/// the last run before a change and the first after it.
fn level_series(label: &str, present: &[(usize, f64)], changes: &[&Change]) -> Series {
    let mut cuts: Vec<usize> = changes.iter().map(|c| c.first_bad).collect();
    cuts.sort_unstable();
    let mut line = Vec::new();
    let mut start = 0;
    let windows = cuts.iter().map(Some).chain(std::iter::once(None));
    for cut in windows {
        let end = match cut {
            Some(&c) => present
                .iter()
                .position(|(i, _)| *i >= c)
                .unwrap_or(present.len()),
            None => present.len(),
        };
        let window = &present[start..end];
        if let (Some(first), Some(last)) = (window.first(), window.last()) {
            let mean = window.iter().map(|(_, v)| v).sum::<f64>() / window.len() as f64;
            let left = if start == 0 {
                first.0 as f64 - 0.3
            } else {
                (present[start - 1].0 + first.0) as f64 / 2.0
            };
            let right = match present.get(end) {
                Some(next) => (last.0 + next.0) as f64 / 2.0,
                None => last.0 as f64 + 0.3,
            };
            line.push((left, mean));
            line.push((right, mean));
        }
        start = end;
    }
    Series {
        color: LEVEL_COLOR,
        label: format!("{label}: level"),
        marks: Vec::new(),
        line,
    }
}
