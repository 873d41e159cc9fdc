//! The readers of the other tools' results: guidellm 0.8 reports, inference-perf 0.7 report
//! directories, llm-d Benchmark Reports (0.1, 0.2, 0.2.1) and MLPerf Inference loadgen
//! summaries. The files are real (tests/data/{guidellm,inference-perf,llm-d,mlperf}/README.md
//! says how each was made); every expected number was read from the source file with a JSON or
//! YAML reader of its own, and the comment beside it names the field.

use std::path::{Path, PathBuf};

use adreport::analyze::goodput::goodput;
use adreport::analyze::sla::Sla;
use adreport::ingest::{load, IngestOptions, Input};
use adreport::model::{Latency, Metric, Point, Source, Stat, Sweep};

mod common;
use common::{adreport, data, lat, text};

fn sweep_of(paths: &[PathBuf]) -> Sweep {
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| Input {
            label: None,
            path: p.clone(),
        })
        .collect();
    load(&inputs, &IngestOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn close(got: Option<f64>, want: f64) {
    let got = got.unwrap_or_else(|| panic!("missing; want {want}"));
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

fn at_concurrency(s: &Sweep, c: u64) -> &Point {
    let found: Vec<&Point> = s
        .points
        .iter()
        .filter(|p| p.concurrency == Some(c))
        .collect();
    assert_eq!(found.len(), 1, "one point at concurrency {c}");
    found[0]
}

fn at_rate(s: &Sweep, r: f64) -> &Point {
    let found: Vec<&Point> = s
        .points
        .iter()
        .filter(|p| p.request_rate.is_some_and(|x| (x - r).abs() < 1e-9))
        .collect();
    assert_eq!(found.len(), 1, "one point at rate {r}");
    found[0]
}

// ---------------------------------------------------------------------------------------------
// guidellm

#[test]
fn guidellm_concurrent_report_gives_one_point_per_stream_count() {
    let s = sweep_of(&[data("guidellm/concurrent")]);
    // benchmarks.yaml beside benchmarks.json is the same run: read once, not as repeats.
    assert_eq!(s.points.len(), 3);
    let concs: Vec<Option<u64>> = s.points.iter().map(|p| p.concurrency).collect();
    assert_eq!(concs, vec![Some(1), Some(4), Some(8)]);
    let p = at_concurrency(&s, 8);
    assert_eq!(p.source, Source::Guidellm);
    assert_eq!(p.runs(), 1);
    assert_eq!(p.tool_version.as_deref(), Some("0.8.1")); // metadata.guidellm_version
    assert_eq!(p.model.as_deref(), Some("mock-llm")); // config.spec.backend.model
    assert_eq!((p.isl, p.osl), (Some(128), Some(64))); // config.spec.data[0].prompt/output_tokens
                                                       // b = benchmarks[2].metrics
                                                       // {b}.time_to_first_token_ms.successful.{mean, median, percentiles.p99, std_dev}
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 28.358978033065796);
    close(p.get(lat(Latency::Ttft, Stat::P50)), 26.86309814453125);
    close(p.get(lat(Latency::Ttft, Stat::P99)), 47.54471778869629);
    close(p.get(lat(Latency::Ttft, Stat::Std)), 6.839018029445523);
    // TPOT is guidellm's inter_token_latency_ms (first token excluded), not its
    // time_per_output_token_ms (2.34325397759676, first token included).
    close(p.get(lat(Latency::Tpot, Stat::Avg)), 1.930305976716299);
    close(p.get(lat(Latency::Tpot, Stat::P99)), 2.183092965020074);
    // {b}.request_latency.successful.mean is in seconds: 0.15215646624565127 s.
    close(p.get(lat(Latency::E2el, Stat::Avg)), 152.15646624565127);
    close(p.get(lat(Latency::E2el, Stat::Min)), 134.015_798_568_725_6);
    // {b}.requests_per_second / output_tokens_per_second / tokens_per_second .successful.mean
    close(p.get(Metric::RequestThroughput), 46.53877936652928);
    close(p.get(Metric::OutputTokenThroughput), 2978.481879457875);
    // {b}.tokens_per_second (2978.48) counts no prompt tokens: the mock's usage reports none
    // ({b}.prompt_token_count.successful.mean 0.0), so total tok/s is left out, with a warning.
    assert_eq!(p.get(Metric::TotalTokenThroughput), None);
    assert!(s.warnings.iter().any(|w| w
        .message
        .contains("counted no prompt tokens at benchmarks[2].concurrent@8")));
    // {b}.request_totals.{successful, errored}; benchmarks[2].duration
    close(p.get(Metric::RequestsOk), 40.0);
    close(p.get(Metric::RequestsFailed), 0.0);
    close(p.get(Metric::DurationS), 0.8594982624053955);
    // Per-request samples: benchmarks[2].requests.successful[0].{time_to_first_token_ms,
    // inter_token_latency_ms, request_latency (s), output_tokens}.
    let r = p.requests.as_ref().expect("per-request samples");
    assert_eq!(r.len(), 40);
    assert_eq!(r.ttft_ms[0], Some(21.511554718017578));
    assert_eq!(r.tpot_ms[0], Some(1.8170031290205697));
    close(r.e2el_ms[0], 137.30406761169434);
    assert_eq!(r.osl[0], Some(64.0));
    // guidellm's own warning about the run is passed on, naming the benchmark.
    assert!(s
        .warnings
        .iter()
        .any(|w| w.message.contains("concurrent@8") && w.message.contains("generation delay")));
}

#[test]
fn guidellm_yaml_alone_reads_the_same_numbers_as_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("benchmarks.yaml");
    std::fs::copy(data("guidellm/concurrent/benchmarks.yaml"), &yaml).unwrap();
    let from_yaml = sweep_of(&[yaml]);
    let from_json = sweep_of(&[data("guidellm/concurrent/benchmarks.json")]);
    assert_eq!(from_yaml.points.len(), 3);
    for (y, j) in from_yaml.points.iter().zip(&from_json.points) {
        assert_eq!(y.concurrency, j.concurrency);
        assert_eq!(y.metrics, j.metrics);
    }
}

