//! The formats other tools read: points.parquet and requests.parquet (read back with pyarrow),
//! junit.xml (parsed by Python's XML parser), GitHub Actions annotations and step summary,
//! `show --format parquet`. Inputs: the bundled aiperf sweeps, compared the wrong way round
//! (the tuned run first), so the second config is 2.3-3x worse at every point.
//! Expected numbers are read by hand from sample-results/aiperf/*/profile_export_aiperf.json and
//! profile_export.jsonl (named at each assertion) or taken from findings.json of the same run.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::{adreport, json_of, out_dir, python_with, repo, sample, text, ADREPORT, ROOT};

const BASE: &str = "sample-results/aiperf/baseline";
const TUNED: &str = "sample-results/aiperf/tuned";

/// The reversed compare with both gates, as a GitHub Actions step would run it.
fn reversed_under_github(out: &Path, step_summary: &Path) -> std::process::Output {
    Command::new(ADREPORT)
        .args([
            "compare",
            TUNED,
            BASE,
            "--sla",
            "ttft=500,tpot=7",
            "--fail-on-regression",
            "5",
            "--fail-on-sla",
            "-o",
        ])
        .arg(out)
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", step_summary)
        .current_dir(ROOT)
        .output()
        .expect("run adreport")
}

/// The messages of findings.json's gate hits.
fn gate_messages(findings: &Value) -> Vec<String> {
    findings["gate_hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["message"].as_str().unwrap().to_string())
        .collect()
}

/// A workflow command's message as GitHub's runner decodes it.
fn decode(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%25", "%")
}

/// The lower end of a gate message's interval: `... CI 100.4% to ...` -> 100.4.
fn ci_low(message: &str) -> f64 {
    let after = message.split(" CI ").nth(1).expect("a CI in the message");
    after.split('%').next().unwrap().parse().unwrap()
}

#[test]
fn gate_failures_become_annotations_a_step_summary_and_junit_failures() {
    let dir = out_dir("export-gh");
    let out = dir.path().join("out");
    let summary = dir.path().join("step_summary.md");
    fs::write(&summary, "# an earlier step\n").unwrap();
    let run = reversed_under_github(&out, &summary);
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let findings = json_of(&out.join("findings.json"));
    let messages = gate_messages(&findings);
    // 94 regressions (every judged metric but two at the four points) and the SLA at all four
    // points of the config under test; counted independently below from junit.xml.
    assert_eq!(messages.len(), 98, "{messages:?}");

    // At most 10 annotations, the worst first, then how many more.
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 10, "{stdout}");
    let mut lows = Vec::new();
    for e in &errors {
        let (props, message) = e["::error ".len()..].split_once("::").unwrap();
        assert_eq!(props, "title=adreport%3A baseline regressed beyond 5%25");
        let message = decode(message);
        assert!(messages.contains(&message), "{message}");
        lows.push(ci_low(&message));
    }
    assert!(lows.windows(2).all(|w| w[0] >= w[1]), "{lows:?}");
    // The worst: ITL at concurrency 16, 7.137 ms (tuned) -> 21.62 ms (baseline), the
    // `inter_token_latency.avg` of each side's isl_128_osl_64_conc_16/profile_export_aiperf.json.
    assert!(
        errors[0].contains("::itl_avg_ms at isl 128 osl 64 conc 16: 7.14 -> 21.62 (203.0%25 worse"),
        "{}",
        errors[0]
    );
    assert!(
        stdout.contains("adreport: 88 more gate failures not annotated; every one is in"),
        "{stdout}"
    );

    // summary.md appended after what the step summary held.
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(
        fs::read_to_string(&summary).unwrap(),
        format!("# an earlier step\n{}\n", md.trim_end_matches('\n'))
    );

    // junit.xml: parsed by Python's own XML parser; one failure per gate hit, carrying its
    // message, a passing case for every other check.
    let parse = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys, xml.etree.ElementTree as ET\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             print(json.dumps({'root': [root.tag, dict(root.attrib)], 'suites': [\n\
               [dict(s.attrib), [[c.get('classname'), c.get('name'),\n\
                 [f.get('message') for f in c.findall('failure')]] for c in s.findall('testcase')]]\n\
               for s in root.findall('testsuite')]}))",
        )
        .arg(out.join("junit.xml"))
        .output()
        .expect("python3");
    assert!(parse.status.success(), "{}", text(&parse.stderr));
    let junit: Value = serde_json::from_slice(&parse.stdout).unwrap();
    assert_eq!(junit["root"][0], "testsuites");
    let suites = junit["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 2);
    let mut failures: Vec<String> = Vec::new();
    let mut cases = 0;
    for s in suites {
        let list = s[1].as_array().unwrap();
        cases += list.len();
        let failed: Vec<String> = list
            .iter()
            .flat_map(|c| c[2].as_array().unwrap().clone())
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        assert_eq!(s[0]["tests"], list.len().to_string());
        assert_eq!(s[0]["failures"], failed.len().to_string());
        failures.extend(failed);
    }
    let mut want = messages.clone();
    want.sort();
    failures.sort();
    assert_eq!(failures, want);
    // The regression suite: one case per metric the gate judged at each of the 4 points.
    let judged = findings["regression_gate"]["judged"].as_u64().unwrap() as usize;
    let regression = suites[0][1].as_array().unwrap();
    assert_eq!(regression.len(), judged);
    assert_eq!(
        regression[0],
        serde_json::json!([
            "adreport.regression.baseline",
            "ttft_avg_ms at isl 128 osl 64 conc 1 vs tuned",
            [messages
                .iter()
                .find(|m| m.starts_with("ttft_avg_ms at isl 128 osl 64 conc 1:"))
                .unwrap()]
        ])
    );
    let passing: Vec<&Value> = regression
        .iter()
        .filter(|c| c[2].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(passing.len(), judged - 94, "{passing:?}");
    // The SLA suite: the 4 points of the config under test; the baseline of the compare
    // (tuned) is not judged.
    let sla = suites[1][1].as_array().unwrap();
    assert_eq!(sla.len(), 4);
    assert!(
        sla.iter().all(|c| c[0] == "adreport.sla.baseline"),
        "{sla:?}"
    );
    assert_eq!(cases, judged + 4);
}

#[test]
fn without_github_actions_nothing_is_annotated() {
    let dir = out_dir("export-plain");
    let o = dir.path().to_str().unwrap();
    let run = adreport(&["compare", TUNED, BASE, "--fail-on-regression", "5", "-o", o]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!text(&run.stdout).contains("::error"));
    // No gate for the SLA was asked: junit.xml holds the regression suite only.
    let xml = fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 1, "{xml}");
}

