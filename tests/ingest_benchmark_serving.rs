//! benchmark_serving reader against real files (sample-results/benchmark_serving) and hand-made ones
//! (tests/data/benchmark_serving). Expected numbers were read by hand from the files named in each test.

use std::path::PathBuf;

use adreport::ingest::{benchmark_serving, load, read_head, IngestOptions, Input, ReadCtx};
use adreport::model::stats;
use adreport::model::{Latency, Metric, Point, Source, Stat};

mod common;
use common::{lat, repo, sample};

const SGLANG: &str = "sample-results/benchmark_serving/sglang";
const VLLM: &str = "sample-results/benchmark_serving/vllm";
const DATA: &str = "tests/data/benchmark_serving";

fn file(dir: &str, name: &str) -> PathBuf {
    repo(dir).join(name)
}

fn read(dir: &str, name: &str) -> (Vec<Point>, ReadCtx) {
    let path = file(dir, name);
    let mut ctx = ReadCtx::default();
    let head = read_head(&path).unwrap();
    assert!(
        benchmark_serving::sniff(&path, &head),
        "sniff should claim {}",
        path.display()
    );
    let points = benchmark_serving::read(&path, &mut ctx).unwrap_or_else(|e| panic!("{e}"));
    (points, ctx)
}

fn one(dir: &str, name: &str) -> (Point, ReadCtx) {
    let (mut points, ctx) = read(dir, name);
    assert_eq!(points.len(), 1);
    (points.remove(0), ctx)
}

fn err(dir: &str, name: &str) -> String {
    let path = file(dir, name);
    let e = benchmark_serving::read(&path, &mut ReadCtx::default()).expect_err("should fail");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&path.display().to_string()),
        "error must name the file: {msg}"
    );
    msg
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

const CONC8: &str = "sglang_bench_serving_vllm_backend_isl128_osl64_conc8.jsonl";

#[test]
fn sglang_conc8_summary() {
    let (p, ctx) = one(SGLANG, CONC8);
    assert_eq!(p.source, Source::BenchmarkServing);
    // "max_concurrency": 8, "random_input_len": 128, "random_output_len": 64, "request_rate": Infinity
    assert_eq!(
        (p.concurrency, p.isl, p.osl, p.request_rate),
        (Some(8), Some(128), Some(64), None)
    );
    assert_eq!(
        p.extra.get("request_rate").map(String::as_str),
        Some("Infinity")
    );
    assert_eq!(p.backend.as_deref(), Some("vllm"));
    assert_eq!(p.model, None); // SGLang writes no model_id and server_info is null
    assert_eq!(p.extra["family"], "sglang");
    // "concurrency": 7.955880435782943 is the measured mean in-flight count, not the setting
    assert_eq!(p.extra["concurrency_measured"], "7.955880435782943");
    assert_eq!(p.get(Metric::RequestsOk), Some(40.0)); // "completed": 40
    assert_eq!(p.get(Metric::RequestsFailed), Some(0.0)); // 40 errors, all ""
    assert_eq!(p.get(Metric::DurationS), Some(6.081289077999827));
    assert_eq!(p.get(Metric::RequestThroughput), Some(6.577552799571278));
    assert_eq!(
        p.get(Metric::OutputTokenThroughput),
        Some(420.9633791725618)
    );
    assert_eq!(
        p.get(Metric::TotalTokenThroughput),
        Some(1262.8901375176854)
    ); // "total_throughput"
    assert_eq!(p.get(Metric::InputTokensAvg), Some(128.0)); // 5120 / 40
    assert_eq!(p.get(Metric::OutputTokensAvg), Some(64.0)); // 2560 / 40
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        Some(145.12027227506223)
    );
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::P90)),
        Some(164.2263617003664)
    );
    assert_eq!(
        p.get(lat(Latency::Tpot, Stat::P99)),
        Some(17.118506333181358)
    );
    assert_eq!(p.get(lat(Latency::Itl, Stat::P50)), Some(17.0464580000953)); // median_itl_ms
    assert_eq!(
        p.get(lat(Latency::E2el, Stat::P99)),
        Some(1237.1870906204276)
    ); // p99_e2e_latency_ms
    assert_eq!(p.get(lat(Latency::E2el, Stat::Std)), Some(21.515469229289));
    assert_eq!(p.get(Metric::Goodput), None);
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
}

