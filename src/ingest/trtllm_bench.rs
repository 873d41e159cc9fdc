//! trtllm-bench `throughput` results: the printed report (saved stdout) and `--report_json`.
//!
//! The printed report is parsed by label, never by position: labels were renamed between
//! versions (see docs/formats.md). A file may hold several reports
//! (a log of consecutive runs, or extracted `PERFORMANCE OVERVIEW` blocks); each one
//! becomes a point. When a report JSON of the same run sits in the same directory, the
//! printed copy is left out so no run is counted twice (quietly when the file is named
//! `*.stdout`, a captured stdout).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use super::fields::{parse_json, Fields};
use super::{read_head, read_text, ReadCtx};
use crate::error::ReadError;
use crate::model::{Latency, Metric, Point, Source, Stat};

const PERF_TITLE: &str = "PERFORMANCE OVERVIEW";

/// Sections printed before `PERFORMANCE OVERVIEW`; one of them after a finished overview starts the next report.
const PRE_PERF_SECTIONS: [&str; 5] = [
    "PYTORCH BACKEND",
    "ENGINE DETAILS",
    "MACHINE DETAILS",
    "REQUEST DETAILS",
    "WORLD + RUNTIME INFORMATION",
];

pub fn sniff(path: &Path, head: &str) -> bool {
    sniff_json(head) || (sniff_text(head) && !is_stdout_beside_json(path))
}

/// A captured stdout (`NAME.stdout`) beside a report JSON is the printed copy of the run the
/// JSON holds: passed over quietly. A printed report under any other name beside a JSON of
/// the same run is left out with a note instead (see `drop_runs_with_sibling_json`).
fn is_stdout_beside_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "stdout") && !sibling_reports(path).is_empty()
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let head = read_head(path)?;
    if sniff_json(&head) {
        return read_json(path, ctx).map(|p| vec![p]);
    }
    read_printed(path, ctx)
}

// ---------------------------------------------------------------------------------------------
// Sniffing

/// A `--report_json` file: one object with a `performance` section and world/request info.
fn sniff_json(head: &str) -> bool {
    head.trim_start().starts_with('{')
        && head.contains("\"performance\"")
        && (head.contains("\"world_info\"") || head.contains("\"request_info\""))
}

/// A printed report: a `= PERFORMANCE OVERVIEW` title next to a banner of `=`.
fn sniff_text(head: &str) -> bool {
    let lines: Vec<&str> = head.lines().map(|l| strip_log_prefix(l).1.trim()).collect();
    lines.iter().enumerate().any(|(i, l)| {
        section_title(l) == Some(PERF_TITLE)
            && (i
                .checked_sub(1)
                .and_then(|j| lines.get(j))
                .is_some_and(|p| is_banner(p))
                || lines.get(i + 1).is_some_and(|n| is_banner(n)))
    })
}

fn log_prefix_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // `[01/18/2025-01:01:42] [TRT-LLM] [I] `, optionally without the timestamp.
    RE.get_or_init(|| {
        Regex::new(r"^\s*(?:\[[^\]]*\]\s*)?\[TRT-LLM\]\s*(?:\[[A-Z]+\]\s?)?").expect("static regex")
    })
}

/// Removes the TRT-LLM logger prefix; says whether there was one.
fn strip_log_prefix(line: &str) -> (bool, &str) {
    match log_prefix_re().find(line) {
        Some(m) => (true, &line[m.end()..]),
        None => (false, line),
    }
}

/// `[TensorRT-LLM][INFO] ...` from the C++ runtime.
fn is_cpp_log_line(line: &str) -> bool {
    line.trim_start().starts_with("[TensorRT-LLM]")
}

fn is_banner(line: &str) -> bool {
    line.len() >= 20 && line.chars().all(|c| c == '=')
}

/// `= NAME` (titles may carry trailing spaces) -> `NAME`.
fn section_title(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('=')?;
    if rest.starts_with('=') {
        return None;
    }
    let name = rest.trim();
    (!name.is_empty()).then_some(name)
}

