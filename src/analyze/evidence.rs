//! Run-level evidence: is a difference between two configs larger than what separate runs of
//! one config show?
//!
//! On real GPUs a server's speed moves from run to run (process start, clocks, host load) by
//! 10-25 %, far more than the requests inside one run spread, so the unit of evidence is the
//! run: each repeat of a point contributes one value (its mean, p99, throughput, ...).
//!
//! Every change is a ratio and is tested on the log scale ([`change_test`]), so its interval
//! maps back to a percentage that is never below -100 % and treats "2x worse" and "2x better"
//! alike:
//! - 2+ runs a side: Welch's t on the log run values (configs need not be equally noisy; with
//!   2-5 repeats a bootstrap has almost nothing to resample);
//! - one run against 2+: the single run against the prediction interval of the many;
//! - one run a side: a z test against a run-to-run noise estimate (measured, or the default of
//!   the metric's class), so plain evidence (2-3x) still speaks.
//!
//! The level of each interval is set for the whole comparison by `family`. [`power`],
//! [`repeats_needed`] and [`detectable_pct`] plan repeats for the test the gate makes.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::model::stats;

/// The significance level of every run-level verdict.
pub const ALPHA: f64 = 0.05;
/// The power [`repeats_needed`] plans for.
pub const POWER: f64 = 0.8;
/// [`repeats_needed`] gives up beyond this many repeats a side.
pub const MAX_REPEATS: u32 = 100;

/// Welch's two-sample t-test of `new` against `base` (per-run values of one metric at one
/// point), with the confidence interval of the difference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RunLevelTest {
    pub n_base: usize,
    pub n_new: usize,
    pub mean_base: f64,
    pub mean_new: f64,
    /// `mean_new - mean_base`.
    pub diff: f64,
    /// The (1 - ALPHA) interval of `diff`.
    pub diff_lo: f64,
    pub diff_hi: f64,
    pub t: f64,
    /// Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p value.
    pub p: f64,
}

impl RunLevelTest {
    /// True when the interval excludes zero (equivalently p < ALPHA).
    pub fn significant(&self) -> bool {
        self.diff_lo > 0.0 || self.diff_hi < 0.0
    }

    /// The difference and its interval as a percentage of the baseline mean. The interval
    /// treats the baseline mean as exact, as every "x % slower" statement does.
    pub fn pct(&self) -> Option<(f64, f64, f64)> {
        if self.mean_base == 0.0 || !self.mean_base.is_finite() {
            return None;
        }
        let scale = 100.0 / self.mean_base.abs();
        Some((
            self.diff * scale,
            self.diff_lo * scale,
            self.diff_hi * scale,
        ))
    }
}

/// Sample variance (ddof = 1).
fn variance(values: &[f64], mean: f64) -> f64 {
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (values.len() - 1) as f64
}

/// Welch's t-test; `None` unless both sides have at least 2 finite values.
pub fn welch(base: &[f64], new: &[f64]) -> Option<RunLevelTest> {
    let (ma, mb, se, df) = welch_parts(base, new)?;
    let diff = mb - ma;
    let base_test = RunLevelTest {
        n_base: base.len(),
        n_new: new.len(),
        mean_base: ma,
        mean_new: mb,
        diff,
        diff_lo: diff,
        diff_hi: diff,
        t: 0.0,
        df,
        p: 1.0,
    };
    if se == 0.0 {
        // Identical repeats on both sides: any difference at all is exact.
        let (t, p) = if diff == 0.0 {
            (0.0, 1.0)
        } else {
            (diff.signum() * f64::INFINITY, 0.0)
        };
        return Some(RunLevelTest { t, p, ..base_test });
    }
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let t = diff / se;
    let p = (2.0 * dist.cdf(-t.abs())).min(1.0);
    let half = dist.inverse_cdf(1.0 - ALPHA / 2.0) * se;
    Some(RunLevelTest {
        diff_lo: diff - half,
        diff_hi: diff + half,
        t,
        df,
        p,
        ..base_test
    })
}

