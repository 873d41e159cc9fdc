//! The audit's tables, built once; SUMMARY.txt and audit.md only decide how to draw them.

use super::words::whole;
use crate::analyze::audit::{Audit, AuditMetric, MetricSummary, SweepAudit};
use crate::render::format::{human, human_opt, pct};
use crate::render::tables::{ReportTable, Tone, ToneCell};

fn pct_opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}%"))
}

fn signed_opt(v: Option<f64>) -> String {
    v.map_or("-".into(), pct)
}

fn pass_cell(pass: Option<bool>) -> ToneCell {
    match pass {
        Some(true) => ToneCell::text("pass").toned(Tone::Good),
        Some(false) => ToneCell::text("FAIL").toned(Tone::Bad),
        None => ToneCell::text("n/a").toned(Tone::Muted),
    }
}

fn conc(v: f64) -> String {
    whole(v)
}

/// Per metric: points, MAPE, bias, worst error, and where both sides come from.
pub fn metrics_table(
    title: &str,
    metrics: &std::collections::BTreeMap<&'static str, MetricSummary>,
) -> ReportTable {
    let rows = AuditMetric::ALL
        .into_iter()
        .filter_map(|m| {
            let s = metrics.get(m.key())?;
            Some(vec![
                ToneCell::text(m.key()),
                ToneCell::text(m.unit()).toned(Tone::Muted),
                ToneCell::num(s.n.to_string()),
                ToneCell::num(s.interpolated.to_string()),
                ToneCell::num(pct_opt(s.mape_pct)),
                ToneCell::num(signed_opt(s.bias_pct)),
                ToneCell::num(pct_opt(s.max_abs_error_pct)),
                ToneCell::text(m.predicted_column()),
                ToneCell::text(m.measured_source()),
            ])
        })
        .collect();
    ReportTable {
        title: title.into(),
        headers: [
            "metric",
            "unit",
            "points",
            "interp.",
            "MAPE",
            "bias",
            "max |err|",
            "predicted column",
            "measured",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// Every audited (point, metric): predicted, measured, signed error.
pub fn points_table(s: &SweepAudit) -> ReportTable {
    let rows = s
        .points
        .iter()
        .map(|p| {
            let how = match p.between {
                Some([a, b]) => format!("interpolated {a}..{b}"),
                None => "exact".into(),
            };
            let tone = if p.abs_error_pct > 20.0 {
                Tone::Bad
            } else {
                Tone::Plain
            };
            vec![
                ToneCell::num(conc(p.concurrency)),
                ToneCell::num(p.measured_concurrency.to_string()),
                ToneCell::text(p.metric),
                ToneCell::num(human(p.predicted)),
                ToneCell::num(human(p.measured)),
                ToneCell::num(pct(p.error_pct)).toned(tone),
                ToneCell::text(how).toned(if p.interpolated {
                    Tone::Plain
                } else {
                    Tone::Muted
                }),
            ]
        })
        .collect();
    ReportTable {
        title: format!("{}: predicted vs measured", s.label),
        headers: [
            "conc/replica",
            "measured conc",
            "metric",
            "predicted",
            "measured",
            "error",
            "prediction",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// Predicted vs measured SLA verdict per audited point.
pub fn sla_table(s: &SweepAudit) -> Option<ReportTable> {
    let sla = s.sla_agreement.as_ref()?;
    let rows = sla
        .rows
        .iter()
        .map(|r| {
            let agree = match r.agree {
                Some(true) => ToneCell::text("yes").toned(Tone::Good),
                Some(false) => ToneCell::text("NO").toned(Tone::Bad),
                None => ToneCell::text("n/a").toned(Tone::Muted),
            };
            vec![
                ToneCell::num(conc(r.concurrency)),
                ToneCell::num(r.measured_concurrency.to_string()),
                ToneCell::num(human(r.predicted_ttft_ms)),
                ToneCell::num(human(r.predicted_tpot_ms)),
                pass_cell(Some(r.predicted_pass)),
                ToneCell::num(human_opt(r.measured_ttft_ms)),
                ToneCell::num(human_opt(r.measured_tpot_ms)),
                pass_cell(r.measured_pass),
                agree,
            ]
        })
        .collect();
    Some(ReportTable {
        title: format!(
            "{}: SLA agreement (avg TTFT <= {} ms, avg TPOT <= {} ms)",
            s.label,
            whole(sla.ttft_ms),
            whole(sla.tpot_ms)
        ),
        headers: [
            "conc/replica",
            "measured conc",
            "pred TTFT",
            "pred TPOT",
            "predicted",
            "meas TTFT",
            "meas TPOT",
            "measured",
            "agree",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// Measured points (or metrics of them) not audited, with the reason.
pub fn skipped_table(a: &Audit, sweep: &str) -> Option<ReportTable> {
    let rows: Vec<Vec<ToneCell>> = a
        .skipped
        .iter()
        .filter(|k| k.sweep == sweep)
        .map(|k| {
            vec![
                ToneCell::num(k.measured_concurrency.map_or("-".into(), |c| c.to_string())),
                ToneCell::text(k.metric.unwrap_or("(all)")),
                ToneCell::text(k.reason.to_string()),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| ReportTable {
        title: format!("{sweep}: skipped"),
        headers: ["measured conc", "metric", "reason"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// AIConfigurator's rank order against the measured best tokens/s/gpu meeting the SLA.
pub fn ranking_table(a: &Audit) -> Option<ReportTable> {
    let r = a.ranking.as_ref()?;
    let rows = r
        .rows
        .iter()
        .map(|x| {
            let best = Some(x.rank) == r.best_measured_rank;
            vec![
                ToneCell::num(x.rank.to_string()),
                ToneCell::text(x.sweep.clone()),
                ToneCell::text(x.config.clone()),
                ToneCell::num(human(x.predicted_tokens_s_gpu)),
                ToneCell::num(x.predicted_concurrency.to_string()),
                ToneCell::num(human_opt(x.measured_best_tokens_s_gpu)).toned(if best {
                    Tone::Good
                } else {
                    Tone::Plain
                }),
                ToneCell::num(
                    x.measured_at_concurrency
                        .map_or("-".into(), |c| c.to_string()),
                ),
                ToneCell::num(signed_opt(x.error_pct)),
            ]
        })
        .collect();
    Some(ReportTable {
        title: "Ranks: predicted vs measured best tokens/s/gpu meeting the SLA".into(),
        headers: [
            "rank",
            "sweep",
            "config",
            "predicted tok/s/gpu",
            "at conc",
            "measured best",
            "at conc",
            "error",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// Facts about the predictions, one per line.
pub fn predicted_facts(a: &Audit) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let u = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
    vec![
        format!("Predicted: {}", a.predicted_dir),
        format!(
            "  model {}, system {}, backend {} {}, AIConfigurator {}",
            opt(&a.model),
            opt(&a.system),
            opt(&a.backend),
            opt(&a.backend_version),
            opt(&a.aiconfigurator_version)
        ),
        format!(
            "  workload ISL {} / OSL {}, cluster {} GPUs, SLA {}",
            u(a.isl),
            u(a.osl),
            u(a.total_gpus),
            a.sla.as_ref().map_or("unknown".into(), |s| format!(
                "avg TTFT <= {} ms, avg TPOT <= {} ms",
                whole(s.ttft_ms),
                whole(s.tpot_ms)
            ))
        ),
        format!("Measured statistic: {}", a.measured_statistic),
        "Error = (measured - predicted) / predicted * 100 (+: measured above predicted); MAPE = mean |error|; bias = mean error.".into(),
        "Each prediction is per replica: measured concurrency and request rate are divided by the replicas, output tokens/s by the GPUs used.".into(),
    ]
}

/// Facts about one sweep's config, one per line.
pub fn sweep_facts(s: &SweepAudit) -> Vec<String> {
    let rank = s.rank.map_or("not ranked".into(), |r| format!("rank {r}"));
    vec![
        format!("Measured: {}", s.path),
        format!(
            "Config: {}/ {} ({rank}, {}) — chosen by {}",
            s.experiment, s.config, s.mode, s.why
        ),
        format!(
            "Replicas: {} x {} GPUs = {} GPUs (from {}); per-replica concurrency = measured / {}",
            s.replicas, s.gpus_per_replica, s.gpus, s.gpus_from, s.replicas
        ),
        format!(
            "Predicted curve: {} rows of {} in {}, concurrency {}..{}",
            s.predicted_curve.len(),
            s.config,
            s.predicted_file,
            s.predicted_range[0],
            s.predicted_range[1]
        ),
    ]
}
