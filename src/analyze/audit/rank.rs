//! Ranked sweeps (rank1=DIR rank2=DIR) against each other: does the measured order keep
//! AIConfigurator's rank order?

use serde::Serialize;

use super::metrics::AuditMetric;
use super::SweepAudit;
use crate::model::AicRun;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankRow {
    pub rank: usize,
    pub sweep: String,
    pub config: String,
    /// The ranked row's tokens/s/gpu_cluster (else tokens/s/gpu), AIConfigurator's score.
    pub predicted_tokens_s_gpu: f64,
    pub predicted_concurrency: u64,
    /// Best measured tokens/s/gpu among points meeting the SLA, on the same cluster basis.
    pub measured_best_tokens_s_gpu: Option<f64>,
    pub measured_at_concurrency: Option<u64>,
    /// tokens/s/gpu_cluster / tokens/s/gpu: idle GPUs when the cluster is not a multiple of a replica.
    pub cluster_factor: f64,
    pub error_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranking {
    pub rows: Vec<RankRow>,
    pub best_measured_rank: Option<usize>,
    /// The measured order (best tokens/s/gpu first) is AIConfigurator's rank order.
    pub order_holds: bool,
    /// The verdict in words, written by `render::audit::words` (kept here for audit.json).
    pub text: String,
}

/// Per ranked sweep: the best measured tokens/s/gpu meeting the SLA against AIConfigurator's score.
pub(super) fn ranking(run: &AicRun, sweeps: &[SweepAudit]) -> Option<Ranking> {
    if sweeps.len() < 2 {
        return None;
    }
    let mut rows = Vec::new();
    for s in sweeps {
        let rank = s.rank?;
        let pick = &s.predicted_pick;
        let tput = pick.get(AuditMetric::TokensPerSGpu).unwrap_or(f64::NAN);
        let factor = cluster_factor(run.total_gpus, s.gpus_per_replica);
        let best = s
            .measured
            .iter()
            .filter(|e| e.meets_sla != Some(false))
            .filter_map(|e| Some((e, e.get(AuditMetric::TokensPerSGpu)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let predicted = tput * factor;
        let measured = best.map(|(_, v)| v * factor);
        rows.push(RankRow {
            rank,
            sweep: s.label.clone(),
            config: s.config.clone(),
            predicted_tokens_s_gpu: predicted,
            predicted_concurrency: pick.concurrency,
            measured_best_tokens_s_gpu: measured,
            measured_at_concurrency: best.map(|(b, _)| b.measured_concurrency),
            cluster_factor: factor,
            error_pct: measured.map(|m| (m - predicted) / predicted * 100.0),
        });
    }
    rows.sort_by_key(|r| r.rank);
    let value = |r: &RankRow| r.measured_best_tokens_s_gpu.unwrap_or(f64::NEG_INFINITY);
    let best = rows
        .iter()
        .filter(|r| r.measured_best_tokens_s_gpu.is_some())
        .fold(None::<&RankRow>, |b, r| match b {
            Some(b) if value(b) >= value(r) => Some(b),
            _ => Some(r),
        });
    let order_holds = rows.windows(2).all(|w| value(&w[0]) >= value(&w[1]));
    Some(Ranking {
        best_measured_rank: best.map(|b| b.rank),
        order_holds,
        text: String::new(),
        rows,
    })
}

/// `tokens/s/gpu_cluster / tokens/s/gpu` = (total // n) * n / total; 1 when the cluster is unknown.
pub fn cluster_factor(total_gpus: Option<u64>, per_replica: u64) -> f64 {
    match total_gpus {
        Some(t) if t > 0 && per_replica > 0 => ((t / per_replica) * per_replica) as f64 / t as f64,
        _ => 1.0,
    }
}
