//! `adreport plan`: load a measured sweep, find one replica's capacity under the SLA and size
//! the fleet for a target rate or a rate trace; print it and, with `-o`, write its files.

use std::path::PathBuf;

use crate::analyze::plan::{replica_capacity, size, size_trace, CapacityPlan, PlanSettings};
use crate::analyze::sla::Sla;
use crate::ingest::energy::telemetry_gpus;
use crate::ingest::rate_trace::read_rate_trace;
use crate::ingest::{self, IngestOptions};
use crate::model::{Point, SearchedCapacity, Sweep};
use crate::render::output::write_outputs;
use crate::render::plan::{self as render_plan, series_name, PlanFormat};
use crate::util::error::Error;

use super::{print, print_warnings, Outcome};

/// What the fleet is sized for.
#[derive(Clone, Debug)]
pub enum Demand {
    /// `--rate R`: requests per second.
    Rate(f64),
    /// `--trace FILE`: a CSV of `timestamp, requests per second`.
    Trace(PathBuf),
}

/// What `adreport plan` was asked.
#[derive(Clone, Debug)]
pub struct PlanJob {
    pub runs: Vec<String>,
    pub sla: Sla,
    pub demand: Demand,
    pub options: IngestOptions,
    pub headroom_pct: f64,
    /// Picks one series when the run holds several.
    pub label: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
}

/// The job with how its answer is printed and where its files go.
pub struct PlanOptions {
    pub job: PlanJob,
    pub format: PlanFormat,
    pub out: Option<PathBuf>,
}

pub fn command(o: &PlanOptions) -> Result<Outcome, Error> {
    let done = run(&o.job)?;
    print_warnings(&done.sweep.warnings);
    print(&render_plan::render(&done.plan, o.format));
    if let Some(out) = &o.out {
        let files = write_outputs(&render_plan::plan_exporters(), &done.plan, out)?;
        eprintln!("wrote {} files to {}", files.len(), out.display());
    }
    Ok(Outcome::Done)
}

pub struct PlanRun {
    pub sweep: Sweep,
    pub plan: CapacityPlan,
}

pub fn run(job: &PlanJob) -> Result<PlanRun, Error> {
    let sweep = ingest::load_args(&job.runs, &job.options)?;
    let (label, isl, osl) = pick_series(&sweep, job)?;
    let points: Vec<&Point> = sweep
        .points
        .iter()
        .filter(|p| p.label == label && p.isl == isl && p.osl == osl)
        .collect();
    let name = series_name(&label, isl, osl);
    let gpus = gpus_per_replica(&points).ok_or_else(|| {
        Error::Usage(format!(
            "{name}: the results do not say how many GPUs one replica used; give --gpus N"
        ))
    })?;
    let series_searches: Vec<&SearchedCapacity> = sweep
        .capacities
        .iter()
        .filter(|c| c.label == label && c.isl == isl && c.osl == osl)
        .collect();
    let searched = series_searches
        .iter()
        .copied()
        .find(|c| c.same_sla(&job.sla.limits(), job.sla.stat));
    if searched.is_none() {
        for c in &series_searches {
            eprintln!(
                "note: {} searched the capacity against another SLA; planning from the probes at {}",
                c.path.display(),
                job.sla
            );
        }
    }
    let cap = replica_capacity(&points, &job.sla, gpus, searched)
        .map_err(|e| Error::Usage(format!("{name}: {e}")))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "{name}: no measured concurrency meets the SLA ({}); nothing to plan with",
                job.sla
            ))
        })?;
    let settings = PlanSettings {
        headroom_pct: job.headroom_pct,
        usd_per_gpu_hour: job.options.gpu_hour_cost,
    };
    let (rate, trace) = match &job.demand {
        Demand::Rate(r) => (Some(size(&cap, &settings, *r).map_err(Error::Usage)?), None),
        Demand::Trace(path) => {
            let rows = read_rate_trace(path)?;
            (
                None,
                Some(size_trace(&cap, &settings, &rows).map_err(Error::Usage)?),
            )
        }
    };
    let plan = CapacityPlan {
        label,
        isl,
        osl,
        sla: job.sla.to_string(),
        capacity: cap,
        settings,
        rate,
        trace,
    };
    Ok(PlanRun { sweep, plan })
}

type SeriesKey = (String, Option<u64>, Option<u64>);

/// The one series (label, ISL, OSL) to plan for; several left after `--label/--isl/--osl` is an
/// error that lists them.
fn pick_series(sweep: &Sweep, job: &PlanJob) -> Result<SeriesKey, Error> {
    let mut keys: Vec<SeriesKey> = Vec::new();
    for p in sweep.points.iter().filter(|p| p.concurrency.is_some()) {
        let k = (p.label.clone(), p.isl, p.osl);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let all = keys.clone();
    keys.retain(|(l, i, o)| {
        job.label.as_ref().is_none_or(|x| x == l)
            && job.isl.is_none_or(|x| Some(x) == *i)
            && job.osl.is_none_or(|x| Some(x) == *o)
    });
    let list = |ks: &[SeriesKey]| {
        ks.iter()
            .map(|(l, i, o)| format!("  {}", series_name(l, *i, *o)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match keys.len() {
        1 => Ok(keys.remove(0)),
        0 if all.is_empty() => Err(Error::Usage(
            "no point with a concurrency to plan with (plan needs an online sweep)".into(),
        )),
        0 => Err(Error::Usage(format!(
            "no series matches --label/--isl/--osl; the run has:\n{}",
            list(&all)
        ))),
        _ => Err(Error::Usage(format!(
            "the run holds several series; pick one with --label (and --isl/--osl):\n{}",
            list(&keys)
        ))),
    }
}

/// GPUs of one replica: what the results (or `--gpus`) say, else what the GPU telemetry saw.
fn gpus_per_replica(points: &[&Point]) -> Option<u64> {
    points
        .iter()
        .find_map(|p| p.num_gpus.or_else(|| telemetry_gpus(p)))
}
