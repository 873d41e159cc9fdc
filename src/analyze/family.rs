//! One compare makes many tests: every judged metric at every aligned point of every label,
//! often 100+. Tested one by one at 5 %, an A/A compare of a real GPU (10-25 % run-to-run
//! noise) would call something better or worse most of the time. So the whole compare is one
//! family:
//!
//! - Metrics that move together by construction count once: ITL and TPOT of one statistic; the
//!   request, output, total and per-GPU throughputs and the cost per token (one is a multiple
//!   or inverse of another at a given load); tokens/s/user with mean TPOT; J/token with
//!   tokens/J. Each class at one point of one label is one test. Its p value is the smallest of
//!   its members' times the number of members that are not the same number in disguise
//!   (Bonferroni within the class; members whose change is the same ratio, or its inverse,
//!   count once), so a class is never easier to call than its members.
//! - Benjamini-Hochberg at ALPHA over those m tests finds R discoveries. When nothing changed
//!   (an A/A compare) this keeps the chance of any false verdict at ALPHA; when much changed it
//!   keeps detection, unlike Bonferroni.
//! - Every interval is then shown at the level 1 - max(R, 1) * ALPHA / m (Benjamini-Yekutieli's
//!   false-coverage-statement rate), so a verdict is better/worse exactly when its interval
//!   excludes no change, and the regression gate trips only when that interval lies wholly
//!   beyond the limit: an A/A compare trips it at most as often as it makes any false verdict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::align::AlignKey;
use super::compare::Comparison;
use super::evidence::ALPHA;
use crate::model::{Latency, Metric, Stat};

/// How the tests of one compare were corrected.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Family {
    /// Metric deltas with a test.
    pub deltas_tested: usize,
    /// Tests after counting correlated metrics once (m).
    pub tests: usize,
    /// Tests significant after Benjamini-Hochberg at `alpha` (R).
    pub significant: usize,
    pub alpha: f64,
    /// The level every interval is shown at: 1 - max(R, 1) * alpha / m.
    pub ci_level: f64,
}

/// Metrics that move together by construction share a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Latency(Latency, Stat),
    Throughput,
    Energy,
    Alone(Metric),
}

fn class(m: Metric) -> Class {
    match m {
        // aiperf's ITL is its TPOT; benchmark_serving's differ only by how they average.
        Metric::Latency(Latency::Itl, s) => Class::Latency(Latency::Tpot, s),
        Metric::Latency(l, s) => Class::Latency(l, s),
        // At one load with one workload, tokens/s/user is the inverse of mean TPOT.
        Metric::TokensPerSUser => Class::Latency(Latency::Tpot, Stat::Avg),
        Metric::RequestThroughput
        | Metric::OutputTokenThroughput
        | Metric::TotalTokenThroughput
        | Metric::TokensPerSGpu
        | Metric::UsdPerMillionOutputTokens => Class::Throughput,
        Metric::EnergyPerOutputTokenJ | Metric::OutputTokensPerJoule => Class::Energy,
        other => Class::Alone(other),
    }
}

/// The number of discoveries of Benjamini-Hochberg at `alpha` over `p`: the largest k with
/// p(k) <= k * alpha / m.
pub fn benjamini_hochberg(p: &[f64], alpha: f64) -> usize {
    let mut sorted: Vec<f64> = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .rev()
        .find(|(i, p)| **p <= (*i + 1) as f64 * alpha / m)
        .map_or(0, |(i, _)| i + 1)
}

/// A class's p value: the smallest member's, times the number of distinct members (by the
/// size of their change, to 1e-9 relative).
fn class_p(members: &[(f64, f64)]) -> f64 {
    let mut sizes: Vec<f64> = members.iter().map(|m| m.1).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12));
    let min = members.iter().map(|m| m.0).fold(1.0, f64::min);
    (min * sizes.len() as f64).min(1.0)
}

/// Judges every delta of the comparisons again at the level the whole family sets; `limit_pct`
/// is the regression gate's, for the repeats an undecided regression would need. `None` when
/// nothing was tested.
pub fn correct(comparisons: &mut [Comparison], limit_pct: Option<f64>) -> Option<Family> {
    // Per class: the members' p values and |log ratio| (equal ratios are one member).
    let mut classes: BTreeMap<(usize, AlignKey, Class), Vec<(f64, f64)>> = BTreeMap::new();
    let mut deltas_tested = 0;
    for (i, c) in comparisons.iter().enumerate() {
        for pair in &c.pairs {
            for d in &pair.deltas {
                let (Some(m), Some(t)) = (d.metric_id, d.test) else {
                    continue;
                };
                deltas_tested += 1;
                classes
                    .entry((i, pair.key, class(m)))
                    .or_default()
                    .push((t.p, t.estimate.abs()));
            }
        }
    }
    if classes.is_empty() {
        return None;
    }
    let p: Vec<f64> = classes
        .into_values()
        .map(|members| class_p(&members))
        .collect();
    let significant = benjamini_hochberg(&p, ALPHA);
    let ci_level = 1.0 - significant.max(1) as f64 * ALPHA / p.len() as f64;
    for c in comparisons.iter_mut() {
        for pair in &mut c.pairs {
            for d in &mut pair.deltas {
                d.judge(ci_level, limit_pct);
            }
        }
    }
    Some(Family {
        deltas_tested,
        tests: p.len(),
        significant,
        alpha: ALPHA,
        ci_level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_matches_scipy() {
        // scipy 1.17.1: p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
        //   (scipy.stats.false_discovery_control(p) <= 0.05).sum() -> 2
        let p = [
            0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216,
        ];
        assert_eq!(benjamini_hochberg(&p, 0.05), 2);
        // A p value below the first threshold only counts through the step-up: (0.01, 0.02,
        // 0.03) at m = 3 -> all three (0.03 <= 3 * 0.05 / 3).
        assert_eq!(benjamini_hochberg(&[0.03, 0.01, 0.02], 0.05), 3);
        assert_eq!(benjamini_hochberg(&[0.5, 0.9], 0.05), 0);
        assert_eq!(benjamini_hochberg(&[], 0.05), 0);
    }

    #[test]
    fn a_class_counts_its_distinct_members() {
        // Request and output throughput change by the same ratio: one member. A third metric
        // with its own change doubles the smallest p.
        assert_eq!(class_p(&[(0.01, 0.2), (0.02, 0.2)]), 0.01);
        assert_eq!(class_p(&[(0.01, 0.2), (0.02, 0.2), (0.5, 0.05)]), 0.02);
        assert_eq!(class_p(&[(0.6, 0.1), (0.7, 0.2)]), 1.0);
    }

    #[test]
    fn correlated_metrics_share_a_class() {
        assert_eq!(
            class(Metric::Latency(Latency::Itl, Stat::P99)),
            class(Metric::Latency(Latency::Tpot, Stat::P99))
        );
        assert_eq!(
            class(Metric::RequestThroughput),
            class(Metric::OutputTokenThroughput)
        );
        assert_ne!(
            class(Metric::Latency(Latency::Ttft, Stat::Avg)),
            class(Metric::Latency(Latency::Ttft, Stat::P99))
        );
    }
}
