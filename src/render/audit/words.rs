//! The audit in words: why a config was picked, notes, skip reasons, the ranking verdict,
//! the MAPE gate and the headline. The analysis returns these as data; every audit output
//! (and audit.json, through the `Serialize` impls here) shows them as these sentences.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::analyze::audit::{
    Audit, AuditMetric, ExperimentWhy, GpusFrom, Note, Rank1, Ranking, SkipReason, Why,
};
use crate::render::format::{human, pct};

/// A concurrency or SLA limit for people: whole numbers without decimals (`8`, `500`, `2.5`).
pub fn whole(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        human(v)
    }
}

/// Fills the audit's sentences: the MAPE gate hits, the ranking verdict and the headline.
pub fn describe(a: &mut Audit) {
    let limit = a.max_ape_pct.unwrap_or(f64::NAN);
    a.gate_hits = a
        .gate
        .iter()
        .map(|g| {
            format!(
                "{}: {} MAPE {:.1}% > {}%",
                g.sweep,
                g.metric.title(),
                g.mape_pct,
                whole(limit)
            )
        })
        .collect();
    if let Some(r) = &mut a.ranking {
        r.text = ranking_text(r);
    }
    a.headline = headline(a);
}

fn ranking_text(r: &Ranking) -> String {
    let best = r
        .best_measured_rank
        .and_then(|n| r.rows.iter().find(|row| row.rank == n));
    match best {
        None => "No ranked sweep has a measured point meeting the SLA: the ranks cannot be compared.".to_string(),
        Some(b) => format!(
            "Best when measured: rank {} ({}, {} tok/s/gpu at concurrency {}); AIConfigurator's order {}.",
            b.rank,
            b.config,
            human(b.measured_best_tokens_s_gpu.unwrap_or(f64::NEG_INFINITY)),
            b.measured_at_concurrency.map_or("-".into(), |c| c.to_string()),
            if r.order_holds { "holds" } else { "does NOT hold" }
        ),
    }
}

fn headline(a: &Audit) -> Vec<String> {
    let mut out = Vec::new();
    for s in &a.sweeps {
        let at = |interp: bool| -> BTreeSet<u64> {
            s.points
                .iter()
                .filter(|p| p.interpolated || !interp)
                .map(|p| p.measured_concurrency)
                .collect()
        };
        let (audited, interpolated) = (at(false).len(), at(true).len());
        let skipped_points = s.skipped.iter().filter(|k| k.metric.is_none()).count();
        out.push(format!(
            "{}: {}/ {}{} ({} GPUs per replica) measured on {} replica(s), {} GPUs: {audited} point(s) audited ({interpolated} interpolated), {skipped_points} skipped.",
            s.label,
            s.experiment,
            s.rank.map_or(String::new(), |r| format!("rank {r} ")),
            s.config,
            s.gpus_per_replica,
            s.replicas,
            s.gpus
        ));
        let parts: Vec<String> = AuditMetric::ALL
            .into_iter()
            .filter_map(|m| {
                let x = s.metrics.get(m.key())?;
                Some(format!(
                    "{} {:.1}% (bias {})",
                    m.title(),
                    x.mape_pct?,
                    pct(x.bias_pct?)
                ))
            })
            .collect();
        if !parts.is_empty() {
            out.push(format!("{}: MAPE {}.", s.label, parts.join(", ")));
        }
        if let Some(sla) = &s.sla_agreement {
            let measured = match (sla.measured_highest, sla.all_measured_pass) {
                (Some(c), true) => format!("≥ {} (every measured point passes)", whole(c)),
                (Some(c), false) => whole(c),
                (None, _) => "none".into(),
            };
            out.push(format!(
                "{}: SLA (avg TTFT ≤ {} ms, avg TPOT ≤ {} ms): prediction and measurement agree at {} of {} point(s); highest concurrency per replica meeting it: predicted {}, measured {measured}.",
                s.label,
                whole(sla.ttft_ms),
                whole(sla.tpot_ms),
                sla.agree,
                sla.rows.len(),
                sla.predicted_highest.map_or("none".into(), |c| c.to_string()),
            ));
        }
    }
    if let Some(r) = &a.ranking {
        out.push(r.text.clone());
    }
    if let Some(limit) = a.max_ape_pct {
        if a.gate_hits.is_empty() {
            out.push(format!(
                "--max-ape {}%: every metric's MAPE is within it.",
                whole(limit)
            ));
        } else {
            out.push(format!(
                "--max-ape {}% exceeded: {}.",
                whole(limit),
                a.gate_hits.join("; ")
            ));
        }
    }
    out
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Rank { rank, experiment } => write!(f, "rank {rank} of {experiment}"),
            Why::Config(prefix) => write!(f, "--config {prefix}"),
        }
    }
}

