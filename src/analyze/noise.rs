//! Run-to-run noise of one config, per metric and load point: where a comparison gets it from
//! when it needs it (single-run verdicts, the gate's single-run rule, the power estimate).
//!
//! In this order: the compared points' own repeats; else the run-to-run CV a tool's summary of
//! its repeats states (aiperf's `aggregate/`, when the runs are missing); else a noise file written by
//! `adreport noise RUNS...` (repeats of one config measured earlier); else `--noise-floor PCT`,
//! one CV for every metric.
//!
//! The noise file is JSON:
//! ```json
//! {"format": "adreport-noise", "version": 1,
//!  "points": [{"isl": 512, "osl": 128, "concurrency": 4,
//!              "metrics": {"ttft_avg_ms": {"cv": 0.031, "runs": 3}, ...}}]}
//! ```
//! `cv` is the run-to-run coefficient of variation (sample std / mean over runs, a fraction),
//! `runs` how many runs it came from; points without a concurrency carry `max_batch_size`.
//! Several labels given to `adreport noise` are pooled per point (weighted by runs - 1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::align::AlignKey;
use super::evidence::{pooled_cv, run_cv};
use crate::model::{Metric, Point};

pub const FORMAT: &str = "adreport-noise";
pub const VERSION: u32 = 1;

/// Where a noise estimate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseFrom {
    /// The compared points' own repeats.
    Repeats,
    /// The run-to-run CV a tool's summary of repeats states (aiperf's `aggregate/`) for a
    /// point whose separate runs are missing.
    ToolAggregate,
    /// `--noise FILE`.
    NoiseFile,
    /// `--noise-floor PCT`.
    NoiseFloor,
    /// Nothing measured: the default run-to-run CV of the metric's class ([`default_cv`]).
    Default,
}

/// How a noise file's entry was matched to a point of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseMatch {
    /// Measured at this very load point.
    Exact,
    /// Interpolated (in log concurrency or batch size) between the measured loads around it.
    Interpolated,
    /// Outside the measured loads: the nearest one's CV.
    Extrapolated,
}

/// The default run-to-run CV of means and throughputs (a fraction), used for single runs when
/// nothing was measured. From real H100 repeats (six runs of one config at concurrency 1, 2 and
/// 4, sd of the log values): means and throughputs moved 6.8-11.5 %, so 15 % covers them with
/// room to spare.
pub const DEFAULT_CV_MEANS: f64 = 0.15;
/// The default run-to-run CV of percentiles (p50 to p99): the same repeats moved 3-23 %
/// (ttft_p99 22.7 %, itl_p50 19.4 %), so 25 %.
pub const DEFAULT_CV_PERCENTILES: f64 = 0.25;

/// The default run-to-run CV of a metric: [`DEFAULT_CV_PERCENTILES`] for latency percentiles,
/// [`DEFAULT_CV_MEANS`] for everything else judged (means, throughputs, energy, cost).
pub fn default_cv(m: Metric) -> f64 {
    match m {
        Metric::Latency(_, s) if s.quantile().is_some() => DEFAULT_CV_PERCENTILES,
        _ => DEFAULT_CV_MEANS,
    }
}

/// A run-to-run CV (a fraction) and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Noise {
    pub cv: f64,
    pub from: NoiseFrom,
    /// For a noise file: how its entries were matched to this point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<NoiseMatch>,
}

impl Noise {
    fn new(cv: f64, from: NoiseFrom) -> Noise {
        Noise {
            cv,
            from,
            matched: None,
        }
    }
}

/// One metric's run-to-run spread at one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricNoise {
    pub cv: f64,
    pub runs: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoisePoint {
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u64>,
    pub metrics: BTreeMap<String, MetricNoise>,
}

impl NoisePoint {
    fn key(&self) -> AlignKey {
        AlignKey {
            isl: self.isl,
            osl: self.osl,
            concurrency: self.concurrency,
            max_batch_size: self.max_batch_size,
            request_rate: None,
        }
    }
}

/// The contents of a noise file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseTable {
    pub format: String,
    pub version: u32,
    pub points: Vec<NoisePoint>,
}

