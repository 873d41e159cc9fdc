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

use crate::run::finish;
use crate::run::{install_signal_handlers, RunError, SweepPlan};

// ---------------------------------------------------------------------------------------
// The command

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
    finish::print_outcome(&outcome, &sweep);
    let mut code = outcome.exit_code();
    if let (Some((sla, gpus)), false) = (report, outcome.complete.is_empty()) {
        if outcome.signal.is_none() {
            if let Err(e) = write_report(&outcome, &sweep, sla.as_deref(), gpus) {
                eprintln!("error: the report failed: {e}");
                code = code.max(1);
            }
        }
    }
    Ok(code)
}

/// `report` on the complete points, into `OUT/LABEL/report/`.
fn write_report(
    o: &crate::run::Outcome,
    sweep: &SweepPlan,
    sla: Option<&str>,
    gpus: Option<u64>,
) -> Result<(), String> {
    let inputs: Vec<String> = o
        .complete
        .iter()
        .map(|d| format!("{}={}", sweep.label, d.display()))
        .collect();
    let out = sweep.root.join("report");
    let done = finish::write_report(&inputs, &out, sla, gpus)?;
    finish::print_report_location(&out, done.files.len());
    Ok(())
}
