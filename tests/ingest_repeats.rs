//! Repeats are samples of one point: aiperf 0.13.0's `--num-profile-runs` layouts, the runner's
//! `rep_N/`, several benchmark_serving records at one load; and the JSON files no reader takes.
//! Inputs: tests/data/aiperf_multirun (real aiperf output, README there) and bundled samples.
//! Expected numbers are read from the files named in each comment.

use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{adreport, copy_dir, data, json_of, out_dir, sample, text};

/// aiperf's summary metric -> the `show` column holding our value of it.
const CROSS_CHECKED: [(&str, &str); 7] = [
    ("time_to_first_token_avg", "ttft_avg_ms"),
    ("time_to_first_token_p90", "ttft_p90_ms"),
    ("request_latency_p99", "e2el_p99_ms"),
    ("inter_token_latency_avg", "tpot_avg_ms"),
    ("request_throughput_avg", "request_throughput"),
    ("output_token_throughput_avg", "output_token_throughput"),
    ("output_token_throughput_per_user_avg", "tokens_per_s_user"),
];

fn show(args: &[&Path]) -> (Vec<Value>, String) {
    let mut all: Vec<&Path> = vec![Path::new("show"), Path::new("--format"), Path::new("json")];
    all.extend_from_slice(args);
    let out: Output = adreport(&all);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let rows = serde_json::from_slice::<Value>(&out.stdout).expect("json");
    (rows.as_array().expect("array").clone(), err)
}

/// `metrics.<key>.mean` of an aiperf aggregate JSON.
fn aggregate_mean(path: &Path, key: &str) -> f64 {
    json_of(path)["metrics"][key]["mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("{}: no metrics.{key}.mean", path.display()))
}

fn assert_close(ours: f64, theirs: f64, what: &str) {
    let rel = (ours - theirs).abs() / theirs.abs().max(f64::MIN_POSITIVE);
    assert!(rel <= 1e-9, "{what}: ours {ours}, aiperf {theirs}");
}

fn num(row: &Value, key: &str) -> f64 {
    row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key} in {row}"))
}

fn assert_means_match_aggregate(row: &Value, aggregate: &Path) {
    for (key, column) in CROSS_CHECKED {
        assert_close(num(row, column), aggregate_mean(aggregate, key), column);
    }
}

#[test]
fn aiperf_multi_run_is_one_point_of_three_repeats() {
    let root = data("aiperf_multirun/multirun_conc_4");
    let (rows, err) = show(&[&root]);
    assert_eq!(
        err, "",
        "no warning (no duplicate, no disagreement with aggregate/)"
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let p = &rows[0];
    assert_eq!(p["label"], "multirun_conc_4");
    assert_eq!(p["concurrency"], 4); // run_000N/profile_export_aiperf.json input_config
    assert_eq!(p["repeats"], 3); // aggregate metadata.num_profile_runs: 3
    assert!(p.get("repeat").is_none());
    let aggregate = root.join("aggregate/profile_export_aiperf_aggregate.json");
    assert_means_match_aggregate(p, &aggregate);
    // aggregate: time_to_first_token_avg.mean 40.284876, request_throughput_avg.mean
    // 9.430217505194522 (the runs: TTFT 38.9827089, 40.9799602, 40.8919589 ms).
    assert_close(num(p, "ttft_avg_ms"), 40.284876, "ttft literal");
    assert_close(
        num(p, "request_throughput"),
        9.430217505194522,
        "throughput literal",
    );
}

#[test]
fn show_repeats_prints_each_run_with_its_number() {
    let root = data("aiperf_multirun/multirun_conc_4");
    let (rows, _) = show(&[Path::new("--repeats"), &root]);
    let runs: Vec<(u64, f64)> = rows
        .iter()
        .map(|r| (r["repeat"].as_u64().unwrap(), num(r, "ttft_avg_ms")))
        .collect();
    // profile_runs/run_000N/profile_export_aiperf.json: time_to_first_token.avg
    assert_eq!(
        runs,
        [(1, 38.9827089), (2, 40.9799602), (3, 40.8919589)],
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r["label"] == "multirun_conc_4"));
    assert!(rows.iter().all(|r| r["repeats"].is_null()));
}

