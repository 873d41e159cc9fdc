//! Change points in a series of runs: E-Divisive with means (Matteson & James, 2014, alpha = 1)
//! and a permutation significance test, the method MongoDB's signal-processing-algorithms and
//! Apache Otava use for performance histories.
//!
//! For a window `x[s..e]` and a split `tau`, with `X = x[s..tau]` (m values) and
//! `Y = x[tau..e]` (k values):
//!
//! ```text
//! Q(tau) = m k / (m + k) * ( 2/(m k) sum|X_i - Y_j| - sum_{i<j}|X_i - X_j| / C(m,2)
//!                                                  - sum_{i<j}|Y_i - Y_j| / C(k,2) )
//! ```
//!
//! The candidate is the split with the largest Q over all windows between the change points
//! found so far. Its p-value is `(1 + #{permutations whose best Q >= candidate's Q}) /
//! (1 + permutations)`, where each permutation shuffles every window on its own. Candidates are
//! accepted while `p <= max_pvalue`; the search then goes on inside the new windows.
//!
//! Q of every split of a window takes O(n log n), not the O(n^2) of the pairwise sums: the
//! window is ranked once, a Fenwick tree over the ranks gives each value's summed distance to
//! the earlier values, and a permutation only reorders ranks. The reference (the pairwise
//! sums) stays in the tests, which check both give the same change points and p-values.
//!
//! The size of a step comes with a Welch t interval of the difference of the window means
//! (after - before), as a percentage of the mean before.

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::evidence::welch;

/// How hard the search looks and how sure it must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// A candidate is significant when its permutation p-value is at most this.
    pub max_pvalue: f64,
    /// Permutations per significance test.
    pub permutations: usize,
    /// Fewest values on each side of a split (2: each side needs a spread of its own).
    pub min_size: usize,
    /// Seed of the shuffles, so the same history always gives the same answer.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_pvalue: 0.01,
            permutations: 199,
            min_size: 2,
            seed: 0x5eed_c0de,
        }
    }
}

/// One significant change: the series is different from `index` on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangePoint {
    /// The first value of the new level.
    pub index: usize,
    pub qhat: f64,
    pub pvalue: f64,
}

/// Q for every split of `x` (0 where a side would have fewer than `min_size` values).
pub fn qhat_values(x: &[f64], min_size: usize) -> Vec<f64> {
    let window = Window::new(x);
    let mut q = vec![0.0; x.len()];
    window.qhat(&window.rank, min_size, &mut Scratch::default(), &mut q);
    q
}

/// A window of the series prepared for Q in O(n log n) (the direct sums over pairs are
/// O(n^2)): every value's rank, the values in rank order (centred on the window's first value,
/// so sums of equal or integer values stay exact) and each value's summed distance to all the
/// others. A permutation of the window only reorders ranks, so it reuses all of it.
struct Window {
    /// Rank of the value at each position (equal values, equal rank).
    rank: Vec<u32>,
    /// The distinct centred values by rank, ascending.
    sorted: Vec<f64>,
    /// By rank: sum over every other value w of |v - w|.
    dist: Vec<f64>,
}

/// Buffers reused across windows and permutations.
#[derive(Default)]
struct Scratch {
    /// Fenwick tree over ranks: (sum of values, count) of the values seen so far.
    tree: Vec<(f64, u32)>,
    left: Vec<f64>,
    right: Vec<f64>,
    q: Vec<f64>,
}

