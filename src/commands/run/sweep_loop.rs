//! The loop over a sweep's points: skip complete ones, run the rest one client at a time,
//! judge each, and apply the failure policy (stop, restart the server and retry, or skip).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::complete::{is_complete, mark_complete, verify};
use super::gpu_trace::GpuTrace;
use super::manifest::{self, ClientRecord, Manifest, Status};
use super::plan::{ClientCmd, Driver, Health, OnFailure, Outcome, PointSpec, Policy, SweepPlan};
use super::process::{self, Group, Spec, Waited};
use super::progress::Progress;
use super::signals::{hurry, interrupted, last_signal};
use super::{RunError, CLIENT_STDERR, CLIENT_STDOUT, TAIL_LINES};

/// Runs the sweep: skips complete points, runs the rest, applies the failure policy.
/// Stops the driver's server before returning, whatever happened. `Err` only when nothing
/// could start; an error once points run (a point directory that cannot be written) ends
/// the sweep with `Outcome::stopped` saying why.
pub fn run(driver: &mut dyn Driver, sweep: &SweepPlan) -> Result<Outcome, RunError> {
    for p in &sweep.points {
        check_point_name(&p.name)?;
    }
    fs::create_dir_all(&sweep.root).map_err(|e| RunError::io(&sweep.root, e))?;
    let mut outcome = Outcome::default();
    let todo: Vec<&PointSpec> = sweep
        .points
        .iter()
        .filter(|p| sweep.policy.force || !is_complete(&sweep.root.join(&p.name)))
        .collect();
    outcome.skipped = sweep.points.len() - todo.len();
    let progress = Progress::new(todo.len());
    if outcome.skipped > 0 {
        progress.say(&format!(
            "skipping {} complete point(s) in {} (--force redoes them)",
            outcome.skipped,
            sweep.root.display()
        ));
    }
    if !todo.is_empty() {
        if let Err(e) = driver.start(&progress) {
            driver.stop();
            progress.finish();
            if !interrupted() {
                return Err(e);
            }
            outcome.signal = Some(last_signal());
            outcome.stopped = Some("interrupted while starting".into());
        } else {
            run_points(driver, sweep, &todo, &progress, &mut outcome);
            driver.stop();
        }
    }
    progress.finish();
    outcome.complete = sweep
        .points
        .iter()
        .map(|p| sweep.root.join(&p.name))
        .filter(|d| is_complete(d))
        .collect();
    Ok(outcome)
}

fn run_points(
    driver: &mut dyn Driver,
    sweep: &SweepPlan,
    todo: &[&PointSpec],
    progress: &Progress,
    outcome: &mut Outcome,
) {
    let nvidia_smi = sweep.nvidia_smi.clone();
    let mut restarts = 0u32;
    for (i, point) in todo.iter().enumerate() {
        let (n, total) = (i + 1, todo.len());
        let mut attempt = 1;
        loop {
            if interrupted() {
                outcome.signal = Some(last_signal());
                outcome.stopped = Some(format!("interrupted by signal {}", last_signal()));
                return;
            }
            progress.begin(n, total, &point.name);
            let ctx = PointCtx {
                sweep,
                point,
                attempt,
                nvidia_smi: nvidia_smi.as_deref(),
            };
            // An error of adreport's own (a point's files cannot be written, the client
            // cannot start) ends the sweep; the outcome still lists what is complete.
            let result = match run_point(driver, &ctx) {
                Ok(r) => r,
                Err(e) => {
                    outcome.stopped = Some(e.to_string());
                    return;
                }
            };
            let next = match result {
                PointResult::Complete(summary) => {
                    progress.end(n, total, &point.name, &summary);
                    outcome.ran += 1;
                    Next::Advance
                }
                PointResult::Interrupted => {
                    progress.end(
                        n,
                        total,
                        &point.name,
                        "interrupted; finished points are kept",
                    );
                    outcome.signal = Some(last_signal());
                    outcome.stopped = Some(format!("interrupted by signal {}", last_signal()));
                    Next::End
                }
                PointResult::Failed {
                    reason,
                    server_dead,
                } => {
                    progress.end(n, total, &point.name, &format!("FAILED: {reason}"));
                    let failure = Failure {
                        point,
                        reason,
                        server_dead,
                        attempt,
                    };
                    after_failure(
                        driver,
                        &sweep.policy,
                        failure,
                        &mut restarts,
                        progress,
                        outcome,
                    )
                }
            };
            match next {
                Next::Retry => attempt += 1,
                Next::Advance => break,
                Next::End => return,
            }
        }
        progress.advance();
    }
}

/// What the sweep does after a point.
enum Next {
    Retry,
    Advance,
    End,
}

struct Failure<'a> {
    point: &'a PointSpec,
    reason: String,
    server_dead: bool,
    attempt: u32,
}

