//! The sentences every report output shares: headline lines, gate messages and verdict words.
//! Written once here so SUMMARY.txt, summary.md, report.html, findings.json and the terminal
//! say the same thing.

use super::format::{human, load_text, pct};
use crate::analyze::capacity::Capacity;
use crate::analyze::compare::{Comparison, Delta, Evidence, Verdict};
use crate::analyze::evidence::MAX_REPEATS;
use crate::analyze::findings::{Findings, Gate, GateHit, Headline, Series, Shift};
use crate::analyze::gate::{Basis, Power};
use crate::analyze::noise::NoiseFrom;
use crate::model::{Latency, Metric};

/// What to do when runs cannot be told from noise.
const HOW_TO_JUDGE: &str =
    "run each side several times (run --repeats 3), or give --noise FILE or --noise-floor PCT";

/// A comparison verdict for people.
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "worse",
        Verdict::Same => "same",
        Verdict::WithinNoise => "within noise",
        Verdict::Unverified => "unverified",
    }
}

/// `one run per side`, `3 vs 1 runs`.
pub fn runs_text(runs: [usize; 2]) -> String {
    match runs {
        [1, 1] => "one run per side".into(),
        [a, b] if a == b => format!("{a} runs per side"),
        [a, b] => format!("{a} vs {b} runs"),
    }
}

/// The evidence behind one delta's verdict: `n 3/3, CI +1.2% to +9.8%` or
/// `one run per side, beyond the A/A band (±8.3%)`.
pub fn evidence_text(d: &Delta) -> String {
    match d.evidence {
        Evidence::RunLevel => match d.ci_pct {
            Some([lo, hi]) => format!(
                "n {}/{}, CI {} to {}",
                d.runs[0],
                d.runs[1],
                pct(lo),
                pct(hi)
            ),
            None => format!("n {}/{}", d.runs[0], d.runs[1]),
        },
        Evidence::SingleRun => {
            let band = match (d.aa_band_pct, d.beyond_aa_band) {
                (Some(b), Some(true)) => format!(", beyond the A/A band (±{})", human(b)),
                (Some(b), _) => format!(", within the A/A band (±{})", human(b)),
                (None, _) => ", no noise estimate".into(),
            };
            format!("unverified: {}{band}", runs_text(d.runs))
        }
    }
}

/// The per-request test, named as what it is: evidence about one run's requests only.
pub fn within_run_text(d: &Delta) -> Option<&'static str> {
    d.within_run_significant.map(|s| {
        if s {
            "within-run: requests differ"
        } else {
            "within-run: no difference"
        }
    })
}

/// One line per headline, most important first, then what the evidence is and how many
/// repeats would settle it.
pub fn headline_lines(f: &Findings) -> Vec<String> {
    let mut lines: Vec<String> = f.headline.iter().map(|h| headline_line(f, h)).collect();
    if f.comparisons.is_empty() {
        // A report of labels on their own: what their repeats say about run-to-run noise
        // (a label measured once has nothing to say yet).
        lines.extend(
            f.power
                .iter()
                .filter(|p| p.cv_range.is_some())
                .map(power_line),
        );
    }
    for (c, power) in f.comparisons.iter().zip(&f.power) {
        if !c.pairs.is_empty() {
            lines.push(evidence_line(c));
            lines.push(power_line(power));
        }
    }
    if let Some(g) = f.regression_gate.filter(|g| g.unjudged > 0) {
        lines.push(format!(
            "--fail-on-regression {}: {} single-run change(s) cannot be told from noise and were not gated; {HOW_TO_JUDGE}",
            g.limit_pct, g.unjudged
        ));
    }
    lines
}

/// The latency families whose definitions differ between the tools of a comparison, one line
/// each: `TPOT is not defined alike: aiperf: ...; guidellm: ...`.
pub fn definition_lines(c: &Comparison) -> Vec<String> {
    c.definitions
        .iter()
        .map(|d| {
            let title = Latency::ALL
                .into_iter()
                .find(|l| l.key() == d.family)
                .map_or(d.family, Latency::title);
            format!(
                "{title} is not defined alike: {}: {}; {}: {}",
                d.baseline_tool, d.baseline, d.label_tool, d.label
            )
        })
        .collect()
}