impl Window {
    fn new(x: &[f64]) -> Window {
        let n = x.len();
        let centre = x.first().copied().unwrap_or(0.0);
        let mut by_value: Vec<u32> = (0..n as u32).collect();
        by_value.sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]));
        // Equal values share a rank, so a permutation that only swaps equal values is the
        // same sequence of ranks and gives bit for bit the same Q (as it does pairwise).
        let mut rank = vec![0u32; n];
        let mut sorted: Vec<f64> = Vec::new();
        let mut count: Vec<usize> = Vec::new();
        for &i in &by_value {
            let v = x[i as usize] - centre;
            if sorted.last() != Some(&v) {
                sorted.push(v);
                count.push(0);
            }
            *count.last_mut().expect("pushed") += 1;
            rank[i as usize] = (sorted.len() - 1) as u32;
        }
        let sum: f64 = sorted.iter().zip(&count).map(|(v, c)| v * *c as f64).sum();
        let (mut below, mut below_n) = (0.0, 0usize);
        let dist = sorted
            .iter()
            .zip(&count)
            .map(|(&v, &c)| {
                let above = sum - below - v * c as f64;
                let above_n = n - below_n - c;
                let d = v * below_n as f64 - below + above - v * above_n as f64;
                below += v * c as f64;
                below_n += c;
                d
            })
            .collect();
        Window { rank, sorted, dist }
    }

    /// Q of every split of the window's values in the sequence of ranks `order`, into `q`
    /// (the same sums as the pairwise definition: `left[k]` = sum over earlier values of the
    /// distance to value k, `right[k]` over later ones).
    fn qhat(&self, order: &[u32], min_size: usize, s: &mut Scratch, q: &mut [f64]) {
        let n = order.len();
        q.fill(0.0);
        let min_size = min_size.max(2);
        if n < 2 * min_size {
            return;
        }
        let ranks = self.sorted.len();
        s.tree.clear();
        s.tree.resize(ranks + 1, (0.0, 0));
        s.left.resize(n, 0.0);
        s.right.resize(n, 0.0);
        let mut seen = 0.0;
        for (k, &r) in order.iter().enumerate() {
            let v = self.sorted[r as usize];
            // Values ranked below r among the earlier ones: their sum and count.
            let (mut lower, mut count) = (0.0, 0u32);
            let mut i = r as usize;
            while i > 0 {
                lower += s.tree[i].0;
                count += s.tree[i].1;
                i &= i - 1;
            }
            let (count, earlier) = (count as f64, k as f64);
            let left = (v * count - lower) + ((seen - lower) - v * (earlier - count));
            s.left[k] = left;
            s.right[k] = self.dist[r as usize] - left;
            let mut i = r as usize + 1;
            while i <= ranks {
                s.tree[i].0 += v;
                s.tree[i].1 += 1;
                i += i & i.wrapping_neg();
            }
            seen += v;
        }
        let total: f64 = s.left.iter().sum();
        let mut within_x = 0.0;
        let mut within_y: f64 = s.right.iter().sum();
        for (tau, ((q, left), right)) in q.iter_mut().zip(&s.left).zip(&s.right).enumerate() {
            if tau >= min_size && n - tau >= min_size {
                let (m, k) = (tau as f64, (n - tau) as f64);
                let cross = total - within_x - within_y;
                let e = 2.0 * cross / (m * k)
                    - within_x / (m * (m - 1.0) / 2.0)
                    - within_y / (k * (k - 1.0) / 2.0);
                *q = m * k / (m + k) * e;
            }
            within_x += left;
            within_y -= right;
        }
    }
}

/// The best split over all windows, each in the order of ranks `orders[w]`: (index in the
/// series, Q). `stop_at`: return as soon as a split reaches this Q (a permutation as extreme as
/// the candidate needs no more).
fn best_split(
    windows: &[(usize, Window)],
    orders: &[Vec<u32>],
    min_size: usize,
    s: &mut Scratch,
    stop_at: Option<f64>,
) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    let mut q = std::mem::take(&mut s.q);
    for ((start, w), order) in windows.iter().zip(orders) {
        q.resize(order.len(), 0.0);
        w.qhat(order, min_size, s, &mut q[..order.len()]);
        for (i, &v) in q[..order.len()].iter().enumerate() {
            if v > 0.0 && best.is_none_or(|(_, b)| v > b) {
                best = Some((start + i, v));
            }
        }
        if stop_at.is_some_and(|t| best.is_some_and(|(_, b)| b >= t)) {
            break;
        }
    }
    s.q = q;
    best
}

/// The Q a permutation needs to count as at least as extreme as a candidate's `qhat`. A
/// permutation that puts the same values on each side of a split has the same Q; summed in
/// another order it can come out an ulp either side, so equal within rounding counts as equal.
fn as_extreme(qhat: f64) -> f64 {
    qhat * (1.0 - 1e-9)
}

