//! `--slurm`: each unit (config x repeat) with points not complete becomes one batch job;
//! the submitting process waits with a line per job change, shows how each job ended (the
//! tail of its log when it failed), applies `--on-failure`, and cancels its jobs on Ctrl-C.
//!
//! Every submission is recorded in `OUT/LABEL/slurm/jobs.json` (what `run status` reads):
//! a rerun waits for a job of an earlier submission that still runs instead of submitting the
//! unit twice.

pub mod queue;
pub mod record;
pub mod script;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use super::options::SlurmOptions;
use super::{Matrix, Unit};
use crate::commands::run::signals::last_signal;
use crate::commands::run::{interrupted, process, OnFailure, RunError};
use queue::JobState;
use record::JobRecord;

/// How often the queue is asked.
const POLL: Duration = Duration::from_secs(1);
/// Lines of a failed job's log shown.
const LOG_TAIL: usize = 20;

/// What the submission needs besides the matrix.
#[derive(Clone, Debug)]
pub struct Submission {
    pub opts: SlurmOptions,
    pub on_failure: OnFailure,
    /// Submit every unit, complete or not (the jobs redo their points).
    pub force: bool,
    /// The adreport the jobs run.
    pub exe: PathBuf,
    /// Where relative paths of the settings are taken from.
    pub workdir: PathBuf,
}

/// How the Slurm fan-out ended.
#[derive(Debug, Default)]
pub struct SlurmEnd {
    /// Job ids this invocation submitted.
    pub submitted: Vec<String>,
    /// Units that ended without all their points, and why.
    pub failed: Vec<(String, String)>,
    pub stopped: Option<String>,
    pub signal: Option<i32>,
    /// The jobs ran to their end here (not `--no-wait`, not `--dry-run`): report on them.
    pub waited: bool,
}

impl SlurmEnd {
    /// As a local sweep: 0 all done, 1 a unit failed or the run stopped, 128+N after signal N.
    pub fn exit_code(&self) -> u8 {
        match self.signal {
            Some(s) => u8::try_from(128 + s).unwrap_or(130),
            None if !self.failed.is_empty() || self.stopped.is_some() => 1,
            None => 0,
        }
    }
}

/// One job being waited for.
struct Active<'a> {
    unit: Unit<'a>,
    id: String,
    attempt: u32,
    /// The last state line shown, so only changes are printed.
    shown: String,
    /// Submitted by this adreport (not adopted from an earlier submission).
    ours: bool,
}

impl Active<'_> {
    fn line(&self, what: &str) {
        eprintln!("[slurm] {}: job {} {what}", self.unit.name(), self.id);
    }

    fn points(&self) -> String {
        self.unit.progress()
    }
}

