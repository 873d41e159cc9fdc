//! `adreport run online`: launch (or attach to) an OpenAI-compatible server, sweep
//! concurrencies with aiperf, benchmark_serving or SGLang's bench_serving, then report.
//!
//! What `bench_server.py` + aiperf, or `trtllm-serve` + benchmark_serving, do by hand, as one
//! command. Layout: `OUT/LABEL/isl_X_osl_Y_conc_C/` per point (client artifacts, the client's
//! stdout and stderr, run.json, .complete), `OUT/LABEL/server.log`, and the report in
//! `OUT/LABEL/report/`.

pub mod client;
pub mod client_kind;
pub mod driver;
pub mod search;
pub mod server;
pub mod settings;

pub use client_kind::ClientKind;
pub use driver::OnlineDriver;
pub use server::ReadyOn;
pub use settings::{OnlineOptions, Settings};

use std::collections::BTreeMap;

use crate::commands::run::fanout::configs::{self, job_settings};
use crate::commands::run::fanout::execute::{self, Fan};
use crate::commands::run::fanout::local::KeepServer;
use crate::commands::run::fanout::options::{FanOut, SlurmOptions, Target};
use crate::commands::run::fanout::slurm::script;
use crate::commands::run::fanout::{absolute, Config, Matrix, Unit};
use crate::commands::run::finish::{self, ReportOn};
use crate::commands::run::manifest;
use crate::commands::run::options::CmdSpec;
use crate::commands::run::{install_signal_handlers, Outcome, RunError, SweepPlan};

/// `adreport run online`: returns the process exit code.
pub fn run(flags: OnlineOptions) -> Result<u8, RunError> {
    let (options, mut settings, fan) = configs::resolve_all(flags, Settings::from_options)?;
    install_signal_handlers()?;
    if settings.iter().any(|s| s.search.is_some()) {
        return search_each(&options, settings, &fan);
    }
    if fan.is_plain() && settings.len() == 1 {
        return run_one(settings.remove(0));
    }
    fan_out(&options, settings, fan)
}

/// `--find-capacity`: each config's search here, one after the other; `--repeats` caps the
/// runs of a probe within the noise.
fn search_each(
    options: &[OnlineOptions],
    settings: Vec<Settings>,
    fan: &FanOut,
) -> Result<u8, RunError> {
    if settings.iter().any(|s| s.search.is_none()) {
        return Err(RunError::Usage(
            "--find-capacity: set it for every config of the file, or for none".into(),
        ));
    }
    if fan.interleave || fan.only_repeat.is_some() {
        return Err(RunError::Usage(
            "--find-capacity runs each config's whole search in one go (--repeats caps a probe's runs): --interleave and --repeat do not apply".into(),
        ));
    }
    // On Slurm or Kubernetes: one job per config, each running its search as here.
    if fan.target != Target::Local {
        return fan_out(options, settings, fan.clone());
    }
    let mut code = 0;
    for s in settings {
        code = code.max(search::run(s, fan.repeats)?);
        if crate::commands::run::interrupted() {
            break;
        }
    }
    Ok(code)
}

/// One sweep on this machine, as without configs or repeats.
fn run_one(settings: Settings) -> Result<u8, RunError> {
    let sweep = plan(&settings, settings.root());
    let report = (!settings.no_report).then(|| (settings.sla.clone(), settings.gpus));
    let stat = settings.sla_stat;
    let mut driver = OnlineDriver::new(with_gpu(settings, &sweep));
    let outcome = crate::commands::run::run(&mut driver, &sweep)?;
    let report = report.map(|(sla, gpus)| ReportOn {
        inputs: outcome
            .complete
            .iter()
            .map(|d| format!("{}={}", sweep.label, d.display()))
            .collect(),
        sla,
        stat,
        gpus,
    });
    Ok(finish::conclude(&outcome, &sweep, report))
}

