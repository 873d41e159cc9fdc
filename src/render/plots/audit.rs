//! The audit's PNGs, built as [`Figure`]s and drawn by the report charts' renderer:
//! `audit_<metric>_vs_concurrency.png` (predicted curve vs measured points, interpolated
//! predictions hollow) and `audit_pareto_tok_s_gpu_vs_user.png` (both Pareto curves).

use super::axis::{concurrency_axis, value_axis};
use super::draw::render_png;
use super::svg::{static_charts, ChartView};
use super::{ensure_font, finish_legend, fit_sla_lines, sla_lines, Entry, Figure, Mark, Series};
use crate::analyze::audit::{Audit, AuditMetric, SweepAudit};
use crate::analyze::sla::{Sla, Target};
use crate::model::{Latency, Stat};
use crate::render::audit::AuditCtx;
use crate::render::output::{Exporter, Output};
use crate::util::error::Error;

pub const PARETO_FILE: &str = "audit_pareto_tok_s_gpu_vs_user.png";

/// `audit_ttft_vs_concurrency.png` etc.
pub fn metric_file(m: AuditMetric) -> String {
    format!("audit_{}_vs_concurrency.png", m.key())
}

/// The audit charts with data, as PNG outputs named like [`metric_file`] and [`PARETO_FILE`].
pub struct AuditPlots;

impl Exporter<AuditCtx<'_>> for AuditPlots {
    fn render(&self, ctx: &AuditCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        ensure_font(ctx.out_dir)?;
        figures(ctx.audit)
            .into_iter()
            .map(|(file_name, fig)| {
                let bytes = render_png(&fig, &file_name)?;
                Ok(Output { file_name, bytes })
            })
            .collect()
    }
}

/// The same charts as inline SVG, for the audit's report.html.
pub fn svg_charts(a: &Audit, out_dir: &std::path::Path) -> Result<Vec<ChartView>, Error> {
    ensure_font(out_dir)?;
    static_charts(figures(a), out_dir)
}

/// Every audit chart with data, with its file name.
fn figures(a: &Audit) -> Vec<(String, Figure)> {
    let sla = a.sla.as_ref().map(|s| Sla {
        targets: vec![
            Target {
                latency: Latency::Ttft,
                limit_ms: s.ttft_ms,
            },
            Target {
                latency: Latency::Tpot,
                limit_ms: s.tpot_ms,
            },
        ],
        stat: Stat::Avg,
    });
    let mut figures: Vec<(String, Figure)> = Vec::new();
    for m in AuditMetric::ALL {
        if let Some(fig) = metric_figure(a, m, sla.as_ref()) {
            figures.push((metric_file(m), fig));
        }
    }
    if let Some(fig) = pareto_figure(a, sla.as_ref()) {
        figures.push((PARETO_FILE.to_string(), fig));
    }
    figures
}

/// Colours: sweep `i` draws its prediction in palette colour `2i`, its measurements in `2i + 1`.
fn colors(i: usize) -> (usize, usize) {
    (2 * i, 2 * i + 1)
}

/// Legend labels: short for one sweep (the config is in the title), by sweep for several.
fn labels(a: &Audit, s: &SweepAudit) -> (String, String) {
    if a.sweeps.len() == 1 {
        ("predicted".into(), "measured (mean)".into())
    } else {
        (
            format!("{} predicted", s.label),
            format!("{} measured", s.label),
        )
    }
}

/// What the charts show, for titles: `agg tp8pp1dp1etp1ep1` or `agg, 2 configs`.
fn subject(a: &Audit) -> String {
    match a.sweeps.as_slice() {
        [s] => format!("{} {}", s.experiment, s.config),
        many => format!("{}, {} configs", a.experiment, many.len()),
    }
}

/// Predicted rows shown on a concurrency chart: from the predicted concurrency at or below the
/// lowest measured one to the one at or above the highest, so the measured range fills the chart.
fn window(s: &SweepAudit) -> (f64, f64) {
    let concs: Vec<f64> = s.measured.iter().map(|m| m.concurrency).collect();
    let curve: Vec<f64> = s
        .predicted_curve
        .iter()
        .map(|r| r.concurrency as f64)
        .collect();
    let (Some(lo_m), Some(hi_m)) = (
        concs.iter().copied().reduce(f64::min),
        concs.iter().copied().reduce(f64::max),
    ) else {
        return (f64::NEG_INFINITY, f64::INFINITY);
    };
    let lo = curve
        .iter()
        .copied()
        .filter(|c| *c <= lo_m)
        .reduce(f64::max);
    let hi = curve
        .iter()
        .copied()
        .filter(|c| *c >= hi_m)
        .reduce(f64::min);
    (lo.unwrap_or(lo_m), hi.unwrap_or(hi_m))
}

