//! The flags of each command turned into its options (`commands/`): defaults filled in,
//! values checked, every message naming the flag.

use std::collections::BTreeMap;

use crate::analyze::changepoint;
use crate::analyze::findings::Settings;
use crate::analyze::noise::{NoiseSources, NoiseTable};
use crate::analyze::sla::Sla;
use crate::commands::audit::AuditJob;
use crate::commands::compare::CompareOptions;
use crate::commands::dataset::token_norm_dist::NormDist;
use crate::commands::dataset::{TokenNormDistOptions, Vocabulary};
use crate::commands::export::ExportOptions;
use crate::commands::history::jobs::{self, AddJob, CheckJob, Filter, ReportJob};
use crate::commands::history::record::RunMeta;
use crate::commands::history::HistoryOptions;
use crate::commands::noise::NoiseOptions;
use crate::commands::plan::{Demand, PlanJob, PlanOptions};
use crate::commands::report::ReportOptions;
use crate::commands::run::RunJob;
use crate::commands::show::ShowOptions;
use crate::ingest::IngestOptions;
use crate::model::{Latency, Metric, Stat};
use crate::util::error::{Error, ReadError};

use super::{
    AnalysisArgs, AuditArgs, CompareArgs, ExportLlmdArgs, HistoryCheckOpts, HistoryCommand,
    LoadArgs, NoiseArgs, PlanArgs, ReportArgs, RunCommand, ShowArgs, SlaStat, TokenNormDistArgs,
};

/// `compare --baseline-history`: runs taken from the history when `--last` is not given.
const DEFAULT_HISTORY_BASELINE: usize = 10;

pub fn ingest(load: &LoadArgs) -> IngestOptions {
    IngestOptions {
        gpus: load.gpus,
        gpu_hour_cost: load.gpu_hour_cost,
    }
}

pub fn sla_stat(s: SlaStat) -> Stat {
    match s {
        SlaStat::Avg => Stat::Avg,
        SlaStat::P50 => Stat::P50,
        SlaStat::P90 => Stat::P90,
        SlaStat::P99 => Stat::P99,
    }
}

pub fn show(a: &ShowArgs) -> ShowOptions {
    ShowOptions {
        paths: a.paths.clone(),
        ingest: ingest(&a.load),
        repeats: a.repeats,
        format: a.format.text(),
        metrics: a.metrics.clone(),
        output: a.output.clone(),
    }
}

pub fn report(a: &ReportArgs) -> Result<ReportOptions, Error> {
    report_options(&a.runs, &a.analysis, None, NoiseSources::default())
}

pub fn compare(a: &CompareArgs) -> Result<CompareOptions, Error> {
    let history = match &a.baseline_history {
        Some(db) => Some((db.clone(), a.last.unwrap_or(DEFAULT_HISTORY_BASELINE))),
        None if a.runs.len() < 2 => {
            return Err(Error::Usage(
                "compare needs two or more sweeps, or one with --baseline-history DB".into(),
            ))
        }
        None => None,
    };
    Ok(CompareOptions {
        report: report_options(
            &a.runs,
            &a.analysis,
            a.fail_on_regression,
            noise_sources(a)?,
        )?,
        history,
    })
}

fn report_options(
    runs: &[String],
    a: &AnalysisArgs,
    fail_on_regression: Option<f64>,
    noise: NoiseSources,
) -> Result<ReportOptions, Error> {
    let sla = a
        .sla
        .as_deref()
        .map(|s| Sla::parse(s, sla_stat(a.sla_stat)))
        .transpose()
        .map_err(|e| Error::Usage(format!("--sla: {e}")))?;
    if a.fail_on_sla && sla.is_none() {
        return Err(Error::Usage("--fail-on-sla needs --sla".into()));
    }
    if fail_on_regression.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
        return Err(Error::Usage(
            "--fail-on-regression takes a percentage >= 0".into(),
        ));
    }
    Ok(ReportOptions {
        runs: runs.to_vec(),
        ingest: ingest(&a.load),
        settings: Settings {
            sla,
            fail_on_regression,
            fail_on_sla: a.fail_on_sla,
            noise,
        },
        out: a.out.out.clone(),
    })
}

/// `--noise FILE` and `--noise-floor PCT`.
fn noise_sources(a: &CompareArgs) -> Result<NoiseSources, Error> {
    let table = match &a.noise {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ReadError::io(path, &e))?;
            Some(NoiseTable::parse(&text).map_err(|m| ReadError::file(path, m))?)
        }
        None => None,
    };
    if a.noise_floor.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
        return Err(Error::Usage(
            "--noise-floor takes a run-to-run CV in percent >= 0".into(),
        ));
    }
    Ok(NoiseSources {
        table,
        floor_cv: a.noise_floor.map(|p| p / 100.0),
    })
}

