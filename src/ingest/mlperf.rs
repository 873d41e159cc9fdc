//! MLPerf Inference loadgen's `mlperf_log_summary.txt`: one point per summary, for the Server
//! and Offline scenarios of a performance run.
//!
//! Lines are `key : value` (the spaces around the colon vary). Latencies are in nanoseconds.
//! Server: "Completed samples per second" (achieved) and `target_qps` (the scheduled Poisson
//! rate, the point's load); the LLM benchmarks add first-token latency (TTFT) and "Time to
//! Output Token" (TPOT, first token excluded) blocks. Offline sends every sample in one query,
//! so its latencies count from the start of the run: they are not a user's latency and are
//! not read as one. "Result is : VALID/INVALID", the constraint lines under it and the early
//! stopping results are kept on the point and an INVALID result is a warning.
//! `mlperf_log_detail.txt` beside the summary is read with it ([`super::mlperf_detail`]).

use std::path::Path;

use super::mlperf_detail::{self, SummaryFacts};
use super::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

const NS_TO_MS: f64 = 1e-6;

/// The summary's name in a loadgen output directory.
pub const SUMMARY: &str = "mlperf_log_summary.txt";

pub fn sniff(_path: &Path, head: &str) -> bool {
    head.contains("MLPerf Results Summary")
}

/// The statistic of a latency line's key: `Mean ...`, `Min ...`, `Max ...`, `99.00 percentile ...`.
fn stat_of(key: &str) -> Option<Stat> {
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("mean ") {
        return Some(Stat::Avg);
    }
    if lower.starts_with("min ") {
        return Some(Stat::Min);
    }
    if lower.starts_with("max ") {
        return Some(Stat::Max);
    }
    let (q, rest) = lower.split_once(' ')?;
    if !rest.starts_with("percentile") {
        return None;
    }
    match q {
        "50.00" => Some(Stat::P50),
        "90.00" => Some(Stat::P90),
        "95.00" => Some(Stat::P95),
        "99.00" => Some(Stat::P99),
        _ => None,
    }
}

/// The latency family of a `... (ns)` key.
fn family_of(key: &str) -> Option<Latency> {
    let lower = key.to_ascii_lowercase();
    if !lower.ends_with("(ns)") {
        return None;
    }
    if lower.contains("first token") {
        Some(Latency::Ttft)
    } else if lower.contains("time to output token") {
        Some(Latency::Tpot)
    } else if lower.contains("latency") {
        Some(Latency::E2el)
    } else {
        None
    }
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let mut p = Point::new(Source::Mlperf, path);
    let mut scenario = None;
    let mut mode = None;
    let mut result = None;
    let mut target_qps = None;
    let mut checks: Vec<String> = Vec::new();
    let mut early: Vec<String> = Vec::new();
    let mut latencies: Vec<(Latency, Stat, f64)> = Vec::new();
    let mut in_result = false;
    let mut in_notes = false;
    let (mut warnings, mut errors) = (None, None);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("====") {
            in_result = false;
            in_notes = false;
            continue;
        }
        // The lines under "Result is": indented checks, then notes (recommendations, early
        // stopping), each a heading ending in `:` and ` * ` items that may wrap.
        if in_result {
            if trimmed.ends_with(':') || trimmed.starts_with('*') {
                in_notes = true;
                early.push(trimmed.to_string());
                continue;
            }
            if line.starts_with(' ') {
                if in_notes {
                    early.push(trimmed.to_string());
                } else {
                    checks.push(squeeze(trimmed));
                }
                continue;
            }
        }
        let Some((key, value)) = line.split_once(':') else {
            // "2 warnings encountered. See detailed log." / "No errors encountered during test."
            if let Some((count, kind)) = encountered(trimmed) {
                *(if kind { &mut errors } else { &mut warnings }) = Some(count);
            }
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    ReadError::new(
                        path,
                        format!("line {n}, field `{key}`"),
                        format!("expected a number >= 0, found `{value}`"),
                    )
                })
        };
        match key {
            "SUT name" => {
                p.extra.insert("sut".into(), value.to_string());
            }
            "Scenario" => scenario = Some(value.to_string()),
            "Mode" => mode = Some(value.to_string()),
            "Result is" => {
                result = Some(value.to_string());
                in_result = true;
            }
            "Completed samples per second" | "Samples per second" => {
                p.set(Metric::RequestThroughput, number()?)
            }
            "Completed tokens per second" | "Tokens per second" => {
                p.set(Metric::OutputTokenThroughput, number()?)
            }
            "Scheduled samples per second" => {
                p.extra
                    .insert("scheduled_samples_per_s".into(), value.to_string());
            }
            "target_qps" => target_qps = Some(number()?),
            "ttft_latency (ns)" => {
                p.extra
                    .insert("ttft_limit_ms".into(), format!("{}", number()? * NS_TO_MS));
            }
            "tpot_latency (ns)" => {
                p.extra
                    .insert("tpot_limit_ms".into(), format!("{}", number()? * NS_TO_MS));
            }
            _ => {
                if let (Some(lat), Some(stat)) = (family_of(key), stat_of(key)) {
                    latencies.push((lat, stat, number()? * NS_TO_MS));
                }
            }
        }
    }
    let missing = |field: &str| {
        ReadError::field(
            path,
            field,
            format!("a `{field} : ...` line, but the summary has none (cut short?)"),
        )
    };
    let scenario = scenario.ok_or_else(|| missing("Scenario"))?;
    let mode = mode.ok_or_else(|| missing("Mode"))?;
    if mode != "PerformanceOnly" {
        return Err(ReadError::field(
            path,
            "Mode",
            format!(
                "a performance run (PerformanceOnly), found {mode}: it has no performance figures"
            ),
        ));
    }
    let result = result.ok_or_else(|| missing("Result is"))?;
    if p.get(Metric::RequestThroughput).is_none() {
        return Err(missing(if scenario == "Offline" {
            "Samples per second"
        } else {
            "Completed samples per second"
        }));
    }
    match scenario.as_str() {
        "Server" => {
            p.request_rate = target_qps;
            for (lat, stat, v) in latencies {
                p.set(Metric::Latency(lat, stat), v);
            }
        }
        "Offline" => {}
        other => {
            return Err(ReadError::field(
                path,
                "Scenario",
                format!("Server or Offline (the scenarios of the LLM benchmarks), found {other}"),
            ))
        }
    }
    p.model = model_from_layout(path);
    let facts = SummaryFacts {
        scenario: &scenario,
        mode: &mode,
        result: &result,
        warnings,
        errors,
    };
    mlperf_detail::apply(path, &mut p, &facts, ctx)?;
    p.extra.insert("scenario".into(), scenario);
    p.extra.insert("result".into(), result.clone());
    if !checks.is_empty() {
        p.extra.insert("result_checks".into(), checks.join("; "));
    }
    if !early.is_empty() {
        p.extra.insert("early_stopping".into(), early.join(" "));
    }
    // Said for every summary, VALID too: `show` prints it and findings.json keeps it.
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.ends_with(": NO"))
        .map(String::as_str)
        .collect();
    let why = if failed.is_empty() {
        String::new()
    } else {
        format!(" ({})", failed.join("; "))
    };
    let notes = if early.is_empty() {
        String::new()
    } else {
        format!("; {}", early.join(" "))
    };
    ctx.warn(
        path,
        format!("MLPerf loadgen says the result is {result}{why}{notes}"),
    );
    Ok(vec![p])
}

