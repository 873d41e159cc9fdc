//! `adreport audit`: find the AIConfigurator save dir, load it and the measured sweeps, audit
//! ([`crate::analyze::audit`]), write every output and print the headline.

use std::fmt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::analyze::audit::error::{ExperimentConfigs, ExperimentName};
use crate::analyze::audit::{audit, Audit, AuditError, AuditSettings, MeasuredSweep, Pick};
use crate::ingest::aiconfigurator::{self, load_run};
use crate::ingest::{self, default_label, IngestOptions, Input};
use crate::model::{Point, Source};
use crate::render::audit::words::{describe, whole};
use crate::render::audit::{audit_exporters, AuditCtx};
use crate::render::github::audit_annotations;
use crate::render::output::write_outputs;
use crate::util::error::Error;

use super::ci::{markdown_file, GithubStep};
use super::{print, print_wrote, Outcome};

/// What `adreport audit` was asked.
#[derive(Clone, Debug, Default)]
pub struct AuditJob {
    pub predicted: PathBuf,
    /// `--measured` values: `DIR`, or `rankN=DIR` / `topN=DIR`.
    pub measured: Vec<String>,
    pub mode: Option<String>,
    pub config: Option<String>,
    pub rank: Option<usize>,
    pub gpus: Option<u64>,
    pub max_ape: Option<f64>,
    pub out: PathBuf,
}

pub struct AuditRun {
    pub audit: Audit,
    pub files: Vec<PathBuf>,
}

/// `adreport audit`: the job, its headline printed, under GitHub Actions the `--max-ape` hits
/// as annotations and audit.md in the step summary.
pub fn command(job: &AuditJob) -> Result<Outcome, Error> {
    let done = run(job)?;
    for w in &done.audit.warnings {
        eprintln!("warning: {w}");
    }
    let lines: Vec<String> = done
        .audit
        .headline
        .iter()
        .map(|l| format!("- {l}\n"))
        .collect();
    print(&lines.concat());
    print_wrote(&done.files, &job.out);
    if let Some(gh) = GithubStep::from_env() {
        let (text, full) = markdown_file(&job.out.join("audit.md"))?;
        gh.report(&audit_annotations(&done.audit, &full), Some((&text, &full)))?;
    }
    Ok(Outcome::gated(done.audit.gate_hits.len()))
}

/// Loads, audits and writes everything into `job.out`.
pub fn run(job: &AuditJob) -> Result<AuditRun, Error> {
    let save_dir = find_save_dir(&job.predicted)?;
    let aic = load_run(&save_dir)?;
    let picks = picks(job)?;
    let mut loaded: Vec<(Input, Vec<Point>, Vec<String>)> = Vec::new();
    for (input, _) in &picks {
        let (points, warnings) = load_measured(input)?;
        loaded.push((input.clone(), points, warnings));
    }
    let sweeps: Vec<MeasuredSweep> = picks
        .iter()
        .zip(&loaded)
        .map(|((input, pick), (_, points, _))| MeasuredSweep {
            label: input
                .label
                .clone()
                .unwrap_or_else(|| default_label(&input.path)),
            path: input.path.display().to_string(),
            pick: pick.clone(),
            points,
        })
        .collect();
    let settings = AuditSettings {
        mode: job.mode.clone(),
        gpus: job.gpus,
        max_ape: job.max_ape,
    };
    let mut result = audit(&aic, &sweeps, &settings)?;
    for (_, points, warnings) in &loaded {
        result.warnings.extend(warnings.iter().cloned());
        result.warnings.extend(workload_warnings(&result, points));
    }
    describe(&mut result);
    let ctx = AuditCtx {
        audit: &result,
        out_dir: &job.out,
    };
    let files = write_outputs(&audit_exporters(), &ctx, &job.out)?;
    Ok(AuditRun {
        audit: result,
        files,
    })
}

/// The save dir itself, or the one save dir below `path` (walking down).
pub fn find_save_dir(path: &Path) -> Result<PathBuf, Error> {
    if !path.is_dir() {
        return Err(Error::Usage(format!(
            "--predicted {}: not a directory (give the AIConfigurator --save-dir or a directory above it)",
            path.display()
        )));
    }
    if aiconfigurator::sniff_dir(path) {
        return Ok(path.to_path_buf());
    }
    let mut found = Vec::new();
    // Save dirs sit 1-3 levels below `--save-dir` (`<org>/<model>_..._<id>/`); 8 is plenty.
    let mut walker = WalkDir::new(path)
        .max_depth(8)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_dir() && aiconfigurator::sniff_dir(entry.path()) {
            found.push(entry.path().to_path_buf());
            walker.skip_current_dir();
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let hint = if path.join("pareto.csv").is_file()
                || path.join("best_config_topn.csv").is_file()
            {
                " (this looks like one experiment of a save dir: give its parent)"
            } else {
                ""
            };
            Err(Error::Usage(format!(
                "--predicted {}: no AIConfigurator save dir (agg/, disagg/, ... holding pareto.csv or best_config_topn.csv) at or below it{hint}",
                path.display()
            )))
        }
        many => {
            let list: Vec<String> = many.iter().map(|p| format!("  {}", p.display())).collect();
            Err(Error::Usage(format!(
                "--predicted {}: holds {} AIConfigurator save dirs; give the exact one:\n{}",
                path.display(),
                many.len(),
                list.join("\n")
            )))
        }
    }
}

