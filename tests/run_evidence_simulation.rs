//! Verdicts against a known truth, end to end: the real runner sweeps the mock server
//! (examples/mock_openai_server.rs) with `run online --repeats 3`, each server process at its
//! own seeded speed (`--run-cv`: run-to-run drift, 12 % as on a real GPU) with per-request
//! jitter, through the aiperf stand-in client; then `compare --fail-on-regression 5` judges
//! pairs of sweeps. The server runs in `--virtual-time`: it answers at once and stamps each
//! token with the time it would have been sent, so no clock enters the results and a pair
//! costs process starts, not waiting.
//!
//! - A/A: two sweeps of the same server config. Nothing changed, so exit 2 is a false alarm;
//!   over 50 pairs it must happen in at most 5 %.
//! - A/B: the second config is truly twice as slow (TTFT and inter-token time); at 12 %
//!   run-to-run noise, 10 % per-request jitter, one load of 4 requests and 3 runs a side the gate
//!   must catch it in at least 90 % of 50 pairs. (Smaller changes are the pure simulation's job:
//!   tests/analyze_gate_simulation.rs.)
//!
//! ADREPORT_SIM_PAIRS sets the number of pairs (default 50, at least 20); the rates are
//! printed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

mod common;
use common::{aiperf_standin, free_port, kill_tagged, mock_server, text, ADREPORT};

/// Run-to-run CV of the server's speed, and the per-request jitter.
const RUN_CV: &str = "0.12";
const JITTER: &str = "0.10";
/// Sweeps running at once: a sweep is mostly process starts and waits for them (an eighth of
/// its wall time is CPU on 2 cores), so more of them at once keep the cores busy.
const PARALLEL_SWEEPS: usize = 8;
/// Compares running at once: these are CPU (charts and PNGs), so the cores are the limit.
const PARALLEL_COMPARES: usize = 4;

#[derive(Clone, Copy)]
struct Config {
    ttft_ms: f64,
    itl_ms: f64,
}

const A: Config = Config {
    ttft_ms: 30.0,
    itl_ms: 4.0,
};
/// Twice as slow as A.
const B: Config = Config {
    ttft_ms: 60.0,
    itl_ms: 8.0,
};

fn pairs() -> usize {
    let n = std::env::var("ADREPORT_SIM_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    // Fewer pairs cannot tell a 5 % rate from 0 or 10 %: the test would pass by not measuring.
    assert!(
        n >= 20,
        "ADREPORT_SIM_PAIRS={n}: at least 20 pairs are needed"
    );
    n
}

/// One `run online --repeats 3` sweep of a config into `root/LABEL`; the seed makes each
/// sweep's servers draw their own speeds.
fn sweep(root: &Path, label: &str, c: Config, seed: usize) -> PathBuf {
    let tag = root.join(label).display().to_string();
    let server = format!(
        "{} --port {} --ttft-ms {} --itl-ms {} --run-cv {RUN_CV} --jitter {JITTER} --speed-seed {seed} --speed-counter {}/speed-{label} --virtual-time --tag {tag}",
        mock_server().display(),
        free_port(),
        c.ttft_ms,
        c.itl_ms,
        root.display(),
    );
    let out = Command::new(ADREPORT)
        .args(["run", "online", "--server-cmd", &server, "--client-cmd"])
        .arg(aiperf_standin())
        .args([
            "--concurrencies",
            "2",
            "--rounds",
            "2",
            "--isl",
            "64",
            "--osl",
            "16",
        ])
        .args([
            "--repeats",
            "3",
            "--stop-grace",
            "2",
            "--no-report",
            "--label",
            label,
        ])
        .arg("-o")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("run adreport");
    kill_tagged(&tag);
    assert_eq!(
        out.status.code(),
        Some(0),
        "sweep {label} failed: {}",
        text(&out.stderr)
    );
    root.join(label)
}

/// `compare base new --fail-on-regression 5`: its exit code (0 or 2).
fn gate(base: &Path, new: &Path, out: &Path) -> i32 {
    let out = Command::new(ADREPORT)
        .arg("compare")
        .arg(format!("base={}", base.display()))
        .arg(format!("new={}", new.display()))
        .args(["--fail-on-regression", "5", "-o"])
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .expect("run adreport");
    let code = out.status.code().expect("exit code");
    assert!(
        code == 0 || code == 2,
        "compare failed: {}",
        text(&out.stderr)
    );
    code
}

/// Runs `job(i)` for i in 0..n on `threads` threads; results in order.
fn parallel<T: Send>(threads: usize, n: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let r = job(i);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("job ran"))
        .collect()
}

#[test]
fn the_gate_rarely_fires_on_a_a_pairs_and_catches_a_true_doubling() {
    let n = pairs();
    let dir = tempfile::tempdir().unwrap();
    // Per pair: two sweeps of A (the A/A pair) and one of B (A/B reuses the first A).
    let sweeps = parallel(PARALLEL_SWEEPS, 3 * n, |i| {
        let (pair, which) = (i / 3, i % 3);
        let root = dir.path().join(format!("pair{pair}"));
        let (label, config) = match which {
            0 => ("a1", A),
            1 => ("a2", A),
            _ => ("b", B),
        };
        sweep(&root, label, config, 1000 * pair + which)
    });
    let codes = parallel(PARALLEL_COMPARES, 2 * n, |i| {
        let (pair, ab) = (i / 2, i % 2 == 1);
        let base = &sweeps[3 * pair];
        let new = &sweeps[3 * pair + if ab { 2 } else { 1 }];
        let out = dir
            .path()
            .join(format!("pair{pair}/cmp-{}", if ab { "ab" } else { "aa" }));
        gate(base, new, &out)
    });
    let false_alarms = (0..n).filter(|p| codes[2 * p] == 2).count();
    let detected = (0..n).filter(|p| codes[2 * p + 1] == 2).count();
    println!(
        "A/A: the 5% gate fired in {false_alarms} of {n} pairs ({:.1}%); A/B (2x slower): caught in {detected} of {n} ({:.1}%)",
        100.0 * false_alarms as f64 / n as f64,
        100.0 * detected as f64 / n as f64
    );
    assert!(
        false_alarms * 100 <= 5 * n,
        "false alarms {false_alarms} of {n}"
    );
    assert!(detected * 100 >= 90 * n, "detected {detected} of {n}");
}
