//! benchmark_serving result files: the `--save-result` JSON of vLLM (the legacy
//! `benchmarks/benchmark_serving.py` and `vllm bench serve`), TensorRT-LLM's fork of it, and the
//! `--output-file` JSON Lines of SGLang's `bench_serving`.
//!
//! One JSON object is one load point. A file may hold one object or JSON Lines of them (vLLM
//! `--append-result`, SGLang appends one line per run). The printed "Serving Benchmark Result"
//! block on stdout is deliberately not read: it repeats the JSON with 2 decimals, so reading both
//! would count every point twice.
//!
//! The three families differ in key names and order, never in meaning (docs/formats.md):
//! - goodput is `request_goodput:` (trailing colon) in legacy vLLM and TensorRT-LLM, `request_goodput`
//!   in `vllm bench serve`; TensorRT-LLM writes std before mean and the traffic keys last (order is
//!   irrelevant here: keys are looked up by name);
//! - SGLang writes `max_concurrency`, `random_input_len`/`random_output_len`, `total_throughput`,
//!   `{mean,median,std,p90,p95,p99}_e2e_latency_ms`, no `model_id`, and Python's bare `Infinity` for
//!   an unlimited request rate (not valid JSON; see [`strict_json`]).
//!
//! "Not measured": numpy's `np.mean(x or 0)` turns an empty list into a mean of 0 (TTFT and ITL of a
//! non-streaming backend, TPOT when every answer has one token). See [`not_measured`] for the rule.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::energy::{apply_telemetry, left_out_text};
use super::fields::{kind, parse_json, Fields};
use super::telemetry::{from_energy_block, TelemetrySource};
use super::{read_text, ReadCtx};
use crate::error::ReadError;
use crate::model::{latency_for, Latency, Metric, Point, RequestRow, Requests, Source, Stat};

/// Claims a file whose content is a JSON object (or JSON Lines of objects) with the result keys
/// every family writes before any per-request array: `duration`, `completed`, `request_throughput`.
pub fn sniff(path: &Path, head: &str) -> bool {
    // `<name>.pytorch.json` (SAVE_TO_PYTORCH_BENCHMARK_FORMAT) repeats the result as PyTorch OSS
    // benchmark records; it is a JSON list, and the name rules it out even if that changes.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".pytorch.json") {
        return false;
    }
    if !head.trim_start().starts_with('{') {
        return false;
    }
    static KEYS: OnceLock<[Regex; 3]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        // A number, or Python's bare NaN/Infinity (rejected later by name, not silently skipped).
        let re = |k: &str| {
            Regex::new(&format!(r#""{k}"\s*:\s*(?:-?\d|-?Infinity|NaN|null)"#))
                .expect("static regex")
        };
        [re("duration"), re("completed"), re("request_throughput")]
    });
    // Two of the three, so a file missing one is read and the missing key named.
    keys.iter().filter(|re| re.is_match(head)).count() >= 2
}

/// Reads every result object of the file as one point each. In JSON Lines each line is its own
/// run: a bad line is left out with a warning and the other runs are kept.
pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let text = strict_json(&text);
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for (line, value) in documents(path, &text)? {
        let at_line = |mut e: ReadError| {
            if let Some(n) = line {
                e.at = if e.at.is_empty() {
                    format!("line {n}")
                } else if e.at.starts_with("line ") {
                    e.at
                } else {
                    format!("line {n}: {}", e.at)
                };
            }
            e
        };
        let result = value.and_then(|value| {
            let f = Fields::new(path, &value)?;
            let mut warn = Warn { ctx, line };
            read_result(f, &mut warn)
        });
        match result.map_err(at_line) {
            Ok(p) => points.push(p),
            Err(e) if line.is_some() => errors.push(e),
            Err(e) => return Err(e),
        }
    }
    if points.is_empty() {
        return Err(errors.into_iter().next().unwrap_or_else(|| {
            ReadError::file(path, "empty file: no benchmark_serving result in it")
        }));
    }
    for e in errors {
        let shown = e.to_string();
        let prefix = format!("{}: ", path.display());
        ctx.warn(
            path,
            format!(
                "left out: {}",
                shown.strip_prefix(&prefix).unwrap_or(&shown)
            ),
        );
    }
    Ok(points)
}