#[test]
fn sglang_per_request_arrays_reproduce_the_file() {
    let (p, _) = one(SGLANG, CONC8);
    let r = p.requests.as_ref().expect("--output-details arrays");
    assert_eq!(r.len(), 40);
    assert!(r.ok.iter().all(|o| *o));
    assert!(r.isl.iter().all(|v| *v == Some(128.0)) && r.osl.iter().all(|v| *v == Some(64.0)));
    // ttfts[0] = 0.08035795100022369 s
    assert!(close(r.ttft_ms[0].unwrap(), 80.357_951_000_223_7, 1e-9));
    let m = Source::BenchmarkServing.percentile_method();
    let ttft = r.ok_values(Latency::Ttft);
    assert!(close(
        stats::stat(&ttft, Stat::Avg, m).unwrap(),
        145.12027227506223,
        1e-6
    )); // mean_ttft_ms
    assert!(close(
        stats::stat(&ttft, Stat::P50, m).unwrap(),
        150.14274499981184,
        1e-6
    )); // median_ttft_ms
    assert!(close(
        stats::stat(&ttft, Stat::P99, m).unwrap(),
        169.30806544036386,
        1e-6
    )); // p99_ttft_ms
        // TPOT = (latency - ttft) / (output_len - 1). SGLang's own latency is taken when the final
        // `[DONE]` chunk arrives, which its arrays do not record; ttft + sum(itls) is the last token's time,
        // so the recomputed p99 is 0.00014 ms (8e-6 relative) below the file. Dividing by output_len
        // instead (the wrong definition) would be 1.6 % off.
    let tpot = r.ok_values(Latency::Tpot);
    assert_eq!(tpot.len(), 40);
    let p99 = stats::stat(&tpot, Stat::P99, m).unwrap();
    assert!(
        close(p99, 17.118506333181358, 17.118506333181358 * 2e-5),
        "p99 TPOT {p99}"
    );
    assert!(close(
        stats::stat(&tpot, Stat::Avg, m).unwrap(),
        16.895713455951125,
        1e-3
    )); // mean_tpot_ms
        // The file's statistics are kept; recomputed ones only fill the gaps (min/max after load).
    assert_eq!(
        p.get(lat(Latency::Tpot, Stat::P99)),
        Some(17.118506333181358)
    );
}

#[test]
fn sglang_conc1() {
    let (p, _) = one(
        SGLANG,
        "sglang_bench_serving_vllm_backend_isl128_osl64_conc1.jsonl",
    );
    assert_eq!(
        (p.concurrency, p.isl, p.osl),
        (Some(1), Some(128), Some(64))
    );
    assert_eq!(p.get(Metric::RequestsOk), Some(5.0));
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::P50)),
        Some(68.87953800014657)
    );
    assert_eq!(
        p.get(lat(Latency::Tpot, Stat::P95)),
        Some(13.488217149209785)
    );
    assert_eq!(p.requests.as_ref().map(|r| r.len()), Some(5));
}

#[test]
fn vllm_legacy_rate_run() {
    let (p, ctx) = one(VLLM, "legacy_llama32_3b/vllm_llama32_3b_rate10.json");
    assert_eq!(p.model.as_deref(), Some("meta-llama/Llama-3.2-3B-Instruct"));
    assert_eq!(p.backend.as_deref(), Some("vllm"));
    assert_eq!(p.extra["family"], "vllm benchmark_serving.py");
    // "request_rate": 10.0, "max_concurrency": null
    assert_eq!((p.request_rate, p.concurrency), (Some(10.0), None));
    // --metadata input_len=1000 output_len=500 (strings) are the configured lengths
    assert_eq!((p.isl, p.osl), (Some(1000), Some(500)));
    assert_eq!(p.extra["metadata.deployment"], "base");
    assert_eq!(p.get(Metric::RequestsOk), Some(300.0));
    assert_eq!(p.get(Metric::RequestsFailed), Some(0.0)); // num_prompts 300 - completed 300
    assert_eq!(p.get(Metric::InputTokensAvg), Some(999.0)); // 299700 / 300: measured, not configured
    assert_eq!(
        p.get(Metric::TotalTokenThroughput),
        Some(10566.328606120898)
    );
    assert_eq!(p.get(Metric::Goodput), None); // "request_goodput:": null
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        Some(54.577085783294024)
    );
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Std)), Some(9.27197373989555));
    assert_eq!(
        p.get(lat(Latency::Tpot, Stat::P50)),
        Some(13.512526767533997)
    );
    assert_eq!(
        p.get(lat(Latency::Itl, Stat::P99)),
        Some(34.210415409961556)
    );
    assert_eq!(p.get(lat(Latency::E2el, Stat::Avg)), None); // e2el not in --percentile-metrics
    assert!(p.requests.is_none());
    assert!(ctx.warnings.is_empty());
}

