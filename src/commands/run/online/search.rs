//! `run online --find-capacity`: the capacity search of [`crate::analyze::search`], probe by
//! probe, each probe an ordinary point of the sweep (`OUT/LABEL/isl_X_osl_Y_conc_C/`, its
//! repeats in `OUT/LABEL/rep_K/`), run by the sweep loop with one server kept up over the
//! search. The search is a function of the probes read back, so a rerun reads the complete
//! ones and goes on from the first that is not. At the end: `OUT/LABEL/capacity.json`, the
//! answer in one line, and the report of every probe.

use std::path::{Path, PathBuf};

use super::{plan, with_gpu, OnlineDriver, Settings};
use crate::analyze::search::{self, Probe, SearchSettings, Step};
use crate::analyze::sla::Sla;
use crate::commands::run::fanout::local::KeepServer;
use crate::commands::run::fanout::rep_dir;
use crate::commands::run::finish::{self, ReportOn};
use crate::commands::run::{is_complete, Outcome, RunError};
use crate::ingest::{self, IngestOptions, Input};
use crate::model::{Metric, Point};
use crate::render::capacity_json::{self, CapacityCtx, CapacityJson, Throughput};
use crate::render::output::{write_outputs, Exporter};

/// One probe's runs: where they are and what was read from them.
struct Measured {
    concurrency: u64,
    dirs: Vec<PathBuf>,
    points: Vec<Point>,
}

/// The directory of run `k` (1-based) of the probe at `c`: run 1 in `OUT/LABEL`, the others in
/// `OUT/LABEL/rep_K` (read back as repeats of one point).
fn run_root(settings: &Settings, k: usize) -> PathBuf {
    match k {
        1 => settings.root(),
        k => settings.root().join(rep_dir(k as u32)),
    }
}

/// Reads one complete probe run: the point and the SLA's values on it.
fn read_run(dir: &Path, sla: &Sla, gpus: Option<u64>) -> Result<(Point, Vec<f64>), RunError> {
    let input = Input {
        label: Some("probe".into()),
        path: dir.to_path_buf(),
    };
    let options = IngestOptions {
        gpus,
        ..IngestOptions::default()
    };
    let sweep = ingest::load(&[input], &options).map_err(|e| RunError::Other(format!("{e}")))?;
    let point = sweep.points.into_iter().next().ok_or_else(|| {
        RunError::Other(format!("{}: no load point in the results", dir.display()))
    })?;
    let values = sla
        .targets
        .iter()
        .map(|t| {
            let m = sla.metric(t);
            point.get(m).ok_or_else(|| {
                RunError::Other(format!(
                    "{}: the results have no {} {}, which --sla judges",
                    dir.display(),
                    sla.stat.key(),
                    t.latency.title()
                ))
            })
        })
        .collect::<Result<Vec<f64>, RunError>>()?;
    Ok((point, values))
}

/// Adds what `b` did to the search's outcome `a`.
fn add(a: &mut Outcome, b: Outcome) {
    a.ran += b.ran;
    a.skipped += b.skipped;
    a.failed.extend(b.failed);
    a.stopped = b.stopped.or(a.stopped.take());
    a.signal = b.signal.or(a.signal);
}

