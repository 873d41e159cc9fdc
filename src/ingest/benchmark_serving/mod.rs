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
//! The files of this reader: `documents.rs` (one JSON object or JSON Lines of them, and
//! SGLang's bare `Infinity`), `result.rs` (one result object as a point: names, loads,
//! statistics, the not-measured rule), `per_request.rs` (the per-request arrays).
//!
//! "Not measured": numpy's `np.mean(x or 0)` turns an empty list into a mean of 0 (TTFT and ITL of a
//! non-streaming backend, TPOT when every answer has one token). See [`not_measured`] for the rule.

mod documents;
mod per_request;
mod result;

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::fields::Fields;
use super::{read_text, ReadCtx};
use crate::model::Point;
use crate::util::error::ReadError;

use documents::{documents, strict_json};
use result::read_result;

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
pub(super) struct Warn<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
