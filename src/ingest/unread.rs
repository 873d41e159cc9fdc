//! JSON files in a result tree that no reader takes. A result cut short (the run died while
//! writing `concurrency_8.json`) or a JSON of a format adreport does not know is named with the
//! reason, instead of only "no result files of a known format here".

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::fields::parse_json;
use super::read_text;
use crate::error::ReadError;

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