/// Warnings that name the JSONL line they come from.
struct Warn<'a> {
    ctx: &'a mut ReadCtx,
    line: Option<usize>,
}

impl Warn<'_> {
    fn warn(&mut self, path: &Path, msg: impl AsRef<str>) {
        let msg = match self.line {
            Some(n) => format!("line {n}: {}", msg.as_ref()),
            None => msg.as_ref().to_string(),
        };
        self.ctx.warn(path, msg);
    }
}

/// The JSON values of the file, each with its line number when the file is JSON Lines.
/// JSON Lines = more than one non-blank line and the first one is a complete object on its own;
/// anything else (one line, or a pretty-printed object) is read as a single document.
/// A bad JSON Lines line is returned as its error, so the other lines can still be read.
#[allow(clippy::type_complexity)]
fn documents(
    path: &Path,
    text: &str,
) -> Result<Vec<(Option<usize>, Result<Value, ReadError>)>, ReadError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let first_is_object = lines
        .first()
        .is_some_and(|(_, l)| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()));
    if lines.len() <= 1 || !first_is_object {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        return Ok(vec![(None, Ok(parse_json(path, text)?))]);
    }
    Ok(lines
        .into_iter()
        .map(|(n, l)| {
            let value = serde_json::from_str::<Value>(l).map_err(|e| {
                let what = if e.is_eof() {
                    "line ends in the middle of the JSON (truncated?)"
                } else {
                    "invalid JSON"
                };
                // serde's own "at line 1" counts within the line; give the column only.
                let full = e.to_string();
                let detail = full
                    .rsplit_once(" at line ")
                    .map_or(full.as_str(), |(d, _)| d);
                ReadError::line(
                    path,
                    n,
                    format!("{what}: {detail} at column {}", e.column()),
                )
            });
            (Some(n), value)
        })
        .collect())
}

