//! The report job shared by `report` and `compare`: load -> analyze -> write every output;
//! and `noise`, which measures the run-to-run noise of one config for `compare --noise`.

use std::path::{Path, PathBuf};

use crate::analyze::findings::{analyze, Findings, Settings};
use crate::analyze::noise::NoiseTable;
use crate::error::Error;
use crate::ingest::{self, IngestOptions, Input};
use crate::model::Sweep;
use crate::render::llmd::LlmdReports;
use crate::render::noise_json::NoiseJson;
use crate::render::output::{write_outputs, Exporter};
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
    run_leading(args, options, settings, out_dir, &[])
}

/// As [`run`], with `lead`: lines SUMMARY.txt states right after the SLA (a runner's own
/// answer, such as the capacity search's).
pub fn run_leading(
    args: &[String],
    options: &IngestOptions,
    settings: &Settings,
    out_dir: &Path,
    lead: &[String],
) -> Result<ReportRun, Error> {
    let inputs: Vec<Input> = args.iter().map(|a| Input::parse(a)).collect();
    let sweep = ingest::load(&inputs, options)?;
    write(sweep, args, settings, out_dir, lead)
}

/// Analyzes a sweep that is already loaded (e.g. with a baseline from the history before the
/// inputs) and writes every output into `out_dir`; `args` name the inputs in the headers.
pub fn run_sweep(
    sweep: Sweep,
    args: &[String],
    settings: &Settings,
    out_dir: &Path,
) -> Result<ReportRun, Error> {
    write(sweep, args, settings, out_dir, &[])
}

fn write(
    sweep: Sweep,
    args: &[String],
    settings: &Settings,
    out_dir: &Path,
    lead: &[String],
) -> Result<ReportRun, Error> {
    let findings = analyze(&sweep, settings);
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: args,
        out_dir,
        lead,
    };
    let files = write_outputs(&report_exporters(), &ctx, out_dir)?;
    Ok(ReportRun {
        sweep,
        findings,
        files,
    })
}

/// `export llm-d`: loads the inputs and writes one llm-d Benchmark Report v0.2 per point into
/// `out_dir`.
pub fn export_llmd(
    args: &[String],
    options: &IngestOptions,
    out_dir: &Path,
) -> Result<(Sweep, Vec<PathBuf>), Error> {
    let inputs: Vec<Input> = args.iter().map(|a| Input::parse(a)).collect();
    let sweep = ingest::load(&inputs, options)?;
    let exporters: Vec<Box<dyn Exporter<Sweep>>> = vec![Box::new(LlmdReports)];
    let files = write_outputs(&exporters, &sweep, out_dir)?;
    Ok((sweep, files))
}

/// What `adreport noise` produced.
pub struct NoiseRun {
    pub sweep: Sweep,
    pub table: NoiseTable,
    pub files: Vec<PathBuf>,
}

/// Loads repeats of one config and writes their run-to-run noise into `out_dir`.
pub fn noise(args: &[String], options: &IngestOptions, out_dir: &Path) -> Result<NoiseRun, Error> {
    let inputs: Vec<Input> = args.iter().map(|a| Input::parse(a)).collect();
    let sweep = ingest::load(&inputs, options)?;
    let table = NoiseTable::from_points(&sweep.points);
    if table.points.is_empty() {
        return Err(Error::Usage(format!(
            "no point in {} was measured more than once: run-to-run noise needs repeats of one \
             config (run --repeats 3, or several rep_N/ directories)",
            args.join(", ")
        )));
    }
    let exporters: Vec<Box<dyn Exporter<NoiseTable>>> = vec![Box::new(NoiseJson)];
    let files = write_outputs(&exporters, &table, out_dir)?;
    Ok(NoiseRun {
        sweep,
        table,
        files,
    })
}

pub use crate::write::write_atomic;
