//! Runner faults, each checked on both runners (`run online` over the mock server and the
//! aiperf stand-in, `run offline` over the trtllm-bench stand-in): SIGTERM (and SIGINT for
//! offline) mid-sweep, a point directory that cannot be written (disk full, read-only), and a
//! rerun over a point left half-done. What tests/run_online.rs and tests/run_offline.rs already
//! assert (server never ready or dying, client failing or hanging, Ctrl-C online) is not
//! repeated here.
//!
//! Every client runs through a shell wrapper that can, at one chosen point, hang in a process
//! group with a grandchild (for the signal tests) or break the point's directory right after
//! the real client wrote its results (for the write tests).

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

mod common;
use common::{
    aiperf_standin, complete, eventually, kill_tagged, logged_pids, mock_server, pids, proc_info,
    run_json, signal_and_wait, tagged_processes, text, trtllm_bench_standin, ADREPORT,
};

#[derive(Clone, Copy, Debug)]
enum Runner {
    Online,
    Offline,
}

/// One test's world: a temp dir whose path appears in the command line of every process the
/// test starts, a port for the mock server, and what to undo before the dir is removed.
struct Case {
    dir: tempfile::TempDir,
    runner: Runner,
    port: u16,
    /// More mock server flags.
    server_extra: String,
    undo: Vec<Vec<String>>,
}

