//! After the sweep: how it ended, and the report job on its complete points.

use std::path::Path;

use super::plan::{Outcome, SweepPlan};
use crate::ingest::IngestOptions;
use crate::model::Stat;

/// Says how the sweep ended, on stderr.
pub fn print_outcome(o: &Outcome, sweep: &SweepPlan) {
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

/// `report` on `inputs` (`label=dir` each) into `out`; prints its warnings and summary.
pub fn write_report(
    inputs: &[String],
    out: &Path,
    sla: Option<&str>,
    gpus: Option<u64>,
) -> Result<crate::report::ReportRun, String> {
    use crate::analyze::findings::Settings;
    use crate::render::terminal;
    let settings = Settings {
        sla: sla
            .map(|s| crate::analyze::sla::Sla::parse(s, Stat::Avg))
            .transpose()?,
        fail_on_regression: None,
        fail_on_sla: false,
    };
    let done = crate::report::run(inputs, &IngestOptions { gpus }, &settings, out)
        .map_err(|e| e.to_string())?;
    for w in &done.sweep.warnings {
        eprintln!("warning: {w}");
    }
    print!(
        "{}",
        terminal::summary(&done.findings, terminal::use_color())
    );
    Ok(done)
}

/// The last line: where the report is and which file to open.
pub fn print_report_location(out: &Path, files: usize) {
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
