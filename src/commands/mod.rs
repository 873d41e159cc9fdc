//! The jobs: one file per subcommand. Each takes its resolved options (built from the flags by
//! `cli::resolve`, defined here beside the job), does the job, prints what the user reads, and
//! returns an [`Outcome`] that the binary turns into the exit code.

pub mod audit;
pub mod ci;
pub mod compare;
pub mod dataset;
pub mod export;
pub mod history;
pub mod noise;
pub mod plan;
pub mod report;
pub mod run;
pub mod shell;
pub mod show;

use std::io::Write;
use std::path::PathBuf;

use crate::ingest::printable;
use crate::model::Warning;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done, nothing gated.
    Done,
    /// A gate the user set tripped (`--fail-on-regression`, `--fail-on-sla`, `--max-ape`).
    GateTripped,
    /// A runner's own code (a sweep with failed points, one stopped by Ctrl-C).
    Code(u8),
}

/// Exit code when a gate the user set trips.
pub const EXIT_GATE: u8 = 2;

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::GateTripped => EXIT_GATE,
            Outcome::Code(c) => c,
        }
    }

    /// [`Outcome::GateTripped`] when there are gate hits, else [`Outcome::Done`].
    pub fn gated(hits: usize) -> Outcome {
        if hits == 0 {
            Outcome::Done
        } else {
            Outcome::GateTripped
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not worth an error.
pub fn print(text: &str) {
    print_bytes(text.as_bytes());
}

pub fn print_bytes(bytes: &[u8]) {
    let _ = std::io::stdout().write_all(bytes);
}

/// The warnings of reading the inputs, one line each on stderr, control characters escaped.
pub fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("warning: {}", printable(&w.to_string()));
    }
}

/// `wrote N files to DIR`, the last line of a command that writes an output directory.
pub fn print_wrote(files: &[PathBuf], dir: &std::path::Path) {
    print(&format!(
        "\nwrote {} files to {}\n",
        files.len(),
        dir.display()
    ));
}
