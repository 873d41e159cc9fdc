//! Descriptive statistics with the tools' own percentile definitions.

use super::{PercentileMethod, Stat};

/// Mean of the values; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Population standard deviation (ddof = 0), as every tool reports it.
pub fn std_pop(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64;
    Some(var.sqrt())
}

/// Percentile `q` in [0, 1] of already sorted values.
pub fn percentile_sorted(sorted: &[f64], q: f64, method: PercentileMethod) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    match method {
        PercentileMethod::Linear => {
            // numpy: position (n - 1) * q, interpolate between neighbours.
            let pos = (n - 1) as f64 * q;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            let frac = pos - lo as f64;
            let (a, b) = (sorted[lo.min(n - 1)], sorted[hi.min(n - 1)]);
            Some(a + (b - a) * frac)
        }
        PercentileMethod::NearestRank => {
            // trtllm-bench: sorted[int(n * q)], clamped to the last element.
            let idx = ((n as f64) * q) as usize;
            Some(sorted[idx.min(n - 1)])
        }
    }
}

/// Sorts a copy of the values (NaN-free input expected) for percentile queries.
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// One summary statistic of the values.
pub fn stat(values: &[f64], s: Stat, method: PercentileMethod) -> Option<f64> {
    stat_sorted(&sorted(values), s, method)
}

/// One summary statistic of already sorted values.
pub fn stat_sorted(sorted: &[f64], s: Stat, method: PercentileMethod) -> Option<f64> {
    match s {
        Stat::Avg => mean(sorted),
        Stat::Std => std_pop(sorted),
        Stat::Min => sorted.first().copied(),
        Stat::Max => sorted.last().copied(),
        Stat::P50 | Stat::P90 | Stat::P95 | Stat::P99 => {
            percentile_sorted(sorted, s.quantile().unwrap_or(0.5), method)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4], 90) == 3.7
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!(
            (percentile_sorted(&v, 0.9, PercentileMethod::Linear).unwrap() - 3.7).abs() < 1e-12
        );
        assert_eq!(
            percentile_sorted(&v, 0.5, PercentileMethod::Linear),
            Some(2.5)
        );
    }

    #[test]
    fn nearest_rank_matches_trtllm_bench() {
        // sorted[int(4 * 0.5)] = sorted[2] = 3; sorted[int(4 * 0.99)] = sorted[3] = 4
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            percentile_sorted(&v, 0.5, PercentileMethod::NearestRank),
            Some(3.0)
        );
        assert_eq!(
            percentile_sorted(&v, 0.99, PercentileMethod::NearestRank),
            Some(4.0)
        );
    }

    #[test]
    fn std_is_population() {
        // numpy.std([2, 4, 4, 4, 5, 5, 7, 9]) == 2.0
        assert_eq!(
            std_pop(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            Some(2.0)
        );
        assert_eq!(mean(&[]), None);
    }
}
