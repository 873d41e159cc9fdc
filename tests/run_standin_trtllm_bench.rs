//! The trtllm-bench stand-in (tests/bin/trtllm-bench): it takes the real command line, writes the
//! real report formats, and what it writes reads back through adreport's trtllm-bench reader
//! with the same numbers. Its numbers follow monotone trends the offline-runner tests rely on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use adreport::commands::dataset::token_norm_dist::{write_file, NormDist, TokenNormDist};
use adreport::ingest::{self, IngestOptions, Input};
use adreport::model::{Latency, Metric, Point, Stat};
use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{show_json, text, trtllm_bench_standin};

const MODEL: &str = "meta-llama/Llama-3.1-8B";

/// A fixed-length dataset like seed 001's (`--input-stdev 0 --output-stdev 0`).
fn dataset(dir: &Path, isl: i64, osl: i64, n: u64) -> PathBuf {
    let path = dir.join(format!("dataset_{isl}_{osl}.jsonl"));
    let spec = TokenNormDist {
        num_requests: n,
        input: NormDist {
            mean: isl,
            stdev: 0,
        },
        output: NormDist {
            mean: osl,
            stdev: 0,
        },
        vocab_size: 128_000,
        eos_id: None,
        seed: 420,
        task_id: -1,
        lora_dir: None,
    };
    write_file(&spec, &path).expect("dataset");
    path
}

fn bench(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(trtllm_bench_standin());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the stand-in (needs python3)")
}

struct Run {
    dir: PathBuf,
    json: Value,
    stdout: String,
}

/// One cell: `trtllm-bench --model M throughput --dataset D --backend B --max_batch_size BS --tp N
/// --report_json DIR/report.json [extra]`, stdout kept in DIR/stdout.txt.
fn run_cell(root: &Path, data: &Path, backend: &str, bs: u64, tp: u64, extra: &[&str]) -> Run {
    let dir = root.join(format!("bs_{bs}_tp_{tp}_{backend}"));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let (bs_s, tp_s) = (bs.to_string(), tp.to_string());
    let mut args = vec![
        "--model",
        MODEL,
        "throughput",
        "--dataset",
        data.to_str().unwrap(),
        "--backend",
        backend,
        "--max_batch_size",
        &bs_s,
        "--tp",
        &tp_s,
        "--report_json",
        report.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = bench(&args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    std::fs::write(dir.join("stdout.txt"), &stdout).unwrap();
    let json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    Run { dir, json, stdout }
}

fn load_one(path: &Path) -> Point {
    let sweep = ingest::load(
        &[Input::parse(path.to_str().unwrap())],
        &IngestOptions::default(),
    )
    .expect("load");
    assert_eq!(sweep.points.len(), 1, "{:?}", sweep.warnings);
    sweep.points.into_iter().next().unwrap()
}

fn out_tps(r: &Run) -> f64 {
    r.json["performance"]["system_output_throughput_tok_s"]
        .as_f64()
        .unwrap()
}

#[test]
fn report_json_has_the_real_keys_in_order() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 128, 64);
    let r = run_cell(tmp.path(), &data, "pytorch", 32, 1, &["--streaming"]);
    let text = std::fs::read_to_string(r.dir.join("report.json")).unwrap();
    // json.dumps(indent=4) of get_statistics_dict(): sections in this order.
    let sections = [
        "\n    \"engine\": {",
        "\n    \"machine\": null",
        "\n    \"world_info\": {",
        "\n    \"request_info\": {",
        "\n    \"performance\": {",
        "\n    \"streaming_metrics\": {",
        "\n    \"dataset\": {",
    ];
    let at: Vec<usize> = sections
        .iter()
        .map(|s| text.find(s).unwrap_or_else(|| panic!("no {s}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut perf = keys(&r.json["performance"]);
    perf.sort();
    assert_eq!(
        perf,
        [
            "avg_request_latency_ms",
            "output_throughput_per_gpu_tok_s",
            "output_throughput_per_user_tok_s",
            "request_latency_percentiles_ms",
            "request_throughput_req_s",
            "system_output_throughput_tok_s",
            "system_total_throughput_tok_s",
            "total_latency_ms"
        ]
    );
    let lat = text.find("\"request_latency_percentiles_ms\": {").unwrap();
    let block = &text[lat..lat + 400];
    let order: Vec<usize> = ["p50", "p90", "p95", "p99", "minimum", "maximum", "average"]
        .iter()
        .map(|k| block.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    // Both pytorch and _autodeploy report "Pytorch", as reporting.py does.
    assert_eq!(r.json["engine"]["backend"], "Pytorch");
    assert_eq!(r.json["dataset"]["max_isl"], 128);
    assert_eq!(r.json["dataset"]["isl_stats"]["average"], 128.0);
    assert_eq!(r.json["request_info"]["num_requests"], 64);
}

#[test]
fn printed_report_has_the_v021_layout() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 128, 100);
    let r = run_cell(tmp.path(), &data, "_autodeploy", 256, 1, &["--streaming"]);
    // Lines as in nvidia_blog_v0.21_pytorch_streaming_report.txt.
    for line in [
        "= PYTORCH BACKEND",
        "TensorRT-LLM Version:   0.21.0-standin",
        "Number of requests:             100",
        "Average Input Length (tokens):  128.0000",
        "Scheduling Policy:      GUARANTEED_NO_EVICT",
        "KV Memory Percentage:   90.00%",
        "-- Per-Request Time-per-Output-Token [TPOT] Breakdown (ms)",
        "-- Request Latency Breakdown (ms) -----------------------",
        "Number of Sequences:  100",
        "MIN:   128.0000           128.0000           256.0000",
    ] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "missing {line:?}\n{}",
            r.stdout
        );
    }
    // The report is one logger call: only its first line carries the prefix.
    assert!(r
        .stdout
        .contains("[01/01/2025-00:00:00] [TRT-LLM] [I] \n\n===="));
    let p = &r.json["performance"];
    let tput = format!(
        "Request Throughput (req/sec):                     {:.4}",
        p["request_throughput_req_s"].as_f64().unwrap()
    );
    assert!(r.stdout.contains(&tput), "{tput}");
}