#[test]
fn guidellm_sweep_keys_points_by_strategy() {
    let s = sweep_of(&[data("guidellm/sweep")]);
    assert_eq!(s.points.len(), 5);
    // benchmarks[0]: synchronous = one request at a time.
    let sync = at_concurrency(&s, 1);
    assert_eq!(sync.extra["strategy"], "synchronous");
    close(sync.get(Metric::RequestThroughput), 6.29844506957145); // requests_per_second.successful.mean
                                                                  // benchmarks[2]: poisson at config.strategy.rate 30.97048715559148.
    let p = at_rate(&s, 30.97048715559148);
    assert!(p.extra["strategy"].starts_with("poisson@30.97"));
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 39.75939750671387);
    close(p.get(Metric::RequestThroughput), 50.26849568886608);
    // benchmarks[1]: throughput has neither a concurrency nor a rate.
    let tp: Vec<&Point> = s
        .points
        .iter()
        .filter(|p| p.extra.get("strategy").map(String::as_str) == Some("throughput"))
        .collect();
    assert_eq!(tp.len(), 1);
    assert_eq!((tp[0].concurrency, tp[0].request_rate), (None, None));
    close(tp[0].get(Metric::RequestThroughput), 80.31457132763154);
}

// ---------------------------------------------------------------------------------------------
// inference-perf

#[test]
fn inference_perf_rate_stages_are_points_at_their_configured_rate() {
    let s = sweep_of(&[data("inference-perf/rate")]);
    // stage_0..2; the summary, per-request, validation files and the BR partials are not points.
    assert_eq!(s.points.len(), 3, "{:?}", s.warnings);
    assert!(s.points.iter().all(|p| p.source == Source::InferencePerf));
    assert!(
        !s.warnings.iter().any(|w| w.message.contains("no known")),
        "{:?}",
        s.warnings
    );
    // stage_1_lifecycle_metrics.json: load_summary.requested_rate 4.0, achieved_rate 4.0758...
    let p = at_rate(&s, 4.0);
    assert_eq!(p.extra["achieved_rate"], "4.0759");
    assert_eq!(p.model.as_deref(), Some("mock-llm")); // config.yaml server.model_name
    assert_eq!((p.isl, p.osl), (Some(128), Some(64))); // config.yaml data.*_distribution (std_dev 0)
                                                       // successes.latency.* in seconds
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 22.357712225013416);
    close(p.get(lat(Latency::Ttft, Stat::P50)), 21.373415500022475);
    close(p.get(lat(Latency::Ttft, Stat::P99)), 28.511805440093668);
    close(p.get(lat(Latency::Tpot, Stat::Avg)), 1.995640771825503);
    close(p.get(lat(Latency::Tpot, Stat::P99)), 2.2283016557138767);
    close(p.get(lat(Latency::Itl, Stat::P99)), 6.906773160033026);
    close(p.get(lat(Latency::E2el, Stat::Avg)), 149.21307897500355);
    // successes.throughput.*; completed requests/s differ from the achieved send rate.
    close(p.get(Metric::RequestThroughput), 4.019766484965489);
    close(p.get(Metric::OutputTokenThroughput), 257.2650550377913);
    close(p.get(Metric::TotalTokenThroughput), 463.37858155439676);
    close(p.get(Metric::Goodput), 4.019766484965489); // successes.goodput_metrics.request_goodput
    close(p.get(Metric::RequestsOk), 40.0); // successes.count
    close(p.get(Metric::RequestsFailed), 0.0); // failures.count
    close(p.get(Metric::InputTokensAvg), 51.275); // successes.prompt_tokens.mean
    close(p.get(Metric::DurationS), 9.950826782999911); // benchmark_time_seconds
}

