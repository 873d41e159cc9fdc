//! Outputs of `adreport audit`, one exporter per file, like [`super::Exporter`] for reports.
//! The PNGs are drawn by `super::plots::audit` (it reuses the report charts' figure code).

pub mod html;
pub mod json;
pub mod markdown;
pub mod summary;
pub mod tables;
pub mod words;

use std::path::Path;

use crate::analyze::audit::Audit;
use crate::error::Error;

/// What audit exporters render from.
pub struct AuditCtx<'a> {
    pub audit: &'a Audit,
    /// File names of the plots written, in order.
    pub plots: &'a [String],
    pub out_dir: &'a Path,
}

/// One audit output file.
pub trait AuditExporter {
    fn file_name(&self) -> &'static str;
    fn render(&self, ctx: &AuditCtx) -> Result<String, Error>;
}

/// Every file an audit writes besides the PNGs.
pub fn audit_exporters() -> Vec<Box<dyn AuditExporter>> {
    vec![
        Box::new(summary::AuditSummaryTxt),
        Box::new(markdown::AuditMd),
        Box::new(json::AuditJson),
        Box::new(html::AuditHtml),
    ]
}