#[test]
fn adreport_reads_back_the_numbers_it_wrote() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 512, 128, 128);
    let r = run_cell(tmp.path(), &data, "_autodeploy", 64, 2, &["--streaming"]);
    let p = load_one(&r.dir);
    let j = &r.json;
    let f = |v: &Value| v.as_f64().unwrap();
    assert_eq!(p.path, r.dir.join("report.json"));
    assert_eq!(p.model.as_deref(), Some(MODEL));
    assert_eq!(p.backend.as_deref(), Some("pytorch"));
    assert_eq!((p.isl, p.osl), (Some(512), Some(128)));
    assert_eq!(p.num_gpus, Some(2));
    let perf = &j["performance"];
    assert_eq!(
        p.get(Metric::RequestThroughput),
        Some(f(&perf["request_throughput_req_s"]))
    );
    assert_eq!(
        p.get(Metric::OutputTokenThroughput),
        Some(f(&perf["system_output_throughput_tok_s"]))
    );
    assert_eq!(
        p.get(Metric::TokensPerSGpu),
        Some(f(&perf["output_throughput_per_gpu_tok_s"]))
    );
    assert_eq!(
        p.get(Metric::Latency(Latency::E2el, Stat::P99)),
        Some(f(&perf["request_latency_percentiles_ms"]["p99"]))
    );
    let s = &j["streaming_metrics"];
    assert_eq!(
        p.get(Metric::Latency(Latency::Ttft, Stat::Avg)),
        Some(f(&s["avg_ttft_ms"]))
    );
    assert_eq!(
        p.get(Metric::Latency(Latency::Tpot, Stat::P50)),
        Some(f(&s["tpot_percentiles"]["p50"]))
    );
    assert_eq!(p.get(Metric::RequestsOk), Some(128.0));

    // The printed report alone gives the same numbers to its 4 decimals.
    let printed_dir = tmp.path().join("printed");
    std::fs::create_dir_all(&printed_dir).unwrap();
    std::fs::write(printed_dir.join("stdout.txt"), &r.stdout).unwrap();
    let q = load_one(&printed_dir);
    for m in [
        Metric::RequestThroughput,
        Metric::OutputTokenThroughput,
        Metric::Latency(Latency::Ttft, Stat::Avg),
        Metric::Latency(Latency::E2el, Stat::P50),
    ] {
        let (a, b) = (p.get(m).unwrap(), q.get(m).unwrap());
        assert!((a - b).abs() < 6e-5, "{m:?}: json {a} printed {b}");
    }
    assert_eq!((q.isl, q.osl), (Some(512), Some(128)));
}

#[test]
fn adreport_show_prints_what_the_standin_wrote() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 128, 64);
    let r = run_cell(tmp.path(), &data, "pytorch", 32, 1, &[]);
    let shown = show_json(&r.dir);
    let point = &shown[0];
    assert_eq!(point["source"], "trtllm-bench");
    assert_eq!(
        point["output_token_throughput"],
        r.json["performance"]["system_output_throughput_tok_s"]
    );
    assert_eq!(
        point["e2el_avg_ms"],
        r.json["performance"]["avg_request_latency_ms"]
    );
    // Without --streaming there is no TTFT, as in the real tool.
    assert!(point.get("ttft_avg_ms").is_none_or(Value::is_null));
}