/// Writes the job scripts; submits, waits and judges (unless `--dry-run` / `--no-wait`).
pub fn run(m: &Matrix, sub: &Submission) -> Result<SlurmEnd, RunError> {
    let settings = m.write_settings()?;
    let units = m.units();
    let mut end = SlurmEnd::default();
    let todo: Vec<Unit> = units
        .iter()
        .copied()
        .filter(|u| sub.force || !u.is_done())
        .collect();
    let done = units.len() - todo.len();
    if done > 0 {
        eprintln!(
            "[slurm] {done} of {} job(s) have every point complete: not submitted (--force redoes them)",
            units.len()
        );
    }
    for u in &todo {
        let settings = &settings[m.index(u)];
        let text = script::render(u, &sub.opts, &sub.exe, m.runner, settings, &sub.workdir)?;
        let path = script::script_path(u);
        crate::util::write::write_atomic(&path, text.as_bytes())
            .map_err(|e| RunError::Other(e.to_string()))?;
    }
    if sub.opts.dry_run {
        for u in &todo {
            println!("{}", script::script_path(u).display());
        }
        eprintln!(
            "[slurm] --dry-run: {} job script(s) written, nothing submitted",
            todo.len()
        );
        return Ok(end);
    }
    if todo.is_empty() {
        end.waited = true;
        return Ok(end);
    }
    if !queue::available() {
        return Err(RunError::Usage(
            "--slurm needs Slurm's sbatch, squeue, scontrol and scancel on PATH".into(),
        ));
    }
    if sub.opts.no_wait && sub.opts.max_jobs.is_some() {
        return Err(RunError::Usage(
            "--max-jobs needs adreport to wait and submit jobs as others end: drop --no-wait"
                .into(),
        ));
    }
    let (mut active, pending) = adopt_running(&todo)?;
    let mut pending: VecDeque<(Unit, u32)> = pending.into_iter().map(|u| (u, 1)).collect();
    let started = Instant::now();
    loop {
        if interrupted() {
            let (ours, theirs): (Vec<Active>, Vec<Active>) =
                active.into_iter().partition(|a| a.ours);
            cancel_all(&ours, &mut end, "interrupted");
            if !theirs.is_empty() {
                let ids: Vec<&str> = theirs.iter().map(|a| a.id.as_str()).collect();
                eprintln!(
                    "[slurm] job(s) {} of an earlier submission keep running; `adreport run status {}` shows them",
                    ids.join(" "),
                    m.out.display()
                );
            }
            end.signal = Some(last_signal());
            return Ok(end);
        }
        let room = sub.opts.max_jobs.unwrap_or(usize::MAX);
        while active.len() < room && end.stopped.is_none() {
            let Some((unit, attempt)) = pending.pop_front() else {
                break;
            };
            match submit(m, unit, attempt) {
                Ok(a) => {
                    end.submitted.push(a.id.clone());
                    active.push(a);
                }
                Err(e) => {
                    // Nothing runs yet: the cluster refused the jobs as asked (--gres, --partition...).
                    cancel_all(&active, &mut end, "a job was refused");
                    return Err(RunError::Usage(format!(
                        "sbatch refused the job of {}: {e}\n(script: {})",
                        unit.name(),
                        script::script_path(&unit).display()
                    )));
                }
            }
        }
        if sub.opts.no_wait {
            let ids: Vec<&str> = active.iter().map(|a| a.id.as_str()).collect();
            println!("{}", ids.join(" "));
            eprintln!(
                "[slurm] submitted; `adreport run status {}` shows their progress",
                m.out.display()
            );
            return Ok(end);
        }
        if active.is_empty() && (pending.is_empty() || end.stopped.is_some()) {
            break;
        }
        poll(&mut active, &mut pending, &mut end, sub.on_failure)?;
        sleep_unless_interrupted(POLL);
    }
    eprintln!(
        "[slurm] all jobs ended after {:.0}s",
        started.elapsed().as_secs_f64()
    );
    end.waited = true;
    Ok(end)
}

/// Jobs recorded by an earlier submission that are still queued or running: waited for,
/// not submitted again. Returns them and the units left to submit.
fn adopt_running<'a>(todo: &[Unit<'a>]) -> Result<(Vec<Active<'a>>, Vec<Unit<'a>>), RunError> {
    let mut recorded: Vec<(Unit, JobRecord)> = Vec::new();
    for u in todo {
        if let Some(r) = record::last_job(u) {
            recorded.push((*u, r));
        }
    }
    let ids: Vec<String> = recorded.iter().map(|(_, r)| r.id.clone()).collect();
    let states = if ids.is_empty() {
        Default::default()
    } else {
        queue::states(&ids).map_err(|e| RunError::Other(format!("squeue: {e}")))?
    };
    let mut active = Vec::new();
    for (u, r) in recorded {
        // The name guards against a job id Slurm has since given to another job.
        let running = states
            .get(&r.id)
            .is_some_and(|s| !s.is_final() && s.name == script::job_name(&u));
        if running {
            let a = Active {
                unit: u,
                id: r.id.clone(),
                attempt: r.attempt,
                shown: String::new(),
                ours: false,
            };
            a.line("of an earlier submission is still queued or running: waiting for it");
            active.push(a);
        }
    }
    let pending = todo
        .iter()
        .copied()
        .filter(|u| !active.iter().any(|a| same_unit(&a.unit, u)))
        .collect();
    Ok((active, pending))
}

fn same_unit(a: &Unit, b: &Unit) -> bool {
    a.config.label == b.config.label && a.repeat == b.repeat
}

fn submit<'a>(m: &Matrix, unit: Unit<'a>, attempt: u32) -> Result<Active<'a>, String> {
    let script = script::script_path(&unit);
    let id = queue::submit(&script)?;
    record::add(m, &unit, &id, attempt).map_err(|e| e.to_string())?;
    let a = Active {
        unit,
        id,
        attempt,
        shown: String::new(),
        ours: true,
    };
    let again = if attempt > 1 { " again" } else { "" };
    a.line(&format!(
        "submitted{again} ({}, log {})",
        a.points(),
        script::log_path(&a.unit, &a.id).display()
    ));
    Ok(a)
}