/// `tuned vs base: evidence 3 runs per side (Welch's t on per-run values, alpha 0.05): 4 of
/// 120 changes significant (1 better, 3 worse)`.
fn evidence_line(c: &Comparison) -> String {
    let deltas: Vec<&Delta> = c.pairs.iter().flat_map(|p| &p.deltas).collect();
    let count = |v: Verdict| deltas.iter().filter(|d| d.verdict == v).count();
    let mut runs: Vec<[usize; 2]> = deltas.iter().map(|d| d.runs).collect();
    runs.sort_unstable();
    runs.dedup();
    let runs = match runs.as_slice() {
        [one] => runs_text(*one),
        _ => "a mix of run counts".into(),
    };
    let tested = deltas
        .iter()
        .filter(|d| d.evidence == Evidence::RunLevel)
        .count();
    let mut line = format!("{} vs {}: the evidence is {runs}", c.label, c.baseline);
    if tested > 0 {
        line.push_str(&format!(
            " (Welch's t on per-run values, alpha {}): {} of {tested} changes significant ({} better, {} worse)",
            crate::analyze::evidence::ALPHA,
            count(Verdict::Better) + count(Verdict::Worse),
            count(Verdict::Better),
            count(Verdict::Worse)
        ));
    }
    let single: Vec<&&Delta> = deltas
        .iter()
        .filter(|d| d.verdict == Verdict::Unverified)
        .collect();
    if !single.is_empty() {
        let banded: Vec<&&&Delta> = single.iter().filter(|d| d.aa_band_pct.is_some()).collect();
        let beyond = banded
            .iter()
            .filter(|d| d.beyond_aa_band == Some(true))
            .count();
        line.push_str(&format!(
            "{}: no change is called significant ({} unverified)",
            if tested > 0 {
                "; elsewhere one run"
            } else {
                ""
            },
            count(Verdict::Unverified)
        ));
        if banded.is_empty() {
            line.push_str("; no noise estimate to compare them with");
        } else {
            line.push_str(&format!(
                "; {beyond} of {} beyond the A/A band of the noise estimate",
                banded.len()
            ));
        }
    }
    line
}

