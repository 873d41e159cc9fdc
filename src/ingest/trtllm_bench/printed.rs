//! The printed trtllm-bench report: split into blocks of `label: value` lines, then one point
//! per block, every value looked up by label.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::{
    block_heading, drop_runs_with_sibling_json, is_banner, is_cpp_log_line, section_title,
    strip_log_prefix, PERF_TITLE, PRE_PERF_SECTIONS,
};
use crate::ingest::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

// ---------------------------------------------------------------------------------------------
// Printed report: split into blocks of `label: value` lines

/// A `label: value` line as printed.
#[derive(Clone, Debug)]
pub(super) struct Line {
    /// 1-based line number in the file.
    no: usize,
    /// The label as printed (whitespace collapsed), for messages.
    label: String,
    value: String,
}

/// One printed report.
#[derive(Clone, Debug, Default)]
pub(super) struct Block {
    heading: Option<String>,
    /// Line of the `= PERFORMANCE OVERVIEW` title.
    perf_line: Option<usize>,
    first_line: usize,
    backend: Option<&'static str>,
    machine: Option<String>,
    lines: Vec<Line>,
    /// DATASET DETAILS table rows: `MIN`, `MAX`, ... -> (input, output, sequence length).
    dataset_rows: BTreeMap<String, Vec<String>>,
}

impl Block {
    fn is_empty(&self) -> bool {
        self.perf_line.is_none() && self.lines.is_empty() && self.heading.is_none()
    }

    /// The line with this label (compared case-insensitively, whitespace collapsed).
    fn get(&self, label: &str) -> Option<&Line> {
        self.lines
            .iter()
            .find(|l| l.label.eq_ignore_ascii_case(label))
    }
}

pub(super) fn split_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut cur = Block {
        first_line: 1,
        ..Block::default()
    };
    let mut section: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        if is_cpp_log_line(raw) {
            continue; // the C++ runtime logs from other threads, possibly in the middle of the report
        }
        let (prefixed, rest) = strip_log_prefix(raw);
        if prefixed {
            // A new logger message: the report (one message) is over.
            section = None;
        }
        let line = rest.trim();
        if line.is_empty() || is_banner(line) {
            continue;
        }
        if let Some(title) = section_title(line) {
            let starts_report = title == PERF_TITLE || PRE_PERF_SECTIONS.contains(&title);
            if starts_report && cur.perf_line.is_some() {
                blocks.push(std::mem::replace(
                    &mut cur,
                    Block {
                        first_line: no,
                        ..Block::default()
                    },
                ));
            }
            match title {
                PERF_TITLE => cur.perf_line = Some(no),
                "PYTORCH BACKEND" => cur.backend = Some("pytorch"),
                "ENGINE DETAILS" => cur.backend = Some("trt"),
                _ => {}
            }
            section = Some(title.to_string());
            continue;
        }
        if let Some(name) = block_heading(line) {
            if !cur.is_empty() {
                blocks.push(std::mem::replace(
                    &mut cur,
                    Block {
                        first_line: no,
                        ..Block::default()
                    },
                ));
            }
            cur.heading = Some(name.to_string());
            section = Some(String::new());
            continue;
        }
        let Some(sec) = section.as_deref() else {
            continue;
        };
        if line.starts_with("--") {
            continue; // breakdown titles and table rules
        }
        if sec == "MACHINE DETAILS" && !line.contains(':') {
            if line != "No GPU info available" {
                cur.machine.get_or_insert_with(|| line.to_string());
            }
            continue;
        }
        if sec == "DATASET DETAILS" {
            if let Some((key, vals)) = dataset_row(line) {
                cur.dataset_rows.insert(key, vals);
                continue;
            }
        }
        if let Some((label, value)) = split_label(line) {
            cur.lines.push(Line { no, label, value });
        }
    }
    if !cur.is_empty() {
        blocks.push(cur);
    }
    blocks
}

/// `label: value` with any whitespace (tabs too) after the first `:` that is followed by whitespace or the end.
pub(super) fn split_label(line: &str) -> Option<(String, String)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"^([^:]*?[^:\s])\s*:(?:\s+(.*?))?\s*$").expect("static regex"));
    let c = re.captures(line)?;
    let label = c
        .get(1)?
        .as_str()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let value = c.get(2).map(|m| m.as_str().to_string()).unwrap_or_default();
    Some((label, value))
}