impl NoiseTable {
    /// The run-to-run CV of every metric at every point that was measured at least twice,
    /// pooled over the points (labels) that share a load point.
    pub fn from_points(points: &[Point]) -> NoiseTable {
        let mut by_key: BTreeMap<AlignKey, BTreeMap<String, Vec<(f64, usize)>>> = BTreeMap::new();
        for p in points.iter().filter(|p| p.runs() >= 2) {
            // The noise file has no rate: a point is found by its workload and load alone.
            let key = AlignKey {
                request_rate: None,
                ..AlignKey::of(p)
            };
            let entry = by_key.entry(key).or_default();
            for m in p.metrics.keys() {
                let values = p.run_values(*m);
                if let Some(cv) = run_cv(&values) {
                    entry.entry(m.name()).or_default().push((cv, values.len()));
                }
            }
        }
        let points = by_key
            .into_iter()
            .filter(|(_, metrics)| !metrics.is_empty())
            .map(|(key, metrics)| NoisePoint {
                isl: key.isl,
                osl: key.osl,
                concurrency: key.concurrency,
                max_batch_size: key.max_batch_size,
                metrics: metrics
                    .into_iter()
                    .filter_map(|(name, cvs)| {
                        Some((
                            name,
                            MetricNoise {
                                cv: pooled_cv(&cvs)?,
                                runs: cvs.iter().map(|c| c.1).sum(),
                            },
                        ))
                    })
                    .collect(),
            })
            .collect();
        NoiseTable {
            format: FORMAT.into(),
            version: VERSION,
            points,
        }
    }

    /// Parses a noise file's text; the error names the problem (the caller adds the path).
    pub fn parse(text: &str) -> Result<NoiseTable, String> {
        let t: NoiseTable = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if t.format != FORMAT {
            return Err(format!(
                "field `format` is {:?}, expected {FORMAT:?} (a file written by `adreport noise`)",
                t.format
            ));
        }
        if t.version != VERSION {
            return Err(format!(
                "field `version` is {}, this adreport reads version {VERSION}",
                t.version
            ));
        }
        for p in &t.points {
            for (name, m) in &p.metrics {
                if Metric::from_name(name).is_none() {
                    return Err(format!("unknown metric `{name}` in `metrics`"));
                }
                if !(m.cv.is_finite() && m.cv >= 0.0) {
                    return Err(format!("`{name}.cv` must be a number >= 0, got {}", m.cv));
                }
            }
        }
        Ok(t)
    }

    /// The CV of `m` at `key`: the entry of that point, else interpolated in log load between
    /// the measured loads of the same workload (ISL, OSL) around it, else the nearest measured
    /// load's (extrapolated). Points of another workload are used only when the file has none
    /// of this one.
    fn lookup(&self, key: &AlignKey, m: Metric) -> Option<(f64, NoiseMatch)> {
        let name = m.name();
        // A noise file has no request rates: a point set to a rate matches on the rest.
        let key = &AlignKey {
            request_rate: None,
            ..*key
        };
        let load = |k: &AlignKey| k.concurrency.or(k.max_batch_size);
        let same_axis = |k: &AlignKey| {
            k.concurrency.is_some() == key.concurrency.is_some()
                && k.max_batch_size.is_some() == key.max_batch_size.is_some()
        };
        let measured: Vec<(AlignKey, f64)> = self
            .points
            .iter()
            .filter_map(|p| Some((p.key(), p.metrics.get(&name)?.cv)))
            .filter(|(k, _)| same_axis(k))
            .collect();
        if let Some((_, cv)) = measured.iter().find(|(k, _)| k == key) {
            return Some((*cv, NoiseMatch::Exact));
        }
        let workload = |k: &AlignKey| (k.isl, k.osl) == (key.isl, key.osl);
        let pool: Vec<(f64, f64)> = if measured.iter().any(|(k, _)| workload(k)) {
            measured
                .iter()
                .filter(|(k, _)| workload(k))
                .collect::<Vec<_>>()
        } else {
            measured.iter().collect()
        }
        .into_iter()
        .filter_map(|(k, cv)| Some(((load(k)? as f64).max(1.0).ln(), *cv)))
        .collect();
        let at = (load(key)? as f64).max(1.0).ln();
        let below = pool
            .iter()
            .filter(|(x, _)| *x <= at)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let above = pool
            .iter()
            .filter(|(x, _)| *x >= at)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match (below, above) {
            (Some(&(x0, c0)), Some(&(x1, c1))) if x1 > x0 => Some((
                c0 + (c1 - c0) * (at - x0) / (x1 - x0),
                NoiseMatch::Interpolated,
            )),
            // Several entries at this load (other workloads): pooled as equals.
            (Some(&(x0, _)), Some(_)) => {
                let same: Vec<(f64, usize)> = pool
                    .iter()
                    .filter(|(x, _)| *x == x0)
                    .map(|(_, cv)| (*cv, 2))
                    .collect();
                Some((pooled_cv(&same)?, NoiseMatch::Interpolated))
            }
            (Some(&(_, c)), None) | (None, Some(&(_, c))) => Some((c, NoiseMatch::Extrapolated)),
            (None, None) => None,
        }
    }
}

