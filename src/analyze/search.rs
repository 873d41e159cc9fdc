//! The capacity at an SLA found by a search instead of a grid: doubling from concurrency 1
//! until the SLA fails (or the maximum), one probe above that first failure when its margin is
//! within the noise (twice its concurrency, to check that it holds), then bisection on integer concurrency until the bracket [last pass, first fail] is
//! within the precision (in % of the last pass) or 1 wide.
//!
//! The search is a pure function of the probes measured so far ([`next_step`]): a rerun that
//! reads the finished probes back takes the same steps, so it resumes where it stopped.
//!
//! A probe is judged on the mean of its runs. When a target's margin (the log of mean over
//! limit) is within the run-to-run noise, `z(1 - ALPHA/2) x log_sd(cv) / sqrt(runs)`, the probe
//! is repeated (up to `max_repeats` runs) before it is decided; the CV is pooled over the
//! repeated probes of the search (at least 2 degrees of freedom), else the metric's default
//! ([`default_cv`]). A pass above a failure is reported (`non_monotone`) and the capacity is
//! the highest passing concurrency, as in [`super::capacity`].

use serde::Serialize;

use super::evidence::{log_sd, mean_ci, pooled_cv, quantile, run_cv, ALPHA};
use super::noise::default_cv;
use super::sla::Sla;

/// The bracket's default width, in % of its lower end.
pub const DEFAULT_PRECISION_PCT: f64 = 10.0;
/// A boundary is a cliff when the binding latency grows this many times faster than the
/// concurrency across the bracket (in relative terms: ln(latency ratio) / ln(concurrency ratio)).
pub const CLIFF_ELASTICITY: f64 = 4.0;
/// Degrees of freedom (runs - 1, summed over probes) below which the measured CV is not used.
const MIN_NOISE_DF: usize = 2;

/// How the search runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SearchSettings {
    /// The highest concurrency probed.
    pub max_concurrency: u64,
    /// Stop when the bracket is within this % of its lower end.
    pub precision_pct: f64,
    /// Runs a probe may get when its margin is within the noise (1: never repeated).
    pub max_repeats: u32,
}

/// One probed concurrency: per run, the value of each SLA target (in the SLA's order).
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub concurrency: u64,
    pub runs: Vec<Vec<f64>>,
}

/// What the search does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A first run at this concurrency.
    Probe(u64),
    /// One more run at a probed concurrency whose margin is within the noise.
    Repeat(u64),
    Done,
}

/// Whether the latency jumps at the boundary or grows into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Boundary {
    Smooth,
    Cliff,
}

/// One target at one probe.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetValue {
    /// `ttft`, `tpot`, `itl` or `e2el`.
    pub target: &'static str,
    pub limit_ms: f64,
    /// Mean over the probe's runs.
    pub value_ms: f64,
    /// The run-to-run CV the margin was judged with (a fraction).
    pub cv: f64,
    /// The margin ln(value / limit) is within the noise band.
    pub within_noise: bool,
}

/// One probe, judged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JudgedProbe {
    pub concurrency: u64,
    pub pass: bool,
    pub runs: usize,
    /// The verdict was taken with a margin within the noise (after every repeat allowed).
    pub within_noise: bool,
    pub targets: Vec<TargetValue>,
    #[serde(skip)]
    needs_repeat: bool,
}

/// Where the search stands (or ended).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResult {
    /// The highest passing concurrency.
    pub capacity: Option<u64>,
    /// [last pass, first fail above it]; `None` at an end that was not found.
    pub bracket: [Option<u64>; 2],
    /// The target that fails first: the worst failing one at the first failure, else the one
    /// closest to its limit at the capacity.
    pub binding: Option<&'static str>,
    pub boundary: Option<Boundary>,
    /// With 2+ runs at both ends of the bracket: where the binding target crosses its limit,
    /// interpolated between them on log-log axes, from the upper ends of the (1 - ALPHA)
    /// intervals of the two means to their lower ends (a fractional concurrency, within 1 and
    /// the maximum).
    pub capacity_ci: Option<[f64; 2]>,
    /// A passing probe above a failing one.
    pub non_monotone: bool,
    /// Every probe up to the maximum passes.
    pub all_pass: bool,
    /// Concurrency 1 fails.
    pub all_fail: bool,
    pub done: bool,
    pub precision_pct: f64,
    pub max_concurrency: u64,
    /// In the order they were probed.
    pub probes: Vec<JudgedProbe>,
}

