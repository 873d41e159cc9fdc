//! `adreport compare aiperf=RUN guidellm=RUN` of one server (the mock, tests/data/cross_tool:
//! real aiperf 0.13.0 and guidellm 0.8.1 runs, three repeats each at concurrency 1, 4 and 8):
//! points align by concurrency, the same server gives "within noise" on the figures both tools
//! define alike, and the latency family they define differently (TPOT) is named in every output.

use serde_json::Value;

mod common;
use common::{adreport, json_of, out_dir, text};

/// findings.json and every text output by name.
fn compare() -> (Value, Vec<(&'static str, String)>) {
    let out = out_dir("cross-tool");
    let o = adreport(&[
        "compare",
        "aiperf=tests/data/cross_tool/aiperf",
        "guidellm=tests/data/cross_tool/guidellm",
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let findings = json_of(&out.path().join("findings.json"));
    let read = |f: &str| std::fs::read_to_string(out.path().join(f)).unwrap();
    let outputs = vec![
        ("SUMMARY.txt", read("SUMMARY.txt")),
        ("summary.md", read("summary.md")),
        ("report.html", read("report.html")),
        ("terminal", text(&o.stdout)),
    ];
    (findings, outputs)
}

#[test]
fn same_server_is_within_noise_and_tpot_definitions_are_named() {
    let (f, outputs) = compare();
    let c = &f["comparisons"][0];
    assert_eq!(c["baseline"], "aiperf");
    assert_eq!(c["label"], "guidellm");
    let pairs = c["pairs"].as_array().unwrap();
    let concs: Vec<u64> = pairs
        .iter()
        .map(|p| p["key"]["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(concs, vec![1, 4, 8]);
    assert!(c["only_in_baseline"].as_array().unwrap().is_empty());
    // The means both tools define alike: within noise at every load, judged on 3 runs a side.
    for p in pairs {
        for d in p["deltas"].as_array().unwrap() {
            let m = d["metric"].as_str().unwrap();
            if [
                "ttft_avg_ms",
                "e2el_avg_ms",
                "request_throughput",
                "output_token_throughput",
                "tpot_avg_ms",
            ]
            .contains(&m)
            {
                assert_eq!(d["runs"], serde_json::json!([3, 3]), "{m}");
                assert_eq!(d["evidence"], "run_level", "{m}");
                assert_eq!(d["verdict"], "within_noise", "{m} at {}", p["key"]);
            }
        }
        // guidellm counted no prompt tokens (the mock's usage has none): no total tok/s to compare.
        assert!(!p["deltas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["metric"] == "total_token_throughput"));
    }
    // TPOT is the one family the two tools define differently; it is named, in each output.
    let defs = c["definitions"].as_array().unwrap();
    assert_eq!(defs.len(), 1, "{defs:?}");
    assert_eq!(defs[0]["family"], "tpot");
    assert_eq!(defs[0]["baseline_tool"], "aiperf");
    assert_eq!(defs[0]["label_tool"], "guidellm");
    assert!(defs[0]["label"].as_str().unwrap().contains("over tokens"));
    for (name, out) in &outputs {
        assert!(
            out.contains("TPOT is not defined alike: aiperf: per request"),
            "{name}:\n{out}"
        );
    }
}

#[test]
fn one_tool_against_itself_names_no_definition_difference() {
    let out = out_dir("same-tool");
    let o = adreport(&[
        "compare",
        "a=tests/data/cross_tool/aiperf/rep_1",
        "b=tests/data/cross_tool/aiperf/rep_2",
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let f = json_of(&out.path().join("findings.json"));
    assert!(f["comparisons"][0]["definitions"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(!text(&o.stdout).contains("not defined alike"));
}

#[test]
fn points_set_to_a_rate_align_on_their_rate() {
    // inference-perf's stages at 2, 4 and 8 req/s have no concurrency: each rate is its own
    // aligned point, not three points under one key.
    let out = out_dir("rates");
    let o = adreport(&[
        "compare",
        "a=tests/data/inference-perf/rate",
        "b=tests/data/inference-perf/rate",
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let f = json_of(&out.path().join("findings.json"));
    let rates: Vec<f64> = f["comparisons"][0]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"]["request_rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, vec![2.0, 4.0, 8.0]);
    assert!(
        text(&o.stdout).contains("4.00 req/s"),
        "{}",
        text(&o.stdout)
    );
}
