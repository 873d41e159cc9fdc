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

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::fields::{kind, parse_json, Fields};
use super::{read_head, read_text, ReadCtx};
use crate::error::ReadError;
use crate::model::{latency_for, Metric, Point, RequestRow, Requests, Source, Stat};

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

// ---------------------------------------------------------------------------------------
// Metric tables (shared with genai-perf)

/// Statistics of one metric tag as the tool wrote them.
#[derive(Clone, Debug, Default)]
pub(crate) struct TagStats {
    pub unit: Option<String>,
    /// Stat key (`avg`, `p99`, ...) -> value in the tool's unit.
    pub values: BTreeMap<String, f64>,
    /// Where the tag is in the file, for unit errors (`field \`x.unit\``, `line 12`).
    pub at: String,
}

/// Metric tag -> statistics, read from a JSON export or a CSV.
pub(crate) type MetricTable = BTreeMap<String, TagStats>;

/// Tags the readers use; everything else in an export is ignored.
const USED_TAGS: &[&str] = &[
    "time_to_first_token",
    "inter_token_latency",
    "inter_chunk_latency",
    "request_latency",
    "request_throughput",
    "output_token_throughput",
    "total_token_throughput",
    "output_token_throughput_per_user",
    "goodput",
    "request_goodput",
    "benchmark_duration",
    "request_count",
    "error_request_count",
    "input_sequence_length",
    "output_sequence_length",
];

/// Reads the used metric blocks `{unit, avg, p50, ...}` of a JSON object.
pub(crate) fn table_from_json(obj: &Fields) -> Result<MetricTable, ReadError> {
    let mut table = MetricTable::new();
    for tag in USED_TAGS {
        let prefix = format!("{}{tag}.", obj.prefix);
        let Some(block) = obj.opt_obj(tag, &prefix)? else {
            continue;
        };
        let mut ts = TagStats {
            unit: block.opt_str("unit")?.map(str::to_string),
            at: format!("field `{prefix}unit`"),
            ..TagStats::default()
        };
        for stat in Stat::ALL {
            // Every used tag is a latency, rate, count or length: never negative.
            if let Some(v) = block.opt_nonneg(stat.key())? {
                ts.values.insert(stat.key().to_string(), v);
            }
        }
        table.insert((*tag).to_string(), ts);
    }
    Ok(table)
}

/// `Time To First Token (ms)` -> (`time_to_first_token`, `ms`).
pub(crate) fn display_name_to_tag(name: &str) -> (String, Option<String>) {
    let name = name.trim();
    let (base, unit) = match (name.ends_with(')'), name.rfind(" (")) {
        (true, Some(i)) => (
            &name[..i],
            Some(name[i + 2..name.len() - 1].trim().to_string()),
        ),
        _ => (name, None),
    };
    let tag = base.trim().to_lowercase().replace([' ', '-'], "_");
    (tag, unit)
}

/// Parses a CSV cell: thousands separators removed; empty and `N/A` are missing.
fn csv_number(path: &Path, line: u64, column: &str, cell: &str) -> Result<Option<f64>, ReadError> {
    let cell = cell.trim();
    if cell.is_empty() || cell.eq_ignore_ascii_case("n/a") {
        return Ok(None);
    }
    match cell.replace(',', "").parse::<f64>() {
        // Every used tag is a latency, rate, count or length: never negative.
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(ReadError::new(
            path,
            format!("line {line} column `{column}`"),
            format!("expected a number >= 0, found `{cell}`"),
        )),
    }
}