/// Applies `--on-failure`: stop, or restart a dead server and retry (restart) or go on (skip).
fn after_failure(
    driver: &mut dyn Driver,
    policy: &Policy,
    f: Failure,
    restarts: &mut u32,
    progress: &Progress,
    outcome: &mut Outcome,
) -> Next {
    if let (true, Health::Dead { log_tail, .. }) = (f.server_dead, driver.check(false)) {
        progress.say(&format!(
            "last lines of the server log:\n{}",
            last_lines(&log_tail, 10)
        ));
    }
    let end = |why: String, outcome: &mut Outcome| {
        outcome
            .failed
            .push((f.point.name.clone(), f.reason.clone()));
        outcome.stopped = Some(why);
        Next::End
    };
    if policy.on_failure == OnFailure::Stop {
        return end("--on-failure stop".into(), outcome);
    }
    if f.server_dead {
        if *restarts >= policy.max_restarts {
            let why = format!(
                "the server died and --max-restarts {} is used up",
                policy.max_restarts
            );
            return end(why, outcome);
        }
        *restarts += 1;
        progress.say(&format!(
            "restarting the server ({restarts} of at most {})",
            policy.max_restarts
        ));
        let restarted = driver.restart(progress);
        if interrupted() {
            outcome.signal = Some(last_signal());
            return end(format!("interrupted by signal {}", last_signal()), outcome);
        }
        if let Err(e) = restarted {
            return end(format!("cannot restart the server: {e}"), outcome);
        }
        if policy.on_failure == OnFailure::Restart && f.attempt == 1 {
            return Next::Retry;
        }
    }
    outcome.failed.push((f.point.name.clone(), f.reason));
    Next::Advance
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A point name is a plain directory name, or a few of them joined by `/` (the offline
/// runner groups points by backend: `pytorch/isl_128_osl_128_bs_64`). Never absolute, never `..`.
fn check_point_name(name: &str) -> Result<(), RunError> {
    let plain =
        |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\0');
    let ok = name.split('/').all(plain);
    if ok {
        Ok(())
    } else {
        Err(RunError::Usage(format!(
            "bad point directory name `{name}`"
        )))
    }
}

struct PointCtx<'a> {
    sweep: &'a SweepPlan,
    point: &'a PointSpec,
    attempt: u32,
    nvidia_smi: Option<&'a str>,
}

enum PointResult {
    /// With a one-line summary of the results.
    Complete(String),
    Failed {
        reason: String,
        server_dead: bool,
    },
    Interrupted,
}

/// How a client run ended, before the results are checked.
enum ClientEnd {
    Exited(std::process::ExitStatus),
    TimedOut(Duration),
    ServerDied(String),
    Interrupted,
}

/// `nvidia-smi` sampling into the point directory, when the machine has a GPU and the trace is
/// on. A trace that cannot start costs the point its GPU figures, not the point.
fn start_gpu_trace(ctx: &PointCtx, dir: &Path) -> Option<GpuTrace> {
    if !ctx.sweep.gpu_trace || ctx.nvidia_smi.is_none() {
        return None;
    }
    GpuTrace::start("nvidia-smi", dir)
        .map_err(|e| eprintln!("warning: no GPU trace for {}: {e}", dir.display()))
        .ok()
}

fn run_point(driver: &mut dyn Driver, ctx: &PointCtx) -> Result<PointResult, RunError> {
    let dir = ctx.sweep.root.join(&ctx.point.name);
    fresh_dir(&dir)?;
    let cmd = driver.client(ctx.point, &dir)?;
    let (tool, version) = driver.client_tool();
    let started = Instant::now();
    let mut m = Manifest {
        adreport_version: env!("CARGO_PKG_VERSION").into(),
        runner: ctx.sweep.runner.clone(),
        label: ctx.sweep.label.clone(),
        point: ctx.point.name.clone(),
        params: ctx.point.params.clone(),
        status: Status::Running,
        reason: None,
        attempt: ctx.attempt,
        started_at: manifest::now(),
        ended_at: None,
        wall_s: None,
        host: manifest::host_name(),
        client: ClientRecord {
            tool,
            version,
            argv: cmd.argv.clone(),
            env: cmd
                .env
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
            stdout: CLIENT_STDOUT.into(),
            stderr: CLIENT_STDERR.into(),
            ..ClientRecord::default()
        },
        context: driver.context(),
        nvidia_smi: ctx.nvidia_smi.map(String::from),
        log_tails: Map::new(),
    };
    m.write(&dir)?;
    // The GPU trace runs while the client does; dropping it (on any return) stops it.
    let trace = start_gpu_trace(ctx, &dir);
    let end = match run_client(driver, &cmd, &dir, &mut m, &ctx.sweep.policy) {
        Ok(end) => end,
        Err(e) => {
            m.status = Status::Failed;
            m.reason = Some(e.to_string());
            m.write(&dir)?;
            return Err(e);
        }
    };
    m.ended_at = Some(manifest::now());
    m.wall_s = Some(started.elapsed().as_secs_f64());
    // Stopped before the results are read, so the trace file is whole.
    if let Some(t) = trace {
        t.stop();
    }
    let stderr_tail = process::tail(&dir.join(CLIENT_STDERR), TAIL_LINES);
    let result = judge(driver, end, &dir);
    match &result {
        PointResult::Complete(_) => m.status = Status::Complete,
        PointResult::Interrupted => {
            m.status = Status::Interrupted;
            m.reason = Some(format!("interrupted by signal {}", last_signal()));
        }
        PointResult::Failed { reason, .. } => {
            m.status = Status::Failed;
            m.reason = Some(reason.clone());
            m.log_tails
                .insert("client_stderr".into(), Value::String(stderr_tail));
        }
    }
    if let (
        PointResult::Failed {
            server_dead: true, ..
        },
        Health::Dead { log_tail, .. },
    ) = (&result, driver.check(false))
    {
        m.log_tails.insert("server".into(), Value::String(log_tail));
    }
    m.context = driver.context();
    m.write(&dir)?;
    if matches!(result, PointResult::Complete(_)) {
        mark_complete(&dir)?;
    }
    Ok(result)
}

/// Removes what an earlier, unfinished or forced attempt left, so no stale file is read.
fn fresh_dir(dir: &Path) -> Result<(), RunError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| RunError::io(dir, e))?;
    }
    fs::create_dir_all(dir).map_err(|e| RunError::io(dir, e))
}

