//! Files in a result tree that no reader takes. A result cut short (the run died while
//! writing `concurrency_8.json`) or a JSON of a format adreport does not know is named with the
//! reason, and a point directory holding only a client's log (aiperf or benchmark_serving
//! stopped before it wrote results) is named as an interrupted run of that client, instead of
//! only "no result files of a known format here".

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::fields::parse_json;
use super::read_text;
use crate::util::error::ReadError;

/// Unknown JSON files larger than this are not opened just to say what they are.
const MAX_DIAGNOSED_BYTES: u64 = 64 << 20;

/// Why a JSON file no reader claimed was not read.
pub enum Unread {
    /// Not valid JSON: cut short or damaged. Always worth a warning.
    Broken(ReadError),
    /// Valid JSON of no known result format; the reason names its top-level keys.
    Unknown(String),
}

/// Looks at a file no reader claimed; `None` for files that are not JSON, are empty (said
/// elsewhere), too large to look at, or known not to be results.
pub fn diagnose(path: &Path) -> Option<Unread> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    // benchmark_serving's PyTorch-format copy of a result it also wrote as JSON.
    // inference-perf's run summary, per-request records and validation beside its stage reports.
    if !is_json || name.ends_with(".pytorch.json") || super::inference_perf::is_companion(path) {
        return None;
    }
    if fs::metadata(path).ok()?.len() > MAX_DIAGNOSED_BYTES {
        return None;
    }
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => return Some(Unread::Broken(e)),
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return None;
    }
    let value = match parse_json(path, &text) {
        Ok(v) => v,
        Err(e) => return Some(Unread::Broken(e)),
    };
    let reason = match &value {
        // aiperf's ranking of sweep values (`aggregate/sweep_aggregate/`) and adreport's own
        // `run.json` beside each point it ran: known, and never a result.
        Value::Object(o)
            if o.contains_key("aggregation_type") || o.contains_key("adreport_version") =>
        {
            return None
        }
        Value::Object(o) => {
            let keys: Vec<&str> = o.keys().map(String::as_str).take(8).collect();
            let more = if o.len() > keys.len() { ", ..." } else { "" };
            format!(
                "JSON of no known result format (keys: {}{more}); not read",
                keys.join(", ")
            )
        }
        Value::Array(a) => format!(
            "JSON of no known result format (a list of {} items); not read",
            a.len()
        ),
        _ => "JSON of no known result format (a single value); not read".to_string(),
    };
    Some(Unread::Unknown(reason))
}

/// A point directory a benchmark client left without results: it was stopped (killed, timed
/// out, interrupted) before it wrote them, and only its log is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interrupted {
    /// The point's directory.
    pub dir: PathBuf,
    /// The client, as adreport names it (`aiperf`, `benchmark_serving`).
    pub tool: &'static str,
    /// The log it left.
    pub log: PathBuf,
    /// The log's last line, printable; `None` when the log is empty.
    pub last_line: Option<String>,
}

/// What benchmark_serving (vLLM, TensorRT-LLM, SGLang's bench_serving) prints before its
/// requests go out: the line that starts the measured run.
const BENCHMARK_SERVING_START: &str = "Starting main benchmark run";
/// The header of the result block it prints when the run finished.
const BENCHMARK_SERVING_RESULT: &str = " Serving Benchmark Result ";

/// Longest last line quoted.
const MAX_LINE_CHARS: usize = 200;

/// A client log no reader takes: whose log it is and which point it belongs to. aiperf writes
/// `<artifact dir>/logs/aiperf.log` from its start; benchmark_serving prints to stdout, which
/// a runner saves beside the point (adreport's runner: `client.stdout`). The caller decides
/// whether the point has results after all.
pub fn client_log(path: &Path) -> Option<Interrupted> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let parent = path.parent()?;
    if name == "aiperf.log" && parent.file_name().is_some_and(|n| n == "logs") {
        return Some(Interrupted {
            dir: parent.parent()?.to_path_buf(),
            tool: "aiperf",
            log: path.to_path_buf(),
            last_line: last_line(&read_tail(path)?),
        });
    }
    let data = ["json", "jsonl", "csv"];
    if path
        .extension()
        .is_some_and(|e| data.iter().any(|d| e.eq_ignore_ascii_case(d)))
    {
        return None;
    }
    // Cheap first: the start line comes within the first lines it prints (server logs and
    // other text beside the results stop here).
    if !super::read_head(path)
        .ok()?
        .contains(BENCHMARK_SERVING_START)
    {
        return None;
    }
    if fs::metadata(path).ok()?.len() > MAX_DIAGNOSED_BYTES {
        return None;
    }
    let text = String::from_utf8_lossy(&fs::read(path).ok()?).into_owned();
    (!text.contains(BENCHMARK_SERVING_RESULT)).then(|| Interrupted {
        dir: parent.to_path_buf(),
        tool: "benchmark_serving",
        log: path.to_path_buf(),
        last_line: last_line(&text),
    })
}

/// The end of a log (its last 64 KiB), as text.
fn read_tail(path: &Path) -> Option<String> {
    const TAIL_BYTES: u64 = 64 << 10;
    let mut f = fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))
        .ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The last non-empty line (after the last carriage return: progress bars redraw in place).
fn last_line(text: &str) -> Option<String> {
    let line = text
        .lines()
        .rev()
        .filter_map(|l| l.rsplit('\r').map(str::trim).find(|s| !s.is_empty()))
        .next()?;
    let mut out: String = super::printable(line)
        .chars()
        .take(MAX_LINE_CHARS)
        .collect();
    if line.chars().count() > MAX_LINE_CHARS {
        out.push_str(" ...");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_is_the_last_redraw_of_a_progress_bar_escaped_and_cut() {
        let log = "Traffic request rate: inf\nBenchmarking:  10%|#  | 4/40\rBenchmarking:  45%|#### | 18/40\r\n\n";
        assert_eq!(
            last_line(log).as_deref(),
            Some("Benchmarking:  45%|#### | 18/40")
        );
        assert_eq!(
            last_line("ok\n\u{1b}[31mred\n").as_deref(),
            Some("\\u{1b}[31mred")
        );
        let long = "x".repeat(300);
        let cut = last_line(&long).unwrap();
        assert_eq!(cut.len(), MAX_LINE_CHARS + " ...".len());
        assert_eq!(last_line("\n \n"), None);
    }
}
