//! llm-d's Benchmark Report (llm-d-benchmark `benchmark_report`, schema versions 0.1 and
//! 0.2/0.2.1), JSON or YAML: one point per report, every statistic read with the `units` it
//! states. inference-perf writes the 0.2 slice of one (`inference-perf.partial.stage_N.yaml`)
//! beside each stage report; there the stage report is read and the partial left alone.
//!
//! Where the figures live: 0.1 `metrics.{requests,latency,throughput}` (throughput as plain
//! numbers per second); 0.2 `results.request_performance.aggregate.{requests,latency,
//! throughput}` (throughput as statistics with units), the load in
//! `scenario.load.standardized` (`rate_qps`, `concurrency`, `input_seq_len`, ...).
//! `time_per_output_token` excludes the first token; `normalized_time_per_output_token`
//! includes it; `inter_token_latency` is what each tool calls ITL (see docs/formats.md).

use std::path::Path;

use super::fields::{parse_json, parse_yaml, within, Fields};
use super::stat_block::{ms_per_unit, set_latency, set_throughputs};
use super::{read_text, ReadCtx};
use crate::model::{latency_names, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

/// Statistics of a report's `Statistics` object.
const KEYS: [(Stat, &str); 8] = [
    (Stat::Avg, "mean"),
    (Stat::P50, "p50"),
    (Stat::P90, "p90"),
    (Stat::P95, "p95"),
    (Stat::P99, "p99"),
    (Stat::Min, "min"),
    (Stat::Max, "max"),
    (Stat::Std, "stddev"),
];

fn is_json_head(head: &str) -> bool {
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// A top-level YAML key (`results:` at column 0).
fn has_top_key(head: &str, key: &str) -> bool {
    head.lines().any(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

pub fn sniff(path: &Path, head: &str) -> bool {
    is_report(path, head) && !beside_its_stage_report(path)
}

/// A Benchmark Report of any version, by its top-level keys.
pub fn is_report(path: &Path, head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}');
    if is_json_head(head) {
        head.contains("\"version\"")
            && (head.contains("\"request_performance\"")
                || (head.contains("\"scenario\"") && head.contains("\"metrics\"")))
    } else {
        let yaml_name = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        // Written with sorted keys (0.2.1 examples), `version` comes last: `results:` and its
        // sections then say what the file is.
        let results_sections = head.lines().any(|l| {
            [
                "  component_health:",
                "  observability:",
                "  request_performance:",
            ]
            .contains(&l.trim_end())
        });
        yaml_name
            && ((has_top_key(head, "version")
                && (has_top_key(head, "results")
                    || (has_top_key(head, "scenario") && has_top_key(head, "metrics"))))
                || (has_top_key(head, "results") && results_sections))
    }
}

/// inference-perf's `inference-perf.partial.stage_N.yaml` next to `stage_N_lifecycle_metrics.json`.
fn beside_its_stage_report(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(n) = name
        .strip_prefix("inference-perf.partial.stage_")
        .and_then(|r| r.strip_suffix(".yaml"))
    else {
        return false;
    };
    path.with_file_name(format!("stage_{n}_lifecycle_metrics.json"))
        .is_file()
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let value = if is_json_head(&text) {
        parse_json(path, &text)?
    } else {
        parse_yaml(path, &text)?
    };
    let f = Fields::new(path, &value)?;
    // YAML may spell the version as a number (0.2) or a string ('0.2').
    let version = match f.obj.get("version") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => {
            return Err(ReadError::field(
                path,
                "version",
                "the Benchmark Report version (0.1 or 0.2), but it is missing",
            ))
        }
    };
    let mut p = Point::new(Source::LlmdReport, path);
    p.extra.insert("report_version".into(), version.clone());
    if version == "0.1" {
        read_v01(&f, &mut p)?;
    } else if version == "0.2" || version.starts_with("0.2.") {
        read_v02(&f, &mut p)?;
    } else {
        return Err(ReadError::field(
            path,
            "version",
            format!("Benchmark Report version 0.1 or 0.2, found {version}"),
        ));
    }
    if p.get(Metric::RequestsOk) == Some(0.0) {
        return Err(ReadError::file(path, "no request succeeded in this report"));
    }
    if p.concurrency.is_none() && p.request_rate.is_none() {
        ctx.warn(
            path,
            "the report states no load (scenario.load: rate or concurrency); reports without one in one directory are taken as repeats of one point",
        );
    }
    Ok(vec![p])
}

fn read_v01(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    let path = f.path;
    if let Some(sc) = f.opt_obj("scenario", "scenario.")? {
        if let Some(m) = sc.opt_obj("model", "scenario.model.")? {
            p.model = m.opt_str("name")?.map(str::to_string);
        }
        if let Some(load) = sc.opt_obj("load", "scenario.load.")? {
            if let Some(name) = load.opt_str("name")? {
                p.extra.insert("tool".into(), name.to_string());
            }
        }
    }
    let m = f
        .opt_obj("metrics", "metrics.")?
        .ok_or_else(|| ReadError::field(path, "metrics", "the results, but they are missing"))?;
    if let Some(t) = m.opt_obj("time", "metrics.time.")? {
        p.set_opt(Metric::DurationS, t.opt_nonneg("duration")?);
    }
    read_requests(p, &m, "metrics.")?;
    read_latencies(p, &m, "metrics.")?;
    if let Some(t) = m.opt_obj("throughput", "metrics.throughput.")? {
        set_throughputs(p, &t)?;
    }
    Ok(())
}

fn read_v02(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    let path = f.path;
    if let Some(sc) = f.opt_obj("scenario", "scenario.")? {
        read_v02_scenario(&sc, p)?;
    }
    let results = f
        .opt_obj("results", "results.")?
        .ok_or_else(|| ReadError::field(path, "results", "the results, but they are missing"))?;
    let agg = results
        .opt_obj("request_performance", "results.request_performance.")?
        .map(|rp| rp.opt_obj("aggregate", "results.request_performance.aggregate."))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            ReadError::field(
                path,
                "results.request_performance.aggregate",
                "the aggregate results, but they are missing",
            )
        })?;
    let place = "results.request_performance.aggregate.";
    read_requests(p, &agg, place)?;
    read_latencies(p, &agg, place)?;
    if let Some(t) = agg.opt_obj("throughput", "")? {
        for (key, m) in [
            ("request_rate", Metric::RequestThroughput),
            ("output_token_rate", Metric::OutputTokenThroughput),
            ("total_token_rate", Metric::TotalTokenThroughput),
        ] {
            if let Some(s) = t.opt_obj(key, "")? {
                let at = format!("{place}throughput.{key}.");
                p.set_opt(m, s.opt_nonneg("mean").map_err(|e| within(e, &at))?);
            }
        }
    }
    Ok(())
}