/// `rank2`, `top2` -> 2.
fn rank_label(label: &str) -> Option<usize> {
    let l = label.to_ascii_lowercase();
    let n = l.strip_prefix("rank").or_else(|| l.strip_prefix("top"))?;
    n.parse().ok().filter(|n| *n > 0)
}

/// Which config each `--measured` sweep is audited against.
fn picks(job: &AuditJob) -> Result<Vec<(Input, Pick)>, Error> {
    if job.measured.is_empty() {
        return Err(Error::Usage("give at least one --measured sweep".into()));
    }
    let flag_pick = match (&job.config, job.rank) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(
                "--config and --rank both pick the config; give one".into(),
            ))
        }
        (Some(c), None) => Pick::Config(c.clone()),
        (None, Some(0)) => return Err(Error::Usage("--rank counts from 1".into())),
        (None, Some(n)) => Pick::Rank(n),
        (None, None) => Pick::Default,
    };
    let inputs: Vec<Input> = job.measured.iter().map(|m| Input::parse(m)).collect();
    if let [one] = inputs.as_slice() {
        let pick = match (one.label.as_deref().and_then(rank_label), &flag_pick) {
            (Some(n), Pick::Default) => Pick::Rank(n),
            (Some(n), Pick::Rank(r)) if *r == n => Pick::Rank(n),
            (Some(n), _) => {
                return Err(Error::Usage(format!(
                    "--measured {}: its label picks rank {n}, which disagrees with --rank/--config",
                    job.measured[0]
                )))
            }
            (None, p) => p.clone(),
        };
        return Ok(vec![(one.clone(), pick)]);
    }
    if flag_pick != Pick::Default {
        return Err(Error::Usage(
            "with several --measured sweeps each names its rank (rank1=DIR rank2=DIR); drop --rank/--config".into(),
        ));
    }
    let mut out: Vec<(Input, Pick)> = Vec::new();
    for (arg, input) in job.measured.iter().zip(inputs) {
        let Some(n) = input.label.as_deref().and_then(rank_label) else {
            return Err(Error::Usage(format!(
                "--measured {arg}: with several sweeps, label each with the rank it measures: rank1=DIR, rank2=DIR (or top1=, top2=)"
            )));
        };
        if out.iter().any(|(_, p)| *p == Pick::Rank(n)) {
            return Err(Error::Usage(format!("--measured: rank {n} is given twice")));
        }
        out.push((input, Pick::Rank(n)));
    }
    Ok(out)
}

/// One measured sweep: exactly one label of measured (not predicted) points.
fn load_measured(input: &Input) -> Result<(Vec<Point>, Vec<String>), Error> {
    let plain = Input {
        label: None,
        path: input.path.clone(),
    };
    let sweep = ingest::load(&[plain], &IngestOptions::default()).map_err(|e| match e {
        Error::NothingUsable(why) => Error::Usage(format!(
            "--measured {}: no measured points:\n{why}",
            input.path.display()
        )),
        other => other,
    })?;
    if sweep
        .points
        .iter()
        .any(|p| p.source == Source::AiConfigurator)
    {
        return Err(Error::Usage(format!(
            "--measured {}: holds AIConfigurator predictions; give the measured sweep (aiperf or benchmark_serving results)",
            input.path.display()
        )));
    }
    let labels = sweep.labels();
    if labels.len() > 1 {
        return Err(Error::Usage(format!(
            "--measured {}: holds {} sweeps ({}); give one of them",
            input.path.display(),
            labels.len(),
            labels.join(", ")
        )));
    }
    let warnings = sweep.warnings.iter().map(|w| w.to_string()).collect();
    Ok((sweep.points, warnings))
}

/// Measured points of another model or workload than the one predicted.
fn workload_warnings(a: &Audit, points: &[Point]) -> Vec<String> {
    let base = |m: &str| m.rsplit('/').next().unwrap_or(m).to_ascii_lowercase();
    let mut out = Vec::new();
    for p in points {
        let path = p.path.display();
        if let (Some(m), Some(want)) = (&p.model, &a.model) {
            if base(m) != base(want) {
                out.push(format!(
                    "{path}: model {m}, but the predictions are for {want}"
                ));
            }
        }
        let differs =
            |got: Option<u64>, want: Option<u64>| got.is_some() && want.is_some() && got != want;
        if differs(p.isl, a.isl) || differs(p.osl, a.osl) {
            let s = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            out.push(format!(
                "{path}: ISL/OSL {}/{}, but the predictions are for {}/{}: the audit compares different workloads",
                s(p.isl),
                s(p.osl),
                s(a.isl),
                s(a.osl)
            ));
        }
    }
    out
}

