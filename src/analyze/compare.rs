//! Compare each label against the first (the baseline), point by point.
//!
//! Points align on (ISL, OSL, concurrency), or (ISL, OSL, max batch size) for points without a
//! concurrency (trtllm-bench throughput sweeps). For every judged metric both sides have:
//! absolute and relative delta and a verdict by the metric's direction.
//!
//! The run is the unit of evidence (see `evidence`): with at least 2 runs a side, a metric is
//! better or worse only when Welch's t on the per-run values says so at ALPHA, and the CI of
//! the change is reported. With one run on a side nothing is significant: the verdict is
//! "unverified", and a noise estimate (see `noise`) says whether the change is beyond what two
//! runs of one config show. The per-request tests (bootstrap, Mann-Whitney) see only the spread
//! inside one run, not the run-to-run drift of a real server, so they are kept as secondary
//! "within-run" evidence and never decide a verdict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::align::AlignKey;
use super::evidence::{self, change_test, ChangeTest, TestKind};
use super::noise::{Noise, NoiseSources};
use super::significance::{bootstrap_diffs, mann_whitney, DiffCi, MannWhitney};
use crate::model::{Direction, Latency, Metric, Point, Source, Stat};

pub use super::evidence::ALPHA;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    Same,
    /// Different, but not beyond the noise at the family's level.
    WithinNoise,
    /// Different, with nothing to test it against (a value <= 0 in a single run).
    Unverified,
}

/// What a verdict rests on: how many runs each side has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// At least 2 runs a side: Welch's t on the log of the per-run values.
    RunLevel,
    /// One run against 2 or more: the prediction interval of the many.
    OneVsMany,
    /// One run a side: judged against a run-to-run noise estimate (measured or default).
    SingleRun,
}

impl Evidence {
    fn of(runs: [usize; 2]) -> Evidence {
        match runs {
            [1, 1] => Evidence::SingleRun,
            [1, _] | [_, 1] => Evidence::OneVsMany,
            _ => Evidence::RunLevel,
        }
    }
}

/// Evidence from per-request data for one latency family.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Significance {
    pub mean_diff_ci95: Option<DiffCi>,
    pub median_diff_ci95: Option<DiffCi>,
    pub mann_whitney: Option<MannWhitney>,
}

/// One metric of one aligned pair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delta {
    pub metric: String,
    pub unit: &'static str,
    pub baseline: f64,
    pub value: f64,
    pub abs: f64,
    /// (value - baseline) / baseline in %, when the baseline is not 0.
    pub rel_pct: Option<f64>,
    /// How much worse than the baseline, in % (positive = worse), by the metric's direction:
    /// the direction of the change even where its verdict is unverified or within noise.
    pub worse_pct: Option<f64>,
    pub verdict: Verdict,
    /// Runs behind the baseline's and the label's value.
    pub runs: [usize; 2],
    pub evidence: Evidence,
    /// The test of the change; `None` when nothing could test it.
    pub test: Option<ChangeTest>,
    /// Whether the interval at `ci_level` excludes no change; `None` when not tested.
    pub significant: Option<bool>,
    /// The interval of the change in % of the baseline (a ratio: never below -100 %), at
    /// `ci_level`, the level the correction for the comparison's many tests sets.
    pub ci_pct: Option<[f64; 2]>,
    pub ci_level: Option<f64>,
    /// Two-sided p value of the test, before the correction for many tests.
    pub p_value: Option<f64>,
    /// The run-to-run noise of this metric here: measured, stated by a tool, given, or the
    /// default of its class.
    pub noise: Option<Noise>,
    /// With one run a side: the half-width of the interval in % (how far two single runs of
    /// one config land apart at this level), and whether this change lies beyond it.
    pub aa_band_pct: Option<f64>,
    pub beyond_aa_band: Option<bool>,
    /// When undecided: the repeats a side that would decide a true change of this size with
    /// 80 % power (against the gate's limit for a regression beyond it, else against no
    /// change); `None` when decided or beyond `MAX_REPEATS`.
    pub repeats_to_decide: Option<u32>,
    /// Secondary: whether the per-request samples of the two runs differ (bootstrap CI or
    /// Mann-Whitney); blind to run-to-run drift, so it never decides the verdict.
    pub within_run_significant: Option<bool>,
    #[serde(skip)]
    pub metric_id: Option<Metric>,
}

/// One aligned pair of points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlignedPair {
    pub key: AlignKey,
    pub baseline_path: String,
    pub path: String,
    pub deltas: Vec<Delta>,
    /// Per latency family (`ttft`, `tpot`, `e2el`), when both sides have per-request data.
    pub significance: BTreeMap<String, Significance>,
}

