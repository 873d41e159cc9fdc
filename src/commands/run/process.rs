//! Child processes the runner owns: each in its own process group, output to files, stopped
//! as a whole group (SIGTERM, then SIGKILL after a grace period) so nothing is orphaned.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How often waits look at the child, the clock and the signal flag.
pub const POLL: Duration = Duration::from_millis(25);

/// What to run and where its output goes.
#[derive(Clone, Debug)]
pub struct Spec {
    pub argv: Vec<String>,
    /// Added to (not replacing) the runner's own environment.
    pub env: Vec<(String, String)>,
    pub stdout: PathBuf,
    /// `None`: stderr goes to the stdout file too.
    pub stderr: Option<PathBuf>,
    /// Append to the output files (a server log across restarts) instead of truncating.
    pub append: bool,
}

/// A running child that leads its own process group.
#[derive(Debug)]
pub struct Group {
    child: Child,
    pgid: libc::pid_t,
    status: Option<ExitStatus>,
}

/// How a wait ended.
#[derive(Debug)]
pub enum Waited {
    Exited(ExitStatus),
    TimedOut,
    /// The caller's `stop` check asked to stop waiting.
    Stopped,
}

impl Group {
    pub fn spawn(spec: &Spec) -> io::Result<Group> {
        let (program, args) = spec
            .argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
        let stdout = open_log(&spec.stdout, spec.append)?;
        let stderr = match &spec.stderr {
            Some(p) => open_log(p, spec.append)?,
            None => stdout.try_clone()?,
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start `{program}`: {e}")))?;
        let pgid = libc::pid_t::try_from(child.id())
            .map_err(|_| io::Error::other("process id out of range"))?;
        Ok(Group {
            child,
            pgid,
            status: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the leader has exited (reaping it).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for the leader until it exits, `deadline` passes or `stop()` says so.
    pub fn wait(&mut self, deadline: Option<Instant>, stop: &mut dyn FnMut() -> bool) -> Waited {
        loop {
            if let Some(s) = self.try_wait() {
                return Waited::Exited(s);
            }
            if stop() {
                return Waited::Stopped;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Waited::TimedOut;
            }
            thread::sleep(POLL);
        }
    }

    /// Stops the whole group: SIGTERM, then SIGKILL for whatever is left after `grace`
    /// (or at once when `hurry()` turns true, e.g. on a second Ctrl-C). Returns the leader's
    /// exit status. Members that left the group on their own (setsid) are beyond reach.
    pub fn stop(&mut self, grace: Duration, hurry: &dyn Fn() -> bool) -> Option<ExitStatus> {
        let start = Instant::now();
        if self.group_alive() {
            signal_group(self.pgid, libc::SIGTERM);
        }
        let mut killed = false;
        loop {
            self.try_wait();
            if self.status.is_some() && !self.group_alive() {
                break;
            }
            let overdue = start.elapsed() >= grace || hurry();
            if overdue && !killed {
                signal_group(self.pgid, libc::SIGKILL);
                killed = true;
            }
            // After SIGKILL the leader exits at once; stragglers reparented to init are
            // reaped by it. Give up waiting for them only after a generous bound.
            if killed && start.elapsed() >= grace + Duration::from_secs(5) {
                break;
            }
            thread::sleep(POLL);
        }
        if self.status.is_none() {
            self.status = self.child.wait().ok();
        }
        self.status
    }

    /// Whether any process of the group still runs. Zombies do not count: a grandchild
    /// reparented to an init that is slow to reap it is already dead.
    fn group_alive(&self) -> bool {
        // SAFETY: kill with signal 0 only checks for existence and permission.
        let exists = unsafe { libc::killpg(self.pgid, 0) == 0 };
        exists && live_members(self.pgid).unwrap_or(true)
    }
}

/// Whether a process of group `pgid` is running (not a zombie), from /proc; `None` without /proc.
fn live_members(pgid: libc::pid_t) -> Option<bool> {
    let entries = fs::read_dir("/proc").ok()?;
    let pgid = pgid.to_string();
    for e in entries.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let [state, _ppid, pgrp, ..] = fields.as_slice() {
            if *pgrp == pgid && *state != "Z" && *state != "X" {
                return Some(true);
            }
        }
    }
    Some(false)
}

impl Drop for Group {
    /// Early returns and panics must not leave a server or client running.
    fn drop(&mut self) {
        if self.status.is_none() || self.group_alive() {
            self.stop(Duration::from_secs(2), &|| false);
        }
    }
}

fn signal_group(pgid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: killpg has no memory-safety preconditions; errors (ESRCH) are expected and ignored.
    unsafe {
        libc::killpg(pgid, sig);
    }
}

/// On Linux, the direct child gets SIGTERM if the runner itself dies (even by SIGKILL),
/// the last line of defence against an orphaned server.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

fn open_log(path: &Path, append: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true);
    if append {
        o.append(true);
    } else {
        o.write(true).truncate(true);
    }
    o.open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Says how a process ended: `exit code 3` or `killed by signal 9`.
pub fn describe(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "ended".into(),
    }
}

/// The last `lines` lines of a log file (reading at most its last 64 KiB); empty if unreadable.
pub fn tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 64 * 1024;
    let Ok(mut f) = File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if f.seek(SeekFrom::Start(len.saturating_sub(MAX))).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs a short command (`aiperf --version`, `nvidia-smi`) and returns its stdout, or `None`
/// when it cannot start, fails or outlives `timeout`.
pub fn probe(argv: &[String], timeout: Duration) -> Option<String> {
    let dir = std::env::temp_dir();
    let out = dir.join(format!(
        "adreport-probe-{}-{:?}.txt",
        std::process::id(),
        thread::current().id()
    ));
    let spec = Spec {
        argv: argv.to_vec(),
        env: Vec::new(),
        stdout: out.clone(),
        stderr: Some(PathBuf::from("/dev/null")),
        append: false,
    };
    let result = (|| {
        let mut g = Group::spawn(&spec).ok()?;
        match g.wait(Some(Instant::now() + timeout), &mut || false) {
            Waited::Exited(s) if s.success() => {
                g.stop(Duration::from_secs(1), &|| false);
                fs::read_to_string(&out).ok()
            }
            _ => None,
        }
    })();
    let _ = fs::remove_file(&out);
    result.map(|s| s.trim_end().to_string())
}

/// Whether `program` names an executable file, directly or on PATH.
pub fn on_path(program: &str) -> bool {
    let is_exe = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return is_exe(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| is_exe(&d.join(program))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, out: &Path) -> Spec {
        Spec {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            env: vec![("ADREPORT_T".into(), "v".into())],
            stdout: out.to_path_buf(),
            stderr: None,
            append: false,
        }
    }

    #[test]
    fn captures_output_and_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.log");
        let mut g = Group::spawn(&sh("echo $ADREPORT_T; echo err >&2; exit 3", &out)).unwrap();
        let Waited::Exited(s) = g.wait(None, &mut || false) else {
            panic!("expected exit")
        };
        assert_eq!(describe(&s), "exit code 3");
        assert_eq!(fs::read_to_string(&out).unwrap(), "v\nerr\n");
    }

    #[test]
    fn timeout_then_stop_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.log");
        // A grandchild that ignores SIGTERM: only the group SIGKILL gets it.
        let script = "trap '' TERM; sleep 30 & echo $!; wait";
        let mut g = Group::spawn(&sh(script, &out)).unwrap();
        let deadline = Some(Instant::now() + Duration::from_millis(300));
        assert!(matches!(g.wait(deadline, &mut || false), Waited::TimedOut));
        let status = g.stop(Duration::from_millis(200), &|| false).unwrap();
        assert_eq!(describe(&status), "killed by signal 9");
        let grandchild: i32 = fs::read_to_string(&out).unwrap().trim().parse().unwrap();
        // SAFETY: signal 0 only probes.
        let alive = unsafe { libc::kill(grandchild, 0) == 0 };
        let zombie = fs::read_to_string(format!("/proc/{grandchild}/stat"))
            .is_ok_and(|s| s.contains(") Z "));
        assert!(!alive || zombie, "grandchild {grandchild} survived");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.log");
        fs::write(&p, "a\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&p, 2), "c\nd");
        assert_eq!(tail(&dir.path().join("missing"), 2), "");
    }

    #[test]
    fn probe_returns_stdout_or_none() {
        assert_eq!(
            probe(&["echo".into(), "1.2".into()], Duration::from_secs(5)),
            Some("1.2".into())
        );
        assert_eq!(probe(&["false".into()], Duration::from_secs(5)), None);
        assert_eq!(
            probe(&["/nonexistent/x".into()], Duration::from_secs(5)),
            None
        );
    }
}