fn metric_figure(a: &Audit, m: AuditMetric, sla: Option<&Sla>) -> Option<Figure> {
    if !a.points.iter().any(|p| p.metric == m.key()) {
        return None;
    }
    let mut series = Vec::new();
    for (i, s) in a.sweeps.iter().enumerate() {
        let (pc, mc) = colors(i);
        let (pl, ml) = labels(a, s);
        let (lo, hi) = window(s);
        let mut predicted: Vec<Mark> = s
            .predicted_curve
            .iter()
            .filter(|r| (lo..=hi).contains(&(r.concurrency as f64)))
            .filter_map(|r| Some(mark(r.concurrency as f64, r.get(m)?, None, false, false)))
            .collect();
        let line = predicted.iter().map(|k| (k.x, k.y)).collect();
        predicted.extend(
            s.points
                .iter()
                .filter(|p| p.metric == m.key() && p.interpolated)
                .map(|p| mark(p.concurrency, p.predicted, None, false, true)),
        );
        series.push(Series {
            color: pc,
            label: pl,
            marks: predicted,
            line,
        });
        let measured: Vec<Mark> = s
            .measured
            .iter()
            .filter_map(|p| {
                let miss = p.meets_sla == Some(false);
                Some(mark(p.concurrency, p.get(m)?, None, miss, false))
            })
            .collect();
        series.push(Series {
            color: mc,
            label: ml,
            marks: measured,
            line: Vec::new(),
        });
    }
    let (xs, ys) = super::mark_coordinates(&series);
    let mut x = concurrency_axis(&xs);
    x.title = "Concurrency per replica".into();
    let notes = vec![
        "Line: AIConfigurator's prediction for the config (pareto.csv rows over the measured range).".to_string(),
        "Per-replica concurrency = measured concurrency / replicas.".to_string(),
        "Measured points outside the predicted range are drawn but not audited.".to_string(),
    ];
    let mut fig = Figure::new(
        format!("{} predicted vs measured: {}", m.title(), subject(a)),
        x,
        value_axis(format!("{}, {}", m.title(), m.unit()), &ys),
        notes,
    );
    let interpolated = a
        .points
        .iter()
        .any(|p| p.metric == m.key() && p.interpolated);
    fig.series = series;
    let lines = match m {
        AuditMetric::Ttft => sla_lines(sla, Latency::Ttft, Some(Stat::Avg)),
        AuditMetric::Tpot => sla_lines(sla, Latency::Tpot, Some(Stat::Avg)),
        _ => Vec::new(),
    };
    fit_sla_lines(&mut fig, lines, &ys);
    if interpolated {
        fig.legend.push(Entry::Hollow {
            color: 0,
            text: "Predicted value interpolated at a measured concurrency".into(),
        });
    }
    finish_legend(&mut fig, sla);
    Some(fig)
}

fn mark(x: f64, y: f64, tag: Option<String>, miss: bool, hollow: bool) -> Mark {
    Mark {
        x,
        y,
        tag,
        miss,
        hollow,
        whisker: None,
        point: None,
    }
}

fn pareto_figure(a: &Audit, sla: Option<&Sla>) -> Option<Figure> {
    let mut series = Vec::new();
    for (i, s) in a.sweeps.iter().enumerate() {
        let (pc, mc) = colors(i);
        let (pl, ml) = labels(a, s);
        let predicted_xy = |r: &crate::analyze::audit::PredictedRow| {
            Some((
                r.get(AuditMetric::TokensPerSUser)?,
                r.get(AuditMetric::TokensPerSGpu)?,
            ))
        };
        let measured_xy = |p: &crate::analyze::audit::MeasuredPoint| {
            Some((
                p.get(AuditMetric::TokensPerSUser)?,
                p.get(AuditMetric::TokensPerSGpu)?,
            ))
        };
        let predicted: Vec<Mark> = s
            .predicted_curve
            .iter()
            .filter_map(|r| {
                let (x, y) = predicted_xy(r)?;
                Some(mark(x, y, None, false, false))
            })
            .collect();
        let predicted_line = s
            .predicted_frontier
            .iter()
            .filter_map(|&i| predicted_xy(s.predicted_curve.get(i)?))
            .collect();
        let measured: Vec<Mark> = s
            .measured
            .iter()
            .filter_map(|p| {
                let (x, y) = measured_xy(p)?;
                Some(mark(
                    x,
                    y,
                    Some(p.measured_concurrency.to_string()),
                    p.meets_sla == Some(false),
                    false,
                ))
            })
            .collect();
        let measured_line = s
            .measured_frontier
            .iter()
            .filter_map(|&i| measured_xy(s.measured.get(i)?))
            .collect();
        for (color, label, marks, line) in [
            (pc, pl, predicted, predicted_line),
            (mc, ml, measured, measured_line),
        ] {
            if marks.is_empty() {
                continue;
            }
            series.push(Series {
                color,
                label,
                marks,
                line,
            });
        }
    }
    if series.is_empty() {
        return None;
    }
    let (xs, ys) = super::mark_coordinates(&series);
    let notes = vec![
        "Lines: Pareto frontiers (no other point of the series is better on both axes). Up and right is better.".to_string(),
        "Predicted: every pareto.csv row of the config. Numbers on measured dots: measured concurrency.".to_string(),
        "tokens/s/gpu: per replica predicted; measured output tokens/s / GPUs used.".to_string(),
    ];
    let mut fig = Figure::new(
        format!("tokens/s/gpu vs tokens/s/user: {}", subject(a)),
        value_axis("Output tokens/s per user".into(), &xs),
        value_axis("Output tokens/s per GPU".into(), &ys),
        notes,
    );
    fig.series = series;
    finish_legend(&mut fig, sla);
    Some(fig)
}
