//! Sweep runners: run a client once per load point and never lose a finished point.
//!
//! This module is the core both runners share (`online` over a served model, `offline` over
//! trtllm-bench): the point list and directories, completion marking, resume, the failure
//! policy, per-point timeouts, progress and Ctrl-C. A runner plugs in through [`Driver`]:
//! what to start before the points (a server), the client command of each point, whether
//! the server is still alive, and how to restart and stop it.
//!
//! A point is complete only when its client exited 0, the server (if any) is still alive,
//! and adreport's own ingest reads its artifacts; then `run.json` is written and, last, the
//! `.complete` marker appears atomically (temporary file + rename). A rerun skips complete
//! points; anything else in a point directory is cleared before the point runs again.

pub mod autodeploy;
pub mod fanout;
pub mod http;
pub mod manifest;
pub mod offline;
pub mod online;
pub mod process;

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};

use crate::ingest::{self, IngestOptions, Input};
use crate::model::{Latency, Metric, Stat};

use crate::report::write_atomic;
use manifest::{ClientRecord, Manifest, Status};
use process::{Group, Spec, Waited};

/// The marker file whose presence means "this point is done and its results parse".
pub const COMPLETE: &str = ".complete";
/// The client's output files inside a point directory.
pub const CLIENT_STDOUT: &str = "client_stdout.log";
pub const CLIENT_STDERR: &str = "client_stderr.log";
/// Lines of a log shown and recorded when something fails.
pub const TAIL_LINES: usize = 30;

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad flags or config, found before anything started.
    #[error("{0}")]
    Usage(String),
    /// The server did not come up, or died and could not be brought back.
    #[error("{0}")]
    Server(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl RunError {
    pub fn io(path: &Path, source: std::io::Error) -> RunError {
        RunError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Signals

static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// From now on SIGINT and SIGTERM only set a flag the runner polls, so it can stop its
/// children (which sit in their own process groups and do not see a terminal's Ctrl-C).
/// Called by the commands, never by the library on its own.
pub fn install_signal_handlers() -> Result<(), RunError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
                .map_err(|e| format!("cannot install signal handlers: {e}"))?;
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    LAST_SIGNAL.store(sig, Ordering::SeqCst);
                    SIGNALS.fetch_add(1, Ordering::SeqCst);
                }
            });
            Ok(())
        })
        .clone()
        .map_err(RunError::Other)
}

/// A SIGINT or SIGTERM arrived.
pub fn interrupted() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// A second one arrived: skip grace periods.
pub fn hurry() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 1
}

pub fn last_signal() -> i32 {
    LAST_SIGNAL.load(Ordering::SeqCst)
}

// ---------------------------------------------------------------------------------------
// The plug-in interface

/// What happens after a failed point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// End the sweep at the first failed point.
    Stop,
    /// Restart a dead server and retry the point once; a point failing with the server alive is skipped.
    Restart,
    /// Leave the point failed and go on (restarting a dead server, without retrying the point).
    Skip,
}

/// How the sweep treats points.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Redo complete points.
    pub force: bool,
    pub on_failure: OnFailure,
    /// Server restarts allowed over the whole sweep.
    pub max_restarts: u32,
    /// Kill a client that runs longer than this.
    pub point_timeout: Option<Duration>,
    /// Time a stopped client gets between SIGTERM and SIGKILL.
    pub client_grace: Duration,
}

/// One load point: its directory name under the sweep root and the parameters recorded in run.json.
#[derive(Clone, Debug)]
pub struct PointSpec {
    pub name: String,
    pub params: Map<String, Value>,
}