/// `MIN:   128.0000   128.0000   256.0000` in the DATASET DETAILS table.
pub(super) fn dataset_row(line: &str) -> Option<(String, Vec<String>)> {
    let (key, rest) = line.split_once(':')?;
    let key = key.trim();
    if !["MIN", "MAX", "AVG", "P50", "P90", "P95", "P99"].contains(&key) {
        return None;
    }
    let vals: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
    (vals.len() == 3).then(|| (key.to_string(), vals))
}

// ---------------------------------------------------------------------------------------------
// Printed report: blocks -> points

/// Labels of the PERFORMANCE OVERVIEW and their canonical metrics, every version's spelling.
pub(super) const METRIC_LABELS: &[(&str, Metric)] = &[
    ("Request Throughput (req/sec)", Metric::RequestThroughput),
    (
        "Total Output Throughput (tokens/sec)",
        Metric::OutputTokenThroughput,
    ),
    // v0.17: output tokens per second under the old name.
    (
        "Token Throughput (tokens/sec)",
        Metric::OutputTokenThroughput,
    ),
    (
        "Total Token Throughput (tokens/sec)",
        Metric::TotalTokenThroughput,
    ),
    (
        "Average request latency (ms)",
        Metric::Latency(Latency::E2el, Stat::Avg),
    ),
    ("Per GPU Output Throughput (tps/gpu)", Metric::TokensPerSGpu),
    (
        "Per GPU Output Throughput (tokens/sec/gpu)",
        Metric::TokensPerSGpu,
    ),
    (
        "Average time-to-first-token [TTFT] (ms)",
        Metric::Latency(Latency::Ttft, Stat::Avg),
    ),
    (
        "Average time-per-output-token [TPOT] (ms)",
        Metric::Latency(Latency::Tpot, Stat::Avg),
    ),
    // Decode speed excluding TTFT: the mean of per-request (OSL-1)/(e2e-ttft).
    ("Per User Output Speed (tps/user)", Metric::TokensPerSUser),
    ("Number of requests", Metric::RequestsOk),
    ("Average Input Length (tokens)", Metric::InputTokensAvg),
    ("Average Output Length (tokens)", Metric::OutputTokensAvg),
];

/// Numbers kept as facts (`extra`), not canonical metrics.
pub(super) const EXTRA_NUMBERS: &[(&str, &str)] = &[
    // Includes the first token (mean of per-request OSL / e2e): not comparable to tokens_per_s_user.
    (
        "Per User Output Throughput [w/ ctx] (tps/user)",
        "per_user_output_throughput_w_ctx",
    ),
    (
        "Per User Output Throughput (tokens/sec/user)",
        "per_user_output_throughput_w_ctx",
    ),
    ("Number of concurrent requests", "avg_concurrent_requests"),
    ("Max Runtime Batch Size", "max_batch_size"),
    ("Max Runtime Tokens", "max_num_tokens"),
    ("Issue Rate (req/sec)", "issue_rate"),
    ("TP Size", "tp_size"),
    ("PP Size", "pp_size"),
    ("EP Size", "ep_size"),
    ("Number of Sequences", "num_sequences"),
];

pub(super) const EXTRA_TEXT: &[(&str, &str)] = &[
    ("Model Path", "model_path"),
    ("Engine Directory", "engine_dir"),
    ("Dtype", "dtype"),
    ("KV Cache Dtype", "kv_cache_dtype"),
    ("Quantization", "quantization"),
    ("Scheduling Policy", "scheduling_policy"),
    ("KV Memory Percentage", "kv_cache_percentage"),
    ("Dataset Path", "dataset_path"),
];

/// `[TPOT] P50` style keys of the breakdowns and the stat they hold.
pub(super) const STAT_KEYS: &[(&str, Stat)] = &[
    ("MINIMUM", Stat::Min),
    ("MAXIMUM", Stat::Max),
    ("AVERAGE", Stat::Avg),
    ("P50", Stat::P50),
    ("P90", Stat::P90),
    ("P95", Stat::P95),
    ("P99", Stat::P99),
];

pub(super) const BREAKDOWNS: &[(&str, Latency)] = &[
    ("TPOT", Latency::Tpot),
    ("TTFT", Latency::Ttft),
    ("Latency", Latency::E2el),
];

