//! The report job shared by `report` and `compare`: load -> analyze -> write every output.

use std::path::{Path, PathBuf};

use crate::analyze::findings::{analyze, Findings, Settings};
use crate::error::Error;
use crate::ingest::{self, IngestOptions, Input};
use crate::model::Sweep;
use crate::render::output::write_outputs;
use crate::render::{report_exporters, ReportCtx};

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
    run_sweep(sweep, args, settings, out_dir)
}

/// Analyzes a sweep that is already loaded (e.g. with a baseline from the history before the
/// inputs) and writes every output into `out_dir`; `args` name the inputs in the headers.
pub fn run_sweep(
    sweep: Sweep,
    args: &[String],
    settings: &Settings,
    out_dir: &Path,
) -> Result<ReportRun, Error> {
    let findings = analyze(&sweep, settings);
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: args,
        out_dir,
    };
    let files = write_outputs(&report_exporters(), &ctx, out_dir)?;
    Ok(ReportRun {
        sweep,
        findings,
        files,
    })
}

pub use crate::write::write_atomic;
