//! `SUMMARY.txt` of an audit: plain text, stable order, diff-able between runs.

use super::tables::{
    metrics_table, points_table, predicted_facts, ranking_table, skipped_table, sla_table,
    sweep_facts,
};
use super::AuditCtx;
use crate::render::output::{png_names, Exporter, Output};
use crate::render::tables::draw;
use crate::util::error::Error;

pub struct AuditSummaryTxt;

impl Exporter<AuditCtx<'_>> for AuditSummaryTxt {
    fn render(&self, ctx: &AuditCtx, earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text(
            "SUMMARY.txt",
            summary(ctx, &png_names(earlier)),
        )])
    }
}

/// The summary text; `plots` are the chart files written beside it.
fn summary(ctx: &AuditCtx, plots: &[String]) -> String {
    let a = ctx.audit;
    let mut out: Vec<String> = vec![
        "AIConfigurator Prediction Audit".into(),
        "=".repeat(31),
        String::new(),
    ];
    out.extend(predicted_facts(a));
    out.push(String::new());
    out.push("Verdict:".into());
    out.extend(a.headline.iter().map(|l| format!("  - {l}")));
    if a.sweeps.len() > 1 {
        out.push(String::new());
        out.push(draw(&metrics_table("All sweeps", &a.metrics), false, false));
    }
    for s in &a.sweeps {
        out.push(String::new());
        out.push(format!("== {} ==", s.label));
        out.extend(sweep_facts(s));
        out.push(String::new());
        out.push(draw(&metrics_table(&s.label, &s.metrics), false, false));
        out.push(String::new());
        out.push(draw(&points_table(s), false, false));
        if let Some(t) = sla_table(s) {
            out.push(String::new());
            out.push(t.title.clone());
            out.push(draw(&t, false, false));
        }
        if let Some(t) = skipped_table(a, &s.label) {
            out.push(String::new());
            out.push("Skipped:".into());
            out.push(draw(&t, false, false));
        }
        for n in &s.notes {
            out.push(format!("Note: {n}"));
        }
    }
    if let Some(t) = ranking_table(a) {
        out.push(String::new());
        out.push(t.title.clone());
        out.push(draw(&t, false, false));
    }
    out.push(String::new());
    out.push(format!("Output: {}", ctx.out_dir.display()));
    out.push("Generated Plots:".into());
    out.extend(plots.iter().map(|p| format!("  - {p}")));
    if !a.warnings.is_empty() {
        out.push(String::new());
        out.push("Warnings:".into());
        out.extend(a.warnings.iter().map(|w| format!("  - {w}")));
    }
    out.push(String::new());
    out.join("\n")
}
