//! Nightly sweeps for the `history` tests: the real aiperf baseline sweep in
//! sample-results/aiperf/baseline (4 concurrencies), every number scaled by seeded noise of
//! +-3 %, and every latency block by a further factor from a given night on.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::{adreport, sample, ADREPORT, ROOT};

/// aiperf's per-request latency blocks (ms), the ones a slower server makes larger.
const LATENCY_BLOCKS: &[&str] = &[
    "time_to_first_token",
    "time_to_second_token",
    "inter_token_latency",
    "inter_chunk_latency",
    "request_latency",
];

/// Throughput-like aggregates: jitter only.
const JITTER_BLOCKS: &[&str] = &[
    "request_throughput",
    "output_token_throughput",
    "output_token_throughput_per_user",
];

fn scale_block(block: &mut Value, factor: f64) {
    if let Some(obj) = block.as_object_mut() {
        for (k, v) in obj.iter_mut() {
            if k == "count" || k == "unit" {
                continue;
            }
            if let Some(x) = v.as_f64() {
                *v = Value::from(x * factor);
            }
        }
    }
}

/// Writes night `night` (1-based) under `root/night_NN/` and returns its directory.
/// Latencies are multiplied by `step` from night `step_from` on.
pub fn write_night(root: &Path, night: u32, seed: u64, step_from: u32, step: f64) -> PathBuf {
    let mut rng = SmallRng::seed_from_u64(seed * 1000 + night as u64);
    let dir = root.join(format!("night_{night:02}"));
    let base = sample("aiperf/baseline");
    let mut points: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    points.sort();
    for p in points {
        let src = p.join("profile_export_aiperf.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
        let level = if night >= step_from { step } else { 1.0 };
        for b in LATENCY_BLOCKS {
            let f = level * rng.random_range(0.97..1.03);
            if let Some(block) = v.get_mut(*b) {
                scale_block(block, f);
            }
        }
        for b in JITTER_BLOCKS {
            let f = rng.random_range(0.97..1.03);
            if let Some(block) = v.get_mut(*b) {
                scale_block(block, f);
            }
        }
        let out = dir.join(p.file_name().unwrap());
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("profile_export_aiperf.json"),
            serde_json::to_vec_pretty(&v).unwrap(),
        )
        .unwrap();
    }
    dir
}

/// How `add_nights` names each night's directory on the command line.
#[derive(Clone, Copy)]
pub enum NightSpec<'a> {
    /// `LABEL=night_NN`.
    Labelled(&'a str),
    /// `night_NN` alone, as a nightly job adds its directory.
    Plain,
    /// `night_NN=night_NN`: each night under its own label (what adreport stored for a plain
    /// directory before labels were made stable).
    OwnLabel,
}

/// Adds 24 nights to `db`, latencies x`step` from night 15, as runs `night-NN` with commits
/// `cNN` one day apart.
pub fn add_nights(root: &Path, db: &str, step: f64, spec: NightSpec) {
    for night in 1..=24u32 {
        let dir = write_night(root, night, 7, 15, step);
        let spec = match spec {
            NightSpec::Labelled(label) => format!("{label}={}", dir.display()),
            NightSpec::Plain => dir.display().to_string(),
            NightSpec::OwnLabel => format!("night_{night:02}={}", dir.display()),
        };
        let id = format!("night-{night:02}");
        let commit = format!("c{night:02}");
        let time = format!("2026-11-{night:02}T02:00:00Z");
        let out = adreport(&[
            "history", "add", &spec, "--db", db, "--run-id", &id, "--commit", &commit, "--time",
            &time,
        ]);
        assert!(
            out.status.success(),
            "add night {night}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Starts `n` `history add` processes of the sample baseline at once (run ids `PREFIX-i`),
/// as parallel CI jobs would, and asserts that every one succeeds.
pub fn add_at_once(db: &str, n: usize, prefix: &str) {
    let spawned: Vec<_> = (0..n)
        .map(|i| {
            Command::new(ADREPORT)
                .args([
                    "history",
                    "add",
                    "baseline=sample-results/aiperf/baseline",
                    "--db",
                    db,
                    "--run-id",
                    &format!("{prefix}-{i}"),
                ])
                .current_dir(ROOT)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in spawned {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
