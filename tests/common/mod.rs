//! What the integration tests share: paths into the repository, running the adreport binary,
//! reading what it wrote, and watching the processes a run starts. Each test file uses a
//! subset (`mod common;`), so items unused by one of them are allowed.
#![allow(dead_code)]

pub mod history;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::thread;
use std::time::{Duration, Instant};

use adreport::model::{Latency, Metric, Stat};
use serde_json::Value;

/// The repository root; the binary runs from here.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The adreport binary cargo built for these tests.
pub const ADREPORT: &str = env!("CARGO_BIN_EXE_adreport");

/// A path in the repository.
pub fn repo(rel: impl AsRef<Path>) -> PathBuf {
    Path::new(ROOT).join(rel)
}

/// A path under sample-results/ (the bundled real tool outputs).
pub fn sample(rel: impl AsRef<Path>) -> PathBuf {
    Path::new(ROOT).join("sample-results").join(rel)
}

/// A path under tests/data/ (hand-made and cut inputs, each dir with a README).
pub fn data(rel: impl AsRef<Path>) -> PathBuf {
    Path::new(ROOT).join("tests/data").join(rel)
}

/// Runs `adreport ARGS` from the repository root without colours; exit code, stdout and
/// stderr are in the `Output`.
pub fn adreport<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(ADREPORT)
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(ROOT)
        .output()
        .expect("run adreport")
}

/// As [`adreport`], with extra environment variables (e.g. `GITHUB_ACTIONS`).
pub fn adreport_env<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &OsStr)]) -> Output {
    let mut cmd = Command::new(ADREPORT);
    cmd.args(args).env("NO_COLOR", "1").current_dir(ROOT);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run adreport")
}

/// The points `adreport show PATH --format json` prints; fails the test on a non-zero exit.
pub fn show_json(path: impl AsRef<OsStr>) -> Vec<Value> {
    let path = path.as_ref();
    let out = adreport(&[
        OsStr::new("show"),
        path,
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

/// A fresh temporary directory whose name starts with `prefix`.
pub fn out_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("tempdir")
}

/// Process output as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A JSON file, parsed; a failure names the file.
pub fn json_of(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Copies a directory tree (files and subdirectories).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The latency metric `l` at statistic `s`.
pub fn lat(l: Latency, s: Stat) -> Metric {
    Metric::Latency(l, s)
}

// ---------------------------------------------------------------------------------------------
// Runs: point directories and the processes a sweep starts

/// The mock OpenAI server (examples/); `cargo test` builds examples next to the binaries.
pub fn mock_server() -> PathBuf {
    Path::new(ADREPORT)
        .parent()
        .expect("bin dir")
        .join("examples/mock_openai_server")
}

/// tests/bin/trtllm-bench: a Python script with trtllm-bench's command line and reports.
pub fn trtllm_bench_standin() -> PathBuf {
    repo("tests/bin/trtllm-bench")
}

/// The `--client` command of the aiperf stand-in (tests/clients/aiperf_standin.py): sends real
/// requests and writes aiperf-format artifacts.
pub fn aiperf_standin() -> String {
    format!("python3 {ROOT}/tests/clients/aiperf_standin.py")
}

/// A TCP port free on 127.0.0.1 right now (for a mock server).
///
/// Taken below the kernel's ephemeral range (`ip_local_port_range`, 32768-60999 by default):
/// a port the kernel hands out for `bind(0)` can be taken again at once by a client's outgoing
/// connection, and a mock server started a moment later then finds its port in use. Each port
/// is handed out once per test process; test processes start at different places (by pid).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20000;
    const SPAN: u32 = 12000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id() * 97 % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = (LOW + n % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A point directory the runner finished (its `.complete` marker is there).
pub fn complete(dir: &Path) -> bool {
    dir.join(".complete").is_file()
}

/// A point directory's run.json.
pub fn run_json(dir: &Path) -> Value {
    json_of(&dir.join("run.json"))
}

/// Every process id but this test's.
pub fn pids() -> Vec<i32> {
    let me = std::process::id() as i32;
    fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&pid| pid != me)
                .collect()
        })
        .unwrap_or_default()
}

/// Process group and command line of a live (non-zombie) process.
pub fn proc_info(pid: i32) -> Option<(i32, String)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (state, pgrp) = (fields.first()?, fields.get(2)?);
    if *state == "Z" || *state == "X" {
        return None;
    }
    let cmd = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some((pgrp.parse().ok()?, text(&cmd).replace('\0', " ")))
}

/// Running and not a zombie.
pub fn alive(pid: i32) -> bool {
    proc_info(pid).is_some()
}

/// Live processes whose command line contains `tag`.
pub fn tagged_processes(tag: &str) -> Vec<i32> {
    pids()
        .into_iter()
        .filter(|&pid| proc_info(pid).is_some_and(|(_, cmd)| cmd.contains(tag)))
        .collect()
}