/// Python's `json.dump` writes `NaN`, `Infinity` and `-Infinity` bare (SGLang: `"request_rate": Infinity`).
/// Outside strings, `NaN` becomes `null` (no value) and the infinities become the strings
/// `"Infinity"`/`"-Infinity"`, which the field readers treat as "inf" or reject by name.
/// Line breaks are kept, so line numbers in errors stay right. A null read this way is
/// reported by [`warn_nulls`].
fn strict_json(text: &str) -> Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\n' {
            // JSON strings hold no raw line break: a line cut inside a string ends it here.
            (in_string, escaped) = (false, false);
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else {
            let swap = [
                ("-Infinity", "\"-Infinity\""),
                ("Infinity", "\"Infinity\""),
                ("NaN", "null"),
            ]
            .into_iter()
            .find(|(bare, _)| rest.starts_with(bare));
            if let Some((bare, quoted)) = swap {
                out.push_str(quoted);
                rest = &rest[bare.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// One result object -> one point.
fn read_result(f: Fields<'_>, w: &mut Warn<'_>) -> Result<Point, ReadError> {
    let path = f.path;
    let mut p = Point::new(Source::BenchmarkServing, path);
    let completed = f.opt_u64("completed")?.ok_or_else(|| {
        ReadError::field(
            path,
            "completed",
            "a count of successful requests, but it is missing",
        )
    })?;
    if completed == 0 {
        return Err(ReadError::field(
            path,
            "completed",
            "at least one successful request: every request failed (completed is 0)",
        ));
    }
    warn_nulls(f, w);
    identity(f, &mut p)?;
    traffic(f, &mut p)?;
    lengths(f, &mut p, w)?;
    scalars(f, &mut p, completed)?;
    let requests = requests(f)?;
    let failed = failed_count(f, completed, requests.as_ref())?;
    p.set(Metric::RequestsOk, completed as f64);
    p.set_opt(Metric::RequestsFailed, failed.map(|v| v as f64));
    if let Some(r) = &requests {
        let ok = r.ok.iter().filter(|o| **o).count() as u64;
        if ok != completed {
            w.warn(
                path,
                format!(
                    "per-request data has {ok} successful requests but `completed` is {completed}"
                ),
            );
        }
    }
    latencies(f, &mut p, completed, requests.as_ref(), w)?;
    p.requests = requests;
    // TensorRT-LLM's energy block: a bad one costs the energy figures, not the point.
    match from_energy_block(&f, TelemetrySource::ServingEnergy) {
        Ok(Some(t)) => apply_telemetry(&mut p, &t, number(f, "total_output_tokens")?),
        Ok(None) => {}
        Err(e) => w.warn(path, left_out_text(&e)),
    }
    Ok(p)
}

/// Measurements every family writes as numbers; null (or Python's NaN, read as null) means the
/// tool could not compute it. `request_goodput` is null by design without `--goodput`.
const MEASURED: [&str; 7] = [
    "duration",
    "request_throughput",
    "output_throughput",
    "total_token_throughput",
    "total_throughput",
    "total_input_tokens",
    "total_output_tokens",
];

/// Names the measurements that are null or NaN: they are left empty, never read as 0.
fn warn_nulls(f: Fields<'_>, w: &mut Warn<'_>) {
    let nulls: Vec<String> = f
        .obj
        .iter()
        .filter(|(k, v)| {
            v.is_null()
                && (MEASURED.contains(&k.as_str())
                    || stat_key()
                        .captures(k)
                        .is_some_and(|c| latency_for(Source::BenchmarkServing, &c[2]).is_some()))
        })
        .map(|(k, _)| format!("`{k}`"))
        .collect();
    if !nulls.is_empty() {
        w.warn(
            f.path,
            format!("field {} is null or NaN; left empty", nulls.join(", ")),
        );
    }
}

/// Model, backend, which family wrote the file, and setup facts worth showing.
fn identity(f: Fields<'_>, p: &mut Point) -> Result<(), ReadError> {
    let server = f.opt_obj("server_info", "server_info.")?;
    p.model = match f.opt_str("model_id")? {
        Some(m) => Some(m.to_string()),
        // SGLang has no model_id; an SGLang server reports its model in server_info.
        None => match server {
            Some(s) => s.opt_str("model_path")?.map(str::to_string),
            None => None,
        },
    };
    p.backend = f
        .opt_str("backend")?
        .or(f.opt_str("endpoint_type")?)
        .map(str::to_string);
    if let Some(s) = server {
        // The server's version, not necessarily the client's: kept apart from tool_version.
        if let Some(v) = s.opt_str("version")? {
            p.extra.insert("server_version".into(), v.to_string());
        }
    }
    p.extra.insert("family".into(), family(f).into());
    for key in ["date", "label", "tag", "dataset_name", "tokenizer_id"] {
        if let Some(v) = f.opt_str(key)? {
            p.extra.insert(key.into(), v.to_string());
        }
    }
    // Numbers shown as-is: user_throughput is TensorRT-LLM's mean of output_len / latency per request,
    // TTFT included, so it is not tokens_per_s_user (which excludes the first token).
    for key in [
        "num_prompts",
        "burstiness",
        "random_range_ratio",
        "user_throughput",
        "max_output_tokens_per_s",
        "max_concurrent_requests",
        "concurrency",
    ] {
        if let Some(v) = f.opt_f64(key)? {
            let name = if key == "concurrency" {
                "concurrency_measured"
            } else {
                key
            };
            p.extra.insert(name.into(), v.to_string());
        }
    }
    // `--metadata KEY=VALUE` pairs are top-level string values (vLLM, TensorRT-LLM).
    for (k, v) in f.obj {
        if let Value::String(s) = v {
            if !KNOWN_STRING_KEYS.contains(&k.as_str()) {
                p.extra
                    .entry(format!("metadata.{k}"))
                    .or_insert_with(|| s.clone());
            }
        }
    }
    Ok(())
}

/// String-valued keys the tools write themselves; every other top-level string is `--metadata`.
const KNOWN_STRING_KEYS: &[&str] = &[
    "date",
    "endpoint_type",
    "backend",
    "label",
    "model_id",
    "tokenizer_id",
    "request_rate",
    "tag",
    "dataset_name",
    "ramp_up_strategy",
];

/// Which tool wrote the object, from keys only one family has.
fn family(f: Fields<'_>) -> &'static str {
    if f.obj.contains_key("mean_e2e_latency_ms")
        || f.obj.contains_key("total_throughput")
        || f.obj.contains_key("server_info")
    {
        "sglang"
    } else if f.obj.contains_key("user_throughput")
        || f.obj.contains_key("e2els")
        || f.obj.contains_key("avg_decoded_tokens_per_iter")
    {
        "tensorrt-llm"
    } else if f.obj.contains_key("endpoint_type")
        || f.obj.contains_key("request_goodput")
        || f.obj.contains_key("failed")
    {
        "vllm bench serve"
    } else {
        "vllm benchmark_serving.py"
    }
}

/// Concurrency and request rate as configured.
fn traffic(f: Fields<'_>, p: &mut Point) -> Result<(), ReadError> {
    // null for request-rate runs; 0 means "no limit" to the tools (`Semaphore if max_concurrency else None`).
    p.concurrency = f.opt_u64("max_concurrency")?.filter(|c| *c > 0);
    match f.obj.get("request_rate") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if is_inf(s) => {
            p.extra.insert("request_rate".into(), s.clone());
        }
        Some(Value::String(s)) => {
            return Err(ReadError::field(
                f.path,
                "request_rate",
                format!("a number or \"inf\", found \"{s}\""),
            ))
        }
        Some(_) => p.request_rate = f.opt_nonneg("request_rate")?,
    }
    Ok(())
}

fn is_inf(s: &str) -> bool {
    matches!(s.trim().to_ascii_lowercase().as_str(), "inf" | "infinity")
}

/// Configured ISL/OSL. SGLang always writes `random_input_len`/`random_output_len` (argparse defaults), so
/// they count only for its `random*` datasets; ShareGPT with `sharegpt_output_len` fixes the OSL.
/// vLLM does not record lengths; `--metadata input_len=1000 output_len=500` (as in the 9-run sample) does.
/// Measured averages go to input_tokens_avg/output_tokens_avg instead (see [`scalars`]).
fn lengths(f: Fields<'_>, p: &mut Point, w: &mut Warn<'_>) -> Result<(), ReadError> {
    let dataset = f.opt_str("dataset_name")?;
    let random = dataset.is_none_or(|d| d.starts_with("random"));
    if random {
        p.isl = whole(f, "random_input_len", w)?;
        p.osl = whole(f, "random_output_len", w)?;
    }
    if dataset == Some("sharegpt") {
        p.osl = whole(f, "sharegpt_output_len", w)?;
    }
    for (isl, osl) in [("input_len", "output_len"), ("isl", "osl")] {
        if p.isl.is_none() {
            p.isl = whole(f, isl, w)?;
        }
        if p.osl.is_none() {
            p.osl = whole(f, osl, w)?;
        }
    }
    Ok(())
}

/// A whole number written as a number or (metadata) as a string; an unreadable metadata string is a warning.
fn whole(f: Fields<'_>, key: &str, w: &mut Warn<'_>) -> Result<Option<u64>, ReadError> {
    match f.obj.get(key) {
        Some(Value::String(s)) => {
            let v = s.trim().parse::<u64>().ok();
            if v.is_none() {
                w.warn(
                    f.path,
                    format!("`{key}` is \"{s}\", not a whole number; ignored"),
                );
            }
            Ok(v)
        }
        _ => f.opt_u64(key),
    }
}

/// Throughputs, duration, goodput and mean token counts.
fn scalars(f: Fields<'_>, p: &mut Point, completed: u64) -> Result<(), ReadError> {
    p.set_opt(Metric::DurationS, number(f, "duration")?);
    p.set_opt(Metric::RequestThroughput, number(f, "request_throughput")?);
    p.set_opt(
        Metric::OutputTokenThroughput,
        number(f, "output_throughput")?,
    );
    // SGLang spells it total_throughput.
    let total = match number(f, "total_token_throughput")? {
        Some(v) => Some(v),
        None => number(f, "total_throughput")?,
    };
    p.set_opt(Metric::TotalTokenThroughput, total);
    // null unless --goodput was given.
    let goodput = match number(f, "request_goodput")? {
        Some(v) => Some(v),
        None => number(f, "request_goodput:")?,
    };
    p.set_opt(Metric::Goodput, goodput);
    // Totals count successful requests only, so their means are per completed request.
    let n = completed as f64;
    p.set_opt(
        Metric::InputTokensAvg,
        number(f, "total_input_tokens")?.map(|t| t / n),
    );
    p.set_opt(
        Metric::OutputTokensAvg,
        number(f, "total_output_tokens")?.map(|t| t / n),
    );
    Ok(())
}

/// A non-negative finite number; `Infinity` (from Python) is named as such.
fn number(f: Fields<'_>, key: &str) -> Result<Option<f64>, ReadError> {
    if let Some(Value::String(s)) = f.obj.get(key) {
        if is_inf(s.trim_start_matches('-')) {
            return Err(ReadError::field(
                f.path,
                key,
                format!("a finite number, found {s}"),
            ));
        }
    }
    f.opt_nonneg(key)
}

/// Failed requests: `failed` (new vLLM), else non-empty `errors`, else `num_prompts - completed`.
fn failed_count(
    f: Fields<'_>,
    completed: u64,
    requests: Option<&Requests>,
) -> Result<Option<u64>, ReadError> {
    if let Some(v) = f.opt_u64("failed")? {
        return Ok(Some(v));
    }
    if let (Some(r), true) = (requests, f.has("errors")) {
        return Ok(Some(r.ok.iter().filter(|o| !**o).count() as u64));
    }
    Ok(f.opt_u64("num_prompts")?
        .map(|n| n.saturating_sub(completed)))
}

/// `{stat}_{metric}_ms` keys: stat is mean, median, std, min, max or pNN.
fn stat_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(mean|median|std|min|max|p\d+(?:\.\d+)?)_(.+)_ms$").expect("static regex")
    })
}

