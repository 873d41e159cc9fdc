//! `adreport compare`: the report job over two or more sweeps, or one sweep against a baseline
//! taken from the history.

use super::history::baseline::with_history_baseline;
use super::report::{finish, run, run_sweep, ReportOptions};
use super::Outcome;
use crate::ingest::{self};
use crate::util::error::Error;

pub struct CompareOptions {
    /// Inputs, settings (with the gate and the noise sources) and the output directory.
    pub report: ReportOptions,
    /// `--baseline-history DB` with the number of its newest runs to take.
    pub history: Option<(String, usize)>,
}

pub fn command(o: &CompareOptions) -> Result<Outcome, Error> {
    let r = &o.report;
    let done = match &o.history {
        None => run(&r.runs, &r.ingest, &r.settings, &r.out)?,
        Some((db, last)) => {
            let sweep = ingest::load_args(&r.runs, &r.ingest)?;
            let sweep = with_history_baseline(sweep, db, *last)?;
            run_sweep(sweep, &r.runs, &r.settings, &r.out)?
        }
    };
    finish(&done, &r.out)
}
