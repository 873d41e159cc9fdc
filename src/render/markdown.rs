//! `summary.md`: for GitHub job summaries and PR comments.

use super::gate_text::{gate_message, gate_name};
use super::headline::{definition_lines, headline_lines};
use super::output::{Exporter, Output};
use super::tables::{comparison_matrix, draw_markdown, md_escape, points_table};
use super::verdict_table::{shifts_of, verdict_table};
use super::ReportCtx;
use crate::analyze::findings::Findings;
use crate::util::error::Error;

pub const FILE: &str = "summary.md";

pub struct SummaryMd;

impl Exporter<ReportCtx<'_>> for SummaryMd {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text(FILE, summary_md(ctx.findings))])
    }
}

/// The page's text.
pub fn summary_md(f: &Findings) -> String {
    let mut out = String::from("## adreport\n\n");
    if let Some(s) = &f.sla_text {
        out.push_str(&format!("SLA: **{}**\n\n", md_escape(s)));
    }
    for l in headline_lines(f) {
        out.push_str(&format!("- {}\n", md_escape(&l)));
    }
    for g in &f.gate_hits {
        out.push_str(&format!(
            "- :x: **{} gate** `{}`: {}\n",
            gate_name(g),
            md_escape(&g.label),
            md_escape(&gate_message(f, g))
        ));
    }
    let limit = f.regression_gate.map(|g| g.limit_pct);
    for (i, c) in f.comparisons.iter().enumerate() {
        out.push_str(&format!(
            "\n### {} vs {}\n\n",
            md_escape(&c.label),
            md_escape(&c.baseline)
        ));
        if c.pairs.is_empty() {
            out.push_str("No points align on ISL/OSL/concurrency.\n");
        } else {
            out.push_str(&draw_markdown(&verdict_table(c, shifts_of(f, i), limit)));
            out.push('\n');
            out.push_str(&format!(
                "Cells: {} → {} (change, CI of the change at the level the correction for many tests sets); runs = baseline/label; ~ = within noise; ? = untested.\n\n",
                md_escape(&c.baseline),
                md_escape(&c.label)
            ));
            out.push_str(&draw_markdown(&comparison_matrix(c)));
        }
        if !c.only_in_baseline.is_empty() || !c.only_in_label.is_empty() {
            out.push_str(&format!(
                "\nNot aligned: {} point(s) only in {}, {} only in {}.\n",
                c.only_in_baseline.len(),
                md_escape(&c.baseline),
                c.only_in_label.len(),
                md_escape(&c.label)
            ));
        }
        let defs = definition_lines(c);
        if !defs.is_empty() {
            out.push('\n');
        }
        for l in defs {
            out.push_str(&format!("- {}\n", md_escape(&l)));
        }
    }
    out.push_str("\n<details><summary>All points</summary>\n\n");
    out.push_str(&draw_markdown(&points_table(f)));
    out.push_str("\n</details>\n");
    if !f.warnings.is_empty() {
        out.push_str("\n<details><summary>Warnings</summary>\n\n");
        for w in &f.warnings {
            out.push_str(&format!("- {}\n", md_escape(w)));
        }
        out.push_str("\n</details>\n");
    }
    out
}
