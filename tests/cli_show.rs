//! `adreport show` through the binary, on the bundled real samples.
//! Expected numbers are read by hand from the source files named in each comment.

use serde_json::Value;

mod common;
use common::{adreport, show_json, text};

fn find<'a>(points: &'a [Value], label: &str, conc: u64) -> &'a Value {
    points
        .iter()
        .find(|p| p["label"] == label && p["concurrency"] == conc)
        .unwrap_or_else(|| panic!("no {label} conc {conc}"))
}

#[test]
fn json_has_identity_keys_and_canonical_metrics_from_aiperf() {
    let points = show_json("sample-results/aiperf");
    assert_eq!(points.len(), 8);
    let p = find(&points, "baseline", 16);
    for key in ["label", "source", "path", "concurrency", "isl", "osl"] {
        assert!(p.get(key).is_some(), "missing {key}");
    }
    assert_eq!(p["source"], "aiperf");
    assert_eq!(
        (p["isl"].as_u64(), p["osl"].as_u64()),
        (Some(128), Some(64))
    );
    // baseline/isl_128_osl_64_conc_16/profile_export_aiperf.json
    assert_eq!(p["ttft_avg_ms"], 225.9276769875); // time_to_first_token.avg
    assert_eq!(p["ttft_p99_ms"], 269.00104849); // time_to_first_token.p99
    assert_eq!(p["tpot_avg_ms"], 21.624291228769838); // inter_token_latency.avg
    assert_eq!(p["request_throughput"], 9.961603250556013); // request_throughput.avg
    assert_eq!(p["output_token_throughput"], 637.5426080355849); // output_token_throughput.avg
                                                                 // No GPU count anywhere: tokens/s/gpu stays empty rather than guessed.
    assert!(p["tokens_per_s_gpu"].is_null());
}

#[test]
fn gpus_flag_fills_tokens_per_gpu() {
    let out = adreport(&[
        "show",
        "sample-results/aiperf/tuned",
        "--format",
        "json",
        "--gpus",
        "2",
    ]);
    let points: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let p = find(&points, "tuned", 1);
    // tuned conc 1 output_token_throughput.avg 161.3862706230371 over 2 GPUs.
    assert_eq!(p["tokens_per_s_gpu"], 161.3862706230371 / 2.0);
    assert_eq!(p["num_gpus"], 2);
}

#[test]
fn json_from_sglang_benchmark_serving() {
    let points = show_json("sample-results/benchmark_serving/sglang");
    assert_eq!(points.len(), 2);
    let p = find(&points, "sglang", 8);
    assert_eq!(p["source"], "benchmark_serving");
    // sglang_bench_serving_vllm_backend_isl128_osl64_conc8.jsonl: mean_ttft_ms, completed
    assert_eq!(p["ttft_avg_ms"], 145.12027227506223);
    assert_eq!(p["requests_ok"], 40.0);
}

#[test]
fn other_formats_render_the_same_points() {
    let csv = adreport(&["show", "sample-results/aiperf/baseline", "--format", "csv"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("label,source,path,model"));
    assert!(text.contains("225.9276769875"));
    let md = adreport(&[
        "show",
        "sample-results/aiperf/baseline",
        "--format",
        "markdown",
        "--metrics",
        "ttft_avg_ms",
    ]);
    let text = String::from_utf8(md.stdout).unwrap();
    assert!(
        text.starts_with("| label | source | concurrency | isl | osl | repeats | ttft_avg_ms |"),
        "{text}"
    );
    assert!(text.contains("| 225.9 |"));
    let bad = adreport(&["show", "sample-results/aiperf", "--metrics", "ttft_bogus"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(common::text(&bad.stderr).contains("unknown column `ttft_bogus`"));
}

#[test]
fn nothing_usable_exits_1_naming_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("profile_export_aiperf.json");
    std::fs::write(
        &f,
        "{\"aiperf_version\": \"0.13.0\", \"time_to_first_token\": {\"unit\": \"ms\", \"avg\": 1",
    )
    .unwrap();
    let out = adreport(&["show", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("profile_export_aiperf.json"), "{err}");
}