/// The settings' own checks, with the flag each value comes from.
pub fn check_settings(s: &SearchSettings) -> Result<(), String> {
    if s.max_concurrency == 0 {
        return Err("--max-concurrency takes a number > 0".into());
    }
    if !(s.precision_pct.is_finite() && s.precision_pct > 0.0) {
        return Err(format!(
            "--precision takes a percentage > 0, not {}",
            s.precision_pct
        ));
    }
    if s.max_repeats == 0 {
        return Err("--repeats takes a number > 0".into());
    }
    Ok(())
}

/// The run-to-run CV of each target: pooled over the repeated probes, else the default.
fn target_cvs(sla: &Sla, probes: &[Probe]) -> Vec<f64> {
    (0..sla.targets.len())
        .map(|t| {
            let measured: Vec<(f64, usize)> = probes
                .iter()
                .filter(|p| p.runs.len() >= 2)
                .filter_map(|p| {
                    let v: Vec<f64> = p.runs.iter().map(|r| r[t]).collect();
                    Some((run_cv(&v)?, v.len()))
                })
                .collect();
            let df: usize = measured.iter().map(|(_, n)| n - 1).sum();
            match pooled_cv(&measured) {
                Some(cv) if df >= MIN_NOISE_DF => cv,
                _ => default_cv(sla.metric(&sla.targets[t])),
            }
        })
        .collect()
}

/// Every probe judged on the mean of its runs, in the order given.
fn judge(sla: &Sla, settings: &SearchSettings, probes: &[Probe]) -> Vec<JudgedProbe> {
    let cvs = target_cvs(sla, probes);
    let z = quantile(f64::INFINITY, 1.0 - ALPHA / 2.0);
    probes
        .iter()
        .map(|p| {
            let n = p.runs.len().max(1);
            let targets: Vec<TargetValue> = sla
                .targets
                .iter()
                .enumerate()
                .map(|(t, target)| {
                    let value = p.runs.iter().map(|r| r[t]).sum::<f64>() / n as f64;
                    let band = z * log_sd(cvs[t]) / (n as f64).sqrt();
                    TargetValue {
                        target: target.latency.key(),
                        limit_ms: target.limit_ms,
                        value_ms: value,
                        cv: cvs[t],
                        within_noise: (value / target.limit_ms).ln().abs() < band,
                    }
                })
                .collect();
            let pass = targets.iter().all(|t| t.value_ms <= t.limit_ms);
            // A clear failure of one target decides, whatever the others; a pass needs all clear.
            let clear_fail = targets
                .iter()
                .any(|t| t.value_ms > t.limit_ms && !t.within_noise);
            let unsure = !clear_fail && targets.iter().any(|t| t.within_noise);
            JudgedProbe {
                concurrency: p.concurrency,
                pass,
                runs: p.runs.len(),
                within_noise: unsure,
                needs_repeat: unsure && p.runs.len() < settings.max_repeats as usize,
                targets,
            }
        })
        .collect()
}

/// The bracket of judged probes: the highest pass, the lowest failure above it (any failure
/// when nothing passes).
fn bracket(judged: &[JudgedProbe]) -> (Option<u64>, Option<u64>) {
    let lo = judged
        .iter()
        .filter(|j| j.pass)
        .map(|j| j.concurrency)
        .max();
    let hi = judged
        .iter()
        .filter(|j| !j.pass && lo.is_none_or(|l| j.concurrency > l))
        .map(|j| j.concurrency)
        .min();
    (lo, hi)
}

/// The next step of the search, from the probes so far (each concurrency once, its runs together).
pub fn next_step(sla: &Sla, settings: &SearchSettings, probes: &[Probe]) -> Step {
    let judged = judge(sla, settings, probes);
    if let Some(j) = judged.iter().find(|j| j.needs_repeat) {
        return Step::Repeat(j.concurrency);
    }
    let max = settings.max_concurrency;
    match bracket(&judged) {
        (None, None) => Step::Probe(1),
        (None, Some(1)) => Step::Done,
        (None, Some(_)) => Step::Probe(1),
        (Some(l), None) if l >= max => Step::Done,
        (Some(l), None) => Step::Probe(l.saturating_mul(2).min(max)),
        (Some(l), Some(h)) => {
            let above = judged.iter().any(|j| j.concurrency > h);
            let close = judged.iter().any(|j| j.concurrency == h && j.within_noise);
            if h < max && !above && close {
                // The first failure found by doubling is within the noise: one probe above it
                // checks that it holds.
                return Step::Probe(h.saturating_mul(2).min(max));
            }
            if h - l <= 1 || (h - l) as f64 <= settings.precision_pct / 100.0 * l as f64 {
                Step::Done
            } else {
                Step::Probe(l + (h - l) / 2)
            }
        }
    }
}

