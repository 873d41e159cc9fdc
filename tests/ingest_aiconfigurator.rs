//! AIConfigurator reader: the two real 0.12.0 save dirs, the v0.1-0.2 layout and bad inputs.
//!
//! Expected numbers were read by hand from the CSVs named in each test.

use std::fs;
use std::path::PathBuf;

use adreport::ingest::aiconfigurator::{self, load_run};
use adreport::ingest::{load, IngestOptions, Input, ReadCtx};
use adreport::model::{AicRow, AicRun};
use adreport::model::{Latency, Metric, Point, Source, Stat};

mod common;

const QWEN32: &str =
    "qwen3_32b_h200_isl4000_osl500/Qwen/Qwen3-32B_h200_sxm_trtllm_isl4000_osl500_ttft500_tpot7_636671";
const QWEN8: &str =
    "qwen3_8b_h100_isl1024_osl1024/Qwen/Qwen3-8B_h100_sxm_trtllm_isl1024_osl1024_ttft1000_tpot20_971717";

fn sample(rel: &str) -> PathBuf {
    common::sample("aiconfigurator").join(rel)
}

fn data(rel: &str) -> PathBuf {
    common::data("aiconfigurator").join(rel)
}

fn run(rel: &str) -> AicRun {
    load_run(&sample(rel)).unwrap_or_else(|e| panic!("{e}"))
}

/// The single save dir below a test-data case directory.
fn save_dir(case: &str) -> PathBuf {
    let dir = data(case);
    let mut subs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(subs.len(), 1, "{}", dir.display());
    subs.remove(0)
}

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-9 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

#[track_caller]
fn metric(p: &Point, m: Metric, want: f64) {
    close(p.get(m).unwrap_or_else(|| panic!("{m} missing")), want);
}

fn pareto_row(run: &AicRun, exp: &str, concurrency: u64, parallel: &str) -> AicRow {
    let e = run.experiment(exp).unwrap();
    e.pareto
        .iter()
        .find(|r| r.concurrency == concurrency && r.parallel.as_deref() == Some(parallel))
        .cloned()
        .unwrap_or_else(|| panic!("{exp}: no row at concurrency {concurrency} {parallel}"))
}

#[test]
fn sniff_accepts_only_the_save_dir() {
    assert!(aiconfigurator::sniff_dir(&sample(QWEN32)));
    assert!(aiconfigurator::sniff_dir(&sample(QWEN8)));
    // The scenario dir, the org dir and the experiment dirs are not save dirs.
    assert!(!aiconfigurator::sniff_dir(&sample(
        "qwen3_32b_h200_isl4000_osl500"
    )));
    assert!(!aiconfigurator::sniff_dir(&sample(
        "qwen3_32b_h200_isl4000_osl500/Qwen"
    )));
    assert!(!aiconfigurator::sniff_dir(&sample(&format!(
        "{QWEN32}/agg"
    ))));
    assert!(!aiconfigurator::sniff_dir(&sample(&format!(
        "{QWEN32}/agg/top1"
    ))));
}

