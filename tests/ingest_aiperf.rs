//! aiperf reader on real aiperf 0.13.0 artifact dirs (sample-results/aiperf, tests/data/aiperf/extras;
//! made as shared/fixtures/real/README.md describes) and on broken copies of them.
//! Expected numbers were read by hand from the named files.

use std::fs;
use std::path::{Path, PathBuf};

use adreport::ingest::{aiperf, load, IngestOptions, Input, ReadCtx};
use adreport::model::stats;
use adreport::model::{Latency, Metric, PercentileMethod, Point, Source, Stat};
use serde_json::Value;

mod common;
use common::{copy_dir, lat};

const BASE16: &str = "sample-results/aiperf/baseline/isl_128_osl_64_conc_16";
const TUNED1: &str = "sample-results/aiperf/tuned/isl_128_osl_64_conc_1";
const EXTRAS: &str = "tests/data/aiperf/extras/isl_128_osl_64_conc_8_raw_slices";

fn read_one(dir: &Path) -> (Point, ReadCtx) {
    let mut ctx = ReadCtx::default();
    let mut pts = aiperf::read_dir(dir, &mut ctx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pts.len(), 1, "{}", dir.display());
    (pts.remove(0), ctx)
}

fn read_err(dir: &Path) -> String {
    let mut ctx = ReadCtx::default();
    match aiperf::read_dir(dir, &mut ctx) {
        Ok(_) => panic!("{} should not read", dir.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_close(got: Option<f64>, want: f64, tol: f64, what: &str) {
    let got = got.unwrap_or_else(|| panic!("{what} missing"));
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn scratch(src: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("isl_128_osl_64_conc_16");
    copy_dir(Path::new(src), &dir);
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let mut perm = fs::metadata(&p).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            fs::set_permissions(&p, perm).unwrap();
        }
    }
    (tmp, dir)
}

fn edit_json(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    f(&mut v);
    fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn sample_results_load_as_eight_labelled_points() {
    let sweep = load(
        &[Input::parse("sample-results/aiperf")],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 8, "{:?}", sweep.warnings);
    assert_eq!(
        sweep.labels(),
        vec!["baseline".to_string(), "tuned".to_string()]
    );
    for label in ["baseline", "tuned"] {
        let mut conc: Vec<u64> = sweep
            .points
            .iter()
            .filter(|p| p.label == label)
            .filter_map(|p| p.concurrency)
            .collect();
        conc.sort();
        assert_eq!(conc, vec![1, 4, 8, 16], "{label}");
    }
    for p in &sweep.points {
        assert_eq!(p.source, Source::Aiperf);
        assert_eq!((p.isl, p.osl), (Some(128), Some(64)));
        assert!(p.requests.is_some());
    }
    // Clean runs: nothing to warn about (no phases/, timeslice or server-metrics file was taken for a point).
    assert!(sweep.warnings.is_empty(), "{:?}", sweep.warnings);
    assert_eq!(sweep.files_read.len(), 8);
}

#[test]
fn baseline_conc16_values_match_the_json() {
    let (p, ctx) = read_one(Path::new(BASE16));
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    // sample-results/aiperf/baseline/isl_128_osl_64_conc_16/profile_export_aiperf.json
    assert_eq!(p.tool_version.as_deref(), Some("0.13.0")); // aiperf_version
    assert_eq!(p.model.as_deref(), Some("mock-llm")); // input_config.models.items[0].name
    assert_eq!(p.concurrency, Some(16)); // input_config.phases[1] (profiling).concurrency
    assert_eq!((p.isl, p.osl), (Some(128), Some(64))); // datasets[0].prompts.isl/osl.mean
    assert_eq!(p.request_rate, None);
    let t = 1e-9;
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        225.9276769875,
        t,
        "ttft avg",
    );
    assert_close(
        p.get(lat(Latency::Ttft, Stat::P99)),
        269.00104849,
        t,
        "ttft p99",
    );
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Min)),
        67.983127,
        t,
        "ttft min",
    );
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Std)),
        43.11607204981051,
        t,
        "ttft std",
    );
    // inter_token_latency is per-request TPOT; inter_chunk_latency is the chunk gap (ITL).
    assert_close(
        p.get(lat(Latency::Tpot, Stat::Avg)),
        21.624291228769838,
        t,
        "tpot avg",
    );
    assert_close(
        p.get(lat(Latency::Tpot, Stat::P50)),
        21.62246015079365,
        t,
        "tpot p50",
    );
    assert_close(
        p.get(lat(Latency::Itl, Stat::Avg)),
        21.62429122876984,
        t,
        "itl avg",
    );
    assert_close(
        p.get(lat(Latency::Itl, Stat::P99)),
        24.316294959999993,
        t,
        "itl p99",
    );
    assert_close(
        p.get(lat(Latency::E2el, Stat::Avg)),
        1588.2580244,
        t,
        "e2el avg",
    );
    assert_close(
        p.get(lat(Latency::E2el, Stat::P90)),
        1627.5861819,
        t,
        "e2el p90",
    );
    assert_close(
        p.get(Metric::RequestThroughput),
        9.961603250556013,
        t,
        "request_throughput",
    );
    assert_close(
        p.get(Metric::OutputTokenThroughput),
        637.5426080355849,
        t,
        "output_token_throughput",
    );
    assert_close(
        p.get(Metric::TotalTokenThroughput),
        1912.6278241067546,
        t,
        "total_token_throughput",
    );
    assert_close(
        p.get(Metric::TokensPerSUser),
        46.24781240693686,
        t,
        "output_token_throughput_per_user",
    );
    assert_close(
        p.get(Metric::DurationS),
        8.028458752,
        t,
        "benchmark_duration (sec)",
    );
    assert_eq!(p.get(Metric::RequestsOk), Some(80.0)); // request_count: successful requests
    assert_eq!(p.get(Metric::RequestsFailed), Some(0.0)); // no error_request_count, empty error_summary
    assert_eq!(p.get(Metric::InputTokensAvg), Some(128.0));
    assert_eq!(p.get(Metric::OutputTokensAvg), Some(64.0));
    assert_eq!(p.get(Metric::Goodput), None); // run without --goodput
}