/// Where the search stands: the capacity, the bracket, the binding target, the boundary type.
pub fn result(sla: &Sla, settings: &SearchSettings, probes: &[Probe]) -> SearchResult {
    let judged = judge(sla, settings, probes);
    let (lo, hi) = bracket(&judged);
    let at = |c: Option<u64>| c.and_then(|c| judged.iter().find(|j| j.concurrency == c));
    let ratio = |t: &TargetValue| t.value_ms / t.limit_ms;
    let worst = |j: &JudgedProbe| {
        j.targets
            .iter()
            .enumerate()
            .max_by(|a, b| ratio(a.1).total_cmp(&ratio(b.1)))
            .map(|(i, _)| i)
    };
    let binding = at(hi).or(at(lo)).and_then(worst);
    let boundary = match (at(lo), at(hi), binding) {
        (Some(a), Some(b), Some(t)) => {
            let (va, vb) = (a.targets[t].value_ms, b.targets[t].value_ms);
            let e = (vb / va).ln() / (b.concurrency as f64 / a.concurrency as f64).ln();
            (va > 0.0 && e.is_finite()).then_some(if e > CLIFF_ELASTICITY {
                Boundary::Cliff
            } else {
                Boundary::Smooth
            })
        }
        _ => None,
    };
    let capacity_ci = match (lo, hi, binding) {
        (Some(l), Some(h), Some(t)) => crossing_ci(probes, l, h, t, sla.targets[t].limit_ms)
            .map(|[a, b]| [a.clamp(1.0, max_f(settings)), b.clamp(1.0, max_f(settings))]),
        _ => None,
    };
    let first_fail = judged
        .iter()
        .filter(|j| !j.pass)
        .map(|j| j.concurrency)
        .min();
    SearchResult {
        capacity: lo,
        bracket: [lo, hi],
        binding: binding.map(|t| sla.targets[t].latency.key()),
        boundary,
        capacity_ci,
        non_monotone: matches!((first_fail, lo), (Some(f), Some(l)) if f < l),
        all_pass: hi.is_none() && lo.is_some_and(|l| l >= settings.max_concurrency),
        all_fail: lo.is_none() && judged.iter().any(|j| j.concurrency == 1 && !j.pass),
        done: next_step(sla, settings, probes) == Step::Done,
        precision_pct: settings.precision_pct,
        max_concurrency: settings.max_concurrency,
        probes: judged,
    }
}

fn max_f(s: &SearchSettings) -> f64 {
    s.max_concurrency as f64
}

/// Where a latency through (l, vl) and (h, vh) on log-log axes reaches `limit`.
fn crossing(l: u64, h: u64, vl: f64, vh: f64, limit: f64) -> Option<f64> {
    if !(vl > 0.0 && vh > vl) {
        return None;
    }
    let f = (limit / vl).ln() / (vh / vl).ln();
    Some(l as f64 * (h as f64 / l as f64).powf(f))
}

/// The interval of the crossing of target `t` between the probes at `l` and `h`, from the
/// intervals of their means (see [`SearchResult::capacity_ci`]).
fn crossing_ci(probes: &[Probe], l: u64, h: u64, t: usize, limit: f64) -> Option<[f64; 2]> {
    let ci = |c: u64| {
        let p = probes.iter().find(|p| p.concurrency == c)?;
        let v: Vec<f64> = p.runs.iter().map(|r| r[t]).collect();
        mean_ci(&v)
    };
    let ((l_lo, l_hi), (h_lo, h_hi)) = (ci(l)?, ci(h)?);
    // Higher latencies cross sooner: the upper ends give the low end of the capacity.
    let low = crossing(l, h, l_hi, h_hi, limit)?;
    let high = crossing(l, h, l_lo, h_lo, limit)?;
    Some([low, high])
}

#[cfg(test)]
mod tests;
