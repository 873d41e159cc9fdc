//! The sentences of the gates: what tripped `--fail-on-regression` or `--fail-on-sla`, the
//! gate's name, and why a gate asked for could check nothing. Every output says them in these
//! words.

use super::format::{human, load_text, pct};
use super::headline::{level_text, noise_text, runs_text};
use crate::analyze::compare::Evidence;
use crate::analyze::findings::{Findings, Gate, GateHit};

/// Why a `--fail-on-regression` gate checked nothing, when it did not: a gate that cannot fire
/// must not pass silently.
pub fn nothing_gated(f: &Findings) -> Option<String> {
    let g = f.regression_gate.filter(|g| g.judged == 0)?;
    let why = if f.comparisons.is_empty() {
        format!(
            "the inputs form one label ({}): nothing to compare; name each side, e.g. `compare base=PATH new=PATH`",
            f.labels.join(", ")
        )
    } else if f.comparisons.iter().all(|c| c.pairs.is_empty()) {
        format!(
            "no point of {} aligns with {} on ISL/OSL/concurrency: nothing to compare",
            f.labels[1..].join(", "),
            f.baseline.as_deref().unwrap_or("the baseline")
        )
    } else {
        "no metric of the aligned points could be tested".into()
    };
    Some(format!("--fail-on-regression {}: {why}", g.limit_pct))
}

/// The gate's name as the flag says it: `regression` or `sla`.
pub fn gate_name(g: &GateHit) -> &'static str {
    match g.gate {
        Gate::Regression { .. } => "regression",
        Gate::Sla { .. } => "sla",
    }
}

/// What tripped the gate, e.g. `ttft_avg_ms at isl 128 osl 64 conc 1: 29.93 -> 68.18 (+127.8%,
/// worse than the 5% allowed)`.
pub fn gate_message(f: &Findings, g: &GateHit) -> String {
    match &g.gate {
        Gate::Regression {
            key,
            delta: d,
            limit_pct,
            basis,
        } => {
            let evidence = match basis.evidence {
                Evidence::SingleRun => match &basis.noise {
                    Some(n) => format!("single runs, beyond {}", noise_text(n)),
                    None => "single runs".into(),
                },
                Evidence::OneVsMany => format!("{}, prediction interval", runs_text(d.runs)),
                Evidence::RunLevel => runs_text(d.runs),
            };
            let why = format!(
                "{} worse, {} CI {} to {}: significantly beyond the {limit_pct}% allowed; {evidence}",
                pct(d.worse_pct.unwrap_or_default()).trim_start_matches('+'),
                level_text(basis.ci_level),
                pct(basis.worse_ci_pct[0]).trim_start_matches('+'),
                pct(basis.worse_ci_pct[1]).trim_start_matches('+'),
            );
            format!(
                "{} at {key}: {} -> {} ({why})",
                d.metric,
                human(d.baseline),
                human(d.value),
            )
        }
        Gate::Sla { point } => {
            let p = &f.points[*point];
            let failed = p
                .sla
                .as_ref()
                .map(|v| v.failed().join(", "))
                .unwrap_or_default();
            format!(
                "{} misses the SLA on {failed} ({})",
                load_text(p.concurrency, p.max_batch_size, "conc ", "?"),
                p.path
            )
        }
    }
}