#[test]
fn more_points_match_their_json() {
    // sample-results/aiperf/tuned/isl_128_osl_64_conc_1/profile_export_aiperf.json
    let (p, _) = read_one(Path::new(TUNED1));
    assert_eq!(p.concurrency, Some(1));
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        29.9313622,
        1e-9,
        "ttft avg",
    );
    assert_close(
        p.get(lat(Latency::Ttft, Stat::P99)),
        33.747532719999995,
        1e-9,
        "ttft p99",
    );
    assert_close(
        p.get(lat(Latency::Tpot, Stat::Avg)),
        5.772989717460317,
        1e-9,
        "tpot avg",
    );
    assert_close(
        p.get(Metric::RequestThroughput),
        2.5216604784849546,
        1e-9,
        "request_throughput",
    );
    assert_close(p.get(Metric::DurationS), 1.98019584, 1e-9, "duration");
    assert_eq!(p.get(Metric::RequestsOk), Some(5.0));
    // sample-results/aiperf/baseline/isl_128_osl_64_conc_8/profile_export_aiperf.json
    let (p, _) = read_one(Path::new(
        "sample-results/aiperf/baseline/isl_128_osl_64_conc_8",
    ));
    assert_eq!(p.concurrency, Some(8));
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        142.02389005,
        1e-9,
        "ttft avg",
    );
    assert_close(
        p.get(Metric::OutputTokenThroughput),
        419.3246487721672,
        1e-9,
        "output tput",
    );
    assert_close(
        p.get(Metric::TokensPerSUser),
        59.22197516155116,
        1e-9,
        "tok/s/user",
    );
    // sample-results/aiperf/tuned/isl_128_osl_64_conc_16/profile_export_aiperf.json
    let (p, _) = read_one(Path::new(
        "sample-results/aiperf/tuned/isl_128_osl_64_conc_16",
    ));
    assert_close(
        p.get(lat(Latency::E2el, Stat::Avg)),
        530.9848625375,
        1e-9,
        "e2el avg",
    );
    assert_close(
        p.get(Metric::RequestThroughput),
        29.456308503112183,
        1e-9,
        "request_throughput",
    );
}

