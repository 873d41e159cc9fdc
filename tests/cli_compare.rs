//! End-to-end: the `compare` and `report` commands on the bundled real aiperf sweeps.
//! Expected numbers are read by hand from sample-results/aiperf/*/profile_export_aiperf.json.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{adreport, data, out_dir, text};

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
    // One run a side, -64 %: far beyond the default 15 % run-to-run noise of a mean
    // (z = ln(81.377 / 225.928) / (sqrt(2) * sqrt(ln(1.0225))) = -4.84, p = 1.3e-6).
    assert_eq!(ttft["verdict"], "better");
    assert_eq!(ttft["runs"], serde_json::json!([1, 1]));
    assert_eq!(ttft["evidence"], "single_run");
    assert_eq!(ttft["test"]["kind"], "noise_prior");
    assert_eq!(ttft["significant"], true);
    let p = ttft["p_value"].as_f64().unwrap();
    assert!((1.0e-6..1.6e-6).contains(&p), "{p}");
    let lo = ttft["ci_pct"][0].as_f64().unwrap();
    assert!(
        lo > -100.0 && ttft["ci_pct"][1].as_f64().unwrap() < 0.0,
        "{ttft}"
    );
    // The per-request bootstrap still sees the two runs' requests differ: secondary evidence.
    assert_eq!(ttft["within_run_significant"], true);
    let headline = findings["headline"].as_array().unwrap();
    assert!(
        headline.iter().any(|l| l.as_str().unwrap().starts_with(
            "tuned vs baseline: one run per side, single runs judged against the default run-to-run noise"
        )),
        "{headline:?}"
    );
}

#[test]
fn reversed_compare_with_regression_gate_exits_2() {
    let dir = out_dir("rev");
    let reversed = |extra: &[&str]| {
        let o = dir.path().to_str().unwrap();
        let mut args = vec!["compare", TUNED, BASE, "--sla", "ttft=500,tpot=7", "-o", o];
        args.extend_from_slice(&["--fail-on-regression", "5"]);
        args.extend_from_slice(extra);
        adreport(&args)
    };
    let out = reversed(&[]);
    // One run a side, 2.3-3.0x worse everywhere: beyond the default run-to-run noise, so the
    // gate trips without any noise estimate and says what it rests on.
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "stdout: {stdout}");
    assert!(
        stdout.contains("GATE regression [baseline]: ttft_avg_ms at isl 128 osl 64 conc 1: 29.93 -> 68.18 (127.8% worse"),
        "{stdout}"
    );
    assert!(
        stdout.contains("single runs, beyond 15% run-to-run noise (default)"),
        "{stdout}"
    );
    // With a measured 2 % run-to-run CV the same change is judged against that instead.
    let gated = reversed(&["--noise-floor", "2"]);
    assert_eq!(gated.status.code(), Some(2), "{}", text(&gated.stdout));
    let stdout = text(&gated.stdout);
    assert!(
        stdout.contains("single runs, beyond 2% run-to-run noise (from --noise-floor)"),
        "{stdout}"
    );
    // In the forward direction the tuned config regresses nothing by that much.
    let dir2 = out_dir("fwd");
    let fwd = compare(
        dir2.path(),
        &["--fail-on-regression", "5", "--noise-floor", "2"],
    );
    assert_eq!(fwd.status.code(), Some(0), "{}", text(&fwd.stdout));
}

/// A gate that can check nothing must not pass: one label, or labels with no aligned point.
#[test]
fn a_gate_with_nothing_to_compare_exits_1() {
    let dir = out_dir("nothing");
    let o = dir.path().to_str().unwrap();
    // Both runs of tests/data/gpu_aa sit under one directory: one label, `gpu_aa`.
    let a = data("gpu_aa/run_1");
    let b = data("gpu_aa/run_2");
    let out = adreport(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--fail-on-regression",
        "5",
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(
            "--fail-on-regression 5: the inputs form one label (gpu_aa): nothing to compare"
        ),
        "{}",
        text(&out.stderr)
    );
    // The sample's baseline (ISL 128, OSL 64) against the H100 runs (ISL 512, OSL 128).
    let out = adreport(&[
        "compare",
        BASE,
        &format!("h100={}", data("gpu_aa/run_1").display()),
        "--fail-on-regression",
        "5",
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("no point of h100 aligns with baseline"),
        "{}",
        text(&out.stderr)
    );
    // Without a gate nothing was asked: the same compare reports and exits 0.
    let out = adreport(&[
        "compare",
        BASE,
        &format!("h100={}", data("gpu_aa/run_1").display()),
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(0));
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
        summary.contains("tuned: every measured concurrency passes (>= 16;"),
        "{summary}"
    );
}
