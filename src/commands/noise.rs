//! `adreport noise`: the run-to-run noise of one config's repeats, for `compare --noise`.

use std::path::{Path, PathBuf};

use super::{print, print_warnings, Outcome};
use crate::analyze::noise::NoiseTable;
use crate::ingest::{self, IngestOptions};
use crate::model::Sweep;
use crate::render::noise_json::{noise_summary, NoiseJson};
use crate::render::output::{write_outputs, Exporter};
use crate::util::error::Error;

pub struct NoiseOptions {
    pub runs: Vec<String>,
    pub ingest: IngestOptions,
    pub out: PathBuf,
}

/// What `adreport noise` produced.
pub struct NoiseRun {
    pub sweep: Sweep,
    pub table: NoiseTable,
    pub files: Vec<PathBuf>,
}

pub fn command(o: &NoiseOptions) -> Result<Outcome, Error> {
    let done = run(&o.runs, &o.ingest, &o.out)?;
    print_warnings(&done.sweep.warnings);
    print(&noise_summary(&done.table));
    print(&format!(
        "\nwrote {}\n",
        done.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(Outcome::Done)
}

/// Loads repeats of one config and writes their run-to-run noise into `out_dir`.
pub fn run(args: &[String], options: &IngestOptions, out_dir: &Path) -> Result<NoiseRun, Error> {
    let sweep = ingest::load_args(args, options)?;
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