pub(super) fn read_printed(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let blocks = split_blocks(&text);
    let named = blocks.len() > 1 && blocks.iter().all(|b| b.heading.is_some());
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for block in &blocks {
        match block_point(path, block) {
            Ok(mut p) => {
                if named {
                    // Extracted blocks of different runs: each heading names its own series.
                    p.label = block
                        .heading
                        .as_deref()
                        .map(strip_log_ext)
                        .unwrap_or_default()
                        .to_string();
                }
                points.push(p)
            }
            Err(e) => errors.push(e),
        }
    }
    if points.is_empty() {
        return Err(errors.into_iter().next().unwrap_or_else(|| {
            ReadError::file(path, format!("no `= {PERF_TITLE}` section found"))
        }));
    }
    for e in errors {
        ctx.warn(
            path,
            format!(
                "one report left out: {}",
                e.to_string()
                    .trim_start_matches(&format!("{}: ", path.display()))
            ),
        );
    }
    drop_runs_with_sibling_json(path, points, ctx)
}

pub(super) fn strip_log_ext(name: &str) -> &str {
    [".out", ".log", ".txt"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
}

pub(super) fn block_point(path: &Path, b: &Block) -> Result<Point, ReadError> {
    let Some(perf_line) = b.perf_line else {
        return Err(ReadError::line(
            path,
            b.first_line,
            format!("report has no `= {PERF_TITLE}` section (cut short?)"),
        ));
    };
    let mut p = Point::new(Source::TrtllmBench, path);
    p.backend = b.backend.map(str::to_string);
    for line in &b.lines {
        apply_line(path, line, &mut p)?;
    }
    if p.get(Metric::RequestThroughput).is_none() {
        return Err(ReadError::line(
            path,
            perf_line,
            format!("{PERF_TITLE} has no `Request Throughput (req/sec)` value; the report looks cut short"),
        ));
    }
    if p.get(Metric::OutputTokenThroughput).is_none() {
        return Err(ReadError::line(
            path,
            perf_line,
            format!(
                "{PERF_TITLE} has neither `Total Output Throughput (tokens/sec)` (v0.18+) nor `Token Throughput (tokens/sec)` (v0.17)"
            ),
        ));
    }
    if p.get(Metric::RequestsOk) == Some(0.0) {
        return Err(ReadError::line(
            path,
            perf_line,
            "the run completed no requests",
        ));
    }
    if let Some(h) = &b.heading {
        p.extra.insert("block".into(), h.clone());
    }
    if let Some(m) = &b.machine {
        p.extra.insert("gpu".into(), m.clone());
    }
    apply_world(path, b, &mut p)?;
    apply_dataset(path, b, &mut p)?;
    Ok(p)
}

/// Applies one `label: value` line; unknown labels are ignored (new versions add lines).
pub(super) fn apply_line(path: &Path, line: &Line, p: &mut Point) -> Result<(), ReadError> {
    let label = line.label.as_str();
    let is = |l: &str| label.eq_ignore_ascii_case(l);
    if let Some((_, m)) = METRIC_LABELS.iter().find(|(l, _)| is(l)) {
        if let Some(v) = number(path, line)? {
            p.set(*m, v);
        }
        return Ok(());
    }
    if is("Total Latency (ms)") {
        if let Some(v) = number(path, line)? {
            p.set(Metric::DurationS, v / 1000.0);
        }
        return Ok(());
    }
    if let Some((fam, stat)) = breakdown_key(label) {
        if let Some(v) = number(path, line)? {
            match fam {
                Some(lat) => p.set(Metric::Latency(lat, stat), v),
                None => {
                    p.extra
                        .insert(format!("gtps_{}", stat.key()), line.value.clone());
                }
            }
        }
        return Ok(());
    }
    if is("Model") && !is_none(&line.value) {
        p.model = Some(line.value.clone());
    } else if is("TensorRT-LLM Version") || is("TensorRT LLM Version") {
        p.tool_version = Some(line.value.clone());
    } else if let Some((_, key)) = EXTRA_NUMBERS.iter().find(|(l, _)| is(l)) {
        if number(path, line)?.is_some() {
            p.extra.insert((*key).to_string(), line.value.clone());
        }
    } else if let Some((_, key)) = EXTRA_TEXT.iter().find(|(l, _)| is(l)) {
        if !is_none(&line.value) {
            p.extra.insert((*key).to_string(), line.value.clone());
        }
    } else if is("[AL] AVERAGE") {
        p.extra
            .insert("acceptance_length_avg".into(), line.value.clone());
    }
    Ok(())
}

/// `[TPOT] P50` -> (Some(Tpot), P50); `[GTPS] ...` -> (None, stat).
pub(super) fn breakdown_key(label: &str) -> Option<(Option<Latency>, Stat)> {
    let rest = label.strip_prefix('[')?;
    let (fam, key) = rest.split_once(']')?;
    let stat = STAT_KEYS
        .iter()
        .find(|(k, _)| key.trim().eq_ignore_ascii_case(k))?
        .1;
    if fam.eq_ignore_ascii_case("GTPS") {
        return Some((None, stat));
    }
    let lat = BREAKDOWNS
        .iter()
        .find(|(f, _)| fam.eq_ignore_ascii_case(f))?
        .1;
    Some((Some(lat), stat))
}

pub(super) fn is_none(v: &str) -> bool {
    v.is_empty() || v == "None" || v == "N/A"
}

/// The value as a number; `None`/`N/A`/empty mean "not reported".
pub(super) fn number(path: &Path, line: &Line) -> Result<Option<f64>, ReadError> {
    let raw = line.value.trim();
    if is_none(raw) {
        return Ok(None);
    }
    let num = raw.strip_suffix('%').unwrap_or(raw).trim();
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        Ok(v) => Err(ReadError::line(
            path,
            line.no,
            format!("`{}`: expected a number >= 0, found {v}", line.label),
        )),
        Err(_) => Err(ReadError::line(
            path,
            line.no,
            format!("`{}`: expected a number, found `{raw}`", line.label),
        )),
    }
}

