//! Per-request latency distributions: one box per label and concurrency.

use super::axis::{category_axis, spread_axis};
use super::{
    finish_legend, fit_sla_lines, misses, sla_limits, sla_lines, BoxMark, Data, Entry, Figure,
};
use crate::model::stats;
use crate::model::{Latency, Point};

/// Box-plot percentiles, low to high: whisker, box, median, box, whisker.
pub(super) const BOX_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// One box before layout: which label, which concurrency, the five percentiles.
pub(super) struct Cell {
    label: usize,
    conc: u64,
    q: [f64; 5],
    miss: bool,
    point: usize,
}

pub(super) fn distribution_figure(d: Data, labels: &[String], lat: Latency) -> Option<Figure> {
    let sla = d.sla();
    let cells: Vec<Cell> = d
        .points()
        .enumerate()
        .filter_map(|(i, (p, pf))| cell((i, p), misses(pf), labels, lat))
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

pub(super) fn latency_name(lat: Latency) -> &'static str {
    match lat {
        Latency::Ttft => "Time to first token (TTFT)",
        Latency::Tpot => "Inter-token latency (TPOT)",
        Latency::Itl => "Inter-chunk latency (ITL)",
        Latency::E2el => "End-to-end latency",
    }
}

pub(super) fn cell(
    (point, p): (usize, &Point),
    miss: bool,
    labels: &[String],
    lat: Latency,
) -> Option<Cell> {
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
        point,
    })
}

/// Places boxes side by side within each concurrency group (group `g` centred at x = g).
pub(super) fn layout_boxes(cells: &[Cell], concs: &[u64], shown: &[usize]) -> Vec<BoxMark> {
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
                point: Some(c.point),
            })
        })
        .collect()
}
