//! End-to-end: `adreport audit` of the real AIConfigurator 0.12 save dir
//! (sample-results/aiconfigurator/qwen3_32b_h200_isl4000_osl500) against the hand-made
//! measured aiperf sweeps in tests/data/audit/ (invented numbers, see its README).
//!
//! Predicted values are read by hand from `agg/pareto.csv` and `agg/best_config_topn.csv`
//! (columns ttft, tpot, tokens/s/user, tokens/s/gpu, request_rate, request_latency); measured
//! ones from tests/data/audit/*/concurrency_*/profile_export_aiperf.json. Errors are
//! (measured - predicted) / predicted * 100.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{adreport, adreport_env, out_dir, text};

/// Two directories above the save dir: `audit` walks down to it.
const PREDICTED: &str = "sample-results/aiconfigurator/qwen3_32b_h200_isl4000_osl500";
const SAVE_DIR: &str = "Qwen3-32B_h200_sxm_trtllm_isl4000_osl500_ttft500_tpot7_636671";
const TP8: &str = "tests/data/audit/qwen3_32b_tp8_measured";
const TP4: &str = "tests/data/audit/qwen3_32b_tp4_measured";
const TP8_LOW: &str = "tests/data/audit/qwen3_32b_tp8_low_concurrency";

/// Runs an audit into `out` and returns (exit code, audit.json).
fn audit(out: &Path, args: &[&str]) -> (i32, Value) {
    let o = out.to_str().unwrap();
    let mut all = vec!["audit", "--predicted", PREDICTED, "-o", o];
    all.extend_from_slice(args);
    let res = adreport(&all);
    let code = res.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 2, "exit {code}: {}", text(&res.stderr));
    let text = std::fs::read_to_string(out.join("audit.json")).expect("audit.json");
    (
        code,
        serde_json::from_str(&text).expect("audit.json is JSON"),
    )
}

/// Runs an audit expected to fail with exit 1 and returns its stderr.
fn audit_error(args: &[&str]) -> String {
    let dir = out_dir("audit-err");
    let mut all = vec!["audit", "-o", dir.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let res = adreport(&all);
    assert_eq!(res.status.code(), Some(1), "stderr: {}", text(&res.stderr));
    text(&res.stderr)
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!(
        (a - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{a} != {expected}"
    );
}

fn point<'a>(a: &'a Value, sweep: Option<&str>, conc: u64, metric: &str) -> &'a Value {
    a["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["measured_concurrency"] == conc
                && p["metric"] == metric
                && sweep.is_none_or(|s| p["sweep"] == s)
        })
        .unwrap_or_else(|| panic!("no point {conc} {metric}"))
}

fn err(measured: f64, predicted: f64) -> f64 {
    (measured - predicted) / predicted * 100.0
}