/// Reads the metric sections of an aiperf or genai-perf CSV. A row whose first cell is
/// `Metric` starts a section and names its columns (`avg,min,...` or `Value`); GPU
/// telemetry sections (first cell `Endpoint`) are skipped.
pub(crate) fn table_from_csv(path: &Path, text: &str) -> Result<MetricTable, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = MetricTable::new();
    let mut columns: Option<Vec<String>> = None;
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            ReadError::line(path, line as usize, format!("bad CSV: {e}"))
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let first = row
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if first == "Metric" {
            columns = Some(
                row.iter()
                    .skip(1)
                    .map(|c| c.trim().to_lowercase())
                    .collect(),
            );
            continue;
        }
        if first == "Endpoint" {
            columns = None;
            continue;
        }
        let Some(cols) = &columns else { continue };
        let (tag, unit) = display_name_to_tag(first);
        if !USED_TAGS.contains(&tag.as_str()) {
            continue;
        }
        let mut ts = TagStats {
            unit,
            at: format!("line {line}"),
            ..TagStats::default()
        };
        for (col, cell) in cols.iter().zip(row.iter().skip(1)) {
            let key = if col == "value" { "avg" } else { col.as_str() };
            if Stat::from_key(key).is_none() {
                continue;
            }
            if let Some(v) = csv_number(path, line, col, cell)? {
                ts.values.insert(key.to_string(), v);
            }
        }
        table.insert(tag, ts);
    }
    Ok(table)
}

/// Milliseconds per unit of a latency.
fn ms_per_unit(path: &Path, at: &str, unit: Option<&str>) -> Result<f64, ReadError> {
    match unit.map(|u| u.trim().to_lowercase()).as_deref() {
        None | Some("ms") => Ok(1.0),
        Some("s" | "sec" | "secs" | "seconds") => Ok(1000.0),
        Some("us" | "µs") => Ok(1e-3),
        Some("ns") => Ok(1e-6),
        Some(other) => Err(ReadError::new(
            path,
            at,
            format!("expected a time unit (ms, s, us, ns), found `{other}`"),
        )),
    }
}

/// Seconds per unit of a duration.
fn s_per_unit(path: &Path, at: &str, unit: Option<&str>) -> Result<f64, ReadError> {
    Ok(ms_per_unit(path, at, unit.or(Some("s")))? / 1000.0)
}

/// Sets canonical metrics from a tool metric table.
pub(crate) fn apply_table(
    p: &mut Point,
    path: &Path,
    table: &MetricTable,
) -> Result<(), ReadError> {
    for (tag, ts) in table {
        let avg = ts.values.get("avg").copied();
        if let Some(lat) = latency_for(p.source, tag) {
            let scale = ms_per_unit(path, &ts.at, ts.unit.as_deref())?;
            for stat in Stat::ALL {
                if let Some(v) = ts.values.get(stat.key()) {
                    p.set(Metric::Latency(lat, stat), v * scale);
                }
            }
            continue;
        }
        let metric = match tag.as_str() {
            "request_throughput" => Metric::RequestThroughput,
            "output_token_throughput" => Metric::OutputTokenThroughput,
            "total_token_throughput" => Metric::TotalTokenThroughput,
            "output_token_throughput_per_user" => Metric::TokensPerSUser,
            "goodput" | "request_goodput" => Metric::Goodput,
            "request_count" => Metric::RequestsOk,
            "error_request_count" => Metric::RequestsFailed,
            "input_sequence_length" => Metric::InputTokensAvg,
            "output_sequence_length" => Metric::OutputTokensAvg,
            "benchmark_duration" => {
                let scale = s_per_unit(path, &ts.at, ts.unit.as_deref())?;
                p.set_opt(Metric::DurationS, avg.map(|v| v * scale));
                continue;
            }
            _ => continue,
        };
        p.set_opt(metric, avg);
    }
    Ok(())
}

/// Tags every aiperf and genai-perf export has.
const CORE_TAGS: &[&str] = &["request_throughput", "request_latency", "request_count"];

