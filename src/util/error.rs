//! Errors that name the file, the place in it and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with one input file. Its message always starts with the path.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub path: PathBuf,
    /// Where in the file: `field \`x\``, `line 12`, `column \`ttft\``; empty for the whole file.
    pub at: String,
    pub message: String,
}

impl ReadError {
    pub fn new(path: &Path, at: impl Into<String>, message: impl Into<String>) -> ReadError {
        ReadError {
            path: path.to_path_buf(),
            at: at.into(),
            message: message.into(),
        }
    }

    /// The whole file is the problem (unreadable, not this format, ...).
    pub fn file(path: &Path, message: impl Into<String>) -> ReadError {
        ReadError::new(path, "", message)
    }

    /// A field is missing or has the wrong type.
    pub fn field(path: &Path, field: &str, expected: impl fmt::Display) -> ReadError {
        ReadError::new(
            path,
            format!("field `{field}`"),
            format!("expected {expected}"),
        )
    }

    /// A line of a line-oriented file (JSONL, text report) is bad.
    pub fn line(path: &Path, line: usize, message: impl Into<String>) -> ReadError {
        ReadError::new(path, format!("line {line}"), message)
    }

    pub fn io(path: &Path, err: &std::io::Error) -> ReadError {
        ReadError::file(path, format!("cannot read: {err}"))
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.path.display(), self.at, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

/// Errors of the whole program; `main` maps them to exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Usage(String),
    #[error("nothing usable in the inputs:\n{0}")]
    NothingUsable(String),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A history database that cannot be opened, is not one, or refused a query.
    #[error("{db}: {message}")]
    Database { db: String, message: String },
    /// A sweep runner that could not go on (the runner's own error, in words).
    #[error("{0}")]
    Run(String),
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
