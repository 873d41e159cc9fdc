//! Outputs of `adreport audit`, each an [`Exporter`] of [`AuditCtx`] like every job's files:
//! the PNG charts first (`super::plots::audit`, drawn by the report charts' figure code), then
//! SUMMARY.txt, audit.md, audit.json and report.html, which name or embed the charts.

pub mod ctx;
pub mod html;
pub mod json;
pub mod markdown;
pub mod summary;
pub mod tables;
pub mod words;

use crate::render::output::Exporter;
use crate::render::plots::audit::AuditPlots;

pub use ctx::AuditCtx;
/// Every file an audit writes, charts first so the others can name and embed them.
pub fn audit_exporters<'a>() -> Vec<Box<dyn Exporter<AuditCtx<'a>>>> {
    vec![
        Box::new(AuditPlots),
        Box::new(summary::AuditSummaryTxt),
        Box::new(markdown::AuditMd),
        Box::new(json::AuditJson),
        Box::new(html::AuditHtml),
    ]
}
