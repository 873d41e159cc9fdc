//! The sentences every report output shares: headline lines, gate messages and verdict words.
//! Written once here so SUMMARY.txt, summary.md, report.html, findings.json and the terminal
//! say the same thing.

use super::format::{human, load_text, pct};
use crate::analyze::capacity::Capacity;
use crate::analyze::compare::Verdict;
use crate::analyze::findings::{Findings, Gate, GateHit, Headline, Series, Shift};
use crate::model::Metric;

/// A comparison verdict for people.
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Same => "same",
        Verdict::WithinNoise => "within noise",
    }
}

/// One line per headline, most important first.
pub fn headline_lines(f: &Findings) -> Vec<String> {
    f.headline.iter().map(|h| headline_line(f, h)).collect()
}

fn headline_line(f: &Findings, h: &Headline) -> String {
    match h {
        Headline::Comparison { comparison, shifts } => {
            let c = &f.comparisons[*comparison];
            if c.pairs.is_empty() {
                return format!(
                    "{} vs {}: no points align on ISL/OSL/concurrency",
                    c.label, c.baseline
                );
            }
            let parts: Vec<String> = shifts.iter().map(shift_text).collect();
            format!(
                "{} vs {} over {} aligned points: {}",
                c.label,
                c.baseline,
                c.pairs.len(),
                parts.join("; ")
            )
        }
        Headline::Capacity {
            series,
            show_workload,
        } => capacity_line(&f.series[*series], *show_workload),
        Headline::Unjudged { points, labels } => {
            format!("{points} points in {labels} label(s); give --sla to judge them")
        }
    }
}

/// `avg TTFT -56.1% to -64.0% (better at 4, worse at 0 of 4)`.
fn shift_text(s: &Shift) -> String {
    let range = match s.rel_pct {
        Some((lo, hi)) if (hi - lo).abs() > 0.05 => format!("{} to {}", pct(lo), pct(hi)),
        Some((lo, _)) => pct(lo),
        None => "n/a".into(),
    };
    format!(
        "{} {range} (better at {}, worse at {} of {})",
        short(s.metric),
        s.better,
        s.worse,
        s.of
    )
}

fn short(m: Metric) -> String {
    match m {
        Metric::Latency(l, s) => format!("{} {}", s.key(), l.title()),
        Metric::OutputTokenThroughput => "output tok/s".into(),
        other => other.name(),
    }
}

fn capacity_line(s: &Series, show_workload: bool) -> String {
    let name = if show_workload {
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        format!("{} (isl {} osl {})", s.label, o(s.isl), o(s.osl))
    } else {
        s.label.clone()
    };
    let Some(c) = &s.capacity else {
        return format!("{name}: no SLA given");
    };
    if s.concurrencies.is_empty() {
        // Request-rate and offline runs have no concurrency axis to find a limit on.
        return format!(
            "{name}: no concurrency axis (rate or offline runs); see the SLA per point"
        );
    }
    let mut line = match c.max_passing_concurrency {
        Some(conc) => format!(
            "{name}: meets the SLA up to concurrency {conc} ({} req/s, {} output tok/s{})",
            c.request_throughput
                .map(human)
                .unwrap_or_else(|| "-".into()),
            c.output_token_throughput
                .map(human)
                .unwrap_or_else(|| "-".into()),
            c.tokens_per_s_gpu
                .map(|v| format!(", {} tok/s/gpu", human(v)))
                .unwrap_or_default()
                + &capacity_energy_text(c)
        ),
        None => format!("{name}: meets the SLA at no measured concurrency"),
    };
    if let Some(l) = c.limit_concurrency {
        line.push_str(&format!(
            "; limit crossed at about concurrency {}",
            human(l)
        ));
    }
    if c.non_monotone {
        line.push_str("; note: a higher concurrency passes after a lower one failed");
    }
    line
}

/// `, 0.7956 J/output token, $4.34 per million output tokens` when the capacity point has them.
fn capacity_energy_text(c: &Capacity) -> String {
    let mut out = String::new();
    if let Some(j) = c.energy_per_output_token_j {
        out.push_str(&format!(", {} J/output token", human(j)));
    }
    if let Some(usd) = c.usd_per_million_output_tokens {
        out.push_str(&format!(", ${usd:.2} per million output tokens"));
    }
    out
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
        } => format!(
            "{} at {key}: {} -> {} ({}, worse than the {}% allowed)",
            d.metric,
            human(d.baseline),
            human(d.value),
            d.rel_pct.map(pct).unwrap_or_default(),
            limit_pct
        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::{analyze, Settings};
    use crate::analyze::sla::Sla;
    use crate::model::{test_point, Stat, Sweep};

    #[test]
    fn capacity_and_sla_gate_read_as_sentences() {
        // TTFT 100, 400, 700 ms at concurrency 1, 8, 16 against a 500 ms limit: passes up to 8,
        // crosses at 8 + (500 - 400) / (700 - 400) * 8 = 10.67.
        let mut sweep = Sweep::default();
        for (c, ttft, rps) in [(1, 100.0, 2.0), (8, 400.0, 12.0), (16, 700.0, 15.0)] {
            let mut p = test_point(c, ttft, rps);
            p.label = "x".into();
            sweep.points.push(p);
        }
        let settings = Settings {
            sla: Some(Sla::parse("ttft=500", Stat::Avg).unwrap()),
            fail_on_sla: true,
            ..Settings::default()
        };
        let f = analyze(&sweep, &settings);
        assert_eq!(
            headline_lines(&f),
            ["x: meets the SLA up to concurrency 8 (12.00 req/s, - output tok/s); limit crossed at about concurrency 10.67"]
        );
        assert_eq!(f.gate_hits.len(), 1);
        assert_eq!(gate_name(&f.gate_hits[0]), "sla");
        assert_eq!(
            gate_message(&f, &f.gate_hits[0]),
            "conc 16 misses the SLA on TTFT (c16)"
        );
        assert_eq!(verdict_word(Verdict::WithinNoise), "within noise");
    }

    #[test]
    fn comparison_headline_and_regression_gate_read_as_sentences() {
        // TTFT 100 -> 150 ms at concurrency 1 (+50%) and 200 -> 210 ms at 4 (+5%); request
        // throughput 10 -> 8 req/s at 1 (-20%), unchanged at 4.
        let mut sweep = Sweep::default();
        for (label, c, ttft, rps) in [
            ("base", 1, 100.0, 10.0),
            ("base", 4, 200.0, 20.0),
            ("new", 1, 150.0, 8.0),
            ("new", 4, 210.0, 20.0),
        ] {
            let mut p = test_point(c, ttft, rps);
            p.label = label.into();
            sweep.points.push(p);
        }
        let settings = Settings {
            fail_on_regression: Some(10.0),
            ..Settings::default()
        };
        let f = analyze(&sweep, &settings);
        assert_eq!(
            headline_lines(&f),
            ["new vs base over 2 aligned points: avg TTFT +5.0% to +50.0% (better at 0, worse at 2 of 2)"]
        );
        let gates: Vec<(&str, String)> = f
            .gate_hits
            .iter()
            .map(|g| (gate_name(g), gate_message(&f, g)))
            .collect();
        assert_eq!(
            gates,
            [
                (
                    "regression",
                    "ttft_avg_ms at isl ? osl ? conc 1: 100.0 -> 150.0 (+50.0%, worse than the 10% allowed)".to_string()
                ),
                (
                    "regression",
                    "request_throughput at isl ? osl ? conc 1: 10.00 -> 8.00 (-20.0%, worse than the 10% allowed)".to_string()
                ),
            ]
        );
    }
}