impl Case {
    fn new(runner: Runner) -> Case {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let case = Case {
            dir: tempfile::tempdir().expect("tempdir"),
            runner,
            port,
            server_extra: String::new(),
            undo: Vec::new(),
        };
        fs::create_dir_all(case.out()).expect("out");
        case.write_wrapper();
        case
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn out(&self) -> PathBuf {
        self.path("out")
    }

    /// `OUT/LABEL`.
    fn root(&self) -> PathBuf {
        match self.runner {
            Runner::Online => self.out().join("sweep"),
            Runner::Offline => self.out().join("offline"),
        }
    }

    /// The directory of point `n` (a concurrency online, a batch size offline).
    fn point(&self, n: u64) -> PathBuf {
        match self.runner {
            Runner::Online => self.root().join(format!("isl_32_osl_16_conc_{n}")),
            Runner::Offline => self
                .root()
                .join(format!("_autodeploy/isl_64_osl_32_bs_{n}")),
        }
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn wrapper(&self) -> PathBuf {
        self.path("client-wrapper")
    }

    /// The client wrapper. At the point whose argv holds `$FAULT_AT`: with `FAULT_HANG=FILE`
    /// it writes its pid and a `sleep` grandchild's pid (whose command line does not carry the
    /// tag) to FILE and waits; with `FAULT_AFTER=CMD` it runs the real client, then
    /// `sh -c CMD fault POINT_DIR`, and exits with the client's code.
    fn write_wrapper(&self) {
        let real = match self.runner {
            Runner::Online => aiperf_standin(),
            Runner::Offline => trtllm_bench_standin().display().to_string(),
        };
        let script = format!(
            r#"#!/bin/sh
dir=; prev=
for a in "$@"; do
  case "$prev" in --artifact-dir) dir=$a;; --report_json) dir=$(dirname "$a");; esac
  prev=$a
done
hit=
case " $* " in *" $FAULT_AT "*) hit=1;; esac
if [ -n "$hit" ] && [ -n "$FAULT_HANG" ]; then
  sleep 300 &
  echo "$$ $!" > "$FAULT_HANG.tmp" && mv "$FAULT_HANG.tmp" "$FAULT_HANG"
  wait
fi
{real} "$@"
rc=$?
if [ -n "$hit" ] && [ -n "$FAULT_AFTER" ]; then sh -c "$FAULT_AFTER" fault "$dir"; fi
exit $rc
"#
        );
        fs::write(self.wrapper(), script).expect("wrapper");
        fs::set_permissions(self.wrapper(), fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// The argv matching point `n` in the wrapper.
    fn fault_at(&self, n: u64) -> String {
        match self.runner {
            Runner::Online => format!("--concurrency {n}"),
            Runner::Offline => format!("--max_batch_size {n}"),
        }
    }

    /// The sweep over points `ns`, without the report.
    fn args(&self, ns: &str) -> Vec<String> {
        let wrapper = self.wrapper().display().to_string();
        let out = self.out().display().to_string();
        let a: Vec<String> = match self.runner {
            Runner::Online => {
                let server = format!(
                    "{} --port {} --ttft-ms 5 --itl-ms 1 --spawn-helper --tag {} {}",
                    mock_server().display(),
                    self.port,
                    self.tag(),
                    self.server_extra
                );
                [
                    "run",
                    "online",
                    "--server-cmd",
                    &server,
                    "--client-cmd",
                    &wrapper,
                    "--concurrencies",
                    ns,
                    "--rounds",
                    "1",
                    "--isl",
                    "32",
                    "--osl",
                    "16",
                    "--stop-grace",
                    "2",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect()
            }
            Runner::Offline => [
                "run",
                "offline",
                "--model",
                "meta-llama/Llama-3.1-8B",
                "--vocab-size",
                "32000",
                "--num-requests",
                "16",
                "--isl",
                "64",
                "--osl",
                "32",
                "--batch-sizes",
                ns,
                "--trtllm-bench",
                &wrapper,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        };
        let mut a = a;
        a.extend(["--no-report".into(), "-o".into(), out]);
        a
    }

    fn command(&self, args: &[String], env: &[(&str, String)]) -> Command {
        let mut c = Command::new(ADREPORT);
        c.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("FAULT_AT")
            .env_remove("FAULT_HANG")
            .env_remove("FAULT_AFTER")
            .env_remove("TRTLLM_BENCH_STANDIN_SLEEP")
            .env_remove("TRTLLM_BENCH_STANDIN_FAIL_BS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[String], env: &[(&str, String)]) -> Output {
        self.command(args, env).output().expect("run adreport")
    }

    /// Runs `argv`; on success remembers `undo` for the end of the test.
    fn try_cmd(&mut self, argv: &[&str], undo: &[&str]) -> bool {
        let ok = Command::new(argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok && !undo.is_empty() {
            self.undo.push(undo.iter().map(|s| s.to_string()).collect());
        }
        ok
    }

    /// Runs (and forgets) the undo commands, newest first.
    fn undo_all(&mut self) {
        while let Some(argv) = self.undo.pop() {
            let _ = Command::new(&argv[0])
                .args(&argv[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Case {
    /// Nothing the test started keeps running; no mount or immutable flag outlives it.
    fn drop(&mut self) {
        kill_tagged(&self.tag());
        self.undo_all();
    }
}

/// Leftovers of a write that did not finish (`run.tmp~`, `.complete.tmp~`).
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with('~'))
                .collect()
        })
        .unwrap_or_default()
}

/// Live processes in process group `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    pids()
        .into_iter()
        .filter(|&pid| proc_info(pid).is_some_and(|(g, _)| g == pgid))
        .collect()
}

/// Nothing tagged, and none of `pids` or of their process groups, is left running.
fn assert_no_orphans(case: &Case, pids: &[i32]) {
    let left = || {
        let mut v = tagged_processes(&case.tag());
        for &p in pids {
            v.extend(proc_info(p).map(|_| p));
            v.extend(group_members(p));
        }
        v
    };
    assert!(
        eventually(5, || left().is_empty()),
        "processes left running: {:?}",
        left()
    );
}

/// The rerun finishes the sweep: `done` points skipped, the rest run, exit 0.
fn assert_rerun_completes(case: &Case, ns: &str, done: usize) -> String {
    let out = case.run(&case.args(ns), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let total = ns.split(',').count();
    assert!(
        stderr.contains(&format!("skipping {done} complete point(s)")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{total} of {total} points complete in {} (this run: {} ran, {done} skipped",
            case.root().display(),
            total - done
        )),
        "{stderr}"
    );
    for n in ns.split(',') {
        let dir = case.point(n.parse().expect("n"));
        assert!(complete(&dir), "{}", dir.display());
        assert_eq!(run_json(&dir)["status"], "complete");
        assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
    }
    stderr
}

// ---------------------------------------------------------------------------------------
// Signals

/// Sends `sig` while point 2 hangs (point 1 done, 4 not started): exit 128+sig, point 1 kept,
/// point 2 `interrupted`, the client's group (with its grandchild) and the server's gone; a
/// rerun runs 2 and 4 only.
fn signal_mid_sweep(runner: Runner, sig: i32) {
    let case = Case::new(runner);
    let pids_file = case.path("hang.pids");
    let env = [
        ("FAULT_AT", case.fault_at(2)),
        ("FAULT_HANG", pids_file.display().to_string()),
    ];
    let child: Child = case
        .command(&case.args("1,2,4"), &env)
        .spawn()
        .expect("spawn");
    let hanging = eventually(30, || pids_file.is_file());
    assert!(hanging, "point 2 did not start");
    let marker = fs::read_to_string(case.point(1).join(".complete")).expect("point 1 marker");
    let mut watched: Vec<i32> = fs::read_to_string(&pids_file)
        .expect("pids")
        .split_whitespace()
        .map(|p| p.parse().expect("pid"))
        .collect();
    assert_eq!(watched.len(), 2);
    let log = case.root().join("server.log");
    if let Runner::Online = runner {
        // The mock and its `sleep` helper, each found by pid and by process group.
        watched.extend(logged_pids(&log, "Started server process"));
        watched.extend(logged_pids(&log, "helper process"));
        assert_eq!(
            watched.len(),
            4,
            "{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
    }
    for &p in &watched {
        assert!(
            proc_info(p).is_some(),
            "pid {p} is not running before the signal"
        );
    }
    let out = signal_and_wait(child, sig);
    let stderr = text(&out.stderr);
    eprintln!("--- {runner:?} signal {sig}:\n{stderr}");
    assert_eq!(out.status.code(), Some(128 + sig), "{stderr}");
    assert!(
        stderr.contains(": interrupted; finished points are kept"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "stopped early: interrupted by signal {sig}; a rerun resumes with the points not complete"
        )),
        "{stderr}"
    );
    assert_no_orphans(&case, &watched);
    assert_eq!(
        fs::read_to_string(case.point(1).join(".complete")).expect("marker"),
        marker,
        "point 1 was touched"
    );
    let m = run_json(&case.point(2));
    assert_eq!(m["status"], "interrupted");
    assert_eq!(m["reason"], format!("interrupted by signal {sig}"));
    assert!(!complete(&case.point(2)));
    assert!(!case.point(4).exists());

    assert_rerun_completes(&case, "1,2,4", 1);
    assert_eq!(
        fs::read_to_string(case.point(1).join(".complete")).expect("marker"),
        marker
    );
    assert_no_orphans(&case, &[]);
}

#[test]
fn online_sigterm_mid_sweep() {
    signal_mid_sweep(Runner::Online, libc::SIGTERM);
}

#[test]
fn offline_sigterm_mid_sweep() {
    signal_mid_sweep(Runner::Offline, libc::SIGTERM);
}

/// run_offline.rs checks Ctrl-C by tag only; this adds the untagged grandchild and the group.
#[test]
fn offline_sigint_mid_sweep_kills_the_clients_whole_group() {
    signal_mid_sweep(Runner::Offline, libc::SIGINT);
}

/// SIGTERM while the server is still starting: exit 143, the server and its helper gone,
/// no point started.
#[test]
fn online_sigterm_while_the_server_starts() {
    let mut case = Case::new(Runner::Online);
    case.server_extra = "--startup-delay-ms 60000".into();
    let child = case.command(&case.args("1,2"), &[]).spawn().expect("spawn");
    let log = case.root().join("server.log");
    let starting = eventually(30, || {
        fs::read_to_string(&log).is_ok_and(|l| l.contains("Waiting for application startup."))
    });
    assert!(starting, "the server did not start");
    let mut watched = logged_pids(&log, "Started server process");
    watched.extend(logged_pids(&log, "helper process"));
    assert_eq!(
        watched.len(),
        2,
        "{}",
        fs::read_to_string(&log).unwrap_or_default()
    );
    let out = signal_and_wait(child, libc::SIGTERM);
    let stderr = text(&out.stderr);
    eprintln!("--- Online signal 15 while starting:\n{stderr}");
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("0 of 2 points complete")
            && stderr.contains("stopped early: interrupted while starting; a rerun resumes"),
        "{stderr}"
    );
    assert!(!case.point(1).exists());
    assert_no_orphans(&case, &watched);
}

// ---------------------------------------------------------------------------------------
// A point directory that cannot be written

/// How the test breaks point 2's directory once its client has written the results.
#[derive(Clone, Copy, Debug)]
enum Breakage {
    /// A tiny tmpfs on OUT, filled up (root only).
    DiskFull,
    /// chmod 0555 on the point dir; as root (which writes through 0555), a read-only bind
    /// mount of it.
    ReadOnly,
    /// chattr +i on the point dir (root, on filesystems with the flag).
    Immutable,
}

/// Sets the breakage up; `None` when this machine cannot do it.
fn prepare(case: &mut Case, how: Breakage) -> Option<(String, &'static str)> {
    let out = case.out().display().to_string();
    match how {
        Breakage::DiskFull => {
            let mounted = case.try_cmd(
                &["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", &out],
                &["umount", "-l", &out],
            );
            let filler = case.out().join("filler").display().to_string();
            mounted.then(|| {
                (
                    format!("cat /dev/zero > '{filler}' 2>/dev/null; exit 0"),
                    "No space left on device",
                )
            })
        }
        Breakage::ReadOnly => {
            let probe = case.path("probe");
            fs::create_dir(&probe).expect("probe dir");
            fs::set_permissions(&probe, fs::Permissions::from_mode(0o555)).expect("chmod");
            let writable = fs::write(probe.join("x"), "x").is_ok();
            fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).expect("chmod");
            let p = case.point(2).display().to_string();
            if !writable {
                fs::remove_dir_all(&probe).expect("probe");
                case.undo.push(vec!["chmod".into(), "0755".into(), p]);
                return Some(("chmod 0555 \"$1\"".into(), "Permission denied"));
            }
            // Root writes through 0555: a read-only bind mount of the directory instead.
            let probe_s = probe.display().to_string();
            let ro = case.try_cmd(&["mount", "--bind", &probe_s, &probe_s], &[])
                && case.try_cmd(&["mount", "-o", "remount,bind,ro", &probe_s], &[]);
            let refused = ro && fs::write(probe.join("x"), "x").is_err();
            let _ = case.try_cmd(&["umount", "-l", &probe_s], &[]);
            fs::remove_dir_all(&probe).expect("probe");
            refused.then(|| {
                case.undo.push(vec!["umount".into(), "-l".into(), p]);
                (
                    "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\"".into(),
                    "Read-only file system",
                )
            })
        }
        Breakage::Immutable => {
            let p = case.point(2).display().to_string();
            // The flag set in the wrapper is cleared at the end whatever happens.
            let probe = case.path("probe").display().to_string();
            fs::create_dir(&probe).expect("probe dir");
            let works = case.try_cmd(&["chattr", "+i", &probe], &[])
                && case.try_cmd(&["chattr", "-i", &probe], &[]);
            fs::remove_dir_all(&probe).expect("probe");
            works.then(|| {
                case.undo.push(vec!["chattr".into(), "-i".into(), p]);
                ("chattr +i \"$1\"".into(), "Operation not permitted")
            })
        }
    }
}

/// Undoes the breakage so the rerun can write.
fn repair(case: &mut Case, how: Breakage) {
    match how {
        Breakage::DiskFull => {
            fs::remove_file(case.out().join("filler")).expect("filler");
        }
        Breakage::ReadOnly => {
            case.undo_all();
            fs::set_permissions(case.point(2), fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Breakage::Immutable => case.undo_all(),
    }
}

/// Point 2's directory stops taking writes right after its client wrote the results: the run
/// says which file, exits 1, keeps point 1, leaves point 2 without a marker or half a file and
/// does not go on to point 4; once repaired, a rerun redoes 2 and runs 4.
fn unwritable_point(runner: Runner, how: Breakage) {
    let mut case = Case::new(runner);
    let Some((fault, errno)) = prepare(&mut case, how) else {
        common::skip(&format!(
            "{runner:?} {how:?}: this machine cannot make a directory refuse writes that way"
        ));
        return;
    };
    let env = [("FAULT_AT", case.fault_at(2)), ("FAULT_AFTER", fault)];
    let out = case.run(&case.args("1,2,4"), &env);
    let stderr = text(&out.stderr);
    eprintln!("--- {runner:?} {how:?}:\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let path = case.point(2).join("run.json");
    assert!(
        stderr.contains(&format!("stopped early: {}: {errno}", path.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 3 points complete")
            && stderr.contains("a rerun resumes with the points not complete"),
        "{stderr}"
    );
    assert!(complete(&case.point(1)));
    assert_eq!(run_json(&case.point(1))["status"], "complete");
    // The manifest written before the client ran is still whole; nothing half-written.
    assert!(!complete(&case.point(2)));
    assert_eq!(run_json(&case.point(2))["status"], "running");
    assert!(
        temp_files(&case.point(2)).is_empty(),
        "{:?}",
        temp_files(&case.point(2))
    );
    assert!(!case.point(4).exists(), "the sweep went on");
    assert_no_orphans(&case, &[]);

    repair(&mut case, how);
    assert_rerun_completes(&case, "1,2,4", 1);
}

#[test]
fn online_disk_full_while_writing_a_point() {
    unwritable_point(Runner::Online, Breakage::DiskFull);
}

#[test]
fn offline_disk_full_while_writing_a_point() {
    unwritable_point(Runner::Offline, Breakage::DiskFull);
}

#[test]
fn online_read_only_point_dir() {
    unwritable_point(Runner::Online, Breakage::ReadOnly);
    unwritable_point(Runner::Online, Breakage::Immutable);
}

#[test]
fn offline_read_only_point_dir() {
    unwritable_point(Runner::Offline, Breakage::ReadOnly);
    unwritable_point(Runner::Offline, Breakage::Immutable);
}

// ---------------------------------------------------------------------------------------
// Rerun over partial results

/// Point 2 as a run killed while writing it leaves it: whole, readable results, a `running`
/// manifest, half a marker in its temporary file, no `.complete`. The rerun redoes it.
fn partial_point_is_redone(runner: Runner) {
    let case = Case::new(runner);
    let out = case.run(&case.args("1,2"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let p2 = case.point(2);
    let first_start = run_json(&p2)["started_at"].clone();
    fs::remove_file(p2.join(".complete")).expect("marker");
    fs::write(p2.join(".complete.tmp~"), "complete at 20").expect("half marker");
    let manifest = fs::read_to_string(p2.join("run.json")).expect("run.json");
    fs::write(
        p2.join("run.json"),
        manifest.replace("\"status\": \"complete\"", "\"status\": \"running\""),
    )
    .expect("run.json");
    fs::write(p2.join("stale.txt"), "from the killed run").expect("stale");
    // A second has to pass for started_at (to the second) to tell the runs apart.
    thread::sleep(Duration::from_millis(1100));

    let stderr = assert_rerun_completes(&case, "1,2", 1);
    eprintln!("--- {runner:?} partial rerun:\n{stderr}");
    assert!(!p2.join("stale.txt").exists(), "the old directory was kept");
    assert_ne!(
        run_json(&p2)["started_at"],
        first_start,
        "point 2 was not rerun"
    );
    assert_no_orphans(&case, &[]);
}

#[test]
fn online_partial_point_is_redone() {
    partial_point_is_redone(Runner::Online);
}

#[test]
fn offline_partial_point_is_redone() {
    partial_point_is_redone(Runner::Offline);
}
