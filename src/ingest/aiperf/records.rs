//! Per-request records (`profile_export.jsonl`): a serde path and a fast path for the
//! common record shape.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::table::ms_per_unit;
use super::{dir_files, file_name, has_ext, skipped_name};
use crate::ingest::fields::kind;
use crate::ingest::ReadCtx;
use crate::model::{Metric, Point, RequestRow, Requests};
use crate::util::error::ReadError;

/// The per-request JSONL of an export: `<prefix>.jsonl` beside `<prefix>_aiperf.json`, or
/// (one export in the dir) any JSONL whose first record has `metadata.benchmark_phase` and `metrics`.
pub(super) fn find_records_file(dir: &Path, export: &Path, single: bool) -> Option<PathBuf> {
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
pub(super) struct Probe {
    metadata: Option<ProbeMeta>,
    metrics: Option<IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct ProbeMeta {
    benchmark_phase: Option<IgnoredAny>,
}

pub(super) fn is_records_file(path: &Path) -> bool {
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
pub(super) const MAX_RECORD_BYTES: u64 = 64 << 20;

/// One JSONL record; only the fields adreport uses are parsed.
#[derive(Deserialize)]
pub(super) struct Record {
    metadata: Option<RecordMeta>,
    #[serde(default)]
    metrics: RecordMetrics,
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct RecordMeta {
    benchmark_phase: Option<String>,
    was_cancelled: Option<bool>,
}

#[derive(Deserialize, Default)]
pub(super) struct RecordMetrics {
    time_to_first_token: Option<RecordValue>,
    inter_token_latency: Option<RecordValue>,
    request_latency: Option<RecordValue>,
    input_sequence_length: Option<RecordValue>,
    output_sequence_length: Option<RecordValue>,
    /// Failed records carry only the ISL under this name.
    error_isl: Option<RecordValue>,
}

#[derive(Deserialize)]
pub(super) struct RecordValue {
    value: Value,
    unit: Option<String>,
}

/// Streams the JSONL (files can be GBs) and keeps the profiling-phase records.
/// Failed and cancelled requests stay in, with ok = false: aiperf counts them in
/// error_request_count (a cancelled request carries error code 499).
pub(super) fn read_records(path: &Path) -> Result<Requests, ReadError> {
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
pub(super) fn fast_record(line: &[u8]) -> Option<Option<RequestRow>> {
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
pub(super) fn parse_record(
    path: &Path,
    n: usize,
    line: &[u8],
) -> Result<Option<RequestRow>, ReadError> {
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

pub(super) fn record_number(
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

pub(super) fn record_ms(
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
pub(super) fn check_record_count(p: &Point, jsonl: &Path, req: &Requests, ctx: &mut ReadCtx) {
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
