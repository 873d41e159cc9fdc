//! `export llm-d`: one llm-d Benchmark Report v0.2 per point (the format of llm-d-benchmark's
//! `benchmark_report` package, read by llm-d-prism), as YAML.
//!
//! What adreport knows of a point goes where the schema puts it: the run's identity (ids derived
//! from the label and the point's files, so a second export gives the same ids), the workload
//! (`scenario.load.standardized`: tool, ISL, OSL, concurrency or rate), the serving stack as a
//! generic component (adreport does not know the accelerators or parallelism the schema's
//! inference-engine component requires), and the aggregate request performance: request counts,
//! TTFT, TPOT, ITL and request latency (mean, p50, p90, p95, p99, min, max, stddev in ms) and
//! the throughputs. Nothing is invented: a statistic the tool did not report is left out.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::output::{Exporter, Output};
use crate::model::{Latency, Metric, Point, Stat, Sweep, END_TIME, START_TIME};
use crate::util::error::Error;

/// The schema version written.
pub const VERSION: &str = "0.2";

/// One report per point of the sweep.
pub struct LlmdReports;

impl Exporter<Sweep> for LlmdReports {
    fn render(&self, sweep: &Sweep, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let mut names: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for p in &sweep.points {
            let mut name = file_name(p);
            // Two points that would share a name (same label and load from different tools).
            let mut n = 2;
            while names.contains(&name) {
                name = format!("{}_{n}.yaml", file_name(p).trim_end_matches(".yaml"));
                n += 1;
            }
            names.push(name.clone());
            let text = serde_yaml::to_string(&report(p))
                .map_err(|e| Error::Usage(format!("cannot write {name}: {e}")))?;
            out.push(Output::text(name, quote_timestamps(&text)));
        }
        Ok(out)
    }
}

/// `benchmark_report_v0.2_LABEL_isl_128_osl_64_conc_8.yaml`, the label kept to file-safe
/// characters.
pub fn file_name(p: &Point) -> String {
    let label: String = p
        .label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let o = |v: Option<u64>| v.map_or("x".into(), |v| v.to_string());
    let load = match (p.concurrency, p.batch_size_load(), p.request_rate) {
        (Some(c), _, _) => format!("conc_{c}"),
        (None, Some(bs), _) => format!("bs_{bs}"),
        (None, None, Some(r)) => format!("rate_{r}"),
        _ => "load_x".into(),
    };
    format!(
        "benchmark_report_v{VERSION}_{label}_isl_{}_osl_{}_{load}.yaml",
        o(p.isl),
        o(p.osl)
    )
}

/// A 32-hex-digit id from `parts` (SHA-256, cut), as llm-d's own ids look.
fn id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The report of one point.
pub fn report(p: &Point) -> Value {
    let path = p.path.display().to_string();
    let tool = p.source.name();
    let tool_version = p.tool_version.clone().unwrap_or_else(|| "unknown".into());
    let values: Vec<String> = p
        .metrics
        .iter()
        .map(|(m, v)| format!("{}={v}", m.name()))
        .collect();
    let mut run = Map::new();
    run.insert(
        "uid".into(),
        json!(id(&[&p.label, &path, &values.join(",")])),
    );
    run.insert("eid".into(), json!(id(&[&p.label])));
    if let Some(host) = p.extra.get("host") {
        run.insert("cid".into(), json!(id(&[host])));
    }
    let mut time = Map::new();
    for (key, name) in [(START_TIME, "start"), (END_TIME, "end")] {
        if let Some(t) = p.extra.get(key) {
            time.insert(name.into(), json!(t));
        }
    }
    if let Some(d) = p.get(Metric::DurationS) {
        time.insert("duration".into(), json!(format!("PT{d}S")));
    }
    if !time.is_empty() {
        run.insert("time".into(), Value::Object(time));
    }
    let runs = p.runs();
    run.insert(
        "description".into(),
        json!(format!(
            "{} {}[{}{}] exported by adreport",
            p.label,
            p.model
                .as_deref()
                .map_or(String::new(), |m| format!("{m} ")),
            path,
            if runs > 1 {
                format!(", mean of {runs} runs")
            } else {
                String::new()
            }
        )),
    );

    let mut load = Map::new();
    load.insert("tool".into(), json!(tool));
    load.insert("tool_version".into(), json!(tool_version));
    load.insert("source".into(), json!("unknown"));
    load.insert(
        "input_seq_len".into(),
        seq_len(p.isl, p.get(Metric::InputTokensAvg)),
    );
    if p.osl.is_some() || p.get(Metric::OutputTokensAvg).is_some() {
        load.insert(
            "output_seq_len".into(),
            seq_len(p.osl, p.get(Metric::OutputTokensAvg)),
        );
    }
    if let Some(r) = p.request_rate.filter(|r| *r > 0.0 && r.is_finite()) {
        load.insert("rate_qps".into(), json!(r));
    }
    if let Some(c) = p.concurrency.filter(|c| *c >= 1) {
        load.insert("concurrency".into(), json!(c));
    }

    let mut engine = Map::new();
    engine.insert("kind".into(), json!("generic"));
    engine.insert(
        "tool".into(),
        json!(p.backend.clone().unwrap_or_else(|| "unknown".into())),
    );
    engine.insert("tool_version".into(), json!("unknown"));
    if let Some(m) = &p.model {
        engine.insert("model".into(), json!({ "name": m }));
    }
    if let Some(g) = p.num_gpus {
        engine.insert("accelerator_count".into(), json!(g));
    }

    json!({
        "version": VERSION,
        "run": run,
        "scenario": {
            "stack": [{
                "metadata": {
                    "label": p.label,
                    "cfg_id": id(&[&p.label, p.backend.as_deref().unwrap_or(""), p.model.as_deref().unwrap_or("")]),
                    "description": "the server under test, as far as the benchmark results tell",
                },
                "standardized": engine,
                "native": {},
            }],
            "load": {
                "metadata": {
                    "cfg_id": id(&[tool, &p.isl.map_or(String::new(), |v| v.to_string()), &p.osl.map_or(String::new(), |v| v.to_string()), &p.concurrency.map_or(String::new(), |v| v.to_string())]),
                    "description": format!("{tool} results read by adreport from {path}"),
                },
                "standardized": load,
                "native": { "config": { "results_path": path } },
            },
        },
        "results": { "request_performance": { "aggregate": aggregate(p) } },
    })
}

