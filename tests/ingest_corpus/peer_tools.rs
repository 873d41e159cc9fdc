//! Generators of the corpus cases of the peer tools' companion files (inference-perf's
//! per-request records, MLPerf's detail log), made at test time from the real fixtures.

use std::fs;
use std::path::Path;

use super::common::{copy_dir, repo};
use super::INFERENCE_PERF_GOOD;

/// inference-perf's real rate run with its per-request records cut in the middle of record 100.
pub fn gen_inference_perf_requests_truncated(root: &Path) {
    let run = root.join("rate");
    copy_dir(&repo(INFERENCE_PERF_GOOD), &run);
    let f = run.join("per_request_lifecycle_metrics.json");
    let text = fs::read_to_string(&f).unwrap();
    let cut = text.match_indices("\"start_time\"").nth(100).unwrap().0 + 20;
    fs::write(&f, &text[..cut]).unwrap();
}

/// Real MLPerf loadgen output directories (tests/data/mlperf/README.md).
const MLPERF_SERVER_RUN: &str = "tests/data/mlperf/v4.1/closed/NVIDIA/results/B200-SXM-180GBx1_TRT/llama2-70b-99.9/Server/performance/run_1";
const MLPERF_OFFLINE_RUN: &str = "tests/data/mlperf/v4.1/closed/NVIDIA/results/B200-SXM-180GBx1_TRT/llama2-70b-99/Offline/performance/run_1";

fn copy_into(from: &str, file: &str, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::copy(repo(from).join(file), dir.join(file)).unwrap();
}

/// The real Server summary beside its detail log cut in the middle of line 90
/// (`result_min_latency_ns`): loadgen stopped while writing the results.
pub fn gen_mlperf_detail_cut_short(root: &Path) {
    let dir = root.join("run");
    copy_into(MLPERF_SERVER_RUN, "mlperf_log_summary.txt", &dir);
    let detail = fs::read_to_string(repo(MLPERF_SERVER_RUN).join("mlperf_log_detail.txt")).unwrap();
    let cut = detail.find("\"result_min_latency_ns\"").unwrap() + 10;
    fs::write(dir.join("mlperf_log_detail.txt"), &detail[..cut]).unwrap();
}

/// The Server summary beside the detail log of the Offline run: copied from the wrong directory.
pub fn gen_mlperf_detail_of_another_run(root: &Path) {
    let dir = root.join("run");
    copy_into(MLPERF_SERVER_RUN, "mlperf_log_summary.txt", &dir);
    copy_into(MLPERF_OFFLINE_RUN, "mlperf_log_detail.txt", &dir);
}

/// A detail log without its summary.
pub fn gen_mlperf_detail_alone(root: &Path) {
    copy_into(
        MLPERF_OFFLINE_RUN,
        "mlperf_log_detail.txt",
        &root.join("run"),
    );
}
