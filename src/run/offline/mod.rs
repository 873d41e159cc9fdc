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

use crate::run::finish::{self, ReportOn};
use crate::run::{install_signal_handlers, is_complete, Outcome, RunError, SweepPlan};

/// `adreport run offline`: returns the process exit code.
pub fn run(flags: OfflineOptions) -> Result<u8, RunError> {
    let settings = Settings::resolve(flags)?;
    for w in check_options(&settings)? {
        eprintln!("warning: {w}");
    }
    install_signal_handlers()?;
    let sweep = SweepPlan {
        root: settings.root(),
        label: settings.label.clone(),
        runner: "offline".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
    };
    let needed = needed_workloads(&sweep);
    let report = (!settings.no_report).then(|| (settings.sla.clone(), settings.backends.clone()));
    let mut driver = OfflineDriver::new(settings, needed);
    let outcome = crate::run::run(&mut driver, &sweep)?;
    let report = report.map(|(sla, backends)| ReportOn {
        inputs: report_inputs(&outcome, &sweep, &backends),
        sla,
        gpus: None,
    });
    Ok(finish::conclude(&outcome, &sweep, report))
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