#[test]
fn vllm_inf_rate_is_none_with_raw_kept() {
    let (p, _) = one(VLLM, "llmd_v0.9/vllm_v0.9_save_result_llmd_inf.json");
    assert_eq!(p.request_rate, None); // "request_rate": "inf"
    assert_eq!(p.extra["request_rate"], "inf");
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::P99)),
        Some(1353.1694669699937)
    );
    let (p, _) = one(VLLM, "llmd_v0.9/vllm_v0.9_save_result_llmd_30qps.json");
    assert_eq!(p.request_rate, Some(30.0));
    assert_eq!(p.get(Metric::RequestsOk), Some(900.0));
}

#[test]
fn append_result_jsonl_gives_nine_points() {
    let (points, _) = read(
        VLLM,
        "append_9runs/vllm_benchmark_serving_results_9runs.jsonl",
    );
    assert_eq!(points.len(), 9);
    let rates: Vec<Option<f64>> = points.iter().map(|p| p.request_rate).collect();
    assert_eq!(rates[..3], [Some(10.0), Some(30.0), None]);
    let deployments: Vec<&str> = points
        .iter()
        .map(|p| p.extra["metadata.deployment"].as_str())
        .collect();
    assert_eq!(
        deployments[..4],
        ["no-features", "no-features", "no-features", "base"]
    );
    // line 3: "request_rate": "inf", "mean_ttft_ms": 4386.739448253334
    assert_eq!(
        points[2].get(lat(Latency::Ttft, Stat::Avg)),
        Some(4386.739448253334)
    );
    // line 9 (kvcache, inf): "mean_ttft_ms": 884.9588357166714
    assert_eq!(
        points[8].get(lat(Latency::Ttft, Stat::Avg)),
        Some(884.9588357166714)
    );
}

#[test]
fn vllm_bench_serve_new_format() {
    let (p, _) = one(
        VLLM,
        "bench_serve_qwen3vl/vllm_bench_serve_new_save_result_qwen3vl.json",
    );
    assert_eq!(p.extra["family"], "vllm bench serve");
    assert_eq!(p.backend.as_deref(), Some("openai"));
    assert_eq!(p.request_rate, Some(1.0));
    assert_eq!((p.isl, p.osl), (None, None)); // nothing in the file says the configured lengths
    assert_eq!(p.get(Metric::RequestsOk), Some(200.0));
    assert_eq!(p.get(Metric::RequestsFailed), Some(0.0)); // "failed": 0
    assert_eq!(
        p.get(lat(Latency::Tpot, Stat::Avg)),
        Some(27.911832109121164)
    );
    assert_eq!(p.extra["max_concurrent_requests"], "12");
}

#[test]
fn vllm_failed_request_is_counted() {
    let (p, _) = one(
        VLLM,
        "bench_serve_failed1/vllm_bench_serve_new_save_result_failed1.json",
    );
    assert_eq!(p.get(Metric::RequestsOk), Some(199.0)); // "completed": 199
    assert_eq!(p.get(Metric::RequestsFailed), Some(1.0)); // "failed": 1
    assert_eq!(
        p.get(lat(Latency::Ttft, Stat::P99)),
        Some(113.88637554366143)
    );
}

#[test]
fn trtllm_fork_handmade() {
    // Hand-made after TensorRT-LLM benchmark_serving.py @0228a712: std/min/max before mean,
    // "request_goodput:", user_throughput, e2els, traffic keys last; 4 requests, 1 failed.
    let (p, ctx) = one(DATA, "trtllm_fork_handmade_conc4.json");
    assert_eq!(p.extra["family"], "tensorrt-llm");
    assert_eq!((p.concurrency, p.request_rate), (Some(4), None));
    assert_eq!(p.get(Metric::RequestsOk), Some(3.0));
    assert_eq!(p.get(Metric::RequestsFailed), Some(1.0)); // one non-empty error
    assert_eq!(p.get(Metric::TokensPerSUser), None); // user_throughput includes TTFT: extra only
    assert_eq!(p.extra["user_throughput"], "39.12327696858084");
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Min)), Some(40.0));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P99)), Some(59.8));
    assert_eq!(p.get(lat(Latency::Tpot, Stat::Avg)), Some(11.5625));
    assert_eq!(p.get(lat(Latency::E2el, Stat::Max)), Some(90.5));
    let r = p.requests.as_ref().unwrap();
    assert_eq!(r.ok, [true, true, false, true]);
    // request 0: e2els 0.0905 s, ttft 0.050 s, 5 tokens -> (90.5 - 50) / 4 ms (not ttft + sum(itls) = 90)
    assert!(close(r.tpot_ms[0].unwrap(), 10.125, 1e-9));
    assert!(close(r.e2el_ms[0].unwrap(), 90.5, 1e-9));
    assert_eq!(r.tpot_ms[1], None); // one output token
    assert_eq!(
        (r.ttft_ms[2], r.e2el_ms[2], r.osl[2], r.isl[2]),
        (None, None, None, Some(100.0))
    );
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
}