/// The count of a summary's closing "N warnings encountered" or "No errors encountered" line,
/// and whether it counts errors.
fn encountered(line: &str) -> Option<(u64, bool)> {
    let (count, rest) = line.split_once(' ')?;
    let rest = rest.to_ascii_lowercase();
    let errors = rest.starts_with("errors encountered");
    if !errors && !rest.starts_with("warnings encountered") {
        return None;
    }
    let count = if count.eq_ignore_ascii_case("no") {
        0
    } else {
        count.parse().ok()?
    };
    Some((count, errors))
}

/// `Performance constraints satisfied : Yes` -> `Performance constraints satisfied: Yes`.
fn squeeze(line: &str) -> String {
    match line.split_once(':') {
        Some((k, v)) => format!("{}: {}", k.trim(), v.trim()),
        None => line.to_string(),
    }
}

/// The benchmark of the MLCommons results layout
/// `results/<system>/<benchmark>/<Scenario>/performance/run_N/mlperf_log_summary.txt`.
fn model_from_layout(path: &Path) -> Option<String> {
    let parts: Vec<String> = path
        .ancestors()
        .skip(1)
        .take(4)
        .filter_map(|a| a.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [run, perf, scenario, bench] if perf == "performance" && run.starts_with("run_") => {
            (scenario == "Server" || scenario == "Offline").then(|| bench.clone())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_result_keeps_checks_and_wrapped_early_stopping_notes() {
        let dir = tempfile_dir();
        let f = dir.join("mlperf_log_summary.txt");
        std::fs::write(
            &f,
            "MLPerf Results Summary\nSUT name : PySUT\nScenario : Server\nMode     : PerformanceOnly\n\
             Completed samples per second    : 30.23\nResult is : INVALID\n  Performance constraints satisfied : NO\n\
             \x20 Early stopping satisfied: NO\nRecommendations:\n * Reduce target QPS to improve latency.\n\
             Early Stopping Result:\n * Run unsuccessful.\n * Would need to run at least 12471 more queries,\n\
             \x20with the run being successful if every additional\n\n",
        )
        .unwrap();
        let mut ctx = ReadCtx::default();
        let p = read(&f, &mut ctx).unwrap().remove(0);
        assert_eq!(p.extra["result"], "INVALID");
        assert_eq!(
            p.extra["result_checks"],
            "Performance constraints satisfied: NO; Early stopping satisfied: NO"
        );
        assert!(p.extra["early_stopping"].ends_with(
            "* Would need to run at least 12471 more queries, with the run being successful if every additional"
        ));
        assert_eq!(ctx.warnings.len(), 1);
        assert!(ctx.warnings[0].message.contains(
            "result is INVALID (Performance constraints satisfied: NO; Early stopping satisfied: NO); Recommendations:"
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("adreport-mlperf-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn latency_keys_map_to_family_and_stat() {
        let k = "99.00 percentile first token latency (ns)";
        assert_eq!(
            (family_of(k), stat_of(k)),
            (Some(Latency::Ttft), Some(Stat::P99))
        );
        let k = "Mean Time to Output Token (ns)";
        assert_eq!(
            (family_of(k), stat_of(k)),
            (Some(Latency::Tpot), Some(Stat::Avg))
        );
        let k = "97.00 percentile latency (ns)";
        assert_eq!((family_of(k), stat_of(k)), (Some(Latency::E2el), None));
        assert_eq!(family_of("Completed tokens per second"), None);
    }
}