#[test]
fn run_settings_from_exp_config() {
    let r = run(QWEN32);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // agg/exp_config.yaml: ttft: 500.0, tpot: 7.0, isl: 4000, osl: 500, total_gpus: 8
    assert_eq!(r.sla_ttft_ms, Some(500.0));
    assert_eq!(r.sla_tpot_ms, Some(7.0));
    assert_eq!((r.isl, r.osl), (Some(4000), Some(500)));
    assert_eq!(r.total_gpus, Some(8));
    assert_eq!(r.model.as_deref(), Some("Qwen/Qwen3-32B"));
    assert_eq!(r.system.as_deref(), Some("h200_sxm"));
    assert_eq!(r.backend.as_deref(), Some("trtllm"));
    assert_eq!(r.backend_version.as_deref(), Some("1.3.0rc20"));
    // stdout.txt two levels up: "Loading AIConfigurator version: 0.12.0" and "Saving results to .../<this dir>"
    assert_eq!(r.aic_version.as_deref(), Some("0.12.0"));
    let names: Vec<&str> = r.experiments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["agg", "disagg"]);
    let agg = r.experiment("agg").unwrap();
    assert_eq!(agg.mode, "agg");
    assert_eq!(agg.pareto.len(), 44);
    assert_eq!(
        agg.top_dirs
            .iter()
            .map(|d| d.file_name().unwrap().to_str().unwrap())
            .collect::<Vec<_>>(),
        ["top1", "top2"]
    );
    assert!(agg.exp_config.is_some());
    // disagg/exp_config.yaml uses a YAML alias (`decode_tp_candidates: *id001`).
    assert!(r.experiment("disagg").unwrap().exp_config.is_some());
    let disagg = r.experiment("disagg").unwrap();
    assert_eq!(disagg.mode, "disagg");
    assert_eq!(disagg.pareto.len(), 8);
    assert_eq!(disagg.top_dirs.len(), 3);

    let r8 = run(QWEN8);
    assert_eq!((r8.sla_ttft_ms, r8.sla_tpot_ms), (Some(1000.0), Some(20.0)));
    assert_eq!((r8.isl, r8.osl), (Some(1024), Some(1024)));
    assert_eq!(r8.experiment("agg").unwrap().pareto.len(), 35);
    assert_eq!(r8.experiment("disagg").unwrap().pareto.len(), 19);
}

#[test]
fn agg_pareto_rows_by_header_name() {
    let r = run(QWEN32);
    // agg/pareto.csv line 36 (row 35): concurrency 12, request_rate 3.201, ttft 347.435, tpot 6.568,
    // request_latency 3624.956, tokens/s 1597.15, tokens/s/gpu 199.644, tokens/s/user 152.249, 8 GPUs, tp8
    let row = pareto_row(&r, "agg", 12, "tp8pp1dp1etp1ep1");
    assert_eq!(row.row, 35);
    close(row.ttft_ms, 347.435);
    close(row.tpot_ms, 6.568);
    close(row.request_latency_ms.unwrap(), 3624.956);
    close(row.request_rate.unwrap(), 3.201);
    close(row.tokens_s, 1597.15);
    close(row.tokens_s_gpu, 199.644);
    close(row.tokens_s_user, 152.249);
    close(row.tokens_s_gpu_cluster.unwrap(), 199.644);
    assert_eq!(
        (row.num_total_gpus, row.tp, row.pp, row.dp, row.bs),
        (8, Some(8), Some(1), Some(1), Some(12))
    );
    assert_eq!(row.get("memory"), Some("13.784"));
    assert_eq!(row.get("version"), Some("1.3.0rc20"));
    assert_eq!(r.row_meets_sla(&row), Some(true));
    // line 21 (row 20): a TP4 replica at concurrency 32: 2 replicas on 8 GPUs
    let tp4 = pareto_row(&r, "agg", 32, "tp4pp1dp1etp1ep1");
    assert_eq!(tp4.row, 20);
    close(tp4.ttft_ms, 467.806);
    close(tp4.tokens_s_gpu, 424.859);
    assert_eq!(tp4.num_total_gpus, 4);
    assert_eq!(r.replicas(&tp4), Some(2));
    assert_eq!(r.row_meets_sla(&tp4), Some(false)); // tpot 18.087 > 7
}

#[test]
fn best_config_topn_rows_are_ranked() {
    let r = run(QWEN32);
    let best = &r.experiment("agg").unwrap().best_topn;
    assert_eq!(best.len(), 2);
    // agg/best_config_topn.csv row 1: concurrency 12, tp8, 199.644 tokens/s/gpu (stdout table rank 1: 199.64)
    assert_eq!(best[0].rank, Some(1));
    assert_eq!(best[0].concurrency, 12);
    assert_eq!(best[0].parallel.as_deref(), Some("tp8pp1dp1etp1ep1"));
    close(best[0].tokens_s_gpu, 199.644);
    close(best[0].ttft_ms, 347.435);
    close(best[0].tpot_ms, 6.568);
    // row 2: concurrency 1 on tp4, 34.843 tokens/s/gpu
    assert_eq!(best[1].rank, Some(2));
    assert_eq!(best[1].concurrency, 1);
    close(best[1].tokens_s_gpu, 34.843);
    assert_eq!(r.replicas(&best[1]), Some(2));

    let r8 = run(QWEN8);
    let b8 = &r8.experiment("agg").unwrap().best_topn;
    assert_eq!(b8.len(), 4);
    // Qwen3-8B agg top1: concurrency 256 on tp2, tokens/s 13722.292, 6861.146 tokens/s/gpu; x4 replicas =
    // the stdout's "Best Throughput: 54,889.17 tokens/s".
    assert_eq!((b8[0].concurrency, b8[0].num_total_gpus), (256, 2));
    close(b8[0].tokens_s_gpu, 6861.146);
    close(
        b8[0].tokens_s * r8.replicas(&b8[0]).unwrap() as f64,
        54889.168,
    );
}

