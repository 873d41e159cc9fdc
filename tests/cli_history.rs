//! End-to-end `adreport history` on SQLite: 24 generated nightly aiperf sweeps with and
//! without a latency step, idempotent adds, concurrent writers, and databases that are not
//! histories.

mod common;

use common::history::{add_at_once, add_nights, write_night, NightSpec};
use common::{adreport, adreport_env, out_dir, text};
use serde_json::Value;

#[test]
fn a_25_percent_latency_step_from_night_15_fails_the_check_naming_night_15() {
    let dir = out_dir("hist-step");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    add_nights(dir.path(), db, 1.25, NightSpec::Labelled("baseline"));
    let out = adreport(&["history", "check", "--db", db, "--fail-on-regression", "10"]);
    let printed = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{printed}\n{}",
        text(&out.stderr)
    );
    assert!(printed.contains("REGRESSION"), "{printed}");
    // Every gate line names night 15 as the first bad run and night 14 as the last good one.
    let gates: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("REGRESSION"))
        .collect();
    assert!(gates.len() >= 4, "{printed}");
    for g in &gates {
        assert!(
            g.contains("first bad run night-15 (commit c15), last good run night-14 (commit c14)"),
            "{g}"
        );
    }
    // TTFT at concurrency 1 is among them: 68.18 ms in the sample, +25 %.
    assert!(
        gates
            .iter()
            .any(|g| g.contains("baseline isl 128 osl 64 conc 1 ttft_avg_ms")),
        "{printed}"
    );

    // The JSON form carries the same change with its interval.
    let out = adreport(&[
        "history",
        "check",
        "--db",
        db,
        "--fail-on-regression",
        "10",
        "--format",
        "json",
        "--metric",
        "ttft_avg_ms",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let rows: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "one step per concurrency: {rows:?}");
    for r in rows {
        assert_eq!(r["kind"], "regression");
        assert_eq!(r["gate"], "FAIL");
        assert_eq!(r["first_bad"], "night-15 (commit c15)");
        let pct = r["change_pct"].as_f64().unwrap();
        assert!((20.0..30.0).contains(&pct), "{r}");
        assert!(
            r["ci_low_pct"].as_f64().unwrap() < pct && pct < r["ci_high_pct"].as_f64().unwrap()
        );
    }
}

