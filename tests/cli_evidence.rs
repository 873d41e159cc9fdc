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
/// changed: judged against the default run-to-run noise, nothing may be called better or worse
/// and a 5 % gate must not trip.
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
        assert_eq!(d["runs"], serde_json::json!([1, 1]), "{key} {d}");
        assert_eq!(d["evidence"], "single_run", "{key} {d}");
        assert!(
            d["verdict"] == "within_noise"
                || d["verdict"] == "same"
                || d["verdict"] == "unverified",
            "{key} {d}"
        );
        if let Some(lo) = d["ci_pct"][0].as_f64() {
            assert!(lo > -100.0, "{key} {d}");
        }
    }
    assert!(findings["gate_hits"].as_array().unwrap().is_empty());
    assert_eq!(findings["family"]["significant"], 0);
    // The README's example: output tok/s at conc 4 went 146.635 -> 127.406 (-13.1 %) between
    // two runs of one config (output_token_throughput.avg in both profile_export_aiperf.json).
    // Against the default 15 % noise: scipy 2 * st.norm.sf(abs(np.log(127.40558937406941 /
    // 146.6350531220073)) / (np.sqrt(2) * np.sqrt(np.log(1.0225)))) = 0.50.
    let tput = delta(&findings, 4, "output_token_throughput");
    assert_eq!(tput["baseline"].as_f64(), Some(146.6350531220073));
    assert_eq!(tput["verdict"], "within_noise");
    assert_eq!(tput["noise"]["from"], "default");
    assert_eq!(tput["noise"]["cv"], 0.15);
    let p = tput["p_value"].as_f64().unwrap();
    assert!((p - 0.505).abs() < 0.001, "{p}");
    let said = "run_2 vs run_1: one run per side, single runs judged against the default run-to-run noise, 15% for means and throughputs and 25% for percentiles";
    for file in ["SUMMARY.txt", "summary.md", "findings.json", "report.html"] {
        let body = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(body.contains(said), "{file}");
    }
    let stdout = text(&out.stdout);
    assert!(stdout.contains(said), "{stdout}");
    assert!(
        stdout.contains("Benjamini-Hochberg at 5%: 0 significant"),
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

// Reference values from scipy 1.17.1, on the log scale, t = time_to_first_token.avg of the
// export (22.209025999999998 ms at conc 1, 50.190211812499996 ms at conc 4):
//   b = [t*f for f in [1.00, 1.04, 0.97]]; n = [t*f for f in NEW_FACTORS]
//   r = st.ttest_ind(np.log(n), np.log(b), equal_var=False); ci = r.confidence_interval(level)
//   (np.exp(ci.low) - 1) * 100, (np.exp(ci.high) - 1) * 100, r.pvalue
// The level: each point has 16 tested classes (5 TTFT, 5 TPOT with ITL and tokens/s/user,
// 5 E2E latency, 1 for the throughputs), 32 in all; only the 5 TTFT statistics at conc 4 moved,
// so Benjamini-Hochberg finds 5 and every interval is at 1 - 5 * 0.05 / 32 = 99.21875 %.
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
    assert_eq!(
        (
            &findings["family"]["tests"],
            &findings["family"]["significant"]
        ),
        (&32.into(), &5.into())
    );
    close(&findings["family"]["ci_level"], 0.992_187_5);

    let ttft4 = delta(&findings, 4, "ttft_avg_ms");
    assert_eq!(ttft4["runs"], serde_json::json!([3, 3]));
    assert_eq!(ttft4["evidence"], "run_level");
    assert_eq!(ttft4["test"]["kind"], "welch_log");
    assert_eq!(
        (&ttft4["verdict"], &ttft4["significant"]),
        (&"worse".into(), &true.into())
    );
    close(&ttft4["ci_pct"][0], 6.203951268277286);
    close(&ttft4["ci_pct"][1], 38.49173099762022);
    close(&ttft4["p_value"], 0.0020645962880590585);
    close(&ttft4["rel_pct"], 21.2624584717608);
    // The mean over the runs: 50.190211812499996 * (1.00 + 1.04 + 0.97) / 3.
    close(&ttft4["baseline"], 50.190211812499996 * 3.01 / 3.0);

    // conc 1 (new factors [1.02, 0.99, 1.01]): p = 0.8798134961903061.
    let ttft1 = delta(&findings, 1, "ttft_avg_ms");
    assert_eq!(ttft1["verdict"], "within_noise");
    assert_eq!(ttft1["significant"], false);
    close(&ttft1["ci_pct"][0], -14.120046213235792);
    close(&ttft1["ci_pct"][1], 17.29404825186307);
    // Throughput [0.99, 1.01, 1.00] vs [1.00, 0.98, 1.02]: p = 0.994, -8.06 % to +8.78 %.
    let tput = delta(&findings, 4, "output_token_throughput");
    assert_eq!(tput["verdict"], "same");
    close(&tput["ci_pct"][0], -8.056273611821396);
    close(&tput["ci_pct"][1], 8.783938754296617);

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
                "99.2% CI 6.2% to 38.5%: significantly beyond the 5% allowed; 3 runs per side"
            ),
        "{msg}"
    );
    // A 7 % gate: the interval reaches down to 6.2 %, so it is not significantly beyond.
    let lax = adreport(&[
        "compare",
        &side("base"),
        &side("new"),
        "--fail-on-regression",
        "7",
        "-o",
        o,
    ]);
    assert_eq!(lax.status.code(), Some(0), "{}", text(&lax.stdout));

    // Every output shows n and the CI next to the verdict.
    let summary = fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("n 3/3, 99.2% CI +6.2% to +38.5%"),
        "{summary}"
    );
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("(+21.3%, CI +6.2%..+38.5%)"), "{md}");
    assert!(md.contains("| 3/3 |"), "{md}");
    // The verdict row: TTFT rose by 3.02 / 3.01 - 1 = +0.3 % at conc 1, 3.65 / 3.01 - 1 = +21.3 %
    // at conc 4; worse at conc 4 only, and not significantly beyond the last run's 7 % gate.
    assert!(
        md.contains("| avg TTFT | +0.3% to +21.3% | **worse at 1 of 2** | 3/3 runs | ok |"),
        "{md}"
    );
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    // (tera escapes the slash of `n 3/3`)
    assert!(
        html.contains("n 3&#x2F;3, 99.2% CI +6.2% to +38.5%"),
        "{html}"
    );
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

    // One run a side: base rep_1 against new rep_1 (+22 % TTFT at conc 4), judged against the
    // file's 3.50 % CV. As above, 5 of 32 tests are significant, so the level is 99.21875 %:
    // sigma = sqrt(log(1 + cv^2)), se = sqrt(2) * sigma, z = st.norm.ppf(1 - 0.0078125 / 2):
    // 22 % worse, interval 6.95 % to 39.16 % (scipy 1.17.1), beyond a 5 % gate.
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
    assert_eq!(ttft4["verdict"], "worse");
    assert_eq!(ttft4["test"]["kind"], "noise_prior");
    assert_eq!(ttft4["noise"]["from"], "noise_file");
    assert_eq!(ttft4["noise"]["matched"], "exact");
    assert_eq!(ttft4["beyond_aa_band"], true);
    let [lo, hi] = [
        ttft4["ci_pct"][0].as_f64().unwrap(),
        ttft4["ci_pct"][1].as_f64().unwrap(),
    ];
    assert!(
        (lo - 6.95268662573616).abs() < 1e-6 && (hi - 39.16433957460255).abs() < 1e-6,
        "{lo} {hi}"
    );
    let gates = findings["gate_hits"].as_array().unwrap();
    assert_eq!(gates.len(), 5, "{gates:?}");
    assert!(gates[0]["message"].as_str().unwrap().contains(
        "99.2% CI 7.0% to 39.2%: significantly beyond the 5% allowed; single runs, beyond 3.5% run-to-run noise (from --noise)"
    ));

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
