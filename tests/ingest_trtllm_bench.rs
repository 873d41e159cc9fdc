//! trtllm-bench reader: every public sample, the hand-made report JSON, bad inputs.
//!
//! Expected numbers were read by hand from the files named in each test.

use std::path::{Path, PathBuf};

use adreport::ingest::{load, read_head, trtllm_bench, IngestOptions, Input, ReadCtx};
use adreport::model::{Latency, Metric, Point, Stat};

mod common;

fn sample(name: &str) -> PathBuf {
    common::sample("trtllm-bench").join(name)
}

fn data(name: &str) -> PathBuf {
    common::data("trtllm-bench").join(name)
}

fn read(path: &Path) -> (Vec<Point>, ReadCtx) {
    let head = read_head(path).unwrap();
    assert!(
        trtllm_bench::sniff(path, &head),
        "sniff should accept {}",
        path.display()
    );
    let mut ctx = ReadCtx::default();
    let points = trtllm_bench::read(path, &mut ctx).unwrap_or_else(|e| panic!("{e}"));
    (points, ctx)
}

fn one(path: &Path) -> Point {
    let (mut points, ctx) = read(path);
    assert_eq!(points.len(), 1, "{}", path.display());
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    points.remove(0)
}

fn read_err(path: &Path) -> String {
    let mut ctx = ReadCtx::default();
    trtllm_bench::read(path, &mut ctx)
        .expect_err("should fail")
        .to_string()
}

#[track_caller]
fn close(p: &Point, m: Metric, want: f64) {
    let got = p
        .get(m)
        .unwrap_or_else(|| panic!("{m} missing in {}", p.path.display()));
    assert!(
        (got - want).abs() < 1e-9 * want.abs().max(1.0),
        "{m}: got {got}, want {want}"
    );
}

const TTFT_AVG: Metric = Metric::Latency(Latency::Ttft, Stat::Avg);
const TPOT_AVG: Metric = Metric::Latency(Latency::Tpot, Stat::Avg);
const E2E_AVG: Metric = Metric::Latency(Latency::E2el, Stat::Avg);

#[test]
fn v0_17_trt_engine_report_old_labels() {
    // perf-benchmarking_v0.17_trt_throughput_report.txt
    let p = one(&sample("perf-benchmarking_v0.17_trt_throughput_report/perf-benchmarking_v0.17_trt_throughput_report.txt"));
    assert_eq!(p.model.as_deref(), Some("meta-llama/Llama-3.1-8B"));
    assert_eq!(p.tool_version.as_deref(), Some("0.17.0")); // TensorRT-LLM Version:   0.17.0
    assert_eq!(p.backend.as_deref(), Some("trt")); // = ENGINE DETAILS
    assert_eq!(p.num_gpus, Some(1)); // TP Size 1, PP Size 1
    close(&p, Metric::RequestsOk, 3000.0); // Number of requests:             3000
    close(&p, Metric::OutputTokenThroughput, 28390.4265); // Token Throughput (tokens/sec):  28390.4265
    close(&p, Metric::RequestThroughput, 221.8002);
    close(&p, Metric::DurationS, 13.5256862); // Total Latency (ms): 13525.6862
    close(&p, Metric::InputTokensAvg, 128.0);
    close(&p, Metric::OutputTokensAvg, 128.0);
    assert_eq!(
        p.extra.get("max_batch_size").map(String::as_str),
        Some("4096")
    );
    assert_eq!(
        p.extra.get("scheduling_policy").map(String::as_str),
        Some("Guaranteed No Evict")
    );
    assert_eq!(p.concurrency, None); // trtllm-bench throughput has no client concurrency
    assert_eq!(p.isl, None); // no DATASET DETAILS table: averages only
    assert_eq!(p.get(Metric::TokensPerSUser), None);
}

