//! Simulations with known truth for the run-level verdicts and the `--fail-on-regression` gate.
//!
//! A simulated server: every run (server process) has its own speed factor (run-to-run CV
//! `RUN_CV`), every load point in a run drifts a little more (`POINT_CV`), and each metric
//! carries its own per-request sampling noise (`jitter`: small for means, larger for tails).
//! Latencies scale with 1/speed and throughputs with speed, so all metrics of a run move
//! together as a real server's do. A/A pairs draw both sides from the same server; A/B pairs
//! make the label's latencies 20 % higher and its throughputs 20 % lower.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use adreport::analyze::compare::Verdict;
use adreport::analyze::findings::{analyze, Findings, Settings};
use adreport::model::{Direction, Latency, Metric, Point, Source, Stat, Sweep};

const RUN_CV: f64 = 0.04;
const POINT_CV: f64 = 0.015;
const LOADS: [u64; 3] = [1, 8, 32];
const PAIRS: u64 = 200;
const GATE_PCT: f64 = 5.0;

/// The gated metrics (20) and each one's per-request sampling noise as a CV.
fn metrics() -> Vec<(Metric, f64)> {
    let mut out = Vec::new();
    for lat in [Latency::Ttft, Latency::Tpot, Latency::E2el, Latency::Itl] {
        for (stat, jitter) in [
            (Stat::Avg, 0.01),
            (Stat::P50, 0.012),
            (Stat::P90, 0.02),
            (Stat::P99, 0.04),
        ] {
            out.push((Metric::Latency(lat, stat), jitter));
        }
    }
    out.extend([
        (Metric::RequestThroughput, 0.005),
        (Metric::OutputTokenThroughput, 0.005),
        (Metric::TokensPerSUser, 0.01),
        (Metric::TotalTokenThroughput, 0.005),
    ]);
    out
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One run of one label at one load; `slower` is the true change (1.0 = none, 1.2 = 20 %).
fn run(rng: &mut SmallRng, label: &str, load: u64, speed: f64, slower: f64) -> Point {
    let mut p = Point::new(Source::Aiperf, format!("{label}/c{load}"));
    p.label = label.into();
    p.concurrency = Some(load);
    (p.isl, p.osl) = (Some(512), Some(128));
    let speed = speed * (1.0 + POINT_CV * normal(rng));
    for (i, (m, jitter)) in metrics().into_iter().enumerate() {
        // Arbitrary but fixed magnitudes per metric and load.
        let base = (10.0 + i as f64) * (load as f64).sqrt();
        let noise = 1.0 + jitter * normal(rng);
        let v = match m.direction() {
            Direction::LowerIsBetter => base / speed * slower * noise,
            _ => base * speed / slower * noise,
        };
        p.set(m, v);
    }
    p
}

/// A sweep pair with `repeats` runs a side, each run a new server process.
fn pair(seed: u64, repeats: usize, slower: f64) -> Sweep {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut sweep = Sweep::default();
    for (label, change) in [("a", 1.0), ("b", slower)] {
        let mut runs: Vec<Vec<Point>> = vec![Vec::new(); LOADS.len()];
        for _ in 0..repeats {
            let speed = 1.0 + RUN_CV * normal(&mut rng);
            for (i, load) in LOADS.iter().enumerate() {
                runs[i].push(run(&mut rng, label, *load, speed, change));
            }
        }
        sweep
            .points
            .extend(runs.into_iter().filter_map(Point::from_repeats));
    }
    sweep
}

fn judge(sweep: &Sweep) -> Findings {
    analyze(
        sweep,
        &Settings {
            fail_on_regression: Some(GATE_PCT),
            ..Settings::default()
        },
    )
}

/// Fraction of `PAIRS` seeded pairs whose gate trips.
fn trip_rate(repeats: usize, slower: f64) -> f64 {
    let trips = (0..PAIRS)
        .filter(|seed| !judge(&pair(*seed, repeats, slower)).gate_hits.is_empty())
        .count();
    trips as f64 / PAIRS as f64
}

#[test]
fn simulated_server_has_the_intended_run_to_run_noise() {
    // The pooled CV of avg TTFT over many A/A pairs: sqrt(4^2 + 1.5^2 + 1^2) = 4.39 %.
    let sweep = pair(7, 60, 1.0);
    let p = sweep.points.iter().find(|p| p.label == "a").unwrap();
    let cv = adreport::analyze::evidence::run_cv(
        &p.run_values(Metric::Latency(Latency::Ttft, Stat::Avg)),
    )
    .unwrap();
    assert!((0.03..0.06).contains(&cv), "{cv}");
}

/// 200 A/A pairs with 3 runs a side: 20 metrics x 3 loads = 60 gated tests each. Measured:
/// see the eprintln (run with --nocapture); the bound is the 5 % a CI gate may cost.
#[test]
fn aa_pairs_with_three_repeats_rarely_trip_the_gate() {
    let rate = trip_rate(3, 1.0);
    eprintln!("A/A false-alarm rate, 3 repeats a side, gate 5%: {rate}");
    assert!(rate <= 0.05, "{rate}");
    // And significance at alpha 0.05 is about that rare per test: over all deltas of 50 pairs.
    let (mut sig, mut all) = (0, 0);
    for seed in 0..50 {
        let f = judge(&pair(seed, 3, 1.0));
        for d in f.comparisons[0].pairs.iter().flat_map(|p| &p.deltas) {
            all += 1;
            sig += usize::from(d.significant == Some(true));
        }
    }
    let per_test = sig as f64 / all as f64;
    eprintln!("A/A per-test significance rate: {per_test} of {all}");
    assert!(per_test < 0.10, "{per_test}");
}

#[test]
fn a_true_twenty_percent_change_is_detected() {
    let rate = trip_rate(3, 1.2);
    eprintln!("detection rate of a true 20% change, 3 repeats a side, gate 5%: {rate}");
    assert!(rate >= 0.9, "{rate}");
    // Every detected TTFT change is called worse, never better.
    let f = judge(&pair(1, 3, 1.2));
    for d in f.comparisons[0].pairs.iter().flat_map(|p| &p.deltas) {
        assert_ne!(d.verdict, Verdict::Better, "{}", d.metric);
    }
}

#[test]
fn single_run_pairs_are_never_significant() {
    for (seed, slower) in (0..PAIRS).zip([1.0, 1.2].into_iter().cycle()) {
        let f = judge(&pair(seed, 1, slower));
        for d in f.comparisons[0].pairs.iter().flat_map(|p| &p.deltas) {
            assert_eq!(d.significant, None);
            assert!(matches!(d.verdict, Verdict::Unverified | Verdict::Same));
        }
        // No noise estimate: the gate cannot judge a single run and does not trip.
        assert!(f.gate_hits.is_empty());
        assert_eq!(f.regression_gate.unwrap().unjudged, 60);
    }
}
