//! Choosing the audited config and its predicted curve, on the real AIConfigurator 0.12 save
//! dir bundled in sample-results (qwen3_32b_h200_isl4000_osl500).

use adreport::analyze::audit::curve::predicted_curve;
use adreport::analyze::audit::{select, AuditMetric, ExperimentWhy, Note, Pick, Why};
use adreport::ingest::aiconfigurator::load_run;
use adreport::model::AicRun;

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
    // disagg/best_config_topn.csv row 1: tokens/s/gpu_cluster 463.5.
    assert_eq!(disagg.score, 463.5);
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
