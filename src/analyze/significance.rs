//! Is a difference between two per-request samples real or noise?
//!
//! Bootstrap confidence intervals for the difference of means and medians, and the
//! Mann-Whitney U test. Seeded, so the same inputs always give the same report.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::model::stats;
use crate::model::PercentileMethod;

/// Bootstrap resamples per interval.
pub const BOOTSTRAP_ITERATIONS: usize = 1000;
/// Larger samples are subsampled to this size first: the interval gets a little wider
/// (conservative), and the report stays fast on million-request sweeps.
pub const BOOTSTRAP_MAX_SAMPLE: usize = 2000;
const SEED: u64 = 0x5eed_ad4e;

/// A 95% interval for `center(b) - center(a)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DiffCi {
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
}

impl DiffCi {
    /// True when the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.lo > 0.0 || self.hi < 0.0
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Median in O(n) by selection; reorders `values`.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (_, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return upper;
    }
    let lower = values[..n / 2]
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    (lower + upper) / 2.0
}

fn subsample(values: &[f64], rng: &mut SmallRng) -> Vec<f64> {
    if values.len() <= BOOTSTRAP_MAX_SAMPLE {
        return values.to_vec();
    }
    (0..BOOTSTRAP_MAX_SAMPLE)
        .map(|_| values[rng.random_range(0..values.len())])
        .collect()
}

fn resample(from: &[f64], into: &mut [f64], rng: &mut SmallRng) {
    for x in into.iter_mut() {
        *x = from[rng.random_range(0..from.len())];
    }
}

fn interval(estimate: f64, mut diffs: Vec<f64>) -> Option<DiffCi> {
    diffs.sort_unstable_by(f64::total_cmp);
    let lo = stats::percentile_sorted(&diffs, 0.025, PercentileMethod::Linear)?;
    let hi = stats::percentile_sorted(&diffs, 0.975, PercentileMethod::Linear)?;
    Some(DiffCi { estimate, lo, hi })
}

/// 95% percentile-bootstrap intervals of `mean(b) - mean(a)` and `median(b) - median(a)`,
/// from the same resamples; `None` when a side has fewer than 2 values.
/// The resampling always runs in one canonical order of the two samples, so swapping them
/// mirrors the intervals exactly and a verdict never depends on which side is the baseline.
pub fn bootstrap_diffs(a: &[f64], b: &[f64]) -> Option<(DiffCi, DiffCi)> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    if canonical_first(b, a) {
        let (mean, median) = bootstrap_ordered(b, a)?;
        return Some((mirror(mean), mirror(median)));
    }
    bootstrap_ordered(a, b)
}

/// Whether `x` goes first in the canonical order: the shorter sample, then the lower values.
fn canonical_first(x: &[f64], y: &[f64]) -> bool {
    x.len()
        .cmp(&y.len())
        .then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| p.total_cmp(q))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .is_lt()
}

/// The interval of the difference taken the other way round.
fn mirror(ci: DiffCi) -> DiffCi {
    DiffCi {
        estimate: -ci.estimate,
        lo: -ci.hi,
        hi: -ci.lo,
    }
}

fn bootstrap_ordered(a: &[f64], b: &[f64]) -> Option<(DiffCi, DiffCi)> {
    let mean_est = mean(b) - mean(a);
    let median_est = median(&mut b.to_vec()) - median(&mut a.to_vec());
    let mut rng = SmallRng::seed_from_u64(SEED);
    let (a, b) = (subsample(a, &mut rng), subsample(b, &mut rng));
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    let mut mean_diffs = Vec::with_capacity(BOOTSTRAP_ITERATIONS);
    let mut median_diffs = Vec::with_capacity(BOOTSTRAP_ITERATIONS);
    for _ in 0..BOOTSTRAP_ITERATIONS {
        resample(&a, &mut ra, &mut rng);
        resample(&b, &mut rb, &mut rng);
        mean_diffs.push(mean(&rb) - mean(&ra));
        median_diffs.push(median(&mut rb) - median(&mut ra));
    }
    Some((
        interval(mean_est, mean_diffs)?,
        interval(median_est, median_diffs)?,
    ))
}

/// Mann-Whitney U test result (normal approximation with tie and continuity correction).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannWhitney {
    /// U of the first sample.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Two-sided Mann-Whitney U test; `None` when a side is empty or every value is tied.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum_a, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg_rank = (i + j + 2) as f64 / 2.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += avg_rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean_u = n1 * n2 / 2.0;
    let nn = n1 + n2;
    let var_u = n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
    if var_u.is_nan() || var_u <= 0.0 {
        return None;
    }
    let z = ((u - mean_u).abs() - 0.5).max(0.0) / var_u.sqrt();
    let normal = Normal::new(0.0, 1.0).ok()?;
    let p_value = (2.0 * (1.0 - normal.cdf(z))).clamp(0.0, 1.0);
    Some(MannWhitney { u, p_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu([1,2,3,4,5],[6,7,8,9,10], method="asymptotic"):
        // U = 0.0, p = 0.012185780355344813 (continuity-corrected normal approximation)
        let r = mann_whitney(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(r.u, 0.0);
        assert!(
            (r.p_value - 0.012185780355344813).abs() < 1e-9,
            "{}",
            r.p_value
        );
        // With ties: scipy gives U = 3.0, p = 0.1720337089218229.
        let r = mann_whitney(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 3.0, 4.0]).unwrap();
        assert_eq!(r.u, 3.0);
        assert!(
            (r.p_value - 0.1720337089218229).abs() < 1e-9,
            "{}",
            r.p_value
        );
    }

    #[test]
    fn bootstrap_separates_shifted_samples_and_not_identical_ones() {
        let a: Vec<f64> = (0..200).map(|i| 100.0 + (i % 17) as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| v + 10.0).collect();
        let (ci, med) = bootstrap_diffs(&a, &b).unwrap();
        assert!((ci.estimate - 10.0).abs() < 1e-9);
        assert!((med.estimate - 10.0).abs() < 1e-9);
        assert!(ci.excludes_zero() && ci.lo > 8.0 && ci.hi < 12.0, "{ci:?}");
        let (same_mean, same) = bootstrap_diffs(&a, &a).unwrap();
        assert_eq!(same.estimate, 0.0);
        assert!(!same.excludes_zero() && !same_mean.excludes_zero());
        assert!(bootstrap_diffs(&[1.0], &a).is_none());
    }

    #[test]
    fn selection_median_matches_the_sorted_median() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn swapping_the_samples_mirrors_the_intervals_exactly() {
        for shift in [0.0, 0.5, 1.0, 2.0, 5.0] {
            let a: Vec<f64> = (0..60).map(|i| 100.0 + ((i * 7) % 13) as f64).collect();
            let b: Vec<f64> = (0..45)
                .map(|i| 100.0 + shift + ((i * 5) % 11) as f64)
                .collect();
            let (ab_mean, ab_median) = bootstrap_diffs(&a, &b).unwrap();
            let (ba_mean, ba_median) = bootstrap_diffs(&b, &a).unwrap();
            for (ab, ba) in [(ab_mean, ba_mean), (ab_median, ba_median)] {
                assert_eq!((ab.estimate, ab.lo, ab.hi), (-ba.estimate, -ba.hi, -ba.lo));
                assert_eq!(ab.excludes_zero(), ba.excludes_zero());
            }
        }
    }
}