#[test]
fn inference_perf_concurrent_stages_are_keyed_by_concurrency_not_their_made_up_rate() {
    let s = sweep_of(&[data("inference-perf/concurrent")]);
    assert_eq!(s.points.len(), 3);
    // stage_2: load_summary.concurrency 8, requested_rate 80.0 (= its request count).
    let p = at_concurrency(&s, 8);
    assert_eq!(p.request_rate, None);
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 22.41191151249211);
    close(p.get(lat(Latency::Tpot, Stat::Avg)), 2.021824454365154);
    close(p.get(lat(Latency::E2el, Stat::P99)), 173.83345831996388);
    close(p.get(Metric::RequestThroughput), 47.92410095273138);
    close(p.get(Metric::RequestsOk), 80.0);
}

/// The ok per-request values of one latency family: min and max.
fn request_range(p: &Point, l: Latency) -> (f64, f64) {
    let v = p
        .requests
        .as_ref()
        .expect("per-request records")
        .ok_values(l);
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

#[test]
fn inference_perf_per_request_records_are_split_by_stage_and_give_its_goodput() {
    // per_request_lifecycle_metrics.json names no stage; split by start_time and each stage's
    // load_summary.count (20, 40, 80), each stage's records give the figures of its report.
    // Goodput at the config's constraints (ttft 0.03 s, tpot 0.0025 s) recomputed from them
    // is inference-perf's own successes.goodput_metrics.good_requests.
    let sla = Sla::parse("ttft=30,tpot=2.5", Stat::P99).unwrap();
    let s = sweep_of(&[data("inference-perf/rate")]);
    assert!(!s.warnings.iter().any(|w| w.message.contains("per-request")));
    let p = at_rate(&s, 8.0); // stage_2
    assert_eq!(p.requests.as_ref().unwrap().len(), 80); // load_summary.count
                                                        // successes.latency.request_latency.min 0.13379371500002435, max 0.20332460800000263 (s)
    let (min, max) = request_range(p, Latency::E2el);
    close(Some(min), 133.79371500002435);
    close(Some(max), 203.32460800000263);
    // successes.latency.time_to_first_token.max 0.10717101199998069
    close(Some(request_range(p, Latency::Ttft).1), 107.17101199998069);
    // successes.latency.time_per_output_token.max 0.002882478619047409
    close(Some(request_range(p, Latency::Tpot).1), 2.882478619047409);
    assert_eq!(goodput(p, &sla).unwrap().good, 64); // goodput_metrics.good_requests 64 of 80
    assert_eq!(goodput(at_rate(&s, 2.0), &sla).unwrap().good, 18); // stage_0: 18 of 20
    assert_eq!(goodput(at_rate(&s, 4.0), &sla).unwrap().good, 40); // stage_1: 40 of 40
    let s = sweep_of(&[data("inference-perf/concurrent")]);
    for (c, n, good) in [(1, 20, 18), (4, 40, 39), (8, 80, 79)] {
        let p = at_concurrency(&s, c);
        assert_eq!(p.requests.as_ref().unwrap().len(), n);
        assert_eq!(goodput(p, &sla).unwrap().good, good, "concurrency {c}");
    }
    // stage_1 (concurrency 4): request_latency.max 0.18024155599994174
    close(
        Some(request_range(at_concurrency(&s, 4), Latency::E2el).1),
        180.24155599994174,
    );
}

#[test]
fn inference_perf_records_that_do_not_add_up_to_the_stages_are_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("rate");
    common::copy_dir(&data("inference-perf/rate"), &run);
    let f = run.join("per_request_lifecycle_metrics.json");
    let mut records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    records.pop();
    std::fs::write(&f, serde_json::to_string(&records).unwrap()).unwrap();
    let s = sweep_of(&[run]);
    assert_eq!(s.points.len(), 3);
    assert!(s.points.iter().all(|p| p.requests.is_none()));
    let said: Vec<_> = s
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("per-request records not used"))
        .collect();
    assert_eq!(said.len(), 1, "said once: {said:?}");
    assert_eq!(said[0].message, "per-request records not used: 139 records, but the 3 stage reports beside it sent 140 requests: they cannot be told apart by stage");
    assert!(said[0].path.ends_with("per_request_lifecycle_metrics.json"));
}

