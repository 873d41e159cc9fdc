//! Trends over stored runs: one series per label x load point x metric, change points in each
//! (see [`super::changepoint`]), and which of them are regressions, improvements, or steps
//! that came with a change of what ran (an environment change, not the code's doing).

use std::fmt;

use super::changepoint::{e_divisive, step, Settings, Step};
use crate::model::Metric;
use crate::util::parallel;

/// The load of a point: concurrency (online), max batch size (offline) or request rate.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub enum Load {
    Concurrency(i64),
    BatchSize(i64),
    Rate(f64),
    Unset,
}

impl fmt::Display for Load {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Load::Concurrency(c) => write!(f, "conc {c}"),
            Load::BatchSize(b) => write!(f, "bs {b}"),
            Load::Rate(r) => write!(f, "rate {r}"),
            Load::Unset => f.write_str("-"),
        }
    }
}

/// Which series: the point (label, lengths, load) and the metric.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub struct SeriesKey {
    pub label: String,
    pub isl: Option<i64>,
    pub osl: Option<i64>,
    pub load: Load,
    pub metric: Metric,
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = |v: Option<i64>| v.map_or("-".into(), |v| v.to_string());
        write!(
            f,
            "{} isl {} osl {} {} {}",
            self.label,
            len(self.isl),
            len(self.osl),
            self.load,
            self.metric
        )
    }
}

/// One run of the history, oldest first in [`Trend::runs`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrendRun {
    pub run_id: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub time: String,
    pub tags: Vec<(String, String)>,
    /// Points stored for the run (repeats counted).
    pub points: usize,
    /// Hash of everything that ran; a change of it explains a step.
    pub fingerprint: String,
    /// The fingerprint's fields, (name, value), for saying what changed.
    pub environment: Vec<(String, String)>,
}

/// A metric's value per run (the mean of the run's repeats); `None` where the run lacks it.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub key: SeriesKey,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// (run index, value) of the runs that have the metric, oldest first.
    pub fn present(&self) -> Vec<(usize, f64)> {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .collect()
    }
}

/// The history as series over runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trend {
    pub runs: Vec<TrendRun>,
    pub series: Vec<Series>,
}

/// What a change point means for its metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regression,
    Improvement,
    /// The metric is reported, never judged (counts, spread, min/max).
    Unjudged,
    /// What ran changed within one run of the step: not the code's doing.
    Environment,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Regression => "regression",
            Kind::Improvement => "improvement",
            Kind::Unjudged => "change",
            Kind::Environment => "environment change",
        }
    }
}

/// A significant change point of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Index into [`Trend::series`].
    pub series: usize,
    /// Index into [`Trend::runs`] of the first run at the new level.
    pub first_bad: usize,
    /// The run before it that has the metric.
    pub last_good: usize,
    pub step: Step,
    pub pvalue: f64,
    pub kind: Kind,
    /// Fingerprint fields that changed around the step: (name, before, after).
    pub environment: Vec<(String, String, String)>,
}

/// The outcome of `history check`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrendCheck {
    /// Every significant change, series by series, oldest first within a series.
    pub changes: Vec<Change>,
    /// Indexes into `changes`: newest changes of their series that are regressions beyond
    /// the threshold.
    pub gate_hits: Vec<usize>,
    /// Series with enough runs to test.
    pub series_checked: usize,
}

/// Runs a series needs (with a value) before its change points are looked for: at least
/// `min_size` (and 2) on each side of a change.
pub fn runs_needed(settings: &Settings) -> usize {
    2 * settings.min_size.max(2)
}

/// Why a check tested no series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NothingChecked {
    /// The history holds no runs.
    NoRuns,
    /// There are runs, but no stored value matches the filters.
    NoSeries,
    /// Every label occurs in one run only (each run stored under its own label, e.g. the name
    /// of a per-night directory): no run has another to be compared with.
    EachRunOwnLabel { runs: usize },
    /// No series has the runs a check needs.
    TooFewRuns {
        runs: usize,
        most: usize,
        needed: usize,
    },
}

/// `None` when the check tested at least one series; else why it tested none.
pub fn nothing_checked(
    trend: &Trend,
    check: &TrendCheck,
    settings: &Settings,
) -> Option<NothingChecked> {
    if check.series_checked > 0 {
        return None;
    }
    let runs = trend.runs.len();
    if runs == 0 {
        return Some(NothingChecked::NoRuns);
    }
    if trend.series.is_empty() {
        return Some(NothingChecked::NoSeries);
    }
    // The runs each label has a value in.
    let mut runs_of: Vec<(&str, Vec<bool>)> = Vec::new();
    for s in &trend.series {
        let i = match runs_of.iter().position(|(l, _)| *l == s.key.label) {
            Some(i) => i,
            None => {
                runs_of.push((&s.key.label, vec![false; runs]));
                runs_of.len() - 1
            }
        };
        for (slot, v) in runs_of[i].1.iter_mut().zip(&s.values) {
            *slot |= v.is_some();
        }
    }
    let single = |seen: &Vec<bool>| seen.iter().filter(|x| **x).count() <= 1;
    if runs > 1 && runs_of.iter().all(|(_, seen)| single(seen)) {
        return Some(NothingChecked::EachRunOwnLabel { runs });
    }
    let most = trend
        .series
        .iter()
        .map(|s| s.present().len())
        .max()
        .unwrap_or(0);
    Some(NothingChecked::TooFewRuns {
        runs,
        most,
        needed: runs_needed(settings),
    })
}

