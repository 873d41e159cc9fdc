//! Runs a matrix where `--slurm`, `--emit-k8s` or neither says, then the end report: one
//! config's report in `OUT/LABEL/report/`, or the comparison of several in `OUT/report/`.

use super::local;
use super::options::{FanOut, Target};
use super::slurm::{self, Submission};
use super::{k8s, Matrix, Unit};
use crate::commands::run::finish::{self, ReportOn};
use crate::commands::run::{OnFailure, Outcome, RunError};
use crate::model::Stat;

/// A matrix and how to run it.
pub struct Fan {
    pub matrix: Matrix,
    pub fan: FanOut,
    pub on_failure: OnFailure,
    pub force: bool,
    /// SLA targets, the statistic they are judged on and GPUs of the end report; `None`
    /// with `--no-report`.
    pub report: Option<(Option<String>, Stat, Option<u64>)>,
}

/// Returns the exit code. `run_unit` is the runner's sweep of one unit on this machine.
pub fn execute(
    f: &Fan,
    run_unit: &mut dyn FnMut(&Unit) -> Result<Outcome, RunError>,
) -> Result<u8, RunError> {
    match &f.fan.target {
        Target::K8s(k) => {
            let files = k8s::emit(&f.matrix, k, f.force)?;
            for p in &files {
                println!("{}", p.display());
            }
            if files.is_empty() {
                eprintln!(
                    "every point is complete: no Kubernetes Job written (--force writes them all)"
                );
            } else {
                eprintln!(
                    "{} Kubernetes Job(s) written; `kubectl apply -f {}` starts them",
                    files.len(),
                    k.dir.display()
                );
            }
            Ok(0)
        }
        Target::Slurm(s) => {
            let sub = Submission {
                opts: s.clone(),
                on_failure: f.on_failure,
                force: f.force,
                exe: std::env::current_exe()
                    .map_err(|e| RunError::Other(format!("cannot tell where adreport is: {e}")))?,
                workdir: std::env::current_dir().map_err(|e| {
                    RunError::Other(format!("cannot tell the working directory: {e}"))
                })?,
            };
            let end = slurm::run(&f.matrix, &sub)?;
            for (unit, why) in &end.failed {
                eprintln!("  failed: {unit}: {why}");
            }
            if let Some(why) = &end.stopped {
                eprintln!("stopped early: {why}; a rerun submits the configs not complete");
            }
            let mut code = end.exit_code();
            if end.waited && end.signal.is_none() {
                code = code.max(report(f));
            }
            Ok(code)
        }
        Target::Local => {
            let stop = f.on_failure == OnFailure::Stop;
            let end = local::run(&f.matrix, f.fan.only_repeat, stop, run_unit)?;
            for (unit, why) in &end.failed {
                eprintln!("  failed: {unit}: {why}");
            }
            if let Some(why) = &end.stopped {
                eprintln!("stopped early: {why}; a rerun resumes with the points not complete");
            }
            let mut code = end.exit_code();
            if end.signal.is_none() {
                code = code.max(report(f));
            }
            Ok(code)
        }
    }
}

/// The end report on every complete point: 0, or 1 when it failed.
fn report(f: &Fan) -> u8 {
    let Some((sla, stat, gpus)) = &f.report else {
        return 0;
    };
    let inputs = f.matrix.report_inputs();
    if inputs.is_empty() {
        return 0;
    }
    let r = ReportOn {
        inputs,
        sla: sla.clone(),
        stat: *stat,
        gpus: *gpus,
    };
    finish::report_into(&r, &f.matrix.report_dir())
}