// ---------------------------------------------------------------------------------------------
// llm-d Benchmark Report

#[test]
fn llm_d_report_written_by_inference_perf_reads_with_its_units() {
    let f = data("llm-d/inference-perf-0.7.0-partial/inference-perf.partial.stage_2.yaml");
    let s = sweep_of(&[f]);
    assert_eq!(s.points.len(), 1);
    let p = &s.points[0];
    assert_eq!(p.source, Source::LlmdReport);
    assert_eq!(p.extra["report_version"], "0.2.1"); // version
                                                    // a = results.request_performance.aggregate
                                                    // {a}.latency.time_to_first_token: units s, mean 0.02653966503751235, p99 0.06737743062002519
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 26.53966503751235);
    close(p.get(lat(Latency::Ttft, Stat::P99)), 67.377_430_620_025_2);
    // {a}.latency.time_per_output_token: units s/token, mean 0.0019762594999998143
    close(p.get(lat(Latency::Tpot, Stat::Avg)), 1.9762594999998143);
    close(p.get(lat(Latency::E2el, Stat::Avg)), 152.17015892500427); // request_latency (s)
    close(p.get(Metric::RequestThroughput), 7.916348288826548); // throughput.request_rate.mean
    close(p.get(Metric::OutputTokenThroughput), 506.64629048489905); // output_token_rate.mean
    close(p.get(Metric::RequestsOk), 80.0); // requests.total 80 - failures 0
                                            // The partial has no scenario: its load is unknown, and the reader says so.
    assert!(s
        .warnings
        .iter()
        .any(|w| w.message.contains("states no load")));
}

#[test]
fn llm_d_schema_examples_of_each_version() {
    // v0.2: scenario.load.standardized.rate_qps 10, input_seq_len fixed 2148; latencies in s.
    let s = sweep_of(&[data("llm-d/schema_examples/v0.2")]);
    let p = &s.points[0];
    assert_eq!(p.request_rate, Some(10.0));
    assert_eq!(p.isl, Some(2148));
    assert_eq!(p.model.as_deref(), Some("Qwen/Qwen3-0.6B")); // scenario.stack[0].standardized.model.name
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 36.8578234128654);
    close(p.get(lat(Latency::Ttft, Stat::P99)), 50.29489721637218);
    close(p.get(Metric::RequestThroughput), 2262.448); // throughput.request_rate (queries/s)
    close(p.get(Metric::RequestsOk), 500.0);
    // v0.1: metrics.latency.time_to_first_token units ms, mean 0.800974442732916;
    // requests total 32, failures 0, incomplete 1; throughput.requests_per_sec.
    let s = sweep_of(&[data("llm-d/schema_examples/v0.1")]);
    let p = &s.points[0];
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 0.800974442732916);
    close(p.get(Metric::RequestsOk), 31.0);
    close(p.get(Metric::RequestThroughput), 1.0238155253639);
    close(p.get(Metric::OutputTokenThroughput), 32.544923821416);
    // v0.2.1 written with sorted keys: `version` is its last line, far past the sniffed head.
    let s = sweep_of(&[data("llm-d/schema_examples/v0.2.1")]);
    assert_eq!(s.points[0].extra["report_version"], "0.2.1");
}

