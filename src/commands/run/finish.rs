//! After the sweep: how it ended, and the report job on its complete points.

use std::path::Path;

use super::plan::{Outcome, SweepPlan};
use crate::analyze::findings::Settings;
use crate::analyze::sla::Sla;
use crate::ingest::IngestOptions;
use crate::model::Stat;
use crate::render::terminal;

/// Says how the sweep ended, on stderr.
fn print_outcome(o: &Outcome, sweep: &SweepPlan) {
    eprintln!(
        "{} of {} points complete in {} (this run: {} ran, {} skipped as already complete, {} failed)",
        o.complete.len(),
        sweep.points.len(),
        sweep.root.display(),
        o.ran,
        o.skipped,
        o.failed.len()
    );
    for (name, reason) in &o.failed {
        eprintln!("  failed: {name}: {reason}");
    }
    if let Some(why) = &o.stopped {
        eprintln!("stopped early: {why}; a rerun resumes with the points not complete");
    }
}

/// The report job a sweep ends with.
pub struct ReportOn {
    /// `label=dir` of each complete point.
    pub inputs: Vec<String>,
    /// SLA targets, as `--sla` takes them.
    pub sla: Option<String>,
    /// The statistic the SLA is judged on (`--sla-stat`).
    pub stat: Stat,
    /// GPUs per point, for tokens/s/gpu.
    pub gpus: Option<u64>,
}

/// Says how the sweep ended; then, unless a signal stopped it or no point is complete, runs
/// `report` into `OUT/LABEL/report/`. Returns the exit code: the sweep's, or 1 when the
/// report failed.
pub fn conclude(outcome: &Outcome, sweep: &SweepPlan, report: Option<ReportOn>) -> u8 {
    print_outcome(outcome, sweep);
    let code = outcome.exit_code();
    let Some(report) = report else {
        return code;
    };
    if outcome.complete.is_empty() || outcome.signal.is_some() {
        return code;
    }
    code.max(report_into(&report, &sweep.root.join("report")))
}

/// The report job into `out`, with its summary and location printed: 0, or 1 when it failed.
pub fn report_into(report: &ReportOn, out: &Path) -> u8 {
    report_into_leading(report, out, &[])
}

/// As [`report_into`], with `lead`: lines SUMMARY.txt states right after the SLA.
pub fn report_into_leading(report: &ReportOn, out: &Path, lead: &[String]) -> u8 {
    match write_report(report, out, lead) {
        Ok(files) => {
            print_report_location(out, files);
            0
        }
        Err(e) => {
            eprintln!("error: the report failed: {e}");
            1
        }
    }
}

/// The report job on the complete points into `out`; prints its warnings and summary the way
/// `adreport report` does. Returns how many files it wrote.
fn write_report(r: &ReportOn, out: &Path, lead: &[String]) -> Result<usize, String> {
    let settings = Settings {
        sla: r
            .sla
            .as_deref()
            .map(|s| Sla::parse(s, r.stat))
            .transpose()
            .map_err(|e| format!("--sla: {e}"))?,
        fail_on_regression: None,
        fail_on_sla: false,
        noise: Default::default(),
    };
    let done = crate::commands::report::run_leading(
        &r.inputs,
        &IngestOptions {
            gpus: r.gpus,
            ..IngestOptions::default()
        },
        &settings,
        out,
        lead,
    )
    .map_err(|e| e.to_string())?;
    for w in &done.sweep.warnings {
        eprintln!("warning: {w}");
    }
    print!(
        "{}",
        terminal::summary(&done.findings, terminal::use_color(), terminal::width())
    );
    Ok(done.files.len())
}

/// The last line: where the report is and which file to open.
fn print_report_location(out: &Path, files: usize) {
    let html = out.join("report.html");
    let open = if html.is_file() {
        html
    } else {
        out.join("SUMMARY.txt")
    };
    println!(
        "\nreport: {} ({files} files; open {})",
        out.display(),
        open.display()
    );
}
