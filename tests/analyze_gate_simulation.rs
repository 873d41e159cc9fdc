//! Simulations with known truth for the verdicts and the `--fail-on-regression` gate, at the
//! run-to-run noise real GPUs show (tests/data/gpu_interleaved: 7-23 % from run to run, the
//! metrics of one run moving together).
//!
//! A simulated server, on the log scale: every run (server start) draws one speed shift shared
//! by all its metrics and loads (sd `RUN_SD`), every load point of a run drifts a little more
//! (sd `POINT_SD`), and each metric adds its own noise (sd by statistic, `own_sd`): means
//! ~10 % in all, percentiles up to ~22 %, metrics of one run correlated ~0.6-0.8. Throughputs
//! are exactly tied to the mean E2E latency and tokens/s/user to the mean TPOT, as at one load
//! of a real server. No clock is read: every number comes from a seeded generator.
//!
//! What is checked, over `PAIRS` seeded pairs each (the rates are printed; README quotes them):
//! - A/A, 3 runs a side, 24 metrics x 3 loads: the 5 % gate trips in <= 5 %, and any better or
//!   worse verdict at all appears in <= 5 % of the compares.
//! - A/A, one run a side, judged against the default noise: the gate trips in <= 5 %.
//! - A/A, one new run against 5 in history (prediction interval): the gate trips in <= 5 %
//!   (any verdict in <= 7.5 %: 5 % by design, measured to about +/- 1.5 %).
//! - A true 60 % slowdown, 3 runs a side: caught in >= 90 %.
//! - A true 2x slowdown, single runs (no noise file): caught in >= 90 %.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use adreport::analyze::compare::Verdict;
use adreport::analyze::findings::{analyze, Findings, Settings};
use adreport::model::{Latency, Metric, Point, Source, Stat, Sweep};

const RUN_SD: f64 = 0.075;
const POINT_SD: f64 = 0.035;
const LOADS: [u64; 3] = [1, 8, 32];
const PAIRS: u64 = 200;
const GATE_PCT: f64 = 5.0;