#[test]
fn llm_d_report_as_json_reads_like_the_yaml() {
    // The schema allows JSON or YAML: the same 0.2.1 partial written as JSON.
    let yaml = data("llm-d/inference-perf-0.7.0-partial/inference-perf.partial.stage_2.yaml");
    let value: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&yaml).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("benchmark_report.json");
    std::fs::write(&json, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let (from_json, from_yaml) = (sweep_of(&[json]), sweep_of(&[yaml]));
    assert_eq!(from_json.points.len(), 1);
    assert_eq!(from_json.points[0].metrics, from_yaml.points[0].metrics);
    close(
        from_json.points[0].get(lat(Latency::Ttft, Stat::Avg)),
        26.53966503751235,
    );
}

// ---------------------------------------------------------------------------------------------
// MLPerf Inference loadgen

const MLPERF: &str = "mlperf/v4.1/closed/NVIDIA/results/B200-SXM-180GBx1_TRT";

fn mlperf(rel: &str) -> PathBuf {
    data(Path::new(MLPERF).join(rel))
}

#[test]
fn mlperf_server_summary_in_milliseconds_with_its_verdict() {
    let s = sweep_of(&[mlperf(
        "llama2-70b-99.9/Server/performance/run_1/mlperf_log_summary.txt",
    )]);
    let p = &s.points[0];
    assert_eq!(p.source, Source::Mlperf);
    assert_eq!(p.model.as_deref(), Some("llama2-70b-99.9")); // the results layout
    assert_eq!(p.request_rate, Some(39.6)); // target_qps : 39.6
    close(p.get(Metric::RequestThroughput), 39.25); // Completed samples per second
    close(p.get(Metric::OutputTokenThroughput), 10755.59); // Completed tokens per second
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 208.804128); // Mean First Token latency (ns) 208804128
    close(p.get(lat(Latency::Ttft, Stat::P99)), 357.223316); // 99.00 percentile first token latency (ns)
    close(p.get(lat(Latency::Tpot, Stat::Avg)), 131.536562); // Mean Time to Output Token (ns)
    close(p.get(lat(Latency::Tpot, Stat::P50)), 135.755289); // 50.00 percentile time to output token (ns)
    close(p.get(lat(Latency::E2el, Stat::Avg)), 35975.781094); // Mean latency (ns)
    close(p.get(lat(Latency::E2el, Stat::Max)), 150184.151471); // Max latency (ns)
    assert_eq!(p.extra["result"], "VALID"); // Result is : VALID
    assert_eq!(
        p.extra["early_stopping"],
        "TTFT Early Stopping Result: * Run successful. TPOT Early Stopping Result: * Run successful."
    );
    assert!(p.extra["result_checks"].contains("Performance constraints satisfied: Yes"));
    assert_eq!(p.extra["ttft_limit_ms"], "2000"); // ttft_latency (ns): 2000000000
                                                  // The verdict and the early stopping lines are said (show prints them; findings.json keeps them).
    assert!(s.warnings.iter().any(|w| w.message
        == "MLPerf loadgen says the result is VALID; TTFT Early Stopping Result: * Run successful. TPOT Early Stopping Result: * Run successful."));
}

#[test]
fn mlperf_offline_summary_has_throughput_and_no_user_latency() {
    let s = sweep_of(&[mlperf(
        "llama2-70b-99/Offline/performance/run_1/mlperf_log_summary.txt",
    )]);
    let p = &s.points[0];
    close(p.get(Metric::RequestThroughput), 41.1075); // Samples per second: 41.1075
    close(p.get(Metric::OutputTokenThroughput), 11264.4); // Tokens per second: 11264.4
                                                          // Offline latencies count from the start of the one query: not read as a user's latency.
    assert_eq!(p.get(lat(Latency::E2el, Stat::Avg)), None);
    assert_eq!(p.request_rate, None);
    assert_eq!(p.extra["scenario"], "Offline");
}

#[test]
fn mlperf_invalid_result_is_a_warning_naming_the_failed_checks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mlperf_log_summary.txt");
    let real = std::fs::read_to_string(mlperf(
        "llama2-70b-99.9/Server/performance/run_1/mlperf_log_summary.txt",
    ))
    .unwrap();
    let invalid = real
        .replace("Result is : VALID", "Result is : INVALID")
        .replace(
            "Performance constraints satisfied : Yes",
            "Performance constraints satisfied : NO",
        );
    std::fs::write(&f, invalid).unwrap();
    let out = adreport(&["show".as_ref(), f.as_os_str()]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "result is INVALID (Performance constraints satisfied: NO); TTFT Early Stopping"
        ),
        "{err}"
    );
}