/// Polls `f` until it holds or `secs` pass.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Pids from server.log lines like `INFO:     Started server process [123]`.
pub fn logged_pids(log: &Path, marker: &str) -> Vec<i32> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(marker))
        .filter_map(|l| l.rsplit_once('[')?.1.trim_end_matches(']').parse().ok())
        .collect()
}

/// Within 5 s, no live process's command line contains `tag` (a run leaves no orphans).
pub fn assert_no_processes_tagged(tag: &str) {
    assert!(
        eventually(5, || tagged_processes(tag).is_empty()),
        "processes left running: {:?}",
        tagged_processes(tag)
    );
}

/// Sends `sig` to a child this test started, waits up to 20 s for it to exit, and returns its
/// output.
pub fn signal_and_wait(mut child: Child, sig: i32) -> Output {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: a signal to a child process this test spawned.
    unsafe {
        libc::kill(pid, sig);
    }
    let exited = eventually(20, || matches!(child.try_wait(), Ok(Some(_))));
    assert!(exited, "adreport did not exit after signal {sig}");
    child.wait_with_output().expect("output")
}

/// SIGKILL to every live process tagged `tag`: a test cleaning up what it started.
pub fn kill_tagged(tag: &str) {
    for pid in tagged_processes(tag) {
        // SAFETY: SIGKILL to a process this test started (found by its unique tag).
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// A test (or part of one) that cannot run on this machine: prints `SKIP <test>: <why>` to
/// stdout where a plain `cargo test` shows it (written to the process's stdout, which the test
/// harness does not capture the way it captures `println!`), and fails the test when `CI` is
/// set, where everything must run: a skip must never pass for a test.
pub fn skip(why: &str) {
    use std::io::Write;
    // The harness names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}; CI is set, so this must run here (.ci/run installs and starts what the tests need)");
    }
    let _ = writeln!(
        std::io::stdout().lock(),
        "SKIP {test}: {why} (with CI set this fails)"
    );
}

// ---------------------------------------------------------------------------------------------
// Python packages a test reads adreport's files with

/// The pyarrow version `.ci/run` installs into its venv.
pub const PYARROW_VERSION: &str = "26.0.1";

/// A Python that imports every one of `modules`: `ADREPORT_TEST_PYTHON`, else the venv `.ci/run`
/// makes (`$TMPDIR/adreport-pyarrow-<version>`), else `python3`. `None` (the test skips, saying
/// so) when none does; under `CI` a missing module fails the test instead.
pub fn python_with(modules: &[&str], test: &str) -> Option<PathBuf> {
    let tmp = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let venv = tmp.join(format!("adreport-pyarrow-{PYARROW_VERSION}/bin/python"));
    let candidates: Vec<PathBuf> = std::env::var_os("ADREPORT_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv, PathBuf::from("python3")])
        .collect();
    let import = format!("import {}", modules.join(", "));
    for py in &candidates {
        let ok = Command::new(py)
            .args(["-c", &import])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py.clone());
        }
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    let why = format!(
        "no Python with {} (tried {}); .ci/run installs them into a venv, or set ADREPORT_TEST_PYTHON",
        modules.join(", "),
        tried.join(", ")
    );
    skip(&format!("{test}: {why}"));
    None
}

// ---------------------------------------------------------------------------------------------
// The browser

/// The chromium binary, or `None` (skip) when it is missing and `CI` is not set.
pub fn chromium() -> Option<PathBuf> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for c in candidates {
            let p = dir.join(c);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    skip(
        "chromium not found in PATH (install Debian's `chromium`, or set CHROMIUM=/path): the browser tests did not run",
    );
    None
}

/// `compare` of the bundled aiperf sweeps against `ttft=500,tpot=7` (the README's main job)
/// into a temp dir.
pub fn sample_compare() -> tempfile::TempDir {
    run_into(&[
        "compare",
        "sample-results/aiperf/baseline",
        "sample-results/aiperf/tuned",
        "--sla",
        "ttft=500,tpot=7",
    ])
}

/// `audit` of the bundled AIConfigurator 0.12 save dir against the hand-made TP8 sweep.
pub fn sample_audit() -> tempfile::TempDir {
    run_into(&[
        "audit",
        "--predicted",
        "sample-results/aiconfigurator/qwen3_32b_h200_isl4000_osl500",
        "--measured",
        "tests/data/audit/qwen3_32b_tp8_measured",
    ])
}

/// Runs adreport with `args` and `-o` a new temp dir, which it returns; a failure panics.
fn run_into(args: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", out.path().to_str().unwrap()]);
    let run = adreport(&all);
    assert!(run.status.success(), "{}", text(&run.stderr));
    out
}