/// Significant change points of `x`, in series order.
pub fn e_divisive(x: &[f64], settings: &Settings) -> Vec<ChangePoint> {
    let mut found: Vec<ChangePoint> = Vec::new();
    let mut rng = SmallRng::seed_from_u64(settings.seed);
    let mut scratch = Scratch::default();
    // Above this many permutations at least as extreme, p can no longer reach max_pvalue.
    let allowed = (settings.max_pvalue * (settings.permutations + 1) as f64 - 1.0).floor();
    loop {
        let mut bounds: Vec<usize> = found.iter().map(|c| c.index).collect();
        bounds.push(0);
        bounds.push(x.len());
        bounds.sort_unstable();
        let windows: Vec<(usize, Window)> = bounds
            .windows(2)
            .map(|b| (b[0], Window::new(&x[b[0]..b[1]])))
            .collect();
        let mut orders: Vec<Vec<u32>> = windows.iter().map(|(_, w)| w.rank.clone()).collect();
        let Some((index, qhat)) =
            best_split(&windows, &orders, settings.min_size, &mut scratch, None)
        else {
            break;
        };
        let mut extreme = 0usize;
        let mut done = 0usize;
        while done < settings.permutations {
            // Each permutation shuffles every window of the series as it is (not the last
            // permutation), in window order: the same draws as shuffling the values.
            for ((_, w), order) in windows.iter().zip(orders.iter_mut()) {
                order.copy_from_slice(&w.rank);
                order.shuffle(&mut rng);
            }
            done += 1;
            let at_least = as_extreme(qhat);
            let best = best_split(
                &windows,
                &orders,
                settings.min_size,
                &mut scratch,
                Some(at_least),
            );
            if best.is_some_and(|(_, q)| q >= at_least) {
                extreme += 1;
                if extreme as f64 > allowed {
                    break;
                }
            }
        }
        let pvalue = (extreme + 1) as f64 / (done + 1) as f64;
        if extreme as f64 > allowed || pvalue > settings.max_pvalue {
            break;
        }
        found.push(ChangePoint {
            index,
            qhat,
            pvalue,
        });
    }
    found.sort_by_key(|c| c.index);
    found
}

/// The size of a step between two windows of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub before_mean: f64,
    pub after_mean: f64,
    /// (after - before) / before, in percent.
    pub change_pct: f64,
    /// 95% Welch t interval of the change, in percent of the mean before.
    pub ci_pct: (f64, f64),
}

