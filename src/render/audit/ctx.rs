//! What the audit's exporters render from.

use std::path::Path;

use crate::analyze::audit::Audit;

/// What audit exporters render from.
pub struct AuditCtx<'a> {
    pub audit: &'a Audit,
    /// Where the files go (SUMMARY.txt names it).
    pub out_dir: &'a Path,
}