/// One label against the baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline: String,
    pub label: String,
    pub pairs: Vec<AlignedPair>,
    /// Points of the baseline with no partner in this label, and the reverse.
    pub only_in_baseline: Vec<AlignKey>,
    pub only_in_label: Vec<AlignKey>,
    /// Latency families the two sides' tools define differently (only when the tools differ).
    pub definitions: Vec<DefinitionNote>,
}

/// One latency family two tools compute differently: both definitions, side by side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DefinitionNote {
    /// `ttft`, `tpot`, `itl`, `e2el`.
    pub family: &'static str,
    pub baseline_tool: &'static str,
    pub baseline: &'static str,
    pub label_tool: &'static str,
    pub label: &'static str,
}

/// The latency families that the tools of two compared sides define differently, among those
/// both sides report.
pub fn definition_notes(baseline: &[&Point], other: &[&Point]) -> Vec<DefinitionNote> {
    let sources = |pts: &[&Point]| -> Vec<Source> {
        let mut s: Vec<Source> = pts.iter().map(|p| p.source).collect();
        s.sort();
        s.dedup();
        s
    };
    let has = |pts: &[&Point], lat: Latency| {
        pts.iter().any(|p| {
            Stat::ALL
                .iter()
                .any(|s| p.get(Metric::Latency(lat, *s)).is_some())
        })
    };
    let mut notes = Vec::new();
    for a in sources(baseline) {
        for b in sources(other).into_iter().filter(|b| *b != a) {
            for lat in Latency::ALL {
                let (da, db) = (a.latency_definition(lat), b.latency_definition(lat));
                if da != db && has(baseline, lat) && has(other, lat) {
                    notes.push(DefinitionNote {
                        family: lat.key(),
                        baseline_tool: a.name(),
                        baseline: da,
                        label_tool: b.name(),
                        label: db,
                    });
                }
            }
        }
    }
    notes
}

/// Compares `other` against `baseline`, both the points of one label.
pub fn compare(
    baseline_label: &str,
    baseline: &[&Point],
    label: &str,
    other: &[&Point],
    noise: &NoiseSources,
) -> Comparison {
    let by_key = |pts: &[&Point]| -> BTreeMap<AlignKey, Vec<usize>> {
        let mut m: BTreeMap<AlignKey, Vec<usize>> = BTreeMap::new();
        for (i, p) in pts.iter().enumerate() {
            m.entry(AlignKey::of(p)).or_default().push(i);
        }
        m
    };
    let (bk, ok) = (by_key(baseline), by_key(other));
    // Duplicates are warned about at ingest; the first of each side is compared.
    let work: Vec<(AlignKey, &Point, &Point)> = bk
        .iter()
        .filter_map(|(key, bi)| Some((*key, baseline[bi[0]], other[ok.get(key)?[0]])))
        .collect();
    let pairs = crate::util::parallel::map(&work, |(key, a, b)| pair(*key, a, b, noise));
    Comparison {
        baseline: baseline_label.to_string(),
        label: label.to_string(),
        pairs,
        only_in_baseline: bk.keys().filter(|k| !ok.contains_key(k)).copied().collect(),
        only_in_label: ok.keys().filter(|k| !bk.contains_key(k)).copied().collect(),
        definitions: definition_notes(baseline, other),
    }
}

fn pair(key: AlignKey, a: &Point, b: &Point, noise: &NoiseSources) -> AlignedPair {
    let mut significance = BTreeMap::new();
    if let (Some(ra), Some(rb)) = (&a.requests, &b.requests) {
        for lat in [Latency::Ttft, Latency::Tpot, Latency::E2el] {
            let (va, vb) = (ra.ok_values(lat), rb.ok_values(lat));
            if va.len() >= 2 && vb.len() >= 2 {
                let ci = bootstrap_diffs(&va, &vb);
                significance.insert(
                    lat.key().to_string(),
                    Significance {
                        mean_diff_ci95: ci.map(|c| c.0),
                        median_diff_ci95: ci.map(|c| c.1),
                        mann_whitney: mann_whitney(&va, &vb),
                    },
                );
            }
        }
    }
    let deltas = Metric::all()
        .into_iter()
        .filter(|m| m.direction() != Direction::Neutral)
        .filter_map(|m| {
            let mut d = delta(m, [a, b], noise.estimate(&key, m, [a, b]))?;
            d.within_run_significant = within_run(m, &significance);
            Some(d)
        })
        .collect();
    AlignedPair {
        key,
        baseline_path: a.path.display().to_string(),
        path: b.path.display().to_string(),
        deltas,
        significance,
    }
}