#[test]
fn aiperf_sweep_with_trials_is_one_label_with_two_repeats_per_point() {
    let root = data("aiperf_multirun/sweep_trials");
    let (rows, err) = show(&[&root]);
    assert_eq!(err, "", "sweep_aggregate/ is not a point and not a warning");
    let points: Vec<(&str, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap(),
                r["concurrency"].as_u64().unwrap(),
                r["repeats"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, [("sweep_trials", 2, 2), ("sweep_trials", 8, 2)]);
    for (row, conc) in rows.iter().zip([2, 8]) {
        let aggregate = root.join(format!(
            "aggregate/concurrency_{conc}/profile_export_aiperf_aggregate.json"
        ));
        assert_means_match_aggregate(row, &aggregate);
    }
    // trial_0001 / trial_0002 concurrency_8 time_to_first_token.avg: 55.8861821875 and
    // 51.976224124999995; aggregate/concurrency_8 mean 53.93120315624999.
    assert_close(
        num(&rows[1], "ttft_avg_ms"),
        53.93120315624999,
        "conc 8 ttft",
    );
    let (each, _) = show(&[Path::new("--repeats"), &root]);
    let conc8: Vec<(u64, f64)> = each
        .iter()
        .filter(|r| r["concurrency"] == 8)
        .map(|r| (r["repeat"].as_u64().unwrap(), num(r, "ttft_avg_ms")))
        .collect();
    assert_eq!(conc8, [(1, 55.8861821875), (2, 51.976224124999995)]);
}

#[test]
fn aggregate_alone_stands_for_the_missing_runs() {
    let tmp = out_dir("agg_only");
    // The directory name gives the concurrency: aiperf's summary does not record it.
    let root = tmp.path().join("multirun_conc_4");
    copy_dir(
        &data("aiperf_multirun/multirun_conc_4/aggregate"),
        &root.join("aggregate"),
    );
    let (rows, err) = show(&[&root]);
    assert_eq!(err, "");
    assert_eq!(rows.len(), 1);
    let p = &rows[0];
    assert_eq!(
        (p["label"].as_str(), p["concurrency"].as_u64()),
        (Some("multirun_conc_4"), Some(4))
    );
    assert_eq!(
        (p["isl"].as_u64(), p["osl"].as_u64()),
        (Some(128), Some(64))
    ); // *_sequence_length_avg.mean
    assert_eq!(p["repeats"], 3); // metadata.num_successful_runs
    let aggregate = root.join("aggregate/profile_export_aiperf_aggregate.json");
    for (key, column) in CROSS_CHECKED {
        assert_eq!(num(p, column), aggregate_mean(&aggregate, key), "{column}");
    }
    // Without the runs there is nothing to list one by one: still one row of 3 runs.
    let (each, _) = show(&[Path::new("--repeats"), &root]);
    assert_eq!(each.len(), 1);
    assert_eq!(each[0]["repeats"], 3);
}

#[test]
fn aggregate_that_disagrees_with_the_runs_is_named() {
    let tmp = out_dir("agg_disagree");
    let root = tmp.path().join("multirun_conc_4");
    copy_dir(&data("aiperf_multirun/multirun_conc_4"), &root);
    let file = root.join("aggregate/profile_export_aiperf_aggregate.json");
    let changed = fs::read_to_string(&file)
        .unwrap()
        .replace("\"mean\":40.284876,", "\"mean\":41.0,");
    fs::write(&file, changed).unwrap();
    let (_, err) = show(&[&root]);
    assert!(
        err.contains("profile_export_aiperf_aggregate.json: `ttft_avg_ms`: aiperf's mean over 3 runs is 41 but the mean of the runs read is 40.284876"),
        "{err}"
    );
    fs::remove_dir_all(root.join("profile_runs/run_0003")).unwrap();
    let (rows, err) = show(&[&root]);
    assert_eq!(rows[0]["repeats"], 2);
    assert!(
        err.contains("aiperf's summary is over 3 runs but 2 were read"),
        "{err}"
    );
}

#[test]
fn runner_rep_directories_are_repeats_of_one_label() {
    let tmp = out_dir("rep_layout");
    let label = tmp.path().join("tuned");
    let runs = data("aiperf_multirun/multirun_conc_4/profile_runs");
    for (rep, run) in [(1, "run_0001"), (2, "run_0002")] {
        copy_dir(
            &runs.join(run),
            &label.join(format!("rep_{rep}/isl_128_osl_64_conc_4")),
        );
    }
    let (rows, err) = show(&[tmp.path()]);
    assert_eq!(err, "");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["label"], "tuned");
    // Given one by one, the repeat directories still name their series.
    let (each, _) = show(&[&label.join("rep_1"), &label.join("rep_2")]);
    assert_eq!(each.len(), 1, "{each:?}");
    assert_eq!(
        (each[0]["label"].as_str(), each[0]["repeats"].as_u64()),
        (Some("tuned"), Some(2))
    );
    assert_eq!(rows[0]["repeats"], 2);
    // run_0001 / run_0002 time_to_first_token.avg: 38.9827089, 40.9799602
    assert_close(
        num(&rows[0], "ttft_avg_ms"),
        (38.9827089 + 40.9799602) / 2.0,
        "mean of rep_1 and rep_2",
    );
}

