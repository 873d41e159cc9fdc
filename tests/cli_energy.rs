//! Energy and cost through `show` and `compare`, on real aiperf 0.13 telemetry from one H100
//! (tests/data/gpu_telemetry/README.md). Every expected number is read from the file named.

use std::process::Output;

use serde_json::Value;

mod common;
use common::{adreport, json_of, text};

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn point<'a>(points: &'a Value, label: &str, conc: u64) -> &'a Value {
    points
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label && p["concurrency"] == conc)
        .unwrap_or_else(|| panic!("no {label} conc {conc}"))
}

const DATA: &str = "tests/data/gpu_telemetry";

#[test]
fn energy_per_token_is_the_window_energy_over_its_output_tokens() {
    let pts = json(&adreport(&[
        "show",
        &format!("{DATA}/with_pynvml"),
        "--format",
        "json",
        "--gpu-hour-cost",
        "2.5",
    ]));
    // with_pynvml/isl_512_osl_128_conc_8/profile_export_aiperf.json:
    // nvidia_total_gpu_energy 2443.963 J, total_output_tokens 3072, nvidia_total_gpu_power
    // 135.76753703703704 W, benchmark_duration 17.997534208 s, output_token_throughput
    // 170.65297716925977 tok/s; aiperf's own nvidia_energy_per_output_token 795.5608723958334 mJ.
    let p = point(&pts, "with_pynvml", 8);
    let per_token = p["energy_per_output_token_j"].as_f64().unwrap();
    assert_eq!(per_token, 2443.963 / 3072.0);
    assert!((per_token - 0.7955608723958334).abs() < 1e-12);
    let power_x_duration = 135.76753703703704 * 17.997534208 / 3072.0;
    assert!(((per_token - power_x_duration) / per_token).abs() < 0.02);
    assert_eq!(
        p["output_tokens_per_joule"].as_f64().unwrap(),
        3072.0 / 2443.963
    );
    assert_eq!(p["gpu_energy_j"].as_f64().unwrap(), 2443.963);
    assert_eq!(p["gpu_power_avg_w"].as_f64().unwrap(), 135.76753703703704);
    assert_eq!(p["gpu_util_avg_pct"].as_f64().unwrap(), 11.714285714285714);
    assert_eq!(p["gpu_mem_used_max_gb"].as_f64().unwrap(), 6.114050048);
    // One GPU (telemetry_data lists gpu_0) at $2.50/h: 2.5 / 3600 / 170.65 tok/s x 1e6 = $4.069.
    let usd = p["usd_per_million_output_tokens"].as_f64().unwrap();
    assert!(
        (usd - 2.5 / 3600.0 / 170.65297716925977 * 1e6).abs() < 1e-9,
        "{usd}"
    );
    // conc 2: nvidia_total_gpu_energy 2131.9579999999987 J / total_output_tokens 768.
    let p2 = point(&pts, "with_pynvml", 2);
    assert_eq!(
        p2["energy_per_output_token_j"].as_f64().unwrap(),
        2131.9579999999987 / 768.0
    );
}

