//! Compare each label against the first (the baseline), point by point.
//!
//! Points align on (ISL, OSL, concurrency), or (ISL, OSL, max batch size) for points without a
//! concurrency (trtllm-bench throughput sweeps). For every judged metric both sides have:
//! absolute and relative delta and a verdict by the metric's direction. Where both
//! sides have per-request data, the verdict also asks whether the difference is real.

use std::collections::BTreeMap;

use serde::Serialize;

use super::significance::{bootstrap_diffs, mann_whitney, DiffCi, MannWhitney};
use crate::model::{Direction, Latency, Load, Metric, Point, Stat};

/// Significance level for "within noise".
pub const ALPHA: f64 = 0.05;

/// (ISL, OSL, concurrency) of a point; without a concurrency, its max batch size stands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AlignKey {
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrency: Option<u64>,
    /// Only for points without a concurrency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u64>,
}

impl AlignKey {
    pub fn of(p: &Point) -> AlignKey {
        AlignKey {
            isl: p.isl,
            osl: p.osl,
            concurrency: p.load().and_then(Load::concurrency),
            max_batch_size: p.load().and_then(Load::batch_size),
        }
    }
}

impl std::fmt::Display for AlignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        write!(f, "isl {} osl {} ", o(self.isl), o(self.osl))?;
        match (self.concurrency, self.max_batch_size) {
            (None, Some(bs)) => write!(f, "bs {bs}"),
            (c, _) => write!(f, "conc {}", o(c)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    Same,
    /// Different, but not significantly so given the per-request data.
    WithinNoise,
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
    pub verdict: Verdict,
    /// Whether per-request data decided the verdict: `Some(true)` significant,
    /// `Some(false)` within noise, `None` not known (no per-request data for this metric).
    pub significant: Option<bool>,
    #[serde(skip)]
    pub metric_id: Option<Metric>,
}

impl Delta {
    /// How much worse than the baseline, in % (positive = worse), by the metric's direction.
    pub fn worse_pct(&self) -> Option<f64> {
        let rel = self.rel_pct?;
        match self.metric_id.map(Metric::direction) {
            Some(Direction::LowerIsBetter) => Some(rel),
            Some(Direction::HigherIsBetter) => Some(-rel),
            _ => None,
        }
    }
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
}

/// Compares `other` against `baseline`, both the points of one label.
pub fn compare(
    baseline_label: &str,
    baseline: &[&Point],
    label: &str,
    other: &[&Point],
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
    let pairs = crate::parallel::map(&work, |(key, a, b)| pair(*key, a, b));
    Comparison {
        baseline: baseline_label.to_string(),
        label: label.to_string(),
        pairs,
        only_in_baseline: bk.keys().filter(|k| !ok.contains_key(k)).copied().collect(),
        only_in_label: ok.keys().filter(|k| !bk.contains_key(k)).copied().collect(),
    }
}

fn pair(key: AlignKey, a: &Point, b: &Point) -> AlignedPair {
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
        .filter_map(|m| delta(m, a.get(m)?, b.get(m)?, &significance))
        .collect();
    AlignedPair {
        key,
        baseline_path: a.path.display().to_string(),
        path: b.path.display().to_string(),
        deltas,
        significance,
    }
}

/// Whether per-request evidence says the difference in `m` is real.
fn is_significant(m: Metric, sig: &BTreeMap<String, Significance>) -> Option<bool> {
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

fn delta(m: Metric, base: f64, value: f64, sig: &BTreeMap<String, Significance>) -> Option<Delta> {
    let abs = value - base;
    let rel_pct = (base != 0.0).then(|| abs / base * 100.0);
    let significant = is_significant(m, sig);
    let improved = match m.direction() {
        Direction::LowerIsBetter => abs < 0.0,
        Direction::HigherIsBetter => abs > 0.0,
        Direction::Neutral => return None,
    };
    let verdict = if abs == 0.0 {
        Verdict::Same
    } else if significant == Some(false) {
        Verdict::WithinNoise
    } else if improved {
        Verdict::Better
    } else {
        Verdict::Worse
    };
    Some(Delta {
        metric: m.name(),
        unit: m.unit(),
        baseline: base,
        value,
        abs,
        rel_pct,
        verdict,
        significant,
        metric_id: Some(m),
    })
}

/// Deltas that break a `--fail-on-regression PCT` gate: worse by more than `pct` and not within noise.
pub fn regressions(c: &Comparison, pct: f64) -> Vec<(AlignKey, &Delta)> {
    c.pairs
        .iter()
        .flat_map(|p| p.deltas.iter().map(move |d| (p.key, d)))
        .filter(|(_, d)| d.verdict == Verdict::Worse && d.worse_pct().is_some_and(|w| w > pct))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        );
        assert_eq!(c.pairs.len(), 1);
        let d = &c.pairs[0].deltas;
        let ttft = d.iter().find(|d| d.metric == "ttft_avg_ms").unwrap();
        assert_eq!(
            (ttft.abs, ttft.rel_pct, ttft.verdict),
            (-50.0, Some(-25.0), Verdict::Better)
        );
        let tput = d.iter().find(|d| d.metric == "request_throughput").unwrap();
        assert_eq!((tput.rel_pct, tput.verdict), (Some(25.0), Verdict::Better));
        assert_eq!(c.only_in_baseline.len(), 1);
        assert_eq!(c.only_in_label[0].concurrency, Some(8));
        // Reversed, both deltas are regressions of 33% and 20%.
        let r = compare(
            "t",
            &tuned.iter().collect::<Vec<_>>(),
            "b",
            &base.iter().collect::<Vec<_>>(),
        );
        assert_eq!(regressions(&r, 5.0).len(), 2);
        assert_eq!(regressions(&r, 25.0).len(), 1);
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