/// Warns about what an export should have but does not: a core tag missing, or statistics
/// written as null (left empty, never read as 0).
pub(crate) fn warn_gaps(obj: &Fields, table: &MetricTable, tool: &str, ctx: &mut ReadCtx) {
    let missing: Vec<String> = CORE_TAGS
        .iter()
        .filter(|t| !table.contains_key(**t))
        .map(|t| format!("`{}{t}`", obj.prefix))
        .collect();
    if !missing.is_empty() {
        ctx.warn(
            obj.path,
            format!(
                "field {} missing (every {tool} export has it); left empty",
                missing.join(", ")
            ),
        );
    }
    let mut nulls = Vec::new();
    for tag in USED_TAGS {
        let Some(block) = obj.obj.get(*tag).and_then(Value::as_object) else {
            continue;
        };
        for stat in Stat::ALL {
            if block.get(stat.key()).is_some_and(Value::is_null) {
                nulls.push(format!("`{}{tag}.{}`", obj.prefix, stat.key()));
            }
        }
    }
    if !nulls.is_empty() {
        ctx.warn(
            obj.path,
            format!("field {} is null; left empty", nulls.join(", ")),
        );
    }
}

/// aiperf schema versions this reader was checked against (docs/formats.md: 1.0 to 1.4).
const KNOWN_SCHEMA_MAJOR: &str = "1";

/// An unknown `schema_version` is read anyway, by tag name (tags are looked up by name, so
/// what is recognisable is used and anything missing is reported); the user is told.
fn warn_schema(f: &Fields, ctx: &mut ReadCtx) {
    let version = match f.obj.get("schema_version") {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let major = version.split('.').next().unwrap_or("");
    if major != KNOWN_SCHEMA_MAJOR {
        ctx.warn(
            f.path,
            format!("field `schema_version`: {version} is not a version adreport knows (1.x); reading the fields it recognises"),
        );
    }
}

/// A run with no successful request is not a load point.
pub(crate) fn check_not_all_failed(p: &Point, path: &Path) -> Result<(), ReadError> {
    let ok = p.get(Metric::RequestsOk);
    let failed = p.get(Metric::RequestsFailed).unwrap_or(0.0);
    match ok {
        Some(n) if n <= 0.0 && failed > 0.0 => Err(ReadError::new(
            path,
            "field `request_count`",
            format!("all {failed} requests failed; no successful request to measure"),
        )),
        Some(n) if n <= 0.0 => Err(ReadError::new(
            path,
            "field `request_count`",
            "no request completed",
        )),
        _ => Ok(()),
    }
}

/// A token-count mean as a whole ISL/OSL.
pub(crate) fn round_tokens(v: Option<f64>) -> Option<u64> {
    v.filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| x.round() as u64)
}

// ---------------------------------------------------------------------------------------
// JSON export

fn read_json_export(
    dir: &Path,
    path: &Path,
    single: bool,
    ctx: &mut ReadCtx,
) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    check_status(&f)?;
    // aiperf <= 0.1.1 nests the metric blocks under `records`.
    let metrics = f.opt_obj("records", "records.")?.unwrap_or(f);
    let table = table_from_json(&metrics)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no aiperf metrics (time_to_first_token, request_latency, ...) in this file",
        ));
    }
    warn_schema(&f, ctx);
    warn_gaps(&metrics, &table, "aiperf", ctx);
    let mut p = Point::new(
        Source::Aiperf,
        if single {
            dir.to_path_buf()
        } else {
            path.to_path_buf()
        },
    );
    p.tool_version = f.opt_str("aiperf_version")?.map(str::to_string);
    apply_table(&mut p, path, &table)?;
    let summarized = warn_error_summary(&f, ctx)?;
    if p.get(Metric::RequestsFailed).is_none() {
        // error_request_count is written only when some request failed.
        p.set_opt(Metric::RequestsFailed, summarized.or(Some(0.0)));
    }
    if let Some(ic) = f.opt_obj("input_config", "input_config.")? {
        read_input_config(&ic, &mut p)?;
    }
    check_not_all_failed(&p, path)?;
    if let Some(jsonl) = find_records_file(dir, path, single) {
        let requests = read_records(&jsonl)?;
        check_record_count(&p, &jsonl, &requests, ctx);
        p.requests = Some(requests);
    }
    Ok(p)
}