/// `to detect a 5% change: 3 to 12 repeats per side (run-to-run CV 1.2% to 6.0%, from the repeats)`.
fn power_line(p: &Power) -> String {
    let (Some([lo, hi]), Some([cv_lo, cv_hi])) = (p.repeats_range, p.cv_range) else {
        return format!(
            "{}: run-to-run noise unknown, so no repeat count can be planned for a {}% change; {HOW_TO_JUDGE}",
            p.label, p.change_pct
        );
    };
    let n = |v: Option<u32>| v.map_or(format!("over {MAX_REPEATS}"), |v| v.to_string());
    let repeats = if lo == hi {
        n(lo)
    } else {
        format!("{} to {}", n(lo), n(hi))
    };
    let cv = |v: f64| format!("{}%", human(v * 100.0));
    let cvs = if (cv_hi - cv_lo).abs() < 1e-12 {
        cv(cv_lo)
    } else {
        format!("{} to {}", cv(cv_lo), cv(cv_hi))
    };
    let from = match p.noise_from {
        Some(NoiseFrom::Repeats) => "from the repeats",
        Some(NoiseFrom::ToolAggregate) => "from the tool's summary of its repeats",
        Some(NoiseFrom::NoiseFile) => "from --noise",
        Some(NoiseFrom::NoiseFloor) => "from --noise-floor",
        None => "",
    };
    format!(
        "{}: to detect a {}% change, run {repeats} repeats per side (key metrics' run-to-run CV {cvs}, {from})",
        p.label, p.change_pct
    )
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
    let unverified = if s.unverified > 0 {
        format!(", unverified at {}", s.unverified)
    } else {
        String::new()
    };
    format!(
        "{} {range} (better at {}, worse at {}{unverified} of {})",
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
    let at = || {
        format!(
            "{} req/s, {} output tok/s{}",
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
        )
    };
    let mut line = match c.max_passing_concurrency {
        Some(conc) if c.all_pass => format!(
            "{name}: every measured concurrency passes (>= {conc}; {} there)",
            at()
        ),
        Some(conc) => format!("{name}: meets the SLA up to concurrency {conc} ({})", at()),
        None => format!("{name}: meets the SLA at no measured concurrency"),
    };
    // Which target ends the capacity: where each limit is crossed, or that it never passes.
    for x in &c.crossings {
        line.push_str(&format!(
            "; {} limit crossed at ~{}",
            x.target,
            human(x.concurrency)
        ));
    }
    for t in &c.missed_everywhere {
        line.push_str(&format!("; {t} missed at every measured concurrency"));
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
            basis,
        } => {
            let why = match basis {
                Basis::RunLevel { worse_ci_pct } => format!(
                    "{} worse, CI {} to {}: significantly beyond the {limit_pct}% allowed; {}",
                    pct(d.worse_pct.unwrap_or_default()).trim_start_matches('+'),
                    pct(worse_ci_pct[0]).trim_start_matches('+'),
                    pct(worse_ci_pct[1]).trim_start_matches('+'),
                    runs_text(d.runs)
                ),
                Basis::SingleRun { aa_band_pct } => format!(
                    "{}, worse than the {limit_pct}% allowed plus the A/A band ±{}; evidence: a single run per side",
                    d.rel_pct.map(pct).unwrap_or_default(),
                    human(*aa_band_pct)
                ),
            };
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
            ["x: meets the SLA up to concurrency 8 (12.00 req/s, - output tok/s); TTFT limit crossed at ~10.67"]
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
    fn single_run_comparison_is_unverified_and_gated_only_beyond_the_noise() {
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
        let mut settings = Settings {
            fail_on_regression: Some(10.0),
            ..Settings::default()
        };
        let f = analyze(&sweep, &settings);
        assert_eq!(
            headline_lines(&f),
            [
                "new vs base over 2 aligned points: avg TTFT +5.0% to +50.0% (better at 0, worse at 0, unverified at 2 of 2)",
                "new vs base: the evidence is one run per side: no change is called significant (3 unverified); no noise estimate to compare them with",
                "new: run-to-run noise unknown, so no repeat count can be planned for a 10% change; run each side several times (run --repeats 3), or give --noise FILE or --noise-floor PCT",
                "--fail-on-regression 10: 3 single-run change(s) cannot be told from noise and were not gated; run each side several times (run --repeats 3), or give --noise FILE or --noise-floor PCT",
            ]
        );
        assert!(f.gate_hits.is_empty());
        // A 2 % run-to-run CV: the A/A band is 1.96 * sqrt(2) * 2 = 5.54 %, so +50 % and -20 %
        // trip a 10 % gate and +5 % would not trip even a 0 % one.
        settings.noise.floor_cv = Some(0.02);
        let f = analyze(&sweep, &settings);
        let gates: Vec<String> = f.gate_hits.iter().map(|g| gate_message(&f, g)).collect();
        assert_eq!(
            gates,
            [
                "ttft_avg_ms at isl ? osl ? conc 1: 100.0 -> 150.0 (+50.0%, worse than the 10% allowed plus the A/A band ±5.54; evidence: a single run per side)",
                "request_throughput at isl ? osl ? conc 1: 10.00 -> 8.00 (-20.0%, worse than the 10% allowed plus the A/A band ±5.54; evidence: a single run per side)",
            ]
        );
        assert_eq!(
            headline_lines(&f)[1],
            "new vs base: the evidence is one run per side: no change is called significant (3 unverified); 2 of 3 beyond the A/A band of the noise estimate"
        );
        // 2 % CV, 10 % change: 2 repeats give power 0.719 (statsmodels
        // TTestIndPower().power(effect_size=5, nobs1=2, alpha=0.05)), so 3.
        assert_eq!(
            headline_lines(&f)[2],
            "new: to detect a 10% change, run 3 repeats per side (key metrics' run-to-run CV 2.00%, from --noise-floor)"
        );
    }

    #[test]
    fn repeated_comparison_is_judged_on_the_runs() {
        // Three runs a side at concurrency 1. TTFT runs 100, 102, 98 -> 130, 128, 132: both
        // sides have variance 4, se = sqrt(4/3 + 4/3) = 1.633, df = 4, t(0.975, 4) = 2.7764,
        // so the CI of the +30 ms change is 30 -/+ 4.534 = [25.47, 34.53] ms, in % of 100 ms.
        // Throughput 10, 11, 12 -> 10.5, 11, 11.5: the same mean, not significant.
        let mut sweep = Sweep::default();
        for (label, ttfts, rps) in [
            ("base", [100.0, 102.0, 98.0], [10.0, 11.0, 12.0]),
            ("new", [130.0, 128.0, 132.0], [10.5, 11.0, 11.5]),
        ] {
            let runs = ttfts
                .iter()
                .zip(rps)
                .map(|(t, r)| test_point(1, *t, r))
                .collect();
            let mut p = crate::model::Point::from_repeats(runs).unwrap();
            p.label = label.into();
            sweep.points.push(p);
        }
        let settings = Settings {
            fail_on_regression: Some(10.0),
            ..Settings::default()
        };
        let f = analyze(&sweep, &settings);
        let d = &f.comparisons[0].pairs[0].deltas;
        let ttft = d.iter().find(|d| d.metric == "ttft_avg_ms").unwrap();
        assert_eq!(
            (ttft.verdict, ttft.significant),
            (Verdict::Worse, Some(true))
        );
        let [lo, hi] = ttft.ci_pct.unwrap();
        assert!(
            (lo - 25.466).abs() < 1e-3 && (hi - 34.534).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(evidence_text(ttft), "n 3/3, CI +25.5% to +34.5%");
        let rps = d.iter().find(|d| d.metric == "request_throughput").unwrap();
        assert_eq!((rps.verdict, rps.significant), (Verdict::Same, Some(false)));
        let gates: Vec<String> = f.gate_hits.iter().map(|g| gate_message(&f, g)).collect();
        assert_eq!(
            gates,
            ["ttft_avg_ms at isl ? osl ? conc 1: 100.0 -> 130.0 (30.0% worse, CI 25.5% to 34.5%: significantly beyond the 10% allowed; 3 runs per side)"]
        );
        // A 30 % gate: the CI reaches below 30 %, so it does not trip.
        let f = analyze(
            &sweep,
            &Settings {
                fail_on_regression: Some(30.0),
                ..Settings::default()
            },
        );
        assert!(f.gate_hits.is_empty());
        assert_eq!(
            headline_lines(&f)[1],
            "new vs base: the evidence is 3 runs per side (Welch's t on per-run values, alpha 0.05): 1 of 2 changes significant (0 better, 1 worse)"
        );
    }
}
