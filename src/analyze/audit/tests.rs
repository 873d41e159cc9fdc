use super::curve::{dedupe_concurrency, locate, predicted_curve, value_at, At};
use super::sweep::replicas;
use super::*;
use crate::ingest::aiconfigurator::load_run;
use crate::model::{Metric, Source};

/// The real AIConfigurator 0.12 save dir bundled in sample-results.
fn real_run() -> AicRun {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "sample-results/aiconfigurator/qwen3_32b_h200_isl4000_osl500/Qwen/Qwen3-32B_h200_sxm_trtllm_isl4000_osl500_ttft500_tpot7_636671",
    );
    load_run(&dir).unwrap()
}

#[test]
fn default_pick_is_the_best_rank1_meeting_the_sla() {
    let run = real_run();
    // agg rank 1: tp8, TTFT 347.435 / TPOT 6.568 (meets 500 / 7), tokens/s/gpu_cluster 199.644;
    // disagg rank 1: 463.5 but TPOT 13.841: agg wins although its score is lower.
    let sel = select(&run, None, &Pick::Default).unwrap();
    assert_eq!((sel.exp.name.as_str(), sel.rank), ("agg", Some(1)));
    assert_eq!(sel.config, "tp8pp1dp1etp1ep1");
    let Why::Rank {
        rank: 1,
        experiment: ExperimentWhy::BestMeetingSla { experiment, rank1 },
    } = &sel.why
    else {
        panic!("{:?}", sel.why)
    };
    assert_eq!(experiment, "agg");
    let disagg = rank1.iter().find(|r| r.experiment == "disagg").unwrap();
    assert_eq!(disagg.meets_sla, Some(false));
    assert!((disagg.score - 463.5).abs() < 0.05, "{disagg:?}");
    let sel = select(&run, Some("disagg"), &Pick::Default).unwrap();
    assert_eq!(sel.config, "(p)tp2pp1dp1etp1ep1x2 + (d)tp4pp1dp1etp1ep1x1");
    let sel = select(&run, None, &Pick::Rank(2)).unwrap();
    assert_eq!(
        (sel.config.as_str(), sel.row.concurrency),
        ("tp4pp1dp1etp1ep1", 1)
    );
    // A prefix naming a disagg config finds it without --mode.
    let sel = select(&run, None, &Pick::Config("(p)tp2pp1dp1etp1ep1x3".into())).unwrap();
    assert_eq!((sel.exp.name.as_str(), sel.rank), ("disagg", Some(3)));
    let e = select(&run, None, &Pick::Config("tp".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("matches several configs"), "{e}");
}

#[test]
fn when_none_meets_the_sla_the_agg_rank1_is_picked() {
    let mut run = real_run();
    run.sla_tpot_ms = Some(1.0);
    let sel = select(&run, None, &Pick::Default).unwrap();
    assert_eq!(sel.exp.name, "agg");
    assert!(
        matches!(
            sel.why,
            Why::Rank {
                rank: 1,
                experiment: ExperimentWhy::NoneMeetsSla { .. }
            }
        ),
        "{:?}",
        sel.why
    );
}

#[test]
fn a_thin_pareto_curve_borrows_best_config_topn_rows() {
    let mut run = real_run();
    let agg = run
        .experiments
        .iter_mut()
        .find(|e| e.name == "agg")
        .unwrap();
    // Keep one tp4 pareto row (concurrency 32); rank 2 adds best_config_topn's tp4 row at 1.
    let keep = agg
        .pareto
        .iter()
        .find(|r| r.parallel.as_deref() == Some("tp4pp1dp1etp1ep1"))
        .cloned()
        .unwrap();
    agg.pareto = vec![keep];
    let exp = run.experiment("agg").unwrap();
    let (curve, notes) = predicted_curve(&run, exp, "tp4pp1dp1etp1ep1").unwrap();
    let got: Vec<(u64, &str)> = curve.iter().map(|r| (r.concurrency, r.file)).collect();
    assert_eq!(got, [(1, "best_config_topn.csv"), (32, "pareto.csv")]);
    // best_config_topn.csv row 2: ttft 247.665 at concurrency 1.
    assert_eq!(curve[0].get(AuditMetric::Ttft), Some(247.665));
    assert!(
        matches!(
            &notes[0],
            Note::BorrowedRows { config, pareto_rows: 1, added: 1, .. } if config == "tp4pp1dp1etp1ep1"
        ),
        "{notes:?}"
    );
}

fn row(conc: u64, ttft: f64, tpot: f64, gpu: f64) -> PredictedRow {
    PredictedRow {
        concurrency: conc,
        file: "pareto.csv",
        row: conc as usize,
        values: [("ttft", ttft), ("tpot", tpot), ("tokens_per_s_gpu", gpu)]
            .into_iter()
            .collect(),
        meets_sla: None,
    }
}

#[test]
fn interpolates_linearly_between_neighbours() {
    let curve = vec![row(4, 100.0, 5.0, 10.0), row(8, 200.0, 7.0, 30.0)];
    assert_eq!(locate(&curve, 4.0), At::Exact(0));
    assert_eq!(locate(&curve, 3.0), At::Outside);
    assert_eq!(locate(&curve, 9.0), At::Outside);
    // 6 is halfway from 4 to 8: 100 + 0.5 * (200 - 100) = 150.
    let at = locate(&curve, 6.0);
    assert_eq!(at, At::Between(0, 1, 0.5));
    assert_eq!(value_at(&curve, at, AuditMetric::Ttft), Some(150.0));
    // 5 is a quarter of the way: 5 + 0.25 * (7 - 5) = 5.5.
    assert_eq!(
        value_at(&curve, locate(&curve, 5.0), AuditMetric::Tpot),
        Some(5.5)
    );
    assert_eq!(value_at(&curve, at, AuditMetric::RequestRate), None);
}

#[test]
fn duplicate_concurrency_keeps_the_higher_throughput_row() {
    let mut rows = vec![row(5, 322.0, 5.4, 103.351), row(5, 184.0, 5.4, 105.257)];
    rows[1].row = 42;
    rows[0].row = 43;
    let notes = dedupe_concurrency(&mut rows, "tp8");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].row, 42);
    assert!(
        matches!(notes[0], Note::DuplicateConcurrency { kept_row: 42, .. }),
        "{notes:?}"
    );
}