/// Whether the per-request samples of `m`'s family differ (secondary, within-run evidence).
fn within_run(m: Metric, sig: &BTreeMap<String, Significance>) -> Option<bool> {
    let Metric::Latency(lat, stat) = m else {
        return None;
    };
    let s = sig.get(lat.key())?;
    match stat {
        Stat::Avg => s.mean_diff_ci95.map(|ci| ci.excludes_zero()),
        Stat::P50 => s.median_diff_ci95.map(|ci| ci.excludes_zero()),
        // Tail percentiles: whether the distributions differ at all.
        _ => s.mann_whitney.map(|mw| mw.p_value < ALPHA),
    }
}

/// One metric of one aligned pair, judged on the per-run values of both sides at the
/// uncorrected (1 - ALPHA) level; [`super::family::correct`] judges it again at the level of
/// the whole comparison.
pub fn delta(m: Metric, sides: [&Point; 2], noise: Noise) -> Option<Delta> {
    let (base, value) = (sides[0].get(m)?, sides[1].get(m)?);
    let abs = value - base;
    let rel_pct = (base != 0.0).then(|| abs / base * 100.0);
    let worse_sign = m.direction().worse_sign()?;
    let runs = [sides[0].runs(), sides[1].runs()];
    let (base_runs, new_runs) = (sides[0].run_values(m), sides[1].run_values(m));
    // A point without per-run values (a tool's aggregate) stands as one run of its mean.
    let or_mean = |v: Vec<f64>, mean: f64| if v.is_empty() { vec![mean] } else { v };
    let test = change_test(
        &or_mean(base_runs, base),
        &or_mean(new_runs, value),
        Some(noise.cv),
    );
    let mut d = Delta {
        metric: m.name(),
        unit: m.unit(),
        baseline: base,
        value,
        abs,
        rel_pct,
        worse_pct: rel_pct.map(|r| r * worse_sign),
        verdict: Verdict::Unverified,
        runs,
        evidence: Evidence::of(runs),
        test,
        significant: None,
        ci_pct: None,
        ci_level: None,
        p_value: test.map(|t| t.p),
        noise: Some(noise),
        aa_band_pct: None,
        beyond_aa_band: None,
        repeats_to_decide: None,
        within_run_significant: None,
        metric_id: Some(m),
    };
    d.judge(1.0 - ALPHA, None);
    Some(d)
}

impl Delta {
    /// Sets the interval, significance and verdict at `level`; with a gate of `limit_pct`, an
    /// undecided regression beyond it plans repeats against that limit.
    pub fn judge(&mut self, level: f64, limit_pct: Option<f64>) {
        let Some(test) = self.test else {
            self.verdict = if self.abs == 0.0 {
                Verdict::Same
            } else {
                Verdict::Unverified
            };
            return;
        };
        let [lo, hi] = test.ci_pct(level);
        let significant = lo > 0.0 || hi < 0.0;
        self.ci_pct = Some([lo, hi]);
        self.ci_level = Some(level);
        self.significant = Some(significant);
        // The direction of the tested estimate (the geometric means' ratio), which the
        // interval is about.
        let improved = test.estimate * self.worse_sign() < 0.0;
        self.verdict = match (self.abs == 0.0, significant) {
            (true, _) => Verdict::Same,
            (false, false) => Verdict::WithinNoise,
            (false, true) if improved => Verdict::Better,
            (false, true) => Verdict::Worse,
        };
        if test.kind == TestKind::NoisePrior {
            let half = evidence::quantile(f64::INFINITY, 1.0 - (1.0 - level) / 2.0) * test.se;
            self.aa_band_pct = Some(evidence::ratio_pct(half));
            self.beyond_aa_band = Some(significant);
        }
        self.repeats_to_decide = match (self.verdict, self.noise) {
            (Verdict::WithinNoise, Some(noise)) => {
                let change = test.change_pct().abs();
                let margin = limit_pct.filter(|l| self.worse_pct.is_some_and(|w| w > *l));
                evidence::repeats_needed(noise.cv, change, margin.unwrap_or(0.0))
            }
            _ => None,
        };
    }

