//! aiperf artifact directories (`aiperf profile --artifact-dir D`).
//!
//! A directory is an aiperf point when it directly holds the aggregate export
//! (`profile_export_aiperf.json`, any name: `--profile-export-prefix` renames it), or,
//! when that is missing, the aggregate CSV. The per-request `profile_export.jsonl` adds
//! the profiled requests. `phases/*`, timeslices, raw and server-metrics exports are
//! never read. See docs/formats.md.
//!
//! The metric-table helpers here are shared with the genai-perf reader: aiperf 0.2
//! copied the GenAI-Perf JSON and CSV layouts.
//!
//! Modules by role: [`table`] (metric tables, shared with genai-perf), [`export`] (the JSON
//! and CSV aggregate exports), [`records`] (the per-request JSONL and its fast path).

pub mod aggregate;
mod export;
mod records;
mod table;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use super::fields::{kind, parse_json, Fields};
use super::{read_head, read_text, ReadCtx};
use crate::model::Point;
use crate::util::error::ReadError;
use export::{read_csv_export, read_json_export};

pub(crate) use export::first_string;
pub(crate) use table::*;

/// Written by aiperf >= 0.10 when the results are final: `{"ready","was_cancelled","partial"}`.
const READY_MARKER: &str = ".aiperf_results_ready.json";

/// Names of files in an artifact dir that are never the aggregate export.
const SKIP_NAME_PARTS: &[&str] = &[
    "inputs.json",
    "outputs.json",
    "phase_manifest",
    "aiperf_results_ready",
    "server_metrics",
    "timeslices",
    "_aggregate",
    "_collated",
    "gpu_telemetry",
    "genai_perf",
    "_raw",
    "network_latency",
];

fn metric_key_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#""(time_to_first_token|inter_token_latency|request_latency|request_throughput)"\s*:\s*\{"#)
            .expect("static regex")
    })
}

/// The head of a JSON file holds a GenAI-Perf-style metric block (`"request_latency": {`).
pub(crate) fn has_metric_block(head: &str) -> bool {
    metric_key_re().is_match(head)
}

/// Keys only aiperf writes (genai-perf has none of them).
pub(crate) fn has_aiperf_markers(head: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#""(aiperf_version|was_cancelled|is_complete)"\s*:|"records"\s*:\s*\{"#)
            .expect("static regex")
    });
    re.is_match(head)
}

/// aiperf <= 0.1.1 nests the metric blocks under `records`.
fn has_records_block(head: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#""records"\s*:\s*\{"#).expect("static regex"))
        .is_match(head)
}

fn starts_with_object(head: &str) -> bool {
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn skipped_name(name: &str) -> bool {
    SKIP_NAME_PARTS.iter().any(|s| name.contains(s))
}

/// Whether a JSON file's head looks like an aiperf aggregate export (by content; the
/// name only breaks the tie with a genai-perf export, which has no aiperf-only keys).
fn is_aggregate_json_head(name: &str, head: &str) -> bool {
    if skipped_name(name) || !starts_with_object(head) {
        return false;
    }
    let metrics = has_metric_block(head);
    let version = head.contains("\"aiperf_version\"");
    let status = head.contains("\"was_cancelled\"") || head.contains("\"is_complete\"");
    let records = has_records_block(head);
    (version && (metrics || status))
        || (records && metrics)
        || (metrics && status)
        || (metrics && name.contains("aiperf"))
}

/// Whether a CSV head is aiperf's aggregate CSV: `Metric,avg,min,max,` then `p1` or `sum`
/// (genai-perf's descending header has `p99` there).
pub(crate) fn is_aiperf_csv_head(head: &str) -> bool {
    let first = head
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let cols: Vec<&str> = first.split(',').map(str::trim).collect();
    cols.len() > 4
        && cols[..4] == ["Metric", "avg", "min", "max"]
        && matches!(cols[4], "p1" | "sum")
}

/// Regular files directly in `dir`, sorted by name.
fn dir_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// The aggregate exports of an artifact dir: JSON files, or else the CSV.
enum Exports {
    Json(Vec<PathBuf>),
    Csv(PathBuf),
    None,
}

fn find_exports(dir: &Path) -> Exports {
    // aiperf >= 0.10 also writes per-phase copies under phases/<name>/: never a point.
    if dir
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "phases")
    {
        return Exports::None;
    }
    let files = dir_files(dir);
    let json: Vec<PathBuf> = files
        .iter()
        .filter(|p| has_ext(p, "json"))
        .filter(|p| read_head(p).is_ok_and(|h| is_aggregate_json_head(&file_name(p), &h)))
        .cloned()
        .collect();
    if !json.is_empty() {
        return Exports::Json(json);
    }
    let csv = files
        .iter()
        .filter(|p| has_ext(p, "csv") && !skipped_name(&file_name(p)))
        .find(|p| read_head(p).is_ok_and(|h| is_aiperf_csv_head(&h)));
    if let Some(p) = csv {
        return Exports::Csv(p.clone());
    }
    // Nothing readable, but aiperf's own export name (empty, cut short, garbage): claim it so
    // the reader says what is wrong with it instead of the run vanishing.
    let named: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| file_name(p).ends_with("_aiperf.json") && !skipped_name(&file_name(p)))
        .collect();
    if named.is_empty() {
        Exports::None
    } else {
        Exports::Json(named)
    }
}