fn read_v02_scenario(sc: &Fields, p: &mut Point) -> Result<(), ReadError> {
    if let Some(stack) = sc.opt_array("stack")? {
        let model = stack
            .iter()
            .filter_map(|c| c.pointer("/standardized/model/name"))
            .find_map(|n| n.as_str());
        p.model = model.map(str::to_string);
    }
    let Some(load) = sc.opt_obj("load", "scenario.load.")? else {
        return Ok(());
    };
    let Some(st) = load.opt_obj("standardized", "scenario.load.standardized.")? else {
        return Ok(());
    };
    if let Some(tool) = st.opt_str("tool")? {
        p.extra.insert("tool".into(), tool.to_string());
    }
    p.tool_version = st.opt_str("tool_version")?.map(str::to_string);
    if let Some(stage) = st.opt_u64("stage")? {
        p.extra.insert("stage".into(), stage.to_string());
    }
    // `concurrency: .inf` (no limit) reads as null.
    p.concurrency = st.opt_u64("concurrency")?;
    if p.concurrency.is_none() {
        p.request_rate = st.opt_nonneg("rate_qps")?;
    }
    for (key, slot) in [
        ("input_seq_len", &mut p.isl),
        ("output_seq_len", &mut p.osl),
    ] {
        if let Some(len) = st.opt_obj(key, "")? {
            let at = format!("scenario.load.standardized.{key}.");
            let fixed = len.opt_str("distribution").map_err(|e| within(e, &at))? == Some("fixed");
            let value = len.opt_u64("value").map_err(|e| within(e, &at))?;
            *slot = value.filter(|_| fixed);
        }
    }
    Ok(())
}

