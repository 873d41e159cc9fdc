//! The `--fail-on-regression PCT` gate, and how many repeats would detect a change.
//!
//! A gate tests every metric at every aligned point, often 100+ tests. It trips only when the
//! change is significantly LARGER than PCT in the worse direction: the whole interval of the
//! change, at the level the family correction sets for the comparison (see `family`), lies
//! beyond PCT. Tested against the margin and corrected for the family, an A/A compare trips it
//! far less than 5 % of the time at real GPU noise, and a real change well beyond PCT still
//! trips it. This holds for every kind of evidence: repeats (Welch on log values), one run
//! against many (prediction interval) and single runs (against the run-to-run noise, measured
//! or the default of the metric's class).

use serde::Serialize;

use super::align::AlignKey;
use super::compare::{Comparison, Delta, Evidence, Verdict};
use super::evidence::{detectable_pct, pooled_cv, repeats_needed, run_cv};
use super::noise::{Noise, NoiseFrom};
use crate::model::{Metric, Point};

/// The change the power estimate plans for when no gate is set, in %.
pub const DEFAULT_CHANGE_PCT: f64 = 10.0;

/// What a regression gate hit rests on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Basis {
    pub evidence: Evidence,
    /// The interval of the change in % worse (positive = worse), low to high, at `ci_level`.
    pub worse_ci_pct: [f64; 2],
    pub ci_level: f64,
    /// The run-to-run noise a single run was judged against.
    pub noise: Option<Noise>,
}

/// The interval of a delta's change in % worse than the baseline (positive = worse), low to high.
pub fn worse_ci_pct(d: &Delta) -> Option<[f64; 2]> {
    let [lo, hi] = d.ci_pct?;
    let sign = d.metric_id?.direction().worse_sign()?;
    let (a, b) = (lo * sign, hi * sign);
    Some([a.min(b), a.max(b)])
}

/// Why `d` breaks a `limit_pct` gate, or `None` when it does not.
pub fn regression(d: &Delta, limit_pct: f64) -> Option<Basis> {
    let ci = worse_ci_pct(d)?;
    (ci[0] > limit_pct).then_some(Basis {
        evidence: d.evidence,
        worse_ci_pct: ci,
        ci_level: d.ci_level?,
        noise: (d.evidence == Evidence::SingleRun)
            .then_some(d.noise)
            .flatten(),
    })
}

/// Every delta of a comparison that breaks the gate.
pub fn regressions(c: &Comparison, limit_pct: f64) -> Vec<(AlignKey, &Delta, Basis)> {
    c.pairs
        .iter()
        .flat_map(|p| p.deltas.iter().map(move |d| (p.key, d)))
        .filter_map(|(k, d)| Some((k, d, regression(d, limit_pct)?)))
        .collect()
}

/// Changes the gate cannot judge: nothing to test them with (a value <= 0 in a single run).
pub fn unjudged(c: &Comparison) -> usize {
    c.pairs
        .iter()
        .flat_map(|p| &p.deltas)
        .filter(|d| d.verdict == Verdict::Unverified)
        .count()
}

/// Changes the gate could judge.
pub fn judged(c: &Comparison) -> usize {
    c.pairs
        .iter()
        .flat_map(|p| &p.deltas)
        .filter(|d| d.test.is_some())
        .count()
}

/// How many repeats a side the test the gate makes needs, in one comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Power {
    pub label: String,
    /// The true change planned for, in %: twice the gate's limit, else [`DEFAULT_CHANGE_PCT`].
    pub change_pct: f64,
    /// The limit it must be detected beyond: the gate's, else 0 (a verdict).
    pub margin_pct: f64,
    /// Runs a side now, fewest and most over both sides and the aligned points.
    pub runs_range: [usize; 2],
    /// Lowest and highest run-to-run CV over the metrics, each pooled over the points.
    pub cv_range: Option<[f64; 2]>,
    /// Repeats a side for those metrics, fewest and most; `None` beyond `MAX_REPEATS`.
    pub repeats_range: Option<[Option<u32>; 2]>,
    /// The smallest true change detected beyond the margin with 80 % power with the runs a
    /// side now (the fewest), at the lowest and the highest CV.
    pub detectable_pct: Option<[f64; 2]>,
    /// Where the CVs came from (the first source over the metrics).
    pub noise_from: Option<NoiseFrom>,
}

/// What the power estimate plans for: (true change, margin) in %, for a gate of `limit_pct`.
pub fn planned_change(limit_pct: Option<f64>) -> (f64, f64) {
    match limit_pct {
        Some(l) if l > 0.0 => (2.0 * l, l),
        _ => (DEFAULT_CHANGE_PCT, 0.0),
    }
}

/// The power estimate of one comparison over `metrics`, for a gate of `limit_pct`.
pub fn power(c: &Comparison, metrics: &[Metric], limit_pct: Option<f64>) -> Power {
    let deltas = || c.pairs.iter().flat_map(|p| &p.deltas);
    let mut noise_from = None;
    let cvs = metrics.iter().filter_map(|m| {
        let pooled: Vec<(f64, usize)> = deltas()
            .filter(|d| d.metric_id == Some(*m))
            .filter_map(|d| d.noise)
            .map(|n| {
                noise_from.get_or_insert(n.from);
                (n.cv, 2)
            })
            .collect();
        pooled_cv(&pooled)
    });
    plan(
        &c.label,
        range(cvs),
        range(deltas().flat_map(|d| d.runs)),
        noise_from,
        limit_pct,
    )
}

