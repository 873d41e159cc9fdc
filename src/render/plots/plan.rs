//! `adreport plan --trace`: the GPUs the fleet needs over the trace (each row's sizing held until
//! the next), against what provisioning for the peak and the time-weighted mean would be.

use std::path::Path;

use super::axis::{fmt_num, linear_axis, value_axis};
use super::draw::render_png;
use super::{ensure_font, finish_legend, Figure, Mark, Series};
use crate::analyze::plan::{CapacityPlan, TracePlan};
use crate::render::format::human;
use crate::render::output::{Exporter, Output};
use crate::util::error::Error;

pub const TRACE_FILE: &str = "plan_gpus_over_time.png";

/// The trace chart as a PNG output; nothing for a plan without a trace.
pub struct PlanTraceChart;

impl Exporter<CapacityPlan> for PlanTraceChart {
    fn render(&self, plan: &CapacityPlan, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let Some(trace) = &plan.trace else {
            return Ok(Vec::new());
        };
        ensure_font(Path::new(TRACE_FILE))?;
        let fig = trace_figure(plan, trace);
        Ok(vec![Output {
            bytes: render_png(&fig, TRACE_FILE)?,
            file_name: TRACE_FILE.to_string(),
        }])
    }
}

/// The time unit that keeps the x ticks readable: hours past two hours, minutes past two minutes.
fn time_unit(span_s: f64) -> (f64, &'static str) {
    if span_s >= 7200.0 {
        (3600.0, "h")
    } else if span_s >= 120.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

fn trace_figure(plan: &CapacityPlan, t: &TracePlan) -> Figure {
    let end = t.span_s;
    let (div, unit) = time_unit(end);
    let mut line = Vec::new();
    let mut marks = Vec::new();
    for (i, &(at, rate, gpus)) in t.steps.iter().enumerate() {
        let until = t.steps.get(i + 1).map_or(end, |n| n.0);
        let g = gpus as f64;
        line.push((at / div, g));
        line.push((until / div, g));
        marks.push(Mark {
            x: at / div,
            y: g,
            tag: Some(format!("{} req/s", fmt_num(rate))),
            miss: false,
            hollow: false,
            whisker: None,
            point: None,
        });
    }
    let flat = |color: usize, label: String, y: f64| Series {
        color,
        label,
        marks: Vec::new(),
        line: vec![(0.0, y), (end / div, y)],
    };
    let mut ys: Vec<f64> = marks.iter().map(|m| m.y).collect();
    ys.push(0.0);
    let notes = vec![
        "Numbers on dots: the trace's request rate from that time on.".to_string(),
        format!(
            "GPUs per step: ceil(rate / ({} req/s per replica x (1 - {}% headroom))) x {} GPUs per replica.",
            human(plan.capacity.capacity_rate),
            fmt_num(plan.settings.headroom_pct),
            plan.capacity.gpus_per_replica
        ),
        format!("Capacity under the SLA {}.", plan.sla),
    ];
    let mut fig = Figure::new(
        format!("GPUs to serve the trace: {}", plan.label),
        linear_axis(
            format!("Time from the trace's start, {unit}"),
            0.0,
            end / div,
        ),
        value_axis("GPUs".into(), &ys),
        notes,
    );
    fig.series = vec![
        Series {
            color: 0,
            label: "GPUs, fleet following the trace".into(),
            marks,
            line,
        },
        flat(
            6,
            format!("peak: {} GPUs (no autoscaling)", t.peak_gpus),
            t.peak_gpus as f64,
        ),
        flat(
            2,
            format!("time-weighted mean: {} GPUs", fmt_num(t.mean_gpus)),
            t.mean_gpus,
        ),
    ];
    finish_legend(&mut fig, None);
    fig
}