/// Where noise estimates come from besides the compared points' own repeats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoiseSources {
    /// `--noise FILE`.
    pub table: Option<NoiseTable>,
    /// `--noise-floor PCT`, as a fraction.
    pub floor_cv: Option<f64>,
}

impl NoiseSources {
    /// The noise of `m` at one aligned pair: the pooled CV of the sides measured at least
    /// twice, else the CV a tool's summary of repeats states, else the noise file's entry for
    /// the point (matched across loads), else the floor, else the metric's default.
    pub fn estimate(&self, key: &AlignKey, m: Metric, sides: [&Point; 2]) -> Noise {
        let own: Vec<(f64, usize)> = sides
            .iter()
            .filter_map(|p| {
                let v = p.run_values(m);
                Some((run_cv(&v)?, v.len()))
            })
            .collect();
        if let Some(cv) = pooled_cv(&own) {
            return Noise::new(cv, NoiseFrom::Repeats);
        }
        // The summary does not say how many runs: each side counts as two.
        let stated: Vec<(f64, usize)> = sides
            .iter()
            .filter_map(|p| Some((p.aggregate_cv(m)?, 2)))
            .collect();
        if let Some(cv) = pooled_cv(&stated) {
            return Noise::new(cv, NoiseFrom::ToolAggregate);
        }
        if let Some((cv, matched)) = self.table.as_ref().and_then(|t| t.lookup(key, m)) {
            return Noise {
                matched: Some(matched),
                ..Noise::new(cv, NoiseFrom::NoiseFile)
            };
        }
        match self.floor_cv {
            Some(cv) => Noise::new(cv, NoiseFrom::NoiseFloor),
            None => Noise::new(default_cv(m), NoiseFrom::Default),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{test_point, Latency, Stat};

    const TTFT: Metric = Metric::Latency(Latency::Ttft, Stat::Avg);

    fn repeated(c: u64, ttfts: &[f64]) -> Point {
        Point::from_repeats(ttfts.iter().map(|t| test_point(c, *t, 1.0)).collect()).unwrap()
    }

    #[test]
    fn noise_file_round_trips_and_is_used_after_own_repeats() {
        // numpy: np.std([146.6,151.2,139.8], ddof=1) / np.mean([146.6,151.2,139.8])
        let table = NoiseTable::from_points(&[repeated(4, &[146.6, 151.2, 139.8])]);
        let cv = table.points[0].metrics["ttft_avg_ms"];
        assert!((cv.cv - 0.039_318_585_400_371_26).abs() < 1e-12);
        assert_eq!(cv.runs, 3);
        let text = serde_json::to_string(&table).unwrap();
        let back = NoiseTable::parse(&text).unwrap();
        assert_eq!(back, table);
        let sources = NoiseSources {
            table: Some(back),
            floor_cv: Some(0.5),
        };
        let single = test_point(4, 100.0, 1.0);
        let key = AlignKey::of(&single);
        let est = sources.estimate(&key, TTFT, [&single, &single]);
        assert_eq!(
            (est.cv, est.from, est.matched),
            (cv.cv, NoiseFrom::NoiseFile, Some(NoiseMatch::Exact))
        );
        // Another concurrency: the file's only load, extrapolated.
        let other = test_point(8, 100.0, 1.0);
        let est = sources.estimate(&AlignKey::of(&other), TTFT, [&other, &other]);
        assert_eq!(
            (est.cv, est.from, est.matched),
            (cv.cv, NoiseFrom::NoiseFile, Some(NoiseMatch::Extrapolated))
        );
        // A metric the file lacks: the floor.
        let tput = sources.estimate(&key, Metric::OutputTokenThroughput, [&single, &single]);
        assert_eq!((tput.cv, tput.from), (0.5, NoiseFrom::NoiseFloor));
        // A tool's stated run-to-run CV comes before the file.
        let mut summarised = test_point(4, 100.0, 1.0);
        summarised.runs_summary = Some(crate::model::RunsSummary {
            runs: 3,
            cv: [(TTFT, 0.07)].into(),
        });
        let est = sources.estimate(&key, TTFT, [&single, &summarised]);
        assert_eq!((est.cv, est.from), (0.07, NoiseFrom::ToolAggregate));
        // Own repeats win over the file.
        let rep = repeated(4, &[10.0, 12.0]);
        let est = sources.estimate(&key, TTFT, [&rep, &single]);
        assert_eq!(est.from, NoiseFrom::Repeats);
        assert!((est.cv - run_cv(&[10.0, 12.0]).unwrap()).abs() < 1e-15);
        // Nothing at all: the metric's default.
        let est = NoiseSources::default().estimate(&key, TTFT, [&single, &single]);
        assert_eq!((est.cv, est.from), (DEFAULT_CV_MEANS, NoiseFrom::Default));
        let p99 = Metric::Latency(Latency::Ttft, Stat::P99);
        let est = NoiseSources::default().estimate(&key, p99, [&single, &single]);
        assert_eq!(est.cv, DEFAULT_CV_PERCENTILES);
    }

    #[test]
    fn a_noise_file_covers_the_loads_between_its_points() {
        // Measured at concurrency 1 (CV 10 %) and 16 (CV 30 %): at 4, halfway in log2
        // concurrency (2 of 4 doublings), the CV is 10 + (30 - 10) * 2/4 = 20 %.
        let file = |c: u64, cv: f64| NoisePoint {
            isl: Some(512),
            osl: Some(128),
            concurrency: Some(c),
            max_batch_size: None,
            metrics: [("ttft_avg_ms".to_string(), MetricNoise { cv, runs: 3 })].into(),
        };
        let sources = NoiseSources {
            table: Some(NoiseTable {
                format: FORMAT.into(),
                version: VERSION,
                points: vec![file(1, 0.10), file(16, 0.30)],
            }),
            floor_cv: None,
        };
        let at = |c: u64| {
            let mut p = test_point(c, 100.0, 1.0);
            (p.isl, p.osl) = (Some(512), Some(128));
            sources.estimate(&AlignKey::of(&p), TTFT, [&p, &p])
        };
        let mid = at(4);
        assert!((mid.cv - 0.20).abs() < 1e-12, "{}", mid.cv);
        assert_eq!(mid.matched, Some(NoiseMatch::Interpolated));
        assert_eq!((at(16).cv, at(16).matched), (0.30, Some(NoiseMatch::Exact)));
        assert_eq!(
            (at(64).cv, at(64).matched),
            (0.30, Some(NoiseMatch::Extrapolated))
        );
        // Another workload is used only when the file has none of this one.
        let mut other = test_point(4, 100.0, 1.0);
        (other.isl, other.osl) = (Some(128), Some(64));
        let est = sources.estimate(&AlignKey::of(&other), TTFT, [&other, &other]);
        assert!((est.cv - 0.20).abs() < 1e-12);
    }

    #[test]
    fn bad_noise_files_say_what_is_wrong() {
        assert!(NoiseTable::parse("{}").unwrap_err().contains("format"));
        let wrong = r#"{"format": "x", "version": 1, "points": []}"#;
        assert!(NoiseTable::parse(wrong)
            .unwrap_err()
            .contains("adreport noise"));
        let bad = r#"{"format": "adreport-noise", "version": 1, "points": [{"isl": 1, "osl": 1,
            "concurrency": 1, "metrics": {"nope": {"cv": 0.1, "runs": 2}}}]}"#;
        assert!(NoiseTable::parse(bad)
            .unwrap_err()
            .contains("unknown metric `nope`"));
    }
}