#[test]
fn benchmark_serving_records_at_one_load_are_repeats() {
    // The two rate-10 runs of the 9-run `--append-result` sample (lines 1 and 4), without the
    // `deployment` metadata that tells them apart there: two plain appended runs of one point.
    let src =
        sample("benchmark_serving/vllm/append_9runs/vllm_benchmark_serving_results_9runs.jsonl");
    let lines: Vec<String> = fs::read_to_string(src)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("deployment");
            v.to_string()
        })
        .collect();
    let tmp = out_dir("bs_repeats");
    let file = tmp.path().join("results.jsonl");
    fs::write(&file, format!("{}\n{}\n", lines[0], lines[3])).unwrap();
    let (rows, err) = show(&[&file]);
    assert_eq!(err, "");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["repeats"], 2);
    assert_eq!(rows[0]["request_rate"], 10.0);
    // mean_ttft_ms 54.59561144333596 and 54.592403276680365; request_throughput
    // 8.369432347779671 and 8.288330584211705.
    assert_close(
        num(&rows[0], "ttft_avg_ms"),
        (54.59561144333596 + 54.592403276680365) / 2.0,
        "ttft",
    );
    assert_close(
        num(&rows[0], "request_throughput"),
        (8.369432347779671 + 8.288330584211705) / 2.0,
        "throughput",
    );
    // Kept with their metadata, the same records are three deployments: series, not repeats.
    let (rows, _) = show(&[&sample("benchmark_serving/vllm/append_9runs")]);
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(rows.len(), 9);
    assert!(rows.iter().all(|r| r["repeats"] == 1));
    assert_eq!(
        labels[..4],
        [
            "append_9runs/no-features",
            "append_9runs/no-features",
            "append_9runs/no-features",
            "append_9runs/base"
        ]
    );
}

#[test]
fn truncated_and_unknown_json_in_a_run_directory_are_named() {
    let tmp = out_dir("unread_json");
    let run = tmp.path().join("run");
    fs::create_dir_all(&run).unwrap();
    let good = fs::read(sample(
        "benchmark_serving/vllm/legacy_llama32_3b/vllm_llama32_3b_rate10.json",
    ))
    .unwrap();
    fs::write(run.join("concurrency_1.json"), &good).unwrap();
    // Cut mid-object, before two of the keys that identify a benchmark_serving result.
    fs::write(run.join("concurrency_8.json"), &good[..300]).unwrap();
    fs::write(run.join("notes.json"), r#"{"model": "llama", "tp": 2}"#).unwrap();
    let (rows, err) = show(&[tmp.path()]);
    assert_eq!(rows.len(), 1);
    assert!(
        err.contains("concurrency_8.json: left out: line 1 column 300: file ends in the middle of the JSON (truncated?)"),
        "{err}"
    );
    assert!(
        err.contains("notes.json: JSON of no known result format (keys: model, tp); not read"),
        "{err}"
    );
    // Alone, they are the reasons nothing was read (exit 1), not only "nothing known here".
    fs::remove_file(run.join("concurrency_1.json")).unwrap();
    let out = adreport(&[Path::new("show"), tmp.path()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("file ends in the middle of the JSON"), "{err}");
    assert!(
        err.contains("notes.json: JSON of no known result format"),
        "{err}"
    );
}

#[test]
fn aggregate_only_point_is_single_run_evidence_with_aiperfs_noise_estimate() {
    use adreport::ingest::{load, IngestOptions, Input};
    use adreport::model::{Latency, Metric, Stat};
    let tmp = out_dir("agg_cv");
    let root = tmp.path().join("multirun_conc_4");
    copy_dir(
        &data("aiperf_multirun/multirun_conc_4/aggregate"),
        &root.join("aggregate"),
    );
    let sweep = load(
        &[Input::parse(&root.to_string_lossy())],
        &IngestOptions::default(),
    )
    .unwrap();
    let p = &sweep.points[0];
    // No per-run values: one run of evidence, but aiperf's summary covers 3.
    assert_eq!((p.runs(), p.measured_runs()), (1, 3));
    // aggregate time_to_first_token_avg.cv 0.028014678867310627 (std 1.128567864349429 / mean
    // 40.284876); request_throughput_avg.cv 0.0089032719839272.
    let ttft = Metric::Latency(Latency::Ttft, Stat::Avg);
    let cv = p.aggregate_cv(ttft).unwrap();
    assert!((cv - 0.028014678867310627).abs() < 1e-12, "{cv}");
    let cv = p.aggregate_cv(Metric::RequestThroughput).unwrap();
    assert!((cv - 0.0089032719839272).abs() < 1e-12, "{cv}");
    let frame = sweep.points_frame().unwrap();
    let repeats = frame.column("repeats").unwrap().u64().unwrap().get(0);
    assert_eq!(repeats, Some(3));
}