#[test]
fn mid_2025_multimodal_report_tokens_sec_user_labels() {
    // perf-benchmarking_pytorch_multimodal_report.txt
    let p = one(&sample("perf-benchmarking_pytorch_multimodal_report/perf-benchmarking_pytorch_multimodal_report.txt"));
    close(&p, Metric::RequestsOk, 10.0);
    close(&p, Metric::RequestThroughput, 1.4439);
    close(&p, Metric::OutputTokenThroughput, 185.8351);
    close(&p, Metric::TokensPerSGpu, 185.8351); // Per GPU Output Throughput (tokens/sec/gpu)
    close(&p, Metric::TotalTokenThroughput, 780.1607);
    close(&p, Metric::DurationS, 6.9254963);
    close(&p, E2E_AVG, 3671.8441);
    close(&p, Metric::Latency(Latency::E2el, Stat::P50), 3936.3022);
    close(&p, Metric::Latency(Latency::E2el, Stat::P90), 5514.4701);
    close(&p, Metric::Latency(Latency::E2el, Stat::Min), 2397.1047);
    close(&p, Metric::InputTokensAvg, 411.6);
    close(&p, Metric::OutputTokensAvg, 128.7);
    // (tokens/sec/user) includes the first token: kept as a fact, not tokens_per_s_user.
    assert_eq!(
        p.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("38.1959")
    );
    assert_eq!(p.get(Metric::TokensPerSUser), None);
    assert_eq!(
        p.extra.get("avg_concurrent_requests").map(String::as_str),
        Some("5.3019")
    );
    // Dataset lengths vary (MIN 167 / MAX 1059 input): no fixed ISL/OSL.
    assert_eq!((p.isl, p.osl), (None, None));
    assert_eq!(p.num_gpus, Some(1));
    assert_eq!(p.model, None); // this excerpt has no backend section
}

