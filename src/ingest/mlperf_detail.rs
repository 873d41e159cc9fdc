//! MLPerf Inference loadgen's `mlperf_log_detail.txt`, read beside the summary of the same run
//! (`mlperf_log_summary.txt`, see [`super::mlperf`]). Loadgen writes both at the end of a run;
//! the detail log is one `:::MLLOG {json}` line per event, `{"key": ..., "value": ...,
//! "metadata": {"is_error": .., "is_warning": ..}}`.
//!
//! What it adds over the summary: the number of samples completed (`result_query_count` x
//! `generated_samples_per_query`), the loadgen version, the run's start (`test_datetime`) and
//! the warnings and errors loadgen logged (the summary only counts them: "2 warnings
//! encountered. See detailed log."). What both files say is checked: a detail log that
//! disagrees with its summary is not of the same run, and the point is left out.
//!
//! Decisions: the summary is the result (it is what MLCommons publishes and reviews), so a
//! detail log that is cut short or not JSON is a warning and the summary is read alone; a
//! detail log without a summary beside it is not read (its result is the summary's).
//!
//! Traps (see docs/formats.md): Server and Offline name their rates differently
//! (`result_completed_samples_per_sec` / `result_samples_per_second`); the TPOT mean, min and
//! max keys have no `_ns` suffix (`result_time_to_output_token_mean`) while its percentiles do
//! (`result_time_per_output_token_99.00_percentile_ns`); `result_token_throughput` of an LLM
//! Server run is not a throughput (7.6e-09 beside 10755.6 tokens/s) and is not read; every
//! query is "over latency" (`result_overlatency_query_count`) when the run has no single
//! latency target, as the LLM benchmarks have not; an Offline run is one query of all samples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, Stat, START_TIME};
use crate::util::error::ReadError;

/// The detail log's name beside the summary.
pub const FILE: &str = "mlperf_log_detail.txt";

const PREFIX: &str = ":::MLLOG ";

/// Loadgen's messages shown in a warning at most, the rest counted.
const SHOWN: usize = 3;

pub fn sniff(_path: &Path, head: &str) -> bool {
    head.trim_start_matches('\u{feff}').starts_with(PREFIX)
}

/// A detail log read alone: the summary beside it carries the run's result.
pub fn read_alone(path: &Path) -> ReadError {
    ReadError::file(
        path,
        "an MLPerf loadgen detail log is read with the mlperf_log_summary.txt of its run, and there is none beside it",
    )
}

/// A detail log: each key's value (the last one logged) with its line, and loadgen's warnings
/// and errors in order.
#[derive(Debug, Default)]
pub struct Detail {
    pub path: PathBuf,
    values: BTreeMap<String, (usize, Value)>,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

impl Detail {
    fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).map(|(_, v)| v)
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }

    /// A number field, `None` when absent; another type is an error naming the line and key.
    fn number(&self, key: &str) -> Result<Option<f64>, ReadError> {
        let Some((line, v)) = self.values.get(key) else {
            return Ok(None);
        };
        match v.as_f64().filter(|x| x.is_finite()) {
            Some(x) => Ok(Some(x)),
            None => Err(ReadError::new(
                &self.path,
                format!("line {line}, field `{key}`"),
                format!("expected a number, found {v}"),
            )),
        }
    }
}