fn rank1_list(rank1: &[Rank1]) -> String {
    rank1
        .iter()
        .map(|r| {
            let sla = match r.meets_sla {
                Some(true) => "meets the SLA",
                Some(false) => "misses the SLA",
                None => "SLA unknown",
            };
            format!("{}/ rank 1 {} ({})", r.experiment, human(r.score), sla)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ExperimentWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExperimentWhy::Only { experiment } => write!(f, "{experiment}/ (the only experiment)"),
            ExperimentWhy::Asked { experiment, mode } => {
                write!(f, "{experiment}/ (--mode {mode})")
            }
            ExperimentWhy::BestMeetingSla { experiment, rank1 } => write!(
                f,
                "{experiment}/, the best rank-1 config meeting the SLA by tokens/s/gpu_cluster ({})",
                rank1_list(rank1)
            ),
            ExperimentWhy::NoneMeetsSla { experiment, rank1 } => write!(
                f,
                "{experiment}/, as no rank-1 config meets the SLA ({})",
                rank1_list(rank1)
            ),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::BorrowedRows {
                pareto_csv,
                config,
                pareto_rows,
                added,
            } => write!(
                f,
                "{} has {pareto_rows} row(s) of {config}; {added} row(s) of best_config_topn.csv were added to the predicted curve.",
                pareto_csv.display()
            ),
            Note::DuplicateConcurrency {
                file,
                rows,
                config,
                concurrency,
                kept_row,
                kept_tokens_s_gpu,
                dropped_tokens_s_gpu,
            } => write!(
                f,
                "{file} data rows {} and {} are both {config} at concurrency {concurrency}; kept row {kept_row} (tokens/s/gpu {} vs {}).",
                rows[0],
                rows[1],
                human(*kept_tokens_s_gpu),
                human(*dropped_tokens_s_gpu),
            ),
            Note::SlaUnknown => f.write_str("The AIConfigurator run's SLA is unknown (no exp_config.yaml and no ttft/tpot in the directory name): no SLA agreement."),
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NoConcurrency => f.write_str("no concurrency (a request-rate run?)"),
            SkipReason::OutsideRange {
                concurrency,
                range,
                config,
            } => write!(
                f,
                "per-replica concurrency {} is outside the predicted range {}..{} of {config}",
                whole(*concurrency),
                range[0],
                range[1]
            ),
            SkipReason::NoPredictedColumn(column) => {
                write!(f, "the predicted curve has no `{column}` column")
            }
            SkipReason::NoMeasuredField(field) => write!(f, "the measured point has no {field}"),
            SkipReason::ZeroPrediction => f.write_str("the prediction is 0"),
        }
    }
}

impl fmt::Display for GpusFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GpusFrom::OneReplica => "num_total_gpus",
            GpusFrom::Given => "--gpus",
        })
    }
}

/// audit.json carries the sentences, as the other outputs do.
macro_rules! serialize_as_words {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serialize_as_words!(Why, Note, SkipReason, GpusFrom);