/// Asks the queue once: prints changes, judges the jobs that ended, applies `--on-failure`.
fn poll<'a>(
    active: &mut Vec<Active<'a>>,
    pending: &mut VecDeque<(Unit<'a>, u32)>,
    end: &mut SlurmEnd,
    on_failure: OnFailure,
) -> Result<(), RunError> {
    let ids: Vec<String> = active.iter().map(|a| a.id.clone()).collect();
    let states = match queue::states(&ids) {
        Ok(s) => s,
        Err(e) => {
            // A busy controller: say so and ask again at the next tick.
            eprintln!("[slurm] squeue: {e}");
            return Ok(());
        }
    };
    let mut ended = Vec::new();
    for (i, a) in active.iter_mut().enumerate() {
        let state = states.get(&a.id).cloned().or_else(|| queue::show(&a.id));
        let final_state = match state {
            Some(s) if !s.is_final() => {
                let now = format!("{} ({})", s.describe(), a.points());
                if now != a.shown {
                    a.line(&now);
                    a.shown = now;
                }
                continue;
            }
            // The exit code comes from scontrol; squeue does not show it.
            Some(s) => queue::show(&a.id).unwrap_or(s),
            None => JobState {
                state: "ENDED".into(),
                reason: "no longer known to Slurm".into(),
                nodes: String::new(),
                name: String::new(),
                exit_code: None,
            },
        };
        ended.push((i, final_state));
    }
    // Out of the active list first: a stop cancels what is left in it.
    let mut finished = Vec::new();
    for (i, state) in ended.into_iter().rev() {
        finished.push((active.remove(i), state));
    }
    for (a, state) in finished.into_iter().rev() {
        judge(a, &state, active, pending, end, on_failure);
    }
    Ok(())
}

fn judge<'a>(
    a: Active<'a>,
    state: &JobState,
    active: &mut Vec<Active<'a>>,
    pending: &mut VecDeque<(Unit<'a>, u32)>,
    end: &mut SlurmEnd,
    on_failure: OnFailure,
) {
    let ok = a.unit.is_done() && matches!(state.state.as_str(), "COMPLETED" | "ENDED");
    a.line(&format!("{}, {}", state.describe(), a.points()));
    if ok {
        return;
    }
    let log = script::log_path(&a.unit, &a.id);
    let tail = process::tail(&log, LOG_TAIL);
    if tail.trim().is_empty() {
        eprintln!("  (its log {} is empty or missing)", log.display());
    } else {
        eprintln!("  last lines of {}:", log.display());
        for l in tail.lines() {
            eprintln!("    {l}");
        }
    }
    let why = format!("job {} {}, {}", a.id, state.describe(), a.points());
    match on_failure {
        OnFailure::Restart if a.attempt == 1 => {
            eprintln!(
                "[slurm] {}: submitting it once more (--on-failure restart)",
                a.unit.name()
            );
            pending.push_front((a.unit, a.attempt + 1));
        }
        OnFailure::Stop => {
            end.failed.push((a.unit.name(), why));
            pending.clear();
            cancel_all(active, end, "--on-failure stop");
            active.clear();
            end.stopped = Some(format!("{} failed (--on-failure stop)", a.unit.name()));
        }
        _ => end.failed.push((a.unit.name(), why)),
    }
}

/// Cancels the jobs still queued or running and says so.
fn cancel_all(active: &[Active], end: &mut SlurmEnd, why: &str) {
    let ids: Vec<String> = active.iter().map(|a| a.id.clone()).collect();
    if ids.is_empty() {
        return;
    }
    match queue::cancel(&ids) {
        Ok(()) => eprintln!("[slurm] {why}: cancelled job(s) {}", ids.join(" ")),
        Err(e) => {
            eprintln!(
                "[slurm] {why}: scancel {} failed: {e}; cancel them by hand",
                ids.join(" ")
            );
            end.stopped
                .get_or_insert_with(|| format!("scancel failed: {e}"));
        }
    }
}

fn sleep_unless_interrupted(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until && !interrupted() {
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_local_runner() {
        let mut e = SlurmEnd::default();
        assert_eq!(e.exit_code(), 0);
        e.failed.push(("a".into(), "job 1 FAILED".into()));
        assert_eq!(e.exit_code(), 1);
        e.signal = Some(2);
        assert_eq!(e.exit_code(), 130);
    }
}