/// A metric's own noise (sd of its log) beyond the run's and the point's shared drift.
fn own_sd(stat: Stat) -> f64 {
    match stat {
        Stat::Avg => 0.04,
        Stat::P50 => 0.06,
        Stat::P90 => 0.11,
        _ => 0.19,
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One run of one label at one load: `shift` is the run's log speed shift, `slower` the true
/// change (1.0 = none, 1.6 = 60 % slower).
fn run(rng: &mut SmallRng, label: &str, load: u64, shift: f64, slower: f64) -> Point {
    let mut p = Point::new(Source::Aiperf, format!("{label}/c{load}"));
    p.label = label.into();
    p.concurrency = Some(load);
    (p.isl, p.osl) = (Some(512), Some(128));
    let drift = shift + POINT_SD * normal(rng);
    let scale = (load as f64).sqrt() * slower;
    for lat in [Latency::Ttft, Latency::Tpot, Latency::Itl, Latency::E2el] {
        let base = match lat {
            Latency::Ttft => 20.0,
            Latency::Tpot | Latency::Itl => 12.0,
            Latency::E2el => 1600.0,
        };
        for stat in [Stat::Avg, Stat::P50, Stat::P90, Stat::P99] {
            let tail = 1.0 + 0.3 * stat.quantile().unwrap_or(0.5);
            let v = base * scale * tail * (drift + own_sd(stat) * normal(rng)).exp();
            p.set(Metric::Latency(lat, stat), v);
        }
    }
    // aiperf's ITL avg is its TPOT avg.
    let tpot = p.get(Metric::Latency(Latency::Tpot, Stat::Avg)).unwrap();
    p.set(Metric::Latency(Latency::Itl, Stat::Avg), tpot);
    let e2el = p.get(Metric::Latency(Latency::E2el, Stat::Avg)).unwrap();
    let rps = load as f64 * 1000.0 / e2el;
    p.set(Metric::RequestThroughput, rps);
    p.set(Metric::OutputTokenThroughput, rps * 128.0);
    p.set(Metric::TotalTokenThroughput, rps * 640.0);
    p.set(Metric::TokensPerSUser, 1000.0 / tpot);
    p
}

/// One label's sweep with `repeats` runs, each a new server start.
fn sweep_of(rng: &mut SmallRng, label: &str, repeats: usize, slower: f64) -> Vec<Point> {
    let mut runs: Vec<Vec<Point>> = vec![Vec::new(); LOADS.len()];
    for _ in 0..repeats {
        let shift = RUN_SD * normal(rng);
        for (i, load) in LOADS.iter().enumerate() {
            runs[i].push(run(rng, label, *load, shift, slower));
        }
    }
    runs.into_iter().filter_map(Point::from_repeats).collect()
}

/// A compare of `repeats[0]` baseline runs against `repeats[1]` runs `slower` times slower.
fn pair(seed: u64, repeats: [usize; 2], slower: f64) -> Sweep {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut sweep = Sweep::default();
    sweep
        .points
        .extend(sweep_of(&mut rng, "a", repeats[0], 1.0));
    sweep
        .points
        .extend(sweep_of(&mut rng, "b", repeats[1], slower));
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

/// Fractions of `PAIRS` seeded compares that trip the gate, and that call anything better or
/// worse.
fn rates(repeats: [usize; 2], slower: f64) -> (f64, f64) {
    let (mut trips, mut verdicts) = (0, 0);
    for seed in 0..PAIRS {
        let f = judge(&pair(seed, repeats, slower));
        trips += usize::from(!f.gate_hits.is_empty());
        verdicts += usize::from(
            f.comparisons[0]
                .pairs
                .iter()
                .flat_map(|p| &p.deltas)
                .any(|d| matches!(d.verdict, Verdict::Better | Verdict::Worse)),
        );
    }
    (trips as f64 / PAIRS as f64, verdicts as f64 / PAIRS as f64)
}

#[test]
fn simulated_server_has_real_gpu_noise() {
    // sd of the log of avg TTFT over many runs: sqrt(0.075^2 + 0.035^2 + 0.04^2) = 0.092, p99:
    // sqrt(0.075^2 + 0.035^2 + 0.19^2) = 0.207 (real: 8-11 % and 15-23 %).
    let sweep = pair(7, [400, 1], 1.0);
    let p = sweep.points.iter().find(|p| p.label == "a").unwrap();
    let log_sd = |m: Metric| {
        let v: Vec<f64> = p.run_values(m).iter().map(|x| x.ln()).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    };
    let avg = log_sd(Metric::Latency(Latency::Ttft, Stat::Avg));
    let p99 = log_sd(Metric::Latency(Latency::Ttft, Stat::P99));
    assert!((0.08..0.105).contains(&avg), "{avg}");
    assert!((0.18..0.235).contains(&p99), "{p99}");
}

#[test]
fn aa_compares_with_three_repeats_rarely_trip_the_gate_or_claim_anything() {
    let (trips, verdicts) = rates([3, 3], 1.0);
    eprintln!("A/A, 3 runs a side, 5% gate: tripped in {trips}, any better/worse verdict in {verdicts} of {PAIRS} compares");
    assert!(trips <= 0.05, "{trips}");
    assert!(verdicts <= 0.05, "{verdicts}");
}

#[test]
fn aa_single_runs_against_the_default_noise_rarely_trip_the_gate() {
    let (trips, verdicts) = rates([1, 1], 1.0);
    eprintln!(
        "A/A, single runs, default noise, 5% gate: tripped in {trips}, any verdict in {verdicts}"
    );
    assert!(trips <= 0.05, "{trips}");
    assert!(verdicts <= 0.05, "{verdicts}");
}

#[test]
fn one_new_run_against_five_in_history_rarely_trips_the_gate() {
    let (trips, verdicts) = rates([5, 1], 1.0);
    eprintln!("A/A, 1 run vs 5 (prediction interval), 5% gate: tripped in {trips}, any verdict in {verdicts}");
    assert!(trips <= 0.05, "{trips}");
    // Any verdict: 5 % by design; 200 compares measure it to about +/- 1.5 %.
    assert!(verdicts <= 0.075, "{verdicts}");
    let f = judge(&pair(1, [5, 1], 1.0));
    let d = &f.comparisons[0].pairs[0].deltas[0];
    assert_eq!(
        d.test.map(|t| t.kind),
        Some(adreport::analyze::evidence::TestKind::PredictionInterval)
    );
}

#[test]
fn a_true_sixty_percent_slowdown_with_three_repeats_is_caught() {
    let (trips, _) = rates([3, 3], 1.6);
    eprintln!("true 60% slowdown, 3 runs a side, 5% gate: caught in {trips}");
    assert!(trips >= 0.9, "{trips}");
    // A detected slowdown is never called better.
    let f = judge(&pair(1, [3, 3], 1.6));
    for d in f.comparisons[0].pairs.iter().flat_map(|p| &p.deltas) {
        assert_ne!(d.verdict, Verdict::Better, "{}", d.metric);
    }
}

#[test]
fn a_true_doubling_in_single_runs_is_caught_without_a_noise_file() {
    let (trips, _) = rates([1, 1], 2.0);
    eprintln!("true 2x slowdown, single runs, default noise, 5% gate: caught in {trips}");
    assert!(trips >= 0.9, "{trips}");
}
