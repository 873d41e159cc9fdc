//! Properties of comparisons and SLA verdicts, on the bundled real samples:
//! - `compare A A` finds no significant difference and only zero deltas;
//! - swapping baseline and tuned flips the sign of every delta (and better <-> worse);
//! - SLA verdicts are monotone in the thresholds: a looser limit never turns a pass into a fail
//!   (per point, per series capacity, and per request in goodput).

use serde_json::Value;

use adreport::analyze::capacity::capacity;
use adreport::analyze::compare::{compare, regressions, Comparison, Verdict, ALPHA};
use adreport::analyze::goodput::goodput;
use adreport::analyze::sla::Sla;
use adreport::ingest::{load, IngestOptions, Input};
use adreport::model::{Latency, Metric, Point, Stat, Sweep};

mod common;
use common::{adreport, json_of, repo, text, ROOT};

/// Every bundled sample tree, each loaded as one sweep.
const SAMPLES: [&str; 5] = [
    "sample-results/aiperf",
    "sample-results/benchmark_serving",
    "sample-results/trtllm-bench",
    "sample-results/genai-perf",
    "sample-results/aiconfigurator",
];

fn sweep(inputs: &[(&str, &str)]) -> Sweep {
    let inputs: Vec<Input> = inputs
        .iter()
        .map(|(label, dir)| Input {
            label: (!label.is_empty()).then(|| label.to_string()),
            path: repo(dir),
        })
        .collect();
    load(&inputs, &IngestOptions::default()).unwrap()
}

fn by_label<'a>(s: &'a Sweep, label: &str) -> Vec<&'a Point> {
    s.points.iter().filter(|p| p.label == label).collect()
}

/// Each series of a sample, loaded twice (as `a` and `b`), compared with its twin.
#[test]
fn compare_a_with_itself_finds_nothing() {
    let mut deltas = 0;
    for dir in SAMPLES {
        let s = sweep(&[("a", dir), ("b", dir)]);
        let twins: Vec<(String, String)> = s
            .labels()
            .into_iter()
            .filter_map(|l| Some((l.clone(), format!("b{}", l.strip_prefix('a')?))))
            .collect();
        assert!(!twins.is_empty(), "{dir}");
        for (a, b) in twins {
            let c = compare(&a, &by_label(&s, &a), &b, &by_label(&s, &b));
            deltas += assert_no_difference(dir, &c);
            // As the report sees it: a gate of 0% trips on nothing.
            assert!(regressions(&c, 0.0).is_empty(), "{dir} {a}");
        }
    }
    assert!(deltas > 1000, "only {deltas} deltas");
}

fn assert_no_difference(dir: &str, c: &Comparison) -> usize {
    assert!(!c.pairs.is_empty(), "{dir} {}: nothing aligned", c.label);
    assert!(
        c.only_in_baseline.is_empty() && c.only_in_label.is_empty(),
        "{dir}"
    );
    let mut n = 0;
    for pair in &c.pairs {
        assert!(!pair.deltas.is_empty(), "{dir} {}", pair.key);
        for d in &pair.deltas {
            let at = format!("{dir} {} {} {}", c.label, pair.key, d.metric);
            assert_eq!(d.abs, 0.0, "{at}");
            assert!(d.rel_pct.is_none_or(|r| r == 0.0), "{at}");
            assert_eq!(d.verdict, Verdict::Same, "{at}");
            assert_ne!(d.significant, Some(true), "{at}");
            n += 1;
        }
        for (fam, sig) in &pair.significance {
            for ci in [sig.mean_diff_ci95, sig.median_diff_ci95]
                .into_iter()
                .flatten()
            {
                assert_eq!(ci.estimate, 0.0, "{dir} {fam}");
                assert!(!ci.excludes_zero(), "{dir} {fam}: {ci:?}");
            }
            if let Some(mw) = sig.mann_whitney {
                assert!(mw.p_value >= ALPHA, "{dir} {fam}: {mw:?}");
            }
        }
    }
    n
}

