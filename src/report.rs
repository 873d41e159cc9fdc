//! The report job shared by `report` and `compare`: load -> analyze -> write every output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::analyze::findings::{analyze, Findings, Settings};
use crate::error::Error;
use crate::ingest::{self, IngestOptions, Input};
use crate::model::Sweep;
use crate::render::{exporters, ReportCtx};

/// What a report run produced.
pub struct ReportRun {
    pub sweep: Sweep,
    pub findings: Findings,
    pub files: Vec<PathBuf>,
}

/// Loads the inputs, analyzes them and writes every output into `out_dir`.
pub fn run(
    args: &[String],
    options: &IngestOptions,
    settings: &Settings,
    out_dir: &Path,
) -> Result<ReportRun, Error> {
    let inputs: Vec<Input> = args.iter().map(|a| Input::parse(a)).collect();
    let sweep = ingest::load(&inputs, options)?;
    let findings = analyze(&sweep, settings);
    fs::create_dir_all(out_dir).map_err(|source| Error::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let plots: Vec<String> = Vec::new();
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: args,
        plots: &plots,
        out_dir,
    };
    let mut files = Vec::new();
    for e in exporters() {
        let path = out_dir.join(e.file_name());
        let text = e.render(&ctx)?;
        write_atomic(&path, text.as_bytes())?;
        files.push(path);
    }
    Ok(ReportRun {
        sweep,
        findings,
        files,
    })
}

/// Writes through a temporary file and a rename, so a crash never leaves half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp~");
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::write(&tmp, bytes).map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}
