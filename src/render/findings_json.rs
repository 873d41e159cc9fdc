//! `findings.json`: points with SLA verdicts, goodput, comparisons with deltas and significance.

use super::{Exporter, ReportCtx};
use crate::error::Error;

pub struct FindingsJson;

impl Exporter for FindingsJson {
    fn file_name(&self) -> &'static str {
        "findings.json"
    }

    fn render(&self, ctx: &ReportCtx) -> Result<String, Error> {
        let mut s = serde_json::to_string_pretty(ctx.findings)
            .map_err(|e| Error::Usage(format!("cannot serialise findings: {e}")))?;
        s.push('\n');
        Ok(s)
    }
}
