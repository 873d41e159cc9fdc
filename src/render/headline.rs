//! The sentences every report output shares: headline lines, gate messages and verdict words.
//! Written once here so SUMMARY.txt, summary.md, report.html, findings.json and the terminal
//! say the same thing.

use super::capacity_json::searched_line;
use super::format::{human, pct, pct_plain};
use crate::analyze::capacity::Capacity;
use crate::analyze::compare::{Comparison, Delta, Evidence, Verdict};
use crate::analyze::evidence::MAX_REPEATS;
use crate::analyze::family::Family;
use crate::analyze::findings::{Findings, Headline, Series, Shift};
use crate::analyze::gate::{range, Power};
use crate::analyze::noise::{
    Noise, NoiseFrom, NoiseMatch, DEFAULT_CV_MEANS, DEFAULT_CV_PERCENTILES,
};
use crate::model::{Latency, Metric};

/// How to get evidence stronger than a default noise estimate.
const HOW_TO_JUDGE: &str = "run each side several times (run --repeats 3), or measure your run-to-run noise once with `adreport noise` and pass --noise FILE";

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

/// A CI level for people: `95%`, `99.2%`.
pub fn level_text(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Where a run-to-run noise estimate came from, for people.
pub fn noise_from_text(from: NoiseFrom) -> &'static str {
    match from {
        NoiseFrom::Repeats => "from the repeats",
        NoiseFrom::ToolAggregate => "from the tool's summary of its repeats",
        NoiseFrom::NoiseFile => "from --noise",
        NoiseFrom::NoiseFloor => "from --noise-floor",
        NoiseFrom::Default => "default",
    }
}

/// `15% run-to-run noise (default)`, `8.2% run-to-run noise (from --noise, extrapolated)`.
pub fn noise_text(n: &Noise) -> String {
    let fit = match n.matched {
        Some(NoiseMatch::Interpolated) => ", interpolated across loads",
        Some(NoiseMatch::Extrapolated) => ", extrapolated from the nearest load",
        _ => "",
    };
    format!(
        "{} run-to-run noise ({}{fit})",
        pct_plain(n.cv * 100.0),
        noise_from_text(n.from)
    )
}