/// The directory directly holds an aiperf aggregate export.
pub fn sniff_dir(dir: &Path) -> bool {
    !matches!(find_exports(dir), Exports::None)
}

pub fn read_dir(dir: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    check_ready_marker(dir)?;
    match find_exports(dir) {
        Exports::Json(files) => {
            let single = files.len() == 1;
            let mut points = Vec::new();
            for json in &files {
                points.push(read_json_export(dir, json, single, ctx)?);
            }
            Ok(points)
        }
        Exports::Csv(csv) => Ok(vec![read_csv_export(dir, &csv, ctx)?]),
        Exports::None => Err(ReadError::file(
            dir,
            "no aiperf aggregate export (profile_export_aiperf.json or .csv) here",
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Run status

/// `.aiperf_results_ready.json` says whether the results are final.
fn check_ready_marker(dir: &Path) -> Result<(), ReadError> {
    let path = dir.join(READY_MARKER);
    if !path.is_file() {
        return Ok(());
    }
    let text = read_text(&path)?;
    let value = parse_json(&path, &text)?;
    let f = Fields::new(&path, &value)?;
    if f.opt_bool("was_cancelled")? == Some(true) {
        return Err(ReadError::new(
            &path,
            "field `was_cancelled`",
            "the run was cancelled; its results are partial",
        ));
    }
    if f.opt_bool("partial")? == Some(true) {
        return Err(ReadError::new(
            &path,
            "field `partial`",
            "aiperf marks the results as partial",
        ));
    }
    if f.opt_bool("ready")? == Some(false) {
        return Err(ReadError::new(
            &path,
            "field `ready`",
            "aiperf marks the results as not ready (unfinished run)",
        ));
    }
    Ok(())
}

/// `was_cancelled: true` or `is_complete: false` (0.13+) make the numbers partial.
fn check_status(f: &Fields) -> Result<(), ReadError> {
    if f.opt_bool("was_cancelled")? == Some(true) {
        return Err(ReadError::new(
            f.path,
            "field `was_cancelled`",
            "the run was cancelled (was_cancelled: true); its numbers cover only part of the run",
        ));
    }
    if f.opt_bool("is_complete")? == Some(false) {
        return Err(ReadError::new(
            f.path,
            "field `is_complete`",
            "the run did not complete (is_complete: false); its numbers cover only part of the run",
        ));
    }
    Ok(())
}

/// Non-empty `error_summary` -> a warning; returns the total error count it lists.
fn warn_error_summary(f: &Fields, ctx: &mut ReadCtx) -> Result<Option<f64>, ReadError> {
    let Some(list) = f.opt_array("error_summary")? else {
        return Ok(None);
    };
    let mut total = 0.0;
    let mut parts = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let prefix = format!("error_summary[{i}].");
        let Some(obj) = item.as_object() else {
            return Err(ReadError::field(
                f.path,
                &format!("error_summary[{i}]"),
                format!("an object, found {}", kind(item)),
            ));
        };
        let e = Fields {
            path: f.path,
            obj,
            prefix: &prefix,
        };
        let count = e.opt_nonneg("count")?.unwrap_or(0.0);
        total += count;
        let details_prefix = format!("{prefix}error_details.");
        let what = match e.opt_obj("error_details", &details_prefix)? {
            Some(d) => {
                let typ = d.opt_str("type")?.unwrap_or("error");
                let code = d
                    .opt_f64("code")?
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default();
                let msg: String = d
                    .opt_str("message")?
                    .unwrap_or("")
                    .chars()
                    .take(120)
                    .collect();
                format!("{typ}{code}: {msg}")
            }
            None => "unknown error".to_string(),
        };
        parts.push(format!("{count} x {what}"));
    }
    if !parts.is_empty() {
        ctx.warn(
            f.path,
            format!("{total} requests failed: {}", parts.join("; ")),
        );
    }
    Ok(Some(total))
}

#[cfg(test)]
mod tests;
