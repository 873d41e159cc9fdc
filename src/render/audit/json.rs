//! `audit.json`: the whole audit for scripts (the schema is [`Audit`]'s fields).

use super::{AuditCtx, AuditExporter};
use crate::analyze::audit::Audit;
use crate::error::Error;

pub struct AuditJson;

impl AuditExporter for AuditJson {
    fn file_name(&self) -> &'static str {
        "audit.json"
    }

    fn render(&self, ctx: &AuditCtx) -> Result<String, Error> {
        to_json(ctx.audit)
    }
}

pub fn to_json(a: &Audit) -> Result<String, Error> {
    let mut s = serde_json::to_string_pretty(a)
        .map_err(|e| Error::Usage(format!("cannot write audit.json: {e}")))?;
    s.push('\n');
    Ok(s)
}