/// `--- name ---`: a heading some logs put before each extracted report.
fn block_heading(line: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^-{3,}\s+(\S.*?)\s+-{3,}$").expect("static regex"));
    re.captures(line).and_then(|c| c.get(1)).map(|m| m.as_str())
}

// ---------------------------------------------------------------------------------------------
// Printed report: split into blocks of `label: value` lines

/// A `label: value` line as printed.
#[derive(Clone, Debug)]
struct Line {
    /// 1-based line number in the file.
    no: usize,
    /// The label as printed (whitespace collapsed), for messages.
    label: String,
    value: String,
}

/// One printed report.
#[derive(Clone, Debug, Default)]
struct Block {
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

fn split_blocks(text: &str) -> Vec<Block> {
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
fn split_label(line: &str) -> Option<(String, String)> {
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
fn dataset_row(line: &str) -> Option<(String, Vec<String>)> {
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
const METRIC_LABELS: &[(&str, Metric)] = &[
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
const EXTRA_NUMBERS: &[(&str, &str)] = &[
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

const EXTRA_TEXT: &[(&str, &str)] = &[
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
const STAT_KEYS: &[(&str, Stat)] = &[
    ("MINIMUM", Stat::Min),
    ("MAXIMUM", Stat::Max),
    ("AVERAGE", Stat::Avg),
    ("P50", Stat::P50),
    ("P90", Stat::P90),
    ("P95", Stat::P95),
    ("P99", Stat::P99),
];

const BREAKDOWNS: &[(&str, Latency)] = &[
    ("TPOT", Latency::Tpot),
    ("TTFT", Latency::Ttft),
    ("Latency", Latency::E2el),
];

fn read_printed(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
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

fn strip_log_ext(name: &str) -> &str {
    [".out", ".log", ".txt"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
}

fn block_point(path: &Path, b: &Block) -> Result<Point, ReadError> {
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
fn apply_line(path: &Path, line: &Line, p: &mut Point) -> Result<(), ReadError> {
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
fn breakdown_key(label: &str) -> Option<(Option<Latency>, Stat)> {
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

fn is_none(v: &str) -> bool {
    v.is_empty() || v == "None" || v == "N/A"
}

/// The value as a number; `None`/`N/A`/empty mean "not reported".
fn number(path: &Path, line: &Line) -> Result<Option<f64>, ReadError> {
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
fn apply_world(path: &Path, b: &Block, p: &mut Point) -> Result<(), ReadError> {
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
fn world_size(tp: u64, pp: Option<u64>) -> Option<u64> {
    tp.checked_mul(pp.unwrap_or(1))
}

fn whole(path: &Path, line: &Line) -> Result<Option<u64>, ReadError> {
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
fn apply_dataset(path: &Path, b: &Block, p: &mut Point) -> Result<(), ReadError> {
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

// ---------------------------------------------------------------------------------------------
// Printed report next to a report JSON of the same run

/// Leaves out printed reports whose run is also in a report JSON in the same directory.
fn drop_runs_with_sibling_json(
    path: &Path,
    points: Vec<Point>,
    ctx: &mut ReadCtx,
) -> Result<Vec<Point>, ReadError> {
    let jsons = sibling_reports(path);
    if jsons.is_empty() {
        return Ok(points);
    }
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for p in points {
        match jsons.iter().find(|(_, j)| same_run(&p, j)) {
            Some((json_path, _)) => dropped.push(json_path.clone()),
            None => kept.push(p),
        }
    }
    let names = |v: &[PathBuf]| -> String {
        let mut n: Vec<String> = v
            .iter()
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        n.dedup();
        n.join(", ")
    };
    if kept.is_empty() {
        return Err(ReadError::file(
            path,
            format!(
                "the report JSON `{}` in the same directory holds this run; read that instead",
                names(&dropped)
            ),
        ));
    }
    if !dropped.is_empty() {
        ctx.warn(
            path,
            format!(
                "{} report(s) left out: the report JSON `{}` holds the same run",
                dropped.len(),
                names(&dropped)
            ),
        );
    }
    Ok(kept)
}

/// Report JSON files next to `path`, read quietly (the walker reports their own errors).
fn sibling_reports(path: &Path) -> Vec<(PathBuf, Point)> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    for f in files {
        if f == path
            || !f.is_file()
            || f.extension()
                .is_none_or(|e| !e.eq_ignore_ascii_case("json"))
        {
            continue;
        }
        let Ok(head) = read_head(&f) else { continue };
        if !sniff_json(&head) {
            continue;
        }
        let mut quiet = ReadCtx::default();
        if let Ok(p) = read_json(&f, &mut quiet) {
            out.push((f, p));
        }
    }
    out
}

/// The printed report shows 4 decimals of the numbers the JSON holds in full.
fn same_run(printed: &Point, json: &Point) -> bool {
    let close = |m: Metric, tol: f64| match (printed.get(m), json.get(m)) {
        (Some(a), Some(b)) => (a - b).abs() <= tol + 1e-9 * b.abs(),
        _ => false,
    };
    close(Metric::RequestThroughput, 5.1e-5)
        && close(Metric::OutputTokenThroughput, 5.1e-5)
        && match (printed.get(Metric::DurationS), json.get(Metric::DurationS)) {
            (Some(_), Some(_)) => close(Metric::DurationS, 5.1e-8),
            _ => true,
        }
}

// ---------------------------------------------------------------------------------------------
// --report_json

fn read_json(path: &Path, _ctx: &mut ReadCtx) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let root = Fields::new(path, &value)?;
    let mut p = Point::new(Source::TrtllmBench, path);
    if let Some(engine) = root.opt_obj("engine", "engine.")? {
        json_engine(&engine, &mut p)?;
    }
    if let Some(machine) = root.opt_obj("machine", "machine.")? {
        if let Some(name) = machine.opt_str("name")? {
            p.extra.insert("gpu".into(), name.to_string());
        }
    }
    if let Some(world) = root.opt_obj("world_info", "world_info.")? {
        json_world(&world, &mut p)?;
    }
    if let Some(req) = root.opt_obj("request_info", "request_info.")? {
        p.set_opt(
            Metric::RequestsOk,
            req.opt_u64("num_requests")?.map(|v| v as f64),
        );
        p.set_opt(Metric::InputTokensAvg, req.opt_nonneg("avg_input_length")?);
        p.set_opt(
            Metric::OutputTokensAvg,
            req.opt_nonneg("avg_output_length")?,
        );
        if let Some(c) = req.opt_nonneg("avg_num_concurrent_requests")? {
            p.extra
                .insert("avg_concurrent_requests".into(), c.to_string());
        }
    }
    let perf = root
        .opt_obj("performance", "performance.")?
        .ok_or_else(|| ReadError::field(path, "performance", "an object, but it is missing"))?;
    json_performance(&perf, &mut p)?;
    if let Some(s) = root.opt_obj("streaming_metrics", "streaming_metrics.")? {
        json_streaming(&s, &mut p)?;
    }
    if let Some(d) = root.opt_obj("decoding_stats", "decoding_stats.")? {
        if let Some(mode) = d.opt_str("mode")? {
            p.extra.insert("decoding_mode".into(), mode.to_string());
        }
        if let Some(al) = d.opt_obj(
            "acceptance_length_percentiles",
            "decoding_stats.acceptance_length_percentiles.",
        )? {
            if let Some(v) = al.opt_nonneg("average")? {
                p.extra
                    .insert("acceptance_length_avg".into(), v.to_string());
            }
        }
    }
    if let Some(d) = root.opt_obj("dataset", "dataset.")? {
        json_dataset(&d, &mut p)?;
    }
    if p.get(Metric::RequestsOk) == Some(0.0) {
        return Err(ReadError::field(
            path,
            "request_info.num_requests",
            "at least one completed request, found 0",
        ));
    }
    Ok(p)
}

fn json_engine(e: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.model = e
        .opt_str("model")?
        .filter(|m| !is_none(m))
        .map(str::to_string);
    p.tool_version = e.opt_str("version")?.map(str::to_string);
    // "Pytorch" | "TRT" (| "_autodeploy")
    p.backend = e.opt_str("backend")?.map(str::to_ascii_lowercase);
    for (key, extra) in [
        ("model_path", "model_path"),
        ("engine_dir", "engine_dir"),
        ("dtype", "dtype"),
        ("kv_cache_dtype", "kv_cache_dtype"),
        ("quantization", "quantization"),
    ] {
        if let Some(v) = e.opt_str(key)?.filter(|v| !is_none(v)) {
            p.extra.insert(extra.into(), v.to_string());
        }
    }
    Ok(())
}

fn json_world(w: &Fields, p: &mut Point) -> Result<(), ReadError> {
    let tp = w.opt_u64("tp_size")?;
    let pp = w.opt_u64("pp_size")?;
    p.num_gpus = match (w.opt_u64("world_size")?, tp) {
        (Some(ws), _) => Some(ws),
        (None, Some(tp)) => Some(world_size(tp, pp).ok_or_else(|| {
            ReadError::field(
                w.path,
                "world_info.tp_size",
                "a GPU count: tp_size x pp_size is too large",
            )
        })?),
        (None, None) => None,
    };
    for key in [
        "tp_size",
        "pp_size",
        "ep_size",
        "max_batch_size",
        "max_num_tokens",
    ] {
        if let Some(v) = w.opt_u64(key)? {
            p.extra.insert(key.into(), v.to_string());
        }
    }
    if let Some(v) = w.opt_str("scheduling_policy")? {
        p.extra.insert("scheduling_policy".into(), v.to_string());
    }
    if let Some(v) = w.opt_nonneg("kv_cache_percentage")? {
        // A fraction in the JSON, printed as a percentage.
        p.extra
            .insert("kv_cache_percentage".into(), format!("{:.2}%", v * 100.0));
    }
    if let Some(v) = w.opt_nonneg("issue_rate")? {
        p.extra.insert("issue_rate".into(), format!("{v:.4E}"));
    }
    Ok(())
}

fn json_performance(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.set(
        Metric::RequestThroughput,
        f.opt_nonneg("request_throughput_req_s")?.ok_or_else(|| {
            ReadError::field(
                f.path,
                "performance.request_throughput_req_s",
                "a number, but it is missing",
            )
        })?,
    );
    let out = f
        .opt_nonneg("system_output_throughput_tok_s")?
        .ok_or_else(|| {
            ReadError::field(
                f.path,
                "performance.system_output_throughput_tok_s",
                "a number, but it is missing",
            )
        })?;
    p.set(Metric::OutputTokenThroughput, out);
    p.set_opt(
        Metric::TotalTokenThroughput,
        f.opt_nonneg("system_total_throughput_tok_s")?,
    );
    p.set_opt(
        Metric::DurationS,
        f.opt_nonneg("total_latency_ms")?.map(|ms| ms / 1000.0),
    );
    p.set_opt(
        Metric::Latency(Latency::E2el, Stat::Avg),
        f.opt_nonneg("avg_request_latency_ms")?,
    );
    p.set_opt(
        Metric::TokensPerSGpu,
        f.opt_nonneg("output_throughput_per_gpu_tok_s")?,
    );
    if let Some(v) = f.opt_nonneg("output_throughput_per_user_tok_s")? {
        p.extra
            .insert("per_user_output_throughput_w_ctx".into(), v.to_string());
    }
    json_percentiles(f, "request_latency_percentiles_ms", Latency::E2el, p)
}

fn json_streaming(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.set_opt(
        Metric::TokensPerSUser,
        f.opt_nonneg("token_output_speed_tok_s")?,
    );
    p.set_opt(
        Metric::Latency(Latency::Ttft, Stat::Avg),
        f.opt_nonneg("avg_ttft_ms")?,
    );
    p.set_opt(
        Metric::Latency(Latency::Tpot, Stat::Avg),
        f.opt_nonneg("avg_tpot_ms")?,
    );
    json_percentiles(f, "ttft_percentiles", Latency::Ttft, p)?;
    json_percentiles(f, "tpot_percentiles", Latency::Tpot, p)?;
    let prefix = format!("{}gen_tps_percentiles.", f.prefix);
    if let Some(g) = f.opt_obj("gen_tps_percentiles", &prefix)? {
        for (key, stat) in JSON_STAT_KEYS {
            if let Some(v) = g.opt_nonneg(key)? {
                p.extra
                    .insert(format!("gtps_{}", stat.key()), v.to_string());
            }
        }
    }
    Ok(())
}

/// PercentileStats keys (older versions have no p90).
const JSON_STAT_KEYS: [(&str, Stat); 7] = [
    ("p50", Stat::P50),
    ("p90", Stat::P90),
    ("p95", Stat::P95),
    ("p99", Stat::P99),
    ("minimum", Stat::Min),
    ("maximum", Stat::Max),
    ("average", Stat::Avg),
];

fn json_percentiles(f: &Fields, key: &str, lat: Latency, p: &mut Point) -> Result<(), ReadError> {
    let prefix = format!("{}{key}.", f.prefix);
    let Some(stats) = f.opt_obj(key, &prefix)? else {
        return Ok(());
    };
    for (k, stat) in JSON_STAT_KEYS {
        if let Some(v) = stats.opt_nonneg(k)? {
            p.set(Metric::Latency(lat, stat), v);
        }
    }
    Ok(())
}

fn json_dataset(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    if let Some(path) = f.opt_str("dataset_path")?.filter(|v| !is_none(v)) {
        p.extra.insert("dataset_path".into(), path.to_string());
    }
    if let Some(n) = f.opt_u64("num_requests")? {
        p.extra.insert("num_sequences".into(), n.to_string());
    }
    for (key, slot) in [("isl_stats", &mut p.isl), ("osl_stats", &mut p.osl)] {
        let prefix = format!("dataset.{key}.");
        let Some(s) = f.opt_obj(key, &prefix)? else {
            continue;
        };
        if let (Some(lo), Some(hi)) = (s.opt_nonneg("minimum")?, s.opt_nonneg("maximum")?) {
            if lo == hi && lo.fract() == 0.0 {
                *slot = Some(lo as u64);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_on_tabs_and_padding() {
        assert_eq!(
            split_label("Request Throughput (req/sec):                 \t  0.2678"),
            Some(("Request Throughput (req/sec)".into(), "0.2678".into()))
        );
        assert_eq!(
            split_label("[TPOT] P50    : 7.6079"),
            Some(("[TPOT] P50".into(), "7.6079".into()))
        );
        assert_eq!(
            split_label("Model:\t\t\tmeta-llama/x"),
            Some(("Model".into(), "meta-llama/x".into()))
        );
        assert_eq!(
            split_label("Dataset Path:   s3://b/x"),
            Some(("Dataset Path".into(), "s3://b/x".into()))
        );
        assert_eq!(
            split_label("EP Size:"),
            Some(("EP Size".into(), String::new()))
        );
    }

    #[test]
    fn log_prefix_and_titles() {
        let (had, rest) =
            strip_log_prefix("[01/18/2025-01:01:42] [TRT-LLM] [I] = PERFORMANCE OVERVIEW ");
        assert!(had);
        assert_eq!(section_title(rest.trim()), Some(PERF_TITLE));
        assert_eq!(section_title("==========="), None);
        assert!(is_cpp_log_line(
            "[TensorRT-LLM][INFO] Refreshed the MPI local session"
        ));
        assert!(!strip_log_prefix("[TPOT] P50    : 7.6079").0);
        assert_eq!(
            block_heading("--- a_CON1024.out ---"),
            Some("a_CON1024.out")
        );
        assert_eq!(
            block_heading("-- Request Latency Breakdown (ms) -----------------------"),
            None
        );
    }
}
