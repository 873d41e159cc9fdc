use super::records::{fast_record, parse_record};
use super::*;

#[test]
fn display_names_map_to_tags() {
    assert_eq!(
        display_name_to_tag("Time to First Token (ms)"),
        ("time_to_first_token".into(), Some("ms".into()))
    );
    assert_eq!(
        display_name_to_tag("Time To First Token (ms)"),
        ("time_to_first_token".into(), Some("ms".into()))
    );
    assert_eq!(
        display_name_to_tag("Request Count"),
        ("request_count".into(), None)
    );
    assert_eq!(
        display_name_to_tag("Request Throughput (per sec)"),
        ("request_throughput".into(), Some("per sec".into()))
    );
    assert_eq!(
        display_name_to_tag("HTTP Duration (excl. conn) (ms)").0,
        "http_duration_(excl._conn)"
    );
}

#[test]
fn csv_heads_are_told_apart() {
    assert!(is_aiperf_csv_head(
        "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std\n"
    ));
    assert!(is_aiperf_csv_head(
        "Metric,avg,min,max,p1,p5,p25,p50,p75,p90,p95,p99,std\n"
    ));
    assert!(!is_aiperf_csv_head(
        "Metric,avg,min,max,p99,p95,p90,p75,p50,p25\n"
    ));
    assert!(!is_aiperf_csv_head(
        "Timeslice,Start_NS,End_NS,Metric,Unit,Stat,Value\n"
    ));
}

#[test]
fn json_heads_are_told_apart() {
    let aiperf = r#"{"schema_version": "1.4", "aiperf_version": "0.13.0", "request_throughput": {"unit": "x"}"#;
    assert!(is_aggregate_json_head("renamed.json", aiperf));
    let genai = r#"{"request_throughput": {"unit": "per sec", "avg": 1.0}, "input_config": {}}"#;
    assert!(!is_aggregate_json_head(
        "profile_export_genai_perf.json",
        genai
    ));
    assert!(!is_aggregate_json_head("bench.json", genai));
    let old = r#"{"input_config": {}, "records": {"request_latency": {"tag": "request_latency"}}}"#;
    assert!(is_aggregate_json_head("x.json", old));
    let server = r#"{"schema_version": "1.1", "aiperf_version": "0.13.0", "summary": {}}"#;
    assert!(!is_aggregate_json_head(
        "server_metrics_export.json",
        server
    ));
    assert!(!is_aggregate_json_head("renamed_metrics.json", server));
}

#[test]
fn units_convert_to_ms() {
    let p = Path::new("x");
    assert_eq!(ms_per_unit(p, "", Some("sec")).ok(), Some(1000.0));
    assert_eq!(ms_per_unit(p, "", Some("ns")).ok(), Some(1e-6));
    assert!(ms_per_unit(p, "", Some("tokens")).is_err());
    assert_eq!(s_per_unit(p, "", Some("sec")).ok(), Some(1.0));
}

#[test]
fn fast_path_agrees_with_the_full_parser_on_every_real_record() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-results/aiperf");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.file_name() != "profile_export.jsonl" {
            continue;
        }
        let text = fs::read(entry.path()).unwrap();
        for (i, line) in text.split(|c| *c == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let fast = fast_record(line).expect("real records take the fast path");
            let full = parse_record(entry.path(), i + 1, line).unwrap();
            assert_eq!(fast, full, "{} line {}", entry.path().display(), i + 1);
            checked += 1;
        }
    }
    // 8 runs of 5/20/40/80 profiling records plus one warmup record each.
    assert_eq!(checked, 2 * (5 + 20 + 40 + 80) + 8);
    // Unusual records fall back to the full parser.
    assert_eq!(
        fast_record(b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"error\":{}}"),
        None
    );
    let spaced = b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"metrics\":{\"time_to_first_token\": {\"value\": 1}}}";
    assert_eq!(fast_record(spaced), None);
    let seconds = b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"metrics\":{\"time_to_first_token\":{\"value\":1,\"unit\":\"s\"}}}";
    assert_eq!(fast_record(seconds), None);
}
