//! Writes seeded, reproducible aiperf artifact sweeps in the real aiperf 0.13 schema, for
//! benchmarks (issue 7 workloads). The record and aggregate layouts are taken from the real
//! files in sample-results/aiperf; only the measured values change.
//!
//!   cargo run --release --example gen_aiperf_sweep -- --out DIR [--labels baseline,tuned]
//!       [--points 16] [--records 1000000] [--seed 42] [--summary-only]
//!
//! W1: --records 1000000 (about 3.4 GB); W3: --labels w3 --points 200 --summary-only.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use adreport::model::stats;
use adreport::model::PercentileMethod;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const TEMPLATE_DIR: &str = "sample-results/aiperf/baseline/isl_128_osl_64_conc_1";
const ISL: f64 = 128.0;
const OSL: f64 = 64.0;
const CONCURRENCIES: [u64; 16] = [
    1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256,
];

struct Args {
    out: PathBuf,
    labels: Vec<String>,
    points: usize,
    records: u64,
    seed: u64,
    summary_only: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::new(),
        labels: vec!["baseline".into(), "tuned".into()],
        points: 16,
        records: 1_000_000,
        seed: 42,
        summary_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => a.out = PathBuf::from(value()?),
            "--labels" => a.labels = value()?.split(',').map(str::to_string).collect(),
            "--points" => a.points = value()?.parse().map_err(|e| format!("--points: {e}"))?,
            "--records" => a.records = value()?.parse().map_err(|e| format!("--records: {e}"))?,
            "--seed" => a.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--summary-only" => a.summary_only = true,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if a.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    Ok(a)
}

/// Concurrency of point `i`: the seed sweep's levels, then multiples of 16 beyond them.
fn concurrency(i: usize) -> u64 {
    CONCURRENCIES
        .get(i)
        .copied()
        .unwrap_or_else(|| 256 + 16 * (i as u64 - 15))
}

/// Latency model of the mock server the real fixtures were recorded against
/// (shared/fixtures/real/README.md): slow for the first label, fast for the others.
struct Model {
    base: f64,
    per_inflight: f64,
    itl: f64,
    growth: f64,
}

fn model(label_index: usize) -> Model {
    if label_index == 0 {
        Model {
            base: 60.0,
            per_inflight: 12.0,
            itl: 12.0,
            growth: 0.05,
        }
    } else {
        Model {
            base: 25.0,
            per_inflight: 4.0,
            itl: 5.0,
            growth: 0.02,
        }
    }
}

fn jitter(rng: &mut SmallRng, v: f64) -> f64 {
    v * rng.random_range(0.9..1.1)
}

fn stats_block(values: &[f64], unit: &str) -> Value {
    let s = stats::sorted(values);
    let p = |q: f64| stats::percentile_sorted(&s, q, PercentileMethod::Linear);
    json!({
        "unit": unit, "avg": stats::mean(&s), "p1": p(0.01), "p5": p(0.05), "p10": p(0.10),
        "p25": p(0.25), "p50": p(0.50), "p75": p(0.75), "p90": p(0.90), "p95": p(0.95),
        "p99": p(0.99), "min": s.first(), "max": s.last(), "std": stats::std_pop(&s),
        "count": s.len(), "sum": s.iter().sum::<f64>(),
    })
}

fn write_point(
    dir: &Path,
    conc: u64,
    n: u64,
    m: &Model,
    rng: &mut SmallRng,
    a: &Args,
) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let read = |name: &str| -> Result<Value, String> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(TEMPLATE_DIR)
            .join(name);
        let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let line = if name.ends_with(".jsonl") {
            text.lines().nth(1).unwrap_or("")
        } else {
            &text
        };
        serde_json::from_str(line).map_err(|e| format!("{}: {e}", p.display()))
    };
    let c = conc as f64;
    let (mut ttft, mut itl, mut lat) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t = jitter(
            rng,
            m.base + m.per_inflight * (c - 1.0) + 40.0 * ISL / 1000.0,
        );
        let i = jitter(rng, m.itl * (1.0 + m.growth * (c - 1.0)));
        ttft.push(t);
        itl.push(i);
        lat.push(t + i * (OSL - 1.0));
    }
    if !a.summary_only {
        let mut record = read("profile_export.jsonl")?;
        let path = dir.join("profile_export.jsonl");
        let file = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        // One warmup record first, as aiperf writes it; readers must leave it out.
        for k in 0..=n as usize {
            let (phase, idx) = if k == 0 {
                ("warmup", 0)
            } else {
                ("profiling", k - 1)
            };
            record["metadata"]["benchmark_phase"] = json!(phase);
            record["metadata"]["phase_name"] = json!(phase);
            let mm = &mut record["metrics"];
            mm["time_to_first_token"]["value"] = json!(ttft[idx]);
            mm["inter_token_latency"]["value"] = json!(itl[idx]);
            mm["request_latency"]["value"] = json!(lat[idx]);
            mm["output_token_throughput_per_user"]["value"] = json!(1000.0 / itl[idx]);
            serde_json::to_writer(&mut w, &record).map_err(|e| e.to_string())?;
            w.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let duration = lat.iter().sum::<f64>() / c / 1000.0;
    let mut agg = read("profile_export_aiperf.json")?;
    agg["time_to_first_token"] = stats_block(&ttft, "ms");
    agg["inter_token_latency"] = stats_block(&itl, "ms");
    agg["request_latency"] = stats_block(&lat, "ms");
    let per_user: Vec<f64> = itl.iter().map(|i| 1000.0 / i).collect();
    agg["output_token_throughput_per_user"] = stats_block(&per_user, "tokens/sec/user");
    agg["request_throughput"] = json!({"unit": "requests/sec", "avg": n as f64 / duration});
    agg["output_token_throughput"] =
        json!({"unit": "tokens/sec", "avg": n as f64 * OSL / duration});
    agg["request_count"] = json!({"unit": "requests", "avg": n as f64});
    agg["benchmark_duration"] = json!({"unit": "sec", "avg": duration});
    if let Some(phases) = agg["input_config"]["phases"].as_array_mut() {
        for ph in phases {
            ph["concurrency"] = json!(conc);
            if ph["name"] == "profiling" {
                ph["requests"] = json!(n);
            }
        }
    }
    let path = dir.join("profile_export_aiperf.json");
    fs::write(
        &path,
        serde_json::to_vec_pretty(&agg).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_aiperf_sweep: {e}");
            std::process::exit(1);
        }
    };
    let total_points = (a.labels.len() * a.points).max(1) as u64;
    let per_point = (a.records / total_points).max(1);
    let mut rng = SmallRng::seed_from_u64(a.seed);
    for (li, label) in a.labels.iter().enumerate() {
        let m = model(li);
        for i in 0..a.points {
            let conc = concurrency(i);
            let dir = a
                .out
                .join(label)
                .join(format!("isl_128_osl_64_conc_{conc}"));
            if let Err(e) = write_point(&dir, conc, per_point, &m, &mut rng, &a) {
                eprintln!("gen_aiperf_sweep: {e}");
                std::process::exit(1);
            }
        }
    }
    println!(
        "wrote {} points x {} records into {}",
        total_points,
        per_point,
        a.out.display()
    );
}
