//! One measured sweep against its config's predicted curve: every measured point at its
//! per-replica concurrency, every audited metric, and the SLA verdicts of both sides.

use super::curve::{locate, predicted_curve, value_at, At, Note, PredictedRow};
use super::error::AuditError;
use super::metrics::AuditMetric;
use super::pick::{select, Selection};
use super::{
    run_sla, summarize, AuditPoint, AuditSettings, GpusFrom, MeasuredPoint, MeasuredSweep,
    SkipReason, Skipped, SlaAgreement, SlaRow, SweepAudit,
};
use crate::analyze::pareto::pareto_frontier;
use crate::analyze::sla::Sla;
use crate::model::{AicRun, Latency, Point};

/// GPUs the sweep ran on and the replicas they make.
#[derive(Clone, Copy, Debug)]
struct Scale {
    gpus: u64,
    replicas: u64,
}

/// What walking the measured points collects.
#[derive(Default)]
struct Walk {
    points: Vec<AuditPoint>,
    skipped: Vec<Skipped>,
    sla_rows: Vec<SlaRow>,
    measured: Vec<MeasuredPoint>,
    /// (per-replica, measured) concurrency of each point meeting the SLA.
    passing: Vec<(f64, u64)>,
    /// No point failed (or lacked) the SLA.
    all_pass: bool,
}

/// The sweep and config being audited, shared by every point.
struct Target<'a> {
    sweep: &'a MeasuredSweep<'a>,
    sel: &'a Selection<'a>,
    curve: &'a [PredictedRow],
    sla: Option<&'a Sla>,
    scale: Scale,
}

pub(super) fn audit_sweep(
    run: &AicRun,
    s: &MeasuredSweep,
    settings: &AuditSettings,
) -> Result<SweepAudit, AuditError> {
    let sel = select(run, settings.mode.as_deref(), &s.pick)?;
    let (curve, mut notes) = predicted_curve(run, sel.exp, &sel.config)?;
    let per_replica = sel.row.num_total_gpus;
    let (gpus, replicas, gpus_from) = replicas(settings.gpus, per_replica, &sel.config)?;
    let range = [
        curve.first().map_or(0, |r| r.concurrency),
        curve.last().map_or(0, |r| r.concurrency),
    ];
    let predicted_file = sel.exp.pareto_csv.clone();
    let predicted_file = predicted_file.unwrap_or_else(|| sel.exp.dir.join("pareto.csv"));
    let predicted_file = predicted_file.display().to_string();
    let sla = run_sla(run);
    let target = Target {
        sweep: s,
        sel: &sel,
        curve: &curve,
        sla: sla.as_ref(),
        scale: Scale { gpus, replicas },
    };
    let mut walk = Walk {
        all_pass: true,
        ..Walk::default()
    };
    for p in s.points {
        walk.point(&target, p, range);
    }
    if walk.points.is_empty() && !s.points.is_empty() {
        return Err(no_overlap(&target, predicted_file, range));
    }
    let file = match sel.rank {
        Some(_) => "best_config_topn.csv",
        None => "pareto.csv",
    };
    let pick = PredictedRow::from_row(sel.row, file, run);
    let all_pass = walk.all_pass && !s.points.is_empty();
    let sla_agreement = sla
        .as_ref()
        .map(|sla| agreement(sla, &curve, &pick, &mut walk, all_pass));
    if sla.is_none() {
        notes.push(Note::SlaUnknown);
    }
    let mut measured_concurrencies: Vec<u64> =
        s.points.iter().filter_map(|p| p.concurrency).collect();
    measured_concurrencies.sort_unstable();
    let predicted_frontier = efficiency_frontier(curve.iter().map(|r| {
        (
            r.get(AuditMetric::TokensPerSUser),
            r.get(AuditMetric::TokensPerSGpu),
        )
    }));
    let measured_frontier = efficiency_frontier(walk.measured.iter().map(|p| {
        (
            p.get(AuditMetric::TokensPerSUser),
            p.get(AuditMetric::TokensPerSGpu),
        )
    }));
    Ok(SweepAudit {
        label: s.label.clone(),
        path: s.path.clone(),
        experiment: sel.exp.name.clone(),
        mode: sel.exp.mode.clone(),
        rank: sel.rank,
        config: sel.config.clone(),
        why: sel.why.clone(),
        gpus_per_replica: per_replica,
        gpus,
        gpus_from,
        replicas,
        predicted_file,
        predicted_range: range,
        predicted_pick: pick,
        predicted_curve: curve,
        measured_concurrencies,
        metrics: summarize(&walk.points),
        sla_agreement,
        notes,
        points: walk.points,
        skipped: walk.skipped,
        measured: walk.measured,
        predicted_frontier,
        measured_frontier,
    })
}

