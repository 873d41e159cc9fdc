//! `audit.md`: the audit for CI job summaries and PR comments.

use super::tables::{
    metrics_table, points_table, predicted_facts, ranking_table, skipped_table, sla_table,
    sweep_facts,
};
use super::AuditCtx;
use crate::analyze::audit::Audit;
use crate::render::output::{Exporter, Output};
use crate::render::tables::{draw_markdown, md_escape};
use crate::util::error::Error;

pub struct AuditMd;

impl Exporter<AuditCtx<'_>> for AuditMd {
    fn render(&self, ctx: &AuditCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text("audit.md", markdown(ctx.audit))])
    }
}

fn markdown(a: &Audit) -> String {
    let mut out = String::from("## adreport audit: AIConfigurator predictions vs measured\n\n");
    for f in predicted_facts(a) {
        out.push_str(&format!("{}  \n", md_escape(f.trim_start())));
    }
    out.push('\n');
    for l in &a.headline {
        out.push_str(&format!("- {}\n", md_escape(l)));
    }
    for g in &a.gate_hits {
        out.push_str(&format!("- :x: **--max-ape gate**: {}\n", md_escape(g)));
    }
    if a.sweeps.len() > 1 {
        out.push_str("\n### All sweeps\n\n");
        out.push_str(&draw_markdown(&metrics_table("All sweeps", &a.metrics)));
    }
    for s in &a.sweeps {
        out.push_str(&format!("\n### {}\n\n", md_escape(&s.label)));
        for f in sweep_facts(s) {
            out.push_str(&format!("{}  \n", md_escape(&f)));
        }
        out.push('\n');
        out.push_str(&draw_markdown(&metrics_table(&s.label, &s.metrics)));
        if let Some(t) = sla_table(s) {
            out.push_str(&format!("\n{}\n\n", md_escape(&t.title)));
            out.push_str(&draw_markdown(&t));
        }
        out.push_str("\n<details><summary>Every audited point</summary>\n\n");
        out.push_str(&draw_markdown(&points_table(s)));
        out.push_str("\n</details>\n");
        if let Some(t) = skipped_table(a, &s.label) {
            out.push_str("\n<details><summary>Skipped</summary>\n\n");
            out.push_str(&draw_markdown(&t));
            out.push_str("\n</details>\n");
        }
        for n in &s.notes {
            out.push_str(&format!("\n> {}\n", md_escape(&n.to_string())));
        }
    }
    if let Some(t) = ranking_table(a) {
        out.push_str(&format!("\n### {}\n\n", md_escape(&t.title)));
        out.push_str(&draw_markdown(&t));
    }
    if !a.warnings.is_empty() {
        out.push_str("\n<details><summary>Warnings</summary>\n\n");
        for w in &a.warnings {
            out.push_str(&format!("- {}\n", md_escape(w)));
        }
        out.push_str("\n</details>\n");
    }
    out
}
