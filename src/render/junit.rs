//! `junit.xml`: every check a gate made as a JUnit test case, for the test reporters of GitHub,
//! GitLab and Jenkins. `--fail-on-regression` makes one case per metric x aligned point x label,
//! `--fail-on-sla` one per point it judges; a tripped check is a failure carrying the message
//! every other output prints (`gate_text::gate_message`), a change nothing could test is skipped.

use super::format::{load_text, xml_escape as escape};
use super::gate_text::{gate_message, gate_name};
use super::output::{Exporter, Output};
use super::ReportCtx;
use crate::analyze::compare::Verdict;
use crate::analyze::findings::{sla_gated, Findings, Gate, GateHit};
use crate::util::error::Error;

pub const FILE: &str = "junit.xml";

pub struct JunitXml;

impl Exporter<ReportCtx<'_>> for JunitXml {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text(FILE, junit_xml(ctx.findings))])
    }
}

/// One check: its class (`adreport.regression.LABEL`), name, and outcome.
struct Case {
    class: String,
    name: String,
    outcome: Outcome,
}

enum Outcome {
    Pass,
    Failure { gate: &'static str, message: String },
    Skipped(String),
}

/// The document's text: one `<testsuite>` per gate that was set (none without a gate).
pub fn junit_xml(f: &Findings) -> String {
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    if let Some(g) = f.regression_gate {
        suites.push((
            format!("adreport --fail-on-regression {}", g.limit_pct),
            regression_cases(f),
        ));
    }
    if f.fail_on_sla {
        suites.push((
            format!(
                "adreport --fail-on-sla {}",
                f.sla_text.as_deref().unwrap_or("")
            ),
            sla_cases(f),
        ));
    }
    let count = |cases: &[Case], want: fn(&Outcome) -> bool| {
        cases.iter().filter(|c| want(&c.outcome)).count()
    };
    let failed = |o: &Outcome| matches!(o, Outcome::Failure { .. });
    let skipped = |o: &Outcome| matches!(o, Outcome::Skipped(_));
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"adreport\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        all.len(),
        all.iter().filter(|c| failed(&c.outcome)).count(),
        all.iter().filter(|c| skipped(&c.outcome)).count(),
    ));
    for (name, cases) in &suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
            escape(name),
            cases.len(),
            count(cases, failed),
            count(cases, skipped),
        ));
        for c in cases {
            let head = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(&c.class),
                escape(&c.name)
            );
            match &c.outcome {
                Outcome::Pass => out.push_str(&format!("{head}/>\n")),
                Outcome::Failure { gate, message } => out.push_str(&format!(
                    "{head}>\n      <failure type=\"{gate}\" message=\"{m}\">{m}</failure>\n    </testcase>\n",
                    m = escape(message)
                )),
                Outcome::Skipped(why) => out.push_str(&format!(
                    "{head}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(why)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The gate hit of `label` on `metric` at `key`, if it tripped there.
fn regression_hit<'a>(
    f: &'a Findings,
    label: &str,
    key: &crate::analyze::align::AlignKey,
    metric: &str,
) -> Option<&'a GateHit> {
    f.gate_hits.iter().find(|g| match &g.gate {
        Gate::Regression { key: k, delta, .. } => {
            g.label == label && k == key && delta.metric == metric
        }
        Gate::Sla { .. } => false,
    })
}

fn regression_cases(f: &Findings) -> Vec<Case> {
    let mut cases = Vec::new();
    for c in &f.comparisons {
        for pair in &c.pairs {
            for d in &pair.deltas {
                let outcome = if d.test.is_none() {
                    if d.verdict != Verdict::Unverified {
                        continue;
                    }
                    Outcome::Skipped(
                        "a value <= 0 in a single run: nothing to test the change with".into(),
                    )
                } else {
                    match regression_hit(f, &c.label, &pair.key, &d.metric) {
                        Some(g) => Outcome::Failure {
                            gate: gate_name(g),
                            message: gate_message(f, g),
                        },
                        None => Outcome::Pass,
                    }
                };
                cases.push(Case {
                    class: format!("adreport.regression.{}", c.label),
                    name: format!("{} at {} vs {}", d.metric, pair.key, c.baseline),
                    outcome,
                });
            }
        }
    }
    cases
}

fn sla_cases(f: &Findings) -> Vec<Case> {
    f.points
        .iter()
        .enumerate()
        .filter(|(_, p)| sla_gated(&f.labels, p))
        .map(|(i, p)| {
            let hit = f
                .gate_hits
                .iter()
                .find(|g| matches!(g.gate, Gate::Sla { point } if point == i));
            let isl = p.isl.map_or("?".into(), |v| v.to_string());
            let osl = p.osl.map_or("?".into(), |v| v.to_string());
            Case {
                class: format!("adreport.sla.{}", p.label),
                name: format!(
                    "SLA at isl {isl} osl {osl} {} ({})",
                    load_text(p.concurrency, p.max_batch_size, "conc ", "?"),
                    p.path
                ),
                outcome: match hit {
                    Some(g) => Outcome::Failure {
                        gate: gate_name(g),
                        message: gate_message(f, g),
                    },
                    None => Outcome::Pass,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_xml_well_formed() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{fffd}&#10;"
        );
    }
}
