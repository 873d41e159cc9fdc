//! A point is complete when its results read: the check, and the marker that records it.

use std::path::Path;

use super::{manifest, RunError};
use crate::ingest::{self, IngestOptions, Input};
use crate::model::{Latency, Metric, Stat};
use crate::util::write::write_atomic;

/// The marker file whose presence means "this point is done and its results parse".
pub const COMPLETE: &str = ".complete";

/// Whether a point directory holds a finished point.
pub fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE).is_file()
}

/// Reads the point's artifacts with adreport's own ingest; returns a one-line summary.
pub fn verify(dir: &Path) -> Result<String, String> {
    let input = Input {
        label: Some("point".into()),
        path: dir.to_path_buf(),
    };
    let sweep = ingest::load(&[input], &IngestOptions::default()).map_err(|e| e.to_string())?;
    if let Some(w) = sweep
        .warnings
        .iter()
        .find(|w| w.message.starts_with("left out"))
    {
        return Err(w.to_string());
    }
    let p = sweep
        .points
        .first()
        .ok_or_else(|| "no load point found".to_string())?;
    let mut parts = Vec::new();
    if let Some(ok) = p.get(Metric::RequestsOk) {
        parts.push(format!("{ok:.0} requests"));
    }
    if let Some(bad) = p.get(Metric::RequestsFailed).filter(|b| *b > 0.0) {
        parts.push(format!("{bad:.0} FAILED"));
    }
    if let Some(t) = p.get(Metric::OutputTokenThroughput) {
        parts.push(format!("{t:.1} output tok/s"));
    }
    if let Some(t) = p.get(Metric::Latency(Latency::Ttft, Stat::Avg)) {
        parts.push(format!("TTFT avg {t:.1} ms"));
    }
    if let Some(t) = p.get(Metric::Latency(Latency::Tpot, Stat::Avg)) {
        parts.push(format!("TPOT avg {t:.2} ms"));
    }
    Ok(format!("ok: {}", parts.join(", ")))
}

/// The marker goes last, through a temporary file and a rename: it is there whole or not at all.
pub fn mark_complete(dir: &Path) -> Result<(), RunError> {
    let text = format!("complete at {}\n", manifest::now());
    write_atomic(&dir.join(COMPLETE), text.as_bytes()).map_err(|e| RunError::Other(e.to_string()))
}
