//! `adreport history ...`: flags to jobs, results to stdout, the gate to the exit code.

use std::collections::BTreeMap;
use std::process::ExitCode;

use adreport::analyze::changepoint::Settings;
use adreport::analyze::trend::{nothing_checked, Trend, TrendCheck};
use adreport::ci::GithubStep;
use adreport::cli::{
    HistoryAddArgs, HistoryCheckArgs, HistoryCheckOpts, HistoryCommand, HistoryReportArgs,
    HistoryShowArgs,
};
use adreport::error::Error;
use adreport::history::{self, AddJob, CheckJob, Filter, LabelFrom, ReportJob, RunMeta};
use adreport::model::{Latency, Metric, Stat};
use adreport::render::github::history_annotations;
use adreport::render::history::{
    changes_table, check_summary, nothing_checked_text, runs_table, trend_table,
};
use adreport::render::show::{self, ShowFormat};
use adreport::render::tables::md_escape;
use adreport::store::Added;

use super::{print, print_warnings, EXIT_GATE};

pub fn run(cmd: &HistoryCommand) -> Result<ExitCode, Error> {
    match cmd {
        HistoryCommand::Add(a) => add(a),
        HistoryCommand::List(a) => {
            let runs = history::list(&a.db.db, a.last)?;
            print(&show::render(&runs_table(&runs), a.format));
            Ok(ExitCode::SUCCESS)
        }
        HistoryCommand::Show(a) => show_trend(a),
        HistoryCommand::Check(a) => check(a),
        HistoryCommand::Report(a) => report(a),
    }
}

fn tags(specs: &[String]) -> Result<BTreeMap<String, String>, Error> {
    specs
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(Error::Usage(format!("--tag {t}: expected KEY=VALUE"))),
        })
        .collect()
}

fn add(a: &HistoryAddArgs) -> Result<ExitCode, Error> {
    let done = history::add(&AddJob {
        db: a.db.db.clone(),
        paths: a.paths.clone(),
        label: a.label.clone(),
        meta: RunMeta {
            run_id: a.run_id.clone(),
            commit: a.commit.clone(),
            branch: a.branch.clone(),
            time: a.time.clone(),
            tags: tags(&a.tags)?,
        },
        options: super::ingest_options(&a.load),
    })?;
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
        a.db.db,
        labels.join(", "),
        f.hash(),
        known.join(", ")
    ));
    Ok(ExitCode::SUCCESS)
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

fn show_trend(a: &HistoryShowArgs) -> Result<ExitCode, Error> {
    let mut metrics = history::parse_metrics(&a.metrics)?;
    if metrics.is_empty() {
        metrics.push(Metric::Latency(Latency::Ttft, Stat::Avg));
    }
    let job = CheckJob {
        db: a.db.db.clone(),
        last: a.last,
        filter: Filter {
            label: a.label.clone(),
            metrics,
            concurrency: a.concurrency,
        },
        settings: Settings::default(),
        fail_on_regression: None,
    };
    let (trend, check) = history::check(&job)?;
    if trend.series.is_empty() {
        eprintln!("no stored values match the filters");
    }
    print(&show::render(&trend_table(&trend, &check), a.format));
    Ok(ExitCode::SUCCESS)
}

fn check_job(a: &HistoryCheckOpts) -> Result<CheckJob, Error> {
    if !(a.max_pvalue > 0.0 && a.max_pvalue < 1.0) {
        return Err(Error::Usage(
            "--max-pvalue takes a number between 0 and 1".into(),
        ));
    }
    Ok(CheckJob {
        db: a.db.db.clone(),
        last: Some(a.last.unwrap_or(history::DEFAULT_CHECK_LAST)),
        filter: Filter {
            label: a.label.clone(),
            metrics: history::parse_metrics(&a.metrics)?,
            concurrency: None,
        },
        settings: Settings {
            max_pvalue: a.max_pvalue,
            ..Settings::default()
        },
        fail_on_regression: a.fail_on_regression,
    })
}

/// Exit 2 when a series' newest change is a regression beyond the threshold. A gate that was
/// asked for but could test no series is an error (exit 1), never a pass: it could not fire.
fn gate(job: &CheckJob, trend: &Trend, check: &TrendCheck) -> Result<ExitCode, Error> {
    if let Some(why) = nothing_checked(trend, check, &job.settings) {
        let text = format!(
            "{}: {}",
            adreport::store::redact(&job.db),
            nothing_checked_text(&why)
        );
        if let Some(pct) = job.fail_on_regression {
            return Err(Error::Usage(format!(
                "{text}; --fail-on-regression {pct} checked nothing"
            )));
        }
        eprintln!("{text}");
    }
    Ok(if check.gate_hits.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_GATE)
    })
}

fn report(a: &HistoryReportArgs) -> Result<ExitCode, Error> {
    let job = ReportJob {
        check: check_job(&a.opts)?,
        out: a.out.out.clone(),
    };
    let done = history::report(&job)?;
    print(&check_summary(
        &done.trend,
        &done.check,
        a.opts.fail_on_regression,
    ));
    print(&format!(
        "\nwrote {} files to {}\n",
        done.files.len(),
        a.out.out.display()
    ));
    gate(&job.check, &done.trend, &done.check)
}

fn check(a: &HistoryCheckArgs) -> Result<ExitCode, Error> {
    let job = check_job(&a.opts)?;
    let (trend, check) = history::check(&job)?;
    let table = changes_table(&trend, &check);
    match a.format {
        ShowFormat::Table | ShowFormat::Markdown => {
            if !table.rows.is_empty() {
                print(&show::render(&table, a.format));
            }
            print(&check_summary(&trend, &check, a.opts.fail_on_regression));
        }
        ShowFormat::Json | ShowFormat::Csv => print(&show::render(&table, a.format)),
    }
    if let Some(gh) = GithubStep::from_env() {
        let summary = check_summary(&trend, &check, a.opts.fail_on_regression);
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
    gate(&job, &trend, &check)
}