#[test]
fn under_github_actions_each_gated_series_is_an_error_annotation_and_the_check_a_step_summary() {
    let dir = out_dir("hist-gh");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    add_nights(dir.path(), db, 1.25, NightSpec::Labelled("baseline"));
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let args = ["history", "check", "--db", db, "--fail-on-regression", "10"];
    let out = adreport_env(
        &args,
        &[
            ("GITHUB_ACTIONS", "true".as_ref()),
            ("GITHUB_STEP_SUMMARY", summary.as_os_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let gates: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("REGRESSION"))
        .collect();
    let errors: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    // One annotation per gated series (at most 10), each carrying its REGRESSION line.
    assert_eq!(errors.len(), gates.len().min(10), "{printed}");
    for e in &errors {
        assert!(
            e.starts_with("::error title=adreport history%3A baseline isl 128 osl 64 conc "),
            "{e}"
        );
        let message = e.split_once("::").unwrap().1.split_once("::").unwrap().1;
        let message = message.replace("%25", "%"); // as GitHub's runner decodes it
        assert!(gates.contains(&message.as_str()), "{message}");
        assert!(
            message.contains("first bad run night-15 (commit c15)"),
            "{e}"
        );
    }
    if gates.len() > 10 {
        assert!(printed.contains(&format!(
            "adreport: {} more gate failures not annotated",
            gates.len() - 10
        )));
    }
    // The step summary keeps the earlier step's text and adds the check.
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("# earlier step\n## adreport history check\n"),
        "{md}"
    );
    assert!(
        md.contains("series regressed beyond 10% at their newest change point"),
        "{md}"
    );

    // Without GITHUB_ACTIONS: no workflow commands.
    let out = adreport(&args);
    assert!(!text(&out.stdout).contains("::error"));
}

#[test]
fn per_night_directories_added_without_a_label_are_one_series_and_the_step_fails_at_night_15() {
    let dir = out_dir("hist-plain");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    // `history add night_01/ ...`: one directory per night, as nightly jobs write them.
    add_nights(dir.path(), db, 1.25, NightSpec::Plain);
    let out = adreport(&["history", "check", "--db", db, "--fail-on-regression", "10"]);
    let printed = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{printed}\n{}",
        text(&out.stderr)
    );
    // One label for all 24 nights: the sample's client and model, not night_NN.
    assert!(
        printed.contains("24 runs (night-01 .. night-24)"),
        "{printed}"
    );
    let gates: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("REGRESSION"))
        .collect();
    assert!(
        gates
            .iter()
            .any(|g| g.starts_with("REGRESSION aiperf:mock-llm isl 128 osl 64 conc 1 ttft_avg_ms")),
        "{printed}"
    );
    for g in &gates {
        assert!(
            g.contains("first bad run night-15 (commit c15), last good run night-14 (commit c14)"),
            "{g}"
        );
    }
    assert!(!printed.contains("night_"), "{printed}");

    // `history add` says which label it stored and why.
    let night = write_night(dir.path(), 24, 7, 15, 1.25);
    let out = adreport(&[
        "history",
        "add",
        night.to_str().unwrap(),
        "--db",
        db,
        "--run-id",
        "night-24",
        "--time",
        "2026-11-24T02:00:00Z",
    ]);
    let said = text(&out.stdout);
    assert!(
        said.starts_with("replaced run night-24")
            && said.contains("labels: aiperf:mock-llm (from the fingerprint: client:model)"),
        "{said}"
    );
    // --label names the series instead.
    let out = adreport(&[
        "history",
        "add",
        night.to_str().unwrap(),
        "--db",
        db,
        "--run-id",
        "night-24",
        "--time",
        "2026-11-24T02:00:00Z",
        "--label",
        "nightly",
    ]);
    assert!(
        text(&out.stdout).contains("labels: nightly (given)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_gate_that_can_check_nothing_exits_1_and_says_why() {
    let dir = out_dir("hist-nothing");
    let check = |db: &str, gate: bool| {
        let mut args = vec!["history", "check", "--db", db];
        if gate {
            args.extend(["--fail-on-regression", "10"]);
        }
        adreport(&args)
    };
    // An empty history.
    let empty = dir.path().join("empty.db");
    let empty = empty.to_str().unwrap();
    let out = check(empty, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "empty.db: no runs stored: nothing to check; --fail-on-regression 10 checked nothing"
        ),
        "{}",
        text(&out.stderr)
    );

    // 24 nights, each stored under its own label (as adreport stored per-night directories
    // before labels were made stable): 0 series checked, so the gate could never fire.
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    add_nights(dir.path(), db, 1.25, NightSpec::OwnLabel);
    let out = check(db, true);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{err}", text(&out.stdout));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("24 runs (night-01 .. night-24), 0 series checked"),
        "{printed}"
    );
    // Never worded as a pass.
    assert!(
        !printed.contains("no series' newest change point"),
        "{printed}"
    );
    assert!(
        err.contains("24 runs, each its own label: nothing to compare; use --label")
            && err.contains("--fail-on-regression 10 checked nothing"),
        "{err}"
    );
    // history report gates the same way (its files are still written).
    let report = dir.path().join("report");
    let out = adreport(&[
        "history",
        "report",
        "--db",
        db,
        "-o",
        report.to_str().unwrap(),
        "--fail-on-regression",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("each its own label"));
    assert!(report.join("summary.md").is_file());
    // Without a gate nothing is failed, but the reason is still said.
    let out = check(db, false);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("24 runs, each its own label"));

    // Three nights of one sweep: too few for a change point (2 runs a side).
    let short = dir.path().join("short.db");
    let short = short.to_str().unwrap();
    for night in 1..=3u32 {
        let d = write_night(dir.path(), night, 7, 15, 1.0);
        let time = format!("2026-11-{night:02}T02:00:00Z");
        let out = adreport(&[
            "history",
            "add",
            d.to_str().unwrap(),
            "--db",
            short,
            "--time",
            &time,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = check(short, true);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("3 runs stored; a change point needs at least 4 runs of one series (label x load point x metric), and the longest has 3"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_same_nights_without_the_step_pass() {
    let dir = out_dir("hist-flat");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    add_nights(dir.path(), db, 1.0, NightSpec::Labelled("baseline"));
    let out = adreport(&["history", "check", "--db", db, "--fail-on-regression", "10"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("24 runs (night-01 .. night-24)"),
        "{}",
        text(&out.stdout)
    );

    // Adding a night again replaces it: still 24 runs.
    let again = write_night(dir.path(), 3, 7, 15, 1.0);
    let spec = format!("baseline={}", again.display());
    let out = adreport(&[
        "history",
        "add",
        &spec,
        "--db",
        db,
        "--run-id",
        "night-03",
        "--time",
        "2026-11-03T02:00:00Z",
    ]);
    assert!(
        text(&out.stdout).starts_with("replaced run night-03"),
        "{}",
        text(&out.stdout)
    );
    let out = adreport(&["history", "list", "--db", db, "--format", "json"]);
    let runs: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 24);
    assert_eq!(runs[0]["model"], "mock-llm");
    assert_eq!(runs[0]["client"], "aiperf 0.13.0");
    assert_eq!(runs[0]["points"], 4);

    // show: one row per night for one series.
    let out = adreport(&[
        "history",
        "show",
        "--db",
        db,
        "--metric",
        "ttft_avg_ms",
        "--concurrency",
        "1",
        "--format",
        "csv",
    ]);
    let printed = text(&out.stdout);
    assert_eq!(printed.lines().count(), 25, "{printed}");
}

#[test]
fn writers_adding_at_the_same_time_all_land() {
    let dir = out_dir("hist-concurrent");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap().to_string();
    // Eight writers started together, as parallel CI jobs would.
    add_at_once(&db, 8, "parallel");
    let out = adreport(&["history", "list", "--db", &db, "--format", "json"]);
    let runs: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let ids: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    for i in 0..8 {
        assert!(ids.contains(&format!("parallel-{i}").as_str()), "{ids:?}");
    }
}

#[test]
fn a_file_that_is_not_a_history_is_a_clear_error() {
    let dir = out_dir("hist-bad");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
    let out = adreport(&["history", "list", "--db", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("junk.db: not an adreport history: the file is not a SQLite database"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        vec![0x42u8; 4096],
        "left untouched"
    );

    let foreign = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute("CREATE TABLE orders (id INTEGER)", [])
        .unwrap();
    drop(conn);
    let out = adreport(&[
        "history",
        "add",
        "sample-results/aiperf/baseline",
        "--db",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("not an adreport history: a SQLite database with other tables (orders)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_history_from_a_newer_adreport_is_refused() {
    let dir = out_dir("hist-new");
    let db = dir.path().join("h.db");
    let out = adreport(&["history", "list", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE adreport_schema SET version = 99", [])
        .unwrap();
    drop(conn);
    let out = adreport(&["history", "list", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("written by a newer adreport (history schema version 99"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn report_draws_a_trend_per_metric_and_load_point_and_names_the_change() {
    let dir = out_dir("hist-report");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    add_nights(dir.path(), db, 1.25, NightSpec::Labelled("baseline"));
    let out_dir = dir.path().join("out");
    let out = adreport(&[
        "history",
        "report",
        "--db",
        db,
        "-o",
        out_dir.to_str().unwrap(),
        "--fail-on-regression",
        "10",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // 7 default metrics x 4 concurrencies (every regressed metric is among them or added).
    let pngs: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    assert!(pngs.len() >= 28, "{pngs:?}");
    let chart = out_dir.join("trend_ttft_avg_ms_isl128_osl64_conc1.png");
    let img = image::open(&chart).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1000));
    let md = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(md.contains("first bad run night-15 (commit c15)"), "{md}");
    assert!(
        md.contains("trend_ttft_avg_ms_isl128_osl64_conc1.png"),
        "{md}"
    );
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    // Every trend chart inline as SVG (one per PNG), each label a data-series.
    assert_eq!(html.matches("<svg viewBox").count(), pngs.len());
    assert!(html.contains("<figcaption>trend_ttft_avg_ms_isl128_osl64_conc1.png</figcaption>"));
    assert!(html.contains("<g data-series="));
    assert!(html.contains("night-15 (commit c15)"));
}

#[test]
fn compare_against_the_history_of_the_same_setup() {
    let dir = out_dir("hist-compare");
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    // Nights 1..14 stored (no step yet); night 15 (latencies +25 %) compared against them.
    for night in 1..=14u32 {
        let d = write_night(dir.path(), night, 7, 15, 1.25);
        let spec = format!("baseline={}", d.display());
        let id = format!("night-{night:02}");
        let time = format!("2026-11-{night:02}T02:00:00Z");
        let out = adreport(&[
            "history", "add", &spec, "--db", db, "--run-id", &id, "--time", &time,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let tonight = write_night(dir.path(), 15, 7, 15, 1.25);
    let spec = format!("tonight={}", tonight.display());
    let report = dir.path().join("out");
    let out = adreport(&[
        "compare",
        &spec,
        "--baseline-history",
        db,
        "--last",
        "5",
        "--fail-on-regression",
        "10",
        "-o",
        report.to_str().unwrap(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}{err}", text(&out.stdout));
    assert!(
        err.contains("baseline `history`: 5 stored run(s)")
            && err.contains("night-10, night-11, night-12, night-13, night-14"),
        "{err}"
    );
    let findings: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("findings.json")).unwrap())
            .unwrap();
    assert_eq!(
        findings["labels"],
        serde_json::json!(["history", "tonight"])
    );
    // One new run against 5 stored ones: the prediction interval of the 5 (t with 4 df).
    let delta = &findings["comparisons"][0]["pairs"][0]["deltas"][0];
    assert_eq!(delta["evidence"], "one_vs_many");
    assert_eq!(delta["test"]["kind"], "prediction_interval");
    assert_eq!(delta["test"]["df"], 4.0);
    assert!(findings["gate_hits"][0]["message"]
        .as_str()
        .unwrap()
        .contains("5 vs 1 runs, prediction interval"));

    // One sweep without a history is not a comparison.
    let out = adreport(&["compare", &spec, "-o", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--baseline-history"));
}