fn point(ttft: f64) -> AuditPoint {
    AuditPoint {
        sweep: "s".into(),
        rank: Some(1),
        config: "tp8".into(),
        concurrency: 1.0,
        measured_concurrency: 1,
        metric: "ttft",
        predicted: 100.0,
        measured: ttft,
        error_pct: ttft - 100.0,
        abs_error_pct: (ttft - 100.0).abs(),
        interpolated: false,
        between: None,
        path: String::new(),
    }
}

#[test]
fn mape_is_mean_absolute_and_bias_mean_signed() {
    // Errors +10% and -30%: MAPE (10 + 30) / 2 = 20, bias (10 - 30) / 2 = -10.
    let s = summarize(&[point(110.0), point(70.0)]);
    let t = &s["ttft"];
    assert_eq!(t.n, 2);
    assert_eq!(t.mape_pct, Some(20.0));
    assert_eq!(t.bias_pct, Some(-10.0));
    assert_eq!(t.max_abs_error_pct, Some(30.0));
    assert_eq!(s["tpot"].mape_pct, None);
}

#[test]
fn replicas_need_a_whole_number() {
    assert_eq!(
        replicas(None, 8, "tp8").unwrap(),
        (8, 1, GpusFrom::OneReplica)
    );
    assert_eq!(
        replicas(Some(16), 8, "tp8").unwrap(),
        (16, 2, GpusFrom::Given)
    );
    let e = replicas(Some(12), 8, "tp8").unwrap_err().to_string();
    assert!(e.contains("--gpus 12") && e.contains("8 GPUs each"), "{e}");
}

#[test]
fn cluster_factor_counts_idle_gpus() {
    // 8 GPUs, 3-GPU replicas: 2 replicas use 6 of 8.
    assert_eq!(cluster_factor(Some(8), 3), 0.75);
    assert_eq!(cluster_factor(Some(8), 4), 1.0);
    assert_eq!(cluster_factor(None, 4), 1.0);
}

#[test]
fn measured_rates_scale_to_one_replica_and_gpu() {
    let mut p = Point::new(Source::Aiperf, "x");
    p.set(Metric::OutputTokenThroughput, 1600.0);
    p.set(Metric::RequestThroughput, 4.0);
    assert_eq!(AuditMetric::TokensPerSGpu.measured(&p, 16, 2), Some(100.0));
    assert_eq!(AuditMetric::RequestRate.measured(&p, 16, 2), Some(2.0));
    assert_eq!(AuditMetric::Ttft.measured(&p, 16, 2), None);
}