fn stat_of(word: &str) -> Option<Stat> {
    match word {
        "mean" => Some(Stat::Avg),
        "median" | "p50" => Some(Stat::P50),
        "std" => Some(Stat::Std),
        "min" => Some(Stat::Min),
        "max" => Some(Stat::Max),
        "p90" => Some(Stat::P90),
        "p95" => Some(Stat::P95),
        "p99" => Some(Stat::P99),
        // Other percentiles (p25, p99.9, ...) have no canonical column.
        _ => None,
    }
}

/// Latency statistics by family, dropping families the tool did not measure.
fn latencies(
    f: Fields<'_>,
    p: &mut Point,
    completed: u64,
    requests: Option<&Requests>,
    w: &mut Warn<'_>,
) -> Result<(), ReadError> {
    let mut by_family: BTreeMap<Latency, BTreeMap<Stat, f64>> = BTreeMap::new();
    for key in f.obj.keys() {
        let Some(caps) = stat_key().captures(key) else {
            continue;
        };
        let (Some(word), Some(name)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let (Some(stat), Some(lat)) = (
            stat_of(word.as_str()),
            latency_for(Source::BenchmarkServing, name.as_str()),
        ) else {
            continue;
        };
        let Some(v) = finite(f, key)? else { continue };
        if v < 0.0 {
            // SGLang can print a slightly negative median TPOT when its latency clock and TTFT disagree.
            w.warn(f.path, format!("`{key}` is negative ({v}); left out"));
            continue;
        }
        let slot = by_family.entry(lat).or_default();
        // `median` and `p50` are the same numpy value; keep the first one seen.
        slot.entry(stat).or_insert(v);
    }
    let total_out = f.opt_nonneg("total_output_tokens")?;
    for (lat, stats) in by_family {
        if let Some(reason) = not_measured(lat, &stats, completed, total_out, requests) {
            w.warn(
                f.path,
                format!(
                    "{} not measured ({reason}); its statistics are left out",
                    lat.title()
                ),
            );
            continue;
        }
        for (stat, v) in stats {
            p.set(Metric::Latency(lat, stat), v);
        }
    }
    Ok(())
}

/// A finite number or None; negative allowed here (the caller decides).
fn finite(f: Fields<'_>, key: &str) -> Result<Option<f64>, ReadError> {
    if let Some(Value::String(s)) = f.obj.get(key) {
        return Err(ReadError::field(
            f.path,
            key,
            format!("a finite number, found \"{s}\""),
        ));
    }
    f.opt_f64(key)
}

/// The rule for a mean of 0: the tools compute `np.mean(list or 0)`, so 0 means the list was empty
/// (TPOT: no request with more than one output token; ITL: no streamed gaps; TTFT: non-streaming
/// backend) or held only zeros (vLLM records TTFT 0.0 for non-streaming requests). A real latency is a
/// `perf_counter` difference and is never exactly 0, so a family whose mean is exactly 0 is not
/// measured, and all its statistics are dropped with a warning. The warning gives the reason found in
/// the per-request data when the file has it (no successful request with output_len > 1, no TTFT),
/// else in the counts (`total_output_tokens <= completed`: at most one token per request on average,
/// so the TPOT list was empty). The E2E list holds every completed request, so an E2E mean of 0 can
/// only come from a broken file; it is dropped the same way.
fn not_measured(
    lat: Latency,
    stats: &BTreeMap<Stat, f64>,
    completed: u64,
    total_out: Option<f64>,
    requests: Option<&Requests>,
) -> Option<String> {
    if stats.get(&Stat::Avg) != Some(&0.0) {
        return None;
    }
    let reason = match (lat, requests) {
        (Latency::Tpot, Some(r))
            if !r
                .osl
                .iter()
                .zip(&r.ok)
                .any(|(o, ok)| *ok && o.is_some_and(|o| o > 1.0)) =>
        {
            "no successful request has more than one output token"
        }
        (Latency::Tpot, None) if total_out.is_some_and(|t| t <= completed as f64) => {
            "total_output_tokens <= completed: at most one output token per request"
        }
        (Latency::Ttft, Some(r)) if r.ok_values(Latency::Ttft).is_empty() => {
            "no successful request has a first-token time: non-streaming backend?"
        }
        (Latency::Ttft | Latency::Itl | Latency::Tpot, _) => {
            "mean is 0: empty list, non-streaming backend?"
        }
        (Latency::E2el, _) => "mean is 0, although every completed request has a latency",
    };
    Some(reason.to_string())
}

/// Per-request arrays, one entry per request with failed ones included (vLLM `--save-detailed`,
/// SGLang `--output-details`, TensorRT-LLM `--save-detailed`). Seconds are converted to ms.
/// Latency: `latencies` (vLLM) or `e2els` (TensorRT-LLM), else ttft + sum(itls) (SGLang; its own
/// latency also includes the final `[DONE]` chunk, so its E2E/TPOT stats stay the file's).
fn requests(f: Fields<'_>) -> Result<Option<Requests>, ReadError> {
    let arrays = PerRequest::read(f)?;
    let Some(n) = arrays.len(f)? else {
        return Ok(None);
    };
    let mut out = Requests::default();
    for i in 0..n {
        out.push(arrays.row(f, i)?);
    }
    Ok(Some(out))
}

/// The per-request arrays a file has (any subset).
struct PerRequest<'a> {
    errors: Option<&'a Vec<Value>>,
    ttfts: Option<&'a Vec<Value>>,
    itls: Option<&'a Vec<Value>>,
    input_lens: Option<&'a Vec<Value>>,
    output_lens: Option<&'a Vec<Value>>,
    latencies: Option<(&'static str, &'a Vec<Value>)>,
    generated_texts: Option<&'a Vec<Value>>,
}

