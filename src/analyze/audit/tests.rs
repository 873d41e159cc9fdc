use super::curve::{dedupe_concurrency, locate, value_at, At};
use super::sweep::replicas;
use super::*;
use crate::model::{Metric, Source};

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
