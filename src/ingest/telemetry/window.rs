//! The profiling window of a point: the only time whose GPU energy counts.

use std::path::Path;
use std::time::UNIX_EPOCH;

use super::super::{
    fields::{parse_json, Fields},
    read_text,
};
use crate::util::error::ReadError;

/// aiperf's phase list (0.10+), with each phase's start and end in ns since the epoch.
pub const PHASE_MANIFEST: &str = "phase_manifest.json";
/// The runner's record of the point (client start and end, RFC 3339).
pub const RUN_MANIFEST: &str = "run.json";

/// A span of wall-clock time in ns since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start_ns: i128,
    pub end_ns: i128,
    /// The client's own profiling phase (warmup excluded); `false`: the client process's life.
    pub exact: bool,
}

impl Window {
    pub fn seconds(&self) -> f64 {
        (self.end_ns - self.start_ns) as f64 / 1e9
    }
}

/// aiperf's profiling phase from `phase_manifest.json`, else the client's start and end from
/// the runner's `run.json`, else `None`.
pub fn profiling_window(dir: &Path) -> Result<Option<Window>, ReadError> {
    let phases = dir.join(PHASE_MANIFEST);
    if phases.is_file() {
        if let Some(w) = aiperf_profiling_phase(&phases)? {
            return Ok(Some(w));
        }
    }
    let run = dir.join(RUN_MANIFEST);
    if run.is_file() {
        return client_span(&run);
    }
    Ok(None)
}

/// From the first profiling phase's start to the last one's end (warmup phases left out).
fn aiperf_profiling_phase(path: &Path) -> Result<Option<Window>, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    let Some(list) = f.opt_array("phases")? else {
        return Ok(None);
    };
    let mut span: Option<(i128, i128)> = None;
    for (i, ph) in list.iter().enumerate() {
        let prefix = format!("phases[{i}].");
        let Some(obj) = ph.as_object() else {
            return Err(ReadError::field(path, &format!("phases[{i}]"), "an object"));
        };
        let p = Fields {
            path,
            obj,
            prefix: &prefix,
        };
        if p.opt_str("phase_kind")? != Some("profiling") {
            continue;
        }
        let (Some(s), Some(e)) = (ns(&p, "start_ns")?, ns(&p, "end_ns")?) else {
            continue;
        };
        if e <= s {
            return Err(ReadError::field(
                path,
                &format!("phases[{i}].end_ns"),
                "an end after the start",
            ));
        }
        let (s, e) = (i128::from(s), i128::from(e));
        span = Some(match span {
            None => (s, e),
            Some((a, b)) => (a.min(s), b.max(e)),
        });
    }
    Ok(span.map(|(start_ns, end_ns)| Window {
        start_ns,
        end_ns,
        exact: true,
    }))
}

/// A nanosecond timestamp, read as an integer (an f64 would lose the last digits).
pub(super) fn ns(f: &Fields, key: &str) -> Result<Option<u64>, ReadError> {
    match f.obj.get(key).and_then(serde_json::Value::as_u64) {
        Some(v) => Ok(Some(v)),
        None => f.opt_u64(key),
    }
}

/// `started_at` .. `ended_at` of the runner's manifest.
fn client_span(path: &Path) -> Result<Option<Window>, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    let (Some(s), Some(e)) = (f.opt_str("started_at")?, f.opt_str("ended_at")?) else {
        return Ok(None);
    };
    let start_ns =
        utc_ns(s).ok_or_else(|| ReadError::field(path, "started_at", "an RFC 3339 time"))?;
    let end_ns = utc_ns(e).ok_or_else(|| ReadError::field(path, "ended_at", "an RFC 3339 time"))?;
    if end_ns <= start_ns {
        return Err(ReadError::field(
            path,
            "ended_at",
            "a time after started_at",
        ));
    }
    Ok(Some(Window {
        start_ns,
        end_ns,
        exact: false,
    }))
}

/// A UTC time (`2026-11-25T14:33:09Z`, `2026-11-25 14:33:09.5`, `2026/11/25 14:33:09.500`) in
/// ns since the epoch.
pub fn utc_ns(text: &str) -> Option<i128> {
    let t = text.trim().replace('/', "-");
    let time = humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok()?;
    let d = time.duration_since(UNIX_EPOCH).ok()?;
    Some(d.as_nanos() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_in_the_three_spellings() {
        // date -u -d '2026-11-25T14:33:09Z' +%s -> 1795617189
        assert_eq!(
            utc_ns("2026-11-25T14:33:09Z"),
            Some(1_795_617_189_000_000_000)
        );
        assert_eq!(
            utc_ns("2026/11/25 14:33:09.250"),
            Some(1_795_617_189_250_000_000)
        );
        assert_eq!(
            utc_ns("2026-11-25 14:33:09.5"),
            Some(1_795_617_189_500_000_000)
        );
        assert_eq!(utc_ns("yesterday"), None);
    }
}