/// The audit's errors in the words of the command line: the flags that fix them.
impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::BadMaxApe => f.write_str("--max-ape takes a percentage >= 0"),
            AuditError::NoMeasuredSweep => f.write_str("give at least one --measured sweep"),
            AuditError::NoParetoCsv { pareto_csv, config } => write!(
                f,
                "{}: missing; the predicted curve of {config} comes from the experiment's pareto.csv",
                pareto_csv.display()
            ),
            AuditError::NoCurveRows { pareto_csv, config } => write!(
                f,
                "{}: no row of {config} (nor in best_config_topn.csv)",
                pareto_csv.display()
            ),
            AuditError::NoGpusPerReplica { config } => {
                write!(f, "{config}: num_total_gpus is 0")
            }
            AuditError::GpusNotWhole {
                gpus,
                config,
                per_replica,
            } => write!(
                f,
                "--gpus {gpus}: not a whole number of {config} replicas ({per_replica} GPUs each)"
            ),
            AuditError::NoOverlap {
                measured_path,
                measured,
                replicas,
                predicted_file,
                config,
                range,
            } => {
                let measured: Vec<String> = measured.iter().map(|c| whole(*c)).collect();
                write!(
                    f,
                    "no measured concurrency overlaps the predicted curve: {measured_path} measured {} (per replica, {replicas} replica(s)); {predicted_file} predicts {config} only at {}..{}",
                    if measured.is_empty() { "none".into() } else { measured.join(", ") },
                    range[0],
                    range[1]
                )
            }
            choice => fmt_choice(choice, f),
        }
    }
}

/// The errors of choosing the experiment and config (`--mode`, `--rank`, `--config`).
fn fmt_choice(e: &AuditError, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match e {
        AuditError::UnknownMode {
            asked,
            dir,
            available,
        } => write!(
            f,
            "--mode {asked}: {} has no such experiment; available: {}",
            dir.display(),
            experiment_list(available)
        ),
        AuditError::AmbiguousMode {
            asked,
            dir,
            matches,
        } => write!(
            f,
            "--mode {asked}: several experiments of {} are {asked}: {}; give the experiment's directory name",
            dir.display(),
            experiment_list(matches)
        ),
        AuditError::NothingRanked { dir, available } => write!(
            f,
            "{}: no experiment has a best_config_topn.csv with rows to rank configs; pass --config (available: {})",
            dir.display(),
            config_list(available)
        ),
        AuditError::NoRankedExperiment => f.write_str("no ranked experiment"),
        AuditError::NoRanks {
            best_csv,
            rank,
            experiment,
            available,
        } => write!(
            f,
            "{}: missing or empty, so there is no rank {rank} in {experiment}/; pass --config (available: {})",
            best_csv.display(),
            config_list(available)
        ),
        AuditError::RankOutOfRange {
            rank,
            best_csv,
            ranks,
        } => {
            let ranks: Vec<String> = ranks
                .iter()
                .map(|(n, c)| format!("{n} {}", c.as_deref().unwrap_or("?")))
                .collect();
            write!(
                f,
                "rank {rank}: {} ranks {} configs: {}",
                best_csv.display(),
                ranks.len(),
                ranks.join(", ")
            )
        }
        AuditError::RankWithoutConfig { best_csv, row } => write!(
            f,
            "{}: row {row} has no `parallel` column to find its curve in pareto.csv",
            best_csv.display()
        ),
        AuditError::UnknownConfig {
            asked,
            dir,
            available,
        } => write!(
            f,
            "--config {asked}: no config of {} starts with it; available: {}",
            dir.display(),
            config_list(available)
        ),
        AuditError::AmbiguousConfig {
            asked,
            matches,
            several_experiments,
        } => {
            let list: Vec<String> = matches.iter().map(|(e, c)| format!("{e}: {c}")).collect();
            write!(
                f,
                "--config {asked}: matches several configs ({}); give more of it{}",
                list.join(", "),
                if *several_experiments { " or --mode" } else { "" }
            )
        }
        AuditError::ConfigWithoutRow { asked, config } => {
            write!(f, "--config {asked}: no row of {config}")
        }
        other => write!(f, "{other:?}"),
    }
}

fn experiment_list(exps: &[ExperimentName]) -> String {
    exps.iter()
        .map(|e| {
            if e.name == e.mode {
                e.name.clone()
            } else {
                format!("{} ({})", e.name, e.mode)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn config_list(exps: &[ExperimentConfigs]) -> String {
    exps.iter()
        .map(|e| format!("{}: {}", e.experiment, e.configs.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Error {
        Error::Usage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_labels() {
        assert_eq!(rank_label("rank2"), Some(2));
        assert_eq!(rank_label("TOP1"), Some(1));
        assert_eq!(rank_label("rank0"), None);
        assert_eq!(rank_label("tuned"), None);
    }
}
