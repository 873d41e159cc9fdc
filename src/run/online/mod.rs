//! `adreport run online`: launch (or attach to) an OpenAI-compatible server, sweep
//! concurrencies with aiperf, benchmark_serving or SGLang's bench_serving, then report.
//!
//! What `bench_server.py` + aiperf, or `trtllm-serve` + benchmark_serving, do by hand, as one
//! command. Layout: `OUT/LABEL/isl_X_osl_Y_conc_C/` per point (client artifacts, the client's
//! stdout and stderr, run.json, .complete), `OUT/LABEL/server.log`, and the report in
//! `OUT/LABEL/report/`.

pub mod client;
pub mod driver;
pub mod server;
pub mod settings;

pub use client::ClientKind;
pub use driver::OnlineDriver;
pub use server::ReadyOn;
pub use settings::{OnlineOptions, Settings};

use crate::run::finish::{self, ReportOn};
use crate::run::{install_signal_handlers, RunError, SweepPlan};

/// `adreport run online`: returns the process exit code.
pub fn run(flags: OnlineOptions) -> Result<u8, RunError> {
    let settings = Settings::resolve(flags)?;
    install_signal_handlers()?;
    let root = settings.root();
    let sweep = SweepPlan {
        root: root.clone(),
        label: settings.label.clone(),
        runner: "online".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
    };
    let report = (!settings.no_report).then(|| (settings.sla.clone(), settings.gpus));
    let mut driver = OnlineDriver::new(settings);
    let outcome = crate::run::run(&mut driver, &sweep)?;
    let report = report.map(|(sla, gpus)| ReportOn {
        inputs: outcome
            .complete
            .iter()
            .map(|d| format!("{}={}", sweep.label, d.display()))
            .collect(),
        sla,
        gpus,
    });
    Ok(finish::conclude(&outcome, &sweep, report))
}
