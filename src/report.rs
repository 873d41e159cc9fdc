//! The report job shared by `report` and `compare`: load -> analyze -> write every output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::analyze::findings::{analyze, Findings, Settings};
use crate::error::Error;
use crate::ingest::{self, IngestOptions, Input};
use crate::model::Sweep;
use crate::render::html::write_html;
use crate::render::plots::write_plots;
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
    let write_err = |source| Error::Write {
        path: out_dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(out_dir).map_err(write_err)?;
    let plot_files = write_plots(&sweep, settings.sla.as_ref(), out_dir)?;
    let plots: Vec<String> = plot_files
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: args,
        plots: &plots,
        out_dir,
    };
    let mut files = plot_files.clone();
    for e in exporters() {
        let path = out_dir.join(e.file_name());
        let text = e.render(&ctx)?;
        write_atomic(&path, text.as_bytes())?;
        files.push(path);
    }
    files.push(write_html(&findings, &sweep.configs, &plot_files, out_dir)?);
    Ok(ReportRun {
        sweep,
        findings,
        files,
    })
}

pub use crate::write::write_atomic;