fn run_client(
    driver: &mut dyn Driver,
    cmd: &ClientCmd,
    dir: &Path,
    m: &mut Manifest,
    policy: &Policy,
) -> Result<ClientEnd, RunError> {
    let timeout = policy.point_timeout;
    let spec = Spec {
        argv: cmd.argv.clone(),
        env: cmd.env.clone(),
        stdout: dir.join(CLIENT_STDOUT),
        stderr: Some(dir.join(CLIENT_STDERR)),
        append: false,
    };
    let mut group = match Group::spawn(&spec) {
        Ok(g) => g,
        Err(e) => {
            // A client that cannot start fails every point the same way: say so plainly.
            return Err(RunError::Usage(format!(
                "{e} (the client; see --client-cmd)"
            )));
        }
    };
    m.client.pid = Some(group.pid());
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut dead: Option<String> = None;
    let waited = group.wait(deadline, &mut || {
        if interrupted() {
            return true;
        }
        if let Health::Dead { reason, .. } = driver.check(false) {
            dead = Some(reason);
            return true;
        }
        false
    });
    // Whatever happened, nothing of the client's group outlives the point.
    let status = group.stop(policy.client_grace, &hurry);
    if let Some(s) = status {
        use std::os::unix::process::ExitStatusExt;
        m.client.exit_code = s.code();
        m.client.signal = s.signal();
    }
    Ok(match waited {
        Waited::Exited(s) => ClientEnd::Exited(s),
        Waited::TimedOut => ClientEnd::TimedOut(timeout.unwrap_or_default()),
        Waited::Stopped => match dead {
            Some(reason) => ClientEnd::ServerDied(reason),
            None => ClientEnd::Interrupted,
        },
    })
}

/// Decides the point's fate from how the client ended, the server's health and the artifacts.
fn judge(driver: &mut dyn Driver, end: ClientEnd, dir: &Path) -> PointResult {
    let failed = |reason: String, server_dead: bool| PointResult::Failed {
        reason,
        server_dead,
    };
    match end {
        ClientEnd::Interrupted => PointResult::Interrupted,
        ClientEnd::ServerDied(reason) => failed(format!("the server died: {reason}"), true),
        ClientEnd::TimedOut(t) => {
            let dead = matches!(driver.check(true), Health::Dead { .. });
            failed(
                format!(
                    "the client ran over --point-timeout {}s and was killed",
                    t.as_secs()
                ),
                dead,
            )
        }
        ClientEnd::Exited(status) => {
            if let Health::Dead { reason, .. } = driver.check(true) {
                return failed(format!("the server died: {reason}"), true);
            }
            if !status.success() {
                let tail = process::tail(&dir.join(CLIENT_STDERR), 3);
                let tail = if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tail.replace('\n', " | "))
                };
                return failed(
                    format!("the client ended with {}{tail}", process::describe(&status)),
                    false,
                );
            }
            match verify(dir) {
                Ok(summary) => PointResult::Complete(summary),
                Err(e) => failed(
                    format!("the client exited 0 but its results do not read: {e}"),
                    false,
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_names_are_plain() {
        assert!(check_point_name("isl_1_osl_1_conc_1").is_ok());
        assert!(check_point_name("pytorch/isl_1_osl_1_bs_1").is_ok());
        for bad in ["", ".", "..", "/a", "a/", "a//b", "a/../b", "../a"] {
            assert!(check_point_name(bad).is_err(), "{bad}");
        }
    }
}