/// Finds the change points of every series and judges them. With `fail_on_regression`, the
/// newest change of a series is a gate hit when it is a regression larger than that percentage.
pub fn check(trend: &Trend, settings: &Settings, fail_on_regression: Option<f64>) -> TrendCheck {
    let per_series = parallel::map(&trend.series, |s| series_changes(trend, s, settings));
    let mut out = TrendCheck::default();
    for (i, found) in per_series.into_iter().enumerate() {
        let Some(found) = found else { continue };
        out.series_checked += 1;
        let newest = found.len().checked_sub(1).map(|n| out.changes.len() + n);
        out.changes.extend(found.into_iter().map(|mut c| {
            c.series = i;
            c
        }));
        if let (Some(n), Some(pct)) = (newest, fail_on_regression) {
            let c = &out.changes[n];
            if c.kind == Kind::Regression && c.step.change_pct.abs() > pct {
                out.gate_hits.push(n);
            }
        }
    }
    out
}

/// The changes of one series; `None` when it has too few runs to test.
fn series_changes(trend: &Trend, s: &Series, settings: &Settings) -> Option<Vec<Change>> {
    let present = s.present();
    if present.len() < runs_needed(settings) {
        return None;
    }
    let x: Vec<f64> = present.iter().map(|(_, v)| *v).collect();
    let cps = e_divisive(&x, settings);
    let mut bounds: Vec<usize> = vec![0];
    bounds.extend(cps.iter().map(|c| c.index));
    bounds.push(x.len());
    let mut out = Vec::new();
    for (j, cp) in cps.iter().enumerate() {
        let (before, after) = (&x[bounds[j]..cp.index], &x[cp.index..bounds[j + 2]]);
        let Some(st) = step(before, after) else {
            continue;
        };
        // E-Divisive places a step within about one run: look one run either side.
        let from = present[cp.index.saturating_sub(2)].0;
        let to = present[(cp.index + 1).min(present.len() - 1)].0;
        let environment = environment_changes(&trend.runs[from..=to]);
        let kind = if !environment.is_empty() {
            Kind::Environment
        } else {
            match s.key.metric.direction().worse_sign() {
                None => Kind::Unjudged,
                Some(sign) if st.change_pct * sign > 0.0 => Kind::Regression,
                Some(_) => Kind::Improvement,
            }
        };
        out.push(Change {
            series: 0,
            first_bad: present[cp.index].0,
            last_good: present[cp.index - 1].0,
            step: st,
            pvalue: cp.pvalue,
            kind,
            environment,
        });
    }
    Some(out)
}

