//! The efficiency view: tok/s/GPU vs tok/s/user with each label's Pareto frontier.

use super::axis::value_axis;
use super::{
    finish_legend, finite, mark_coordinates, misses, Data, Figure, LoadAxis, Mark, Series,
};
use crate::analyze::findings::Frontier;
use crate::model::{Metric, Point};

pub(super) fn efficiency_figure(d: Data, labels: &[String]) -> Option<Figure> {
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

pub(super) fn efficiency_notes(d: Data, per_gpu: bool) -> Vec<String> {
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
pub(super) fn frontier_series(
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
        .filter_map(|(i, p, pf)| {
            let (x, y) = xy(p)?;
            Some(Mark {
                x,
                y,
                tag: pf.concurrency.or(pf.max_batch_size).map(|c| c.to_string()),
                miss: misses(pf),
                hollow: false,
                whisker: None,
                point: Some(i),
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
