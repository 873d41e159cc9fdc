//! What a sweep is made of: its points, the failure policy, and the [`Driver`] a runner
//! plugs in; and how a sweep ended.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use super::progress::Progress;
use super::RunError;

/// What happens after a failed point.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// End the sweep at the first failed point.
    Stop,
    /// Restart a dead server and retry the point once; a point failing with the server alive is skipped.
    Restart,
    /// Leave the point failed and go on (restarting a dead server, without retrying the point).
    Skip,
}

/// How the sweep treats points.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Redo complete points.
    pub force: bool,
    pub on_failure: OnFailure,
    /// Server restarts allowed over the whole sweep.
    pub max_restarts: u32,
    /// Kill a client that runs longer than this.
    pub point_timeout: Option<Duration>,
    /// Time a stopped client gets between SIGTERM and SIGKILL.
    pub client_grace: Duration,
}

/// One load point: its directory name under the sweep root and the parameters recorded in run.json.
#[derive(Clone, Debug)]
pub struct PointSpec {
    pub name: String,
    pub params: Map<String, Value>,
}

/// The command a driver runs for a point.
#[derive(Clone, Debug)]
pub struct ClientCmd {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// What a driver says about its server.
#[derive(Clone, Debug)]
pub enum Health {
    Alive,
    Dead { reason: String, log_tail: String },
}

/// A runner's specifics. `online` drives a served model; `offline` has no server.
pub trait Driver {
    /// Gets ready for the first point to run (launch the server, wait for it). Not called
    /// when every point is already complete.
    fn start(&mut self, progress: &Progress) -> Result<(), RunError>;
    /// The client command of a point; `dir` exists and is empty.
    fn client(&mut self, point: &PointSpec, dir: &Path) -> Result<ClientCmd, RunError>;
    /// Whether the server is alive. `thorough` may ask it over the network; otherwise only
    /// the process is checked (this runs every few milliseconds while a client runs).
    fn check(&mut self, thorough: bool) -> Health;
    /// Brings a dead server back; `Err` when that is impossible (attached, no server).
    fn restart(&mut self, progress: &Progress) -> Result<(), RunError>;
    /// Stops whatever `start` started. Idempotent.
    fn stop(&mut self);
    /// The runner's part of run.json: server argv, URL, versions, config copies.
    fn context(&self) -> Value;
    /// The client tool's name and version for run.json.
    fn client_tool(&self) -> (String, Option<String>);
}

/// A sweep to run.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    /// `OUT/LABEL`: holds one directory per point.
    pub root: PathBuf,
    pub label: String,
    /// `online` or `offline`, recorded in run.json.
    pub runner: String,
    pub points: Vec<PointSpec>,
    pub policy: Policy,
    /// `nvidia-smi`'s output when the machine has a GPU (probed once per sweep), for run.json.
    pub nvidia_smi: Option<String>,
    /// Record `nvidia-smi` into each point directory while its client runs (needs a GPU).
    pub gpu_trace: bool,
}

/// How a sweep ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Directories of every complete point, those from earlier runs included, in sweep order.
    pub complete: Vec<PathBuf>,
    /// Points run (and completed) by this invocation.
    pub ran: usize,
    /// Points skipped because an earlier run completed them.
    pub skipped: usize,
    /// Failed points and why.
    pub failed: Vec<(String, String)>,
    /// Why the sweep ended before its last point, if it did.
    pub stopped: Option<String>,
    /// The signal that stopped it, if one did.
    pub signal: Option<i32>,
}

impl Outcome {
    /// 0 all done; 1 a point failed or the sweep stopped; 128+N after signal N (130 for Ctrl-C).
    pub fn exit_code(&self) -> u8 {
        match self.signal {
            Some(s) => u8::try_from(128 + s).unwrap_or(130),
            None if !self.failed.is_empty() || self.stopped.is_some() => 1,
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let mut o = Outcome::default();
        assert_eq!(o.exit_code(), 0);
        o.failed.push(("p".into(), "r".into()));
        assert_eq!(o.exit_code(), 1);
        o.signal = Some(2);
        assert_eq!(o.exit_code(), 130);
    }
}