/// The search of one config; returns the process exit code.
pub fn run(settings: Settings, max_repeats: u32) -> Result<u8, RunError> {
    let Some(mut s) = settings.search else {
        return Err(RunError::Usage("--find-capacity is not set".into()));
    };
    s.max_repeats = max_repeats;
    search::check_settings(&s).map_err(RunError::Usage)?;
    let sla_text = settings.sla.clone().unwrap_or_default();
    let sla = Sla::parse(&sla_text, settings.sla_stat)
        .map_err(|e| RunError::Usage(format!("--sla: {e}")))?;
    let first = plan(&settings, settings.root());
    let mut driver = KeepServer::new(OnlineDriver::new(with_gpu(settings.clone(), &first)));
    let mut outcome = Outcome::default();
    let mut measured: Vec<Measured> = Vec::new();
    let mut probes: Vec<Probe> = Vec::new();
    loop {
        let (c, k) = match search::next_step(&sla, &s, &probes) {
            Step::Done => break,
            Step::Probe(c) => (c, 1),
            Step::Repeat(c) => (
                c,
                1 + probes
                    .iter()
                    .find(|p| p.concurrency == c)
                    .map_or(0, |p| p.runs.len()),
            ),
        };
        let mut sweep = plan(&settings, run_root(&settings, k));
        sweep.points = vec![settings.point(c)];
        let dir = sweep.root.join(&sweep.points[0].name);
        if is_complete(&dir) && !sweep.policy.force {
            outcome.skipped += 1;
        } else {
            eprintln!("capacity search: concurrency {c}, run {k}");
            let o = crate::commands::run::run(&mut driver, &sweep)?;
            let failed = !o.failed.is_empty() && o.stopped.is_none();
            let ended = o.signal.is_some() || o.stopped.is_some() || failed;
            add(&mut outcome, o);
            if failed {
                outcome.stopped = Some(format!(
                    "the probe at concurrency {c} failed, and the search needs its result"
                ));
            }
            if ended || !is_complete(&dir) {
                break;
            }
        }
        outcome.complete.push(dir.clone());
        let (point, values) = read_run(&dir, &sla, settings.gpus)?;
        match probes.iter_mut().position(|p| p.concurrency == c) {
            Some(i) => {
                probes[i].runs.push(values);
                measured[i].dirs.push(dir);
                measured[i].points.push(point);
            }
            None => {
                probes.push(Probe {
                    concurrency: c,
                    runs: vec![values],
                });
                measured.push(Measured {
                    concurrency: c,
                    dirs: vec![dir],
                    points: vec![point],
                });
            }
        }
    }
    driver.finish();
    let result = search::result(&sla, &s, &probes);
    let root = settings.root();
    let ctx = CapacityCtx {
        label: &settings.label,
        isl: settings.isl,
        osl: settings.osl,
        sla: &sla,
        max_repeats: s.max_repeats,
        throughput: throughput(&measured, result.capacity),
        dirs: measured
            .iter()
            .map(|m| {
                m.dirs
                    .iter()
                    .map(|d| d.strip_prefix(&root).unwrap_or(d).display().to_string())
                    .collect()
            })
            .collect(),
        result: &result,
    };
    let exporters: Vec<Box<dyn Exporter<CapacityCtx>>> = vec![Box::new(CapacityJson)];
    write_outputs(&exporters, &ctx, &root).map_err(|e| RunError::Other(e.to_string()))?;
    say_how_it_ended(&outcome, &s, &root);
    let answer = capacity_json::answer(&ctx);
    println!("{answer}");
    let mut code = outcome.exit_code();
    if settings.no_report || outcome.signal.is_some() || outcome.complete.is_empty() {
        return Ok(code);
    }
    let report = ReportOn {
        inputs: outcome
            .complete
            .iter()
            .map(|d| format!("{}={}", settings.label, d.display()))
            .collect(),
        sla: settings.sla.clone(),
        stat: settings.sla_stat,
        gpus: settings.gpus,
    };
    let lead = [format!("Capacity search: {answer}")];
    code = code.max(finish::report_into_leading(
        &report,
        &root.join("report"),
        &lead,
    ));
    Ok(code)
}

/// Throughput at the capacity: the mean over the capacity probe's runs.
fn throughput(measured: &[Measured], capacity: Option<u64>) -> Throughput {
    let Some(m) = measured.iter().find(|m| Some(m.concurrency) == capacity) else {
        return Throughput::default();
    };
    let mean = |metric: Metric| {
        let v: Vec<f64> = m.points.iter().filter_map(|p| p.get(metric)).collect();
        crate::model::stats::mean(&v)
    };
    Throughput {
        requests_per_s: mean(Metric::RequestThroughput),
        output_tokens_per_s: mean(Metric::OutputTokenThroughput),
        output_tokens_per_s_gpu: mean(Metric::TokensPerSGpu),
    }
}

fn say_how_it_ended(o: &Outcome, s: &SearchSettings, root: &Path) {
    eprintln!(
        "capacity search in {}: {} probe runs complete (this run: {} ran, {} read back as already complete, {} failed; --max-concurrency {}, --precision {} %)",
        root.display(),
        o.complete.len(),
        o.ran,
        o.skipped,
        o.failed.len(),
        s.max_concurrency,
        s.precision_pct
    );
    for (name, reason) in &o.failed {
        eprintln!("  failed: {name}: {reason}");
    }
    if let Some(why) = &o.stopped {
        eprintln!("stopped early: {why}; a rerun goes on with the search from the probes complete");
    }
}
