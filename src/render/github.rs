//! GitHub Actions: gate failures as `::error` annotations on the run and the pull request (at
//! most [`MAX_ANNOTATIONS`], the worst first), and summary.md for the job's step summary, kept
//! under GitHub's limit.

use super::gate_text::gate_message;
use super::history::regression_line;
use crate::analyze::audit::Audit;
use crate::analyze::findings::{Findings, Gate, GateHit};
use crate::analyze::trend::{Trend, TrendCheck};

/// GitHub shows at most 10 error annotations of a step; the rest would be dropped unseen.
pub const MAX_ANNOTATIONS: usize = 10;

/// `$GITHUB_STEP_SUMMARY` holds at most 1 MiB per step.
pub const STEP_SUMMARY_LIMIT: u64 = 1024 * 1024;

/// One gate failure to annotate: a short title, the message printed today, and how bad it is
/// (larger is worse) so the worst are shown when there are more than GitHub keeps.
pub struct Annotation {
    pub title: String,
    pub message: String,
    pub severity: f64,
}

/// The workflow command lines for gate failures, the worst first. Past [`MAX_ANNOTATIONS`] one
/// plain line says how many more there are and where they are (`more_in`, e.g.
/// `out/junit.xml`).
pub fn workflow_errors(mut items: Vec<Annotation>, more_in: &str) -> Vec<String> {
    items.sort_by(|a, b| b.severity.total_cmp(&a.severity));
    let mut lines: Vec<String> = items
        .iter()
        .take(MAX_ANNOTATIONS)
        .map(|a| {
            format!(
                "::error title={}::{}",
                escape_property(&a.title),
                escape_data(&a.message)
            )
        })
        .collect();
    if items.len() > MAX_ANNOTATIONS {
        lines.push(format!(
            "adreport: {} more gate failures not annotated; every one is in {more_in}",
            items.len() - MAX_ANNOTATIONS
        ));
    }
    lines
}

/// `report`/`compare` gate hits as annotations: regressions by how much worse they are (the
/// lower end of the interval beyond the limit), then the SLA misses in point order.
pub fn annotations(f: &Findings, more_in: &str) -> Vec<String> {
    let items = f
        .gate_hits
        .iter()
        .map(|g| Annotation {
            title: match &g.gate {
                Gate::Regression { limit_pct, .. } => {
                    format!("adreport: {} regressed beyond {limit_pct}%", g.label)
                }
                Gate::Sla { .. } => format!("adreport: {} misses the SLA", g.label),
            },
            message: gate_message(f, g),
            severity: severity(g),
        })
        .collect();
    workflow_errors(items, more_in)
}

/// `history check` gate hits: each series whose newest change point regressed beyond the
/// threshold, the largest change first.
pub fn history_annotations(trend: &Trend, check: &TrendCheck, more_in: &str) -> Vec<String> {
    let items = check
        .gate_hits
        .iter()
        .map(|&i| Annotation {
            title: format!(
                "adreport history: {} regressed",
                trend.series[check.changes[i].series].key
            ),
            message: regression_line(trend, check, i),
            severity: check.changes[i].step.change_pct.abs(),
        })
        .collect();
    workflow_errors(items, more_in)
}

/// `audit --max-ape` gate hits: each metric whose prediction error is past the limit, the
/// largest error first.
pub fn audit_annotations(a: &Audit, more_in: &str) -> Vec<String> {
    let items = a
        .gate
        .iter()
        .zip(&a.gate_hits)
        .map(|(g, message)| Annotation {
            title: format!("adreport audit: {} prediction off", g.sweep),
            message: message.clone(),
            severity: g.mape_pct,
        })
        .collect();
    workflow_errors(items, more_in)
}

/// How bad a hit is, for ordering: how far a regression's interval lies beyond the limit (in
/// percentage points); SLA misses after every regression.
fn severity(g: &GateHit) -> f64 {
    match &g.gate {
        Gate::Regression {
            basis, limit_pct, ..
        } => basis.worse_ci_pct[0] - limit_pct,
        Gate::Sla { .. } => f64::NEG_INFINITY,
    }
}

/// What to append to a step summary that already holds `existing` bytes: `markdown` whole when it
/// fits under [`STEP_SUMMARY_LIMIT`], else cut at a line end with a note naming `full` (where
/// the whole summary is); `None` when not even the note fits.
pub fn step_summary(markdown: &str, existing: u64, full: &str) -> Option<String> {
    let room = STEP_SUMMARY_LIMIT.saturating_sub(existing) as usize;
    let text = format!("{}\n", markdown.trim_end_matches('\n'));
    if text.len() <= room {
        return Some(text);
    }
    let note = format!("\n_(cut to fit the step summary's 1 MiB; the whole summary is {full})_\n");
    let budget = room.checked_sub(note.len())?;
    let cut = text[..floor_char_boundary(&text, budget)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    Some(format!("{}{note}", &text[..cut]))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A workflow command's message: `%`, CR and LF encoded as GitHub's runner decodes them.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as the message, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_titles_are_encoded_as_the_runner_decodes_them() {
        assert_eq!(escape_data("50% worse\nnext"), "50%25 worse%0Anext");
        assert_eq!(escape_property("a: b, c"), "a%3A b%2C c");
    }

    #[test]
    fn step_summary_fits_the_limit_and_cuts_at_a_line() {
        assert_eq!(step_summary("# x\n", 0, "out/summary.md").unwrap(), "# x\n");
        let line = "a".repeat(99) + "\n";
        let big = line.repeat(20_000); // 2,000,000 bytes
        let existing = 1000;
        let s = step_summary(&big, existing, "out/summary.md").unwrap();
        assert!(
            s.len() as u64 + existing <= STEP_SUMMARY_LIMIT,
            "{}",
            s.len()
        );
        assert!(s.len() as u64 + existing > STEP_SUMMARY_LIMIT - 200);
        assert!(s.ends_with("the whole summary is out/summary.md)_\n"));
        let body = s.split("\n_(cut").next().unwrap();
        assert!(body.lines().all(|l| l.len() == 99));
        assert_eq!(step_summary(&big, STEP_SUMMARY_LIMIT - 10, "x"), None);
    }
}
