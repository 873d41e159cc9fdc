//! guidellm's report (`guidellm run --output json|yaml`): a GenerativeBenchmarksReport,
//! `metadata.version` 2 in guidellm 0.8. One point per benchmark, keyed by the strategy it ran
//! (concurrent N streams, synchronous = concurrency 1, constant/poisson/async at a rate,
//! throughput with neither).
//!
//! Traps (see docs/formats.md): `request_latency` is in seconds while every `*_ms` metric is in
//! milliseconds; guidellm's `time_per_output_token_ms` counts the first token (latency / output
//! tokens), so the TPOT of the other tools is its `inter_token_latency_ms`; both are
//! distributions over tokens, not requests; the YAML has its keys sorted, so `metadata` comes
//! last and the file is recognised by its `benchmarks:` list of guidellm objects.

pub mod csv;

use std::path::Path;

use serde_json::Value;

use super::fields::{parse_json, parse_yaml, within, Fields};
use super::stat_block::set_latency;
use super::{read_text, ReadCtx};
use crate::model::{latency_names, Metric, Point, RequestRow, Requests, Source, Stat};
use crate::util::error::ReadError;

/// The report schema this reader knows (`metadata.version`).
const REPORT_VERSION: u64 = 2;

/// Top-level statistics of a guidellm distribution.
const TOP_KEYS: [(Stat, &str); 5] = [
    (Stat::Avg, "mean"),
    (Stat::P50, "median"),
    (Stat::Min, "min"),
    (Stat::Max, "max"),
    (Stat::Std, "std_dev"),
];

/// Its `percentiles` object.
const PCT_KEYS: [(Stat, &str); 3] = [(Stat::P90, "p90"), (Stat::P95, "p95"), (Stat::P99, "p99")];

fn is_yaml_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

fn is_json_head(head: &str) -> bool {
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

pub fn sniff(path: &Path, head: &str) -> bool {
    if is_json_head(head) {
        return head.contains("\"guidellm_version\"");
    }
    // guidellm writes the YAML beside the JSON of the same run when asked for both: read one.
    is_yaml_report(path, head) && !path.with_extension("json").is_file()
}

/// A guidellm report in YAML (keys sorted: it opens with the `benchmarks:` list).
pub fn is_yaml_report(path: &Path, head: &str) -> bool {
    if !is_yaml_name(path) {
        return false;
    }
    let first = head
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty());
    first == Some("benchmarks:")
        && (head.contains("prefer_response_metrics:") || head.contains("guidellm"))
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let value = if is_json_head(&text) {
        parse_json(path, &text)?
    } else {
        parse_yaml(path, &text)?
    };
    let f = Fields::new(path, &value)?;
    let meta = f.opt_obj("metadata", "metadata.")?.ok_or_else(|| {
        ReadError::field(
            path,
            "metadata",
            "guidellm's report metadata (version, guidellm_version), but it is missing: not a whole report?",
        )
    })?;
    match meta.opt_u64("version")? {
        Some(REPORT_VERSION) => {}
        Some(v) => {
            return Err(ReadError::field(
                path,
                "metadata.version",
                format!("report version {REPORT_VERSION} (guidellm 0.8), found {v}"),
            ))
        }
        None => {
            return Err(ReadError::field(
                path,
                "metadata.version",
                "the report version, but it is missing",
            ))
        }
    }
    let tool_version = meta.opt_str("guidellm_version")?.map(str::to_string);
    let run = RunConfig::read(&f)?;
    let benchmarks = f.opt_array("benchmarks")?.ok_or_else(|| {
        ReadError::field(
            path,
            "benchmarks",
            "the list of benchmarks, but it is missing",
        )
    })?;
    let mut points = Vec::with_capacity(benchmarks.len());
    for (i, b) in benchmarks.iter().enumerate() {
        let place = format!("benchmarks[{i}].");
        let mut p = read_benchmark(path, b, &run, ctx, &place).map_err(|e| within(e, &place))?;
        p.tool_version = tool_version.clone();
        points.push(p);
    }
    Ok(points)
}

/// What the report's own config says about every benchmark in it.
struct RunConfig {
    model: Option<String>,
    isl: Option<u64>,
    osl: Option<u64>,
}

