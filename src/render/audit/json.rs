//! `audit.json`: the whole audit for scripts (the schema is [`Audit`]'s fields).

use super::AuditCtx;
use crate::analyze::audit::Audit;
use crate::render::output::{Exporter, Output};
use crate::util::error::Error;

pub struct AuditJson;

impl Exporter<AuditCtx<'_>> for AuditJson {
    fn render(&self, ctx: &AuditCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text("audit.json", to_json(ctx.audit)?)])
    }
}

pub fn to_json(a: &Audit) -> Result<String, Error> {
    let mut s = serde_json::to_string_pretty(a)
        .map_err(|e| Error::Usage(format!("cannot write audit.json: {e}")))?;
    s.push('\n');
    Ok(s)
}