/// Fingerprint fields that differ between consecutive runs of `runs`: (name, before, after).
pub fn environment_changes(runs: &[TrendRun]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for pair in runs.windows(2) {
        if pair[0].fingerprint == pair[1].fingerprint {
            continue;
        }
        for (name, before) in &pair[0].environment {
            let after = pair[1]
                .environment
                .iter()
                .find(|(n, _)| n == name)
                .map_or("-", |(_, v)| v.as_str());
            if before != after {
                out.push((name.clone(), before.clone(), after.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Latency, Stat};

    fn run(i: usize, fingerprint: &str) -> TrendRun {
        TrendRun {
            run_id: format!("r{i}"),
            commit: Some(format!("c{i}")),
            branch: None,
            time: format!("2026-01-{:02}T00:00:00Z", i + 1),
            tags: Vec::new(),
            points: 1,
            fingerprint: fingerprint.into(),
            environment: vec![("driver".into(), fingerprint.into())],
        }
    }

    fn trend(values: &[f64], metric: Metric, fp_change_at: Option<usize>) -> Trend {
        let runs = (0..values.len())
            .map(|i| {
                run(
                    i,
                    if fp_change_at.is_some_and(|k| i >= k) {
                        "B"
                    } else {
                        "A"
                    },
                )
            })
            .collect();
        Trend {
            runs,
            series: vec![Series {
                key: SeriesKey {
                    label: "l".into(),
                    isl: Some(128),
                    osl: Some(64),
                    load: Load::Concurrency(8),
                    metric,
                },
                values: values.iter().map(|v| Some(*v)).collect(),
            }],
        }
    }

    /// 100 +- 1 for 12 runs, then 125 +- 1.
    fn stepped() -> Vec<f64> {
        let noise = [
            0.3, -0.8, 0.5, 1.0, -0.2, -1.1, 0.7, 0.0, -0.5, 0.9, -0.4, 0.2,
        ];
        let mut v: Vec<f64> = noise.iter().map(|n| 100.0 + n).collect();
        v.extend(noise.iter().rev().map(|n| 125.0 + n));
        v
    }

    #[test]
    fn a_latency_rise_is_a_regression_naming_first_bad_and_last_good() {
        let m = Metric::Latency(Latency::Ttft, Stat::Avg);
        let t = trend(&stepped(), m, None);
        let c = check(&t, &Settings::default(), Some(10.0));
        assert_eq!(c.changes.len(), 1, "{:?}", c.changes);
        let ch = &c.changes[0];
        assert_eq!(
            (ch.first_bad, ch.last_good, ch.kind),
            (12, 11, Kind::Regression)
        );
        assert!((ch.step.change_pct - 25.0).abs() < 1.0);
        assert!(ch.step.ci_pct.0 > 20.0 && ch.step.ci_pct.1 < 30.0);
        assert_eq!(c.gate_hits, vec![0]);
        // Beyond the threshold only.
        assert!(check(&t, &Settings::default(), Some(30.0))
            .gate_hits
            .is_empty());
    }

    #[test]
    fn a_check_that_tests_nothing_says_why() {
        let m = Metric::Latency(Latency::Ttft, Stat::Avg);
        let settings = Settings::default();
        let why = |t: &Trend| nothing_checked(t, &check(t, &settings, Some(10.0)), &settings);
        // 24 runs, each under its own label (one series per night, one value each).
        let mut own = trend(&stepped(), m, None);
        let template = own.series[0].clone();
        own.series = (0..24)
            .map(|i| {
                let mut s = template.clone();
                s.key.label = format!("night_{:02}", i + 1);
                s.values = (0..24).map(|j| (j == i).then_some(100.0)).collect();
                s
            })
            .collect();
        assert_eq!(
            why(&own),
            Some(NothingChecked::EachRunOwnLabel { runs: 24 })
        );
        // Three runs of one label: a check needs four.
        let short = trend(&[100.0, 101.0, 99.0], m, None);
        assert_eq!(
            why(&short),
            Some(NothingChecked::TooFewRuns {
                runs: 3,
                most: 3,
                needed: 4
            })
        );
        assert_eq!(why(&Trend::default()), Some(NothingChecked::NoRuns));
        let mut filtered = short.clone();
        filtered.series.clear();
        assert_eq!(why(&filtered), Some(NothingChecked::NoSeries));
        assert_eq!(why(&trend(&stepped(), m, None)), None);
    }

    #[test]
    fn the_same_rise_in_throughput_is_an_improvement() {
        let t = trend(&stepped(), Metric::RequestThroughput, None);
        let c = check(&t, &Settings::default(), Some(10.0));
        assert_eq!(c.changes[0].kind, Kind::Improvement);
        assert!(c.gate_hits.is_empty());
    }

    #[test]
    fn a_step_with_a_fingerprint_change_is_the_environment() {
        let m = Metric::Latency(Latency::Ttft, Stat::Avg);
        let c = check(
            &trend(&stepped(), m, Some(12)),
            &Settings::default(),
            Some(10.0),
        );
        assert_eq!(c.changes[0].kind, Kind::Environment);
        assert_eq!(
            c.changes[0].environment,
            vec![("driver".to_string(), "A".to_string(), "B".to_string())]
        );
        assert!(c.gate_hits.is_empty());
    }

    #[test]
    fn a_fingerprint_change_alone_is_never_a_regression_in_100_histories() {
        use rand::rngs::SmallRng;
        use rand::{Rng, SeedableRng};
        let m = Metric::Latency(Latency::Tpot, Stat::P99);
        let mut environment = 0;
        for seed in 0..100 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let at = rng.random_range(8..=22);
            // A new GPU driver at run `at` makes TPOT 20% slower; nothing else changes.
            let values: Vec<f64> = (0..30)
                .map(|i| (if i >= at { 120.0 } else { 100.0 }) * rng.random_range(0.95..1.05))
                .collect();
            let c = check(
                &trend(&values, m, Some(at)),
                &Settings::default(),
                Some(10.0),
            );
            assert!(c.gate_hits.is_empty(), "seed {seed}: {:?}", c.changes);
            assert!(
                c.changes.iter().all(|ch| ch.kind != Kind::Regression),
                "seed {seed}"
            );
            environment += c
                .changes
                .iter()
                .filter(|ch| ch.kind == Kind::Environment)
                .count()
                .min(1);
        }
        eprintln!("{environment} of 100 driver changes reported as environment changes");
        assert!(environment >= 95);
    }
}