impl RunConfig {
    fn read(f: &Fields) -> Result<RunConfig, ReadError> {
        let mut run = RunConfig {
            model: None,
            isl: None,
            osl: None,
        };
        let Some(spec) = f
            .opt_obj("config", "config.")?
            .map(|c| c.opt_obj("spec", "config.spec."))
            .transpose()?
            .flatten()
        else {
            return Ok(run);
        };
        if let Some(backend) = spec.opt_obj("backend", "config.spec.backend.")? {
            run.model = backend.opt_str("model")?.map(str::to_string);
        }
        // One synthetic dataset: its configured token counts are the workload's ISL and OSL.
        if let Some([data]) = spec.opt_array("data")?.map(Vec::as_slice) {
            let d = Fields::new(f.path, data)
                .map_err(|_| ReadError::field(f.path, "config.spec.data[0]", "an object"))?;
            if d.opt_str("kind")? == Some("synthetic_text") {
                let d = Fields {
                    prefix: "config.spec.data[0].",
                    ..d
                };
                run.isl = d.opt_u64("prompt_tokens")?;
                run.osl = d.opt_u64("output_tokens")?;
            }
        }
        Ok(run)
    }
}

fn read_benchmark(
    path: &Path,
    b: &Value,
    run: &RunConfig,
    ctx: &mut ReadCtx,
    place: &str,
) -> Result<Point, ReadError> {
    let b = Fields::new(path, b).map_err(|_| ReadError::field(path, "", "an object"))?;
    let mut p = Point::new(Source::Guidellm, path);
    p.model = run.model.clone();
    p.isl = run.isl;
    p.osl = run.osl;
    let config = need_obj(&b, "config", "config.")?;
    let strategy = need_obj(&config, "strategy", "config.strategy.")?;
    let kind = strategy.opt_str("type_")?.ok_or_else(|| {
        ReadError::field(
            path,
            "config.strategy.type_",
            "the strategy, but it is missing",
        )
    })?;
    let number = match kind {
        "concurrent" => Some(strategy.opt_u64("streams")?.ok_or_else(|| {
            ReadError::field(path, "config.strategy.streams", "the number of streams")
        })? as f64),
        "constant" | "poisson" | "async" => {
            Some(strategy.opt_nonneg("rate")?.ok_or_else(|| {
                ReadError::field(path, "config.strategy.rate", "the request rate")
            })?)
        }
        _ => None,
    };
    let name = set_load(&mut p, kind, number);
    let metrics = need_obj(&b, "metrics", "metrics.")?;
    read_metrics(&mut p, &metrics)?;
    if drop_uncounted_prompt_tokens(&mut p) {
        ctx.warn(path, no_prompt_tokens(&format!("{place}{name}")));
    }
    if let Some(d) = b.opt_nonneg("duration")? {
        p.set(Metric::DurationS, d);
    }
    if let Some(requests) = b.opt_obj("requests", "requests.")? {
        p.requests = read_requests(path, &requests)?;
    }
    if let Some(warnings) = b.opt_array("warnings")? {
        for w in warnings {
            if let Some(msg) = w.get("message").and_then(Value::as_str) {
                ctx.warn(path, format!("guidellm warned at {place}{name}: {msg}"));
            }
        }
    }
    if p.get(Metric::RequestsOk) == Some(0.0) {
        return Err(ReadError::field(
            path,
            "metrics.request_totals.successful",
            format!("successful requests in benchmark {name}, found none"),
        ));
    }
    Ok(p)
}

fn need_obj<'a>(f: &Fields<'a>, key: &str, prefix: &'a str) -> Result<Fields<'a>, ReadError> {
    f.opt_obj(key, prefix)?.ok_or_else(|| {
        ReadError::field(
            f.path,
            &format!("{}{key}", f.prefix),
            "an object, but it is missing",
        )
    })
}

/// The `successful` part of a metric, the only one a point's figures are taken from.
fn successful<'a>(metrics: &Fields<'a>, key: &str) -> Result<Option<Fields<'a>>, ReadError> {
    let Some(m) = metrics.opt_obj(key, "")? else {
        return Ok(None);
    };
    m.opt_obj("successful", "")
        .map_err(|e| within(e, &format!("metrics.{key}.")))
}

