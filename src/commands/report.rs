//! `adreport report`, and the report job it shares with `compare` and the runners: load ->
//! analyze -> write every output, then print the summary and say whether a gate tripped.

use std::path::{Path, PathBuf};

use super::ci::{markdown_file, GithubStep};
use super::{print, print_warnings, print_wrote, Outcome};
use crate::analyze::findings::{analyze, Findings, Settings};
use crate::ingest::{self, IngestOptions};
use crate::model::Sweep;
use crate::render::gate_text::nothing_gated;
use crate::render::output::write_outputs;
use crate::render::{github, junit, markdown, report_exporters, terminal, ReportCtx};
use crate::util::error::Error;

/// `report` (and `compare`, which adds a baseline and noise sources to the settings).
pub struct ReportOptions {
    /// The inputs, `label=path` or a path.
    pub runs: Vec<String>,
    pub ingest: IngestOptions,
    pub settings: Settings,
    pub out: PathBuf,
}

/// `adreport report`: every output written, the summary printed, the gates' outcome.
pub fn command(o: &ReportOptions) -> Result<Outcome, Error> {
    let done = run(&o.runs, &o.ingest, &o.settings, &o.out)?;
    finish(&done, &o.out)
}

/// What `report` and `compare` print once the outputs are written: the warnings, the terminal
/// summary, the files; under GitHub Actions the gate failures as annotations and summary.md in
/// the step summary. A gate asked for that could check nothing is an error, never a pass.
pub fn finish(done: &ReportRun, out: &Path) -> Result<Outcome, Error> {
    print_warnings(&done.sweep.warnings);
    print(&terminal::summary(
        &done.findings,
        terminal::use_color(),
        terminal::width(),
    ));
    print_wrote(&done.files, out);
    if let Some(gh) = GithubStep::from_env() {
        let md = out.join(markdown::FILE);
        let junit = out.join(junit::FILE);
        let (text, full) = markdown_file(&md)?;
        let more_in = format!("{} and {full}", junit.display());
        gh.report(
            &github::annotations(&done.findings, &more_in),
            Some((&text, &full)),
        )?;
    }
    if let Some(why) = nothing_gated(&done.findings) {
        return Err(Error::Usage(why));
    }
    Ok(Outcome::gated(done.findings.gate_hits.len()))
}

/// What a report run produced.
pub struct ReportRun {
    pub sweep: Sweep,
    pub findings: Findings,
    pub files: Vec<PathBuf>,
}

/// Loads the inputs, analyzes them and writes every output into `out_dir`.
pub fn run(
    args: &[String],
    options: &IngestOptions,
    settings: &Settings,
    out_dir: &Path,
) -> Result<ReportRun, Error> {
    run_leading(args, options, settings, out_dir, &[])
}

/// As [`run`], with `lead`: lines SUMMARY.txt states right after the SLA (a runner's own
/// answer, such as the capacity search's).
pub fn run_leading(
    args: &[String],
    options: &IngestOptions,
    settings: &Settings,
    out_dir: &Path,
    lead: &[String],
) -> Result<ReportRun, Error> {
    let sweep = ingest::load_args(args, options)?;
    write(sweep, args, settings, out_dir, lead)
}

/// Analyzes a sweep that is already loaded (e.g. with a baseline from the history before the
/// inputs) and writes every output into `out_dir`; `args` name the inputs in the headers.
pub fn run_sweep(
    sweep: Sweep,
    args: &[String],
    settings: &Settings,
    out_dir: &Path,
) -> Result<ReportRun, Error> {
    write(sweep, args, settings, out_dir, &[])
}

fn write(
    sweep: Sweep,
    args: &[String],
    settings: &Settings,
    out_dir: &Path,
    lead: &[String],
) -> Result<ReportRun, Error> {
    let findings = analyze(&sweep, settings);
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: args,
        out_dir,
        lead,
    };
    let files = write_outputs(&report_exporters(), &ctx, out_dir)?;
    Ok(ReportRun {
        sweep,
        findings,
        files,
    })
}
