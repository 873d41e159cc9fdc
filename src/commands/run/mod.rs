//! Sweep runners: run a client once per load point and never lose a finished point.
//!
//! This module is the core both runners share (`online` over a served model, `offline` over
//! trtllm-bench): the point list and directories, completion marking, resume, the failure
//! policy, per-point timeouts, progress and Ctrl-C. A runner plugs in through [`Driver`]:
//! what to start before the points (a server), the client command of each point, whether
//! the server is still alive, and how to restart and stop it.
//!
//! A point is complete only when its client exited 0, the server (if any) is still alive,
//! and adreport's own ingest reads its artifacts; then `run.json` is written and, last, the
//! `.complete` marker appears atomically (temporary file + rename). A rerun skips complete
//! points; anything else in a point directory is cleared before the point runs again.
//!
//! The core: [`plan`] (a sweep's points and policy, the [`Driver`] trait, the outcome),
//! [`sweep_loop`] (running the points), [`complete`] (when a point counts as done),
//! [`signals`], [`progress`], [`finish`] (the outcome and the report job at the end) and
//! [`options`] (what both runners' flags and `--config` files share). Underneath: [`process`]
//! (process groups), [`http`], [`manifest`] (`run.json`), [`autodeploy`] (options YAML
//! checks). The runners: [`online`] and [`offline`], each with its settings, client argv,
//! driver and command.

pub mod autodeploy;
pub mod complete;
pub mod fanout;
pub mod finish;
pub mod gpu_trace;
pub mod http;
pub mod manifest;
pub mod offline;
pub mod online;
pub mod options;
pub mod plan;
pub mod process;
pub mod progress;
pub mod signals;
pub mod sweep_loop;

use std::path::{Path, PathBuf};

use offline::OfflineOptions;
use online::OnlineOptions;

pub use complete::{is_complete, verify, COMPLETE};
pub use plan::{ClientCmd, Driver, Health, OnFailure, Outcome, PointSpec, Policy, SweepPlan};
pub use progress::Progress;
pub use signals::{hurry, install_signal_handlers, interrupted};
pub use sweep_loop::run;

/// `adreport run online|offline|status`, resolved.
pub enum RunJob {
    Online(Box<OnlineOptions>),
    Offline(Box<OfflineOptions>),
    /// `run status OUT`.
    Status(PathBuf),
}

/// The runners report their own outcome as they go; their exit code says how the sweep ended.
pub fn command(job: RunJob) -> Result<super::Outcome, crate::util::error::Error> {
    let code = match job {
        RunJob::Online(flags) => online::run(*flags)?,
        RunJob::Offline(flags) => offline::run(*flags)?,
        RunJob::Status(out) => {
            for l in fanout::status::lines(&out)? {
                println!("{l}");
            }
            0
        }
    };
    Ok(super::Outcome::Code(code))
}

impl From<RunError> for crate::util::error::Error {
    fn from(e: RunError) -> Self {
        crate::util::error::Error::Run(e.to_string())
    }
}

/// The client's output files inside a point directory. A `.stdout` file beside a
/// trtllm-bench report JSON is read as the printed copy of that run, not as a second run.
pub const CLIENT_STDOUT: &str = "client.stdout";
pub const CLIENT_STDERR: &str = "client_stderr.log";
/// Lines of a log shown and recorded when something fails.
pub const TAIL_LINES: usize = 30;

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad flags or config, found before anything started.
    #[error("{0}")]
    Usage(String),
    /// The server did not come up, or died and could not be brought back.
    #[error("{0}")]
    Server(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl RunError {
    pub fn io(path: &Path, source: std::io::Error) -> RunError {
        RunError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