fn read_metrics(p: &mut Point, metrics: &Fields) -> Result<(), ReadError> {
    let path = metrics.path;
    let totals = metrics
        .opt_obj("request_totals", "metrics.request_totals.")?
        .ok_or_else(|| {
            ReadError::field(
                path,
                "metrics.request_totals",
                "the request counts, but they are missing",
            )
        })?;
    let ok = totals.opt_nonneg("successful")?;
    p.set_opt(Metric::RequestsOk, ok);
    p.set_opt(Metric::RequestsFailed, totals.opt_nonneg("errored")?);
    if let Some(n) = totals.opt_nonneg("incomplete")? {
        p.extra.insert("requests_incomplete".into(), format!("{n}"));
    }
    // Every `*_ms` metric is in milliseconds; `request_latency` is in seconds.
    let latencies = latency_names(Source::Guidellm)
        .map(|(key, lat)| (key, lat, if key.ends_with("_ms") { 1.0 } else { 1000.0 }));
    for (key, lat, to_ms) in latencies {
        let Some(block) = successful(metrics, key)? else {
            continue;
        };
        let place = format!("metrics.{key}.successful.");
        set_latency(p, lat, &block, &TOP_KEYS, to_ms).map_err(|e| within(e, &place))?;
        if let Some(pct) = block.opt_obj("percentiles", "percentiles.")? {
            set_latency(p, lat, &pct, &PCT_KEYS, to_ms).map_err(|e| within(e, &place))?;
        }
    }
    let means = [
        ("requests_per_second", Metric::RequestThroughput),
        ("output_tokens_per_second", Metric::OutputTokenThroughput),
        ("tokens_per_second", Metric::TotalTokenThroughput),
        ("prompt_token_count", Metric::InputTokensAvg),
        ("output_token_count", Metric::OutputTokensAvg),
    ];
    for (key, m) in means {
        if let Some(block) = successful(metrics, key)? {
            let place = format!("metrics.{key}.successful.");
            p.set_opt(m, block.opt_nonneg("mean").map_err(|e| within(e, &place))?);
        }
    }
    Ok(())
}

/// The load of a benchmark from its strategy kind and its number (streams or rate); returns
/// the strategy as guidellm prints it (`concurrent@8`, `poisson@30.97`, `synchronous`).
fn set_load(p: &mut Point, kind: &str, number: Option<f64>) -> String {
    let name = match (kind, number) {
        ("concurrent", Some(n)) => {
            p.concurrency = Some(n as u64);
            format!("{kind}@{n}")
        }
        ("synchronous", _) => {
            p.concurrency = Some(1);
            kind.to_string()
        }
        ("constant" | "poisson" | "async", Some(r)) => {
            p.request_rate = Some(r);
            format!("{kind}@{r}")
        }
        _ => kind.to_string(),
    };
    p.extra.insert("strategy".into(), name.clone());
    name
}

/// guidellm counts prompt tokens from the server's usage; a server that does not report them
/// leaves 0, and guidellm's total tokens/s is then the output alone. Such figures are dropped;
/// returns whether they were.
fn drop_uncounted_prompt_tokens(p: &mut Point) -> bool {
    let uncounted = p.get(Metric::InputTokensAvg).unwrap_or(0.0) == 0.0
        && p.get(Metric::OutputTokensAvg) > Some(0.0);
    if uncounted {
        p.metrics.remove(&Metric::InputTokensAvg);
        p.metrics.remove(&Metric::TotalTokenThroughput);
    }
    uncounted
}

fn no_prompt_tokens(at: &str) -> String {
    format!("guidellm counted no prompt tokens at {at} (the server's usage did not report them): its input and total tokens/s are left out")
}

/// Per-request samples (`requests.successful` and `requests.errored`; the incomplete ones were
/// cut off at the end of the benchmark and are neither).
fn read_requests(path: &Path, requests: &Fields) -> Result<Option<Requests>, ReadError> {
    let mut out = Requests::default();
    for (part, ok) in [("successful", true), ("errored", false)] {
        let Some(list) = requests.opt_array(part)? else {
            continue;
        };
        for (i, r) in list.iter().enumerate() {
            let place = format!("requests.{part}[{i}].");
            let row = read_request(path, r, ok).map_err(|e| within(e, &place))?;
            out.push(row);
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

fn read_request(path: &Path, r: &Value, ok: bool) -> Result<RequestRow, ReadError> {
    let r = Fields::new(path, r).map_err(|_| ReadError::field(path, "", "an object"))?;
    Ok(RequestRow {
        ttft_ms: r.opt_nonneg("time_to_first_token_ms")?,
        tpot_ms: r.opt_nonneg("inter_token_latency_ms")?,
        e2el_ms: r.opt_nonneg("request_latency")?.map(|s| s * 1000.0),
        isl: r.opt_nonneg("prompt_tokens")?,
        osl: r.opt_nonneg("output_tokens")?,
        ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_by_its_metadata_and_yaml_by_its_benchmarks() {
        let json = r#"{"metadata": {"version": 2, "guidellm_version": "0.8.1"}, "benchmarks": []}"#;
        assert!(sniff(Path::new("/nonexistent/b.json"), json));
        assert!(!sniff(
            Path::new("/nonexistent/b.json"),
            r#"{"benchmarks": []}"#
        ));
        let yaml = "benchmarks:\n- config:\n    prefer_response_metrics: true\n";
        assert!(sniff(Path::new("/nonexistent/b.yaml"), yaml));
        assert!(!sniff(Path::new("/nonexistent/b.txt"), yaml));
        assert!(!sniff(
            Path::new("/nonexistent/b.yaml"),
            "benchmarks:\n- x: 1\n"
        ));
    }
}