/// The command a driver runs for a point.
#[derive(Clone, Debug)]
pub struct ClientCmd {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// What a driver says about its server.
#[derive(Clone, Debug)]
pub enum Health {
    Alive,
    Dead { reason: String, log_tail: String },
}

/// A runner's specifics. `online` drives a served model; `offline` has no server.
pub trait Driver {
    /// Gets ready for the first point to run (launch the server, wait for it). Not called
    /// when every point is already complete.
    fn start(&mut self, progress: &Progress) -> Result<(), RunError>;
    /// The client command of a point; `dir` exists and is empty.
    fn client(&mut self, point: &PointSpec, dir: &Path) -> Result<ClientCmd, RunError>;
    /// Whether the server is alive. `thorough` may ask it over the network; otherwise only
    /// the process is checked (this runs every few milliseconds while a client runs).
    fn check(&mut self, thorough: bool) -> Health;
    /// Brings a dead server back; `Err` when that is impossible (attached, no server).
    fn restart(&mut self, progress: &Progress) -> Result<(), RunError>;
    /// Stops whatever `start` started. Idempotent.
    fn stop(&mut self);
    /// The runner's part of run.json: server argv, URL, versions, config copies.
    fn context(&self) -> Value;
    /// The client tool's name and version for run.json.
    fn client_tool(&self) -> (String, Option<String>);
}

/// A sweep to run.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// `OUT/LABEL`: holds one directory per point.
    pub root: PathBuf,
    pub label: String,
    /// `online` or `offline`, recorded in run.json.
    pub runner: String,
    pub points: Vec<PointSpec>,
    pub policy: Policy,
}

/// How a sweep ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Directories of every complete point, those from earlier runs included, in sweep order.
    pub complete: Vec<PathBuf>,
    /// Points run (and completed) by this invocation.
    pub ran: usize,
    /// Points skipped because an earlier run completed them.
    pub skipped: usize,
    /// Failed points and why.
    pub failed: Vec<(String, String)>,
    /// Why the sweep ended before its last point, if it did.
    pub stopped: Option<String>,
    /// The signal that stopped it, if one did.
    pub signal: Option<i32>,
}

impl Outcome {
    /// 0 all done; 1 a point failed or the sweep stopped; 128+N after signal N (130 for Ctrl-C).
    pub fn exit_code(&self) -> u8 {
        match self.signal {
            Some(s) => u8::try_from(128 + s).unwrap_or(130),
            None if !self.failed.is_empty() || self.stopped.is_some() => 1,
            None => 0,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Progress

/// A progress bar with ETA on a terminal; plain lines on stderr otherwise (CI logs).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} points  {elapsed_precise} (ETA {eta})  {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Progress { bar }
    }

    /// A line above the bar (or on its own without one).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn begin(&self, n: usize, total: usize, name: &str) {
        match &self.bar {
            Some(b) => b.set_message(name.to_string()),
            None => eprintln!("[{n}/{total}] {name}: running"),
        }
    }

    fn end(&self, n: usize, total: usize, name: &str, what: &str) {
        self.say(&format!("[{n}/{total}] {name}: {what}"));
    }

    /// One point is done with, however it ended (a retried attempt is not).
    fn advance(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The sweep

/// Whether a point directory holds a finished point.
pub fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE).is_file()
}