/// Concurrency, request rate, ISL, OSL and model from `input_config`, in both layouts.
fn read_input_config(ic: &Fields, p: &mut Point) -> Result<(), ReadError> {
    // >= 0.10: phases, datasets, models.
    if let Some(phases) = ic.opt_array("phases")? {
        if let Some((i, phase)) = pick_phase(phases) {
            let prefix = format!("input_config.phases[{i}].");
            let Some(obj) = phase.as_object() else {
                return Err(ReadError::field(
                    ic.path,
                    &format!("input_config.phases[{i}]"),
                    "an object",
                ));
            };
            let ph = Fields {
                path: ic.path,
                obj,
                prefix: &prefix,
            };
            p.concurrency = ph.opt_u64("concurrency")?;
            p.request_rate = ph.opt_nonneg("rate")?;
        }
    }
    if let Some(ds) = first_obj(ic, "datasets", "input_config.datasets[0].")? {
        let prefix = "input_config.datasets[0].prompts.";
        if let Some(prompts) = ds.opt_obj("prompts", prefix)? {
            p.isl = round_tokens(mean_of(&prompts, "isl")?);
            p.osl = round_tokens(mean_of(&prompts, "osl")?);
        }
    }
    if let Some(models) = ic.opt_obj("models", "input_config.models.")? {
        if let Some(m) = first_obj(&models, "items", "input_config.models.items[0].")? {
            p.model = m.opt_str("name")?.map(str::to_string);
        }
    }
    // <= 0.9: loadgen, input.prompt, endpoint.model_names.
    if let Some(lg) = ic.opt_obj("loadgen", "input_config.loadgen.")? {
        p.concurrency = p.concurrency.or(lg.opt_u64("concurrency")?);
        p.request_rate = p.request_rate.or(lg.opt_nonneg("request_rate")?);
    }
    if let Some(input) = ic.opt_obj("input", "input_config.input.")? {
        if let Some(prompt) = input.opt_obj("prompt", "input_config.input.prompt.")? {
            p.isl = p.isl.or(round_tokens(mean_of(&prompt, "input_tokens")?));
            p.osl = p.osl.or(round_tokens(mean_of(&prompt, "output_tokens")?));
        }
    }
    if p.model.is_none() {
        if let Some(ep) = ic.opt_obj("endpoint", "input_config.endpoint.")? {
            p.model = first_string(&ep, "model_names")?;
        }
    }
    Ok(())
}

/// The profiling phase, else the first phase (as aiperf's own plot loader does).
fn pick_phase(phases: &[Value]) -> Option<(usize, &Value)> {
    phases
        .iter()
        .enumerate()
        .find(|(_, ph)| ph.get("name").and_then(Value::as_str) == Some("profiling"))
        .or_else(|| phases.iter().enumerate().next())
}

/// `obj.key.mean`, e.g. `prompts.isl.mean`.
fn mean_of(obj: &Fields, key: &str) -> Result<Option<f64>, ReadError> {
    let prefix = format!("{}{key}.", obj.prefix);
    match obj.opt_obj(key, &prefix)? {
        Some(o) => o.opt_nonneg("mean"),
        None => Ok(None),
    }
}

/// The first element of an array of objects.
fn first_obj<'a>(
    obj: &Fields<'a>,
    key: &str,
    prefix: &'a str,
) -> Result<Option<Fields<'a>>, ReadError> {
    let Some(arr) = obj.opt_array(key)? else {
        return Ok(None);
    };
    match arr.first() {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(Fields {
            path: obj.path,
            obj: o,
            prefix,
        })),
        Some(other) => Err(ReadError::field(
            obj.path,
            &format!("{}{key}[0]", obj.prefix),
            format!("an object, found {}", kind(other)),
        )),
    }
}

