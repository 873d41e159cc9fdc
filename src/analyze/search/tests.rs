//! The search on synthetic latency curves, with the probe sequences worked out by hand.

use super::*;
use crate::model::Stat;

fn settings(max: u64, repeats: u32) -> SearchSettings {
    SearchSettings {
        max_concurrency: max,
        precision_pct: DEFAULT_PRECISION_PCT,
        max_repeats: repeats,
    }
}

/// Runs the search against `curve(concurrency, run index)` (one value per target); returns the
/// steps (`16`, or `16r` for a repeat) and the result.
fn drive(
    sla: &str,
    s: SearchSettings,
    curve: impl Fn(u64, usize) -> Vec<f64>,
) -> (Vec<String>, SearchResult) {
    let sla = Sla::parse(sla, Stat::Avg).unwrap();
    let mut probes: Vec<Probe> = Vec::new();
    let mut steps = Vec::new();
    for _ in 0..100 {
        match next_step(&sla, &s, &probes) {
            Step::Done => return (steps, result(&sla, &s, &probes)),
            Step::Probe(c) => {
                assert!(
                    probes.iter().all(|p| p.concurrency != c),
                    "{c} probed twice"
                );
                steps.push(c.to_string());
                probes.push(Probe {
                    concurrency: c,
                    runs: vec![curve(c, 0)],
                });
            }
            Step::Repeat(c) => {
                steps.push(format!("{c}r"));
                let p = probes.iter_mut().find(|p| p.concurrency == c).unwrap();
                let run = p.runs.len();
                p.runs.push(curve(c, run));
            }
        }
    }
    panic!("the search did not end: {steps:?}");
}