/// The two means, the standard error of their difference and the Welch-Satterthwaite degrees
/// of freedom (`n_base + n_new - 2` when both sides are constant); `None` unless both sides
/// have at least 2 finite values.
fn welch_parts(base: &[f64], new: &[f64]) -> Option<(f64, f64, f64, f64)> {
    if base.len() < 2 || new.len() < 2 || base.iter().chain(new).any(|v| !v.is_finite()) {
        return None;
    }
    let (ma, mb) = (stats::mean(base)?, stats::mean(new)?);
    let (na, nb) = (base.len() as f64, new.len() as f64);
    let (sa, sb) = (variance(base, ma) / na, variance(new, mb) / nb);
    let se = (sa + sb).sqrt();
    let df = if se == 0.0 {
        na + nb - 2.0
    } else {
        (sa + sb).powi(2) / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0))
    };
    Some((ma, mb, se, df))
}

/// How a change between two configs was tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Welch's t on the log of the per-run values, 2+ runs a side.
    WelchLog,
    /// One run against 2+ runs of the other side: the single run against the prediction
    /// interval of the many (t with n - 1 degrees of freedom, se = s * sqrt(1 + 1/n)).
    PredictionInterval,
    /// One run a side against a run-to-run noise estimate (z on the log ratio, se = sqrt(2) * sigma).
    NoisePrior,
    /// Welch's t on the raw values: a metric with values <= 0 (e.g. failed requests) has no ratio.
    WelchLinear,
}

/// A change of one metric between two configs, tested on the log scale: `estimate` is
/// ln(new / base) (the difference of the mean log run values), so every interval maps back to
/// a ratio, never below -100 %, and "2x worse" is as far from 0 as "2x better". The interval's
/// level is chosen later, once the whole family of tests is known (see `family`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ChangeTest {
    pub kind: TestKind,
    pub n_base: usize,
    pub n_new: usize,
    /// ln(new / base), or new - base for [`TestKind::WelchLinear`].
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// Degrees of freedom; infinite for a z test.
    pub df: f64,
    /// Two-sided p value against no change.
    pub p: f64,
    /// The baseline's mean, to express a linear difference in %.
    pub base_mean: f64,
}

impl ChangeTest {
    fn new(kind: TestKind, n: [usize; 2], estimate: f64, se: f64, df: f64, base_mean: f64) -> Self {
        let p = if se == 0.0 {
            if estimate == 0.0 {
                1.0
            } else {
                0.0
            }
        } else {
            2.0 * upper_tail(df, (estimate / se).abs())
        };
        ChangeTest {
            kind,
            n_base: n[0],
            n_new: n[1],
            estimate,
            se,
            df,
            p: p.min(1.0),
            base_mean,
        }
    }

    /// The two-sided interval of the change at `level` (e.g. 0.95), in % of the baseline.
    pub fn ci_pct(&self, level: f64) -> [f64; 2] {
        let half = quantile(self.df, 1.0 - (1.0 - level) / 2.0) * self.se;
        let (lo, hi) = (self.estimate - half, self.estimate + half);
        match self.kind {
            TestKind::WelchLinear => {
                let to_pct = |d: f64| (d / self.base_mean.abs() * 100.0).max(-100.0);
                [to_pct(lo), to_pct(hi)]
            }
            _ => [ratio_pct(lo), ratio_pct(hi)],
        }
    }

    /// The change as a ratio in % (`(new / base - 1) * 100` of the geometric means).
    pub fn change_pct(&self) -> f64 {
        match self.kind {
            TestKind::WelchLinear => self.estimate / self.base_mean.abs() * 100.0,
            _ => ratio_pct(self.estimate),
        }
    }
}

/// `exp(log_ratio) - 1` in %.
pub fn ratio_pct(log_ratio: f64) -> f64 {
    (log_ratio.exp() - 1.0) * 100.0
}

/// The log-scale standard deviation of runs whose coefficient of variation is `cv`
/// (lognormal: sigma^2 = ln(1 + cv^2)).
pub fn log_sd(cv: f64) -> f64 {
    (1.0 + cv * cv).ln().sqrt()
}

/// P(T > x) for Student's t with `df` degrees of freedom (normal when infinite).
fn upper_tail(df: f64, x: f64) -> f64 {
    if df.is_finite() {
        StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| 1.0 - t.cdf(x))
    } else {
        1.0 - Normal::standard().cdf(x)
    }
}