/// Reads a whole detail log. Every line must be a complete `:::MLLOG` event and the run's
/// `result_validity` must be there: a log cut short is named as such.
pub fn parse(path: &Path) -> Result<Detail, ReadError> {
    let text = read_text(path)?;
    let mut d = Detail {
        path: path.to_path_buf(),
        ..Detail::default()
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = if n == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if line.trim().is_empty() {
            continue;
        }
        let Some(json) = line.strip_prefix(PREFIX) else {
            return Err(ReadError::line(
                path,
                n,
                "expected a `:::MLLOG {...}` event line",
            ));
        };
        let event: Value = serde_json::from_str(json).map_err(|e| {
            let why = if e.is_eof() {
                "cut short".to_string()
            } else {
                e.to_string()
            };
            ReadError::line(path, n, format!("the event is not JSON ({why})"))
        })?;
        let Some(key) = event.get("key").and_then(Value::as_str) else {
            return Err(ReadError::new(
                path,
                format!("line {n}, field `key`"),
                "expected the event's name (a string)",
            ));
        };
        let value = event.get("value").cloned().unwrap_or(Value::Null);
        let flag = |f: &str| {
            event
                .pointer(&format!("/metadata/{f}"))
                .and_then(Value::as_bool)
                == Some(true)
        };
        let said = match &value {
            Value::String(s) => format!("{key}: {s}"),
            other => format!("{key}: {other}"),
        };
        if flag("is_error") {
            d.errors.push(said);
        } else if flag("is_warning") {
            d.warnings.push(said);
        }
        d.values.insert(key.to_string(), (n, value));
    }
    if d.str("result_validity").is_none() {
        return Err(ReadError::field(
            path,
            "result_validity",
            "the run's result, but the log has none (cut short before the run ended?)",
        ));
    }
    Ok(d)
}

/// What the summary said that the detail log must agree with.
pub struct SummaryFacts<'a> {
    pub scenario: &'a str,
    pub mode: &'a str,
    pub result: &'a str,
    /// "N warnings encountered" / "N errors encountered" at the summary's end.
    pub warnings: Option<u64>,
    pub errors: Option<u64>,
}

/// Checks and fills the summary's point from the detail log beside it, if there is one.
/// A log that cannot be read is a warning (the summary stands alone); one that disagrees
/// with the summary is an error on the summary.
pub fn apply(
    summary: &Path,
    p: &mut Point,
    facts: &SummaryFacts,
    ctx: &mut ReadCtx,
) -> Result<(), ReadError> {
    let path = summary.with_file_name(FILE);
    if !path.is_file() {
        let counted = facts.warnings.unwrap_or(0) + facts.errors.unwrap_or(0);
        if counted > 0 {
            ctx.warn(
                summary,
                format!("the summary counts {counted} loadgen warnings or errors, listed in {FILE}, which is not beside it"),
            );
        }
        return Ok(());
    }
    let d = match parse(&path) {
        Ok(d) => d,
        Err(e) => {
            let at = if e.at.is_empty() {
                String::new()
            } else {
                format!("{}: ", e.at)
            };
            ctx.warn(
                &path,
                format!(
                    "not used, the summary beside it is read alone: {at}{}",
                    e.message
                ),
            );
            return Ok(());
        }
    };
    check(summary, p, facts, &d)?;
    if let (Some(q), Some(per)) = (
        d.u64("result_query_count"),
        d.u64("generated_samples_per_query"),
    ) {
        if let Some(samples) = q.checked_mul(per) {
            p.set(Metric::RequestsOk, samples as f64);
        }
    }
    if let Some(v) = d.str("loadgen_version") {
        p.tool_version = Some(v.to_string());
    }
    if let Some(t) = d.str("test_datetime") {
        p.extra.insert(START_TIME.into(), t.to_string());
    }
    for (kind, list) in [("errors", &d.errors), ("warnings", &d.warnings)] {
        if !list.is_empty() {
            ctx.warn(
                &path,
                format!("loadgen logged {} {kind}: {}", list.len(), said(list)),
            );
        }
    }
    Ok(())
}

/// Loadgen's messages, each once with how often it was logged, the first [`SHOWN`] of them.
fn said(list: &[String]) -> String {
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for m in list {
        match counted.iter_mut().find(|(x, _)| *x == m.as_str()) {
            Some((_, n)) => *n += 1,
            None => counted.push((m, 1)),
        }
    }
    let mut out: Vec<String> = counted
        .iter()
        .take(SHOWN)
        .map(|(m, n)| {
            if *n > 1 {
                format!("{m} ({n} times)")
            } else {
                m.to_string()
            }
        })
        .collect();
    if counted.len() > SHOWN {
        out.push(format!("and {} other messages", counted.len() - SHOWN));
    }
    out.join("; ")
}

