//! The verdict block a compare leads with (one row per key metric: effect, verdicts, evidence,
//! gate) and the per-point changes as a grid of metrics by load that fits a terminal.

use super::format::{pct, pct_plain};
use super::headline::{effect_text, short, verdicts_text};
use super::tables::{
    compared_key_metrics, key_load_text, verdict_tone, ReportTable, Tone, ToneCell,
};
use crate::analyze::compare::{Comparison, Evidence, Verdict};
use crate::analyze::findings::{Findings, Headline, Shift};

/// The shifts of comparison `i`, from the findings' headline.
pub fn shifts_of(f: &Findings, i: usize) -> &[Shift] {
    f.headline
        .iter()
        .find_map(|h| match h {
            Headline::Comparison { comparison, shifts } if *comparison == i => {
                Some(shifts.as_slice())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// One row per key metric of a comparison: how much it changed over the aligned points, the
/// verdicts, what they rest on, and the gate.
pub fn verdict_table(c: &Comparison, shifts: &[Shift], limit_pct: Option<f64>) -> ReportTable {
    let mut headers: Vec<String> = ["metric", "change", "verdict", "evidence"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(l) = limit_pct {
        headers.push(format!("gate {}", pct_plain(l)));
    }
    let rows = shifts
        .iter()
        .map(|s| {
            let tone = if s.worse > 0 {
                Tone::Bad
            } else if s.better > 0 {
                Tone::Good
            } else {
                Tone::Muted
            };
            let mut row = vec![
                ToneCell::text(short(s.metric)),
                ToneCell::text(effect_text(s.rel_pct)),
                ToneCell::text(verdicts_text(s)).toned(tone),
                ToneCell::text(evidence_word(s)).toned(Tone::Muted),
            ];
            if limit_pct.is_some() {
                row.push(if s.gate_hits > 0 {
                    ToneCell::text(format!("FAIL at {}", s.gate_hits)).toned(Tone::Bad)
                } else {
                    ToneCell::text("ok").toned(Tone::Muted)
                });
            }
            row
        })
        .collect();
    ReportTable {
        title: format!("{} vs {}", c.label, c.baseline),
        headers,
        rows,
    }
}

/// `3/3 runs`, `1/5 runs`, `1/1 runs, 15% noise`, `mixed runs` (the evidence lines below the
/// table say where the noise came from).
fn evidence_word(s: &Shift) -> String {
    let runs = s.runs.map(|[a, b]| format!("{a}/{b} runs"));
    match (s.evidence.as_slice(), runs) {
        ([Evidence::SingleRun], _) => match s.single_run_noise {
            Some((_, [lo, hi])) if (hi - lo).abs() < 1e-9 => {
                format!("1/1 runs, {} noise", pct_plain(lo * 100.0))
            }
            Some((_, [lo, hi])) => format!(
                "1/1 runs, {}-{} noise",
                pct_plain(lo * 100.0),
                pct_plain(hi * 100.0)
            ),
            None => "1/1 runs".into(),
        },
        ([_], Some(runs)) => runs,
        _ => "mixed runs".into(),
    }
}

/// The per-point changes of a comparison as metrics (rows) by load (columns), each cell the
/// change and a mark: `+` better, `-` worse, `~` within noise, `?` untested.
pub fn change_grid(c: &Comparison) -> ReportTable {
    let metrics = compared_key_metrics(c);
    let mut headers = vec!["metric".to_string()];
    headers.extend(c.pairs.iter().map(|p| {
        let load = key_load_text(&p.key, "c", "?");
        match (p.key.isl, p.key.osl) {
            (Some(i), Some(o)) if several_workloads(c) => format!("{load} {i}/{o}"),
            _ => load,
        }
    }));
    let rows = metrics
        .iter()
        .map(|m| {
            let mut row = vec![ToneCell::text(short(*m))];
            row.extend(c.pairs.iter().map(|p| {
                match p.deltas.iter().find(|d| d.metric_id == Some(*m)) {
                    Some(d) => {
                        let mark = match d.verdict {
                            Verdict::Better => "+",
                            Verdict::Worse => "-",
                            Verdict::WithinNoise | Verdict::Same => "~",
                            Verdict::Unverified => "?",
                        };
                        let change = d.rel_pct.map(pct).unwrap_or_else(|| "n/a".into());
                        ToneCell::num(format!("{change} {mark}")).toned(verdict_tone(d.verdict))
                    }
                    None => ToneCell::text("-").toned(Tone::Muted),
                }
            }));
            row
        })
        .collect();
    ReportTable {
        title: format!("{} vs {} per point", c.label, c.baseline),
        headers,
        rows,
    }
}

fn several_workloads(c: &Comparison) -> bool {
    c.pairs
        .iter()
        .any(|p| (p.key.isl, p.key.osl) != (c.pairs[0].key.isl, c.pairs[0].key.osl))
}