#[test]
fn default_audit_picks_agg_rank1_and_matches_hand_computed_errors() {
    let dir = out_dir("audit-default");
    let (code, a) = audit(dir.path(), &["--measured", TP8]);
    assert_eq!(code, 0);
    for f in [
        "SUMMARY.txt",
        "audit.md",
        "audit.json",
        "report.html",
        "audit_ttft_vs_concurrency.png",
        "audit_tpot_vs_concurrency.png",
        "audit_tokens_per_s_user_vs_concurrency.png",
        "audit_tokens_per_s_gpu_vs_concurrency.png",
        "audit_request_rate_vs_concurrency.png",
        "audit_request_latency_vs_concurrency.png",
        "audit_pareto_tok_s_gpu_vs_user.png",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    assert!(a["predicted_dir"].as_str().unwrap().ends_with(SAVE_DIR));
    // agg rank 1 (tp8, tokens/s/gpu_cluster 199.644, TTFT 347.435 / TPOT 6.568) meets the SLA;
    // disagg rank 1 (463.5) has TPOT 13.841 > 7, so the default is agg.
    assert_eq!(a["mode"], "agg");
    assert_eq!(a["experiment"], "agg");
    assert_eq!(a["rank"], 1);
    assert_eq!(a["config"], "tp8pp1dp1etp1ep1");
    assert_eq!(a["replicas"], 1);
    assert_eq!(a["gpus"], 8);
    assert_eq!(a["sla"]["ttft_ms"], 500.0);
    assert_eq!(a["sla"]["tpot_ms"], 7.0);

    // Concurrency 8, exact: pareto.csv tp8 row at 8 has ttft 330.837, tokens/s/gpu 154.429.
    let p = point(&a, None, 8, "ttft");
    assert_eq!(p["interpolated"], false);
    close(&p["predicted"], 330.837);
    close(&p["measured"], 300.0);
    close(&p["error_pct"], err(300.0, 330.837)); // -9.3209...%
                                                 // Measured tokens/s/gpu = output_token_throughput 1225.0 / 8 GPUs = 153.125.
    let p = point(&a, None, 8, "tokens_per_s_gpu");
    close(&p["measured"], 153.125);
    close(&p["error_pct"], err(153.125, 154.429)); // -0.8444...%

    // Concurrency 64, interpolated between the tp8 rows at 32 (ttft 433.133, tpot 12.07)
    // and 96 (ttft 374.395, tpot 27.475): halfway, 403.764 ms and 19.7725 ms.
    let p = point(&a, None, 64, "ttft");
    assert_eq!(p["interpolated"], true);
    assert_eq!(p["between"], serde_json::json!([32, 96]));
    close(&p["predicted"], (433.133 + 374.395) / 2.0);
    close(&p["error_pct"], err(520.0, 403.764)); // +28.788...%
    let p = point(&a, None, 64, "tpot");
    close(&p["predicted"], (12.07 + 27.475) / 2.0);
    close(&p["error_pct"], err(21.0, 19.7725)); // +6.208...%

    // TTFT over 8, 12 (exact, predicted 347.435, measured 420) and 64:
    // errors -9.3209, +20.8859, +28.7881 -> MAPE 19.665, bias 13.451.
    let e = [
        err(300.0, 330.837),
        err(420.0, 347.435),
        err(520.0, 403.764),
    ];
    let ttft = &a["metrics"]["ttft"];
    assert_eq!(ttft["n"], 3);
    assert_eq!(ttft["interpolated"], 1);
    close(
        &ttft["mape_pct"],
        e.iter().map(|x| x.abs()).sum::<f64>() / 3.0,
    );
    close(&ttft["bias_pct"], e.iter().sum::<f64>() / 3.0);
    for m in ["tpot", "tokens_per_s_user", "tokens_per_s_gpu"] {
        assert!(a["metrics"][m]["mape_pct"].is_f64(), "{m}");
        assert!(a["metrics"][m]["bias_pct"].is_f64(), "{m}");
    }

    // Concurrency 2 is below the tp8 curve (3..512): skipped, with the reason.
    let skipped = a["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["measured_concurrency"], 2);
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("outside the predicted range 3..512"));

    // SLA agreement: 8 pass/pass, 12 pass (6.568 ms) / FAIL (7.3 ms), 64 FAIL/FAIL.
    let sla = &a["sla_agreement"];
    let rows: Vec<(u64, bool, bool)> = sla["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["measured_concurrency"].as_u64().unwrap(),
                r["predicted_pass"].as_bool().unwrap(),
                r["measured_pass"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![(8, true, true), (12, true, false), (64, false, false)]
    );
    assert_eq!(sla["agree"], 2);
    assert_eq!(sla["disagree"], 1);
    // Highest tp8 row meeting TPOT <= 7: 12 (6.568); 13 has 7.025. Measured: 8 (and 2).
    assert_eq!(sla["predicted_highest"], 12);
    assert_eq!(sla["measured_highest_run"], 8);
    assert_eq!(sla["all_measured_pass"], false);

    let summary = std::fs::read_to_string(dir.path().join("SUMMARY.txt")).unwrap();
    assert!(summary.starts_with("AIConfigurator Prediction Audit\n"));
    assert!(
        summary.contains("MAPE TTFT 19.7% (bias +13.5%)"),
        "{summary}"
    );
    assert!(summary.contains("interpolated 32..96"), "{summary}");
    assert!(summary.contains("Measured statistic: mean"), "{summary}");
    // pareto.csv has two tp8 rows at concurrency 5 (data rows 41, 42); the higher tokens/s/gpu stays.
    assert!(
        summary.contains("kept row 41 (tokens/s/gpu 105.3 vs 103.4)"),
        "{summary}"
    );
    let md = std::fs::read_to_string(dir.path().join("audit.md")).unwrap();
    assert!(
        md.contains("| ttft | ms | 3 | 1 | 19.7% | +13.5% |"),
        "{md}"
    );
}

#[test]
fn report_html_is_self_contained_and_escaped() {
    let dir = out_dir("audit-html");
    audit(dir.path(), &["--measured", TP8]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    // The six metric charts and the Pareto chart, inline SVG from the PNGs' figures.
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 7);
    assert!(html.contains("data-chart=\"audit_ttft_vs_concurrency\""));
    assert!(!html.contains("data:image/"));
    assert!(!html.contains("src=\"http"));
    // The model id's slash and the SLA's `<=` come from the inputs: escaped.
    assert!(html.contains("Qwen&#x2F;Qwen3-32B"));
    assert!(html.contains("avg TTFT &lt;= 500 ms"));
    assert!(html.contains("interpolated 32..96"));
}

#[test]
fn pngs_decode_at_full_size() {
    let dir = out_dir("audit-png");
    audit(dir.path(), &["--measured", TP8]);
    for f in [
        "audit_ttft_vs_concurrency.png",
        "audit_pareto_tok_s_gpu_vs_user.png",
    ] {
        let img = image::open(dir.path().join(f)).expect(f);
        assert_eq!((img.width(), img.height()), (1600, 1000), "{f}");
    }
}

#[test]
fn rank_and_config_pick_the_rank2_config() {
    // agg rank 2 is tp4pp1dp1etp1ep1 (best_config_topn.csv row 2, 4 GPUs).
    let by_rank = out_dir("audit-rank");
    let (_, a) = audit(by_rank.path(), &["--measured", TP4, "--rank", "2"]);
    let by_config = out_dir("audit-config");
    let (_, b) = audit(by_config.path(), &["--measured", TP4, "--config", "tp4pp1"]);
    for x in [&a, &b] {
        assert_eq!(x["config"], "tp4pp1dp1etp1ep1");
        assert_eq!(x["rank"], 2);
        assert_eq!(x["gpus"], 4);
        // Concurrency 30 between the tp4 rows at 28 (ttft 438.913) and 32 (ttft 467.806).
        let p = point(x, None, 30, "ttft");
        assert_eq!(p["interpolated"], true);
        close(&p["predicted"], (438.913 + 467.806) / 2.0);
        close(&p["error_pct"], err(470.0, 453.3595)); // +3.670...%
                                                      // Concurrency 16 exact: tp4 row ttft 353.407; tokens/s/gpu 1175 / 4 = 293.75 vs 310.794.
        close(
            &point(x, None, 16, "ttft")["error_pct"],
            err(380.0, 353.407),
        );
        close(
            &point(x, None, 16, "tokens_per_s_gpu")["error_pct"],
            err(293.75, 310.794),
        );
    }
    // A `rank2=` label picks the same config.
    let by_label = out_dir("audit-label");
    let (_, c) = audit(by_label.path(), &["--measured", &format!("rank2={TP4}")]);
    assert_eq!(c["config"], "tp4pp1dp1etp1ep1");
    assert_eq!(c["sweeps"][0]["label"], "rank2");
}

#[test]
fn several_ranks_say_which_is_best_when_measured() {
    let dir = out_dir("audit-ranks");
    let (code, a) = audit(
        dir.path(),
        &[
            "--measured",
            &format!("rank1={TP8}"),
            "--measured",
            &format!("top2={TP4}"),
        ],
    );
    assert_eq!(code, 0);
    let r = &a["ranking"];
    let rows = r["rows"].as_array().unwrap();
    // Predicted: best_config_topn.csv tokens/s/gpu_cluster 199.644 (rank 1) and 34.843 (rank 2).
    close(&rows[0]["predicted_tokens_s_gpu"], 199.644);
    close(&rows[1]["predicted_tokens_s_gpu"], 34.843);
    // Measured best meeting the SLA: tp8 at 8 (1225 / 8 = 153.125; 12 and 64 miss it),
    // tp4 at 1 (140 / 4 = 35.0; 16 and 30 miss it). 8 GPUs hold whole replicas: factor 1.
    close(&rows[0]["measured_best_tokens_s_gpu"], 153.125);
    assert_eq!(rows[0]["measured_at_concurrency"], 8);
    close(&rows[1]["measured_best_tokens_s_gpu"], 35.0);
    assert_eq!(rows[1]["measured_at_concurrency"], 1);
    assert_eq!(r["best_measured_rank"], 1);
    assert_eq!(r["order_holds"], true);
    // The top level pools both sweeps: TTFT over 3 tp8 points and 2 tp4 points.
    assert_eq!(a["metrics"]["ttft"]["n"], 5);
    assert_eq!(a["sweeps"].as_array().unwrap().len(), 2);
    // tp4's ranked row (concurrency 1, TPOT 6.914) meets the SLA below its pareto rows.
    assert_eq!(a["sweeps"][1]["sla_agreement"]["predicted_highest"], 1);
}

#[test]
fn max_ape_gate_exits_2() {
    // TTFT MAPE is 19.665% (see the default test); the next highest, tokens/s/user, 12.017%.
    let dir = out_dir("audit-gate");
    let (code, a) = audit(dir.path(), &["--measured", TP8, "--max-ape", "15"]);
    assert_eq!(code, 2);
    let hits = a["gate_hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].as_str().unwrap().contains("TTFT MAPE 19.7% > 15%"));
    let (code, a) = audit(dir.path(), &["--measured", TP8, "--max-ape", "20"]);
    assert_eq!(code, 0);
    assert!(a["gate_hits"].as_array().unwrap().is_empty());
}

#[test]
fn under_github_actions_the_max_ape_gate_is_an_error_annotation_and_audit_md_a_step_summary() {
    let dir = out_dir("audit-gh");
    let out = dir.path().join("out");
    let summary = dir.path().join("step_summary.md");
    let args = [
        "audit",
        "--predicted",
        PREDICTED,
        "--measured",
        TP8,
        "--max-ape",
        "10",
        "-o",
        out.to_str().unwrap(),
    ];
    let run = adreport_env(
        &args,
        &[
            ("GITHUB_ACTIONS", "1".as_ref()),
            ("GITHUB_STEP_SUMMARY", summary.as_os_str()),
        ],
    );
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let errors: Vec<String> = text(&run.stdout)
        .lines()
        .filter(|l| l.starts_with("::error "))
        // `%` is sent as `%25`, as GitHub's runner decodes it.
        .map(|l| l.replace("%25", "%"))
        .collect();
    // TTFT MAPE 19.665% first, then tokens/s/user 12.017%: the largest error first.
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("TTFT MAPE 19.7% > 10%"), "{}", errors[0]);
    assert!(errors[1].contains("MAPE 12.0% > 10%"), "{}", errors[1]);
    assert!(errors[0].starts_with("::error title=adreport audit%3A "));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        md.trim_end(),
        std::fs::read_to_string(out.join("audit.md"))
            .unwrap()
            .trim_end()
    );
}

#[test]
fn gpus_divides_concurrency_and_rates_by_replicas() {
    // --gpus 16 = 2 tp8 replicas: measured concurrency 8 -> 4 per replica, 12 -> 6.
    let dir = out_dir("audit-gpus");
    let (_, a) = audit(dir.path(), &["--measured", TP8, "--gpus", "16"]);
    assert_eq!(a["replicas"], 2);
    let p = point(&a, None, 8, "tokens_per_s_gpu");
    close(&p["concurrency"], 4.0);
    // 1225 tok/s / 16 GPUs = 76.5625 against the tp8 row at 4: 86.459.
    close(&p["measured"], 76.5625);
    close(&p["error_pct"], err(76.5625, 86.459));
    // Request rate per replica 2.45 / 2 = 1.225 against request_rate 1.386.
    close(&point(&a, None, 8, "request_rate")["measured"], 1.225);
    // 6 lies between 5 (the kept row 41, ttft 184.56) and 7 (ttft 330.773).
    let p = point(&a, None, 12, "ttft");
    assert_eq!(p["between"], serde_json::json!([5, 7]));
    close(&p["predicted"], (184.56 + 330.773) / 2.0);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let save = format!("{PREDICTED}/Qwen/{SAVE_DIR}");
    // --gpus not a multiple of the 8 GPUs of a tp8 replica.
    let e = audit_error(&["--predicted", &save, "--measured", TP8, "--gpus", "12"]);
    assert!(e.contains("--gpus 12") && e.contains("8 GPUs each"), "{e}");
    // A config that does not exist: the error lists the available ones.
    let e = audit_error(&["--predicted", &save, "--measured", TP8, "--config", "tp2"]);
    assert!(e.contains("--config tp2"), "{e}");
    assert!(e.contains("agg: tp8pp1dp1etp1ep1, tp4pp1dp1etp1ep1"), "{e}");
    // No overlap: both ranges named.
    let e = audit_error(&["--predicted", &save, "--measured", TP8_LOW]);
    assert!(e.contains("no measured concurrency overlaps"), "{e}");
    assert!(e.contains("measured 1, 2") && e.contains("3..512"), "{e}");
    assert!(e.contains("agg/pareto.csv"), "{e}");
    // A save dir without pareto.csv.
    let e = audit_error(&[
        "--predicted",
        "tests/data/aiconfigurator/no_pareto",
        "--measured",
        TP8,
    ]);
    assert!(e.contains("agg/pareto.csv: missing"), "{e}");
    // A rank best_config_topn.csv does not have.
    let e = audit_error(&["--predicted", &save, "--measured", TP8, "--rank", "7"]);
    assert!(e.contains("rank 7") && e.contains("ranks 2 configs"), "{e}");
    // Several save dirs below --predicted: listed.
    let e = audit_error(&[
        "--predicted",
        "sample-results/aiconfigurator",
        "--measured",
        TP8,
    ]);
    assert!(e.contains("holds 2 AIConfigurator save dirs"), "{e}");
    assert!(e.contains("qwen3_8b_h100_isl1024_osl1024"), "{e}");
    // Predictions given as the measured sweep.
    let e = audit_error(&["--predicted", &save, "--measured", &save]);
    assert!(e.contains("holds AIConfigurator predictions"), "{e}");
    // Several sweeps must name their ranks.
    let e = audit_error(&["--predicted", &save, "--measured", TP8, "--measured", TP4]);
    assert!(e.contains("rank1=DIR"), "{e}");
}