/// A figure both files have: the summary's line, the point's metric, the detail key, and the
/// detail's unit per the metric's (1e6 for ns to ms).
type Figure = (&'static str, Metric, &'static str, f64);

const NS: f64 = 1e6;

const fn lat(l: Latency, s: Stat) -> Metric {
    Metric::Latency(l, s)
}

#[rustfmt::skip]
const SERVER: [Figure; 7] = [
    ("Completed samples per second", Metric::RequestThroughput, "result_completed_samples_per_sec", 1.0),
    ("Completed tokens per second", Metric::OutputTokenThroughput, "result_completed_tokens_per_second", 1.0),
    ("Mean latency (ns)", lat(Latency::E2el, Stat::Avg), "result_mean_latency_ns", NS),
    ("Mean First Token latency (ns)", lat(Latency::Ttft, Stat::Avg), "result_first_token_mean_latency_ns", NS),
    ("99.00 percentile first token latency (ns)", lat(Latency::Ttft, Stat::P99), "result_first_token_99.00_percentile_latency_ns", NS),
    ("Mean Time to Output Token (ns)", lat(Latency::Tpot, Stat::Avg), "result_time_to_output_token_mean", NS),
    ("99.00 percentile time to output token (ns)", lat(Latency::Tpot, Stat::P99), "result_time_per_output_token_99.00_percentile_ns", NS),
];

#[rustfmt::skip]
const OFFLINE: [Figure; 2] = [
    ("Samples per second", Metric::RequestThroughput, "result_samples_per_second", 1.0),
    ("Tokens per second", Metric::OutputTokenThroughput, "result_tokens_per_second", 1.0),
];

/// Every figure both files have must agree (the summary rounds: 39.25 beside 39.2526).
fn check(summary: &Path, p: &Point, facts: &SummaryFacts, d: &Detail) -> Result<(), ReadError> {
    let differ = |what: &str, ours: String, key: &str, theirs: String| {
        ReadError::new(
            summary,
            format!("field `{what}`"),
            format!(
                "{ours}, but {FILE} beside it has {key} {theirs}: the two are not of the same run"
            ),
        )
    };
    for (what, ours, key) in [
        ("Scenario", facts.scenario, "effective_scenario"),
        ("Mode", facts.mode, "effective_test_mode"),
        ("Result is", facts.result, "result_validity"),
    ] {
        if let Some(theirs) = d.str(key) {
            if theirs != ours {
                return Err(differ(what, ours.into(), key, theirs.into()));
            }
        }
    }
    let figures: &[Figure] = if facts.scenario == "Server" {
        &SERVER
    } else {
        &OFFLINE
    };
    let mut pairs: Vec<(&str, Option<f64>, &str, f64)> =
        vec![("target_qps", p.request_rate, "effective_target_qps", 1.0)];
    pairs.extend(
        figures
            .iter()
            .map(|&(what, m, key, scale)| (what, p.get(m), key, scale)),
    );
    for (what, ours, key, scale) in pairs {
        let (Some(ours), Some(theirs)) = (ours, d.number(key)?) else {
            continue;
        };
        let theirs_scaled = theirs / scale;
        if !agree(ours, theirs_scaled) {
            return Err(differ(
                what,
                format!("{}", ours * scale),
                key,
                format!("{theirs}"),
            ));
        }
    }
    Ok(())
}

/// Equal up to the rounding of the two files (the summary prints 2 decimals, the detail log
/// 6 significant digits).
fn agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 0.005
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_allows_each_files_rounding_only() {
        assert!(agree(39.25, 39.2526)); // Server samples/s: summary vs detail
        assert!(agree(10755.59, 10755.6)); // tokens/s
        assert!(!agree(39.25, 39.6));
        assert!(!agree(208.804128, 210.0));
    }

    #[test]
    fn sniffs_the_event_prefix() {
        assert!(sniff(
            Path::new("x"),
            ":::MLLOG {\"key\": \"loadgen_version\"}"
        ));
        assert!(!sniff(Path::new("x"), "MLPerf Results Summary"));
    }
}
