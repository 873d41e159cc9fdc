//! guidellm's CSV report (`--output kind=csv`): three header rows (group, name with the
//! status and unit, statistic), then one row per benchmark. Read only when no JSON or YAML
//! report of the same run is beside it (they hold everything the CSV does and more).
//!
//! A distribution is four columns: `Mean`, `Median`, `Std Dev` and `Percentiles`, the last a
//! list `[min, p001, p01, p05, p10, p25, p75, p90, p95, p99, max]` (no p50: it is the median).
//! The unit is in the name row (`Successful ms`, `Successful Sec`).

use std::collections::HashMap;
use std::path::Path;

use super::{drop_uncounted_prompt_tokens, no_prompt_tokens, set_load};
use crate::ingest::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

/// Positions of the statistics kept from the `Percentiles` list.
const LIST: [(usize, Stat); 5] = [
    (0, Stat::Min),
    (7, Stat::P90),
    (8, Stat::P95),
    (9, Stat::P99),
    (10, Stat::Max),
];

pub fn sniff(path: &Path, head: &str) -> bool {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut lines = head.trim_start_matches('\u{feff}').lines();
    let (first, second) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let is_report = first.starts_with("Run Info,")
        && first.contains(",Benchmark,")
        && second.contains(",Strategy,");
    let beside_full_report = ["json", "yaml", "yml"]
        .iter()
        .any(|e| path.with_extension(e).is_file());
    is_csv && is_report && !beside_full_report
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| {
            let cut = if text.ends_with('\n') {
                ""
            } else {
                " (the file does not end with a line break: cut short?)"
            };
            ReadError::line(path, i + 1, format!("bad CSV: {e}{cut}"))
        })?;
        rows.push(rec);
    }
    if rows.len() < 4 {
        return Err(ReadError::file(
            path,
            "guidellm CSV without a benchmark row (three header rows, then one row per benchmark): cut short?",
        ));
    }
    // "Group|Name|Stat" -> column.
    let columns: HashMap<String, usize> = (0..rows[0].len())
        .map(|c| {
            let part = |r: usize| rows[r].get(c).unwrap_or("").trim().to_string();
            (format!("{}|{}|{}", part(0), part(1), part(2)), c)
        })
        .collect();
    let mut points = Vec::new();
    for (r, row) in rows.iter().enumerate().skip(3) {
        let line = r + 1;
        let cell = |col: &str| -> Option<&str> {
            columns
                .get(col)
                .and_then(|c| row.get(*c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let num = |col: &str| -> Result<Option<f64>, ReadError> {
            match cell(col) {
                None => Ok(None),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                    _ => Err(ReadError::new(
                        path,
                        format!("line {line}, column `{col}`"),
                        format!("expected a number >= 0, found `{v}`"),
                    )),
                },
            }
        };
        let strategy = cell("Benchmark|Strategy|").ok_or_else(|| {
            ReadError::new(
                path,
                format!("line {line}, column `Benchmark|Strategy|`"),
                "the benchmark's strategy, but it is missing",
            )
        })?;
        let mut p = Point::new(Source::Guidellm, path);
        let (kind, number) = match strategy.split_once('@') {
            Some((k, n)) => (k, n.parse::<f64>().ok()),
            None => (strategy, None),
        };
        set_load(&mut p, kind, number);
        p.model = cell("Run Info|Backend|")
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|b| b.get("model")?.as_str().map(str::to_string));
        p.set_opt(Metric::RequestsOk, num("Request Counts|Successful|")?);
        p.set_opt(Metric::RequestsFailed, num("Request Counts|Errored|")?);
        if let Some(n) = num("Request Counts|Incomplete|")? {
            p.extra.insert("requests_incomplete".into(), n.to_string());
        }
        p.set_opt(Metric::DurationS, num("Timings|Duration|Sec")?);
        for (group, lat) in [
            ("Time to First Token", Latency::Ttft),
            ("Inter Token Latency", Latency::Tpot),
            ("Request Latency", Latency::E2el),
        ] {
            let (unit, to_ms) = if columns.contains_key(&format!("{group}|Successful ms|Mean")) {
                ("ms", 1.0)
            } else {
                ("Sec", 1000.0)
            };
            let col = |stat: &str| format!("{group}|Successful {unit}|{stat}");
            for (stat, name) in [
                (Stat::Avg, "Mean"),
                (Stat::P50, "Median"),
                (Stat::Std, "Std Dev"),
            ] {
                p.set_opt(
                    Metric::Latency(lat, stat),
                    num(&col(name))?.map(|v| v * to_ms),
                );
            }
            if let Some(list) = cell(&col("Percentiles")) {
                let values = percentile_list(list).ok_or_else(|| {
                    ReadError::new(
                        path,
                        format!("line {line}, column `{}`", col("Percentiles")),
                        format!("a list of 11 numbers [min, p001, ..., p99, max], found `{list}`"),
                    )
                })?;
                for (i, stat) in LIST {
                    p.set(Metric::Latency(lat, stat), values[i] * to_ms);
                }
            }
        }
        p.set_opt(
            Metric::RequestThroughput,
            num("Server Throughput|Successful Requests/Sec|Mean")?,
        );
        p.set_opt(
            Metric::OutputTokenThroughput,
            num("Token Throughput|Successful Output Tokens/Sec|Mean")?,
        );
        p.set_opt(
            Metric::TotalTokenThroughput,
            num("Token Throughput|Successful Total Tokens/Sec|Mean")?,
        );
        p.set_opt(
            Metric::InputTokensAvg,
            num("Token Metrics|Successful Input Tokens|Mean")?,
        );
        p.set_opt(
            Metric::OutputTokensAvg,
            num("Token Metrics|Successful Output Tokens|Mean")?,
        );
        if drop_uncounted_prompt_tokens(&mut p) {
            ctx.warn(path, no_prompt_tokens(&format!("line {line} ({strategy})")));
        }
        if p.get(Metric::RequestsOk) == Some(0.0) {
            return Err(ReadError::new(
                path,
                format!("line {line}, column `Request Counts|Successful|`"),
                format!("successful requests in benchmark {strategy}, found none"),
            ));
        }
        points.push(p);
    }
    Ok(points)
}

/// `[20.6, 20.6, ...]` with the 11 numbers guidellm writes.
fn percentile_list(s: &str) -> Option<Vec<f64>> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    let values: Vec<f64> = inner
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
        })
        .collect::<Option<_>>()?;
    (values.len() == 11).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_lists_have_eleven_numbers() {
        let l = percentile_list("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]").unwrap();
        assert_eq!((l[0], l[9], l[10]), (1.0, 10.0, 11.0));
        assert!(percentile_list("[1, 2]").is_none());
        assert!(percentile_list("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nan]").is_none());
    }
}
