//! `adreport show`: every load point found, as a table (or JSON, CSV, markdown, Parquet).

use std::path::PathBuf;

use super::{print, print_warnings, Outcome};
use crate::ingest::{self, IngestOptions};
use crate::render::output::{write_file, Output};
use crate::render::parquet::{self, points_parquet};
use crate::render::point_table::{point_table, Columns, DEFAULT_METRICS};
use crate::render::show::{self, ShowFormat};
use crate::util::error::Error;

pub struct ShowOptions {
    pub paths: Vec<String>,
    pub ingest: IngestOptions,
    /// Every repeat of a point as its own row.
    pub repeats: bool,
    /// A text format, or `None` for Parquet (which needs `output`).
    pub format: Option<ShowFormat>,
    /// `--metrics`: the columns, when given.
    pub metrics: Option<String>,
    pub output: Option<PathBuf>,
}

pub fn run(o: &ShowOptions) -> Result<Outcome, Error> {
    let sweep = ingest::load_args(&o.paths, &o.ingest)?;
    print_warnings(&sweep.warnings);
    let sweep = if o.repeats {
        sweep.repeats_view()
    } else {
        sweep
    };
    let Some(format) = o.format else {
        let Some(path) = &o.output else {
            return Err(Error::Usage(
                "--format parquet writes a file: give -o FILE".into(),
            ));
        };
        let file = write_file(points_parquet(&sweep, parquet::POINTS_FILE)?, path)?;
        eprintln!("wrote {} ({} points)", file.display(), sweep.points.len());
        return Ok(Outcome::Done);
    };
    let columns = match (format, &o.metrics) {
        (ShowFormat::Json | ShowFormat::Csv, None) => Columns::All,
        _ => Columns::parse(o.metrics.as_deref(), &DEFAULT_METRICS)?,
    };
    let text = show::render(&point_table(&sweep, &columns)?, format);
    match &o.output {
        Some(path) => {
            let file = write_file(Output::text(parquet::POINTS_FILE, text), path)?;
            eprintln!("wrote {}", file.display());
        }
        None => print(&text),
    }
    Ok(Outcome::Done)
}