#[test]
fn v0_21_streaming_report_with_breakdowns() {
    // nvidia_blog_v0.21_pytorch_streaming_report.txt
    let p = one(&sample(
        "nvidia_blog_v0.21_pytorch_streaming_report/nvidia_blog_v0.21_pytorch_streaming_report.txt",
    ));
    assert_eq!(p.model.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
    assert_eq!(p.tool_version.as_deref(), Some("0.21.0rc0"));
    assert_eq!(p.backend.as_deref(), Some("pytorch"));
    assert_eq!(p.num_gpus, Some(1));
    close(&p, Metric::RequestsOk, 100.0);
    close(&p, Metric::RequestThroughput, 86.5373);
    close(&p, Metric::OutputTokenThroughput, 11076.77);
    close(&p, Metric::TotalTokenThroughput, 22153.5399);
    close(&p, Metric::TokensPerSGpu, 11076.77);
    close(&p, TTFT_AVG, 162.6706); // short padding on this line in the blog copy
    close(&p, TPOT_AVG, 7.3272);
    close(&p, Metric::TokensPerSUser, 137.1475); // Per User Output Speed (tps/user)
    close(&p, Metric::Latency(Latency::Tpot, Stat::P50), 7.6079); // [TPOT] P50    : 7.6079
    close(&p, Metric::Latency(Latency::Tpot, Stat::P90), 8.1246);
    close(&p, Metric::Latency(Latency::Tpot, Stat::Min), 6.645);
    close(&p, Metric::Latency(Latency::Ttft, Stat::P99), 232.4339);
    close(&p, Metric::Latency(Latency::E2el, Stat::P50), 1091.7905);
    close(&p, Metric::Latency(Latency::E2el, Stat::Max), 1137.6817);
    close(&p, E2E_AVG, 1093.2284);
    assert_eq!(
        p.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("117.1544")
    );
    assert_eq!(
        p.extra.get("gtps_p50").map(String::as_str),
        Some("131.4444")
    );
    assert_eq!(
        p.extra.get("max_batch_size").map(String::as_str),
        Some("3840")
    );
    assert_eq!(p.extra.get("ep_size"), None); // EP Size: None
                                              // DATASET DETAILS: MIN == MAX == 128 for input and output.
    assert_eq!((p.isl, p.osl), (Some(128), Some(128)));
    assert_eq!(p.concurrency, None);
}

#[test]
fn blog15_block_with_tab_separators() {
    // blog15_ds32_min_latency_overview_with_tabs.txt: values after spaces + TAB + 2 spaces
    let p = one(&sample(
        "blog15_ds32_min_latency_overview_with_tabs/blog15_ds32_min_latency_overview_with_tabs.txt",
    ));
    close(&p, Metric::RequestThroughput, 0.2678);
    close(&p, Metric::OutputTokenThroughput, 274.1786);
    close(&p, Metric::TotalTokenThroughput, 2467.607);
    close(&p, Metric::DurationS, 37.3479238);
    close(&p, E2E_AVG, 3734.7334);
    close(&p, Metric::TokensPerSGpu, 68.5446);
    close(&p, TTFT_AVG, 425.9885);
    close(&p, TPOT_AVG, 3.2344);
    close(&p, Metric::TokensPerSUser, 312.0708);
    // The one line with plain spaces.
    assert_eq!(
        p.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("276.2231")
    );
    assert_eq!(p.num_gpus, None); // the block does not state TP/PP
}

#[test]
fn blog15_block_with_trailing_space_in_title() {
    // blog15_ds32_max_throughput_overview.txt: `= PERFORMANCE OVERVIEW ` (trailing space)
    let p = one(&sample(
        "blog15_ds32_max_throughput_overview/blog15_ds32_max_throughput_overview.txt",
    ));
    close(&p, Metric::RequestThroughput, 8.4162);
    close(&p, Metric::OutputTokenThroughput, 8618.2158);
    close(&p, Metric::TokensPerSGpu, 1077.277);
    close(&p, TPOT_AVG, 98.5219);
    close(&p, TTFT_AVG, 19537.7776);
    close(&p, Metric::TokensPerSUser, 11.2591);
    assert_eq!(
        p.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("9.8876")
    );
}

#[test]
fn dgxc_file_gives_one_point_per_block() {
    // dgxc_perf_overview_blocks_llama3.3_deepseek.txt: three `--- name ---` headed blocks
    let (points, ctx) = read(&sample("dgxc_perf_overview_blocks_llama3.3_deepseek/dgxc_perf_overview_blocks_llama3.3_deepseek.txt"));
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    assert_eq!(points.len(), 3);
    let ds = &points[0];
    assert_eq!(
        ds.label,
        "DeepSeek-R1_max_throughput_TP4_EP4_PP1_CON1024_reasoning_streaming-on_351"
    );
    close(ds, Metric::RequestThroughput, 16.2583);
    close(ds, Metric::OutputTokenThroughput, 16258.3472);
    close(ds, Metric::TokensPerSGpu, 4064.5868);
    close(ds, TPOT_AVG, 60.8022);
    close(ds, Metric::TokensPerSUser, 16.5025);
    assert_eq!(
        ds.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("16.0523")
    );
    let l2048 = &points[1];
    assert_eq!(
        l2048.label,
        "Llama3.3-70B_TP1_EP1_PP1_CON2048_chat_streaming-on_255"
    );
    close(l2048, Metric::RequestThroughput, 92.8814);
    close(l2048, TTFT_AVG, 3898.6893);
    close(l2048, Metric::TotalTokenThroughput, 23777.6338);
    let l640 = &points[2];
    assert_eq!(
        l640.label,
        "Llama3.3-70B_TP1_EP1_PP1_CON640_chat_streaming-on_190"
    );
    close(l640, Metric::RequestThroughput, 78.5157);
    close(l640, TPOT_AVG, 57.521);
    close(l640, Metric::DurationS, 52.1678963);
}

#[test]
fn newest_layout_machine_details_and_tabbed_backend_section() {
    // tests/data/trtllm-bench/newest_format_handmade.txt (layout after reporting.py; see README)
    let p = one(&data("newest_format_handmade.txt"));
    assert_eq!(p.model.as_deref(), Some("deepseek-ai/DeepSeek-V3.2-Exp")); // Model:\t\t\t...
    assert_eq!(p.tool_version.as_deref(), Some("1.2.0rc2")); // TensorRT LLM Version:\t...
    assert_eq!(p.backend.as_deref(), Some("pytorch"));
    assert_eq!(
        p.extra.get("gpu").map(String::as_str),
        Some("NVIDIA B200, memory 178.36 GB, 3.99 GHz")
    );
    assert_eq!(
        p.extra.get("kv_cache_percentage").map(String::as_str),
        Some("80.00%")
    );
    assert_eq!(
        p.extra.get("acceptance_length_avg").map(String::as_str),
        Some("2.71")
    );
    assert_eq!(p.num_gpus, Some(8)); // TP 8 x PP 1
    assert_eq!((p.isl, p.osl), (Some(8192), Some(1024)));
    close(&p, Metric::RequestsOk, 3072.0);
    close(&p, Metric::RequestThroughput, 8.4162);
    close(&p, Metric::Latency(Latency::E2el, Stat::P50), 118000.1);
}

#[test]
fn log_prefix_and_surrounding_log_lines() {
    // tests/data/trtllm-bench/logged/v0.21_stdout_with_log_lines.log
    let p = one(&data("logged/v0.21_stdout_with_log_lines.log"));
    close(&p, Metric::RequestThroughput, 86.5373);
    // Lines after the interleaved C++ log line are still read.
    close(&p, TTFT_AVG, 162.6706);
    close(&p, Metric::Latency(Latency::Tpot, Stat::P50), 7.6079);
    assert_eq!((p.isl, p.osl), (Some(128), Some(128)));
    assert_eq!(p.model.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
}

#[test]
fn report_json_maps_every_section_and_agrees_with_the_printed_report() {
    // tests/data/trtllm-bench/json_and_stdout/report.json: hand-made after reporting.py with the numbers of
    // the same run's printed report (nvidia_blog_v0.21_pytorch_streaming_report.txt).
    let json = one(&data("json_and_stdout/report.json"));
    let text = one(&sample(
        "nvidia_blog_v0.21_pytorch_streaming_report/nvidia_blog_v0.21_pytorch_streaming_report.txt",
    ));
    assert_eq!(
        json.model.as_deref(),
        Some("meta-llama/Llama-3.1-8B-Instruct")
    );
    assert_eq!(json.tool_version.as_deref(), Some("0.21.0rc0"));
    assert_eq!(json.backend.as_deref(), Some("pytorch")); // "Pytorch"
    assert_eq!(json.num_gpus, Some(1)); // world_size
    assert_eq!((json.isl, json.osl), (Some(128), Some(128))); // dataset isl_stats/osl_stats min == max
    close(&json, Metric::Latency(Latency::Tpot, Stat::P50), 7.6079); // tpot_percentiles.p50
    close(&json, Metric::TokensPerSUser, 137.1475); // token_output_speed_tok_s
    close(&json, Metric::DurationS, 1.1555715); // total_latency_ms
    assert_eq!(
        json.extra.get("kv_cache_percentage").map(String::as_str),
        Some("90.00%")
    );
    assert_eq!(
        json.extra
            .get("per_user_output_throughput_w_ctx")
            .map(String::as_str),
        Some("117.1544")
    );
    assert_eq!(
        json.metrics.keys().collect::<Vec<_>>(),
        text.metrics.keys().collect::<Vec<_>>()
    );
    for (m, v) in &text.metrics {
        close(&json, *m, *v);
    }
    for key in [
        "max_batch_size",
        "gtps_p99",
        "avg_concurrent_requests",
        "scheduling_policy",
        "dataset_path",
    ] {
        let (j, t) = (json.extra.get(key), text.extra.get(key));
        assert!(j.is_some() && t.is_some(), "{key}");
        let (jn, tn) = (j.unwrap().parse::<f64>(), t.unwrap().parse::<f64>());
        match (jn, tn) {
            (Ok(a), Ok(b)) => assert!((a - b).abs() < 1e-9, "{key}"),
            _ => assert_eq!(j, t, "{key}"),
        }
    }
}

#[test]
fn printed_report_next_to_its_json_is_left_out() {
    let dir = data("json_and_stdout");
    let sweep = load(
        &[Input::parse(dir.to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 1, "the run must be counted once");
    assert!(sweep.points[0].path.ends_with("report.json"));
    let w: Vec<String> = sweep.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(|w| w.contains("stdout.txt")
            && w.contains("left out")
            && w.contains("report.json")),
        "{w:?}"
    );
    // Reading the printed copy directly says why it is left out.
    let e = read_err(&dir.join("stdout.txt"));
    assert!(e.contains("stdout.txt") && e.contains("report.json"), "{e}");
}

#[test]
fn captured_stdout_next_to_its_json_is_passed_over_quietly() {
    // A captured stdout (`*.stdout`, as `adreport run offline` keeps trtllm-bench's) beside
    // the report JSON of the same run: the run counts once and nothing is "left out".
    let tmp = tempfile::tempdir().unwrap();
    let src = data("json_and_stdout");
    std::fs::copy(src.join("report.json"), tmp.path().join("report.json")).unwrap();
    std::fs::copy(src.join("stdout.txt"), tmp.path().join("client.stdout")).unwrap();
    let inputs = [Input::parse(tmp.path().to_str().unwrap())];
    let sweep = load(&inputs, &IngestOptions::default()).unwrap();
    assert_eq!(sweep.points.len(), 1, "the run must be counted once");
    assert!(sweep.points[0].path.ends_with("report.json"));
    assert!(sweep.warnings.is_empty(), "{:?}", sweep.warnings);
    // Without the JSON the printed report is the result.
    std::fs::remove_file(tmp.path().join("report.json")).unwrap();
    let sweep = load(&inputs, &IngestOptions::default()).unwrap();
    assert_eq!(sweep.points.len(), 1);
    assert!(sweep.points[0].path.ends_with("client.stdout"));
    // stdout.txt line 33: `Request Throughput (req/sec): 86.5373`.
    close(&sweep.points[0], Metric::RequestThroughput, 86.5373);
}

#[test]
fn whole_sample_directory_loads() {
    let sweep = load(
        &[Input::parse(sample("").to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    // 5 single-report files + 3 dgxc blocks
    assert_eq!(sweep.points.len(), 8);
    assert!(
        !sweep
            .warnings
            .iter()
            .any(|w| w.message.contains("left out")),
        "{:?}",
        sweep.warnings
    );
    // finalize derives tokens/s/gpu from TP x PP for the v0.17 report, which does not print it.
    let v017 = sweep
        .points
        .iter()
        .find(|p| {
            p.path
                .ends_with("perf-benchmarking_v0.17_trt_throughput_report.txt")
        })
        .unwrap();
    close(v017, Metric::TokensPerSGpu, 28390.4265);
    assert!(sweep
        .points
        .iter()
        .any(|p| p.label == "dgxc_perf_overview_blocks_llama3.3_deepseek/Llama3.3-70B_TP1_EP1_PP1_CON640_chat_streaming-on_190"));
}

#[test]
fn sniff_rejects_other_text() {
    let p = Path::new("x.txt");
    assert!(!trtllm_bench::sniff(
        p,
        "============ Serving Benchmark Result ============\nSuccessful requests: 3\n"
    ));
    assert!(!trtllm_bench::sniff(
        p,
        "mentions `= PERFORMANCE OVERVIEW ` in prose\n"
    ));
    assert!(!trtllm_bench::sniff(p, "{\"performance\": 1}"));
    assert!(trtllm_bench::sniff(
        p,
        "{\n \"world_info\": {},\n \"performance\": {}\n}"
    ));
}

// ------------------------------------------------------------------------------------------------
// Bad input

#[test]
fn report_cut_before_performance_values() {
    // Line 31 is the `= PERFORMANCE OVERVIEW` title; the file ends two lines later.
    let e = read_err(&data("cut_before_performance_values.txt"));
    assert!(e.contains("cut_before_performance_values.txt"), "{e}");
    assert!(
        e.contains("line 31")
            && e.contains("Request Throughput (req/sec)")
            && e.contains("cut short"),
        "{e}"
    );
}

#[test]
fn non_numeric_value_names_label_and_line() {
    let e = read_err(&data("non_numeric_value.txt"));
    assert!(e.contains("non_numeric_value.txt: line 34"), "{e}");
    assert!(
        e.contains("Total Output Throughput (tokens/sec)") && e.contains("n/a-11076"),
        "{e}"
    );
}

#[test]
fn cut_second_report_is_left_out_with_a_warning() {
    let (points, ctx) = read(&data("second_report_cut.log"));
    assert_eq!(points.len(), 1);
    close(&points[0], Metric::RequestThroughput, 86.5373);
    assert_eq!(ctx.warnings.len(), 1);
    let w = ctx.warnings[0].to_string();
    assert!(
        w.contains("second_report_cut.log") && w.contains("Total Output Throughput"),
        "{w}"
    );
}

#[test]
fn bad_report_json() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "empty_perf.json",
            r#"{"world_info": {"tp_size": 1}, "performance": {}}"#,
            "performance.request_throughput_req_s",
        ),
        (
            "wrong_type.json",
            r#"{"world_info": {"tp_size": 1}, "performance": {"request_throughput_req_s": "fast", "system_output_throughput_tok_s": 1}}"#,
            "performance.request_throughput_req_s",
        ),
        (
            "bad_pct.json",
            r#"{"request_info": {"num_requests": 2}, "performance": {"request_throughput_req_s": 1, "system_output_throughput_tok_s": 1, "request_latency_percentiles_ms": {"p50": -1}}}"#,
            "performance.request_latency_percentiles_ms.p50",
        ),
        (
            "truncated.json",
            "{\"world_info\": {\"tp_size\": 1}, \"performance\": {\"request_thr",
            "truncated",
        ),
        (
            "no_requests.json",
            r#"{"request_info": {"num_requests": 0}, "performance": {"request_throughput_req_s": 0, "system_output_throughput_tok_s": 0}}"#,
            "request_info.num_requests",
        ),
    ];
    for (name, body, want) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, body).unwrap();
        let head = read_head(&f).unwrap();
        assert!(trtllm_bench::sniff(&f, &head), "{name}");
        let e = read_err(&f);
        assert!(e.contains(name) && e.contains(want), "{name}: {e}");
    }
}

#[test]
fn empty_and_unrelated_files_are_not_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.txt");
    std::fs::write(&f, "").unwrap();
    assert!(!trtllm_bench::sniff(&f, ""));
    let d = sample("../../tests/data/trtllm-bench/README.md");
    assert!(!trtllm_bench::sniff(&d, &read_head(&d).unwrap()));
}