#[test]
fn disagg_rows_when_tpot_was_infeasible() {
    let r = run(QWEN32);
    let d = r.experiment("disagg").unwrap();
    // disagg/best_config_topn.csv holds the closest configs: every TPOT exceeds the 7 ms target.
    let tpots: Vec<f64> = d.best_topn.iter().map(|b| b.tpot_ms).collect();
    assert_eq!(tpots, [13.841, 34.191, 38.983]);
    assert!(d
        .best_topn
        .iter()
        .all(|b| r.row_meets_sla(b) == Some(false)));
    assert!(d.pareto.iter().all(|b| r.row_meets_sla(b) == Some(false)));
    let top1 = &d.best_topn[0];
    // row 1: concurrency 64; (p)workers 2 on tp2, (d)workers 1 on tp4; 463.5 tokens/s/gpu
    assert_eq!(top1.concurrency, 64);
    close(top1.tokens_s_gpu, 463.5);
    close(top1.ttft_ms, 436.856);
    assert_eq!(
        top1.parallel.as_deref(),
        Some("(p)tp2pp1dp1etp1ep1x2 + (d)tp4pp1dp1etp1ep1x1")
    );
    assert_eq!((top1.bs, top1.tp), (None, None));
    assert_eq!(top1.get("(d)bs"), Some("64"));
    assert_eq!(top1.backend.as_deref(), Some("trtllm")); // from (d)backend
                                                         // disagg/pareto.csv row 1: concurrency 168, tpot 38.983, tokens/s 3972.56, (p)workers 3 + (d)workers 1
    let p1 = &d.pareto[0];
    assert_eq!((p1.row, p1.concurrency, p1.num_total_gpus), (1, 168, 8));
    close(p1.tpot_ms, 38.983);
    close(p1.tokens_s, 3972.56);
    close(p1.tokens_s_user, 25.652);
    assert_eq!(
        p1.parallel.as_deref(),
        Some("(p)tp2pp1dp1etp1ep1x3 + (d)tp2pp1dp1etp1ep1x1")
    );
}

#[test]
fn read_dir_points() {
    let mut ctx = ReadCtx::default();
    let points = aiconfigurator::read_dir(&sample(QWEN32), &mut ctx).unwrap();
    assert!(ctx.warnings.is_empty(), "{:?}", ctx.warnings);
    assert_eq!(points.len(), 44 + 8);
    let p = points
        .iter()
        .find(|p| {
            p.label == "agg"
                && p.concurrency == Some(12)
                && p.extra.get("parallel").map(String::as_str) == Some("tp8pp1dp1etp1ep1")
        })
        .unwrap();
    assert_eq!(p.source, Source::AiConfigurator);
    assert!(p.path.ends_with("agg/pareto.csv"));
    assert_eq!(p.model.as_deref(), Some("Qwen/Qwen3-32B"));
    assert_eq!(p.backend.as_deref(), Some("trtllm"));
    assert_eq!(p.tool_version.as_deref(), Some("0.12.0"));
    assert_eq!((p.isl, p.osl, p.num_gpus), (Some(4000), Some(500), Some(8)));
    close(p.request_rate.unwrap(), 3.201);
    metric(p, Metric::Latency(Latency::Ttft, Stat::Avg), 347.435);
    metric(p, Metric::Latency(Latency::Tpot, Stat::Avg), 6.568);
    metric(p, Metric::Latency(Latency::E2el, Stat::Avg), 3624.956);
    metric(p, Metric::RequestThroughput, 3.201);
    metric(p, Metric::OutputTokenThroughput, 1597.15);
    metric(p, Metric::TokensPerSUser, 152.249);
    metric(p, Metric::TokensPerSGpu, 199.644);
    let extra = |k: &str| p.extra.get(k).map(String::as_str);
    assert_eq!(extra("mode"), Some("agg"));
    assert_eq!(extra("bs"), Some("12"));
    assert_eq!(extra("best_rank"), Some("1"));
    assert_eq!(extra("meets_sla"), Some("yes"));
    assert_eq!(extra("replicas"), Some("1"));
    assert_eq!(extra("backend_version"), Some("1.3.0rc20"));
    assert_eq!(extra("system"), Some("h200_sxm"));
    let d = points.iter().filter(|p| p.label == "disagg").count();
    assert_eq!(d, 8);
}