#[test]
fn warmup_records_are_left_out() {
    let dir = Path::new(BASE16);
    let text = fs::read_to_string(dir.join("profile_export.jsonl")).unwrap();
    // By hand: 81 records, the first one `"benchmark_phase":"warmup"` (TTFT 68.0296 ms), 80 profiling.
    assert_eq!(text.lines().count(), 81);
    assert_eq!(text.matches(r#""benchmark_phase":"warmup""#).count(), 1);
    assert_eq!(text.matches(r#""benchmark_phase":"profiling""#).count(), 80);
    let (p, _) = read_one(dir);
    let req = p.requests.as_ref().unwrap();
    assert_eq!(req.len(), 80);
    assert_eq!(req.len() as f64, p.get(Metric::RequestsOk).unwrap()); // request_count 80
    assert!(req.ok.iter().all(|o| *o));
    assert!(!req.ttft_ms.contains(&Some(68.0296)));
    assert_eq!(req.isl.first(), Some(&Some(128.0)));
    assert_eq!(req.osl.first(), Some(&Some(64.0)));
}

fn pct(values: &[f64], q: f64) -> f64 {
    stats::percentile_sorted(&stats::sorted(values), q, PercentileMethod::Linear).unwrap()
}

/// aiperf's p50/p90/p99 are numpy linear percentiles of the profiling records.
#[test]
fn percentiles_recomputed_from_records_match_aiperf() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for label in ["baseline", "tuned"] {
        for c in [1, 4, 8, 16] {
            dirs.push(PathBuf::from(format!(
                "sample-results/aiperf/{label}/isl_128_osl_64_conc_{c}"
            )));
        }
    }
    dirs.push(PathBuf::from(EXTRAS));
    for dir in &dirs {
        let (p, _) = read_one(dir);
        let req = p.requests.as_ref().unwrap();
        for (l, vals) in [
            (Latency::Ttft, req.ok_values(Latency::Ttft)),
            (Latency::Tpot, req.ok_values(Latency::Tpot)),
        ] {
            for s in [Stat::P50, Stat::P90, Stat::P99] {
                let want = p.get(lat(l, s)).unwrap();
                let got = pct(&vals, s.quantile().unwrap());
                assert!(
                    (got - want).abs() < 1e-6,
                    "{} {l:?} {s:?}: {got} vs {want}",
                    dir.display()
                );
            }
        }
        // Chunk gaps (inter_chunk_latency, a list per record) pooled over the profiling records.
        let text = fs::read_to_string(dir.join("profile_export.jsonl")).unwrap();
        let mut gaps = Vec::new();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["metadata"]["benchmark_phase"] == "profiling" {
                for g in v["metrics"]["inter_chunk_latency"]["value"]
                    .as_array()
                    .unwrap()
                {
                    gaps.push(g.as_f64().unwrap());
                }
            }
        }
        for s in [Stat::P50, Stat::P90, Stat::P99] {
            let want = p.get(lat(Latency::Itl, s)).unwrap();
            let got = pct(&gaps, s.quantile().unwrap());
            assert!(
                (got - want).abs() < 1e-6,
                "{} ITL {s:?}: {got} vs {want}",
                dir.display()
            );
        }
    }
}

#[test]
fn raw_and_timeslice_exports_are_ignored() {
    let (p, ctx) = read_one(Path::new(EXTRAS));
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    // tests/data/aiperf/extras/.../profile_export_aiperf.json: concurrency 8, request_count 40
    assert_eq!(p.concurrency, Some(8));
    assert_eq!(p.requests.as_ref().unwrap().len(), 40);
    assert_eq!(p.get(Metric::RequestsOk), Some(40.0));
    // phases/<name>/ hold per-phase copies of the export; never a point of their own.
    assert!(!aiperf::sniff_dir(
        &Path::new(BASE16).join("phases/profiling")
    ));
    assert!(!aiperf::sniff_dir(&Path::new(BASE16).join("phases")));
    assert!(!aiperf::sniff_dir(Path::new(
        "sample-results/aiperf/baseline"
    )));
}

#[test]
fn renamed_exports_are_found_by_content() {
    let (_tmp, dir) = scratch(TUNED1);
    fs::rename(
        dir.join("profile_export_aiperf.json"),
        dir.join("myrun_aiperf.json"),
    )
    .unwrap();
    fs::rename(
        dir.join("profile_export_aiperf.csv"),
        dir.join("myrun_aiperf.csv"),
    )
    .unwrap();
    fs::rename(dir.join("profile_export.jsonl"), dir.join("myrun.jsonl")).unwrap();
    assert!(aiperf::sniff_dir(&dir));
    let (p, _) = read_one(&dir);
    assert_close(
        p.get(lat(Latency::Ttft, Stat::Avg)),
        29.9313622,
        1e-9,
        "ttft avg",
    );
    assert_eq!(p.requests.as_ref().unwrap().len(), 5);
}

#[test]
fn csv_fallback_gives_the_same_averages() {
    let (json_point, _) = read_one(Path::new(BASE16));
    let (_tmp, dir) = scratch(BASE16);
    fs::remove_file(dir.join("profile_export_aiperf.json")).unwrap();
    assert!(aiperf::sniff_dir(&dir));
    let (p, ctx) = read_one(&dir);
    assert!(
        ctx.warnings
            .iter()
            .any(|w| w.message.contains("read the CSV")),
        "{:?}",
        ctx.warnings
    );
    let avgs = [
        lat(Latency::Ttft, Stat::Avg),
        lat(Latency::Tpot, Stat::Avg),
        lat(Latency::Itl, Stat::Avg),
        lat(Latency::E2el, Stat::Avg),
        Metric::RequestThroughput,
        Metric::OutputTokenThroughput,
        Metric::TotalTokenThroughput,
        Metric::TokensPerSUser,
        Metric::DurationS,
        Metric::RequestsOk,
        Metric::InputTokensAvg,
        Metric::OutputTokensAvg,
    ];
    for m in avgs {
        let want = json_point.get(m).unwrap();
        assert_close(p.get(m), want, 0.005 + 1e-9, &m.name());
    }
    // The CSV row `Time to First Token (ms),225.93,67.98,270.58,18074.21,85.82,...`
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P99)), Some(269.00));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Min)), Some(67.98));
    // The CSV has no run config: concurrency comes from the directory name through the walker.
    assert_eq!(p.concurrency, None);
    let sweep = load(
        &[Input::parse(dir.to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points[0].concurrency, Some(16));
    assert_eq!(sweep.points[0].requests.as_ref().unwrap().len(), 80);
}

#[test]
fn handmade_v0_1_1_records_layout() {
    // tests/data/aiperf/handmade_v0.1.1_records/profile_export_aiperf.json (hand-made after the format)
    let (p, _) = read_one(Path::new("tests/data/aiperf/handmade_v0.1.1_records"));
    assert_eq!(p.tool_version, None);
    assert_eq!(p.model.as_deref(), Some("Qwen/Qwen3-0.6B")); // endpoint.model_names[0]
    assert_eq!(p.concurrency, Some(4)); // loadgen.concurrency
    assert_eq!((p.isl, p.osl), (Some(512), Some(128))); // input.prompt.{input,output}_tokens.mean
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Avg)), Some(45.25));
    assert_eq!(p.get(lat(Latency::Tpot, Stat::P99)), Some(10.29));
    assert_eq!(p.get(Metric::RequestThroughput), Some(3.1425));
    assert_eq!(p.get(Metric::DurationS), Some(12.732));
    assert_eq!(p.get(Metric::RequestsOk), Some(40.0));
    assert!(p.requests.is_none());
}

