//! genai-perf reader: the public CSV sample (sample-results/genai-perf, copied from
//! shared/fixtures/public/genai-perf/cloudai_ai_dynamo_doc_profile_genai_perf.csv) and the
//! JSON files in tests/data/genai-perf/, which are hand-made after the real format
//! (no real genai-perf JSON is public; see tests/data/genai-perf/README.md).

use std::fs;
use std::path::Path;

use adreport::ingest::{genai_perf, load, read_head, IngestOptions, Input, ReadCtx};
use adreport::model::{Latency, Metric, Point, Source, Stat};

mod common;
use common::lat;

const CSV: &str =
    "sample-results/genai-perf/llama3.1-405b-fp8_dynamo/profile_export_genai_perf.csv";
const FLAT: &str = "tests/data/genai-perf/handmade_flat_conc8/profile_export_genai_perf.json";
const NESTED: &str = "tests/data/genai-perf/handmade_nested_conc32/profile_export_genai_perf.json";

fn read_one(path: &Path) -> Point {
    let mut ctx = ReadCtx::default();
    let head = read_head(path).unwrap();
    assert!(
        genai_perf::sniff(path, &head),
        "{} should sniff as genai-perf",
        path.display()
    );
    let mut pts = genai_perf::read(path, &mut ctx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pts.len(), 1);
    pts.remove(0)
}

fn read_err(path: &Path) -> String {
    let mut ctx = ReadCtx::default();
    match genai_perf::read(path, &mut ctx) {
        Ok(_) => panic!("{} should not read", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn public_csv_values() {
    let p = read_one(Path::new(CSV));
    assert_eq!(p.source, Source::GenaiPerf);
    // Row `Time To First Token (ms),"1,146.31",249.48,"3,485.23","3,457.97","3,349.56","3,215.06","1,330.93",640.07,286.52`
    // (header avg,min,max,p99,p95,p90,p75,p50,p25: percentiles descending, quoted thousands).
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Avg)), Some(1146.31));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Min)), Some(249.48));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Max)), Some(3485.23));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P99)), Some(3457.97));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P95)), Some(3349.56));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P90)), Some(3215.06));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P50)), Some(640.07));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Std)), None); // no std column in this version
                                                            // `Inter Token Latency (ms),30.35,27.59,35.60,35.23,33.88,32.53,31.05,30.13,29.04` (per-request TPOT)
    assert_eq!(p.get(lat(Latency::Tpot, Stat::Avg)), Some(30.35));
    assert_eq!(p.get(lat(Latency::Tpot, Stat::P50)), Some(30.13));
    assert_eq!(p.get(lat(Latency::Itl, Stat::Avg)), None);
    // `Request Latency (ms),"6,406.20","5,371.47","9,608.72","9,436.13",...`
    assert_eq!(p.get(lat(Latency::E2el, Stat::Avg)), Some(6406.20));
    assert_eq!(p.get(lat(Latency::E2el, Stat::P99)), Some(9436.13));
    assert_eq!(p.get(Metric::OutputTokensAvg), Some(174.45));
    assert_eq!(p.get(Metric::InputTokensAvg), Some(3000.05));
    // Section 2: `Output Token Throughput (per sec),261.25`, `Request Throughput (per sec),1.50`, `Request Count (count),40.00`
    assert_eq!(p.get(Metric::OutputTokenThroughput), Some(261.25));
    assert_eq!(p.get(Metric::RequestThroughput), Some(1.50));
    assert_eq!(p.get(Metric::RequestsOk), Some(40.0));
    // The CSV states no run config.
    assert_eq!(
        (p.concurrency, p.isl, p.osl, p.model.as_deref()),
        (None, None, None, None)
    );
}

#[test]
fn public_csv_loads_through_the_walker() {
    let sweep = load(
        &[Input::parse("sample-results/genai-perf")],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 1);
    let p = &sweep.points[0];
    assert_eq!(p.label, "llama3.1-405b-fp8_dynamo");
    // finalize derives tok/s/user = 1000 / mean TPOT when the tool gives no per-user throughput.
    let user = p.get(Metric::TokensPerSUser).unwrap();
    assert!((user - 1000.0 / 30.35).abs() < 1e-9, "{user}");
}

#[test]
fn handmade_flat_json() {
    let p = read_one(Path::new(FLAT));
    // input_config (flat, <= 0.0.11): model[0], concurrency 8, synthetic_input_tokens_mean 550, output_tokens_mean 256
    assert_eq!(p.model.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
    assert_eq!(p.concurrency, Some(8));
    assert_eq!(p.request_rate, None); // "request_rate": null
    assert_eq!((p.isl, p.osl), (Some(550), Some(256)));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Avg)), Some(120.4));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::P90)), Some(175.25));
    assert_eq!(p.get(lat(Latency::Ttft, Stat::Std)), Some(30.1));
    assert_eq!(p.get(lat(Latency::Tpot, Stat::Avg)), Some(5.58));
    assert_eq!(p.get(lat(Latency::E2el, Stat::Max)), Some(1710.9));
    assert_eq!(p.get(Metric::TokensPerSUser), Some(179.5));
    assert_eq!(p.get(Metric::RequestThroughput), Some(5.12));
    assert_eq!(p.get(Metric::OutputTokenThroughput), Some(1308.67));
    assert_eq!(p.get(Metric::RequestsOk), Some(80.0));
}