// mlperf_log_detail.txt beside the summary: values from its `:::MLLOG` events, by `key`.

#[test]
fn mlperf_server_detail_log_adds_samples_version_and_start_and_agrees_with_the_summary() {
    let s = sweep_of(&[mlperf("llama2-70b-99.9/Server/performance/run_1")]);
    assert_eq!(
        s.points.len(),
        1,
        "the detail log is not a point of its own"
    );
    let p = &s.points[0];
    // result_query_count 98304 x generated_samples_per_query 1
    close(p.get(Metric::RequestsOk), 98304.0);
    assert_eq!(p.tool_version.as_deref(), Some("4.1 @ c83565d85d")); // loadgen_version
    assert_eq!(p.extra["start_time"], "2024-07-26T03:02:39Z"); // test_datetime
                                                               // The summary's figures stay (the detail's result_completed_samples_per_sec 39.2526 and
                                                               // result_first_token_mean_latency_ns 208804128 agree with them).
    close(p.get(Metric::RequestThroughput), 39.25); // Completed samples per second
    close(p.get(lat(Latency::Ttft, Stat::Avg)), 208.804128); // Mean First Token latency (ns)
    assert!(!s
        .warnings
        .iter()
        .any(|w| w.message.contains("loadgen logged")));
}

#[test]
fn mlperf_offline_detail_log_counts_the_samples_of_its_one_query() {
    let s = sweep_of(&[mlperf("llama2-70b-99/Offline/performance/run_1")]);
    let p = &s.points[0];
    close(p.get(Metric::RequestsOk), 100320.0); // result_query_count 1 x generated_samples_per_query 100320
    close(p.get(Metric::RequestThroughput), 41.1075); // Samples per second; result_samples_per_second 41.1075
    assert_eq!(p.extra["start_time"], "2024-07-25T20:50:06Z"); // test_datetime
}

#[test]
fn mlperf_loadgen_warnings_in_the_detail_log_are_said_once_with_their_count() {
    // AMD's MI300X Offline run: the summary says "2 warnings encountered. See detailed log.";
    // the detail log has two `warning_generic_message` events (metadata.is_warning true).
    let run = data("mlperf/v4.1/closed/AMD/results/1xMI300X_2xEPYC-9374F/llama2-70b-99/Offline/performance/run_1");
    let s = sweep_of(std::slice::from_ref(&run));
    let p = &s.points[0];
    close(p.get(Metric::RequestThroughput), 10.4445); // Samples per second
    close(p.get(Metric::OutputTokenThroughput), 3062.72); // Tokens per second
    close(p.get(Metric::RequestsOk), 24576.0); // result_query_count 1 x generated_samples_per_query 24576
    assert_eq!(p.tool_version.as_deref(), Some("4.1 @ 379ee5345a")); // loadgen_version
    assert!(s.warnings.iter().any(|w| w.message
        == "loadgen logged 2 warnings: warning_generic_message: Logging allocation detected: tid: 515 reserved_entries: 1024 max_entries: 3303 (2 times)"
        && w.path.ends_with("mlperf_log_detail.txt")));
    // The summary alone says where they are.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mlperf_log_summary.txt");
    std::fs::copy(run.join("mlperf_log_summary.txt"), &f).unwrap();
    let s = sweep_of(&[f]);
    assert!(s.warnings.iter().any(|w| w.message
        == "the summary counts 2 loadgen warnings or errors, listed in mlperf_log_detail.txt, which is not beside it"));
}

