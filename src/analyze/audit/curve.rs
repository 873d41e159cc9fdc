//! The predicted curve of the audited config, and reading it at any concurrency
//! (linear interpolation between the neighbouring predicted concurrencies).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::error::AuditError;
use super::metrics::AuditMetric;
use crate::model::{AicExperiment, AicRow, AicRun};

/// Something the reader of an audit should know about its inputs.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// pareto.csv had fewer than two rows of the config; best_config_topn.csv rows were added.
    BorrowedRows {
        pareto_csv: PathBuf,
        config: String,
        pareto_rows: usize,
        added: usize,
    },
    /// Two rows of the config at one concurrency; the higher tokens/s/gpu was kept.
    DuplicateConcurrency {
        file: &'static str,
        rows: [usize; 2],
        config: String,
        concurrency: u64,
        kept_row: usize,
        kept_tokens_s_gpu: f64,
        dropped_tokens_s_gpu: f64,
    },
    /// The run's SLA is unknown, so there is no SLA agreement.
    SlaUnknown,
}

/// One predicted concurrency of the audited config.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictedRow {
    /// Per-replica concurrency.
    pub concurrency: u64,
    /// `pareto.csv` or `best_config_topn.csv`.
    pub file: &'static str,
    /// 1-based data row in that file.
    pub row: usize,
    /// Predicted value per audited metric key (missing when the CSV lacks the column).
    pub values: BTreeMap<&'static str, f64>,
    pub meets_sla: Option<bool>,
}

impl PredictedRow {
    pub(super) fn from_row(row: &AicRow, file: &'static str, run: &AicRun) -> PredictedRow {
        PredictedRow {
            concurrency: row.concurrency,
            file,
            row: row.row,
            values: AuditMetric::ALL
                .into_iter()
                .filter_map(|m| Some((m.key(), m.predicted(row).filter(|v| v.is_finite())?)))
                .collect(),
            meets_sla: run.row_meets_sla(row),
        }
    }

    pub fn get(&self, m: AuditMetric) -> Option<f64> {
        self.values.get(m.key()).copied()
    }
}

/// The config's rows of `pareto.csv` sorted by concurrency (plus its `best_config_topn.csv`
/// rows when pareto.csv has fewer than two), one per concurrency.
pub fn predicted_curve(
    run: &AicRun,
    exp: &AicExperiment,
    config: &str,
) -> Result<(Vec<PredictedRow>, Vec<Note>), AuditError> {
    let Some(pareto) = &exp.pareto_csv else {
        return Err(AuditError::NoParetoCsv {
            pareto_csv: exp.dir.join("pareto.csv"),
            config: config.to_string(),
        });
    };
    let of_config = |r: &&AicRow| r.parallel.as_deref() == Some(config);
    let mut rows: Vec<PredictedRow> = exp
        .pareto
        .iter()
        .filter(of_config)
        .map(|r| PredictedRow::from_row(r, "pareto.csv", run))
        .collect();
    let mut notes = Vec::new();
    if rows.len() < 2 {
        let extra: Vec<PredictedRow> = exp
            .best_topn
            .iter()
            .filter(of_config)
            .filter(|r| !rows.iter().any(|p| p.concurrency == r.concurrency))
            .map(|r| PredictedRow::from_row(r, "best_config_topn.csv", run))
            .collect();
        notes.push(Note::BorrowedRows {
            pareto_csv: pareto.clone(),
            config: config.to_string(),
            pareto_rows: rows.len(),
            added: extra.len(),
        });
        rows.extend(extra);
    }
    if rows.is_empty() {
        return Err(AuditError::NoCurveRows {
            pareto_csv: pareto.clone(),
            config: config.to_string(),
        });
    }
    rows.sort_by_key(|r| (r.concurrency, r.row));
    notes.extend(dedupe_concurrency(&mut rows, config));
    Ok((rows, notes))
}

/// Several rows of one config at one concurrency (different batching): keeps the one with
/// the highest tokens/s/gpu, the one AIConfigurator's ranking would favour.
pub(super) fn dedupe_concurrency(rows: &mut Vec<PredictedRow>, config: &str) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut kept: Vec<PredictedRow> = Vec::new();
    for r in rows.drain(..) {
        let tput = |x: &PredictedRow| x.get(AuditMetric::TokensPerSGpu).unwrap_or(f64::MIN);
        match kept.last_mut() {
            Some(prev) if prev.concurrency == r.concurrency => {
                let (keep, drop) = if tput(&r) > tput(prev) {
                    (r, prev.clone())
                } else {
                    (prev.clone(), r)
                };
                notes.push(Note::DuplicateConcurrency {
                    file: keep.file,
                    rows: [keep.row.min(drop.row), keep.row.max(drop.row)],
                    config: config.to_string(),
                    concurrency: keep.concurrency,
                    kept_row: keep.row,
                    kept_tokens_s_gpu: tput(&keep),
                    dropped_tokens_s_gpu: tput(&drop),
                });
                *prev = keep;
            }
            _ => kept.push(r),
        }
    }
    *rows = kept;
    notes
}

/// Where a per-replica concurrency falls on the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum At {
    Exact(usize),
    /// Between rows `lo` and `hi`, at fraction `t` from lo.
    Between(usize, usize, f64),
    Outside,
}

pub(super) fn locate(curve: &[PredictedRow], c: f64) -> At {
    if let Some(i) = curve.iter().position(|r| r.concurrency as f64 == c) {
        return At::Exact(i);
    }
    let lo = curve.iter().rposition(|r| (r.concurrency as f64) < c);
    let hi = curve.iter().position(|r| (r.concurrency as f64) > c);
    match (lo, hi) {
        (Some(lo), Some(hi)) => match (curve.get(lo), curve.get(hi)) {
            (Some(a), Some(b)) => {
                let (ca, cb) = (a.concurrency as f64, b.concurrency as f64);
                At::Between(lo, hi, (c - ca) / (cb - ca))
            }
            _ => At::Outside,
        },
        _ => At::Outside,
    }
}

/// The predicted value at a location; `None` when a needed row lacks the metric.
pub(super) fn value_at(curve: &[PredictedRow], at: At, m: AuditMetric) -> Option<f64> {
    match at {
        At::Exact(i) => curve.get(i)?.get(m),
        At::Between(lo, hi, t) => {
            let (a, b) = (curve.get(lo)?.get(m)?, curve.get(hi)?.get(m)?);
            Some(a + t * (b - a))
        }
        At::Outside => None,
    }
}
