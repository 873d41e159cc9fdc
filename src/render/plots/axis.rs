//! Axes: scales, tick positions and labels, and the plotters coordinate that draws
//! exactly those ticks.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::TICK_PX;

/// Narrowest plot area (widest legend panel and y labels), for spacing tick labels.
const MIN_PLOT_PX: f64 = 860.0;
/// Advance of a DejaVu Sans digit at TICK_PX (0.636 em).
const DIGIT_PX: f64 = 0.636 * TICK_PX as f64;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Scale {
    Linear,
    Log2,
    Log10,
}

impl Scale {
    /// Raw value -> plot coordinate; `None` when a log axis cannot show it.
    fn apply(self, v: f64) -> Option<f64> {
        let out = match self {
            Scale::Linear => v,
            Scale::Log2 if v > 0.0 => v.log2(),
            Scale::Log10 if v > 0.0 => v.log10(),
            _ => return None,
        };
        out.is_finite().then_some(out)
    }
}

/// An axis: range and ticks in plot coordinates, tick labels as text.
pub(super) struct Axis {
    pub(super) title: String,
    pub(super) scale: Scale,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<(f64, String)>,
    /// Grid lines without a label (measured concurrencies whose label was thinned out).
    pub(super) minor: Vec<f64>,
}

impl Axis {
    pub(super) fn map(&self, v: f64) -> Option<f64> {
        self.scale.apply(v)
    }

    /// The axis title with the scale spelled out, so a log axis is never mistaken for linear.
    pub(super) fn full_title(&self) -> String {
        match self.scale {
            Scale::Linear => self.title.clone(),
            Scale::Log2 => format!("{} (log2 scale)", self.title),
            Scale::Log10 => format!("{} (log scale)", self.title),
        }
    }
}

/// A plotters axis in plot coordinates whose grid lines and labels are exactly our ticks.
pub(super) struct Ticks {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
    minor: Vec<f64>,
}

impl Ticks {
    pub(super) fn of(axis: &Axis) -> Ticks {
        Ticks {
            lo: axis.lo,
            hi: axis.hi,
            ticks: axis.ticks.clone(),
            minor: axis.minor.clone(),
        }
    }
}

impl Ranged for Ticks {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let frac = (v - self.lo) / (self.hi - self.lo);
        let px = limit.0 as f64 + frac * (limit.1 - limit.0) as f64;
        // `as` saturates and maps NaN to 0: never a panic, whatever the data.
        px.round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.ticks.iter().map(|t| t.0).collect()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Ticks {
    fn format(v: &f64) -> String {
        fmt_num(*v)
    }

    fn format_ext(&self, v: &f64) -> String {
        self.ticks
            .iter()
            .find(|(t, _)| (t - v).abs() <= 1e-9 * (1.0 + t.abs()))
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
}

/// Log2 with ticks at the measured concurrencies when they span more than 4x, else linear.
pub(super) fn concurrency_axis(concs: &[f64]) -> Axis {
    let mut c: Vec<f64> = concs.iter().copied().filter(|v| *v > 0.0).collect();
    c.sort_by(f64::total_cmp);
    c.dedup();
    let (min, max) = (
        c.first().copied().unwrap_or(1.0),
        c.last().copied().unwrap_or(1.0),
    );
    let scale = if max > 4.0 * min {
        Scale::Log2
    } else {
        Scale::Linear
    };
    let mapped: Vec<(f64, String)> = c
        .iter()
        .filter_map(|&v| Some((scale.apply(v)?, fmt_num(v))))
        .collect();
    let (a, b) = (
        mapped.first().map_or(0.0, |t| t.0),
        mapped.last().map_or(1.0, |t| t.0),
    );
    let pad = match scale {
        Scale::Linear if b > a => 0.06 * (b - a),
        Scale::Linear => 1.0,
        _ => (0.06 * (b - a)).max(0.25),
    };
    let (lo, hi) = (a - pad, b + pad);
    let ticks = thin_ticks(mapped.clone(), MIN_PLOT_PX / (hi - lo));
    let minor = mapped
        .into_iter()
        .filter(|m| !ticks.contains(m))
        .map(|m| m.0)
        .collect();
    Axis {
        title: "Concurrency".into(),
        scale,
        lo,
        hi,
        ticks,
        minor,
    }
}

/// Drops tick labels that would touch their neighbour, keeping the first and the last.
/// `px_per_unit` is a lower bound of the plot's pixels per axis unit.
pub(super) fn thin_ticks(ticks: Vec<(f64, String)>, px_per_unit: f64) -> Vec<(f64, String)> {
    let clear = |a: &(f64, String), b: &(f64, String)| {
        let need = (a.1.len() + b.1.len()) as f64 / 2.0 * DIGIT_PX + 14.0;
        (b.0 - a.0).abs() * px_per_unit >= need
    };
    let last = ticks.last().cloned();
    let mut out: Vec<(f64, String)> = Vec::new();
    for t in ticks {
        if out.last().is_none_or(|prev| clear(prev, &t)) {
            out.push(t);
        }
    }
    if let Some(last) = last {
        if out.last() != Some(&last) {
            while out.len() > 1 && out.last().is_some_and(|prev| !clear(prev, &last)) {
                out.pop();
            }
            out.push(last);
        }
    }
    out
}

/// Linear axis from 0 unless the values sit in a narrow band far from 0.
pub(super) fn value_axis(title: String, values: &[f64]) -> Axis {
    let (min, max) = min_max(values).unwrap_or((0.0, 1.0));
    let narrow = min > 0.75 * max && max > min;
    let lo = if min >= 0.0 && !narrow {
        0.0
    } else {
        min - 0.1 * (max - min)
    };
    let mut hi = max + 0.08 * (max - lo);
    if hi <= lo {
        hi = lo + 1.0;
    }
    linear_axis(title, lo, hi)
}

/// Log10 when the values span more than 30x (latency tails under load), else linear.
pub(super) fn spread_axis(title: String, values: &[f64], extra: Vec<f64>) -> Axis {
    let mut all = values.to_vec();
    all.extend(
        extra
            .into_iter()
            .filter(|v| min_max(values).is_some_and(|(_, m)| *v <= 2.0 * m)),
    );
    let Some((min, max)) = min_max(&all) else {
        return linear_axis(title, 0.0, 1.0);
    };
    if min <= 0.0 || max <= 30.0 * min {
        return value_axis(title, &all);
    }
    log_axis(title, &all)
}

/// Log10 axis over the positive values, ticks at 1, 2, 5 times a power of ten; linear over
/// 0..1 when no value is positive.
pub(super) fn log_axis(title: String, values: &[f64]) -> Axis {
    let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    let Some((min, max)) = min_max(&positive) else {
        return linear_axis(title, 0.0, 1.0);
    };
    let (a, b) = (min.log10(), max.log10());
    // A flat series still gets a decade around it.
    let pad = (0.05 * (b - a)).max(if b > a { 0.0 } else { 0.5 });
    let (lo, hi) = (a - pad, b + pad);
    let mut ticks = Vec::new();
    for k in (lo.floor() as i32)..=(hi.ceil() as i32) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(k);
            let t = v.log10();
            if t >= lo && t <= hi {
                ticks.push((t, fmt_num(v)));
            }
        }
    }
    Axis {
        title,
        scale: Scale::Log10,
        lo,
        hi,
        ticks,
        minor: Vec::new(),
    }
}