/// The `q` quantile of Student's t with `df` degrees of freedom (normal when infinite).
pub fn quantile(df: f64, q: f64) -> f64 {
    if df.is_finite() {
        StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(q))
    } else {
        Normal::standard().inverse_cdf(q)
    }
}

fn logs(values: &[f64]) -> Option<Vec<f64>> {
    values
        .iter()
        .map(|v| (v.is_finite() && *v > 0.0).then(|| v.ln()))
        .collect()
}

/// The test of `new` against `base` (per-run values of one metric at one point) that the run
/// counts allow: Welch on logs with 2+ runs a side, the prediction interval with one run
/// against 2+, the noise prior (`cv`, a run-to-run CV) with one run a side, Welch on the raw
/// values when a value is <= 0. `None` when nothing can be tested.
pub fn change_test(base: &[f64], new: &[f64], cv: Option<f64>) -> Option<ChangeTest> {
    if base.is_empty() || new.is_empty() || base.iter().chain(new).any(|v| !v.is_finite()) {
        return None;
    }
    let n = [base.len(), new.len()];
    let (Some(lb), Some(ln)) = (logs(base), logs(new)) else {
        let (mb, mn, se, df) = welch_parts(base, new)?;
        return (mb != 0.0).then(|| ChangeTest::new(TestKind::WelchLinear, n, mn - mb, se, df, mb));
    };
    let base_mean = stats::mean(base)?;
    let (mb, mn) = (stats::mean(&lb)?, stats::mean(&ln)?);
    let estimate = mn - mb;
    match n {
        [1, 1] => {
            let sigma = log_sd(cv?);
            let se = std::f64::consts::SQRT_2 * sigma;
            Some(ChangeTest::new(
                TestKind::NoisePrior,
                n,
                estimate,
                se,
                f64::INFINITY,
                base_mean,
            ))
        }
        [1, k] | [k, 1] => {
            let many = if n[0] == 1 { &ln } else { &lb };
            let m = stats::mean(many)?;
            let s = variance(many, m).sqrt();
            let se = s * (1.0 + 1.0 / k as f64).sqrt();
            Some(ChangeTest::new(
                TestKind::PredictionInterval,
                n,
                estimate,
                se,
                (k - 1) as f64,
                base_mean,
            ))
        }
        _ => {
            let (_, _, se, df) = welch_parts(&lb, &ln)?;
            Some(ChangeTest::new(
                TestKind::WelchLog,
                n,
                estimate,
                se,
                df,
                base_mean,
            ))
        }
    }
}

/// The (1 - ALPHA) Student-t interval of the mean of one config's per-run values;
/// `None` below two finite values.
pub fn mean_ci(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let m = stats::mean(values)?;
    let t = StudentsT::new(0.0, 1.0, n - 1.0).ok()?;
    let half = t.inverse_cdf(1.0 - ALPHA / 2.0) * (variance(values, m) / n).sqrt();
    Some((m - half, m + half))
}

/// Run-to-run coefficient of variation (sample std / mean) of one config's repeats;
/// `None` with fewer than 2 values or a zero mean.
pub fn run_cv(values: &[f64]) -> Option<f64> {
    if values.len() < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let m = stats::mean(values)?;
    if m == 0.0 {
        return None;
    }
    Some(variance(values, m).sqrt() / m.abs())
}

/// Pools several CVs (e.g. of both sides, or of several labels) weighting each by its degrees
/// of freedom `n - 1`: the root of the pooled relative variance.
pub fn pooled_cv(cvs: &[(f64, usize)]) -> Option<f64> {
    let (num, den) = cvs.iter().filter(|(cv, n)| cv.is_finite() && *n >= 2).fold(
        (0.0, 0.0),
        |(num, den), (cv, n)| {
            let df = (*n - 1) as f64;
            (num + df * cv * cv, den + df)
        },
    );
    (den > 0.0).then(|| (num / den).sqrt())
}