#[test]
fn genai_perf_dirs_are_not_claimed() {
    assert!(!aiperf::sniff_dir(Path::new(
        "tests/data/genai-perf/handmade_flat_conc8"
    )));
    assert!(!aiperf::sniff_dir(Path::new(
        "tests/data/genai-perf/handmade_nested_conc32"
    )));
    assert!(!aiperf::sniff_dir(Path::new(
        "sample-results/genai-perf/llama3.1-405b-fp8_dynamo"
    )));
}

// ---- bad inputs ------------------------------------------------------------------------

#[test]
fn truncated_json_names_file_and_position() {
    let (_tmp, dir) = scratch(BASE16);
    let path = dir.join("profile_export_aiperf.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    assert!(
        aiperf::sniff_dir(&dir),
        "a truncated export is still claimed, so its error is reported"
    );
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export_aiperf.json") && e.contains("line ") && e.contains("truncated"),
        "{e}"
    );
}

#[test]
fn truncated_jsonl_line_names_file_and_line() {
    let (_tmp, dir) = scratch(BASE16);
    let path = dir.join("profile_export.jsonl");
    let text = fs::read_to_string(&path).unwrap();
    let cut = text.trim_end().len() - 500; // into the middle of line 81
    fs::write(&path, &text[..cut]).unwrap();
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export.jsonl") && e.contains("line 81"),
        "{e}"
    );
}