/// The Pareto frontier of (tokens/s/user, tokens/s/gpu) pairs, as indexes into the input;
/// entries missing either value are never on it.
fn efficiency_frontier(xy: impl Iterator<Item = (Option<f64>, Option<f64>)>) -> Vec<usize> {
    let xy: Vec<(f64, f64)> = xy
        .map(|(x, y)| (x.unwrap_or(f64::NAN), y.unwrap_or(f64::NAN)))
        .collect();
    pareto_frontier(&xy)
}

impl Walk {
    /// Leaves out a point (`metric` None) or one metric of it, with the reason.
    fn skip(
        &mut self,
        t: &Target,
        p: &Point,
        (concurrency, metric): (Option<f64>, Option<&'static str>),
        reason: SkipReason,
    ) {
        self.skipped.push(Skipped {
            sweep: t.sweep.label.clone(),
            measured_concurrency: p.concurrency,
            concurrency,
            metric,
            reason,
            path: p.path.display().to_string(),
        });
    }

    /// One measured point: its scaled values, then each metric against the curve.
    fn point(&mut self, t: &Target, p: &Point, range: [u64; 2]) {
        let Some(mc) = p.concurrency else {
            self.skip(t, p, (None, None), SkipReason::NoConcurrency);
            return;
        };
        let Scale { gpus, replicas } = t.scale;
        let c = mc as f64 / replicas as f64;
        let measured_pass = t.sla.and_then(|sla| sla.check(p).pass());
        match measured_pass {
            Some(true) => self.passing.push((c, mc)),
            _ => self.all_pass = false,
        }
        self.measured.push(MeasuredPoint {
            concurrency: c,
            measured_concurrency: mc,
            values: AuditMetric::ALL
                .into_iter()
                .filter_map(|m| Some((m.key(), m.measured(p, gpus, replicas)?)))
                .collect(),
            meets_sla: measured_pass,
        });
        let at = locate(t.curve, c);
        if at == At::Outside {
            let reason = SkipReason::OutsideRange {
                concurrency: c,
                range,
                config: t.sel.config.clone(),
            };
            self.skip(t, p, (Some(c), None), reason);
            return;
        }
        self.metrics(t, p, (c, mc), at);
        self.sla_row(t, p, (c, mc), at, measured_pass);
    }

    /// Each audited metric of one point against the curve at `at`.
    fn metrics(&mut self, t: &Target, p: &Point, (c, mc): (f64, u64), at: At) {
        let Scale { gpus, replicas } = t.scale;
        let between = match at {
            At::Between(a, b, _) => Some([
                t.curve.get(a).map_or(0, |r| r.concurrency),
                t.curve.get(b).map_or(0, |r| r.concurrency),
            ]),
            _ => None,
        };
        for m in AuditMetric::ALL {
            let reason = match (value_at(t.curve, at, m), m.measured(p, gpus, replicas)) {
                (None, _) => SkipReason::NoPredictedColumn(m.predicted_column()),
                (_, None) => SkipReason::NoMeasuredField(m.measured_field()),
                (Some(0.0), _) => SkipReason::ZeroPrediction,
                (Some(predicted), Some(measured)) => {
                    let error_pct = (measured - predicted) / predicted * 100.0;
                    self.points.push(AuditPoint {
                        sweep: t.sweep.label.clone(),
                        rank: t.sel.rank,
                        config: t.sel.config.clone(),
                        concurrency: c,
                        measured_concurrency: mc,
                        metric: m.key(),
                        predicted,
                        measured,
                        error_pct,
                        abs_error_pct: error_pct.abs(),
                        interpolated: between.is_some(),
                        between,
                        path: p.path.display().to_string(),
                    });
                    continue;
                }
            };
            self.skip(t, p, (Some(c), Some(m.key())), reason);
        }
    }

    /// Predicted and measured SLA verdicts at one point, when the SLA is known.
    fn sla_row(
        &mut self,
        t: &Target,
        p: &Point,
        (c, mc): (f64, u64),
        at: At,
        measured_pass: Option<bool>,
    ) {
        let (Some(sla), Some(pt), Some(pp)) = (
            t.sla,
            value_at(t.curve, at, AuditMetric::Ttft),
            value_at(t.curve, at, AuditMetric::Tpot),
        ) else {
            return;
        };
        let Scale { gpus, replicas } = t.scale;
        let predicted_pass = pt <= limit(sla, Latency::Ttft) && pp <= limit(sla, Latency::Tpot);
        self.sla_rows.push(SlaRow {
            concurrency: c,
            measured_concurrency: mc,
            interpolated: matches!(at, At::Between(..)),
            predicted_ttft_ms: pt,
            predicted_tpot_ms: pp,
            predicted_pass,
            measured_ttft_ms: AuditMetric::Ttft.measured(p, gpus, replicas),
            measured_tpot_ms: AuditMetric::Tpot.measured(p, gpus, replicas),
            measured_pass,
            agree: measured_pass.map(|m| m == predicted_pass),
        });
    }
}

/// Not one measured point falls on the predicted curve.
fn no_overlap(t: &Target, predicted_file: String, range: [u64; 2]) -> AuditError {
    let replicas = t.scale.replicas;
    AuditError::NoOverlap {
        measured_path: t.sweep.path.clone(),
        measured: t
            .sweep
            .points
            .iter()
            .filter_map(|p| p.concurrency)
            .map(|c| c as f64 / replicas as f64)
            .collect(),
        replicas,
        predicted_file,
        config: t.sel.config.clone(),
        range,
    }
}

fn agreement(
    sla: &Sla,
    curve: &[PredictedRow],
    pick: &PredictedRow,
    walk: &mut Walk,
    all_measured_pass: bool,
) -> SlaAgreement {
    let rows = std::mem::take(&mut walk.sla_rows);
    SlaAgreement {
        ttft_ms: limit(sla, Latency::Ttft),
        tpot_ms: limit(sla, Latency::Tpot),
        agree: rows.iter().filter(|r| r.agree == Some(true)).count(),
        disagree: rows.iter().filter(|r| r.agree == Some(false)).count(),
        rows,
        // The ranked row counts too: it may sit below the pareto rows (rank 2 at concurrency 1).
        predicted_highest: curve
            .iter()
            .chain([pick])
            .filter(|r| r.meets_sla == Some(true))
            .map(|r| r.concurrency)
            .max(),
        measured_highest: walk.passing.iter().map(|x| x.0).reduce(f64::max),
        measured_highest_run: walk.passing.iter().map(|x| x.1).max(),
        all_measured_pass,
    }
}

fn limit(sla: &Sla, lat: Latency) -> f64 {
    sla.targets
        .iter()
        .find(|t| t.latency == lat)
        .map_or(f64::INFINITY, |t| t.limit_ms)
}

/// GPUs used and replicas: one replica unless `gpus` says more (a whole number of them).
pub(super) fn replicas(
    gpus: Option<u64>,
    per_replica: u64,
    config: &str,
) -> Result<(u64, u64, GpusFrom), AuditError> {
    if per_replica == 0 {
        return Err(AuditError::NoGpusPerReplica {
            config: config.to_string(),
        });
    }
    match gpus {
        None => Ok((per_replica, 1, GpusFrom::OneReplica)),
        Some(n) if n == 0 || n % per_replica != 0 => Err(AuditError::GpusNotWhole {
            gpus: n,
            config: config.to_string(),
            per_replica,
        }),
        Some(n) => Ok((n, n / per_replica, GpusFrom::Given)),
    }
}
