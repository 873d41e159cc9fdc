//! The terminal summary after `report`/`compare`: headline, gates and comparison tables.

use std::io::IsTerminal;

use super::headline::{definition_lines, gate_message, gate_name, headline_lines};
use super::isl_osl_table::isl_osl_table;
use super::tables::{comparison_matrix, draw, points_table};
use crate::analyze::findings::Findings;

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub fn summary(f: &Findings, color: bool) -> String {
    let mut out = String::new();
    if let Some(s) = &f.sla_text {
        out.push_str(&format!("SLA: {s}\n"));
    }
    for l in headline_lines(f) {
        out.push_str(&format!("  {l}\n"));
    }
    out.push_str(&draw(&points_table(f), color, true));
    out.push('\n');
    // Sweeps over several ISL/OSL (offline grids) also get the best throughput per workload.
    if let Some(table) = isl_osl_table(f) {
        out.push('\n');
        out.push_str(&table);
    }
    for c in &f.comparisons {
        out.push_str(&format!(
            "\n{} vs {} (baseline → {}; runs = baseline/label; CI = 95% interval of the change; ~ = within noise; ? = unverified, one run on a side)\n",
            c.label, c.baseline, c.label
        ));
        out.push_str(&draw(&comparison_matrix(c), color, true));
        out.push('\n');
        for l in definition_lines(c) {
            out.push_str(&format!("  {l}\n"));
        }
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
    out
}
