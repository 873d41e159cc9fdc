//! trtllm-bench `throughput` results: the printed report (saved stdout) and `--report_json`.
//!
//! The printed report is parsed by label, never by position: labels were renamed between
//! versions (see docs/formats.md). A file may hold several reports
//! (a log of consecutive runs, or extracted `PERFORMANCE OVERVIEW` blocks); each one
//! becomes a point. When a report JSON of the same run sits in the same directory, the
//! printed copy is left out so no run is counted twice (quietly when the file is named
//! `*.stdout`, a captured stdout).
//!
//! Modules by role: [`printed`] (the printed report), [`report_json`] (`--report_json`);
//! this file sniffs, dispatches and drops printed copies of runs whose JSON is read.

mod printed;
mod report_json;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use super::{read_head, ReadCtx};
use crate::model::{Metric, Point};
use crate::util::error::ReadError;
use printed::read_printed;
use report_json::read_json;

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

#[cfg(test)]
mod tests;
