//! One benchmark_serving result object as a point: who ran what at which load, the scalars,
//! the latency statistics of every family's key names, and the "not measured" rule.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::per_request::requests;
use super::Warn;
use crate::ingest::energy::{apply_telemetry, left_out_text};
use crate::ingest::fields::Fields;
use crate::ingest::telemetry::{from_energy_block, TelemetrySource};
use crate::model::{latency_for, Latency, Metric, Point, Requests, Source, Stat};
use crate::util::error::ReadError;

/// One result object -> one point.
pub(super) fn read_result(f: Fields<'_>, w: &mut Warn<'_>) -> Result<Point, ReadError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