/// The evidence behind one delta's verdict: `n 3/3, 99.2% CI +1.2% to +9.8%`,
/// `1 vs 5 runs (prediction interval), 95% CI ...` or
/// `one run per side vs 15% run-to-run noise (default), 99.2% CI -30.1% to +42.9%`.
pub fn evidence_text(d: &Delta) -> String {
    let ci = match (d.ci_pct, d.ci_level) {
        (Some([lo, hi]), Some(level)) => {
            format!(", {} CI {} to {}", level_text(level), pct(lo), pct(hi))
        }
        _ => String::new(),
    };
    let text = match (d.evidence, d.test) {
        (_, None) => format!("{}, not testable", runs_text(d.runs)),
        (Evidence::RunLevel, Some(_)) => format!("n {}/{}{ci}", d.runs[0], d.runs[1]),
        (Evidence::OneVsMany, Some(_)) => {
            format!("{} (prediction interval){ci}", runs_text(d.runs))
        }
        (Evidence::SingleRun, Some(_)) => match &d.noise {
            Some(n) => format!("one run per side vs {}{ci}", noise_text(n)),
            None => format!("one run per side{ci}"),
        },
    };
    match d.repeats_to_decide {
        Some(n) => format!("{text}; {n} runs a side would decide a change this size"),
        None => text,
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

/// One line per headline, most important first (the effect), then what the evidence is, how
/// the many tests were corrected and how many repeats would settle what is undecided.
pub fn headline_lines(f: &Findings) -> Vec<String> {
    let mut lines = answer_lines(f);
    lines.extend(evidence_lines(f));
    lines
}

/// The answers: one line per headline, the effect first, then the capacities found by search.
pub fn answer_lines(f: &Findings) -> Vec<String> {
    let mut lines: Vec<String> = f.headline.iter().map(|h| headline_line(f, h)).collect();
    lines.extend(f.searched.iter().map(searched_line));
    lines
}

/// What the answers rest on: the evidence of each comparison, the repeats that would settle
/// it, how the many tests were corrected, what could not be tested.
pub fn evidence_lines(f: &Findings) -> Vec<String> {
    let mut lines = Vec::new();
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
    if let Some(family) = &f.family {
        lines.push(family_line(family));
    }
    if let Some(g) = f.regression_gate.filter(|g| g.unjudged > 0) {
        lines.push(format!(
            "--fail-on-regression {}: {} change(s) with a value <= 0 in a single run cannot be tested and were not gated; {HOW_TO_JUDGE}",
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

/// `124 metric changes tested as 62 (correlated metrics counted once), Benjamini-Hochberg at
/// 5%: 48 significant; intervals shown at 99.2%`.
pub fn family_line(f: &Family) -> String {
    format!(
        "{} metric changes tested as {} (correlated metrics such as ITL/TPOT or the throughputs counted once), Benjamini-Hochberg at {}: {} significant; intervals shown at {}",
        f.deltas_tested,
        f.tests,
        level_text(f.alpha),
        f.significant,
        level_text(f.ci_level)
    )
}

/// `tuned vs base: the evidence is one run per side, judged against the default run-to-run
/// noise (15% for means and throughputs, 25% for percentiles); measure yours with ...`.
fn evidence_line(c: &Comparison) -> String {
    let deltas: Vec<&Delta> = c.pairs.iter().flat_map(|p| &p.deltas).collect();
    let mut runs: Vec<[usize; 2]> = deltas.iter().map(|d| d.runs).collect();
    runs.sort_unstable();
    runs.dedup();
    let runs = match runs.as_slice() {
        [one] => runs_text(*one),
        _ => "a mix of run counts".into(),
    };
    let mut line = format!("{} vs {}: {runs}", c.label, c.baseline);
    let kinds: Vec<Evidence> = [Evidence::RunLevel, Evidence::OneVsMany, Evidence::SingleRun]
        .into_iter()
        .filter(|e| deltas.iter().any(|d| d.evidence == *e && d.test.is_some()))
        .collect();
    let mut how: Vec<String> = Vec::new();
    for kind in kinds {
        how.push(match kind {
            Evidence::RunLevel => "judged by Welch's t on the log of the per-run values".into(),
            Evidence::OneVsMany => {
                "the single run judged against the prediction interval of the repeats".into()
            }
            Evidence::SingleRun => single_run_basis(&deltas),
        });
    }
    if !how.is_empty() {
        line.push_str(&format!(", {}", how.join("; ")));
    }
    line
}

/// `single runs judged against the default run-to-run noise (15% for means and throughputs,
/// 25% for percentiles); measure yours with `adreport noise``.
fn single_run_basis(deltas: &[&Delta]) -> String {
    let single: Vec<&Noise> = deltas
        .iter()
        .filter(|d| d.evidence == Evidence::SingleRun && d.test.is_some())
        .filter_map(|d| d.noise.as_ref())
        .collect();
    let from = |f: NoiseFrom| single.iter().filter(|n| n.from == f).count();
    let mut parts: Vec<String> = Vec::new();
    if from(NoiseFrom::Default) > 0 {
        parts.push(format!(
            "the default run-to-run noise, {} for means and throughputs and {} for percentiles (measure yours with `adreport noise`)",
            pct_plain(DEFAULT_CV_MEANS * 100.0),
            pct_plain(DEFAULT_CV_PERCENTILES * 100.0)
        ));
    }
    for f in [
        NoiseFrom::NoiseFile,
        NoiseFrom::NoiseFloor,
        NoiseFrom::ToolAggregate,
    ] {
        let of: Vec<&&Noise> = single.iter().filter(|n| n.from == f).collect();
        let Some([lo, hi]) = range(of.iter().map(|n| n.cv * 100.0)) else {
            continue;
        };
        let cv = if (hi - lo).abs() < 1e-9 {
            pct_plain(lo)
        } else {
            format!("{} to {}", pct_plain(lo), pct_plain(hi))
        };
        let extrapolated = of
            .iter()
            .filter(|n| n.matched == Some(NoiseMatch::Extrapolated))
            .count();
        let fit = if extrapolated > 0 {
            format!(", {extrapolated} of them extrapolated from the nearest measured load")
        } else {
            String::new()
        };
        parts.push(format!(
            "run-to-run noise {cv} ({}{fit})",
            noise_from_text(f)
        ));
    }
    format!("single runs judged against {}", parts.join(" and "))
}

/// `to catch a 10% regression beyond the 5% gate: 35 to 90 repeats per side (run-to-run CV
/// 15% to 25%, default); with 1 run per side it catches regressions of 72% to 130%`.
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
    let span = |a: f64, b: f64| {
        if (b - a).abs() < 0.05 {
            pct_plain(a)
        } else {
            format!("{} to {}", pct_plain(a), pct_plain(b))
        }
    };
    let cvs = span(cv_lo * 100.0, cv_hi * 100.0);
    let from = p.noise_from.map(noise_from_text).unwrap_or_default();
    let goal = if p.margin_pct > 0.0 {
        format!(
            "to catch a true {} regression beyond the {} gate",
            pct_plain(p.change_pct),
            pct_plain(p.margin_pct)
        )
    } else {
        format!("to detect a {} change", pct_plain(p.change_pct))
    };
    let mut line = format!(
        "{}: {goal}, run {repeats} repeats per side (run-to-run CV of the key metrics {cvs}, {from})",
        p.label
    );
    if let Some([d_lo, d_hi]) = p.detectable_pct {
        let what = if p.margin_pct > 0.0 {
            "the gate catches regressions"
        } else {
            "changes are detected"
        };
        line.push_str(&format!(
            "; with {} now, {what} of {} (80% of the time)",
            runs_text([p.runs_range[0], p.runs_range[0]]).replace(" per side", " a side"),
            span(d_lo, d_hi)
        ));
    }
    line
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
            let parts: Vec<String> = shifts.iter().take(3).map(shift_text).collect();
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

/// How big a change is, in the words people use: `2.4x to 3.1x lower` beyond 1.5x, else
/// `+5.0% to +12.0%`.
pub fn effect_text(rel_pct: Option<(f64, f64)>) -> String {
    let Some((lo, hi)) = rel_pct else {
        return "n/a".into();
    };
    let (r_lo, r_hi) = (1.0 + lo / 100.0, 1.0 + hi / 100.0);
    let times = |a: f64, b: f64, word: &str| {
        let (a, b) = (a.min(b), a.max(b));
        if b - a < 0.05 {
            format!("{a:.1}x {word}")
        } else {
            format!("{a:.1}x to {b:.1}x {word}")
        }
    };
    if r_lo >= 1.5 {
        times(r_lo, r_hi, "higher")
    } else if r_hi > 0.0 && r_hi <= 1.0 / 1.5 {
        times(1.0 / r_hi, 1.0 / r_lo.max(1e-12), "lower")
    } else if (hi - lo).abs() > 0.05 {
        format!("{} to {}", pct(lo), pct(hi))
    } else {
        pct(lo)
    }
}

/// `better at 4 of 4`, `2 better, 1 worse of 4`, `within noise at 4 of 4` (the points not
/// named are within noise), `, 1 untested` when some could not be tested.
pub fn verdicts_text(s: &Shift) -> String {
    let mut text = match (s.better, s.worse) {
        (0, 0) => format!("within noise at {} of {}", s.within_noise, s.of),
        (b, 0) => format!("better at {b} of {}", s.of),
        (0, w) => format!("worse at {w} of {}", s.of),
        (b, w) => format!("{b} better, {w} worse of {}", s.of),
    };
    if s.unverified > 0 {
        text.push_str(&format!(", {} untested", s.unverified));
    }
    text
}

/// `avg TTFT 2.4x to 3.1x lower: better at 4 of 4`.
fn shift_text(s: &Shift) -> String {
    format!(
        "{} {}: {}",
        short(s.metric),
        effect_text(s.rel_pct),
        verdicts_text(s)
    )
}

/// A metric's short name: `avg TTFT`, `output tok/s`.
pub fn short(m: Metric) -> String {
    match m {
        Metric::Latency(l, s) => format!("{} {}", s.key(), l.title()),
        Metric::OutputTokenThroughput => "output tok/s".into(),
        Metric::RequestThroughput => "req/s".into(),
        Metric::TotalTokenThroughput => "total tok/s".into(),
        Metric::TokensPerSUser => "tok/s/user".into(),
        Metric::TokensPerSGpu => "tok/s/gpu".into(),
        Metric::EnergyPerOutputTokenJ => "J/output token".into(),
        Metric::OutputTokensPerJoule => "output tok/J".into(),
        Metric::UsdPerMillionOutputTokens => "$/M output tok".into(),
        Metric::RequestsFailed => "failed requests".into(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::{analyze, Settings};
    use crate::analyze::sla::Sla;
    use crate::model::{test_point, Stat, Sweep};
    use crate::render::gate_text::{gate_message, gate_name, nothing_gated};

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
    fn single_runs_are_judged_against_the_noise_and_gated_beyond_it() {
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
        // Against the default 15 % noise +50 % has p = 0.055 (scipy: 2 * st.norm.sf(np.log(1.5)
        // / (np.sqrt(2) * np.sqrt(np.log(1.0225))))): four tests, none significant.
        let f = analyze(&sweep, &settings);
        let lines = headline_lines(&f);
        assert_eq!(
            lines[0],
            "new vs base over 2 aligned points: avg TTFT +5.0% to +50.0%: within noise at 2 of 2; req/s -20.0% to +0.0%: within noise at 2 of 2"
        );
        assert_eq!(
            lines[1],
            "new vs base: one run per side, single runs judged against the default run-to-run noise, 15% for means and throughputs and 25% for percentiles (measure yours with `adreport noise`)"
        );
        assert_eq!(
            lines[3],
            "4 metric changes tested as 4 (correlated metrics such as ITL/TPOT or the throughputs counted once), Benjamini-Hochberg at 5%: 0 significant; intervals shown at 98.8%"
        );
        assert!(f.gate_hits.is_empty());
        assert_eq!(nothing_gated(&f), None);
        // A measured 2 % run-to-run CV: +50 % and -20 % are beyond it; +5 % at concurrency 4
        // (p = 0.0845) is not, so Benjamini-Hochberg finds 2 of 4 and every interval is shown
        // at 1 - 2 * 0.05 / 4 = 97.5 %: TTFT +40.8 % to +59.8 %, throughput 14.8 % to 24.9 %
        // worse (scipy: z = st.norm.ppf(0.9875), se = sqrt(2) * sqrt(log(1 + 0.02**2))).
        settings.noise.floor_cv = Some(0.02);
        let f = analyze(&sweep, &settings);
        let gates: Vec<String> = f.gate_hits.iter().map(|g| gate_message(&f, g)).collect();
        assert_eq!(
            gates,
            [
                "ttft_avg_ms at isl ? osl ? conc 1: 100.0 -> 150.0 (50.0% worse, 97.5% CI 40.8% to 59.8%: significantly beyond the 10% allowed; single runs, beyond 2% run-to-run noise (from --noise-floor))",
                "request_throughput at isl ? osl ? conc 1: 10.00 -> 8.00 (20.0% worse, 97.5% CI 14.8% to 24.9%: significantly beyond the 10% allowed; single runs, beyond 2% run-to-run noise (from --noise-floor))",
            ]
        );
        let ttft = &f.comparisons[0].pairs[0].deltas[0];
        assert_eq!(
            evidence_text(ttft),
            "one run per side vs 2% run-to-run noise (from --noise-floor), 97.5% CI +40.8% to +59.8%"
        );
        assert_eq!(
            headline_lines(&f)[0],
            "new vs base over 2 aligned points: avg TTFT +5.0% to +50.0%: worse at 1 of 2; req/s -20.0% to +0.0%: worse at 1 of 2"
        );
    }

    #[test]
    fn repeated_comparison_is_judged_on_the_runs() {
        // Three runs a side at concurrency 1. TTFT runs 100, 102, 98 -> 130, 128, 132;
        // throughput 10, 11, 12 -> 10.5, 11, 11.5: the same mean. On the log scale (scipy 1.17.1,
        // st.ttest_ind(np.log(new), np.log(base), equal_var=False)) TTFT has p = 8.8e-5 and the
        // throughput p = 0.974; Benjamini-Hochberg over the 2 tests finds 1, so intervals are
        // shown at 1 - 0.05 / 2 = 97.5 %: TTFT +23.33 % to +37.04 %
        // (r.confidence_interval(0.975), back-transformed).
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
            (ttft.verdict, ttft.significant, ttft.ci_level),
            (Verdict::Worse, Some(true), Some(0.975))
        );
        let [lo, hi] = ttft.ci_pct.unwrap();
        assert!(
            (lo - 23.334_337_899_130_464).abs() < 1e-6
                && (hi - 37.040_835_294_372_364).abs() < 1e-6,
            "{lo} {hi}"
        );
        assert_eq!(evidence_text(ttft), "n 3/3, 97.5% CI +23.3% to +37.0%");
        let rps = d.iter().find(|d| d.metric == "request_throughput").unwrap();
        assert_eq!((rps.verdict, rps.significant), (Verdict::Same, Some(false)));
        let gates: Vec<String> = f.gate_hits.iter().map(|g| gate_message(&f, g)).collect();
        assert_eq!(
            gates,
            ["ttft_avg_ms at isl ? osl ? conc 1: 100.0 -> 130.0 (30.0% worse, 97.5% CI 23.3% to 37.0%: significantly beyond the 10% allowed; 3 runs per side)"]
        );
        // A 25 % gate: the interval reaches below 25 %, so it does not trip.
        let f = analyze(
            &sweep,
            &Settings {
                fail_on_regression: Some(25.0),
                ..Settings::default()
            },
        );
        assert!(f.gate_hits.is_empty());
        assert_eq!(
            headline_lines(&f)[1],
            "new vs base: 3 runs per side, judged by Welch's t on the log of the per-run values"
        );
    }
}
