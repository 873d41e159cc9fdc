//! `adreport run offline`: `trtllm-bench throughput` over backends x ISL x OSL x max batch
//! sizes, no server. What TensorRT-LLM's benchmarking guides do by hand (`prepare_dataset.py
//! token-norm-dist`, then trtllm-bench per cell, `_autodeploy` against `pytorch`) as one
//! command.
//!
//! Layout under `OUT/LABEL/`:
//! - `datasets/token-norm-dist_isl_X_osl_Y_n_N.jsonl` (+ `.spec`, what it was made from): one
//!   per ISL/OSL, written once and reused while its spec matches;
//! - `BACKEND/isl_X_osl_Y_bs_B/`: report.json, the client's stdout (the printed report) and
//!   stderr, run.json, .complete;
//! - `report/`: `report` on every complete point.
//!
//! Why a directory per backend: trtllm-bench's report says "Pytorch" for `_autodeploy` too, so
//! the backend is not in the results. As a directory it becomes the series label the walker
//! already assigns (`report OUT/LABEL` shows one series per backend, `compare
//! OUT/LABEL/pytorch OUT/LABEL/_autodeploy` works), with no reader having to know about runs.

pub mod checks;
pub mod client;
pub mod datasets;
pub mod driver;
pub mod settings;

pub use checks::check_options;
pub use client::REPORT_JSON;
pub use datasets::ensure_dataset;
pub use driver::OfflineDriver;
pub use settings::{
    DatasetSettings, OfflineOptions, Settings, BACKENDS, DATASETS, DEFAULT_BATCH_SIZES,
};

use serde_json::Value;

use crate::commands::run::fanout::configs::{self, job_settings};
use crate::commands::run::fanout::execute::{self, Fan};
use crate::commands::run::fanout::options::{FanOut, Target};
use crate::commands::run::fanout::{absolute, Config, Matrix, Unit};
use crate::commands::run::finish::{self, ReportOn};
use crate::commands::run::manifest;
use crate::commands::run::{install_signal_handlers, is_complete, Outcome, RunError, SweepPlan};
use crate::model::Stat;

/// `adreport run offline`: returns the process exit code.
pub fn run(flags: OfflineOptions) -> Result<u8, RunError> {
    let (options, mut settings, fan) = configs::resolve_all(flags, Settings::from_options)?;
    for s in &settings {
        for w in check_options(s)? {
            eprintln!("warning: {w}");
        }
    }
    install_signal_handlers()?;
    if fan.is_plain() && settings.len() == 1 {
        return run_one(settings.remove(0));
    }
    fan_out(&options, settings, fan)
}

/// One sweep on this machine, as without configs or repeats.
fn run_one(settings: Settings) -> Result<u8, RunError> {
    let sweep = plan(&settings, settings.root());
    let needed = needed_workloads(&sweep);
    let report = (!settings.no_report).then(|| (settings.sla.clone(), settings.backends.clone()));
    let mut driver = OfflineDriver::new(settings, needed);
    let outcome = crate::commands::run::run(&mut driver, &sweep)?;
    let report = report.map(|(sla, backends)| ReportOn {
        inputs: report_inputs(&outcome, &sweep, &backends),
        sla,
        stat: Stat::Avg,
        gpus: None,
    });
    Ok(finish::conclude(&outcome, &sweep, report))
}

/// The sweep of `settings` with its points under `root` (`OUT/LABEL`, or a repeat's dir).
fn plan(settings: &Settings, root: std::path::PathBuf) -> SweepPlan {
    SweepPlan {
        root,
        label: settings.label.clone(),
        runner: "offline".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
        nvidia_smi: manifest::nvidia_smi(),
        gpu_trace: settings.gpu_trace,
    }
}

/// Configs x repeats, here, on Slurm or as Kubernetes Jobs.
fn fan_out(
    options: &[OfflineOptions],
    settings: Vec<Settings>,
    fan: FanOut,
) -> Result<u8, RunError> {
    if fan.keep_server {
        return Err(RunError::Usage(
            "--keep-server: run offline starts no server".into(),
        ));
    }
    if matches!(&fan.target, Target::Slurm(s) if s.nodes > 1) {
        return Err(RunError::Usage(
            "--nodes applies to run online: trtllm-bench runs on one node".into(),
        ));
    }
    let mut configs = Vec::new();
    for (o, s) in options.iter().zip(&settings) {
        configs.push(Config {
            label: s.label.clone(),
            dir: absolute(&s.root()),
            points: s.points().into_iter().map(|p| p.name).collect(),
            settings_yaml: job_settings(o, &s.out, &s.label)?,
            // Only a --tp given asks for GPUs; the default of 1 asks for none.
            gpus: o.tp,
            search: false,
        });
    }
    let outs: Vec<_> = settings.iter().map(|s| s.out.clone()).collect();
    let first = &settings[0];
    let f = Fan {
        matrix: Matrix::new("offline", &outs, configs, &fan)?,
        on_failure: first.policy.on_failure,
        force: first.policy.force,
        report: (!first.no_report).then(|| (first.sla.clone(), Stat::Avg, None)),
        fan,
    };
    let mut run_unit = |u: &Unit| -> Result<Outcome, RunError> {
        let s = &settings[f.matrix.index(u)];
        let sweep = plan(s, u.root());
        let needed = needed_workloads(&sweep);
        let outcome =
            crate::commands::run::run(&mut OfflineDriver::new(s.clone(), needed), &sweep)?;
        finish::conclude(&outcome, &sweep, None);
        Ok(outcome)
    };
    execute::execute(&f, &mut run_unit)
}

/// ISL/OSL pairs of the points this run will run (those not complete, or all with --force).
fn needed_workloads(sweep: &SweepPlan) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for p in &sweep.points {
        if !sweep.policy.force && is_complete(&sweep.root.join(&p.name)) {
            continue;
        }
        let get = |k: &str| p.params.get(k).and_then(Value::as_u64);
        if let (Some(i), Some(o)) = (get("isl"), get("osl")) {
            if !out.contains(&(i, o)) {
                out.push((i, o));
            }
        }
    }
    out
}

/// `label=dir` of the complete points, one label per backend (the first is the baseline).
fn report_inputs(o: &Outcome, sweep: &SweepPlan, backends: &[String]) -> Vec<String> {
    let mut inputs = Vec::new();
    for b in backends {
        let dir = sweep.root.join(b);
        for d in o.complete.iter().filter(|d| d.starts_with(&dir)) {
            inputs.push(format!("{b}={}", d.display()));
        }
    }
    inputs
}
