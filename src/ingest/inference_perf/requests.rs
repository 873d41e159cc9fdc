//! inference-perf's per-request records (`per_request_lifecycle_metrics.json`): one list for the
//! whole run, each record `{start_time, end_time, info: {input_tokens, response_metrics:
//! {output_tokens, output_token_times}}, error}`, times in seconds of a monotonic clock.
//!
//! The records name no stage. inference-perf runs its stages one after the other and waits for
//! each to finish, so the records sorted by `start_time` fall into the stages in order,
//! `load_summary.count` of each: stage N's are the next `count` after the earlier stages'.
//! That split is used only when it checks out: the counts add up to the records, every stage's
//! requests end before the next stage's first one starts, its failed records are its
//! `failures.count`, and the mean request latency of its records is the stage report's own
//! (`successes.latency.request_latency.mean`). Otherwise the records are not used, with a
//! warning on the file. Derived like inference-perf does: TTFT = first output token time -
//! start, TPOT = (last - first output token time) / (output tokens - 1), latency = end - start.

use std::path::Path;

use serde_json::Value;

use super::super::fields::{parse_json, within, Fields};
use super::super::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, RequestRow, Requests, Stat};
use crate::util::error::ReadError;

pub const FILE: &str = "per_request_lifecycle_metrics.json";

/// One record, as read.
struct Record {
    start: f64,
    end: f64,
    row: RequestRow,
}

/// What a stage report says about its requests, for the split and its checks.
struct StageCounts {
    sent: usize,
    failed: usize,
}

/// Stage `n`'s per-request records, when the file is beside its report and the split by stage
/// checks out. What goes wrong is said once, when stage 0 is read.
pub fn for_stage(stage_path: &Path, n: usize, p: &Point, ctx: &mut ReadCtx) -> Option<Requests> {
    let dir = stage_path.parent()?;
    let file = dir.join(FILE);
    if !file.is_file() {
        return None;
    }
    match split(dir, &file, n, p) {
        Ok(r) => Some(r),
        Err(e) => {
            if n == 0 {
                let at = if e.at.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.at)
                };
                ctx.warn(
                    &e.path,
                    format!("per-request records not used: {at}{}", e.message),
                );
            }
            None
        }
    }
}

fn split(dir: &Path, file: &Path, n: usize, p: &Point) -> Result<Requests, ReadError> {
    let stages = stage_counts(dir)?;
    let mut records = read_records(file)?;
    let sent = stages.iter().fold(0usize, |a, s| a.saturating_add(s.sent));
    if sent != records.len() {
        return Err(ReadError::file(
            file,
            format!(
                "{} records, but the {} stage reports beside it sent {sent} requests: they cannot be told apart by stage",
                records.len(),
                stages.len()
            ),
        ));
    }
    records.sort_by(|a, b| a.start.total_cmp(&b.start));
    // Where each stage's records begin in the sorted list.
    let mut begin = vec![0usize];
    for s in &stages {
        begin.push(begin[begin.len() - 1] + s.sent);
    }
    for k in 1..stages.len() {
        let ended = records[begin[k - 1]..begin[k]]
            .iter()
            .map(|r| r.end)
            .fold(f64::MIN, f64::max);
        if records.get(begin[k]).is_some_and(|next| ended > next.start) {
            return Err(ReadError::file(
                file,
                format!("stage {}'s requests end after stage {k}'s first one starts: the stages overlap and cannot be told apart", k - 1),
            ));
        }
    }
    let Some(stage) = stages.get(n) else {
        return Err(ReadError::file(
            file,
            format!("no stage {n} in the reports beside it"),
        ));
    };
    let group: Vec<Record> = records
        .into_iter()
        .skip(begin[n])
        .take(stage.sent)
        .collect();
    let failed = group.iter().filter(|r| !r.row.ok).count();
    if failed != stage.failed {
        return Err(ReadError::file(
            file,
            format!(
                "stage {n}'s {} records hold {failed} failed requests, its report {}",
                group.len(),
                stage.failed
            ),
        ));
    }
    let mut out = Requests::default();
    for r in group {
        out.push(r.row);
    }
    check_mean(file, n, &out, p)?;
    Ok(out)
}