/// The sweep of `settings` with its points under `root` (`OUT/LABEL`, or a repeat's dir).
fn plan(settings: &Settings, root: std::path::PathBuf) -> SweepPlan {
    SweepPlan {
        root,
        label: settings.label.clone(),
        runner: "online".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
        nvidia_smi: manifest::nvidia_smi(),
        gpu_trace: settings.gpu_trace,
    }
}

/// With a GPU here (nvidia-smi answered), aiperf records its own telemetry over its profiling phase.
fn with_gpu(mut settings: Settings, sweep: &SweepPlan) -> Settings {
    settings.gpu_telemetry = sweep.nvidia_smi.is_some();
    settings
}

/// Configs x repeats, here, on Slurm or as Kubernetes Jobs.
fn fan_out(
    options: &[OnlineOptions],
    settings: Vec<Settings>,
    fan: FanOut,
) -> Result<u8, RunError> {
    let mut configs = Vec::new();
    for (o, s) in options.iter().zip(&settings) {
        let mut o = o.clone();
        if let Target::Slurm(slurm) = &fan.target {
            on_nodes(&mut o, s, slurm)?;
        }
        configs.push(Config {
            label: s.label.clone(),
            dir: absolute(&s.root()),
            points: match s.search {
                Some(_) => Vec::new(),
                None => s.points().into_iter().map(|p| p.name).collect(),
            },
            settings_yaml: job_settings(&o, &s.out, &s.label)?,
            gpus: s.gpus,
            search: s.search.is_some(),
        });
    }
    let outs: Vec<_> = settings.iter().map(|s| s.out.clone()).collect();
    let first = &settings[0];
    // One GPU count for the report's tokens/s/gpu, when the configs agree on it.
    let gpus = first
        .gpus
        .filter(|g| settings.iter().all(|s| s.gpus == Some(*g)));
    let f = Fan {
        matrix: Matrix::new("online", &outs, configs, &fan)?,
        on_failure: first.policy.on_failure,
        force: first.policy.force,
        report: (!first.no_report).then(|| (first.sla.clone(), first.sla_stat, gpus)),
        fan,
    };
    let keep = f.fan.keep_server;
    let mut kept: BTreeMap<String, KeepServer<OnlineDriver>> = BTreeMap::new();
    let mut run_unit = |u: &Unit| -> Result<Outcome, RunError> {
        let s = &settings[f.matrix.index(u)];
        let sweep = plan(s, u.root());
        let outcome = if keep {
            let d = kept
                .entry(s.label.clone())
                .or_insert_with(|| KeepServer::new(OnlineDriver::new(with_gpu(s.clone(), &sweep))));
            crate::commands::run::run(d, &sweep)?
        } else {
            crate::commands::run::run(&mut OnlineDriver::new(with_gpu(s.clone(), &sweep)), &sweep)?
        };
        finish::conclude(&outcome, &sweep, None);
        Ok(outcome)
    };
    execute::execute(&f, &mut run_unit)
}

/// With `--nodes N` > 1 the job's server starts with `srun` across the allocation.
fn on_nodes(o: &mut OnlineOptions, s: &Settings, slurm: &SlurmOptions) -> Result<(), RunError> {
    if slurm.nodes <= 1 {
        return Ok(());
    }
    let Some(server) = &s.server else {
        return Err(RunError::Usage(
            "--nodes starts the server across the nodes of each job: it needs --server-cmd".into(),
        ));
    };
    let gpus = slurm.gpus_per_job.or(s.gpus);
    if server.shell {
        let text = server.argv.last().cloned().unwrap_or_default();
        let words: Vec<String> = text.split_whitespace().take(1).map(String::from).collect();
        if let Some(srun) = script::server_launcher(&words, slurm.nodes, gpus)? {
            o.server_cmd = Some(CmdSpec::Text(format!(
                "exec {} sh -c {}",
                shell_words::join(&srun),
                shell_words::quote(&text)
            )));
        }
    } else if let Some(mut srun) = script::server_launcher(&server.argv, slurm.nodes, gpus)? {
        srun.extend(server.argv.iter().cloned());
        o.server_cmd = Some(CmdSpec::Argv(srun));
    }
    Ok(())
}