/// Power of the test a verdict or the gate makes, with `n` runs a side when runs vary by `cv`
/// (a fraction): the chance that the lower end of the (1 - ALPHA) interval of the log change
/// lies beyond `margin_pct` when the true change is `change_pct` (both in %, as magnitudes;
/// a margin of 0 is the test against no change). The usual approximation that ignores the far
/// tail and uses a central t for the shifted statistic.
pub fn power(n: u32, cv: f64, change_pct: f64, margin_pct: f64) -> f64 {
    let effect = (1.0 + change_pct.abs() / 100.0).ln() - (1.0 + margin_pct.abs() / 100.0).ln();
    if n < 2 || cv <= 0.0 || effect <= 0.0 {
        return if cv == 0.0 && effect > 0.0 { 1.0 } else { 0.0 };
    }
    let df = 2.0 * f64::from(n) - 2.0;
    let Ok(t) = StudentsT::new(0.0, 1.0, df) else {
        return 0.0;
    };
    let shift = effect / log_sd(cv) * (f64::from(n) / 2.0).sqrt();
    let crit = t.inverse_cdf(1.0 - ALPHA / 2.0);
    1.0 - t.cdf(crit - shift)
}

/// The fewest repeats a side (>= 2) that detect a true `change_pct` % change beyond
/// `margin_pct` with [`POWER`] at [`ALPHA`], given the run-to-run CV; `None` when even
/// [`MAX_REPEATS`] would not.
pub fn repeats_needed(cv: f64, change_pct: f64, margin_pct: f64) -> Option<u32> {
    if !cv.is_finite() || cv < 0.0 || change_pct == 0.0 {
        return None;
    }
    (2..=MAX_REPEATS).find(|&n| power(n, cv, change_pct, margin_pct) >= POWER)
}