    /// +1 when higher values are worse, -1 when lower are.
    fn worse_sign(&self) -> f64 {
        self.metric_id
            .and_then(|m| m.direction().worse_sign())
            .unwrap_or(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analyze::gate;
    use crate::model::test_point as pt;

    #[test]
    fn aligns_judges_by_direction_and_lists_unaligned() {
        let base = [pt(1, 100.0, 10.0), pt(4, 200.0, 20.0)];
        let tuned = [pt(4, 150.0, 25.0), pt(8, 300.0, 30.0)];
        let c = compare(
            "b",
            &base.iter().collect::<Vec<_>>(),
            "t",
            &tuned.iter().collect::<Vec<_>>(),
            &NoiseSources::default(),
        );
        assert_eq!(c.pairs.len(), 1);
        let d = &c.pairs[0].deltas;
        let ttft = d.iter().find(|d| d.metric == "ttft_avg_ms").unwrap();
        // One run a side, judged against the default 15 % run-to-run noise: -25 % is within it
        // (scipy: 2 * st.norm.sf(abs(np.log(0.75)) / (np.sqrt(2) * np.sqrt(np.log(1.0225))))
        // = 0.173).
        assert_eq!(
            (ttft.abs, ttft.rel_pct, ttft.verdict),
            (-50.0, Some(-25.0), Verdict::WithinNoise)
        );
        assert_eq!(
            (ttft.runs, ttft.evidence, ttft.significant),
            ([1, 1], Evidence::SingleRun, Some(false))
        );
        assert!((ttft.p_value.unwrap() - 0.172_654_084_948_720_03).abs() < 1e-9);
        assert_eq!(
            ttft.noise.unwrap().from,
            crate::analyze::noise::NoiseFrom::Default
        );
        let tput = d.iter().find(|d| d.metric == "request_throughput").unwrap();
        assert_eq!(tput.rel_pct, Some(25.0));
        assert_eq!(c.only_in_baseline.len(), 1);
        assert_eq!(c.only_in_label[0].concurrency, Some(8));
        // Reversed, both deltas are regressions, of 33 % and 20 %: within the default noise,
        // beyond a 1 % noise floor. There the 95 % interval of the throughput's change is 17.75 %
        // to 22.19 % worse and the TTFT's starts at 29.69 % (scipy: z = st.norm.ppf(0.975),
        // se = sqrt(2) * sqrt(log(1 + 0.01**2)); (1 - exp(log(0.8) + z * se)) * 100, ...).
        let reversed = |noise: &NoiseSources| {
            compare(
                "t",
                &tuned.iter().collect::<Vec<_>>(),
                "b",
                &base.iter().collect::<Vec<_>>(),
                noise,
            )
        };
        let r = reversed(&NoiseSources::default());
        assert!(gate::regressions(&r, 5.0).is_empty());
        assert_eq!(gate::unjudged(&r), 0);
        let floor = NoiseSources {
            floor_cv: Some(0.01),
            ..NoiseSources::default()
        };
        let r = reversed(&floor);
        assert_eq!(gate::regressions(&r, 5.0).len(), 2);
        assert_eq!(gate::regressions(&r, 17.7).len(), 2);
        assert_eq!(gate::regressions(&r, 17.8).len(), 1);
        assert_eq!(gate::regressions(&r, 29.6).len(), 1);
        assert_eq!(gate::regressions(&r, 29.7).len(), 0);
    }

    /// A trtllm-bench throughput point: no concurrency, a max batch size.
    fn bs_point(bs: u64, tput: f64) -> Point {
        let mut p = pt(1, 100.0, tput);
        p.concurrency = None;
        (p.isl, p.osl) = (Some(128), Some(64));
        p.extra.insert("max_batch_size".into(), bs.to_string());
        p
    }

    #[test]
    fn points_without_concurrency_align_on_max_batch_size() {
        let base = [bs_point(32, 10.0), bs_point(64, 20.0)];
        let other = [bs_point(64, 22.0), bs_point(128, 30.0)];
        let c = compare(
            "pytorch",
            &base.iter().collect::<Vec<_>>(),
            "_autodeploy",
            &other.iter().collect::<Vec<_>>(),
            &NoiseSources::default(),
        );
        assert_eq!(c.pairs.len(), 1);
        assert_eq!(c.pairs[0].key.max_batch_size, Some(64));
        assert_eq!(c.pairs[0].key.to_string(), "isl 128 osl 64 bs 64");
        let tput = c.pairs[0]
            .deltas
            .iter()
            .find(|d| d.metric == "request_throughput")
            .unwrap();
        assert_eq!((tput.baseline, tput.value), (20.0, 22.0));
        assert_eq!(c.only_in_label[0].to_string(), "isl 128 osl 64 bs 128");
        // With a concurrency, the batch size is a fact, not the axis.
        let mut p = bs_point(64, 1.0);
        p.concurrency = Some(8);
        assert_eq!(AlignKey::of(&p).max_batch_size, None);
        assert_eq!(AlignKey::of(&p).to_string(), "isl 128 osl 64 conc 8");
    }
}
