//! aiperf's summary over repeated runs (`--num-profile-runs N`):
//! `aggregate/profile_export_aiperf_aggregate.json`, or per sweep value
//! `aggregate/concurrency_<C>/profile_export_aiperf_aggregate.json`. Each metric is
//! `<tag>_<stat>: {mean, std, min, max, cv, ...}` over the runs. The per-run directories
//! (`profile_runs/run_NNNN/`) are the evidence; this file cross-checks their mean and stands in
//! for them when they are missing. `aggregate/sweep_aggregate/` ranks sweep values: no point.

use std::collections::BTreeMap;
use std::path::Path;

use super::table::{apply_table, round_tokens, MetricTable, TagStats, USED_TAGS};
use crate::ingest::fields::{parse_json, Fields};
use crate::ingest::read_text;
use crate::model::{Metric, Point, RunsSummary, Source, Stat};
use crate::util::error::ReadError;

/// An aiperf summary over several runs of one load point (not the sweep ranking).
pub fn sniff(path: &Path, head: &str) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with("_aggregate.json")
        && head.contains("\"aggregation_type\"")
        && head.contains("\"confidence\"")
}

/// Reads the summary as one point whose metrics are aiperf's means over the runs, with the run
/// count in `runs_summary`.
pub fn read(path: &Path) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    let meta = f
        .opt_obj("metadata", "metadata.")?
        .ok_or_else(|| ReadError::field(path, "metadata", "an object, but it is missing"))?;
    let metrics = f
        .opt_obj("metrics", "metrics.")?
        .ok_or_else(|| ReadError::field(path, "metrics", "an object, but it is missing"))?;
    let table = table_of(&metrics, "mean")?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no aiperf metrics (time_to_first_token_avg, ...) in this summary",
        ));
    }
    let mut p = Point::new(Source::Aiperf, path);
    p.tool_version = f.opt_str("aiperf_version")?.map(str::to_string);
    p.model = meta.opt_str("model")?.map(str::to_string);
    apply_table(&mut p, path, &table)?;
    if p.get(Metric::RequestsFailed).is_none() {
        // error_request_count is written only when some request failed.
        p.set(Metric::RequestsFailed, 0.0);
    }
    p.isl = round_tokens(p.get(Metric::InputTokensAvg));
    p.osl = round_tokens(p.get(Metric::OutputTokensAvg));
    if let Some(values) = meta.opt_obj("variation_values", "metadata.variation_values.")? {
        p.concurrency = values.opt_u64("phases.profiling.concurrency")?;
    }
    let runs = meta
        .opt_u64("num_successful_runs")?
        .or(meta.opt_u64("num_profile_runs")?)
        .ok_or_else(|| {
            ReadError::field(
                path,
                "metadata.num_successful_runs",
                "a run count, but it is missing",
            )
        })?;
    p.runs_summary = Some(RunsSummary {
        runs: u32::try_from(runs).unwrap_or(u32::MAX),
        cv: run_to_run_cv(&p, path, &metrics)?,
    });
    Ok(vec![p])
}

/// The run-to-run CV (sample std / mean over the runs) of each metric of `p`: the only noise
/// estimate there is when the runs are missing. Taken as std / mean of the mapped metrics, so
/// unit conversions cancel.
fn run_to_run_cv(
    p: &Point,
    path: &Path,
    metrics: &Fields,
) -> Result<BTreeMap<Metric, f64>, ReadError> {
    let mut std = Point::new(Source::Aiperf, path);
    apply_table(&mut std, path, &table_of(metrics, "std")?)?;
    Ok(std
        .metrics
        .iter()
        .filter_map(|(m, s)| {
            let mean = p.get(*m).filter(|v| *v != 0.0)?;
            Some((*m, s / mean))
        })
        .collect())
}

/// `<tag>_<stat>.<field>` (`mean`, `std`) for the tags the export reader uses, as the export's
/// metric table.
fn table_of(metrics: &Fields, field: &str) -> Result<MetricTable, ReadError> {
    let mut table = MetricTable::new();
    for tag in USED_TAGS {
        for stat in Stat::ALL {
            let key = format!("{tag}_{}", stat.key());
            let prefix = format!("metrics.{key}.");
            let Some(block) = metrics.opt_obj(&key, &prefix)? else {
                continue;
            };
            let Some(value) = block.opt_nonneg(field)? else {
                continue;
            };
            let ts = table.entry((*tag).to_string()).or_insert_with(|| TagStats {
                at: format!("field `{prefix}unit`"),
                ..TagStats::default()
            });
            if ts.unit.is_none() {
                ts.unit = block.opt_str("unit")?.map(str::to_string);
            }
            ts.values.insert(stat.key().to_string(), value);
        }
    }
    Ok(table)
}