/// The smallest true change (in %) that `n` runs a side detect beyond `margin_pct` with
/// [`POWER`], given the run-to-run CV: `margin + (t(1 - ALPHA/2) + t(POWER)) * sigma * sqrt(2/n)`
/// on the log scale (with one run a side the CV is taken as known: z instead of t).
pub fn detectable_pct(n: u32, cv: f64, margin_pct: f64) -> Option<f64> {
    if n < 1 || !cv.is_finite() || cv < 0.0 {
        return None;
    }
    let df = if n >= 2 {
        2.0 * f64::from(n) - 2.0
    } else {
        f64::INFINITY
    };
    let k = quantile(df, 1.0 - ALPHA / 2.0) + quantile(df, POWER);
    let log = (1.0 + margin_pct / 100.0).ln() + k * log_sd(cv) * (2.0 / f64::from(n)).sqrt();
    Some(ratio_pct(log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_of_repeats_matches_scipy() {
        // python3 -c "from scipy import stats; import numpy as np; v=[3.9,4.1,4.3];
        //   print(stats.t.interval(0.95, 2, loc=np.mean(v), scale=stats.sem(v)))"
        // -> (3.6031724576499347, 4.596827542350066)
        let (lo, hi) = mean_ci(&[3.9, 4.1, 4.3]).unwrap();
        assert!((lo - 3.6031724576499347).abs() < 1e-8, "{lo}");
        assert!((hi - 4.596827542350066).abs() < 1e-8, "{hi}");
        assert_eq!(mean_ci(&[4.0]), None);
    }

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-12), "{a} vs {b}");
    }

    // Reference values from scipy 1.17.1 (a venv with numpy 2.4.6, scipy 1.17.1):
    //   from scipy import stats
    //   r = stats.ttest_ind([b...], [a...], equal_var=False)
    //   r.statistic, r.pvalue, r.df, r.confidence_interval(0.95)
    #[test]
    fn welch_matches_scipy() {
        let base = [146.6, 151.2, 139.8];
        let new = [127.4, 133.9, 130.1, 125.0];
        let w = welch(&base, &new).unwrap();
        // stats.ttest_ind([127.4,133.9,130.1,125.0],[146.6,151.2,139.8], equal_var=False)
        close(w.t, -4.386_618_639_691_208, 1e-9);
        close(w.df, 3.307_124_776_405_861_8, 1e-9);
        close(w.p, 0.017_880_004_233_538_5, 1e-6);
        close(w.diff_lo, -28.315_957_627_303_52, 1e-6);
        close(w.diff_hi, -5.217_375_706_029_783, 1e-6);
        assert!(w.significant());
        let (pct, lo, hi) = w.pct().unwrap();
        close(pct, w.diff / 145.866_666_666_666_67 * 100.0, 1e-12);
        assert!(lo < pct && pct < hi);

        // Overlapping runs: stats.ttest_ind([10.0, 12.5], [11.0, 10.2], equal_var=False)
        let w = welch(&[11.0, 10.2], &[10.0, 12.5]).unwrap();
        close(w.t, 0.495_260_556_543_648_8, 1e-9);
        close(w.df, 1.202_674_800_682_001, 1e-9);
        close(w.p, 0.695_652_522_065_620_4, 1e-6);
        close(w.diff_lo, -10.653_889_485_539_542, 1e-6);
        close(w.diff_hi, 11.953_889_485_539_543, 1e-6);
        assert!(!w.significant());
    }

    #[test]
    fn one_run_a_side_is_never_tested() {
        assert!(welch(&[1.0], &[2.0, 3.0]).is_none());
        assert!(welch(&[1.0, 2.0], &[f64::NAN, 3.0]).is_none());
    }

    #[test]
    fn identical_repeats_are_exact() {
        let w = welch(&[5.0, 5.0], &[6.0, 6.0, 6.0]).unwrap();
        assert!(w.significant());
        assert_eq!(w.p, 0.0);
        let w = welch(&[5.0, 5.0], &[5.0, 5.0]).unwrap();
        assert!(!w.significant());
    }

    #[test]
    fn cv_and_pooling() {
        // numpy: np.std([146.6,151.2,139.8], ddof=1) / np.mean([146.6,151.2,139.8])
        close(
            run_cv(&[146.6, 151.2, 139.8]).unwrap(),
            0.039_318_585_400_371_26,
            1e-9,
        );
        assert!(run_cv(&[3.0]).is_none());
        close(
            pooled_cv(&[(0.1, 3), (0.2, 2)]).unwrap(),
            ((2.0 * 0.01 + 0.04) / 3.0_f64).sqrt(),
            1e-12,
        );
    }

    // Reference: scipy 1.17.1 / numpy 2.4.6, exact power of the margin test from the noncentral t:
    //   sig = np.sqrt(np.log(1 + cv**2)); se = sig * np.sqrt(2 / n); df = 2 * n - 2
    //   nc = (np.log(1 + change / 100) - np.log(1 + margin / 100)) / se
    //   power = st.nct.sf(st.t.ppf(0.975, df), df, nc)
    // and the fewest n >= 2 with power >= 0.8 (None past 100). The approximation here (central t,
    // shifted) agrees on every case below.
    #[test]
    fn repeats_needed_matches_the_exact_noncentral_t() {
        for (cv, change, margin, want) in [
            (0.10, 20.0, 0.0, Some(6)),
            (0.10, 10.0, 5.0, Some(74)),
            (0.15, 100.0, 5.0, Some(3)),
            (0.05, 20.0, 0.0, Some(3)),
            (0.20, 50.0, 10.0, Some(8)),
            (0.15, 10.0, 5.0, None),
        ] {
            assert_eq!(
                repeats_needed(cv, change, margin),
                want,
                "cv {cv} change {change} margin {margin}"
            );
        }
        // A change no larger than the margin is never detected beyond it.
        assert_eq!(repeats_needed(0.01, 5.0, 5.0), None);
    }

    #[test]
    fn detectable_change_inverts_the_power() {
        // At the detectable change the power is 80 % by construction.
        let d = detectable_pct(3, 0.15, 5.0).unwrap();
        assert!((power(3, 0.15, d, 5.0) - POWER).abs() < 1e-9, "{d}");
        // One run a side: z, not t: margin + (1.96 + 0.8416) * sigma * sqrt(2) on the log scale.
        // numpy: (np.exp(np.log(1.05) + (1.959964 + 0.841621) * np.sqrt(np.log(1.0225)) * np.sqrt(2)) - 1) * 100
        let one = detectable_pct(1, 0.15, 5.0).unwrap();
        assert!((one - 89.607).abs() < 0.01, "{one}");
    }

    // Reference (scipy 1.17.1, numpy 2.4.6):
    //   r = st.ttest_ind(np.log(new), np.log(base), equal_var=False)
    //   ci = r.confidence_interval(level); (np.exp(ci.low) - 1) * 100, (np.exp(ci.high) - 1) * 100
    #[test]
    fn log_welch_matches_scipy() {
        let base = [146.6, 151.2, 139.8];
        let new = [127.4, 133.9, 130.1, 125.0];
        let t = change_test(&base, &new, None).unwrap();
        assert_eq!(t.kind, TestKind::WelchLog);
        close(t.estimate / t.se, -4.490_251_940_861_464, 1e-9);
        close(t.df, 3.602_968_014_550_629_8, 1e-9);
        close(t.p, 0.013_818_279_630_026_773, 1e-6);
        let [lo, hi] = t.ci_pct(0.95);
        close(lo, -18.183_304_229_856_457, 1e-6);
        close(hi, -4.222_220_138_105_648, 1e-6);
        let [lo, hi] = t.ci_pct(0.99);
        close(lo, -22.651_148_415_880_26, 1e-6);
        close(hi, 1.310_120_525_554_414_6, 1e-6);
    }

    #[test]
    fn intervals_of_a_ratio_never_fall_below_minus_100() {
        // A 3x throughput loss with 40 % noise: a linear CI would reach far below -100 %.
        let t = change_test(&[300.0, 180.0, 420.0], &[100.0, 60.0, 140.0], None).unwrap();
        let [lo, _] = t.ci_pct(0.999);
        assert!(lo > -100.0, "{lo}");
        // 2x worse and 2x better are equally far from no change.
        let worse = change_test(&[100.0], &[200.0], Some(0.1)).unwrap();
        let better = change_test(&[200.0], &[100.0], Some(0.1)).unwrap();
        close(worse.estimate, -better.estimate, 1e-12);
        close(worse.p, better.p, 1e-12);
    }

    #[test]
    fn one_run_against_many_uses_the_prediction_interval() {
        // d = ln(180) - mean(ln(many)), se = sd(ln many) * sqrt(1 + 1/3), df 2;
        // scipy: p = 2 * st.t.sf(d / se, 2), q = st.t.ppf(0.975, 2)
        let t = change_test(&[146.6, 151.2, 139.8], &[180.0], None).unwrap();
        assert_eq!((t.kind, t.df), (TestKind::PredictionInterval, 2.0));
        close(t.estimate, 0.210_782_156_557_645_98, 1e-9);
        close(t.se, 0.045_595_821_867_187_28, 1e-9);
        close(t.p, 0.043_745_561_263_485_735, 1e-6);
        let [lo, hi] = t.ci_pct(0.95);
        close(lo, 1.470_625_750_445_764_3, 1e-6);
        close(hi, 50.225_174_223_209_67, 1e-6);
        // The many may be either side.
        let r = change_test(&[180.0], &[146.6, 151.2, 139.8], None).unwrap();
        close(r.estimate, -t.estimate, 1e-12);
        close(r.se, t.se, 1e-12);
    }

    #[test]
    fn single_runs_are_judged_against_the_noise_prior() {
        // 100 -> 150 at 15 % CV: sigma = sqrt(ln(1 + 0.15^2)), se = sqrt(2) * sigma;
        // scipy: 2 * st.norm.sf(np.log(1.5) / se) = 0.0546, 95 % CI -0.80 % .. +126.8 %
        let t = change_test(&[100.0], &[150.0], Some(0.15)).unwrap();
        assert_eq!(t.kind, TestKind::NoisePrior);
        close(t.p, 0.054_597_875_254_349_94, 1e-6);
        let [lo, hi] = t.ci_pct(0.95);
        close(lo, -0.796_352_678_656_120_1, 1e-6);
        close(hi, 126.806_177_066_426_42, 1e-6);
        // Without a noise estimate a single run cannot be tested.
        assert!(change_test(&[100.0], &[150.0], None).is_none());
        // Failed-request counts (0 -> 2) have no ratio: Welch on the raw values, 2+ runs.
        let counts = change_test(&[0.0, 1.0], &[2.0, 3.0], Some(0.15)).unwrap();
        assert_eq!(counts.kind, TestKind::WelchLinear);
        assert!(change_test(&[0.0], &[2.0], Some(0.15)).is_none());
    }
}