/// Runs the sweep: skips complete points, runs the rest, applies the failure policy.
/// Stops the driver's server before returning, whatever happened. `Err` only when nothing
/// could start; an error once points run (a point directory that cannot be written) ends
/// the sweep with `Outcome::stopped` saying why.
pub fn run(driver: &mut dyn Driver, sweep: &Sweep) -> Result<Outcome, RunError> {
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
    sweep: &Sweep,
    todo: &[&PointSpec],
    progress: &Progress,
    outcome: &mut Outcome,
) {
    let nvidia_smi = manifest::nvidia_smi();
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
    sweep: &'a Sweep,
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

/// Reads the point's artifacts with adreport's own ingest; returns a one-line summary.
pub fn verify(dir: &Path) -> Result<String, String> {
    let input = Input {
        label: Some("point".into()),
        path: dir.to_path_buf(),
    };
    let sweep = ingest::load(&[input], &IngestOptions::default()).map_err(|e| e.to_string())?;
    if let Some(w) = sweep
        .warnings
        .iter()
        .find(|w| w.message.starts_with("left out"))
    {
        return Err(w.to_string());
    }
    let p = sweep
        .points
        .first()
        .ok_or_else(|| "no load point found".to_string())?;
    let mut parts = Vec::new();
    if let Some(ok) = p.get(Metric::RequestsOk) {
        parts.push(format!("{ok:.0} requests"));
    }
    if let Some(bad) = p.get(Metric::RequestsFailed).filter(|b| *b > 0.0) {
        parts.push(format!("{bad:.0} FAILED"));
    }
    if let Some(t) = p.get(Metric::OutputTokenThroughput) {
        parts.push(format!("{t:.1} output tok/s"));
    }
    if let Some(t) = p.get(Metric::Latency(Latency::Ttft, Stat::Avg)) {
        parts.push(format!("TTFT avg {t:.1} ms"));
    }
    if let Some(t) = p.get(Metric::Latency(Latency::Tpot, Stat::Avg)) {
        parts.push(format!("TPOT avg {t:.2} ms"));
    }
    Ok(format!("ok: {}", parts.join(", ")))
}

/// The marker goes last, through a temporary file and a rename: it is there whole or not at all.
fn mark_complete(dir: &Path) -> Result<(), RunError> {
    let text = format!("complete at {}\n", manifest::now());
    write_atomic(&dir.join(COMPLETE), text.as_bytes()).map_err(|e| RunError::Other(e.to_string()))
}

// ---------------------------------------------------------------------------------------
// Settings files: what both runners' `--config sweep.yaml` share

/// A command as text (split like a shell would) or as a list.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum CmdSpec {
    Text(String),
    Argv(Vec<String>),
}

/// A list of numbers as `"1 4 8"`, `"1,4,8"`, a preset name, a YAML list or one number.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum ListSpec {
    One(u64),
    Text(String),
    List(Vec<u64>),
}

impl ListSpec {
    /// The numbers (no presets), each > 0.
    pub fn numbers(self, what: &str) -> Result<Vec<u64>, RunError> {
        match self {
            ListSpec::One(n) => parse_list(&n.to_string(), what),
            ListSpec::Text(t) => parse_list(&t, what),
            ListSpec::List(v) => parse_list(
                &v.iter().map(u64::to_string).collect::<Vec<_>>().join(" "),
                what,
            ),
        }
    }
}

/// Splits a command given as text; a list is taken as is.
pub fn split_cmd(spec: CmdSpec, what: &str) -> Result<Vec<String>, RunError> {
    let argv = match spec {
        CmdSpec::Text(t) => shell_words::split(&t)
            .map_err(|e| RunError::Usage(format!("{what}: cannot split `{t}`: {e}")))?,
        CmdSpec::Argv(v) => v,
    };
    if argv.is_empty() {
        return Err(RunError::Usage(format!("{what} is empty")));
    }
    Ok(argv)
}

pub fn secs(v: f64, what: &str) -> Result<Duration, RunError> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(RunError::Usage(format!(
            "{what} takes seconds > 0, not {v}"
        )))
    }
}

/// Reads `--config sweep.yaml`: a mapping whose top-level keys are the flags' names, with
/// `-` or `_` (`server-cmd` or `server_cmd`). `example` shows the expected shape in errors.
pub fn load_settings_file<T>(path: &Path, example: &str) -> Result<T, RunError>
where
    T: serde::de::DeserializeOwned + Default,
{
    let text = fs::read_to_string(path).map_err(|e| RunError::io(path, e))?;
    let bad = |e: String| RunError::Usage(format!("{}: {e}", path.display()));
    let value: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let value = match value {
        serde_yaml::Value::Null => return Ok(T::default()),
        serde_yaml::Value::Mapping(m) => serde_yaml::Value::Mapping(
            m.into_iter()
                .map(|(k, v)| match k {
                    serde_yaml::Value::String(s) => {
                        (serde_yaml::Value::String(s.replace('_', "-")), v)
                    }
                    other => (other, v),
                })
                .collect(),
        ),
        _ => return Err(bad(format!("expected a mapping of settings ({example})"))),
    };
    serde_yaml::from_value(value).map_err(|e| bad(e.to_string()))
}

// ---------------------------------------------------------------------------------------
// After the sweep: what both runners print and the report they write

