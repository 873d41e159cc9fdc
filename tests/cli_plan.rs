//! `adreport plan` through the binary on real aiperf telemetry from one H100
//! (tests/data/gpu_telemetry/README.md). Capacity: with_pynvml/isl_512_osl_128_conc_8 is the
//! highest concurrency meeting ttft=500,tpot=50 (TTFT 127.9 ms, TPOT 46.2 ms); its
//! profile_export_aiperf.json has request_throughput 1.333226384134842 req/s, output tokens
//! 128 per request, nvidia_total_gpu_power 135.76753703703704 W on one GPU.

use serde_json::Value;

mod common;
use common::{adreport, text};

const RUN: &str = "tests/data/gpu_telemetry/with_pynvml";
const CAPACITY: f64 = 1.333226384134842;

fn plan_json(extra: &[&str]) -> Value {
    let mut args = vec!["plan", RUN, "--sla", "ttft=500,tpot=50", "--format", "json"];
    args.extend_from_slice(extra);
    let out = adreport(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn a_target_rate_gives_replicas_gpus_energy_and_cost() {
    let p = plan_json(&["--rate", "10", "--gpu-hour-cost", "2.5"]);
    assert_eq!(p["capacity_rate"].as_f64().unwrap(), CAPACITY);
    assert_eq!(p["concurrency_per_replica"], 8);
    assert_eq!(p["gpus_per_replica"], 1);
    // 10 / 1.3332 = 7.50 -> 8 replicas of one GPU.
    assert_eq!(
        (p["replicas"].as_u64(), p["gpus"].as_u64()),
        (Some(8), Some(8))
    );
    // $2.50 x 8 GPUs = $20/h for 10 req/s x 128 tokens x 3600 s = 4.608M tokens/h.
    assert_eq!(p["usd_per_hour"].as_f64().unwrap(), 20.0);
    let usd = p["usd_per_million_output_tokens"].as_f64().unwrap();
    assert!((usd - 20.0 / 4.608).abs() < 1e-6, "{usd}");
    // 8 x 135.7675 W = 1.0861 kWh per hour.
    let kwh = p["kwh_per_hour"].as_f64().unwrap();
    assert!(
        (kwh - 8.0 * 135.76753703703704 / 1000.0).abs() < 1e-9,
        "{kwh}"
    );
    // At the capacity point itself: nvidia_total_gpu_energy 2443.963 J / 3072 tokens.
    assert_eq!(
        p["energy_per_output_token_j"].as_f64().unwrap(),
        2443.963 / 3072.0
    );
    assert_eq!(
        p["output_tokens_per_joule"].as_f64().unwrap(),
        3072.0 / 2443.963
    );
    assert!(
        p["capacity_rate_ci"].is_null(),
        "one run per concurrency: no CI"
    );
}

#[test]
fn headroom_and_gpus_per_replica_scale_the_fleet() {
    // 20 % headroom: 1.0666 req/s per replica, 10 / 1.0666 = 9.38 -> 10 replicas; --gpus 8
    // says each measured replica ran on 8 GPUs.
    let p = plan_json(&["--rate", "10", "--headroom", "20", "--gpus", "8"]);
    assert_eq!(
        (p["replicas"].as_u64(), p["gpus"].as_u64()),
        (Some(10), Some(80))
    );
    assert!(
        p["usd_per_hour"].is_null(),
        "no --gpu-hour-cost: no dollars"
    );
    let load = p["replica_load_pct"].as_f64().unwrap();
    assert!(
        (load - 10.0 / (10.0 * CAPACITY) * 100.0).abs() < 1e-9,
        "{load}"
    );
}

#[test]
fn a_trace_gives_peak_and_mean_gpus_and_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan_json(&[
        "--trace",
        "tests/data/plan/rate_trace.csv",
        "--gpu-hour-cost",
        "2",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    // Rows every 600 s: 2, 10, 6, 3.5 req/s over 1.3332 -> 1.5, 7.5, 4.5, 2.6 -> 2, 8, 5, 3 GPUs.
    let t = &p["trace"];
    let gpus: Vec<u64> = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["gpus"].as_u64().unwrap())
        .collect();
    assert_eq!(gpus, vec![2, 8, 5, 3]);
    assert_eq!(
        (t["peak_gpus"].as_u64(), t["peak_rate"].as_f64()),
        (Some(8), Some(10.0))
    );
    // Each row holds 600 s (the last one the median step): mean (2 + 8 + 5 + 3) / 4.
    assert_eq!(t["mean_gpus"].as_f64(), Some(4.5));
    assert_eq!(t["mean_rate"].as_f64(), Some(5.375));
    // 18 GPU x 600 s = 3 GPU-hours at $2.
    assert!((t["usd_autoscaled"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    // Without autoscaling the peak is provisioned: the top-level sizing is the peak's.
    assert_eq!(p["gpus"], 8);
    for f in ["plan.json", "plan.md"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    // The GPUs over time, drawn in the first palette colour, and shown in plan.md.
    let img = image::open(dir.path().join("plan_gpus_over_time.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000));
    assert!(img.pixels().filter(|p| p.0 == [0, 114, 178]).count() > 500);
    let md = std::fs::read_to_string(dir.path().join("plan.md")).unwrap();
    assert!(
        md.contains("![plan_gpus_over_time.png](plan_gpus_over_time.png)"),
        "{md}"
    );
    // A single rate has no time axis: no chart.
    let rate_dir = tempfile::tempdir().unwrap();
    plan_json(&["--rate", "3", "-o", rate_dir.path().to_str().unwrap()]);
    assert!(!rate_dir.path().join("plan_gpus_over_time.png").exists());
}

#[test]
fn no_passing_point_and_several_series_are_clear_errors() {
    let out = adreport(&["plan", RUN, "--sla", "ttft=10", "--rate", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no measured concurrency meets the SLA"),
        "{err}"
    );
    let out = adreport(&[
        "plan",
        RUN,
        "tests/data/gpu_telemetry/second_run",
        "--sla",
        "ttft=500",
        "--rate",
        "1",
    ]);
    let err = text(&out.stderr);
    assert!(
        err.contains("--label") && err.contains("second_run (ISL 512, OSL 128)"),
        "{err}"
    );
    let ok = adreport(&[
        "plan",
        RUN,
        "tests/data/gpu_telemetry/second_run",
        "--sla",
        "ttft=500",
        "--rate",
        "1",
        "--label",
        "second_run",
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}