#[test]
fn trtllm_energy_block_gives_energy_per_token() {
    // trtllm_fork_handmade_conc4.json with the `energy` block benchmark_serving.py @0228a712
    // adds when the server answers /energy_metrics: total_energy_j 45 J (counter delta), and as
    // the script derives them, output_tps_per_w = 9 tokens / 45 J = 0.2 and total_gpu_power_w =
    // 45 J / 0.52 s between the two reads = 86.53846153846153 W.
    let (p, ctx) = one(DATA, "trtllm_energy_handmade_conc4.json");
    assert_eq!(p.get(Metric::GpuEnergyJ), Some(45.0));
    assert_eq!(p.get(Metric::GpuPowerAvgW), Some(86.53846153846153));
    assert_eq!(p.get(Metric::EnergyPerOutputTokenJ), Some(5.0)); // 45 J / 9 tokens
                                                                 // The script's own tokens-per-joule figure (which it labels tps/W).
    assert_eq!(p.get(Metric::OutputTokensPerJoule), Some(0.2));
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    // Without the block: empty, never 0.
    let (p, _) = one(DATA, "trtllm_fork_handmade_conc4.json");
    assert_eq!(p.get(Metric::EnergyPerOutputTokenJ), None);
    // A negative counter delta (server restarted between the reads) costs the energy, not the point.
    let text = std::fs::read_to_string(file(DATA, "trtllm_energy_handmade_conc4.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("energy_negative.json");
    std::fs::write(
        &bad,
        text.replace("\"total_energy_j\": 45.0", "\"total_energy_j\": -3.0"),
    )
    .unwrap();
    let mut ctx = ReadCtx::default();
    let points = benchmark_serving::read(&bad, &mut ctx).unwrap();
    assert_eq!(points[0].get(Metric::GpuEnergyJ), None);
    assert_eq!(points[0].get(Metric::RequestsOk), Some(3.0));
    let w = ctx.warnings[0].to_string();
    assert!(
        w.contains("energy_negative.json")
            && w.contains("GPU telemetry left out")
            && w.contains("energy.total_energy_j"),
        "{w}"
    );
}

#[test]
fn zero_means_from_empty_lists_are_not_values() {
    // Hand-made legacy vLLM: non-streaming backend, one output token per request (10 tokens / 10 requests).
    let (p, ctx) = one(DATA, "not_measured_nonstreaming_1token.json");
    for l in [Latency::Ttft, Latency::Tpot, Latency::Itl] {
        for s in [Stat::Avg, Stat::P50, Stat::Std, Stat::P99] {
            assert_eq!(p.get(lat(l, s)), None, "{l:?} {s:?}");
        }
    }
    assert_eq!(p.get(lat(Latency::E2el, Stat::Avg)), Some(210.0));
    let msgs: Vec<&str> = ctx.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs
        .iter()
        .any(|m| m.contains("TPOT") && m.contains("total_output_tokens <= completed")));

    // Per-request data decides: every answer has one token, so TPOT and ITL are unmeasured; TTFT is real.
    let (p, ctx) = one(DATA, "not_measured_one_token_detailed.json");
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Avg)), Some(55.0));
    assert_eq!(p.get(lat(Latency::Tpot, Stat::Avg)), None);
    assert_eq!(p.get(lat(Latency::Itl, Stat::P99)), None);
    assert!(ctx.warnings.iter().any(|w| w
        .message
        .contains("no successful request has more than one output token")));
}

