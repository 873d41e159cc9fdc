//! `adreport export llm-d`: one llm-d Benchmark Report v0.2 per point.

use std::path::PathBuf;

use super::{print_warnings, Outcome};
use crate::ingest::{self, IngestOptions};
use crate::model::Sweep;
use crate::render::llmd::{LlmdReports, VERSION};
use crate::render::output::{write_outputs, Exporter};
use crate::util::error::Error;

pub struct ExportOptions {
    pub runs: Vec<String>,
    pub ingest: IngestOptions,
    pub out: PathBuf,
}

pub fn llm_d(o: &ExportOptions) -> Result<Outcome, Error> {
    let sweep = ingest::load_args(&o.runs, &o.ingest)?;
    let exporters: Vec<Box<dyn Exporter<Sweep>>> = vec![Box::new(LlmdReports)];
    let files = write_outputs(&exporters, &sweep, &o.out)?;
    print_warnings(&sweep.warnings);
    eprintln!(
        "wrote {} llm-d benchmark reports (v{VERSION}) to {}",
        files.len(),
        o.out.display()
    );
    Ok(Outcome::Done)
}
