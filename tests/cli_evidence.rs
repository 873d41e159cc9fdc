//! End-to-end: what `compare` calls significant, and when its regression gate trips, on a real
//! A/A pair (one run a side) and on sweeps with 3 repeats a side read from rep_N/ directories.

use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;
use common::{adreport, data, json_of, out_dir, text};

/// Every delta of every comparison in a findings.json.
fn deltas(findings: &Value) -> Vec<(Value, Value)> {
    findings["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["pairs"].as_array().unwrap())
        .flat_map(|p| {
            p["deltas"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| (p["key"].clone(), d.clone()))
        })
        .collect()
}

fn delta(findings: &Value, conc: u64, metric: &str) -> Value {
    deltas(findings)
        .into_iter()
        .find(|(k, d)| k["concurrency"] == conc && d["metric"] == metric)
        .unwrap_or_else(|| panic!("{metric} at {conc}"))
        .1
}

/// tests/data/gpu_aa: one H100, the same server config run twice (README there). Nothing
/// changed, so nothing may be called significant and a 5 % gate must not trip.
#[test]
fn real_aa_pair_claims_nothing_and_passes_the_gate() {
    let dir = out_dir("gpu_aa");
    let o = dir.path().to_str().unwrap();
    let run = |name: &str| format!("{name}={}", data("gpu_aa").join(name).display());
    let out = adreport(&[
        "compare",
        &run("run_1"),
        &run("run_2"),
        "--sla",
        "ttft=500,tpot=30",
        "--fail-on-regression",
        "5",
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let findings = json_of(&dir.path().join("findings.json"));
    let all = deltas(&findings);
    assert!(all.len() > 100, "{} deltas", all.len());
    for (key, d) in &all {
        assert!(d["significant"].is_null(), "{key} {d}");
        assert!(d["ci_pct"].is_null(), "{key} {d}");
        assert_eq!(d["runs"], serde_json::json!([1, 1]), "{key} {d}");
        assert_eq!(d["evidence"], "single_run", "{key} {d}");
        assert!(
            d["verdict"] == "unverified" || d["verdict"] == "same",
            "{key} {d}"
        );
    }
    assert!(findings["gate_hits"].as_array().unwrap().is_empty());
    // The README's example: output tok/s at conc 4 went 146.635 -> 127.4 (-13.1 %) between two
    // runs of one config (output_token_throughput.avg in both profile_export_aiperf.json).
    let tput = delta(&findings, 4, "output_token_throughput");
    assert_eq!(tput["baseline"].as_f64(), Some(146.6350531220073));
    assert_eq!(tput["verdict"], "unverified");
    let said = "run_2 vs run_1: the evidence is one run per side: no change is called significant";
    for file in ["SUMMARY.txt", "summary.md", "findings.json", "report.html"] {
        let body = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(body.contains(said), "{file}");
    }
    let stdout = text(&out.stdout);
    assert!(stdout.contains(said), "{stdout}");
    assert!(
        stdout.contains("cannot be told from noise and were not gated"),
        "{stdout}"
    );
}

/// Writes OUT/LABEL/rep_N/isl_512_osl_128_conc_C/profile_export_aiperf.json from the real
/// aiperf export of tests/data/gpu_aa/run_1 at that concurrency, with every statistic of
/// `time_to_first_token` scaled by `ttft[N-1]` and the throughputs by `tput[N-1]`.
fn write_repeats(root: &Path, label: &str, conc: u64, ttft: [f64; 3], tput: [f64; 3]) {
    let point = format!("isl_512_osl_128_conc_{conc}");
    let src = data("gpu_aa/run_1")
        .join(&point)
        .join("profile_export_aiperf.json");
    let export: Value = serde_json::from_str(&fs::read_to_string(src).unwrap()).unwrap();
    for (i, (t, q)) in ttft.iter().zip(tput).enumerate() {
        let mut e = export.clone();
        for (field, f) in [
            ("time_to_first_token", *t),
            ("request_throughput", q),
            ("output_token_throughput", q),
        ] {
            for v in e[field].as_object_mut().unwrap().values_mut() {
                if let Some(x) = v.as_f64() {
                    *v = Value::from(x * f);
                }
            }
        }
        let dir = root.join(label).join(format!("rep_{}", i + 1)).join(&point);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("profile_export_aiperf.json"), e.to_string()).unwrap();
    }
}

const BASE_TTFT: [f64; 3] = [1.00, 1.04, 0.97];
const BASE_TPUT: [f64; 3] = [1.00, 0.98, 1.02];

/// 3 repeats a side. At conc 4 the new config's TTFT is ~21 % higher in every run; at conc 1
/// it is unchanged within the run-to-run spread; throughput is unchanged everywhere.
fn repeated_sweeps(root: &Path) {
    write_repeats(root, "base", 1, BASE_TTFT, BASE_TPUT);
    write_repeats(root, "base", 4, BASE_TTFT, BASE_TPUT);
    write_repeats(root, "new", 1, [1.02, 0.99, 1.01], [0.99, 1.01, 1.00]);
    write_repeats(root, "new", 4, [1.22, 1.18, 1.25], [0.99, 1.01, 1.00]);
}

// Reference values from scipy 1.17.1 (/work/pyref venv), t = time_to_first_token.avg of the
// export (22.209025999999998 ms at conc 1, 50.190211812499996 ms at conc 4):
//   b = [t*f for f in [1.00, 1.04, 0.97]]; n = [t*f for f in NEW_FACTORS]
//   r = stats.ttest_ind(n, b, equal_var=False); ci = r.confidence_interval(0.95)
//   ci.low / mean(b) * 100, ci.high / mean(b) * 100, r.pvalue
// Throughput ([0.99, 1.01, 1.00] vs [1.00, 0.98, 1.02]): p = 1.0, CI +/-4.155399503182498 %.
#[test]
fn three_repeats_a_side_give_run_level_verdicts_and_gate() {
    let runs = out_dir("repeats-in");
    repeated_sweeps(runs.path());
    let dir = out_dir("repeats");
    let o = dir.path().to_str().unwrap();
    let side = |l: &str| format!("{l}={}", runs.path().join(l).display());
    let out = adreport(&[
        "compare",
        &side("base"),
        &side("new"),
        "--fail-on-regression",
        "5",
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let findings = json_of(&dir.path().join("findings.json"));
    let close = |v: &Value, want: f64| {
        let got = v.as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-6 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    };

    let ttft4 = delta(&findings, 4, "ttft_avg_ms");
    assert_eq!(ttft4["runs"], serde_json::json!([3, 3]));
    assert_eq!(ttft4["evidence"], "run_level");
    assert_eq!(
        (&ttft4["verdict"], &ttft4["significant"]),
        (&"worse".into(), &true.into())
    );
    close(&ttft4["ci_pct"][0], 13.327613328571491);
    close(&ttft4["ci_pct"][1], 29.197303614950116);
    close(&ttft4["p_value"], 0.001743079458326344);
    close(&ttft4["rel_pct"], 21.2624584717608);
    // The mean over the runs: 50.190211812499996 * (1.00 + 1.04 + 0.97) / 3.
    close(&ttft4["baseline"], 50.190211812499996 * 3.01 / 3.0);

    // conc 1 (new factors [1.02, 0.99, 1.01]): p = 0.890605265384959.
    let ttft1 = delta(&findings, 1, "ttft_avg_ms");
    assert_eq!(ttft1["verdict"], "within_noise");
    assert_eq!(ttft1["significant"], false);
    close(&ttft1["ci_pct"][0], -7.089199877501359);
    close(&ttft1["ci_pct"][1], 7.753651704743858);
    let tput = delta(&findings, 4, "output_token_throughput");
    assert_eq!(tput["verdict"], "same");
    close(&tput["ci_pct"][1], 4.155399503182498);

    // The gate: the whole CI of every TTFT statistic at conc 4 (avg, p50, p90, p95, p99, all
    // scaled alike) lies beyond 5 %; nothing else moved.
    let gates = findings["gate_hits"].as_array().unwrap();
    assert_eq!(gates.len(), 5, "{gates:?}");
    assert!(gates
        .iter()
        .all(|g| g["message"].as_str().unwrap().starts_with("ttft_")));
    let msg = gates[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("ttft_avg_ms at isl 512 osl 128 conc 4:")
            && msg.contains(
                "CI 13.3% to 29.2%: significantly beyond the 5% allowed; 3 runs per side"
            ),
        "{msg}"
    );
    // A 15 % gate: the CI reaches down to 13.3 %, so it is not significantly beyond.
    let lax = adreport(&[
        "compare",
        &side("base"),
        &side("new"),
        "--fail-on-regression",
        "15",
        "-o",
        o,
    ]);
    assert_eq!(lax.status.code(), Some(0), "{}", text(&lax.stdout));

    // Every output shows n and the CI next to the verdict.
    let summary = fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    assert!(summary.contains("n 3/3, CI +13.3% to +29.2%"), "{summary}");
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("(+21.3%, CI +13.3%..+29.2%)"), "{md}");
    assert!(md.contains("| 3/3 |"), "{md}");
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    // (tera escapes the slash of `n 3/3`)
    assert!(html.contains("n 3&#x2F;3, CI +13.3% to +29.2%"), "{html}");
    // The mean over repeats carries its min-max range for the charts.
    let point = findings["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "base" && p["concurrency"] == 4)
        .unwrap();
    assert_eq!(point["runs"], 3);
    close(
        &point["run_range"]["ttft_avg_ms"][0],
        50.190211812499996 * 0.97,
    );
    close(
        &point["run_range"]["ttft_avg_ms"][1],
        50.190211812499996 * 1.04,
    );
}

/// `adreport noise` measures one config's repeats; `compare --noise` uses them for single runs.
#[test]
fn noise_file_judges_single_runs() {
    let runs = out_dir("noise-in");
    repeated_sweeps(runs.path());
    let noise_dir = out_dir("noise");
    let out = adreport(&[
        "noise",
        runs.path().join("base").to_str().unwrap(),
        "-o",
        noise_dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let noise_file = noise_dir.path().join("noise.json");
    let noise = json_of(&noise_file);
    assert_eq!(noise["format"], "adreport-noise");
    let at4 = noise["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["concurrency"] == 4)
        .unwrap();
    // numpy: np.std([1.00, 1.04, 0.97], ddof=1) / np.mean([1.00, 1.04, 0.97])
    let cv = at4["metrics"]["ttft_avg_ms"]["cv"].as_f64().unwrap();
    assert!((cv - 0.035_002_171_936_387_87).abs() < 1e-9, "{cv}");
    assert_eq!(at4["metrics"]["ttft_avg_ms"]["runs"], 3);

    // One run a side: base rep_1 against new rep_1 (+22 % TTFT at conc 4). The A/A band of a
    // 3.50 % CV is 1.96 * sqrt(2) * 3.50 = 9.70 %: 22 % is beyond 5 % + 9.70 %.
    let dir = out_dir("noise-cmp");
    let o = dir.path().to_str().unwrap();
    let one = |l: &str| format!("{l}={}", runs.path().join(l).join("rep_1").display());
    let out = adreport(&[
        "compare",
        &one("base"),
        &one("new"),
        "--noise",
        noise_file.to_str().unwrap(),
        "--fail-on-regression",
        "5",
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let findings = json_of(&dir.path().join("findings.json"));
    let ttft4 = delta(&findings, 4, "ttft_avg_ms");
    assert_eq!(ttft4["verdict"], "unverified");
    assert_eq!(ttft4["noise"]["from"], "noise_file");
    assert_eq!(ttft4["beyond_aa_band"], true);
    let gates = findings["gate_hits"].as_array().unwrap();
    assert_eq!(gates.len(), 5, "{gates:?}");
    assert!(gates[0]["message"]
        .as_str()
        .unwrap()
        .contains("plus the A/A band ±9.70; evidence: a single run per side"));

    // A bad noise file names itself and the problem.
    let bad = dir.path().join("bad.json");
    fs::write(&bad, r#"{"format": "other", "version": 1, "points": []}"#).unwrap();
    let out = adreport(&[
        "compare",
        &one("base"),
        &one("new"),
        "--noise",
        bad.to_str().unwrap(),
        "-o",
        o,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("field `format`"),
        "{err}"
    );
}
