//! Verdicts at real GPU noise, end to end through `adreport compare`, on real repeats of one
//! H100 (tests/data/gpu_interleaved, README there): at concurrency 1, 2 and 4 all six runs
//! (baseline and tuned x 3) are repeats of ONE config, run to run 7-23 % apart; at 8 and 16
//! the configs truly differ (tuned's TPOT ~60-90 % worse, its TTFT ~20x better).

use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{adreport, data, json_of, out_dir, sample, text};

const SAME_CONFIG: [u64; 3] = [1, 2, 4];

/// The six runs of the data: (label, rep).
const RUNS: [(&str, u32); 6] = [
    ("baseline", 1),
    ("baseline", 2),
    ("baseline", 3),
    ("tuned", 1),
    ("tuned", 2),
    ("tuned", 3),
];

/// Copies run `(label, rep)` at the same-config concurrencies into `side/rep_<as_rep>/`.
fn copy_run(run: (&str, u32), side: &Path, as_rep: usize) {
    for c in SAME_CONFIG {
        let point = format!("isl_512_osl_128_conc_{c}");
        let from = data("gpu_interleaved")
            .join(run.0)
            .join(format!("rep_{}", run.1))
            .join(&point);
        let to = side.join(format!("rep_{as_rep}")).join(&point);
        fs::create_dir_all(&to).unwrap();
        for f in ["profile_export_aiperf.json", "run.json"] {
            fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

/// Every better/worse verdict of a findings.json, as `metric at conc C`.
fn verdicts(findings: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in findings["comparisons"].as_array().unwrap() {
        for p in c["pairs"].as_array().unwrap() {
            for d in p["deltas"].as_array().unwrap() {
                if d["verdict"] == "better" || d["verdict"] == "worse" {
                    out.push(format!(
                        "{} {} at conc {}",
                        d["metric"], d["verdict"], p["key"]["concurrency"]
                    ));
                }
            }
        }
    }
    out
}

/// `compare A=.. B=.. --fail-on-regression 5`: the exit code and the findings.
fn compare(a: &Path, b: &Path) -> (Option<i32>, Value, String) {
    let out_path = out_dir("real-noise-out");
    let out = adreport(&[
        "compare",
        &format!("A={}", a.display()),
        &format!("B={}", b.display()),
        "--fail-on-regression",
        "5",
        "-o",
        out_path.path().to_str().unwrap(),
    ]);
    let findings = json_of(&out_path.path().join("findings.json"));
    (out.status.code(), findings, text(&out.stdout))
}

/// The 10 distinct ways to split six repeats of one config 3 vs 3 (run 1 always on side A):
/// none may trip a 5 % gate, and at most one may call anything better or worse.
#[test]
fn ten_three_vs_three_splits_of_one_config_pass_the_gate() {
    let mut with_verdicts = Vec::new();
    let mut splits = 0;
    for x in 1..6 {
        for y in x + 1..6 {
            let side_a = [0, x, y];
            let root = out_dir("split");
            let (a, b) = (root.path().join("A"), root.path().join("B"));
            let mut rep_b = 0;
            for (i, run) in RUNS.iter().enumerate() {
                if let Some(k) = side_a.iter().position(|s| *s == i) {
                    copy_run(*run, &a, k + 1);
                } else {
                    rep_b += 1;
                    copy_run(*run, &b, rep_b);
                }
            }
            splits += 1;
            let (code, findings, stdout) = compare(&a, &b);
            assert_eq!(code, Some(0), "split {side_a:?}: {stdout}");
            assert_eq!(
                findings["comparisons"][0]["pairs"]
                    .as_array()
                    .unwrap()
                    .len(),
                3
            );
            let v = verdicts(&findings);
            if !v.is_empty() {
                with_verdicts.push(format!("{side_a:?}: {v:?}"));
            }
        }
    }
    assert_eq!(splits, 10);
    eprintln!("3-vs-3 splits with a better/worse verdict: {with_verdicts:?}");
    assert!(with_verdicts.len() <= 1, "{with_verdicts:?}");
}

/// Each baseline run against each tuned run at concurrency 1-4 (one config): 9 single-run
/// pairs, judged against the default run-to-run noise, without a noise file. None trips a 5 %
/// gate.
#[test]
fn nine_single_run_pairings_of_one_config_pass_the_gate() {
    for base in 1..=3 {
        for tuned in 1..=3 {
            let root = out_dir("single");
            let (a, b) = (root.path().join("A"), root.path().join("B"));
            copy_run(("baseline", base), &a, 1);
            copy_run(("tuned", tuned), &b, 1);
            let (code, findings, stdout) = compare(&a.join("rep_1"), &b.join("rep_1"));
            assert_eq!(code, Some(0), "baseline {base} vs tuned {tuned}: {stdout}");
            assert_eq!(findings["regression_gate"]["unjudged"], 0, "{stdout}");
            let d = &findings["comparisons"][0]["pairs"][0]["deltas"][0];
            assert_eq!(d["evidence"], "single_run");
            assert_eq!(d["noise"]["from"], "default");
        }
    }
}

/// One baseline sweep against one tuned sweep 2.3-3.0x apart at every point (the bundled
/// sample, read in reverse: tuned is the reference): the gate trips without any noise file,
/// and the headline says the effect first.
#[test]
fn a_plain_single_run_regression_trips_the_gate_and_leads_the_headline() {
    let dir = out_dir("plain");
    let out = adreport(&[
        "compare",
        &format!("tuned={}", sample("aiperf/tuned").display()),
        &format!("baseline={}", sample("aiperf/baseline").display()),
        "--fail-on-regression",
        "5",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    // ttft_avg_ms of the two samples (time_to_first_token.avg): 29.93 -> 68.18 ms at
    // concurrency 1 (2.28x), 81.38 -> 225.9 ms at 16 (2.78x).
    let first = stdout.lines().next().unwrap();
    assert!(
        first.contains(
            "baseline vs tuned over 4 aligned points: avg TTFT 2.3x to 2.8x higher: worse at 4 of 4"
        ),
        "{first}"
    );
    let findings = json_of(&dir.path().join("findings.json"));
    let hits = findings["gate_hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["message"]
        .as_str()
        .unwrap()
        .starts_with("ttft_avg_ms at isl 128 osl 64 conc 1: 29.93 -> 68.18")));
    assert!(hits.iter().all(|h| h["message"]
        .as_str()
        .unwrap()
        .contains("single runs, beyond")));
    // The verdict block fits a 100-column terminal.
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("┆ change"))
        .take_while(|l| !l.starts_with('└'))
        .collect();
    assert!(table.len() > 5, "{stdout}");
    assert!(table.iter().all(|l| l.chars().count() <= 100), "{table:?}");
}

/// The real baseline-vs-tuned repeats: the true TPOT regression at concurrency 8 and 16 is
/// gated, nothing at 1-4 (where both configs are one).
#[test]
fn real_repeats_gate_the_true_change_and_nothing_else() {
    let (code, findings, stdout) = compare(
        &data("gpu_interleaved/baseline"),
        &data("gpu_interleaved/tuned"),
    );
    assert_eq!(code, Some(2), "{stdout}");
    let hits: Vec<&str> = findings["gate_hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message"].as_str().unwrap())
        .collect();
    for conc in [8, 16] {
        assert!(
            hits.iter()
                .any(|h| h.starts_with(&format!("tpot_avg_ms at isl 512 osl 128 conc {conc}:"))),
            "{hits:?}"
        );
    }
    assert!(
        hits.iter()
            .all(|h| h.contains(" conc 8:") || h.contains(" conc 16:")),
        "{hits:?}"
    );
    for v in verdicts(&findings) {
        assert!(v.ends_with("conc 8") || v.ends_with("conc 16"), "{v}");
    }
    // TTFT at 8 and 16 is far better with tuned: called better there.
    let v = verdicts(&findings);
    assert!(
        v.contains(&"\"ttft_avg_ms\" \"better\" at conc 8".to_string()),
        "{v:?}"
    );
}