impl<'a> PerRequest<'a> {
    fn read(f: Fields<'a>) -> Result<PerRequest<'a>, ReadError> {
        let latencies = match f.opt_array("latencies")? {
            Some(a) => Some(("latencies", a)),
            None => f.opt_array("e2els")?.map(|a| ("e2els", a)),
        };
        Ok(PerRequest {
            errors: f.opt_array("errors")?,
            ttfts: f.opt_array("ttfts")?,
            itls: f.opt_array("itls")?,
            input_lens: f.opt_array("input_lens")?,
            output_lens: f.opt_array("output_lens")?,
            latencies,
            generated_texts: f.opt_array("generated_texts")?,
        })
    }

    /// The common length of the arrays, `None` without any; different lengths name the odd field.
    fn len(&self, f: Fields<'_>) -> Result<Option<usize>, ReadError> {
        let all = [
            ("errors", self.errors),
            ("ttfts", self.ttfts),
            ("itls", self.itls),
            ("input_lens", self.input_lens),
            ("output_lens", self.output_lens),
            (
                self.latencies.map_or("latencies", |l| l.0),
                self.latencies.map(|l| l.1),
            ),
            ("generated_texts", self.generated_texts),
        ];
        let mut first: Option<(&str, usize)> = None;
        for (name, arr) in all {
            let Some(arr) = arr else { continue };
            match first {
                None => first = Some((name, arr.len())),
                Some((first_name, n)) if arr.len() != n => {
                    return Err(ReadError::field(
                        f.path,
                        name,
                        format!(
                            "one entry per request like `{first_name}` ({n}), found {}",
                            arr.len()
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        // generated_texts alone gives no measurement.
        let measured = self.ttfts.is_some()
            || self.latencies.is_some()
            || self.output_lens.is_some()
            || self.input_lens.is_some()
            || self.errors.is_some();
        Ok(first.filter(|_| measured).map(|(_, n)| n))
    }

    fn row(&self, f: Fields<'_>, i: usize) -> Result<RequestRow, ReadError> {
        let ttft_s = elem_num(f, "ttfts", self.ttfts, i)?;
        let gaps = match self.itls.and_then(|a| a.get(i)) {
            None | Some(Value::Null) => None,
            Some(Value::Array(g)) => {
                let mut sum = 0.0;
                for (j, v) in g.iter().enumerate() {
                    sum += v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        ReadError::field(
                            f.path,
                            &format!("itls[{i}][{j}]"),
                            format!("a number, found {}", kind(v)),
                        )
                    })?;
                }
                Some((g.len(), sum))
            }
            Some(other) => {
                return Err(ReadError::field(
                    f.path,
                    &format!("itls[{i}]"),
                    format!("a list, found {}", kind(other)),
                ))
            }
        };
        let latency_s = match self.latencies {
            Some((name, a)) => elem_num(f, name, Some(a), i)?,
            None => None,
        };
        let isl = elem_num(f, "input_lens", self.input_lens, i)?;
        let osl = elem_num(f, "output_lens", self.output_lens, i)?;
        let ok = match self.errors.and_then(|a| a.get(i)) {
            Some(Value::String(s)) => s.is_empty(),
            None | Some(Value::Null) => {
                // Without `errors`: a failed request has output_len 0, ttft 0.0, latency 0.0 and no gaps.
                [ttft_s, latency_s, osl]
                    .iter()
                    .any(|v| v.is_some_and(|x| x > 0.0))
                    || gaps.is_some_and(|g| g.0 > 0)
            }
            Some(other) => {
                return Err(ReadError::field(
                    f.path,
                    &format!("errors[{i}]"),
                    format!("a string, found {}", kind(other)),
                ))
            }
        };
        if !ok {
            return Ok(RequestRow {
                isl,
                ok: false,
                ..RequestRow::default()
            });
        }
        // TTFT 0.0 is what non-streaming requests record: not a measurement.
        let ttft_s = ttft_s.filter(|t| *t > 0.0);
        let rebuilt = match (ttft_s, gaps) {
            (Some(t), Some((_, sum))) => Some(t + sum),
            _ => None,
        };
        let latency_s = latency_s.filter(|l| *l > 0.0).or(rebuilt);
        let tpot_ms = match (latency_s, ttft_s, osl) {
            (Some(l), Some(t), Some(o)) if o > 1.0 => Some((l - t) / (o - 1.0) * 1000.0),
            _ => None,
        };
        Ok(RequestRow {
            ttft_ms: ttft_s.map(|t| t * 1000.0),
            tpot_ms,
            e2el_ms: latency_s.map(|l| l * 1000.0),
            isl,
            osl,
            ok: true,
        })
    }
}

/// Entry `i` of a numeric per-request array: a non-negative finite number, or None (absent, null/NaN).
fn elem_num(
    f: Fields<'_>,
    name: &str,
    arr: Option<&Vec<Value>>,
    i: usize,
) -> Result<Option<f64>, ReadError> {
    match arr.and_then(|a| a.get(i)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(ReadError::field(
                f.path,
                &format!("{name}[{i}]"),
                format!(
                    "a number >= 0, found {}",
                    if v.is_number() {
                        v.to_string()
                    } else {
                        kind(v).to_string()
                    }
                ),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_python_constants_become_strict_json_outside_strings() {
        let s = r#"{"a": Infinity, "b": -Infinity, "c": NaN, "t": "NaN and Infinity \" Infinity"}"#;
        let v: Value = serde_json::from_str(&strict_json(s)).unwrap();
        assert_eq!(v["a"], "Infinity");
        assert_eq!(v["b"], "-Infinity");
        assert!(v["c"].is_null());
        assert_eq!(v["t"], "NaN and Infinity \" Infinity");
        assert!(matches!(strict_json("{\"x\": 1}"), Cow::Borrowed(_)));
    }

    #[test]
    fn sniff_wants_result_keys_in_a_json_object() {
        let head = r#"{"date": "x", "duration": 3.5, "completed": 10, "request_throughput": 2.0"#;
        assert!(sniff(Path::new("r.json"), head));
        assert!(!sniff(Path::new("r.pytorch.json"), head));
        assert!(!sniff(Path::new("r.json"), "[{\"completed\": 1}]"));
        assert!(!sniff(
            Path::new("out.txt"),
            "============ Serving Benchmark Result ============\nSuccessful requests: 1"
        ));
        assert!(!sniff(
            Path::new("p.json"),
            r#"{"request_throughput": {"avg": 1}, "benchmark_duration": {"avg": 2}}"#
        ));
    }

    #[test]
    fn stat_keys_map_to_canonical_stats() {
        let caps = stat_key().captures("p99_e2e_latency_ms").unwrap();
        assert_eq!(&caps[1], "p99");
        assert_eq!(
            latency_for(Source::BenchmarkServing, &caps[2]),
            Some(Latency::E2el)
        );
        assert_eq!(stat_of("p99.9"), None);
        assert_eq!(stat_of("median"), Some(Stat::P50));
        assert!(stat_key().captures("probe_median_e2el_ms").is_none());
    }
}