/// The step from `before` to `after` (Welch's interval, as compare judges runs); `None` when a
/// side has fewer than 2 values or the mean before is 0 (no percentage).
pub fn step(before: &[f64], after: &[f64]) -> Option<Step> {
    let w = welch(before, after)?;
    let (change_pct, lo, hi) = w.pct()?;
    Some(Step {
        before_mean: w.mean_base,
        after_mean: w.mean_new,
        change_pct,
        ci_pct: (lo, hi),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A standard normal draw (Box-Muller), so the tests need no distribution crate.
    fn normal(rng: &mut impl Rng) -> f64 {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    #[test]
    fn qhat_matches_a_direct_numpy_computation() {
        // python3 -c "
        // import numpy as np
        // from math import comb
        // x = np.array([10.0, 10.4, 9.8, 10.1, 12.3, 12.0, 12.6, 11.9, 12.2])
        // d = np.abs(x[:, None] - x[None, :])
        // for t in range(2, len(x) - 1):
        //     m, k = t, len(x) - t
        //     cross = d[:t, t:].sum(); wx = np.triu(d[:t, :t], 1).sum(); wy = np.triu(d[t:, t:], 1).sum()
        //     print(t, repr(m * k / (m + k) * (2 * cross / (m * k) - wx / comb(m, 2) - wy / comb(k, 2))))"
        let x = [10.0, 10.4, 9.8, 10.1, 12.3, 12.0, 12.6, 11.9, 12.2];
        let expected = [
            (2, 2.148148148148147),
            (3, 4.613333333333332),
            (4, 7.985185185185184),
            (5, 4.459259259259258),
            (6, 2.693333333333332),
            (7, 1.2592592592592604),
        ];
        let q = qhat_values(&x, 2);
        for (t, want) in expected {
            assert!((q[t] - want).abs() < 1e-9, "tau {t}: {} vs {want}", q[t]);
        }
        assert_eq!((q[0], q[1], q[8]), (0.0, 0.0, 0.0));
    }

    /// The computation before issue 24, kept as the reference: the pairwise sums of Q, O(n^2)
    /// per window, and the search shuffling the values themselves (with one change: a
    /// permutation's Q equal to the candidate's within rounding counts as at least as extreme,
    /// where the old code went by the last bit of its summation order).
    mod direct {
        use super::super::{ChangePoint, Settings};
        use rand::rngs::SmallRng;
        use rand::seq::SliceRandom;
        use rand::SeedableRng;

        pub fn qhat_values(x: &[f64], min_size: usize) -> Vec<f64> {
            let n = x.len();
            let mut q = vec![0.0; n];
            let min_size = min_size.max(2);
            if n < 2 * min_size {
                return q;
            }
            let mut left = vec![0.0; n];
            let mut right = vec![0.0; n];
            for k in 0..n {
                for i in 0..k {
                    let d = (x[i] - x[k]).abs();
                    left[k] += d;
                    right[i] += d;
                }
            }
            let total: f64 = left.iter().sum();
            let mut within_x = 0.0;
            let mut within_y: f64 = right.iter().sum();
            for tau in 0..n {
                if tau >= min_size && n - tau >= min_size {
                    let (m, k) = (tau as f64, (n - tau) as f64);
                    let cross = total - within_x - within_y;
                    let e = 2.0 * cross / (m * k)
                        - within_x / (m * (m - 1.0) / 2.0)
                        - within_y / (k * (k - 1.0) / 2.0);
                    q[tau] = m * k / (m + k) * e;
                }
                within_x += left[tau];
                within_y -= right[tau];
            }
            q
        }

        fn best_split(x: &[f64], bounds: &[usize], min_size: usize) -> Option<(usize, f64)> {
            let mut best: Option<(usize, f64)> = None;
            for w in bounds.windows(2) {
                let (s, e) = (w[0], w[1]);
                for (i, q) in qhat_values(&x[s..e], min_size).into_iter().enumerate() {
                    if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                        best = Some((s + i, q));
                    }
                }
            }
            best
        }

        pub fn e_divisive(x: &[f64], settings: &Settings) -> Vec<ChangePoint> {
            let mut found: Vec<ChangePoint> = Vec::new();
            let mut rng = SmallRng::seed_from_u64(settings.seed);
            let mut shuffled = x.to_vec();
            let allowed = (settings.max_pvalue * (settings.permutations + 1) as f64 - 1.0).floor();
            loop {
                let mut bounds: Vec<usize> = found.iter().map(|c| c.index).collect();
                bounds.push(0);
                bounds.push(x.len());
                bounds.sort_unstable();
                let Some((index, qhat)) = best_split(x, &bounds, settings.min_size) else {
                    break;
                };
                let (mut extreme, mut done) = (0usize, 0usize);
                while done < settings.permutations {
                    shuffled.copy_from_slice(x);
                    for w in bounds.windows(2) {
                        shuffled[w[0]..w[1]].shuffle(&mut rng);
                    }
                    done += 1;
                    if best_split(&shuffled, &bounds, settings.min_size)
                        .is_some_and(|(_, q)| q >= super::super::as_extreme(qhat))
                    {
                        extreme += 1;
                        if extreme as f64 > allowed {
                            break;
                        }
                    }
                }
                let pvalue = (extreme + 1) as f64 / (done + 1) as f64;
                if extreme as f64 > allowed || pvalue > settings.max_pvalue {
                    break;
                }
                found.push(ChangePoint {
                    index,
                    qhat,
                    pvalue,
                });
            }
            found.sort_by_key(|c| c.index);
            found
        }
    }

    /// Seeded series of every kind the history holds: noise levels from none to 10 %, no step,
    /// one or two steps up or down, integer counts (ties), a constant, lengths 4 to 300.
    fn kinds_of_series(seed: u64) -> Vec<f64> {
        let mut rng = SmallRng::seed_from_u64(seed);
        let n = match seed % 4 {
            0 => rng.random_range(4..20),
            1 => rng.random_range(20..60),
            2 => rng.random_range(60..150),
            _ => rng.random_range(150..300),
        };
        let cv = [0.0, 0.01, 0.03, 0.05, 0.1][rng.random_range(0..5)];
        let steps: Vec<(usize, f64)> = (0..rng.random_range(0..3))
            .map(|_| (rng.random_range(0..n), rng.random_range(-0.4..0.4)))
            .collect();
        let integer = seed.is_multiple_of(7);
        (0..n)
            .map(|i| {
                let level: f64 = steps
                    .iter()
                    .filter(|(at, _)| i >= *at)
                    .map(|(_, s)| 1.0 + s)
                    .product();
                let v = 500.0 * level * (1.0 + cv * normal(&mut rng));
                if integer {
                    (v / 50.0).round()
                } else {
                    v
                }
            })
            .collect()
    }

    #[test]
    fn the_fast_search_finds_what_the_pairwise_sums_find_on_600_seeded_series() {
        let settings = Settings::default();
        let mut with_changes = 0;
        for seed in 0..600 {
            let x = kinds_of_series(seed);
            let fast = qhat_values(&x, 2);
            let slow = direct::qhat_values(&x, 2);
            // Q is in the data's unit: rounding error scales with the largest Q or value.
            let scale = slow.iter().chain(&x).fold(0.0f64, |a, q| a.max(q.abs()));
            for (t, (a, b)) in fast.iter().zip(&slow).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-9 * scale,
                    "seed {seed} tau {t}: {a} vs {b}"
                );
            }
            let (got, want) = (e_divisive(&x, &settings), direct::e_divisive(&x, &settings));
            let key = |c: &[ChangePoint]| -> Vec<(usize, f64)> {
                c.iter().map(|c| (c.index, c.pvalue)).collect()
            };
            assert_eq!(key(&got), key(&want), "seed {seed}: {x:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g.qhat - w.qhat).abs() <= 1e-9 * w.qhat, "seed {seed}");
            }
            with_changes += usize::from(!want.is_empty());
        }
        // Both outcomes are exercised, not only the easy one.
        assert!(with_changes > 150 && with_changes < 550, "{with_changes}");
    }

    #[test]
    fn welch_interval_matches_scipy() {
        // python3 -c "
        // from scipy import stats; import numpy as np
        // a = np.array([100, 102, 98, 101, 99.0]); b = np.array([120, 125, 119, 122.0])
        // r = stats.ttest_ind(b, a, equal_var=False); ci = r.confidence_interval(0.95)
        // print(repr(ci.low / a.mean() * 100), repr(ci.high / a.mean() * 100))"
        let s = step(
            &[100.0, 102.0, 98.0, 101.0, 99.0],
            &[120.0, 125.0, 119.0, 122.0],
        )
        .unwrap();
        assert!((s.change_pct - 21.5).abs() < 1e-9);
        assert!(
            (s.ci_pct.0 - 17.561561768420262).abs() < 1e-6,
            "{:?}",
            s.ci_pct
        );
        assert!(
            (s.ci_pct.1 - 25.43843823157974).abs() < 1e-6,
            "{:?}",
            s.ci_pct
        );
        assert_eq!(step(&[1.0], &[2.0, 3.0]), None);
    }

    /// A 20% step at a random place in 30 runs with 5% noise (sd / level).
    fn stepped(seed: u64, step: f64) -> (Vec<f64>, usize) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let at = rng.random_range(8..=24);
        let x = (0..30)
            .map(|i| {
                let level = if i >= at { 100.0 * (1.0 + step) } else { 100.0 };
                level + 5.0 * normal(&mut rng)
            })
            .collect();
        (x, at)
    }

    #[test]
    fn finds_a_20_percent_step_within_one_run_in_95_of_100_histories() {
        let hits = (0..100)
            .filter(|&seed| {
                let (x, at) = stepped(seed, 0.20);
                let cps = e_divisive(&x, &Settings::default());
                cps.iter().any(|c| c.index.abs_diff(at) <= 1)
            })
            .count();
        eprintln!("20% step found within one run in {hits} of 100 histories");
        assert!(hits >= 95, "found {hits} of 100");
    }

    #[test]
    fn stationary_histories_raise_an_alarm_in_at_most_5_of_100() {
        let alarms = (0..100)
            .filter(|&seed| {
                let (x, _) = stepped(1000 + seed, 0.0);
                !e_divisive(&x, &Settings::default()).is_empty()
            })
            .count();
        eprintln!("{alarms} alarms in 100 stationary histories");
        assert!(alarms <= 5, "{alarms} alarms in 100 stationary histories");
    }

    #[test]
    fn too_short_or_flat_series_have_no_change_point() {
        assert!(e_divisive(&[1.0, 2.0, 3.0], &Settings::default()).is_empty());
        assert!(e_divisive(&[5.0; 20], &Settings::default()).is_empty());
    }
}