/// Says how the sweep ended, on stderr.
pub fn print_outcome(o: &Outcome, sweep: &Sweep) {
    eprintln!(
        "{} of {} points complete in {} (this run: {} ran, {} skipped as already complete, {} failed)",
        o.complete.len(),
        sweep.points.len(),
        sweep.root.display(),
        o.ran,
        o.skipped,
        o.failed.len()
    );
    for (name, reason) in &o.failed {
        eprintln!("  failed: {name}: {reason}");
    }
    if let Some(why) = &o.stopped {
        eprintln!("stopped early: {why}; a rerun resumes with the points not complete");
    }
}

/// `report` on `inputs` (`label=dir` each) into `out`; prints its warnings and summary.
pub fn write_report(
    inputs: &[String],
    out: &Path,
    sla: Option<&str>,
    gpus: Option<u64>,
) -> Result<crate::report::ReportRun, String> {
    use crate::analyze::findings::Settings;
    use crate::render::terminal;
    let settings = Settings {
        sla: sla
            .map(|s| crate::analyze::sla::Sla::parse(s, Stat::Avg))
            .transpose()?,
        fail_on_regression: None,
        fail_on_sla: false,
    };
    let done = crate::report::run(inputs, &IngestOptions { gpus }, &settings, out)
        .map_err(|e| e.to_string())?;
    for w in &done.sweep.warnings {
        eprintln!("warning: {w}");
    }
    print!(
        "{}",
        terminal::summary(&done.findings, terminal::use_color())
    );
    Ok(done)
}

/// The last line: where the report is and which file to open.
pub fn print_report_location(out: &Path, files: usize) {
    let html = out.join("report.html");
    let open = if html.is_file() {
        html
    } else {
        out.join("SUMMARY.txt")
    };
    println!(
        "\nreport: {} ({files} files; open {})",
        out.display(),
        open.display()
    );
}

/// Parses `--concurrencies`: a preset name or numbers separated by spaces or commas.
pub fn parse_list(text: &str, what: &str) -> Result<Vec<u64>, RunError> {
    let values: Result<Vec<u64>, _> =
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                    RunError::Usage(format!("{what}: `{s}` is not a whole number > 0"))
                })
            })
            .collect();
    let values = values?;
    if values.is_empty() {
        return Err(RunError::Usage(format!("{what}: no values in `{text}`")));
    }
    Ok(values)
}

/// `adreport run KIND ARGS...` parsed as the CLI would, for the runners' unit tests.
#[cfg(test)]
pub(crate) fn parse_run_command(
    kind: &str,
    args: &[&str],
) -> Result<crate::cli::RunCommand, RunError> {
    use clap::Parser;
    let argv = ["adreport", "run", kind]
        .into_iter()
        .chain(args.iter().copied());
    let cli = crate::cli::Cli::try_parse_from(argv).map_err(|e| RunError::Usage(e.to_string()))?;
    match cli.command {
        crate::cli::Command::Run(run) => Ok(run.command),
        _ => Err(RunError::Usage("not a run command".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_spaces_and_commas() {
        assert_eq!(parse_list("1 4, 8,16", "x").unwrap(), vec![1, 4, 8, 16]);
        assert!(parse_list("1 a", "--concurrencies")
            .unwrap_err()
            .to_string()
            .contains("`a`"));
        assert!(parse_list(" ", "x").is_err());
        assert!(parse_list("0", "x").is_err());
    }

    #[test]
    fn point_names_are_plain() {
        assert!(check_point_name("isl_1_osl_1_conc_1").is_ok());
        assert!(check_point_name("pytorch/isl_1_osl_1_bs_1").is_ok());
        for bad in ["", ".", "..", "/a", "a/", "a//b", "a/../b", "../a"] {
            assert!(check_point_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exit_codes() {
        let mut o = Outcome::default();
        assert_eq!(o.exit_code(), 0);
        o.failed.push(("p".into(), "r".into()));
        assert_eq!(o.exit_code(), 1);
        o.signal = Some(2);
        assert_eq!(o.exit_code(), 130);
    }
}