/// serde_yaml writes YAML 1.2, where `2026-11-23T07:22:35` is a plain string; PyYAML and other
/// YAML 1.1 readers (llm-d's tools among them) take it for a datetime, which the report's JSON
/// Schema refuses. Values that look like dates are quoted so every reader sees a string.
fn quote_timestamps(yaml: &str) -> String {
    let looks_like_date = |v: &str| {
        let b = v.as_bytes();
        b.len() >= 10
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[5..7].iter().all(u8::is_ascii_digit)
            && b[7] == b'-'
            && b[8..10].iter().all(u8::is_ascii_digit)
    };
    let mut out = String::with_capacity(yaml.len() + 16);
    for line in yaml.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        match body.split_once(": ") {
            Some((key, value)) if looks_like_date(value) && !value.contains('\'') => {
                out.push_str(&format!("{key}: '{value}'"));
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// A sequence length: the configured one when known (the load point's ISL/OSL), else the mean
/// the tool measured; its distribution is not known from the results.
fn seq_len(configured: Option<u64>, measured: Option<f64>) -> Value {
    let value = configured
        .map(|v| v as f64)
        .or(measured)
        .unwrap_or(0.0)
        .round() as u64;
    json!({ "distribution": "other", "value": value })
}

fn aggregate(p: &Point) -> Value {
    let mut requests = Map::new();
    let ok = p.get(Metric::RequestsOk);
    let failed = p.get(Metric::RequestsFailed);
    let total = ok.unwrap_or(0.0) + failed.unwrap_or(0.0);
    requests.insert("total".into(), json!(total.round() as u64));
    if let Some(f) = failed {
        requests.insert("failures".into(), json!(f.round() as u64));
    }
    for (key, m) in [
        ("input_length", Metric::InputTokensAvg),
        ("output_length", Metric::OutputTokensAvg),
    ] {
        if let Some(v) = p.get(m) {
            requests.insert(key.into(), json!({ "units": "count", "mean": v }));
        }
    }
    let mut latency = Map::new();
    for (key, lat, units) in [
        ("time_to_first_token", Latency::Ttft, "ms"),
        ("time_per_output_token", Latency::Tpot, "ms/token"),
        ("inter_token_latency", Latency::Itl, "ms/token"),
        ("request_latency", Latency::E2el, "ms"),
    ] {
        if let Some(s) = statistics(p, lat, units) {
            latency.insert(key.into(), s);
        }
    }
    let mut throughput = Map::new();
    for (key, m, units) in [
        (
            "output_token_rate",
            Metric::OutputTokenThroughput,
            "tokens/s",
        ),
        ("total_token_rate", Metric::TotalTokenThroughput, "tokens/s"),
        ("request_rate", Metric::RequestThroughput, "queries/s"),
    ] {
        if let Some(v) = p.get(m) {
            throughput.insert(key.into(), json!({ "units": units, "mean": v }));
        }
    }
    if let (Some(total), Some(out)) = (
        p.get(Metric::TotalTokenThroughput),
        p.get(Metric::OutputTokenThroughput),
    ) {
        throughput.insert(
            "input_token_rate".into(),
            json!({ "units": "tokens/s", "mean": total - out }),
        );
    }
    let mut agg = Map::new();
    agg.insert("requests".into(), Value::Object(requests));
    if !latency.is_empty() {
        agg.insert("latency".into(), Value::Object(latency));
    }
    if !throughput.is_empty() {
        agg.insert("throughput".into(), Value::Object(throughput));
    }
    Value::Object(agg)
}

/// The statistics of one latency family in the schema's names; `None` without a mean (the
/// schema requires one).
fn statistics(p: &Point, lat: Latency, units: &str) -> Option<Value> {
    let mean = p.get(Metric::Latency(lat, Stat::Avg))?;
    let mut s = Map::new();
    s.insert("units".into(), json!(units));
    s.insert("mean".into(), json!(mean));
    for (key, stat) in [
        ("stddev", Stat::Std),
        ("min", Stat::Min),
        ("p50", Stat::P50),
        ("p90", Stat::P90),
        ("p95", Stat::P95),
        ("p99", Stat::P99),
        ("max", Stat::Max),
    ] {
        if let Some(v) = p.get(Metric::Latency(lat, stat)) {
            s.insert(key.into(), json!(v));
        }
    }
    Some(Value::Object(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_quoted_for_yaml_1_1_readers_and_nothing_else_changes() {
        let yaml = "run:\n  time:\n    start: 2026-11-23T07:22:35.043779\n    duration: PT5S\n  uid: 2026\n  note: it's 2026-11-23\n";
        assert_eq!(
            quote_timestamps(yaml),
            "run:\n  time:\n    start: '2026-11-23T07:22:35.043779'\n    duration: PT5S\n  uid: 2026\n  note: it's 2026-11-23\n"
        );
    }
}