#[test]
fn walker_labels_each_scenario_and_mode() {
    let sweep = load(
        &[Input::parse(sample("").to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 44 + 8 + 35 + 19);
    assert!(sweep.warnings.is_empty(), "{:?}", sweep.warnings);
    let count = |l: &str| sweep.points.iter().filter(|p| p.label == l).count();
    assert_eq!(count("qwen3_32b_h200_isl4000_osl500/Qwen/agg"), 44);
    assert_eq!(count("qwen3_32b_h200_isl4000_osl500/Qwen/disagg"), 8);
    assert_eq!(count("qwen3_8b_h100_isl1024_osl1024/Qwen/agg"), 35);
    assert_eq!(count("qwen3_8b_h100_isl1024_osl1024/Qwen/disagg"), 19);
    // Qwen3-8B agg/pareto.csv line 7: concurrency 256 on tp2 (the best config)
    let p = sweep
        .points
        .iter()
        .find(|p| {
            p.label == "qwen3_8b_h100_isl1024_osl1024/Qwen/agg"
                && p.concurrency == Some(256)
                && p.num_gpus == Some(2)
        })
        .unwrap();
    metric(p, Metric::Latency(Latency::Ttft, Stat::Avg), 417.759);
    metric(p, Metric::Latency(Latency::Tpot, Stat::Avg), 18.337);
    metric(p, Metric::TokensPerSGpu, 6861.146);
    assert_eq!(p.extra.get("best_rank").map(String::as_str), Some("1"));
    assert_eq!(p.extra.get("replicas").map(String::as_str), Some("4"));
    assert_eq!((p.isl, p.osl), (Some(1024), Some(1024)));
}

#[test]
fn v0_2_layout_with_settings_from_the_directory_name() {
    let dir = save_dir("gen_a_v0.2");
    assert!(aiconfigurator::sniff_dir(&dir));
    let r = load_run(&dir).unwrap();
    // QWEN3_32B_isl4000_osl500_ttft500_tpot7_424242: no config, so the name gives ISL/OSL and the SLA.
    assert_eq!((r.isl, r.osl), (Some(4000), Some(500)));
    assert_eq!((r.sla_ttft_ms, r.sla_tpot_ms), (Some(500.0), Some(7.0)));
    assert_eq!(r.aic_version, None);
    let agg = r.experiment("agg").unwrap();
    assert_eq!(agg.mode, "agg");
    assert_eq!(agg.pareto.len(), 1);
    close(agg.pareto[0].tokens_s_gpu, 199.644);
    assert_eq!(agg.pareto[0].request_latency_ms, None); // no such column before v0.5
    assert_eq!(agg.pareto[0].tokens_s_gpu_cluster, None); // v0.12+
    let mut ctx = ReadCtx::default();
    let points = aiconfigurator::read_dir(&dir, &mut ctx).unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].model.as_deref(), Some("QWEN3_32B"));
    assert_eq!(
        points[0].get(Metric::Latency(Latency::E2el, Stat::Avg)),
        None
    );
}