/// The binary agrees: `compare A A --fail-on-regression 0` exits 0 with no worse delta.
#[test]
fn compare_cli_a_with_itself_passes_a_zero_regression_gate() {
    let out_dir = tempfile::tempdir().unwrap();
    let a = format!("{ROOT}/sample-results/aiperf/tuned");
    let out = adreport(&[
        "compare",
        &format!("a={a}"),
        &format!("b={a}"),
        "--fail-on-regression",
        "0",
        "-o",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let findings = json_of(&out_dir.path().join("findings.json"));
    let deltas: Vec<&Value> = findings["comparisons"][0]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["deltas"].as_array().unwrap())
        .collect();
    assert!(deltas.len() > 20);
    assert!(deltas
        .iter()
        .all(|d| d["abs"] == 0.0 && d["verdict"] == "same"));
}

fn flipped(v: Verdict) -> Verdict {
    match v {
        Verdict::Better => Verdict::Worse,
        Verdict::Worse => Verdict::Better,
        other => other,
    }
}

/// `c` and `r` compare the same two labels the other way round.
fn assert_mirrored(c: &Comparison, r: &Comparison) -> usize {
    assert_eq!(c.pairs.len(), r.pairs.len());
    assert_eq!(c.only_in_baseline, r.only_in_label);
    let mut n = 0;
    for (p, q) in c.pairs.iter().zip(&r.pairs) {
        assert_eq!(p.key, q.key);
        assert_eq!(p.deltas.len(), q.deltas.len(), "{}", p.key);
        for (d, e) in p.deltas.iter().zip(&q.deltas) {
            let at = format!("{} vs {} at {} {}", c.label, c.baseline, p.key, d.metric);
            assert_eq!(d.metric, e.metric);
            assert_eq!((d.baseline, d.value), (e.value, e.baseline), "{at}");
            assert_eq!(d.abs, -e.abs, "{at}");
            if let (Some(x), Some(y)) = (d.rel_pct, e.rel_pct) {
                assert!(
                    x == 0.0 && y == 0.0 || x.signum() == -y.signum(),
                    "{at}: {x} / {y}"
                );
            }
            assert_eq!(
                d.significant, e.significant,
                "{at}: significance is not symmetric"
            );
            assert_eq!(d.verdict, flipped(e.verdict), "{at}");
            n += 1;
        }
        for (fam, s) in &p.significance {
            let t = &q.significance[fam];
            for (a, b) in [
                (s.mean_diff_ci95, t.mean_diff_ci95),
                (s.median_diff_ci95, t.median_diff_ci95),
            ] {
                let (a, b) = (a.unwrap(), b.unwrap());
                assert_eq!(a.estimate, -b.estimate, "{fam}");
                assert_eq!(a.excludes_zero(), b.excludes_zero(), "{fam}");
            }
            let (a, b) = (s.mann_whitney.unwrap(), t.mann_whitney.unwrap());
            assert!((a.p_value - b.p_value).abs() < 1e-12, "{fam}");
        }
    }
    n
}

#[test]
fn swapping_baseline_and_tuned_flips_every_delta() {
    let mut checked = 0;
    // The real A/B pair, plus every pair of labels within each sample tree.
    let mut sweeps = vec![sweep(&[
        ("baseline", "sample-results/aiperf/baseline"),
        ("tuned", "sample-results/aiperf/tuned"),
    ])];
    sweeps.extend(SAMPLES.iter().map(|d| sweep(&[("", d)])));
    for s in &sweeps {
        let labels = s.labels();
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                let (pa, pb) = (by_label(s, a), by_label(s, b));
                let c = compare(a, &pa, b, &pb);
                let r = compare(b, &pb, a, &pa);
                checked += assert_mirrored(&c, &r);
            }
        }
    }
    assert!(checked > 300, "only {checked} deltas compared");
}

/// Limits from below the smallest to above the largest value seen, so every verdict changes.
fn limits(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let mut out = vec![v.first().copied().unwrap_or(1.0) * 0.5];
    for w in v.windows(2) {
        out.push(w[0]);
        out.push((w[0] + w[1]) / 2.0);
    }
    out.extend(v.last().map(|x| [*x, x * 2.0]).into_iter().flatten());
    out.retain(|x| *x > 0.0);
    out
}

#[test]
fn sla_verdicts_are_monotone_in_the_thresholds() {
    let mut verdicts = 0;
    for dir in SAMPLES {
        let s = sweep(&[("", dir)]);
        for stat in [Stat::Avg, Stat::P50, Stat::P99] {
            for (lat, other) in [
                (Latency::Ttft, Latency::Tpot),
                (Latency::Tpot, Latency::Ttft),
            ] {
                let metric = Metric::Latency(lat, stat);
                let seen: Vec<f64> = s.points.iter().filter_map(|p| p.get(metric)).collect();
                if seen.is_empty() {
                    continue;
                }
                // The other target stays loose, so only the one loosened decides.
                let fixed = 1e9;
                let slas: Vec<Sla> = limits(&seen)
                    .into_iter()
                    .map(|l| {
                        let spec = format!("{}={l},{}={fixed}", lat.key(), other.key());
                        Sla::parse(&spec, stat).unwrap()
                    })
                    .collect();
                for p in &s.points {
                    let pass: Vec<Option<bool>> =
                        slas.iter().map(|sla| sla.check(p).pass()).collect();
                    for w in pass.windows(2) {
                        assert!(
                            !(w[0] == Some(true) && w[1] == Some(false)),
                            "{dir} {}: a looser {metric} limit turned pass into fail",
                            p.path.display()
                        );
                        assert_eq!(w[0].is_none(), w[1].is_none());
                        verdicts += 1;
                    }
                    let good: Vec<usize> = slas
                        .iter()
                        .filter_map(|sla| goodput(p, sla))
                        .map(|g| g.good)
                        .collect();
                    assert!(
                        good.windows(2).all(|w| w[0] <= w[1]),
                        "{dir}: goodput {good:?}"
                    );
                }
                for label in s.labels() {
                    let pts = by_label(&s, &label);
                    let caps: Vec<Option<u64>> = slas
                        .iter()
                        .map(|sla| capacity(&pts, sla).max_passing_concurrency)
                        .collect();
                    assert!(
                        caps.windows(2).all(|w| w[0] <= w[1]),
                        "{dir} {label} {metric}: capacity {caps:?}"
                    );
                }
            }
        }
    }
    assert!(verdicts > 1000, "only {verdicts} verdict steps");
}