#[test]
fn report_json_energy_block_gives_energy_per_output_token() {
    // tests/data/trtllm-bench/json_energy/report.json (hand-made, README there): energy
    // 812.5 J, average GPU power 703.1 W; 100 requests x 128 output tokens = 12,800 tokens.
    let p = one(&data("json_energy/report.json"));
    assert_eq!(p.get(Metric::GpuEnergyJ), Some(812.5));
    assert_eq!(p.get(Metric::GpuPowerAvgW), Some(703.1));
    assert_eq!(p.get(Metric::EnergyPerOutputTokenJ), Some(812.5 / 12_800.0));
    assert_eq!(p.get(Metric::OutputTokensPerJoule), Some(12_800.0 / 812.5));
    // The same run without the block: no energy figures at all, never a 0.
    let plain = one(&data("json_and_stdout/report.json"));
    assert_eq!(plain.get(Metric::GpuEnergyJ), None);
    assert_eq!(plain.get(Metric::EnergyPerOutputTokenJ), None);
}

#[test]
fn a_bad_energy_block_costs_the_energy_figures_not_the_point() {
    let (points, ctx) = read(&data("json_energy_bad/report.json"));
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].get(Metric::GpuEnergyJ), None);
    assert_eq!(points[0].get(Metric::RequestThroughput), Some(86.5373));
    let w = ctx
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(w.contains("energy.total_energy_j"), "{w}");
}
