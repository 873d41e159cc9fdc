//! aiperf / genai-perf metric tables: the JSON and CSV aggregate layouts both read into one
//! [`MetricTable`], then applied to a point.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::ingest::fields::Fields;
use crate::ingest::ReadCtx;
use crate::model::{latency_for, Metric, Point, Stat};
use crate::util::error::ReadError;

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
pub(super) const USED_TAGS: &[&str] = &[
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
pub(super) fn csv_number(
    path: &Path,
    line: u64,
    column: &str,
    cell: &str,
) -> Result<Option<f64>, ReadError> {
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
pub(super) fn ms_per_unit(path: &Path, at: &str, unit: Option<&str>) -> Result<f64, ReadError> {
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
pub(super) fn s_per_unit(path: &Path, at: &str, unit: Option<&str>) -> Result<f64, ReadError> {
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
pub(super) const CORE_TAGS: &[&str] = &["request_throughput", "request_latency", "request_count"];

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
pub(super) const KNOWN_SCHEMA_MAJOR: &str = "1";

/// An unknown `schema_version` is read anyway, by tag name (tags are looked up by name, so
/// what is recognisable is used and anything missing is reported); the user is told.
pub(super) fn warn_schema(f: &Fields, ctx: &mut ReadCtx) {
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
