//! `SUMMARY.txt`: plain text, stable order, diff-able between runs.
//! Opens with the header layout of dynamo's plot.py summary, then the numbers.

use super::gate_text::{gate_message, gate_name};
use super::headline::{definition_lines, headline_lines};
use super::output::{png_names, Exporter, Output};
use super::tables::{comparison_table, draw, points_table};
use super::verdict_table::{shifts_of, verdict_table};
use super::ReportCtx;
use crate::util::error::Error;

pub const FILE: &str = "SUMMARY.txt";

pub struct SummaryTxt;

impl Exporter<ReportCtx<'_>> for SummaryTxt {
    fn render(&self, ctx: &ReportCtx, earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let f = ctx.findings;
        let mut out = Vec::<String>::new();
        out.push("Benchmark Results Summary".into());
        out.push("=".repeat(30));
        out.push(String::new());
        out.push(format!("Results directory: {}", ctx.inputs.join(" ")));
        out.push(format!("Plots generated: {}", ctx.out_dir.display()));
        out.push(String::new());
        out.push("Deployment Types Found:".into());
        for s in &f.series {
            let range = match (s.concurrencies.first(), s.concurrencies.last()) {
                (Some(lo), Some(hi)) => {
                    format!("{} concurrency levels ({lo}-{hi})", s.concurrencies.len())
                }
                _ => match (s.batch_sizes.first(), s.batch_sizes.last()) {
                    (Some(lo), Some(hi)) => {
                        format!("{} max batch sizes ({lo}-{hi})", s.batch_sizes.len())
                    }
                    _ => "no concurrency levels".into(),
                },
            };
            let workload = match (s.isl, s.osl) {
                (Some(i), Some(o)) => format!(", isl {i} osl {o}"),
                _ => String::new(),
            };
            out.push(format!("  {}: {range}{workload} [{}]", s.label, s.source));
        }
        out.push(String::new());
        out.push("Generated Plots:".into());
        for p in png_names(earlier) {
            out.push(format!("  - {p}"));
        }
        out.push(String::new());
        out.push(match &f.sla_text {
            Some(s) => format!("SLA: {s}"),
            None => "SLA: none given (use --sla ttft=500,tpot=7)".into(),
        });
        out.extend(ctx.lead.iter().cloned());
        out.push(String::new());
        out.push("Verdict:".into());
        out.extend(headline_lines(f).iter().map(|l| format!("  {l}")));
        let limit = f.regression_gate.map(|g| g.limit_pct);
        for (i, c) in f.comparisons.iter().enumerate() {
            if !c.pairs.is_empty() {
                out.push(draw(
                    &verdict_table(c, shifts_of(f, i), limit),
                    false,
                    false,
                ));
            }
        }
        for g in &f.gate_hits {
            out.push(format!(
                "  GATE {} [{}]: {}",
                gate_name(g),
                g.label,
                gate_message(f, g)
            ));
        }
        out.push(String::new());
        out.push("Points:".into());
        out.push(draw(&points_table(f), false, false));
        for c in &f.comparisons {
            out.push(String::new());
            out.push(format!(
                "Comparison: {} vs {} (baseline)",
                c.label, c.baseline
            ));
            if c.pairs.is_empty() {
                out.push("  no aligned points".into());
            } else {
                out.push(draw(&comparison_table(c), false, false));
            }
            for k in &c.only_in_baseline {
                out.push(format!("  only in {}: {k}", c.baseline));
            }
            for k in &c.only_in_label {
                out.push(format!("  only in {}: {k}", c.label));
            }
            out.extend(definition_lines(c).iter().map(|l| format!("  {l}")));
        }
        if !f.warnings.is_empty() {
            out.push(String::new());
            out.push("Warnings:".into());
            out.extend(f.warnings.iter().map(|w| format!("  {w}")));
        }
        out.push(String::new());
        Ok(vec![Output::text(FILE, out.join("\n"))])
    }
}
