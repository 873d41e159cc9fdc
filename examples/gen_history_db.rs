//! Fills a history database for benchmarks: RUNS nightly runs of POINTS load points with
//! METRICS canonical metrics each, seeded noise of +-3 %, and a step of STEP_PCT % (default 20)
//! at run STEP_AT (default 20 runs before the end) in one series of every 20 (so `history check`
//! has change points to find and test).
//!
//!   cargo run --release --example gen_history_db -- --db FILE [--runs 10000] [--points 16]
//!       [--metrics 40] [--seed 1] [--step-at RUN] [--step-pct 20]

use std::collections::BTreeMap;

use adreport::model::Metric;
use adreport::store::{Fingerprint, RunRecord, Store, StoredPoint};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

struct Args {
    db: String,
    runs: usize,
    points: usize,
    metrics: usize,
    seed: u64,
    step_at: Option<usize>,
    step_pct: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        db: String::new(),
        runs: 10_000,
        points: 16,
        metrics: 40,
        seed: 1,
        step_at: None,
        step_pct: 20.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--db" => a.db = value()?,
            "--runs" => a.runs = num(value()?)?,
            "--points" => a.points = num(value()?)?,
            "--metrics" => a.metrics = num(value()?)?,
            "--seed" => a.seed = num(value()?)? as u64,
            "--step-at" => a.step_at = Some(num(value()?)?),
            "--step-pct" => {
                a.step_pct = value()?.parse().map_err(|e| format!("--step-pct: {e}"))?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.db.is_empty() {
        return Err("--db FILE is required".into());
    }
    Ok(a)
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_history_db: {e}");
            std::process::exit(1);
        }
    };
    let metrics: Vec<String> = Metric::all()
        .into_iter()
        .take(a.metrics)
        .map(|m| m.name())
        .collect();
    let fingerprint = Fingerprint {
        model: Some("Qwen/Qwen3-8B".into()),
        gpu_name: Some("NVIDIA H100 80GB HBM3".into()),
        gpu_count: Some(1),
        driver: Some("580.159.04".into()),
        cuda: Some("13.0".into()),
        engine: Some("trtllm-serve".into()),
        client: Some("aiperf".into()),
        client_version: Some("0.13.0".into()),
        ..Default::default()
    };
    let mut store = Store::open(&a.db).unwrap_or_else(|e| {
        eprintln!("gen_history_db: {e}");
        std::process::exit(1);
    });
    let mut rng = SmallRng::seed_from_u64(a.seed);
    let step_at = a.step_at.unwrap_or(a.runs.saturating_sub(20));
    let step = 1.0 + a.step_pct / 100.0;
    let start = 1_767_225_600i64; // 2026-01-01T00:00:00Z
    for r in 0..a.runs {
        let time_s = start + r as i64 * 86_400;
        let points = (0..a.points)
            .map(|p| {
                let values: BTreeMap<String, f64> = metrics
                    .iter()
                    .enumerate()
                    .map(|(m, name)| {
                        let stepped = (p * a.metrics + m) % 20 == 0 && r >= step_at;
                        let level = 10.0 * (1 + p + m) as f64 * if stepped { step } else { 1.0 };
                        (name.clone(), level * rng.random_range(0.97..1.03))
                    })
                    .collect();
                StoredPoint {
                    label: "nightly".into(),
                    source: "aiperf".into(),
                    isl: Some(1024),
                    osl: Some(1024),
                    concurrency: Some((p as i64 + 1) * 8),
                    batch_size: None,
                    request_rate: None,
                    repeat: 0,
                    values,
                }
            })
            .collect();
        let run = RunRecord {
            run_id: format!("night-{r:05}"),
            time: humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(time_s as u64),
            )
            .to_string(),
            time_s,
            commit: Some(format!("{:07x}", rng.random::<u32>() >> 4)),
            branch: Some("main".into()),
            tags: BTreeMap::new(),
            inputs: vec![],
            fingerprint: fingerprint.clone(),
            points,
        };
        if let Err(e) = store.add(&run) {
            eprintln!("gen_history_db: {e}");
            std::process::exit(1);
        }
    }
    println!(
        "wrote {} runs x {} points x {} metrics into {}",
        a.runs,
        a.points,
        metrics.len(),
        a.db
    );
}