#[test]
fn a_point_without_telemetry_has_empty_energy_fields_never_zero() {
    let out = adreport(&["show", &format!("{DATA}/no_telemetry"), "--format", "csv"]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    // No point has them: the columns are left out rather than filled with 0.
    assert!(!csv.contains("energy_per_output_token_j"), "{csv}");
    let pts = json(&adreport(&[
        "show",
        &format!("{DATA}/no_telemetry"),
        &format!("{DATA}/with_pynvml"),
        "--format",
        "json",
    ]));
    let p = point(&pts, "no_telemetry", 16);
    for key in [
        "energy_per_output_token_j",
        "output_tokens_per_joule",
        "gpu_energy_j",
        "gpu_power_avg_w",
    ] {
        assert!(p[key].is_null(), "{key}: {}", p[key]);
    }
    let table = adreport(&[
        "show",
        &format!("{DATA}/no_telemetry"),
        &format!("{DATA}/with_pynvml"),
    ]);
    let table = text(&table.stdout);
    let header = table.lines().find(|l| l.contains("label")).unwrap();
    assert!(
        header.contains("energy_per_output_token_j ┆ output_tokens_per_joule"),
        "{header}"
    );
    // The last two columns (energy per token, tokens per joule) show a dash, not 0.
    let row = table.lines().find(|l| l.contains("no_telemetry")).unwrap();
    let cells: Vec<&str> = row.trim_matches('│').split('┆').map(str::trim).collect();
    assert_eq!(cells[cells.len() - 2..], ["-", "-"], "{row}");
}

/// `compare` of runs under DATA (`label=dir` or `dir`) against ttft=500,tpot=50 at $2.50 per GPU
/// hour, into `out`; its findings.json.
fn compare_at_2_50(out: &std::path::Path, runs: &[&str]) -> Value {
    let mut args: Vec<String> = vec!["compare".into()];
    for r in runs {
        args.push(match r.split_once('=') {
            Some((label, dir)) => format!("{label}={DATA}/{dir}"),
            None => format!("{DATA}/{r}"),
        });
    }
    for a in ["--sla", "ttft=500,tpot=50", "--gpu-hour-cost", "2.5", "-o"] {
        args.push(a.into());
    }
    args.push(out.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = adreport(&args);
    assert!(done.status.success(), "{}", text(&done.stderr));
    json_of(&out.join("findings.json"))
}

#[test]
fn compare_judges_energy_and_cost_with_their_direction() {
    let dir = tempfile::tempdir().unwrap();
    let f = compare_at_2_50(dir.path(), &["a=with_pynvml", "b=second_run"]);
    let pair = f["comparisons"][0]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"]["concurrency"] == 8)
        .unwrap();
    let delta = |m: &str| {
        pair["deltas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["metric"] == m)
            .unwrap_or_else(|| panic!("no delta for {m}"))
            .clone()
    };
    // second_run conc 8: nvidia_total_gpu_energy 2628.3250000000007 J / 3072 tokens = 0.8556 J,
    // up from 0.7956: more energy per token is worse; fewer tokens per joule is worse too.
    let e = delta("energy_per_output_token_j");
    assert_eq!(e["value"].as_f64().unwrap(), 2628.3250000000007 / 3072.0);
    // One run a side, +7.5 %: within the default 15 % run-to-run noise of a mean, but the
    // direction of the change is kept.
    assert_eq!(e["verdict"], "within_noise");
    assert_eq!(e["noise"]["cv"], 0.15);
    let worse = |m: &str| delta(m)["worse_pct"].as_f64().unwrap();
    assert!(worse("energy_per_output_token_j") > 0.0);
    assert!(worse("output_tokens_per_joule") > 0.0);
    assert!(worse("usd_per_million_output_tokens") > 0.0);
    // tokens/J falls from 3072 / 2443.963 to 3072 / 2628.325: (2443.963 / 2628.325 - 1) * 100.
    assert!((worse("output_tokens_per_joule") - (1.0 - 2443.963 / 2628.325) * 100.0).abs() < 1e-6);
    // Power and energy totals follow the load: reported, never judged.
    assert!(pair["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["metric"] != "gpu_power_avg_w"));
    let csv = std::fs::read_to_string(dir.path().join("points.csv")).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .contains("energy_per_output_token_j,output_tokens_per_joule"));
}

/// Pixels of one palette colour in a PNG the report wrote.
fn pixels_of(path: &std::path::Path, rgb: [u8; 3]) -> usize {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000));
    img.pixels().filter(|p| p.0 == rgb).count()
}

#[test]
fn report_draws_tokens_per_joule_and_its_frontier_and_defines_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let f = compare_at_2_50(dir.path(), &["with_pynvml", "second_run", "no_telemetry"]);
    let series = |label: &str| {
        f["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["label"] == label)
            .unwrap()
            .clone()
    };
    // with_pynvml: conc 2 (38.22 tok/s/user, 768 / 2131.958 = 0.360 tok/J) and conc 8 (28.29,
    // 3072 / 2443.963 = 1.257) trade off: both on the frontier, low tokens/s/user first.
    // second_run: conc 8 (30.16, 1.169) beats conc 2 (27.31, 0.329) on both axes.
    let s = series("with_pynvml");
    assert_eq!(s["energy_pareto_concurrencies"], serde_json::json!([8, 2]));
    assert_eq!(
        series("second_run")["energy_pareto_concurrencies"],
        serde_json::json!([8])
    );
    assert!(series("no_telemetry")
        .get("energy_pareto_concurrencies")
        .is_none());
    // The SLA capacity point (conc 8) carries its energy and cost.
    let cap = &s["capacity"];
    assert_eq!(cap["max_passing_concurrency"], 8);
    assert_eq!(
        cap["energy_per_output_token_j"].as_f64().unwrap(),
        2443.963 / 3072.0
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("with_pynvml: every measured concurrency passes (&gt;= 8; 1.33 req/s, 170.7 output tok/s, 0.796 J/output token, $4.07 per million output tokens there)"),
        "{summary}"
    );
    // Both energy charts, each drawing the two labels with telemetry (blue, orange).
    for png in [
        "output_tokens_per_joule_vs_concurrency.png",
        "energy_tok_per_joule_vs_user.png",
    ] {
        let path = dir.path().join(png);
        assert!(pixels_of(&path, [0, 114, 178]) > 200, "{png}: first label");
        assert!(pixels_of(&path, [230, 159, 0]) > 200, "{png}: second label");
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for text in [
        "energy_tok_per_joule_vs_user.png",
        "GPU energy of the profiling window &#x2F; output tokens generated in it",
        "--gpu-hour-cost x GPUs x benchmark duration &#x2F; output tokens x 10^6",
        // The capacity table's columns at the SLA capacity point.
        "<th class=\"num\">J/output token</th>",
        "<td class=\"num\">0.796</td>",
    ] {
        assert!(html.contains(text), "report.html lacks {text}");
    }
    // Without telemetry or a price anywhere: no energy chart, no energy columns.
    let bare = tempfile::tempdir().unwrap();
    let out = adreport(&[
        "report",
        &format!("{DATA}/no_telemetry"),
        "--sla",
        "ttft=5000",
        "-o",
        bare.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!bare
        .path()
        .join("energy_tok_per_joule_vs_user.png")
        .exists());
    assert!(!bare
        .path()
        .join("output_tokens_per_joule_vs_concurrency.png")
        .exists());
    let html = std::fs::read_to_string(bare.path().join("report.html")).unwrap();
    assert!(html.contains("Capacity under the SLA") && !html.contains("J/output token"));
}