/// The first string of a string-or-list field (`model_names`).
pub(crate) fn first_string(obj: &Fields, key: &str) -> Result<Option<String>, ReadError> {
    match obj.obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(a)) => match a.first() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ReadError::field(
                obj.path,
                &format!("{}{key}[0]", obj.prefix),
                format!("a string, found {}", kind(other)),
            )),
        },
        Some(other) => Err(ReadError::field(
            obj.path,
            &format!("{}{key}", obj.prefix),
            format!("a string or a list of strings, found {}", kind(other)),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// CSV export (when the JSON is missing)

fn read_csv_export(dir: &Path, path: &Path, ctx: &mut ReadCtx) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let table = table_from_csv(path, &text)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no aiperf metric rows (Time to First Token (ms), ...) in this CSV",
        ));
    }
    let mut p = Point::new(Source::Aiperf, dir);
    apply_table(&mut p, path, &table)?;
    if p.get(Metric::RequestsFailed).is_none() {
        p.set(Metric::RequestsFailed, 0.0);
    }
    check_not_all_failed(&p, path)?;
    ctx.warn(
        path,
        "aiperf JSON export missing; read the CSV (values rounded to 2 decimals, no run config)",
    );
    if let Some(jsonl) = find_records_file(dir, path, true) {
        let requests = read_records(&jsonl)?;
        check_record_count(&p, &jsonl, &requests, ctx);
        p.requests = Some(requests);
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------
// Per-request records (profile_export.jsonl)

/// The per-request JSONL of an export: `<prefix>.jsonl` beside `<prefix>_aiperf.json`, or
/// (one export in the dir) any JSONL whose first record has `metadata.benchmark_phase` and `metrics`.
fn find_records_file(dir: &Path, export: &Path, single: bool) -> Option<PathBuf> {
    let name = export.file_name()?.to_string_lossy().into_owned();
    let paired = name
        .strip_suffix("_aiperf.json")
        .or_else(|| name.strip_suffix("_aiperf.csv"))
        .map(|prefix| dir.join(format!("{prefix}.jsonl")));
    if let Some(p) = paired.filter(|p| p.is_file()) {
        return Some(p);
    }
    if !single {
        return None;
    }
    dir_files(dir)
        .into_iter()
        .filter(|p| has_ext(p, "jsonl") && !skipped_name(&file_name(p)))
        .find(|p| is_records_file(p))
}

#[derive(Deserialize)]
struct Probe {
    metadata: Option<ProbeMeta>,
    metrics: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ProbeMeta {
    benchmark_phase: Option<IgnoredAny>,
}

fn is_records_file(path: &Path) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut line = String::new();
    let mut reader = BufReader::new(file.take(MAX_RECORD_BYTES));
    while line.trim().is_empty() {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
    }
    serde_json::from_str::<Probe>(&line).is_ok_and(|r| {
        r.metrics.is_some() && r.metadata.is_some_and(|m| m.benchmark_phase.is_some())
    })
}

/// Longest JSONL record read; aiperf's are a few KiB.
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// One JSONL record; only the fields adreport uses are parsed.
#[derive(Deserialize)]
struct Record {
    metadata: Option<RecordMeta>,
    #[serde(default)]
    metrics: RecordMetrics,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RecordMeta {
    benchmark_phase: Option<String>,
    was_cancelled: Option<bool>,
}

#[derive(Deserialize, Default)]
struct RecordMetrics {
    time_to_first_token: Option<RecordValue>,
    inter_token_latency: Option<RecordValue>,
    request_latency: Option<RecordValue>,
    input_sequence_length: Option<RecordValue>,
    output_sequence_length: Option<RecordValue>,
    /// Failed records carry only the ISL under this name.
    error_isl: Option<RecordValue>,
}

#[derive(Deserialize)]
struct RecordValue {
    value: Value,
    unit: Option<String>,
}

/// Streams the JSONL (files can be GBs) and keeps the profiling-phase records.
/// Failed and cancelled requests stay in, with ok = false: aiperf counts them in
/// error_request_count (a cancelled request carries error code 499).
fn read_records(path: &Path) -> Result<Requests, ReadError> {
    let file = fs::File::open(path).map_err(|e| ReadError::io(path, &e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut requests = Requests::default();
    let mut line = Vec::with_capacity(8 * 1024);
    let mut n = 0usize;
    loop {
        line.clear();
        n += 1;
        // Bounded, so a garbage file without line breaks is not read into one buffer.
        let read = (&mut reader)
            .take(MAX_RECORD_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| ReadError::line(path, n, format!("cannot read: {e}")))?;
        if read == 0 {
            break;
        }
        if read as u64 == MAX_RECORD_BYTES && line.last() != Some(&b'\n') {
            return Err(ReadError::line(
                path,
                n,
                format!(
                    "longer than {} MiB: not an aiperf record",
                    MAX_RECORD_BYTES >> 20
                ),
            ));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row = match fast_record(&line) {
            Some(fast) => fast,
            None => parse_record(path, n, &line)?,
        };
        if let Some(row) = row {
            requests.push(row);
        }
    }
    if requests.is_empty() {
        // n counts the read that found the end: 1 means the file had no line at all.
        let what = if n == 1 {
            "empty file: no profiling-phase records"
        } else {
            "no profiling-phase records (metadata.benchmark_phase = \"profiling\")"
        };
        return Err(ReadError::file(path, what));
    }
    Ok(requests)
}

/// The common case read without a JSON parser: aiperf writes each record compactly as
/// `"tag":{"value":N,"unit":"U"}`. Anything unusual (an error, a cancelled request, other
/// spacing, another unit, a bad number) returns `None` and the record goes through the full
/// parser, which also produces the error messages. `Some(None)` is a warmup record.
fn fast_record(line: &[u8]) -> Option<Option<RequestRow>> {
    use memchr::memmem::{find, find_iter};
    // A complete compact record ends with its last metric, the metrics map and itself.
    if !line.trim_ascii_end().ends_with(b"}}}") || !line.starts_with(b"{\"metadata\":{") {
        return None;
    }
    // Scan the line as few times as possible: it is ~3 KB and there are millions.
    let metrics_at = find(line, b"\"metrics\":{")?;
    let (meta, metrics) = line.split_at(metrics_at);
    if find(meta, b"\"was_cancelled\":true").is_some() || find(metrics, b"\"error").is_some() {
        return None;
    }
    if find(meta, b"\"benchmark_phase\":\"warmup\"").is_some() {
        return Some(None);
    }
    find(meta, b"\"benchmark_phase\":\"profiling\"")?;
    let mut row = RequestRow {
        ok: true,
        ..RequestRow::default()
    };
    // One pass over the metric blocks `"tag":{"value":N,"unit":"U"}`, keeping the tags we use.
    const OPEN: &[u8] = b":{\"value\":";
    for at in find_iter(metrics, OPEN) {
        let before = metrics.get(..at)?.strip_suffix(b"\"")?;
        let tag = &before[memchr::memrchr(b'"', before)? + 1..];
        let (slot, unit): (&mut Option<f64>, Option<&[u8]>) = match tag {
            b"time_to_first_token" => (&mut row.ttft_ms, Some(b"ms")),
            b"inter_token_latency" => (&mut row.tpot_ms, Some(b"ms")),
            b"request_latency" => (&mut row.e2el_ms, Some(b"ms")),
            b"input_sequence_length" => (&mut row.isl, None),
            b"output_sequence_length" => (&mut row.osl, None),
            _ => continue,
        };
        let rest = &metrics[at + OPEN.len()..];
        let end = rest.iter().position(|c| *c == b',' || *c == b'}')?;
        let v: f64 = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
        if !v.is_finite() || slot.is_some() {
            return None;
        }
        if let Some(unit) = unit {
            let tail = rest.get(end..)?.strip_prefix(b",\"unit\":\"")?;
            if !tail.starts_with(unit) || tail.get(unit.len()) != Some(&b'"') {
                return None;
            }
        }
        *slot = Some(v);
    }
    // A tag we did not read must be truly absent, not written in another form.
    let missing = [
        (row.ttft_ms, &b"\"time_to_first_token\""[..]),
        (row.tpot_ms, b"\"inter_token_latency\""),
        (row.e2el_ms, b"\"request_latency\""),
        (row.isl, b"\"input_sequence_length\""),
        (row.osl, b"\"output_sequence_length\""),
    ];
    if missing
        .iter()
        .any(|(v, tag)| v.is_none() && find(metrics, tag).is_some())
    {
        return None;
    }
    Some(Some(row))
}

/// One record as a request row; `None` for warmup records.
fn parse_record(path: &Path, n: usize, line: &[u8]) -> Result<Option<RequestRow>, ReadError> {
    let rec: Record = serde_json::from_slice(line).map_err(|e| {
        let what = if e.is_eof() {
            "record ends early (truncated line?)"
        } else {
            "invalid record"
        };
        // serde's own position is always "line 1" of the one-line record: give the column only.
        let full = e.to_string();
        let msg = full
            .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
            .unwrap_or(&full);
        ReadError::line(path, n, format!("{what} at column {}: {msg}", e.column()))
    })?;
    let Some(meta) = rec.metadata else {
        return Err(ReadError::line(
            path,
            n,
            "field `metadata`: expected an object, but it is missing",
        ));
    };
    match meta.benchmark_phase.as_deref() {
        Some("profiling") => {}
        Some(_) => return Ok(None),
        None => {
            return Err(ReadError::line(
                path,
                n,
                "field `metadata.benchmark_phase`: expected a string, but it is missing",
            ))
        }
    }
    let m = &rec.metrics;
    let ok = rec.error.is_none() && meta.was_cancelled != Some(true);
    Ok(Some(RequestRow {
        ttft_ms: record_ms(path, n, "time_to_first_token", &m.time_to_first_token)?,
        tpot_ms: record_ms(path, n, "inter_token_latency", &m.inter_token_latency)?,
        e2el_ms: record_ms(path, n, "request_latency", &m.request_latency)?,
        isl: match record_number(path, n, "input_sequence_length", &m.input_sequence_length)? {
            Some(v) => Some(v),
            None => record_number(path, n, "error_isl", &m.error_isl)?,
        },
        osl: record_number(path, n, "output_sequence_length", &m.output_sequence_length)?,
        ok,
    }))
}

fn record_number(
    path: &Path,
    n: usize,
    tag: &str,
    v: &Option<RecordValue>,
) -> Result<Option<f64>, ReadError> {
    let Some(v) = v else { return Ok(None) };
    match &v.value {
        Value::Null => Ok(None),
        Value::Number(x) => match x.as_f64() {
            Some(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(ReadError::line(
                path,
                n,
                format!("field `metrics.{tag}.value`: expected a finite number"),
            )),
        },
        other => Err(ReadError::line(
            path,
            n,
            format!(
                "field `metrics.{tag}.value`: expected a number, found {}",
                kind(other)
            ),
        )),
    }
}

fn record_ms(
    path: &Path,
    n: usize,
    tag: &str,
    v: &Option<RecordValue>,
) -> Result<Option<f64>, ReadError> {
    let Some(x) = record_number(path, n, tag, v)? else {
        return Ok(None);
    };
    let unit = v.as_ref().and_then(|v| v.unit.as_deref());
    let scale = ms_per_unit(path, &format!("line {n} field `metrics.{tag}.unit`"), unit)?;
    Ok(Some(x * scale))
}

/// The records must be the requests the aggregate counted; say so when they are not.
fn check_record_count(p: &Point, jsonl: &Path, req: &Requests, ctx: &mut ReadCtx) {
    let ok = req.ok.iter().filter(|o| **o).count() as f64;
    if let Some(count) = p.get(Metric::RequestsOk) {
        if count != ok {
            ctx.warn(
                jsonl,
                format!("{ok} successful profiling records, but the aggregate export counts {count} requests"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_map_to_tags() {
        assert_eq!(
            display_name_to_tag("Time to First Token (ms)"),
            ("time_to_first_token".into(), Some("ms".into()))
        );
        assert_eq!(
            display_name_to_tag("Time To First Token (ms)"),
            ("time_to_first_token".into(), Some("ms".into()))
        );
        assert_eq!(
            display_name_to_tag("Request Count"),
            ("request_count".into(), None)
        );
        assert_eq!(
            display_name_to_tag("Request Throughput (per sec)"),
            ("request_throughput".into(), Some("per sec".into()))
        );
        assert_eq!(
            display_name_to_tag("HTTP Duration (excl. conn) (ms)").0,
            "http_duration_(excl._conn)"
        );
    }

    #[test]
    fn csv_heads_are_told_apart() {
        assert!(is_aiperf_csv_head(
            "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std\n"
        ));
        assert!(is_aiperf_csv_head(
            "Metric,avg,min,max,p1,p5,p25,p50,p75,p90,p95,p99,std\n"
        ));
        assert!(!is_aiperf_csv_head(
            "Metric,avg,min,max,p99,p95,p90,p75,p50,p25\n"
        ));
        assert!(!is_aiperf_csv_head(
            "Timeslice,Start_NS,End_NS,Metric,Unit,Stat,Value\n"
        ));
    }

    #[test]
    fn json_heads_are_told_apart() {
        let aiperf = r#"{"schema_version": "1.4", "aiperf_version": "0.13.0", "request_throughput": {"unit": "x"}"#;
        assert!(is_aggregate_json_head("renamed.json", aiperf));
        let genai =
            r#"{"request_throughput": {"unit": "per sec", "avg": 1.0}, "input_config": {}}"#;
        assert!(!is_aggregate_json_head(
            "profile_export_genai_perf.json",
            genai
        ));
        assert!(!is_aggregate_json_head("bench.json", genai));
        let old =
            r#"{"input_config": {}, "records": {"request_latency": {"tag": "request_latency"}}}"#;
        assert!(is_aggregate_json_head("x.json", old));
        let server = r#"{"schema_version": "1.1", "aiperf_version": "0.13.0", "summary": {}}"#;
        assert!(!is_aggregate_json_head(
            "server_metrics_export.json",
            server
        ));
        assert!(!is_aggregate_json_head("renamed_metrics.json", server));
    }

    #[test]
    fn units_convert_to_ms() {
        let p = Path::new("x");
        assert_eq!(ms_per_unit(p, "", Some("sec")).ok(), Some(1000.0));
        assert_eq!(ms_per_unit(p, "", Some("ns")).ok(), Some(1e-6));
        assert!(ms_per_unit(p, "", Some("tokens")).is_err());
        assert_eq!(s_per_unit(p, "", Some("sec")).ok(), Some(1.0));
    }

    #[test]
    fn fast_path_agrees_with_the_full_parser_on_every_real_record() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-results/aiperf");
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            if entry.file_name() != "profile_export.jsonl" {
                continue;
            }
            let text = fs::read(entry.path()).unwrap();
            for (i, line) in text.split(|c| *c == b'\n').enumerate() {
                if line.is_empty() {
                    continue;
                }
                let fast = fast_record(line).expect("real records take the fast path");
                let full = parse_record(entry.path(), i + 1, line).unwrap();
                assert_eq!(fast, full, "{} line {}", entry.path().display(), i + 1);
                checked += 1;
            }
        }
        // 8 runs of 5/20/40/80 profiling records plus one warmup record each.
        assert_eq!(checked, 2 * (5 + 20 + 40 + 80) + 8);
        // Unusual records fall back to the full parser.
        assert_eq!(
            fast_record(b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"error\":{}}"),
            None
        );
        let spaced = b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"metrics\":{\"time_to_first_token\": {\"value\": 1}}}";
        assert_eq!(fast_record(spaced), None);
        let seconds = b"{\"metadata\":{\"benchmark_phase\":\"profiling\"},\"metrics\":{\"time_to_first_token\":{\"value\":1,\"unit\":\"s\"}}}";
        assert_eq!(fast_record(seconds), None);
    }
}
