//! Point directories a client left without results (aiperf or benchmark_serving stopped before
//! writing them) are named as interrupted runs of that client, with the log's last line; the
//! rest of the sweep still counts.

mod common;

use std::path::Path;

use common::{adreport, copy_dir, data, out_dir, sample, show_json, text};

/// The sample baseline sweep with its concurrency-8 point replaced by an aiperf run that was
/// stopped during profiling (only `logs/aiperf.log` and `inputs.json`).
fn sweep_with_interrupted_aiperf(root: &Path) -> std::path::PathBuf {
    let sweep = root.join("night_15");
    for c in [1, 4, 16] {
        let name = format!("isl_128_osl_64_conc_{c}");
        copy_dir(&sample("aiperf/baseline").join(&name), &sweep.join(&name));
    }
    copy_dir(
        &data("interrupted/aiperf_isl_128_osl_64_conc_8"),
        &sweep.join("isl_128_osl_64_conc_8"),
    );
    sweep
}

const AIPERF_LAST_LINE: &str =
    "2026-11-23 07:22:57.150 - records_manager - INFO - Credit phase start: profiling";

#[test]
fn an_interrupted_aiperf_point_is_named_and_the_rest_of_the_sweep_counts() {
    let dir = out_dir("interrupted-aiperf");
    let sweep = sweep_with_interrupted_aiperf(dir.path());
    let out = adreport(&["show", sweep.to_str().unwrap(), "--format", "json"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let points: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conc: Vec<u64> = points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(conc, [1, 4, 16]);
    let point = sweep.join("isl_128_osl_64_conc_8");
    assert!(
        err.contains(&format!(
            "{}: interrupted aiperf run: it stopped before writing results; the last line of logs/aiperf.log: {AIPERF_LAST_LINE}",
            point.display()
        )),
        "{err}"
    );
    // What aiperf wrote before profiling (inputs.json) is not reported on its own.
    assert!(!err.contains("inputs.json"), "{err}");

    // The interrupted point alone: nothing usable (exit 1), and the reason is the interruption,
    // not "no result files of a known format here".
    let out = adreport(&["show", point.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("interrupted aiperf run") && err.contains(AIPERF_LAST_LINE),
        "{err}"
    );
    assert!(
        !err.contains("no result files of a known format here"),
        "{err}"
    );
}

#[test]
fn a_killed_benchmark_serving_point_is_named_with_its_last_line() {
    let dir = out_dir("interrupted-bs");
    let sweep = dir.path().join("sweep");
    std::fs::create_dir_all(sweep.join("conc_1")).unwrap();
    std::fs::copy(
        sample(
            "benchmark_serving/sglang/sglang_bench_serving_vllm_backend_isl128_osl64_conc1.jsonl",
        ),
        sweep.join("conc_1/result.jsonl"),
    )
    .unwrap();
    copy_dir(
        &data("interrupted/benchmark_serving_conc_8"),
        &sweep.join("conc_8"),
    );
    let out = adreport(&["show", sweep.to_str().unwrap(), "--format", "json"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let points: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(points.as_array().unwrap().len(), 1, "{points}");
    assert_eq!(points[0]["concurrency"], 1);
    assert!(
        err.contains(&format!(
            "{}: interrupted benchmark_serving run: it stopped before writing results; the last line of client.stdout: Warmup completed with 1 sequences. Starting main benchmark run...",
            sweep.join("conc_8").display()
        )),
        "{err}"
    );
}

#[test]
fn finished_runs_with_their_logs_are_not_called_interrupted() {
    // The sample sweeps keep aiperf's logs/aiperf.log in every point, and the SGLang sample
    // its full stdout (with the result block) beside the results.
    for s in ["aiperf/baseline", "benchmark_serving/sglang"] {
        let out = adreport(&["show", sample(s).to_str().unwrap()]);
        assert!(out.status.success());
        assert!(
            !text(&out.stderr).contains("interrupted"),
            "{s}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(show_json(sample("aiperf/baseline")).len(), 4);
}