/// The stage's mean request latency from its records must be the report's.
fn check_mean(file: &Path, n: usize, r: &Requests, p: &Point) -> Result<(), ReadError> {
    let Some(want) = p.get(Metric::Latency(Latency::E2el, Stat::Avg)) else {
        return Ok(());
    };
    let got = r.ok_values(Latency::E2el);
    if got.is_empty() {
        return Ok(());
    }
    let mean = got.iter().sum::<f64>() / got.len() as f64;
    if (mean - want).abs() > 1e-6 * want.abs().max(1.0) {
        return Err(ReadError::file(
            file,
            format!("stage {n}'s records have a mean request latency of {mean} ms, its report {want} ms: they are not its requests"),
        ));
    }
    Ok(())
}

/// `load_summary.count` and `failures.count` of every `stage_N_lifecycle_metrics.json` in the
/// directory, N = 0, 1, ... without a gap.
fn stage_counts(dir: &Path) -> Result<Vec<StageCounts>, ReadError> {
    let mut out = Vec::new();
    loop {
        let path = dir.join(format!("stage_{}_lifecycle_metrics.json", out.len()));
        if !path.is_file() {
            return Ok(out);
        }
        let value = parse_json(&path, &read_text(&path)?)?;
        let f = Fields::new(&path, &value)?;
        let sent = f
            .opt_obj("load_summary", "load_summary.")?
            .map(|l| l.opt_u64("count"))
            .transpose()?
            .flatten()
            .ok_or_else(|| {
                ReadError::field(&path, "load_summary.count", "the requests the stage sent")
            })?;
        let failed = f
            .opt_obj("failures", "failures.")?
            .map(|x| x.opt_u64("count"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        out.push(StageCounts {
            sent: usize::try_from(sent).unwrap_or(usize::MAX),
            failed: usize::try_from(failed).unwrap_or(usize::MAX),
        });
    }
}

fn read_records(file: &Path) -> Result<Vec<Record>, ReadError> {
    let value = parse_json(file, &read_text(file)?)?;
    let Some(list) = value.as_array() else {
        return Err(ReadError::file(
            file,
            "expected a JSON list of request records",
        ));
    };
    list.iter()
        .enumerate()
        .map(|(i, r)| read_record(file, r).map_err(|e| within(e, &format!("[{i}]."))))
        .collect()
}

fn read_record(file: &Path, r: &Value) -> Result<Record, ReadError> {
    let f = Fields::new(file, r).map_err(|_| ReadError::field(file, "", "an object"))?;
    let start = f.f64("start_time")?;
    let end = f.f64("end_time")?;
    if end < start {
        return Err(ReadError::field(
            file,
            "end_time",
            format!("a time after start_time {start}, found {end}"),
        ));
    }
    let ok = !f.has("error");
    let info = f.opt_obj("info", "info.")?;
    let input = info
        .map(|i| i.opt_nonneg("input_tokens"))
        .transpose()?
        .flatten();
    let response = info
        .map(|i| i.opt_obj("response_metrics", "info.response_metrics."))
        .transpose()?
        .flatten();
    let output = response
        .map(|m| m.opt_nonneg("output_tokens"))
        .transpose()?
        .flatten();
    let times = match response
        .map(|m| m.opt_array("output_token_times"))
        .transpose()?
    {
        Some(Some(list)) => token_times(file, list)?,
        _ => Vec::new(),
    };
    let s_to_ms = |s: f64| s * 1000.0;
    let ttft = times.first().map(|t| s_to_ms(t - start));
    let tpot = match (times.first(), times.last(), output) {
        (Some(first), Some(last), Some(n)) if n > 1.0 => Some(s_to_ms((last - first) / (n - 1.0))),
        _ => None,
    };
    let keep = |v: Option<f64>| v.filter(|x| ok && x.is_finite() && *x >= 0.0);
    Ok(Record {
        start,
        end,
        row: RequestRow {
            ttft_ms: keep(ttft),
            tpot_ms: keep(tpot),
            e2el_ms: keep(Some(s_to_ms(end - start))),
            isl: input,
            osl: output,
            ok,
        },
    })
}

fn token_times(file: &Path, list: &[Value]) -> Result<Vec<f64>, ReadError> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            t.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                ReadError::field(
                    file,
                    &format!("info.response_metrics.output_token_times[{i}]"),
                    format!("a time in seconds, found {t}"),
                )
            })
        })
        .collect()
}