pub fn noise(a: &NoiseArgs) -> NoiseOptions {
    NoiseOptions {
        runs: a.runs.clone(),
        ingest: ingest(&a.load),
        out: a.out.out.clone(),
    }
}

pub fn export_llm_d(a: &ExportLlmdArgs) -> ExportOptions {
    ExportOptions {
        runs: a.runs.clone(),
        ingest: ingest(&a.load),
        out: a.out.clone(),
    }
}

pub fn audit(a: &AuditArgs) -> AuditJob {
    AuditJob {
        predicted: a.predicted.clone(),
        measured: a.measured.clone(),
        mode: a.mode.clone(),
        config: a.config.clone(),
        rank: a.rank,
        gpus: a.gpus,
        max_ape: a.max_ape,
        out: a.out.out.clone(),
    }
}

pub fn plan(a: &PlanArgs) -> Result<PlanOptions, Error> {
    let job = PlanJob {
        runs: a.runs.clone(),
        sla: Sla::parse(&a.sla, sla_stat(a.sla_stat)).map_err(Error::Usage)?,
        demand: match (&a.trace, a.rate) {
            (Some(t), _) => Demand::Trace(t.clone()),
            (None, Some(r)) => Demand::Rate(r),
            (None, None) => return Err(Error::Usage("give --rate R or --trace FILE".into())),
        },
        options: ingest(&a.load),
        headroom_pct: a.headroom,
        label: a.label.clone(),
        isl: a.isl,
        osl: a.osl,
    };
    Ok(PlanOptions {
        job,
        format: a.format,
        out: a.out.clone(),
    })
}

pub fn token_norm_dist(a: &TokenNormDistArgs) -> Result<TokenNormDistOptions, Error> {
    let vocabulary = match (&a.tokenizer, a.vocab_size) {
        (Some(path), _) => Vocabulary::Tokenizer(path.clone()),
        (None, Some(n)) => Vocabulary::Size(n),
        (None, None) => return Err(Error::Usage("give --vocab-size or --tokenizer".into())),
    };
    Ok(TokenNormDistOptions {
        num_requests: a.num_requests,
        input: NormDist {
            mean: a.input_mean,
            stdev: a.input_stdev,
        },
        output: NormDist {
            mean: a.output_mean,
            stdev: a.output_stdev,
        },
        vocabulary,
        eos_id: a.eos_id,
        seed: a.seed,
        task_id: a.task_id,
        lora_dir: a.lora_dir.clone(),
        out: a.output.clone(),
    })
}

pub fn run(cmd: RunCommand) -> RunJob {
    match cmd {
        RunCommand::Online(flags) => RunJob::Online(flags),
        RunCommand::Offline(flags) => RunJob::Offline(flags),
        RunCommand::Status(a) => RunJob::Status(a.out),
    }
}

pub fn history(cmd: &HistoryCommand) -> Result<HistoryOptions, Error> {
    Ok(match cmd {
        HistoryCommand::Add(a) => HistoryOptions::Add(AddJob {
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
            options: ingest(&a.load),
        }),
        HistoryCommand::List(a) => HistoryOptions::List {
            db: a.db.db.clone(),
            last: a.last,
            format: a.format,
        },
        HistoryCommand::Show(a) => {
            let mut metrics = jobs::parse_metrics(&a.metrics)?;
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
                settings: changepoint::Settings::default(),
                fail_on_regression: None,
            };
            HistoryOptions::Show {
                job,
                format: a.format,
            }
        }
        HistoryCommand::Check(a) => HistoryOptions::Check {
            job: check_job(&a.opts)?,
            format: a.format,
        },
        HistoryCommand::Report(a) => HistoryOptions::Report(ReportJob {
            check: check_job(&a.opts)?,
            out: a.out.out.clone(),
        }),
    })
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

fn check_job(a: &HistoryCheckOpts) -> Result<CheckJob, Error> {
    if !(a.max_pvalue > 0.0 && a.max_pvalue < 1.0) {
        return Err(Error::Usage(
            "--max-pvalue takes a number between 0 and 1".into(),
        ));
    }
    Ok(CheckJob {
        db: a.db.db.clone(),
        last: Some(a.last.unwrap_or(jobs::DEFAULT_CHECK_LAST)),
        filter: Filter {
            label: a.label.clone(),
            metrics: jobs::parse_metrics(&a.metrics)?,
            concurrency: None,
        },
        settings: changepoint::Settings {
            max_pvalue: a.max_pvalue,
            ..changepoint::Settings::default()
        },
        fail_on_regression: a.fail_on_regression,
    })
}