#[test]
fn handmade_nested_json() {
    let p = read_one(Path::new(NESTED));
    // input_config (nested, >= 0.0.12): model_names[0], perf_analyzer.stimulus.concurrency,
    // input.synthetic_tokens.mean, input.output_tokens.mean
    assert_eq!(p.model.as_deref(), Some("Qwen/Qwen3-0.6B"));
    assert_eq!(p.concurrency, Some(32));
    assert_eq!((p.isl, p.osl), (Some(1000), Some(200)));
    assert_eq!(p.get(Metric::RequestThroughput), Some(12.5));
    assert_eq!(p.get(Metric::RequestsOk), Some(320.0));
}

#[test]
fn json_beside_csv_wins() {
    let csv = Path::new("tests/data/genai-perf/handmade_flat_conc8/profile_export_genai_perf.csv");
    assert!(!genai_perf::sniff(csv, &read_head(csv).unwrap()));
    let sweep = load(
        &[Input::parse("tests/data/genai-perf")],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 2, "{:?}", sweep.warnings);
    assert!(sweep
        .points
        .iter()
        .all(|p| p.path.extension().is_some_and(|e| e == "json")));
    let flat = sweep
        .points
        .iter()
        .find(|p| p.concurrency == Some(8))
        .unwrap();
    // `handmade_flat_conc8` is more than a load name, so it names its own series.
    assert_eq!(flat.label, "handmade_flat_conc8");
}

#[test]
fn the_csv_alone_reads_like_the_json() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("profile_export_genai_perf.csv");
    fs::copy(
        "tests/data/genai-perf/handmade_flat_conc8/profile_export_genai_perf.csv",
        &csv,
    )
    .unwrap();
    let from_csv = read_one(&csv);
    let from_json = read_one(Path::new(FLAT));
    for m in [
        lat(Latency::Ttft, Stat::P90),
        lat(Latency::E2el, Stat::Avg),
        Metric::OutputTokenThroughput,
    ] {
        assert_eq!(from_csv.get(m), from_json.get(m), "{m}");
    }
}

#[test]
fn aiperf_files_are_not_genai_perf() {
    let j = Path::new(
        "sample-results/aiperf/baseline/isl_128_osl_64_conc_1/profile_export_aiperf.json",
    );
    assert!(!genai_perf::sniff(j, &read_head(j).unwrap()));
    let c =
        Path::new("sample-results/aiperf/baseline/isl_128_osl_64_conc_1/profile_export_aiperf.csv");
    assert!(!genai_perf::sniff(c, &read_head(c).unwrap()));
}

#[test]
fn bad_inputs_name_file_and_place() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(FLAT).unwrap();

    let truncated = tmp.path().join("trunc_genai_perf.json");
    fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let e = read_err(&truncated);
    assert!(
        e.contains("trunc_genai_perf.json") && e.contains("truncated"),
        "{e}"
    );

    let wrong = tmp.path().join("wrong_genai_perf.json");
    fs::write(
        &wrong,
        text.replacen(r#""avg": 120.4"#, r#""avg": "120.4""#, 1),
    )
    .unwrap();
    let e = read_err(&wrong);
    assert!(
        e.contains("wrong_genai_perf.json") && e.contains("`time_to_first_token.avg`"),
        "{e}"
    );

    let conc = tmp.path().join("conc_genai_perf.json");
    fs::write(
        &conc,
        text.replacen(r#""concurrency": 8"#, r#""concurrency": "eight""#, 1),
    )
    .unwrap();
    let e = read_err(&conc);
    assert!(e.contains("`input_config.concurrency`"), "{e}");

    let csv_text = fs::read_to_string(CSV).unwrap();
    let bad_csv = tmp.path().join("bad_genai_perf.csv");
    fs::write(&bad_csv, csv_text.replacen("640.07", "six", 1)).unwrap();
    let e = read_err(&bad_csv);
    assert!(
        e.contains("bad_genai_perf.csv")
            && e.contains("line 2 column `p50`")
            && e.contains("`six`"),
        "{e}"
    );

    let zero = tmp.path().join("zero_genai_perf.csv");
    fs::write(
        &zero,
        csv_text.replace("Request Count (count),40.00", "Request Count (count),0.00"),
    )
    .unwrap();
    let e = read_err(&zero);
    assert!(e.contains("no request completed"), "{e}");

    let empty = tmp.path().join("empty_genai_perf.json");
    fs::write(&empty, "").unwrap();
    let e = read_err(&empty);
    assert!(e.contains("empty_genai_perf.json"), "{e}");
}