#[test]
fn mlperf_detail_log_that_disagrees_with_its_summary_leaves_the_point_out() {
    let run = mlperf("llama2-70b-99.9/Server/performance/run_1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        run.join("mlperf_log_summary.txt"),
        dir.path().join("mlperf_log_summary.txt"),
    )
    .unwrap();
    let detail = std::fs::read_to_string(run.join("mlperf_log_detail.txt")).unwrap();
    let other = detail.replace(
        r#""key": "result_completed_samples_per_sec", "value": 39.2526"#,
        r#""key": "result_completed_samples_per_sec", "value": 35.1"#,
    );
    assert_ne!(other, detail);
    std::fs::write(dir.path().join("mlperf_log_detail.txt"), other).unwrap();
    let out = adreport(&["show".as_ref(), dir.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("mlperf_log_summary.txt: left out: field `Completed samples per second`: 39.25, but mlperf_log_detail.txt beside it has result_completed_samples_per_sec 35.1: the two are not of the same run"), "{err}");
}

#[test]
fn show_lists_every_tool_by_its_name() {
    let out = adreport(&[
        "show",
        "tests/data/guidellm/concurrent",
        "tests/data/inference-perf/rate",
        "tests/data/mlperf",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    for tool in ["guidellm", "inference-perf", "mlperf-loadgen"] {
        assert!(csv.contains(tool), "{tool} missing:\n{csv}");
    }
}

#[test]
fn guidellm_csv_alone_gives_the_json_numbers() {
    // The CSV of the same run, without the JSON and YAML beside it.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("benchmarks.csv");
    std::fs::copy(data("guidellm/concurrent/benchmarks.csv"), &csv).unwrap();
    let from_csv = sweep_of(&[csv]);
    let from_json = sweep_of(&[data("guidellm/concurrent/benchmarks.json")]);
    assert_eq!(from_csv.points.len(), 3);
    // Row 4 (benchmark 1): `Benchmark|Strategy|` concurrent@1; `Time to First Token|Successful
    // ms|Mean` 38.57260346412659; the `Percentiles` list [min, p001, p01, p05, p10, p25, p75,
    // p90, p95, p99, max] ends 128.27110290527344; `Request Latency|Successful Sec|Mean`
    // 0.15777133703231813 s.
    let c1 = at_concurrency(&from_csv, 1);
    assert_eq!(c1.extra["strategy"], "concurrent@1");
    close(c1.get(lat(Latency::Ttft, Stat::Avg)), 38.57260346412659);
    close(c1.get(lat(Latency::Ttft, Stat::P99)), 128.27110290527344);
    close(c1.get(lat(Latency::Ttft, Stat::Min)), 20.654916763305664);
    close(c1.get(lat(Latency::E2el, Stat::Avg)), 157.77133703231813);
    // Every figure the CSV has equals the JSON's (the CSV keeps no per-request records and
    // its `Percentiles` list has no p50 of its own: the median column stands for it).
    for (c, j) in from_csv.points.iter().zip(&from_json.points) {
        assert_eq!(c.concurrency, j.concurrency);
        for (m, v) in &c.metrics {
            if *m == Metric::TokensPerSUser {
                continue; // from per-request data in the JSON, from the mean TPOT in the CSV
            }
            close(j.get(*m), *v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `show` on every real fixture: every point, its TTFT, TPOT and throughputs as the source has them

/// A point's load as `show` keys it: concurrency, request rate, or neither.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Conc(u64),
    Rate(f64),
    None,
}

/// One expected row: its load, mean TTFT and TPOT in ms (None: the source has none), request/s
/// and output token/s.
type Row = (Key, Option<f64>, Option<f64>, f64, f64);

/// Seconds and nanoseconds as the sources write them, in ms.
fn s(v: f64) -> Option<f64> {
    Some(v * 1000.0)
}
fn ns(v: f64) -> Option<f64> {
    Some(v * 1e-6)
}

fn show_rows(path: &Path) -> Vec<serde_json::Value> {
    let out = adreport(&[
        "show".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn assert_rows(fixture: &str, want: &[Row]) {
    let rows = show_rows(&data(fixture));
    assert_eq!(rows.len(), want.len(), "{fixture}: every point, once");
    for &(key, ttft, tpot, rps, tps) in want {
        let found: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| {
                let (c, q) = (r["concurrency"].as_u64(), r["request_rate"].as_f64());
                match key {
                    Key::Conc(n) => c == Some(n),
                    Key::Rate(x) => c.is_none() && q.is_some_and(|q| (q - x).abs() < 1e-9),
                    Key::None => c.is_none() && q.is_none(),
                }
            })
            .collect();
        assert_eq!(found.len(), 1, "{fixture}: one row at {key:?}");
        let r = found[0];
        let at = |k: &str| r[k].as_f64();
        for (col, want) in [("ttft_avg_ms", ttft), ("tpot_avg_ms", tpot)] {
            match want {
                Some(w) => close(at(col), w),
                None => assert_eq!(at(col), None, "{fixture} {key:?} {col}"),
            }
        }
        close(at("request_throughput"), rps);
        close(at("output_token_throughput"), tps);
    }
}

#[test]
fn show_on_each_real_fixture_lists_every_point_with_the_source_numbers() {
    // benchmarks[i].metrics.{time_to_first_token_ms, inter_token_latency_ms,
    // requests_per_second, output_tokens_per_second}.successful.mean, i = 0, 1, 2
    // (config.strategy.streams 1, 4, 8). TPOT is guidellm's inter_token_latency_ms.
    #[rustfmt::skip]
    assert_rows("guidellm/concurrent", &[
        (Key::Conc(1), Some(38.57260346412659), Some(1.881831695163061), 5.960828018948914, 381.49299321273054),
        (Key::Conc(4), Some(24.59893822669983), Some(2.0008929192073763), 23.879931479698335, 1528.3156147006935),
        (Key::Conc(8), Some(28.358978033065796), Some(1.930305976716299), 46.53877936652928, 2978.481879457875),
    ]);
    // The same fields; benchmarks[0] synchronous (one at a time), [1] throughput (no load),
    // [2..4] poisson at config.strategy.rate.
    #[rustfmt::skip]
    assert_rows("guidellm/sweep", &[
        (Key::Conc(1), Some(29.52294945716858), Some(1.9425711934528653), 6.29844506957145, 403.1004844525728),
        (Key::None, Some(52.74462699890137), Some(1.8912813966236417), 80.31457132763154, 5140.1325649684195),
        (Key::Rate(30.97048715559148), Some(39.75939750671387), Some(2.068685633795602), 50.26849568886608, 3217.183724087429),
        (Key::Rate(55.64252924161151), Some(59.3686044216156), Some(1.974129109155564), 54.58168945673097, 3493.228125230782),
        (Key::Rate(80.31457132763154), Some(42.439454793930054), Some(2.1304643343365384), 69.42611326776071, 4443.271249136686),
    ]);
    // stage_N_lifecycle_metrics.json: successes.latency.{time_to_first_token,
    // time_per_output_token}.mean (s), successes.throughput.{requests_per_sec,
    // output_tokens_per_sec}; keyed by load_summary.requested_rate ...
    #[rustfmt::skip]
    assert_rows("inference-perf/rate", &[
        (Key::Rate(2.0), s(0.024669646100005594), s(0.0020235730698408088), 2.0619669157690748, 131.96588260922078),
        (Key::Rate(4.0), s(0.022357712225013416), s(0.001995640771825503), 4.019766484965489, 257.2650550377913),
        (Key::Rate(8.0), s(0.02653966503751235), s(0.0019762594999998143), 7.916348288826548, 506.64629048489905),
    ]);
    // ... or load_summary.concurrency.
    #[rustfmt::skip]
    assert_rows("inference-perf/concurrent", &[
        (Key::Conc(1), s(0.024216618850010717), s(0.0020285793158730967), 6.343031092293216, 405.9539899067658),
        (Key::Conc(4), s(0.022810222174993556), s(0.002048950957539717), 23.028113281429768, 1473.7992500115051),
        (Key::Conc(8), s(0.02241191151249211), s(0.002021824454365154), 47.92410095273138, 3067.1424609748083),
    ]);
    // llm-d Benchmark Report 0.2.1 written by inference-perf: results.request_performance.
    // aggregate.latency.{time_to_first_token (units s), time_per_output_token (s/token)}.mean,
    // throughput.{request_rate (queries/s), output_token_rate (tokens/s)}.mean; no load.
    #[rustfmt::skip]
    assert_rows("llm-d/inference-perf-0.7.0-partial", &[
        (Key::None, s(0.02653966503751235), s(0.0019762594999998143), 7.916348288826548, 506.64629048489905),
    ]);
    // mlperf_log_summary.txt: `Mean First Token latency (ns)`, `Mean Time to Output Token (ns)`,
    // `Completed samples per second`, `Completed tokens per second`; keyed by `target_qps`.
    #[rustfmt::skip]
    assert_rows(&format!("{MLPERF}/llama2-70b-99.9/Server"), &[
        (Key::Rate(39.6), ns(208804128.0), ns(131536562.0), 39.25, 10755.59),
    ]);
    // Offline: `Samples per second`, `Tokens per second`; no user latency, no load.
    #[rustfmt::skip]
    assert_rows(&format!("{MLPERF}/llama2-70b-99/Offline"), &[
        (Key::None, None, None, 41.1075, 11264.4),
    ]);
}