fn seq(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// TTFT = 20 + 8c ms: 250 ms is crossed at c = 28.75.
#[test]
fn smooth_curve_doubles_checks_the_failure_and_bisects() {
    let (steps, r) = drive("ttft=250", settings(128, 1), |c, _| {
        vec![20.0 + 8.0 * c as f64]
    });
    // 16 passes (148), 32 fails (276, ln 0.10 from the limit: within the default noise band of
    // 0.29), 64 checks it; then [16,32] -> 24 (212) -> [24,32] -> 28
    // (244) -> [28,32]: 4 > 2.8 -> 30 (260, fails) -> [28,30]: 2 <= 2.8, done.
    assert_eq!(steps, seq("1 2 4 8 16 32 64 24 28 30"));
    assert_eq!(r.capacity, Some(28));
    assert_eq!(r.bracket, [Some(28), Some(30)]);
    assert_eq!(r.binding, Some("ttft"));
    // ln(260/244) / ln(30/28) = 0.92: smooth.
    assert_eq!(r.boundary, Some(Boundary::Smooth));
    assert!(r.done && !r.non_monotone && !r.all_pass && !r.all_fail);
    assert_eq!(r.probes.len(), 10);
    assert_eq!(r.probes[9].targets[0].value_ms, 260.0);
    assert!(!r.probes[9].pass);
}

/// 50 ms up to 40, then 5 s: the latency jumps.
#[test]
fn cliff_is_found_and_called_a_cliff() {
    let (steps, r) = drive("ttft=250", settings(128, 1), |c, _| {
        vec![if c <= 40 { 50.0 } else { 5000.0 }]
    });
    // 64 fails far beyond the noise, so nothing checks it; [32,64] -> 48 F -> 40 P -> [40,48]:
    // 8 > 4 -> 44 F -> [40,44]: 4 <= 4.
    assert_eq!(steps, seq("1 2 4 8 16 32 64 48 40 44"));
    assert_eq!(r.capacity, Some(40));
    assert_eq!(r.bracket, [Some(40), Some(44)]);
    assert_eq!(r.boundary, Some(Boundary::Cliff));
}

/// A dip at 8 (300 ms) in TTFT = 20 + 10c: the probe above the first failure passes, so the
/// search goes on from there, and says the results are non-monotone.
#[test]
fn a_pass_above_a_failure_is_reported_and_the_search_goes_on() {
    let (steps, r) = drive("ttft=250", settings(128, 1), |c, _| {
        vec![if c == 8 {
            300.0
        } else {
            20.0 + 10.0 * c as f64
        }]
    });
    // 8 F (300: ln 0.18, within the noise band of 0.29), so 16 checks it: P (180) -> doubling
    // again: 32 F (340: ln 0.31, clear, not checked); [16,32] -> 24 F (260) -> 20 P (220) ->
    // [20,24]: 4 > 2 -> 22 P (240) -> [22,24]: 2 <= 2.2.
    assert_eq!(steps, seq("1 2 4 8 16 32 24 20 22"));
    assert_eq!(r.capacity, Some(22));
    assert_eq!(r.bracket, [Some(22), Some(24)]);
    assert!(r.non_monotone);
}

#[test]
fn everything_passes_up_to_the_maximum() {
    let (steps, r) = drive("ttft=250", settings(128, 1), |_, _| vec![10.0]);
    assert_eq!(steps, seq("1 2 4 8 16 32 64 128"));
    assert_eq!((r.capacity, r.bracket), (Some(128), [Some(128), None]));
    assert!(r.all_pass && r.done);
    assert_eq!(r.boundary, None);
    // A maximum that is not a power of two is probed itself.
    let (steps, r) = drive("ttft=250", settings(100, 1), |_, _| vec![10.0]);
    assert_eq!(steps, seq("1 2 4 8 16 32 64 100"));
    assert_eq!(r.capacity, Some(100));
}

#[test]
fn everything_fails_at_one() {
    let (steps, r) = drive("ttft=250", settings(128, 1), |_, _| vec![1000.0]);
    assert_eq!(steps, seq("1"));
    assert_eq!((r.capacity, r.bracket), (None, [None, Some(1)]));
    assert!(r.all_fail && r.done && !r.all_pass);
    assert_eq!(r.binding, Some("ttft"));
}

/// Two targets: TPOT (3 + c/4 ms, limit 10, crossed at 28) binds before TTFT (20 + 2c, limit
/// 250, crossed at 115).
#[test]
fn the_binding_target_is_the_one_that_fails_first() {
    let (steps, r) = drive("ttft=250,tpot=10", settings(128, 1), |c, _| {
        let c = c as f64;
        vec![20.0 + 2.0 * c, 3.0 + c / 4.0]
    });
    assert_eq!(steps, seq("1 2 4 8 16 32 64 24 28 30"));
    assert_eq!(r.capacity, Some(28));
    assert_eq!(r.binding, Some("tpot"));
}

/// TTFT = (20 + 8c) x (1.0, 1.1, 0.9 for runs 1-3), up to 3 runs a probe. With one run the
/// noise band is the default 15 % CV: 1.96 x 0.149 = 0.29 in ln, so 276 ms at 32 (ln 1.104 =
/// 0.099) is repeated; from then on the measured CV (0.1 over 3 runs) sets the band. Probes
/// 24 (212, ln -0.165), 28 (244) and 30 (260) are within it too and get 3 runs each; 64 and
/// the low probes are far outside it.
#[test]
fn a_probe_within_the_noise_is_repeated_before_it_is_decided() {
    let factor = [1.0, 1.1, 0.9];
    let (steps, r) = drive("ttft=250", settings(128, 3), |c, run| {
        vec![(20.0 + 8.0 * c as f64) * factor[run]]
    });
    assert_eq!(
        steps,
        seq("1 2 4 8 16 32 32r 32r 64 24 24r 24r 28 28r 28r 30 30r 30r")
    );
    // The means are the curve's (the factors average to 1): the same answer as without noise.
    assert_eq!((r.capacity, r.bracket), (Some(28), [Some(28), Some(30)]));
    let p28 = r.probes.iter().find(|p| p.concurrency == 28).unwrap();
    assert_eq!(p28.runs, 3);
    assert!(p28.pass && p28.within_noise);
    assert!((p28.targets[0].value_ms - 244.0).abs() < 1e-9);
    assert!(
        (p28.targets[0].cv - 0.1).abs() < 1e-9,
        "{}",
        p28.targets[0].cv
    );
    // Both ends of the bracket have 3 runs: 244 +- 4.303 x 24.4 / sqrt(3) = [183.4, 304.6] at
    // 28 and 260 +- 64.6 = [195.4, 324.6] at 30. Through the upper ends 250 ms is crossed at
    // 28 x (30/28)^(ln(250/304.6) / ln(324.6/304.6)) = 22.6, through the lower ends at 39.2.
    let [a, b] = r.capacity_ci.unwrap();
    assert!(
        (a - 22.6).abs() < 0.05 && (b - 39.2).abs() < 0.05,
        "{a} {b}"
    );
    let p64 = r.probes.iter().find(|p| p.concurrency == 64).unwrap();
    assert_eq!((p64.runs, p64.within_noise), (1, false));
    // With one run allowed nothing is repeated, and the near probes say they were decided
    // within the noise.
    let (steps, r) = drive("ttft=250", settings(128, 1), |c, run| {
        vec![(20.0 + 8.0 * c as f64) * factor[run]]
    });
    assert_eq!(steps, seq("1 2 4 8 16 32 64 24 28 30"));
    assert_eq!(r.capacity_ci, None, "one run a probe: no interval");
    let near: Vec<u64> = r
        .probes
        .iter()
        .filter(|p| p.within_noise)
        .map(|p| p.concurrency)
        .collect();
    assert_eq!(near, [32, 24, 28, 30]);
}

/// A search resumed from any prefix of its probes takes the same remaining steps.
#[test]
fn the_next_step_depends_only_on_the_probes() {
    let sla = Sla::parse("ttft=250", Stat::Avg).unwrap();
    let s = settings(128, 1);
    let probes: Vec<Probe> = [1u64, 2, 4, 8, 16, 32, 64, 24]
        .iter()
        .map(|&c| Probe {
            concurrency: c,
            runs: vec![vec![20.0 + 8.0 * c as f64]],
        })
        .collect();
    assert_eq!(next_step(&sla, &s, &probes[..5]), Step::Probe(32));
    assert_eq!(next_step(&sla, &s, &probes[..6]), Step::Probe(64));
    assert_eq!(next_step(&sla, &s, &probes), Step::Probe(28));
    let r = result(&sla, &s, &probes);
    assert!(!r.done);
    assert_eq!(r.bracket, [Some(24), Some(32)]);
}

#[test]
fn bad_settings_name_the_flag() {
    let mut s = settings(0, 1);
    assert!(check_settings(&s)
        .unwrap_err()
        .contains("--max-concurrency"));
    s.max_concurrency = 8;
    s.precision_pct = 0.0;
    assert!(check_settings(&s).unwrap_err().contains("--precision"));
    s.precision_pct = 10.0;
    assert!(check_settings(&s).is_ok());
}