#[test]
fn throughput_grows_with_batch_size_and_autodeploy_differs_from_pytorch() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 128, 256);
    for backend in ["pytorch", "_autodeploy"] {
        let tps: Vec<f64> = [32, 64, 128, 256]
            .iter()
            .map(|&bs| out_tps(&run_cell(tmp.path(), &data, backend, bs, 1, &[])))
            .collect();
        assert!(tps.windows(2).all(|w| w[0] < w[1]), "{backend}: {tps:?}");
    }
    let pt = out_tps(&run_cell(tmp.path(), &data, "pytorch", 64, 1, &[]));
    let ad = out_tps(&run_cell(tmp.path(), &data, "_autodeploy", 64, 1, &[]));
    assert!(ad > pt * 1.02, "_autodeploy {ad} vs pytorch {pt}");
    // Two GPUs: more in total, less per GPU.
    let tp2 = run_cell(tmp.path(), &data, "pytorch", 64, 2, &[]);
    assert!(out_tps(&tp2) > pt);
    let per_gpu = tp2.json["performance"]["output_throughput_per_gpu_tok_s"]
        .as_f64()
        .unwrap();
    assert!(per_gpu < pt);
}

#[test]
fn longer_sequences_lower_request_throughput() {
    let tmp = TempDir::new().unwrap();
    let short = dataset(tmp.path(), 128, 128, 128);
    let long = dataset(tmp.path(), 1024, 512, 128);
    let rps = |d: &Path, name: &str| {
        let root = tmp.path().join(name);
        run_cell(&root, d, "pytorch", 64, 1, &[]).json["performance"]["request_throughput_req_s"]
            .as_f64()
            .unwrap()
    };
    assert!(rps(&short, "s") > rps(&long, "l"));
}

#[test]
fn same_inputs_same_report() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 64, 64);
    let a = run_cell(
        &tmp.path().join("a"),
        &data,
        "pytorch",
        32,
        1,
        &["--streaming"],
    );
    let b = run_cell(
        &tmp.path().join("b"),
        &data,
        "pytorch",
        32,
        1,
        &["--streaming"],
    );
    assert_eq!(a.json, b.json);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn yaml_max_batch_size_wins_over_the_flag_and_num_requests_caps() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 128, 128, 64);
    let yaml = tmp.path().join("ad.yaml");
    std::fs::write(
        &yaml,
        "compile_backend: torch-opt\nmax_batch_size: 16  # fixed\n",
    )
    .unwrap();
    let r = run_cell(
        tmp.path(),
        &data,
        "_autodeploy",
        64,
        1,
        &[
            "--extra_llm_api_options",
            yaml.to_str().unwrap(),
            "--num_requests",
            "40",
            "--warmup",
            "0",
        ],
    );
    assert_eq!(r.json["world_info"]["max_batch_size"], 16);
    assert_eq!(r.json["request_info"]["num_requests"], 40);
}

#[test]
fn bad_command_lines_and_failures_exit_like_the_real_tool() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 16, 16, 8);
    let d = data.to_str().unwrap();
    // click usage errors: exit 2.
    for args in [
        vec![
            "--model",
            MODEL,
            "throughput",
            "--dataset",
            d,
            "--output",
            "x.json",
        ],
        vec![
            "--model",
            MODEL,
            "throughput",
            "--dataset",
            d,
            "--backend",
            "vllm",
        ],
        vec![
            "--model",
            MODEL,
            "throughput",
            "--dataset",
            d,
            "--tp",
            "two",
        ],
        vec!["throughput", "--dataset", d],
        vec!["--model", MODEL, "latency", "--dataset", d],
    ] {
        let out = bench(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("Error: "));
    }
    // A missing dataset: exit 1.
    let out = bench(
        &[
            "--model",
            MODEL,
            "throughput",
            "--dataset",
            "/nonexistent.jsonl",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    // A simulated OOM for one batch size: exit 1, no report JSON.
    let report = tmp.path().join("oom.json");
    let args = [
        "--model",
        MODEL,
        "throughput",
        "--dataset",
        d,
        "--max_batch_size",
        "256",
        "--report_json",
        report.to_str().unwrap(),
    ];
    let out = bench(&args, &[("TRTLLM_BENCH_STANDIN_FAIL_BS", "128,256")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("CUDA out of memory"));
    assert!(!report.exists());
}

#[test]
fn invocations_are_logged_for_runner_tests() {
    let tmp = TempDir::new().unwrap();
    let data = dataset(tmp.path(), 16, 16, 4);
    let log = tmp.path().join("calls.jsonl");
    let args = [
        "--model",
        MODEL,
        "throughput",
        "--dataset",
        data.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let out = bench(
            &args,
            &[("TRTLLM_BENCH_STANDIN_LOG", log.to_str().unwrap())],
        );
        assert!(out.status.success());
    }
    let calls: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0][2], "throughput");
}
