//! Pareto frontiers: the trade-off points no other point beats on both axes.

use crate::model::{Metric, Point};

/// Indices of the non-dominated points when higher is better on both axes,
/// ordered by x ascending (so y descending along the frontier).
///
/// A point is dominated when another point is at least as good on both axes and
/// strictly better on one. Exact duplicates do not dominate each other; only the
/// first of them is kept so the frontier line has no zero-length steps.
/// Points with a non-finite coordinate are ignored.
pub fn pareto_frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let mut out: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let p = points[i];
            finite(&p)
                && !points.iter().any(|q| finite(q) && dominates(*q, p))
                && !points[..i].contains(&p)
        })
        .collect();
    out.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0));
    out
}

/// The y axis of the efficiency view: tokens/s/gpu when any point knows its GPU count,
/// else total output tokens/s (never a silent divide by one).
pub fn efficiency_y_metric<'a>(mut points: impl Iterator<Item = &'a Point>) -> Metric {
    if points.any(|p| p.get(Metric::TokensPerSGpu).is_some()) {
        Metric::TokensPerSGpu
    } else {
        Metric::OutputTokenThroughput
    }
}

/// Indices into `points` of those on the tokens/s/user vs `y` frontier, in frontier order.
pub fn frontier(points: &[&Point], y: Metric) -> Vec<usize> {
    let usable: Vec<(usize, (f64, f64))> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, (p.get(Metric::TokensPerSUser)?, p.get(y)?))))
        .collect();
    let xy: Vec<(f64, f64)> = usable.iter().map(|(_, xy)| *xy).collect();
    pareto_frontier(&xy)
        .into_iter()
        .map(|k| usable[k].0)
        .collect()
}

/// Concurrencies of the points on the tokens/s/user vs `y` frontier, in frontier order.
pub fn frontier_concurrencies(points: &[&Point], y: Metric) -> Vec<u64> {
    frontier(points, y)
        .into_iter()
        .filter_map(|i| points[i].concurrency)
        .collect()
}

fn dominates(q: (f64, f64), p: (f64, f64)) -> bool {
    q.0 >= p.0 && q.1 >= p.1 && (q.0 > p.0 || q.1 > p.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_trade_off_curve_sorted_by_x() {
        // (tok/s/user, tok/s/gpu): low concurrency is fast per user, high is efficient per GPU.
        let pts = [
            (100.0, 50.0),
            (80.0, 120.0),
            (60.0, 100.0), // beaten by (80, 120)
            (40.0, 300.0),
            (20.0, 280.0), // beaten by (40, 300)
        ];
        assert_eq!(pareto_frontier(&pts), vec![3, 1, 0]);
    }

    #[test]
    fn ties_on_one_axis_are_dominated() {
        let pts = [(10.0, 5.0), (10.0, 7.0), (8.0, 7.0)];
        assert_eq!(pareto_frontier(&pts), vec![1]);
    }

    #[test]
    fn duplicates_are_kept_once() {
        let pts = [(1.0, 2.0), (1.0, 2.0), (2.0, 1.0)];
        assert_eq!(pareto_frontier(&pts), vec![0, 2]);
    }

    #[test]
    fn empty_single_and_non_finite() {
        assert!(pareto_frontier(&[]).is_empty());
        assert_eq!(pareto_frontier(&[(3.0, 4.0)]), vec![0]);
        let pts = [(f64::NAN, 100.0), (1.0, 1.0), (f64::INFINITY, 0.0)];
        assert_eq!(pareto_frontier(&pts), vec![1]);
    }
}
