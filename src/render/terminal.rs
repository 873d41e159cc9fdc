//! The terminal summary after `report`/`compare`: the answer first (headline, one verdict row
//! per key metric, gates), then the per-point tables split to fit the terminal's width.

use std::io::IsTerminal;

use super::gate_text::{gate_message, gate_name};
use super::headline::{answer_lines, definition_lines, evidence_lines};
use super::isl_osl_table::isl_osl_table;
use super::tables::{draw, draw_fitting, points_table};
use super::verdict_table::{change_grid, shifts_of, verdict_table};
use crate::analyze::findings::Findings;

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The width tables are split to: `$COLUMNS` when set, else 100.
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|c: &usize| *c >= 40)
        .unwrap_or(100)
}

pub fn summary(f: &Findings, color: bool, width: usize) -> String {
    let mut out = String::new();
    if let Some(s) = &f.sla_text {
        out.push_str(&format!("SLA: {s}\n"));
    }
    for l in answer_lines(f) {
        out.push_str(&format!("  {l}\n"));
    }
    let limit = f.regression_gate.map(|g| g.limit_pct);
    for (i, c) in f.comparisons.iter().enumerate() {
        if c.pairs.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&draw(
            &verdict_table(c, shifts_of(f, i), limit),
            color,
            true,
        ));
        out.push('\n');
        for l in definition_lines(c) {
            out.push_str(&format!("  {l}\n"));
        }
    }
    for l in evidence_lines(f) {
        out.push_str(&format!("  {l}\n"));
    }
    for g in &f.gate_hits {
        let tag = if color {
            "\x1b[1;31mGATE\x1b[0m"
        } else {
            "GATE"
        };
        out.push_str(&format!(
            "{tag} {} [{}]: {}\n",
            gate_name(g),
            g.label,
            gate_message(f, g)
        ));
    }
    out.push('\n');
    out.push_str(&draw_fitting(&points_table(f), color, width, 2));
    out.push('\n');
    // Sweeps over several ISL/OSL (offline grids) also get the best throughput per workload.
    if let Some(table) = isl_osl_table(f) {
        out.push('\n');
        out.push_str(&table);
    }
    for c in &f.comparisons {
        if c.pairs.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n{} vs {} per point (change from {}; + better, - worse, ~ within noise, ? untested; intervals in SUMMARY.txt)\n",
            c.label, c.baseline, c.baseline
        ));
        out.push_str(&draw_fitting(&change_grid(c), color, width, 1));
        out.push('\n');
    }
    out
}
