//! Render: turn a Sweep and its Findings into tables, files and plots.
//! Each report file (or family of files, like the charts) is one exporter behind
//! [`output::Exporter`].

pub mod audit;
pub mod capacity_json;
pub mod findings_json;
pub mod format;
pub mod gate_text;
pub mod github;
pub mod headline;
pub mod history;
pub mod html;
pub mod isl_osl_table;
pub mod junit;
pub mod llmd;
pub mod markdown;
pub mod noise_json;
pub mod output;
pub mod parquet;
pub mod plan;
pub mod plots;
pub mod point_table;
pub mod points_csv;
pub mod show;
pub mod summary;
pub mod tables;
pub mod terminal;
pub mod verdict_table;

/// The HTML page of a report, an audit or a history report.
pub const REPORT_HTML: &str = "report.html";
use std::path::Path;

use crate::analyze::findings::Findings;
use crate::model::Sweep;
use output::Exporter;

/// What the report exporters render from.
pub struct ReportCtx<'a> {
    pub findings: &'a Findings,
    pub sweep: &'a Sweep,
    /// The inputs as the user gave them, for headers.
    pub inputs: &'a [String],
    pub out_dir: &'a Path,
    /// Lines SUMMARY.txt states right after the SLA (a runner's own answer).
    pub lead: &'a [String],
}

/// Every output of `report` and `compare`, in writing order: the charts first so the text
/// outputs can name them and report.html can embed them.
pub fn report_exporters<'a>() -> Vec<Box<dyn Exporter<ReportCtx<'a>>>> {
    vec![
        Box::new(plots::Charts),
        Box::new(summary::SummaryTxt),
        Box::new(markdown::SummaryMd),
        Box::new(findings_json::FindingsJson),
        Box::new(points_csv::PointsCsv),
        Box::new(parquet::Parquet),
        Box::new(junit::JunitXml),
        Box::new(isl_osl_table::IslOslTable),
        Box::new(html::ReportHtml),
    ]
}