/// Categorical x axis for box plots: group `g` at x = g, labelled with its concurrency.
pub(super) fn category_axis(concs: &[u64]) -> Axis {
    Axis {
        title: "Concurrency".into(),
        scale: Scale::Linear,
        lo: -0.6,
        hi: concs.len() as f64 - 0.4,
        ticks: concs
            .iter()
            .enumerate()
            .map(|(g, c)| (g as f64, c.to_string()))
            .collect(),
        minor: Vec::new(),
    }
}

pub(super) fn linear_axis(title: String, lo: f64, hi: f64) -> Axis {
    let step = nice_step(hi - lo, 6.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let decimals = decimals_for(step);
    let n = ((hi - lo) / step).round() as i64;
    let ticks = (0..=n)
        .map(|k| {
            let v = lo + k as f64 * step;
            (v, format!("{v:.decimals$}"))
        })
        .collect();
    Axis {
        title,
        scale: Scale::Linear,
        lo,
        hi,
        ticks,
        minor: Vec::new(),
    }
}

pub(super) fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let min = finite.iter().copied().reduce(f64::min)?;
    let max = finite.iter().copied().reduce(f64::max)?;
    Some((min, max))
}

/// A 1, 2, 2.5 or 5 times a power of ten step giving about `target` intervals.
pub(super) fn nice_step(span: f64, target: f64) -> f64 {
    let raw = if span.is_finite() && span > 0.0 {
        span / target
    } else {
        1.0
    };
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let m = match n {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 2.5 => 2.5,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    };
    m * mag
}

/// Decimals needed to print multiples of `step` exactly (0.25 -> 2, 5 -> 0).
pub(super) fn decimals_for(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.max(1.0)
        })
        .unwrap_or(6)
}

pub(super) fn fmt_num(v: f64) -> String {
    format!("{v:.*}", decimals_for(v.abs().max(f64::MIN_POSITIVE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_axis_is_log2_only_beyond_4x() {
        let log = concurrency_axis(&[1.0, 2.0, 4.0, 8.0]);
        assert!(log.scale == Scale::Log2);
        let labels: Vec<&str> = log.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1", "2", "4", "8"]);
        let lin = concurrency_axis(&[8.0, 16.0, 32.0]);
        assert!(lin.scale == Scale::Linear);
        assert_eq!(lin.ticks.len(), 3);
    }

    #[test]
    fn crowded_ticks_are_thinned() {
        let ax = concurrency_axis(&[1.0, 100.0, 101.0, 102.0, 200.0]);
        let labels: Vec<&str> = ax.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1", "100", "200"]);
        let concs = [1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 150.0, 200.0, 250.0];
        let ax = concurrency_axis(&concs);
        let labels: Vec<&str> = ax.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["1", "2", "5", "10", "50", "100", "250"]);
    }

    #[test]
    fn value_axis_starts_at_zero_unless_narrow() {
        let ax = value_axis("v".into(), &[3.0, 10.0]);
        assert_eq!(ax.lo, 0.0);
        assert!(ax.hi >= 10.0);
        let narrow = value_axis("v".into(), &[95.0, 100.0]);
        assert!(narrow.lo > 80.0 && narrow.hi >= 100.0);
        let flat = value_axis("v".into(), &[0.0, 0.0]);
        assert!(flat.hi > flat.lo);
    }

    #[test]
    fn ticks_print_the_decimals_the_step_needs() {
        assert_eq!(decimals_for(0.25), 2);
        assert_eq!(decimals_for(5.0), 0);
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(500.0), "500");
        let ax = linear_axis("v".into(), 0.0, 1.0);
        assert_eq!(ax.ticks.first().map(|t| t.1.as_str()), Some("0.0"));
    }

    #[test]
    fn wide_spreads_use_a_log_axis() {
        let ax = spread_axis("ttft".into(), &[5.0, 4000.0], Vec::new());
        assert!(ax.scale == Scale::Log10);
        assert!(ax.ticks.iter().any(|t| t.1 == "1000"));
        assert!(spread_axis("t".into(), &[5.0, 40.0], Vec::new()).scale == Scale::Linear);
    }
}
