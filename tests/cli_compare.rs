//! End-to-end: the `compare` and `report` commands on the bundled real aiperf sweeps.
//! Expected numbers are read by hand from sample-results/aiperf/*/profile_export_aiperf.json.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{adreport, out_dir, text};

const BASE: &str = "sample-results/aiperf/baseline";
const TUNED: &str = "sample-results/aiperf/tuned";

fn compare(out: &Path, extra: &[&str]) -> Output {
    let o = out.to_str().unwrap();
    let mut args = vec!["compare", BASE, TUNED, "--sla", "ttft=500,tpot=7", "-o", o];
    args.extend_from_slice(extra);
    adreport(&args)
}

#[test]
fn compare_writes_every_output_with_source_values() {
    let dir = out_dir("cmp");
    let out = compare(dir.path(), &[]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    for f in ["SUMMARY.txt", "summary.md", "findings.json", "points.csv"] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    let summary = std::fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    // baseline conc 16: time_to_first_token.avg 225.9276769875 ms, printed with 1 decimal.
    assert!(summary.contains("225.9"), "{summary}");
    // tuned conc 16: inter_token_latency.avg 7.136631253174603 ms.
    assert!(summary.contains("7.14"), "{summary}");
    assert!(summary.starts_with("Benchmark Results Summary\n=============================="));
    assert!(summary.contains("SLA: avg TTFT <= 500 ms, avg TPOT <= 7 ms"));

    let findings: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("findings.json")).unwrap())
            .unwrap();
    let series = findings["series"].as_array().unwrap();
    let tuned = series.iter().find(|s| s["label"] == "tuned").unwrap();
    let cap = &tuned["capacity"];
    // tuned TPOT avg: 6.369348248809524 at conc 8 (pass), 7.136631253174603 at conc 16 (fail).
    assert_eq!(cap["max_passing_concurrency"], 8);
    assert_eq!(
        cap["request_throughput"].as_f64().unwrap(),
        17.164378789928897
    );
    let expected_cross =
        8.0 + (7.0 - 6.369348248809524) / (7.136631253174603 - 6.369348248809524) * 8.0;
    let cross = cap["crossings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["target"] == "TPOT")
        .unwrap();
    assert!((cross["concurrency"].as_f64().unwrap() - expected_cross).abs() < 1e-9);
    // baseline TPOT avg is 13.26 ms already at conc 1: it never meets 7 ms.
    // Every tuned point trades user speed for throughput (output_token_throughput_per_user
    // 173.2, 166.6, 157.0, 140.1 against 161, 600, 1099, 1885 tok/s): all on the frontier.
    assert_eq!(
        tuned["pareto_concurrencies"],
        serde_json::json!([16, 8, 4, 1])
    );
    assert_eq!(tuned["pareto_y"], "output_token_throughput");
    let base = series.iter().find(|s| s["label"] == "baseline").unwrap();
    assert!(base["capacity"]["max_passing_concurrency"].is_null());

    // TTFT avg at conc 16: 81.3770935875 (tuned) vs 225.9276769875 (baseline).
    let cmp = &findings["comparisons"][0];
    assert_eq!(cmp["baseline"], "baseline");
    let pair = cmp["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"]["concurrency"] == 16)
        .unwrap();
    let ttft = pair["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["metric"] == "ttft_avg_ms")
        .unwrap();
    let rel = (81.3770935875 - 225.9276769875) / 225.9276769875 * 100.0;
    assert!((ttft["rel_pct"].as_f64().unwrap() - rel).abs() < 1e-9);
    assert_eq!(ttft["verdict"], "better");
    assert_eq!(ttft["significant"], true);
}

#[test]
fn reversed_compare_with_regression_gate_exits_2() {
    let dir = out_dir("rev");
    let o = dir.path().to_str().unwrap();
    let out = adreport(&[
        "compare",
        TUNED,
        BASE,
        "--sla",
        "ttft=500,tpot=7",
        "-o",
        o,
        "--fail-on-regression",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2), "stdout: {}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("GATE regression [baseline]"), "{stdout}");
    // In the forward direction the tuned config regresses nothing by 5%.
    let dir2 = out_dir("fwd");
    let fwd = compare(dir2.path(), &["--fail-on-regression", "5"]);
    assert_eq!(fwd.status.code(), Some(0), "{}", text(&fwd.stdout));
}

#[test]
fn fail_on_sla_judges_labels_under_test() {
    let dir = out_dir("sla");
    // tuned misses TPOT 7 ms at conc 16 (7.1366 ms).
    let out = compare(dir.path(), &["--fail-on-sla"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("conc 16 misses the SLA on TPOT"));
}

#[test]
fn bad_arguments_exit_1_with_a_message() {
    let dir = out_dir("bad");
    let o = dir.path().to_str().unwrap();
    let out = adreport(&["compare", BASE, TUNED, "--sla", "ttft=fast", "-o", o]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`fast` for ttft is not a number"));
    let out = adreport(&["report", "no/such/dir", "-o", o]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no/such/dir"));
}

#[test]
fn sla_statistic_is_chosen_and_stated() {
    let dir = out_dir("p99");
    // tuned TTFT p99 at conc 16 is 95.70 ms (time_to_first_token.p99); a 90 ms p99 limit fails it
    // while the avg (81.38 ms) would pass.
    let o = dir.path().to_str().unwrap();
    let out = adreport(&[
        "report",
        TUNED,
        "--sla",
        "ttft=90",
        "--sla-stat",
        "p99",
        "-o",
        o,
    ]);
    assert!(out.status.success());
    let summary = std::fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    assert!(summary.contains("SLA: p99 TTFT <= 90 ms"), "{summary}");
    assert!(
        summary.contains("tuned: meets the SLA up to concurrency 8"),
        "{summary}"
    );
    let avg = adreport(&["report", TUNED, "--sla", "ttft=90", "-o", o]);
    assert!(avg.status.success());
    let summary = std::fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("tuned: meets the SLA up to concurrency 16"),
        "{summary}"
    );
}
