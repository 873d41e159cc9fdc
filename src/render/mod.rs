//! Render: turn a Sweep and its Findings into tables, files and plots.
//! Each file output is one exporter behind [`Exporter`].

pub mod audit;
pub mod findings_json;
pub mod format;
pub mod history;
pub mod html;
pub mod markdown;
pub mod output;
pub mod plots;
pub mod point_table;
pub mod points_csv;
pub mod show;
pub mod summary;
pub mod tables;
pub mod terminal;

use crate::analyze::findings::Findings;
use crate::error::Error;
use crate::model::Sweep;

/// What exporters render from.
pub struct ReportCtx<'a> {
    pub findings: &'a Findings,
    pub sweep: &'a Sweep,
    /// The inputs as the user gave them, for headers.
    pub inputs: &'a [String],
    /// File names of the plots written, in order.
    pub plots: &'a [String],
    pub out_dir: &'a std::path::Path,
}

/// One output file.
pub trait Exporter {
    fn file_name(&self) -> &'static str;
    fn render(&self, ctx: &ReportCtx) -> Result<String, Error>;
}

/// The text exporters every report writes.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(summary::SummaryTxt),
        Box::new(markdown::SummaryMd),
        Box::new(findings_json::FindingsJson),
        Box::new(points_csv::PointsCsv),
    ]
}