/// `requests` (total, failures, token lengths) below `obj`.
fn read_requests(p: &mut Point, obj: &Fields, place: &str) -> Result<(), ReadError> {
    let Some(r) = obj.opt_obj("requests", "")? else {
        return Err(ReadError::field(
            obj.path,
            &format!("{place}requests"),
            "the request counts, but they are missing",
        ));
    };
    let at = format!("{place}requests.");
    let get = |k: &str| r.opt_nonneg(k).map_err(|e| within(e, &at));
    let total = get("total")?.ok_or_else(|| {
        ReadError::field(obj.path, &format!("{at}total"), "the number of requests")
    })?;
    let failures = get("failures")?.unwrap_or(0.0);
    let incomplete = get("incomplete")?.unwrap_or(0.0);
    p.set(Metric::RequestsOk, (total - failures - incomplete).max(0.0));
    p.set(Metric::RequestsFailed, failures);
    if incomplete > 0.0 {
        p.extra
            .insert("requests_incomplete".into(), incomplete.to_string());
    }
    for (key, m) in [
        ("input_length", Metric::InputTokensAvg),
        ("output_length", Metric::OutputTokensAvg),
    ] {
        if let Some(s) = r.opt_obj(key, "")? {
            let at = format!("{at}{key}.");
            p.set_opt(m, s.opt_nonneg("mean").map_err(|e| within(e, &at))?);
        }
    }
    Ok(())
}

/// `latency` below `obj`: each statistic converted from the units it states.
fn read_latencies(p: &mut Point, obj: &Fields, place: &str) -> Result<(), ReadError> {
    let Some(lat) = obj.opt_obj("latency", "")? else {
        return Ok(());
    };
    for (key, family) in latency_names(Source::LlmdReport) {
        let Some(s) = lat.opt_obj(key, "")? else {
            continue;
        };
        let at = format!("{place}latency.{key}.");
        let units = s.opt_str("units").map_err(|e| within(e, &at))?;
        let to_ms = match units.map(|u| (u, ms_per_unit(u))) {
            Some((_, Some(x))) => x,
            Some((u, None)) => {
                return Err(ReadError::field(
                    obj.path,
                    &format!("{at}units"),
                    format!("a time unit (ms, s, ms/token, s/token), found `{u}`"),
                ))
            }
            None => {
                return Err(ReadError::field(
                    obj.path,
                    &format!("{at}units"),
                    "the units of these statistics, but they are missing",
                ))
            }
        };
        set_latency(p, family, &s, &KEYS, to_ms).map_err(|e| within(e, &at))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_both_versions_in_yaml_and_json() {
        let v2 = "version: '0.2'\nrun:\n  uid: x\nresults:\n  request_performance: {}\n";
        assert!(sniff(Path::new("/nonexistent/br.yaml"), v2));
        let v1 = "version: '0.1'\nscenario:\n  x: 1\nmetrics:\n  y: 2\n";
        assert!(sniff(Path::new("/nonexistent/br.yml"), v1));
        assert!(!sniff(
            Path::new("/nonexistent/config.yaml"),
            "version: 3\nload:\n"
        ));
        let json = r#"{"version": "0.2", "results": {"request_performance": {}}}"#;
        assert!(sniff(Path::new("/nonexistent/br.json"), json));
    }
}