/// The rows of one Parquet file as pyarrow reads them.
struct Table {
    metadata: BTreeMap<String, String>,
    schema: BTreeMap<String, String>,
    rows: Vec<Value>,
}

fn read_parquet(python: &Path, files: &[&Path]) -> Vec<Table> {
    let run = Command::new(python)
        .arg(repo("tests/bin/parquet_to_json.py"))
        .args(files)
        .output()
        .expect("python");
    assert!(run.status.success(), "{}", text(&run.stderr));
    let all: Value = serde_json::from_slice(&run.stdout).unwrap();
    files
        .iter()
        .map(|f| {
            let t = &all[f.to_str().unwrap()];
            Table {
                metadata: serde_json::from_value(t["metadata"].clone()).unwrap(),
                schema: t["schema"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c[0].as_str().unwrap().into(), c[1].as_str().unwrap().into()))
                    .collect(),
                rows: t["rows"].as_array().unwrap().clone(),
            }
        })
        .collect()
}

/// The profiled requests of an aiperf point: (TTFT ms, output tokens) of each record of
/// profile_export.jsonl that is not warmup, in file order.
fn profiled_requests(point: &Path) -> Vec<(f64, u64)> {
    fs::read_to_string(point.join("profile_export.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["metadata"]["benchmark_phase"] != "warmup")
        .map(|r| {
            (
                r["metrics"]["time_to_first_token"]["value"]
                    .as_f64()
                    .unwrap(),
                r["metrics"]["output_sequence_length"]["value"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn parquet_files_read_by_pyarrow_hold_the_source_values() {
    let Some(python) = python_with(&["pyarrow"], "parquet_files_read_by_pyarrow") else {
        return;
    };
    let dir = out_dir("export-pq");
    let out = dir.path().join("out");
    let run = reversed_under_github(&out, &dir.path().join("summary.md"));
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let points_file = out.join("points.parquet");
    let requests_file = out.join("requests.parquet");
    let tables = read_parquet(&python, &[&points_file, &requests_file]);
    let (points, requests) = (&tables[0], &tables[1]);

    assert_eq!(points.metadata["adreport.schema"], "adreport-points");
    assert_eq!(points.metadata["adreport.schema_version"], "1");
    assert_eq!(requests.metadata["adreport.schema"], "adreport-requests");
    // Typed columns, units in the names.
    assert_eq!(points.schema["concurrency"], "uint64");
    assert_eq!(points.schema["repeats"], "uint64");
    assert_eq!(points.schema["ttft_avg_ms"], "double");
    assert_eq!(requests.schema["output_tokens"], "uint64");
    assert_eq!(requests.schema["error"], "bool");

    // One row per point: 2 configs x 4 concurrencies.
    assert_eq!(points.rows.len(), 8);
    let point = |label: &str, c: u64| {
        points
            .rows
            .iter()
            .find(|r| r["label"] == label && r["concurrency"] == c)
            .unwrap_or_else(|| panic!("no {label} c{c}"))
    };
    // tuned/isl_128_osl_64_conc_1/profile_export_aiperf.json: time_to_first_token.avg.
    assert_eq!(point("tuned", 1)["ttft_avg_ms"], 29.9313622);
    // baseline/isl_128_osl_64_conc_16/profile_export_aiperf.json: inter_token_latency.avg and
    // time_to_first_token.avg.
    // (aiperf's `inter_token_latency` is TPOT: docs/formats.md.)
    assert_eq!(point("baseline", 16)["tpot_avg_ms"], 21.624291228769838);
    assert_eq!(point("baseline", 16)["ttft_avg_ms"], 225.9276769875);
    assert_eq!(point("baseline", 16)["source"], "aiperf");
    assert_eq!(point("baseline", 16)["model"], "mock-llm");
    assert_eq!(point("baseline", 16)["isl"], 128);
    assert_eq!(point("baseline", 16)["repeats"], 1);

    // One row per profiled request of each point, warmup left out, in file order.
    for label in ["tuned", "baseline"] {
        for c in [1u64, 4, 8, 16] {
            let src = sample(format!("aiperf/{label}/isl_128_osl_64_conc_{c}"));
            let want = profiled_requests(&src);
            let got: Vec<&Value> = requests
                .rows
                .iter()
                .filter(|r| r["label"] == label && r["concurrency"] == c)
                .collect();
            assert_eq!(got.len(), want.len(), "{label} c{c}");
            for (i, (r, (ttft, out_tokens))) in got.iter().zip(&want).enumerate() {
                assert_eq!(r["ttft_ms"].as_f64(), Some(*ttft), "{label} c{c} #{i}");
                assert_eq!(r["output_tokens"].as_u64(), Some(*out_tokens));
                assert_eq!(r["request"].as_u64(), Some(i as u64));
                assert_eq!(r["repeat"], 1);
                assert_eq!(r["error"], false);
            }
        }
    }
    // 5 + 20 + 40 + 80 profiled requests a side (6, 21, 41, 81 lines, one warmup each).
    assert_eq!(requests.rows.len(), 290);
    // tuned/isl_128_osl_64_conc_1/profile_export.jsonl, first profiling record.
    assert_eq!(requests.rows[0]["ttft_ms"], 33.881022);

    // `show --format parquet -o FILE`: the same points of one sweep.
    let file = dir.path().join("show/tuned.parquet");
    let run = adreport(&[
        "show",
        TUNED,
        "--format",
        "parquet",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let shown = read_parquet(&python, &[&file]);
    assert_eq!(shown[0].rows.len(), 4);
    let c1 = shown[0]
        .rows
        .iter()
        .find(|r| r["concurrency"] == 1)
        .unwrap();
    assert_eq!(c1["ttft_avg_ms"], 29.9313622);
}

#[test]
fn show_parquet_needs_a_file() {
    let run = adreport(&["show", TUNED, "--format", "parquet"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("--format parquet writes a file: give -o FILE"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn llmd_reports_validate_against_the_pinned_schema() {
    let Some(python) = python_with(
        &["pydantic", "yaml", "jsonschema"],
        "llmd_reports_validate_against_the_pinned_schema",
    ) else {
        return;
    };
    let dir = out_dir("export-llmd");
    let out = dir.path().join("llmd");
    let run = adreport(&["export", "llm-d", TUNED, "-o", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("wrote 4 llm-d benchmark reports (v0.2)"),
        "{}",
        text(&run.stderr)
    );
    let mut files: Vec<std::path::PathBuf> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // One report per point; a copy with a wrong unit shows the validator can say no.
    assert_eq!(files.len(), 4, "{files:?}");
    let broken = dir.path().join("broken.yaml");
    let conc8 = out.join("benchmark_report_v0.2_tuned_isl_128_osl_64_conc_8.yaml");
    let text8 = fs::read_to_string(&conc8).unwrap();
    fs::write(&broken, text8.replacen("units: queries/s", "units: ms", 1)).unwrap();
    files.push(broken.clone());
    let check = Command::new(&python)
        .arg(repo("tests/bin/validate_llmd.py"))
        .args(&files)
        .output()
        .expect("python");
    assert!(check.status.success(), "{}", text(&check.stderr));
    let verdicts: Value = serde_json::from_slice(&check.stdout).unwrap();
    let broken_verdict = &verdicts[broken.to_str().unwrap()];
    assert_eq!(broken_verdict["ok"], false, "{broken_verdict}");
    for c in [1u64, 4, 8, 16] {
        let f = out.join(format!(
            "benchmark_report_v0.2_tuned_isl_128_osl_64_conc_{c}.yaml"
        ));
        let v = &verdicts[f.to_str().unwrap()];
        assert_eq!(v["ok"], true, "conc {c}: {v}");
        assert_eq!(v["version"], "0.2");
        assert_eq!(v["concurrency"], c);
        assert_eq!(v["ttft_units"], "ms");
        // Read back by the schema's own model: the mean TTFT is the tool's, from
        // tuned/isl_128_osl_64_conc_C/profile_export_aiperf.json, time_to_first_token.avg.
        let source = json_of(&sample(format!(
            "aiperf/tuned/isl_128_osl_64_conc_{c}/profile_export_aiperf.json"
        )));
        assert_eq!(
            v["ttft_mean"], source["time_to_first_token"]["avg"],
            "conc {c}"
        );
        // run.time: aiperf's start_time and end_time, read as datetimes by the model.
        assert_eq!(v["start"], source["start_time"], "conc {c}");
        assert_eq!(v["end"], source["end_time"], "conc {c}");
    }
    // The same ids on a second export (derived from the label and the point's files).
    let again = dir.path().join("again");
    let run = adreport(&["export", "llm-d", TUNED, "-o", again.to_str().unwrap()]);
    assert!(run.status.success());
    assert_eq!(
        fs::read_to_string(again.join(conc8.file_name().unwrap())).unwrap(),
        text8
    );
    // Read back by adreport's own llm-d reader: the same mean TTFT at every concurrency
    // (time_to_first_token.avg of the source files).
    let shown = common::show_json(&again);
    assert_eq!(shown.len(), 4, "{shown:?}");
    for c in [1u64, 4, 8, 16] {
        let row = shown
            .iter()
            .find(|r| r["concurrency"] == c)
            .unwrap_or_else(|| panic!("no point at {c}: {shown:?}"));
        assert_eq!(row["source"], "llm-d-report");
        let source = json_of(&sample(format!(
            "aiperf/tuned/isl_128_osl_64_conc_{c}/profile_export_aiperf.json"
        )));
        let want = source["time_to_first_token"]["avg"].as_f64().unwrap();
        let got = row["ttft_avg_ms"].as_f64().unwrap();
        assert!(
            (got - want).abs() <= 1e-9 * want,
            "conc {c}: {got} vs {want}"
        );
    }
}

#[test]
fn llmd_export_of_nothing_usable_names_the_input() {
    let dir = out_dir("export-llmd-bad");
    let run = adreport(&[
        "export",
        "llm-d",
        "tests/data/does-not-exist",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("tests/data/does-not-exist"),
        "{}",
        text(&run.stderr)
    );
}