/// GPUs = world size = TP x PP, when the report states them.
pub(super) fn apply_world(path: &Path, b: &Block, p: &mut Point) -> Result<(), ReadError> {
    let size = |label: &str| -> Result<Option<u64>, ReadError> {
        match b.get(label) {
            Some(line) => whole(path, line),
            None => Ok(None),
        }
    };
    let (tp, pp) = (size("TP Size")?, size("PP Size")?);
    if let Some(tp) = tp {
        p.num_gpus = Some(world_size(tp, pp).ok_or_else(|| {
            let line = b.get("TP Size").map_or(b.first_line, |l| l.no);
            ReadError::line(
                path,
                line,
                "`TP Size` x `PP Size` is not a GPU count (too large)",
            )
        })?);
    }
    Ok(())
}

/// TP x PP, `None` when the product overflows (no real world size does).
pub(super) fn world_size(tp: u64, pp: Option<u64>) -> Option<u64> {
    tp.checked_mul(pp.unwrap_or(1))
}

pub(super) fn whole(path: &Path, line: &Line) -> Result<Option<u64>, ReadError> {
    match number(path, line)? {
        Some(v) if v.fract() == 0.0 => Ok(Some(v as u64)),
        Some(v) => Err(ReadError::line(
            path,
            line.no,
            format!("`{}`: expected a whole number, found {v}", line.label),
        )),
        None => Ok(None),
    }
}

/// ISL/OSL from the DATASET DETAILS table when every request has the same length.
pub(super) fn apply_dataset(path: &Path, b: &Block, p: &mut Point) -> Result<(), ReadError> {
    let (Some(min), Some(max)) = (b.dataset_rows.get("MIN"), b.dataset_rows.get("MAX")) else {
        return Ok(());
    };
    let col = |row: &Vec<String>, i: usize| -> Result<Option<f64>, ReadError> {
        let Some(raw) = row.get(i) else {
            return Ok(None);
        };
        raw.parse::<f64>().map(Some).map_err(|_| {
            ReadError::file(
                path,
                format!("DATASET DETAILS table: expected a number, found `{raw}`"),
            )
        })
    };
    for (i, slot) in [(0usize, &mut p.isl), (1, &mut p.osl)] {
        if let (Some(lo), Some(hi)) = (col(min, i)?, col(max, i)?) {
            if lo == hi && lo >= 0.0 && lo.fract() == 0.0 {
                *slot = Some(lo as u64);
            }
        }
    }
    Ok(())
}