#[test]
fn jsonl_string_value_names_line_and_field() {
    let (_tmp, dir) = scratch(BASE16);
    let path = dir.join("profile_export.jsonl");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut rec: Value = serde_json::from_str(&lines[4]).unwrap();
    rec["metrics"]["time_to_first_token"]["value"] = Value::String("fast".into());
    lines[4] = rec.to_string();
    fs::write(&path, lines.join("\n")).unwrap();
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export.jsonl") && e.contains("line 5"),
        "{e}"
    );
    assert!(
        e.contains("metrics.time_to_first_token.value") && e.contains("a string"),
        "{e}"
    );
}

#[test]
fn cancelled_run_is_left_out() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["was_cancelled"] = Value::Bool(true)
    });
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export_aiperf.json") && e.contains("`was_cancelled`"),
        "{e}"
    );
}

#[test]
fn incomplete_run_is_left_out() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["is_complete"] = Value::Bool(false)
    });
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export_aiperf.json") && e.contains("`is_complete`"),
        "{e}"
    );
}

#[test]
fn results_not_ready_is_left_out() {
    let (_tmp, dir) = scratch(BASE16);
    fs::write(
        dir.join(".aiperf_results_ready.json"),
        r#"{"ready":false,"was_cancelled":false,"partial":false}"#,
    )
    .unwrap();
    let e = read_err(&dir);
    assert!(
        e.contains(".aiperf_results_ready.json") && e.contains("`ready`"),
        "{e}"
    );
    fs::write(
        dir.join(".aiperf_results_ready.json"),
        r#"{"ready":true,"was_cancelled":false,"partial":true}"#,
    )
    .unwrap();
    let e = read_err(&dir);
    assert!(e.contains("`partial`"), "{e}");
}

#[test]
fn metric_with_string_value_names_field() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["time_to_first_token"]["avg"] = Value::String("225.9".into())
    });
    let e = read_err(&dir);
    assert!(
        e.contains("profile_export_aiperf.json") && e.contains("`time_to_first_token.avg`"),
        "{e}"
    );
    assert!(e.contains("found a string"), "{e}");
}

#[test]
fn wrong_latency_unit_names_field() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["request_latency"]["unit"] = Value::String("tokens".into())
    });
    let e = read_err(&dir);
    assert!(
        e.contains("`request_latency.unit`") && e.contains("tokens"),
        "{e}"
    );
}

#[test]
fn all_failed_run_is_left_out() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["request_count"]["avg"] = serde_json::json!(0.0);
        v["error_request_count"] = serde_json::json!({"unit": "requests", "avg": 80.0});
    });
    let e = read_err(&dir);
    assert!(e.contains("all 80 requests failed"), "{e}");
}

#[test]
fn error_summary_warns_but_keeps_the_point() {
    let (_tmp, dir) = scratch(BASE16);
    edit_json(&dir.join("profile_export_aiperf.json"), |v| {
        v["error_request_count"] = serde_json::json!({"unit": "requests", "avg": 3.0});
        v["error_summary"] = serde_json::json!([
            {"error_details": {"code": 499, "type": "RequestCancellationError", "message": "cancelled"}, "count": 3}
        ]);
    });
    let (p, ctx) = read_one(&dir);
    assert_eq!(p.get(Metric::RequestsFailed), Some(3.0));
    assert!(
        ctx.warnings
            .iter()
            .any(|w| w.message.contains("3 requests failed")
                && w.message.contains("RequestCancellationError")),
        "{:?}",
        ctx.warnings
    );
}

#[test]
fn walker_reports_bad_dirs_and_keeps_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("run");
    copy_dir(Path::new(TUNED1), &root.join("isl_128_osl_64_conc_1"));
    copy_dir(Path::new(BASE16), &root.join("isl_128_osl_64_conc_16"));
    let bad = root.join("isl_128_osl_64_conc_16/profile_export_aiperf.json");
    let mut perm = fs::metadata(&bad).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    fs::set_permissions(&bad, perm).unwrap();
    edit_json(&bad, |v| v["was_cancelled"] = Value::Bool(true));
    let sweep = load(
        &[Input::parse(root.to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 1);
    assert_eq!(sweep.points[0].concurrency, Some(1));
    assert!(
        sweep
            .warnings
            .iter()
            .any(|w| w.message.starts_with("left out") && w.message.contains("was_cancelled")),
        "{:?}",
        sweep.warnings
    );
}