#[test]
fn sample_tree_loads_and_skips_printed_blocks() {
    let dir = sample("benchmark_serving");
    let sweep = load(
        &[Input::parse(dir.to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    // sglang: 2 files x 1 line; vllm: 5 single objects + 9 lines. stdout_conc*.txt are not claimed.
    assert_eq!(sweep.points.len(), 16);
    assert_eq!(sweep.files_read.len(), 8);
    assert!(sweep
        .files_read
        .iter()
        .all(|f| f.extension().is_some_and(|e| e != "txt")));
    let conc8: Vec<&Point> = sweep
        .points
        .iter()
        .filter(|p| p.concurrency == Some(8))
        .collect();
    assert_eq!(conc8.len(), 1);
    assert_eq!(conc8[0].label, "sglang");
    // Filled from per-request data with numpy-linear percentiles where the file has no such stat.
    assert!(conc8[0].get(lat(Latency::Ttft, Stat::Min)).is_some());
    assert!(
        !sweep
            .warnings
            .iter()
            .any(|w| w.message.contains("left out")),
        "{:?}",
        sweep.warnings
    );
}

#[test]
fn printed_block_is_not_claimed() {
    for name in ["stdout_conc8.txt", "stdout_conc1.txt"] {
        let path = file(SGLANG, name);
        assert!(!benchmark_serving::sniff(&path, &read_head(&path).unwrap()));
    }
    // TensorRT-LLM's printed block from its docs (copied from shared/fixtures/public).
    let trt = file(
        DATA,
        "trtllm_serve_doc_stdout_user_throughput_request_ar.txt",
    );
    assert!(!benchmark_serving::sniff(&trt, &read_head(&trt).unwrap()));
}

#[test]
fn bad_inputs_name_file_and_place() {
    let m = err(&format!("{DATA}/bad"), "truncated.json");
    assert!(
        m.contains("line 1 column") && m.contains("truncated"),
        "{m}"
    );

    // Each JSON Lines line is its own run: the cut third line is left out, the other three stay.
    let (points, ctx) = read(&format!("{DATA}/bad"), "truncated_line3.jsonl");
    assert_eq!(points.len(), 3);
    let w: Vec<String> = ctx.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|m| m.contains("truncated_line3.jsonl: left out: line 3:")
                && m.contains("truncated")),
        "{w:?}"
    );

    let m = err(&format!("{DATA}/bad"), "string_mean_ttft.json");
    assert!(
        m.contains("field `mean_ttft_ms`") && m.contains("found \"95.6\""),
        "{m}"
    );

    let m = err(&format!("{DATA}/bad"), "completed0.json");
    assert!(
        m.contains("field `completed`") && m.contains("every request failed"),
        "{m}"
    );

    let m = err(&format!("{DATA}/bad"), "mismatched_arrays.json");
    assert!(
        m.contains("field `ttfts`") && m.contains("(4), found 3"),
        "{m}"
    );
}

#[test]
fn empty_and_wrong_type_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "\n\n").unwrap();
    let e = benchmark_serving::read(&empty, &mut ReadCtx::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty file"), "{e}");

    let bad_rate = dir.path().join("rate.json");
    std::fs::write(
        &bad_rate,
        r#"{"duration": 1, "completed": 1, "request_throughput": 1, "request_rate": "fast"}"#,
    )
    .unwrap();
    let e = benchmark_serving::read(&bad_rate, &mut ReadCtx::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field `request_rate`") && e.contains("\"fast\""),
        "{e}"
    );

    // A JSONL line with a bad field: the error names the line and the field.
    let jsonl = dir.path().join("runs.jsonl");
    let ok = r#"{"duration": 1, "completed": 1, "request_throughput": 1}"#;
    std::fs::write(
        &jsonl,
        format!(
            "{ok}\n{ok}\n{}\n",
            ok.replace("\"completed\": 1", "\"completed\": \"x\"")
        ),
    )
    .unwrap();
    let mut ctx = ReadCtx::default();
    let points = benchmark_serving::read(&jsonl, &mut ctx).unwrap();
    assert_eq!(points.len(), 2);
    assert!(
        ctx.warnings[0]
            .to_string()
            .contains("runs.jsonl: left out: line 3: field `completed`"),
        "{:?}",
        ctx.warnings
    );
    // When every line is bad, the first line's error is the file's error.
    let bad = ok.replace("\"completed\": 1", "\"completed\": \"x\"");
    std::fs::write(&jsonl, format!("{bad}\n{bad}\n")).unwrap();
    let e = benchmark_serving::read(&jsonl, &mut ReadCtx::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1: field `completed`"), "{e}");

    let bad_elem = dir.path().join("elem.json");
    std::fs::write(&bad_elem, r#"{"duration": 1, "completed": 1, "request_throughput": 1, "ttfts": [0.1, "x"], "errors": ["", ""]}"#)
        .unwrap();
    let e = benchmark_serving::read(&bad_elem, &mut ReadCtx::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("field `ttfts[1]`"), "{e}");
}