#[test]
fn config_and_directory_name_disagree() {
    let tmp = tempfile::tempdir().unwrap();
    // The real agg experiment under a name that says tpot8 and osl600.
    let save = tmp
        .path()
        .join("Qwen3-32B_h200_sxm_trtllm_isl4000_osl600_ttft500_tpot8_9");
    let exp = save.join("agg");
    fs::create_dir_all(&exp).unwrap();
    for f in ["pareto.csv", "exp_config.yaml"] {
        fs::copy(sample(&format!("{QWEN32}/agg/{f}")), exp.join(f)).unwrap();
    }
    let r = load_run(&save).unwrap();
    assert_eq!(
        (r.osl, r.sla_tpot_ms),
        (Some(500), Some(7.0)),
        "the config wins"
    );
    let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("osl is 500 in exp_config.yaml but 600 in the directory name")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("TPOT target is 7 in exp_config.yaml but 8")),
        "{w:?}"
    );
    // No best_config_topn.csv and no top dirs: still readable.
    assert!(r.experiment("agg").unwrap().best_topn.is_empty());
}

// ------------------------------------------------------------------------------------------------
// Bad input

#[test]
fn save_dir_without_pareto_csv() {
    let dir = save_dir("no_pareto");
    assert!(
        aiconfigurator::sniff_dir(&dir),
        "best_config_topn.csv alone marks a save dir"
    );
    let r = load_run(&dir).unwrap();
    assert_eq!(r.experiment("agg").unwrap().best_topn.len(), 2);
    let mut ctx = ReadCtx::default();
    let e = aiconfigurator::read_dir(&dir, &mut ctx)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tpot7_1") && e.contains("agg/ has no pareto.csv"),
        "{e}"
    );
}

#[test]
fn csv_with_a_missing_column() {
    let e = load_run(&save_dir("missing_column"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("agg/pareto.csv") && e.contains("column `tpot`") && e.contains("missing"),
        "{e}"
    );
}

#[test]
fn non_numeric_cell_names_file_row_and_column() {
    let e = load_run(&save_dir("non_numeric")).unwrap_err().to_string();
    assert!(
        e.contains("agg/pareto.csv: row 3 (line 4), column `ttft`: expected a number"),
        "{e}"
    );
    assert!(e.contains("`fast`"), "{e}");
    // The walker keeps going and reports the save dir as left out.
    let sweep = load(
        &[Input::parse(data("").to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    let w: Vec<String> = sweep.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("left out") && w.contains("column `ttft`")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("left out") && w.contains("column `tpot`")),
        "{w:?}"
    );
    assert_eq!(sweep.points.len(), 1, "only the v0.2 row is usable");
}

#[test]
fn ragged_and_empty_csvs() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("save").join("agg");
    fs::create_dir_all(&exp).unwrap();
    let header = "model,concurrency,ttft,tpot,tokens/s,tokens/s/gpu,tokens/s/user,num_total_gpus\n";
    fs::write(
        exp.join("pareto.csv"),
        format!("{header}m,4,10,5,100,50,200,2\nm,8,12\n"),
    )
    .unwrap();
    let e = load_run(&tmp.path().join("save")).unwrap_err().to_string();
    assert!(
        e.contains("pareto.csv: line 3") && e.contains("bad CSV"),
        "{e}"
    );
    // Header only: loads, but gives no points.
    fs::write(exp.join("pareto.csv"), header).unwrap();
    let mut ctx = ReadCtx::default();
    let e = aiconfigurator::read_dir(&tmp.path().join("save"), &mut ctx)
        .unwrap_err()
        .to_string();
    assert!(e.contains("agg/ has an empty pareto.csv"), "{e}");
    assert!(
        ctx.warnings.is_empty(),
        "the error says it all: {:?}",
        ctx.warnings
    );
    let run = load_run(&tmp.path().join("save")).unwrap();
    assert!(run.warnings.iter().any(|w| w.message.contains("no rows")));
    // A fractional concurrency is not a whole number.
    fs::write(
        exp.join("pareto.csv"),
        format!("{header}m,4.5,10,5,100,50,200,2\n"),
    )
    .unwrap();
    let e = load_run(&tmp.path().join("save")).unwrap_err().to_string();
    assert!(
        e.contains("row 1 (line 2), column `concurrency`: expected a whole number, found `4.5`"),
        "{e}"
    );
}
