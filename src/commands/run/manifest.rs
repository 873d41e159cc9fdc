//! `run.json`: what ran at one point, so a result can be reproduced and trusted later.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use super::process;
use super::RunError;
use crate::util::write::write_atomic;

/// The manifest's file name inside each point directory.
pub const FILE: &str = "run.json";

/// A point's state as `run.json` records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Running,
    Complete,
    Failed,
    Interrupted,
}

/// The client run of one point.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClientRecord {
    pub tool: String,
    pub version: Option<String>,
    pub argv: Vec<String>,
    pub env: Map<String, Value>,
    pub pid: Option<u32>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Everything `run.json` holds. Key names avoid those the result readers sniff for
/// (`duration`, `completed`, ...), so the manifest is never mistaken for a result.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    pub adreport_version: String,
    pub runner: String,
    pub label: String,
    pub point: String,
    pub params: Map<String, Value>,
    pub status: Status,
    /// Why the point failed or stopped.
    pub reason: Option<String>,
    pub attempt: u32,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub wall_s: Option<f64>,
    pub host: String,
    pub client: ClientRecord,
    /// The runner's own context: server argv, URL, versions, config file copies.
    pub context: Value,
    pub nvidia_smi: Option<String>,
    /// Last lines of the client's stderr and the server log when the point failed.
    pub log_tails: Map<String, Value>,
}

impl Manifest {
    pub fn write(&self, dir: &Path) -> Result<(), RunError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| RunError::Other(format!("cannot encode {FILE}: {e}")))?;
        write_atomic(&dir.join(FILE), text.as_bytes()).map_err(|e| RunError::Other(e.to_string()))
    }
}

/// Now, as RFC 3339 UTC to the second.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// `yymmdd_HHMM` (UTC) for file names, as `date +%y%m%d_%H%M` writes it.
pub fn stamp() -> String {
    // 2026-11-23T10:33:00Z -> 261123_1033
    let t = now();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    match (digits.get(2..8), digits.get(8..12)) {
        (Some(d), Some(hm)) => format!("{d}_{hm}"),
        _ => "run".into(),
    }
}

pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// `nvidia-smi` output when the machine has one.
pub fn nvidia_smi() -> Option<String> {
    process::on_path("nvidia-smi")
        .then(|| process::probe(&["nvidia-smi".into()], Duration::from_secs(20)))
        .flatten()
}

/// A copy of a config file for the manifest: path and text (or why it could not be read).
pub fn config_copy(path: &Path) -> Value {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::json!({"path": abs, "text": text}),
        Err(e) => serde_json::json!({"path": abs, "error": e.to_string()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_is_date_and_time() {
        let s = stamp();
        assert_eq!(s.len(), 11, "{s}");
        assert_eq!(s.as_bytes()[6], b'_');
        assert!(now().ends_with('Z'));
    }

    #[test]
    fn manifest_is_not_sniffed_as_a_result() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest {
            adreport_version: "0".into(),
            runner: "online".into(),
            label: "l".into(),
            point: "isl_1_osl_1_conc_1".into(),
            params: Map::new(),
            status: Status::Complete,
            reason: None,
            attempt: 1,
            started_at: now(),
            ended_at: Some(now()),
            wall_s: Some(1.0),
            host: host_name(),
            client: ClientRecord::default(),
            context: Value::Null,
            nvidia_smi: None,
            log_tails: Map::new(),
        };
        m.write(dir.path()).unwrap();
        let path = dir.path().join(FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"status\": \"complete\""));
        let inputs = [crate::ingest::Input::parse(
            &dir.path().display().to_string(),
        )];
        assert!(crate::ingest::load(&inputs, &Default::default()).is_err());
    }
}
