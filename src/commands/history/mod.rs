//! `adreport history ...`: the jobs over the run store (`jobs.rs`), their results printed, the
//! gate's outcome.

pub mod baseline;
pub mod fingerprint;
pub mod jobs;
pub mod label;
pub mod record;

use super::ci::GithubStep;
use super::{print, print_warnings, Outcome};
use crate::analyze::trend::{nothing_checked, Trend, TrendCheck};
use crate::render::github::history_annotations;
use crate::render::history::{
    changes_table, check_summary, nothing_checked_text, runs_table, trend_table,
};
use crate::render::show::{self, ShowFormat};
use crate::render::tables::md_escape;
use crate::store::{redact, Added};
use crate::util::error::Error;
use jobs::{AddJob, CheckJob, ReportJob};
use label::LabelFrom;

/// What `history` was asked, resolved.
pub enum HistoryOptions {
    Add(AddJob),
    List {
        db: String,
        last: Option<usize>,
        format: ShowFormat,
    },
    /// `history show`: the values of the series, no gate.
    Show {
        job: CheckJob,
        format: ShowFormat,
    },
    Check {
        job: CheckJob,
        format: ShowFormat,
    },
    Report(ReportJob),
}

pub fn command(o: &HistoryOptions) -> Result<Outcome, Error> {
    match o {
        HistoryOptions::Add(job) => add(job),
        HistoryOptions::List { db, last, format } => {
            let runs = jobs::list(db, *last)?;
            print(&show::render(&runs_table(&runs), *format));
            Ok(Outcome::Done)
        }
        HistoryOptions::Show { job, format } => show_trend(job, *format),
        HistoryOptions::Check { job, format } => check(job, *format),
        HistoryOptions::Report(job) => report(job),
    }
}
fn add(job: &AddJob) -> Result<Outcome, Error> {
    let done = jobs::add(job)?;
    print_warnings(&done.warnings);
    let verb = match done.added {
        Added::New => "added",
        Added::Replaced => "replaced",
    };
    let f = &done.fingerprint;
    let known: Vec<String> = f
        .fields()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    let labels: Vec<String> = done
        .labels
        .iter()
        .map(|(l, from)| format!("{l} ({})", label_from(*from)))
        .collect();
    print(&format!(
        "{verb} run {} ({}): {} points, {} values in {}\nlabels: {}\nfingerprint {}: {}\n",
        done.run_id,
        done.time,
        done.points,
        done.values,
        job.db,
        labels.join(", "),
        f.hash(),
        known.join(", ")
    ));
    Ok(Outcome::Done)
}

/// Where a stored label came from, as `history add` says it.
fn label_from(from: LabelFrom) -> &'static str {
    match from {
        LabelFrom::Given => "given",
        LabelFrom::RunJson => "from run.json",
        LabelFrom::Fingerprint => "from the fingerprint: client:model",
        LabelFrom::InputName => "the input's name",
    }
}

fn show_trend(job: &CheckJob, format: ShowFormat) -> Result<Outcome, Error> {
    let (trend, check) = jobs::check(job)?;
    if trend.series.is_empty() {
        eprintln!("no stored values match the filters");
    }
    print(&show::render(&trend_table(&trend, &check), format));
    Ok(Outcome::Done)
}

/// A gate hit when a series' newest change is a regression beyond the threshold. A gate that
/// was asked for but could test no series is an error (exit 1), never a pass: it could not fire.
fn gate(job: &CheckJob, trend: &Trend, check: &TrendCheck) -> Result<Outcome, Error> {
    if let Some(why) = nothing_checked(trend, check, &job.settings) {
        let text = format!("{}: {}", redact(&job.db), nothing_checked_text(&why));
        if let Some(pct) = job.fail_on_regression {
            return Err(Error::Usage(format!(
                "{text}; --fail-on-regression {pct} checked nothing"
            )));
        }
        eprintln!("{text}");
    }
    Ok(Outcome::gated(check.gate_hits.len()))
}

fn report(job: &ReportJob) -> Result<Outcome, Error> {
    let done = jobs::report(job)?;
    print(&check_summary(
        &done.trend,
        &done.check,
        job.check.fail_on_regression,
    ));
    super::print_wrote(&done.files, &job.out);
    gate(&job.check, &done.trend, &done.check)
}

fn check(job: &CheckJob, format: ShowFormat) -> Result<Outcome, Error> {
    let (trend, check) = jobs::check(job)?;
    let table = changes_table(&trend, &check);
    let summary = check_summary(&trend, &check, job.fail_on_regression);
    match format {
        ShowFormat::Table | ShowFormat::Markdown => {
            if !table.rows.is_empty() {
                print(&show::render(&table, format));
            }
            print(&summary);
        }
        ShowFormat::Json | ShowFormat::Csv => print(&show::render(&table, format)),
    }
    if let Some(gh) = GithubStep::from_env() {
        let mut md = String::from("## adreport history check\n\n");
        for l in summary.lines() {
            md.push_str(&format!("{}  \n", md_escape(l)));
        }
        if !table.rows.is_empty() {
            md.push('\n');
            md.push_str(&show::render(&table, ShowFormat::Markdown));
        }
        gh.report(
            &history_annotations(&trend, &check, "the output of `adreport history check`"),
            Some((&md, "the output of `adreport history check`")),
        )?;
    }
    gate(job, &trend, &check)
}