/// The power estimate of one label on its own (a report without a comparison): the run-to-run
/// CV of each metric pooled over the label's points measured at least twice.
pub fn label_power(
    label: &str,
    points: &[&Point],
    metrics: &[Metric],
    limit_pct: Option<f64>,
) -> Power {
    let cvs = metrics.iter().filter_map(|m| {
        let per_point: Vec<(f64, usize)> = points
            .iter()
            .filter_map(|p| {
                let runs = p.run_values(*m);
                run_cv(&runs).map(|cv| (cv, runs.len()))
            })
            .collect();
        pooled_cv(&per_point)
    });
    let cv_range = range(cvs);
    plan(
        label,
        cv_range,
        range(points.iter().map(|p| p.runs())),
        cv_range.map(|_| NoiseFrom::Repeats),
        limit_pct,
    )
}

fn plan(
    label: &str,
    cv_range: Option<[f64; 2]>,
    runs_range: Option<[usize; 2]>,
    noise_from: Option<NoiseFrom>,
    limit_pct: Option<f64>,
) -> Power {
    let (change_pct, margin_pct) = planned_change(limit_pct);
    let runs_range = runs_range.unwrap_or([1, 1]);
    let now = u32::try_from(runs_range[0]).unwrap_or(u32::MAX);
    Power {
        label: label.to_string(),
        change_pct,
        margin_pct,
        runs_range,
        repeats_range: cv_range.map(|[lo, hi]| {
            [
                repeats_needed(lo, change_pct, margin_pct),
                repeats_needed(hi, change_pct, margin_pct),
            ]
        }),
        detectable_pct: cv_range.and_then(|[lo, hi]| {
            Some([
                detectable_pct(now, lo, margin_pct)?,
                detectable_pct(now, hi, margin_pct)?,
            ])
        }),
        cv_range,
        noise_from,
    }
}

/// The smallest and largest value; `None` when there is none.
pub fn range<T: PartialOrd + Copy>(values: impl Iterator<Item = T>) -> Option<[T; 2]> {
    values.fold(None, |acc, v| match acc {
        None => Some([v, v]),
        Some([lo, hi]) => Some([if v < lo { v } else { lo }, if v > hi { v } else { hi }]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::compare::delta;
    use crate::model::{test_point, Point};

    fn runs(rps: &[f64]) -> Point {
        Point::from_repeats(rps.iter().map(|r| test_point(1, 100.0, *r)).collect()).unwrap()
    }

    #[test]
    fn a_label_alone_plans_repeats_from_its_own_runs() {
        // Request throughput 10, 11, 12 at each of two points: CV = 1 / 11 (numpy:
        // np.std([10,11,12], ddof=1) / 11 = 0.0909...). With a 10 % gate the plan is for a true
        // 20 % regression beyond 10 %; the exact noncentral-t power (scipy 1.17.1, see
        // evidence.rs) first reaches 0.8 at n = 19. Without a gate: a 10 % change vs none, n = 16.
        let (a, b) = (runs(&[10.0, 11.0, 12.0]), runs(&[10.0, 11.0, 12.0]));
        let p = label_power("tuned", &[&a, &b], &[Metric::RequestThroughput], Some(10.0));
        let [lo, hi] = p.cv_range.unwrap();
        assert!((lo - 1.0 / 11.0).abs() < 1e-12 && (hi - lo).abs() < 1e-12);
        assert_eq!((p.change_pct, p.margin_pct), (20.0, 10.0));
        assert_eq!(p.repeats_range, Some([Some(19), Some(19)]));
        assert_eq!(p.runs_range, [3, 3]);
        assert_eq!(p.noise_from, Some(NoiseFrom::Repeats));
        let p = label_power("tuned", &[&a, &b], &[Metric::RequestThroughput], None);
        assert_eq!(p.repeats_range, Some([Some(16), Some(16)]));
        // One run per point: nothing to plan from.
        let single = test_point(1, 100.0, 10.0);
        let p = label_power("base", &[&single], &[Metric::RequestThroughput], Some(10.0));
        assert_eq!((p.cv_range, p.repeats_range), (None, None));
    }

    #[test]
    fn higher_is_better_regresses_when_its_ci_lies_below_minus_the_limit() {
        // Throughput 100, 102, 98 -> 80, 81, 79, on the log scale; scipy 1.17.1:
        //   r = st.ttest_ind(np.log([80,81,79]), np.log([100,102,98]), equal_var=False)
        //   ci = r.confidence_interval(0.95) -> worse by 16.657 % to 23.196 %
        let noise = Noise {
            cv: 0.1,
            from: NoiseFrom::Default,
            matched: None,
        };
        let d = delta(
            Metric::RequestThroughput,
            [&runs(&[100.0, 102.0, 98.0]), &runs(&[80.0, 81.0, 79.0])],
            noise,
        )
        .unwrap();
        let [lo, hi] = worse_ci_pct(&d).unwrap();
        assert!((lo - 16.657_143_985_056_52).abs() < 1e-6, "{lo}");
        assert!((hi - 23.196_292_040_441_868).abs() < 1e-6, "{hi}");
        let hit = regression(&d, 16.0).unwrap();
        assert_eq!((hit.evidence, hit.ci_level), (Evidence::RunLevel, 0.95));
        assert_eq!(regression(&d, 17.0), None);
        // A 20 % gain never trips, however significant.
        let gain = delta(
            Metric::RequestThroughput,
            [&runs(&[80.0, 81.0, 79.0]), &runs(&[100.0, 102.0, 98.0])],
            noise,
        )
        .unwrap();
        assert_eq!(regression(&gain, 0.0), None);
    }
}
