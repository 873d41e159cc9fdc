//! `adreport run online --slurm` on a REAL private one-node Slurm cluster (Debian's slurmctld,
//! slurmd, slurm-client and munge), which this file starts once with tests/bin/slurm-local.sh
//! and stops when the test process exits. The jobs run the mock OpenAI server (examples/) and
//! the aiperf stand-in (tests/clients/) by absolute path, as root, like the submitting test.
//!
//! Without Slurm installed the tests are skipped with a message, unless `CI` is set (then they
//! fail): `apt-get install -y slurmctld slurmd slurm-client munge` (what .ci/run does).
//! They run one at a time: the cluster has the CPUs of this machine and each job takes one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use serde_json::Value;

mod common;
use common::{
    aiperf_standin, complete, eventually, free_port, json_of, kill_tagged, mock_server, show_json,
    signal_and_wait, tagged_processes, text, ADREPORT, ROOT,
};

// ---------------------------------------------------------------------------------------------
// The cluster

/// `SLURM_CONF` of the running cluster, once started; `None` when Slurm is not installed.
static CLUSTER: OnceLock<Option<String>> = OnceLock::new();
/// One test at a time on the cluster.
static SERIAL: Mutex<()> = Mutex::new(());

fn script() -> String {
    format!("{ROOT}/tests/bin/slurm-local.sh")
}

fn installed() -> bool {
    ["slurmctld", "slurmd", "sbatch", "munged"].iter().all(|b| {
        Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

extern "C" fn stop_cluster() {
    let _ = Command::new(script())
        .arg("stop")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The cluster for one test, started on first use (stopped when the test process exits);
/// `None`: skip the test.
fn cluster() -> Option<(String, MutexGuard<'static, ()>)> {
    let conf = CLUSTER.get_or_init(|| {
        if !installed() {
            return None;
        }
        let t = Instant::now();
        let out = Command::new(script())
            .arg("start")
            .output()
            .expect("slurm-local.sh");
        assert!(
            out.status.success(),
            "the local Slurm cluster did not start:\n{}",
            text(&out.stderr)
        );
        // SAFETY: registers a plain function to run at process exit.
        unsafe {
            libc::atexit(stop_cluster);
        }
        let conf = text(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("export SLURM_CONF=").map(str::to_string))
            .expect("SLURM_CONF line");
        eprintln!(
            "local Slurm cluster up in {:.1}s ({conf})",
            t.elapsed().as_secs_f64()
        );
        Some(conf)
    });
    match conf {
        None => {
            common::skip("Slurm is not installed (apt-get install -y slurmctld slurmd slurm-client munge): the --slurm test did not run");
            None
        }
        Some(c) => Some((c.clone(), SERIAL.lock().unwrap_or_else(|p| p.into_inner()))),
    }
}

// ---------------------------------------------------------------------------------------------
// One test's sweep

struct Case {
    dir: tempfile::TempDir,
    conf: String,
    ports: [u16; 2],
    _serial: MutexGuard<'static, ()>,
}

impl Case {
    fn new() -> Option<Case> {
        let (conf, serial) = cluster()?;
        let a = free_port();
        let mut b = free_port();
        while b == a {
            b = free_port();
        }
        Some(Case {
            dir: tempfile::tempdir().expect("tempdir"),
            conf,
            ports: [a, b],
            _serial: serial,
        })
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn point(&self, label: &str, c: u64) -> PathBuf {
        self.out().join(format!("{label}/isl_32_osl_16_conc_{c}"))
    }

    fn server(&self, i: usize, extra: &str) -> String {
        format!(
            "{} --port {} --ttft-ms 5 --itl-ms 1 --tag {} {extra}",
            mock_server().display(),
            self.ports[i],
            self.tag()
        )
    }

    /// sweep.yaml with the configs `base` and `tuned` (their server commands given).
    fn config(&self, base: &str, tuned: &str) -> PathBuf {
        let path = self.dir.path().join("sweep.yaml");
        let yaml = format!(
            "client-cmd: {}\n\
             concurrencies: [1, 2, 4]\nrounds: 2\nisl: 32\nosl: 16\nstop-grace: 2\n\
             configs:\n  - label: base\n    server-cmd: {base:?}\n  - label: tuned\n    server-cmd: {tuned:?}\n",
            aiperf_standin()
        );
        fs::write(&path, yaml).unwrap();
        path
    }

    fn args(&self, config: &Path, more: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = [
            "run",
            "online",
            "--config",
            &config.display().to_string(),
            "--slurm",
            "-o",
            &self.out().display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(more.iter().map(|s| s.to_string()));
        a
    }

    fn command(&self, args: &[String]) -> Command {
        let mut c = Command::new(ADREPORT);
        c.args(args)
            .env("NO_COLOR", "1")
            .env("SLURM_CONF", &self.conf)
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[String]) -> Output {
        self.command(args).output().expect("run adreport")
    }

    fn slurm(&self, argv: &[&str]) -> String {
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .env("SLURM_CONF", &self.conf)
            .output()
            .expect("slurm command");
        text(&out.stdout)
    }

    /// The ids of the jobs recorded for `label`.
    fn jobs(&self, label: &str) -> Vec<String> {
        let path = self.out().join(label).join("slurm/jobs.json");
        let Ok(t) = fs::read_to_string(path) else {
            return Vec::new();
        };
        let v: Value = serde_json::from_str(&t).expect("jobs.json");
        v["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .map(|j| j["id"].as_str().expect("id").to_string())
            .collect()
    }

    /// Jobs of this test Slurm still holds as queued or running.
    fn live_jobs(&self) -> Vec<String> {
        let ids: Vec<String> = ["base", "tuned"]
            .iter()
            .flat_map(|l| self.jobs(l))
            .collect();
        if ids.is_empty() {
            return ids;
        }
        self.slurm(&["squeue", "-h", "-o", "%i", "-j", &ids.join(",")])
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }
}

impl Drop for Case {
    /// Whatever a failed assertion left behind is not left running.
    fn drop(&mut self) {
        let live = self.live_jobs();
        if !live.is_empty() {
            let mut a = vec!["scancel"];
            a.extend(live.iter().map(String::as_str));
            self.slurm(&a);
        }
        kill_tagged(&self.tag());
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn two_configs_run_as_slurm_jobs_and_a_rerun_submits_nothing() {
    let Some(case) = Case::new() else { return };
    let cfg = case.config(&case.server(0, ""), &case.server(1, "--ttft-ms 15"));
    let t = Instant::now();
    // Submitted without waiting; then a rerun waits for those jobs instead of submitting again.
    let submitted = case.run(&case.args(&cfg, &["--no-wait"]));
    assert_eq!(
        submitted.status.code(),
        Some(0),
        "{}",
        text(&submitted.stderr)
    );
    let out = case.run(&case.args(&cfg, &[]));
    let stderr = text(&out.stderr);
    eprintln!(
        "two configs x three points as Slurm jobs: {:.1}s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr
            .matches("of an earlier submission is still queued or running: waiting for it")
            .count(),
        2,
        "{stderr}"
    );
    for label in ["base", "tuned"] {
        assert_eq!(case.jobs(label).len(), 1, "{label}: {stderr}");
        assert!(
            stderr.contains(&format!("[slurm] {label}: job ")),
            "{stderr}"
        );
        for c in [1u64, 2, 4] {
            let dir = case.point(label, c);
            assert!(complete(&dir), "{}: {stderr}", dir.display());
            let m = json_of(&dir.join("run.json"));
            assert_eq!(m["label"], label);
            assert_eq!(m["params"]["concurrency"], c);
        }
        // The script is kept, and the job's log names its Slurm job.
        let script = fs::read_to_string(case.out().join(label).join("slurm/job.sh")).unwrap();
        assert!(script.contains("#SBATCH --job-name=adreport-"), "{script}");
        let id = &case.jobs(label)[0];
        let log =
            fs::read_to_string(case.out().join(label).join(format!("slurm/job-{id}.log"))).unwrap();
        assert!(log.contains(&format!("Slurm job {id}")), "{log}");
    }
    assert!(
        stderr.contains("COMPLETED, 3/3 points complete"),
        "{stderr}"
    );
    // Two configs: the end report compares them, the first the baseline.
    assert!(case.out().join("report/SUMMARY.txt").is_file(), "{stderr}");

    let points = show_json(case.out());
    let mut seen: Vec<(String, u64)> = points
        .iter()
        .map(|p| {
            (
                p["label"].as_str().unwrap().to_string(),
                p["concurrency"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    let want: Vec<(String, u64)> = ["base", "tuned"]
        .iter()
        .flat_map(|l| [1u64, 2, 4].map(|c| (l.to_string(), c)))
        .collect();
    assert_eq!(seen, want);

    // A rerun finds every point complete and submits nothing.
    let out = case.run(&case.args(&cfg, &["--no-report"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 of 2 job(s) have every point complete: not submitted"),
        "{stderr}"
    );
    assert_eq!((case.jobs("base").len(), case.jobs("tuned").len()), (1, 1));
}

#[test]
fn a_cancelled_job_is_finished_by_a_rerun_and_only_its_missing_points_run() {
    let Some(case) = Case::new() else { return };
    // base is slow enough to be cancelled between its points.
    let cfg = case.config(&case.server(0, "--ttft-ms 400"), &case.server(1, ""));
    let out = case.run(&case.args(&cfg, &["--no-wait"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ids = text(&out.stdout);
    assert_eq!(ids.split_whitespace().count(), 2, "{ids}");
    assert!(stderr.contains("adreport run status"), "{stderr}");

    let first = case.point("base", 1);
    assert!(
        eventually(60, || complete(&first)),
        "base's first point never completed"
    );
    let base_job = case.jobs("base")[0].clone();
    case.slurm(&["scancel", &base_job]);
    let tuned_done = || {
        [1u64, 2, 4]
            .iter()
            .all(|&c| complete(&case.point("tuned", c)))
    };
    assert!(eventually(60, tuned_done), "tuned did not finish");
    assert!(
        eventually(30, || case.live_jobs().is_empty()),
        "jobs still queued: {:?}",
        case.live_jobs()
    );
    assert!(
        !complete(&case.point("base", 4)),
        "base was cancelled before its last point"
    );
    let first_marker = fs::read_to_string(first.join(".complete")).unwrap();

    // `run status` tells the cancellation.
    let status = case.run(&[
        "run".into(),
        "status".into(),
        case.out().display().to_string(),
    ]);
    let said = text(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(
        said.contains(&format!("job {base_job} CANCELLED")),
        "{said}"
    );
    assert!(said.contains("tuned: 3/3 points complete"), "{said}");

    let out = case.run(&case.args(&cfg, &["--no-report"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(case.jobs("base").len(), 2, "base submitted again: {stderr}");
    assert_eq!(
        case.jobs("tuned").len(),
        1,
        "tuned not submitted again: {stderr}"
    );
    for c in [1u64, 2, 4] {
        assert!(complete(&case.point("base", c)), "{stderr}");
    }
    // The point finished before the cancel was kept, not run again.
    assert_eq!(
        fs::read_to_string(first.join(".complete")).unwrap(),
        first_marker
    );
    let id = &case.jobs("base")[1];
    let log = fs::read_to_string(case.out().join(format!("base/slurm/job-{id}.log"))).unwrap();
    assert!(log.contains("skipping 1 complete point"), "{log}");
}

#[test]
fn a_job_that_fails_at_start_is_reported_with_its_log_tail() {
    let Some(case) = Case::new() else { return };
    let cfg = case.config("/nonexistent/trtllm-serve --port 1", &case.server(1, ""));
    // One job at a time: tuned is submitted only once base's jobs ended.
    let out = case.run(&case.args(&cfg, &["--no-report", "--max-jobs", "1"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("FAILED (exit 1), 0/3 points complete"),
        "{stderr}"
    );
    assert!(stderr.contains("last lines of"), "{stderr}");
    // The job's own error, from its log.
    assert!(stderr.contains("/nonexistent/trtllm-serve"), "{stderr}");
    // --on-failure restart (the online default) submits a failed job once more.
    assert!(stderr.contains("submitting it once more"), "{stderr}");
    assert_eq!(case.jobs("base").len(), 2, "{stderr}");
    assert!(stderr.contains("failed: base"), "{stderr}");
    assert!(
        complete(&case.point("tuned", 4)),
        "the other config still ran: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    let last_base_end = lines
        .iter()
        .rposition(|l| l.starts_with("[slurm] base: job") && l.contains("FAILED"))
        .unwrap();
    let tuned_submitted = lines
        .iter()
        .position(|l| l.starts_with("[slurm] tuned: job"))
        .unwrap();
    assert!(tuned_submitted > last_base_end, "--max-jobs 1: {stderr}");
}

#[test]
fn gres_on_a_cluster_without_gpus_fails_before_anything_runs() {
    let Some(case) = Case::new() else { return };
    let cfg = case.config(&case.server(0, ""), &case.server(1, ""));
    let out = case.run(&case.args(&cfg, &["--gres", "gpu:1"]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Invalid generic resource (gres) specification"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sbatch refused the job of base"),
        "{stderr}"
    );
    assert!(case.jobs("base").is_empty() && case.jobs("tuned").is_empty());
    assert!(!case.point("base", 1).exists());
    let script = fs::read_to_string(case.out().join("base/slurm/job.sh")).unwrap();
    assert!(script.contains("#SBATCH --gres=gpu:1"), "{script}");
}

#[test]
fn ctrl_c_cancels_the_submitted_jobs_and_leaves_no_process() {
    let Some(case) = Case::new() else { return };
    let cfg = case.config(
        &case.server(0, "--ttft-ms 2000"),
        &case.server(1, "--ttft-ms 2000"),
    );
    let child = case.command(&case.args(&cfg, &[])).spawn().expect("spawn");
    // Wait until both jobs are submitted and one runs its server.
    let serving = || {
        tagged_processes(&case.tag()).into_iter().any(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| text(&c).contains("mock_openai_server"))
        })
    };
    assert!(
        eventually(60, || case.jobs("base").len() + case.jobs("tuned").len()
            == 2
            && serving()),
        "no job started"
    );
    let ids: Vec<String> = ["base", "tuned"]
        .iter()
        .flat_map(|l| case.jobs(l))
        .collect();
    assert_eq!(ids.len(), 2);
    let out = signal_and_wait(child, libc::SIGINT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("cancelled job(s) {}", ids.join(" "))),
        "{stderr}"
    );
    assert!(
        eventually(30, || case.live_jobs().is_empty()),
        "jobs left: {:?}",
        case.live_jobs()
    );
    assert!(
        eventually(30, || tagged_processes(&case.tag()).is_empty()),
        "processes left: {:?}",
        tagged_processes(&case.tag())
    );
}

#[test]
fn dry_run_writes_the_job_scripts_and_submits_nothing() {
    let Some(case) = Case::new() else { return };
    let cfg = case.config(&case.server(0, ""), &case.server(1, ""));
    let out = case.run(&case.args(
        &cfg,
        &[
            "--dry-run",
            "--repeats",
            "2",
            "--partition",
            "debug",
            "--time",
            "00:10:00",
            "--sbatch-arg=--comment=adreport-test",
        ],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let listed: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    let out_dir = case.out();
    let want: Vec<String> = ["base", "tuned"]
        .iter()
        .flat_map(|l| (1..=2).map(move |k| format!("{l}/slurm/job_rep_{k}.sh")))
        .map(|rel| out_dir.join(rel).display().to_string())
        .collect();
    assert_eq!(listed, want);
    let s = fs::read_to_string(&want[1]).unwrap();
    assert!(
        s.contains(
            "#SBATCH --partition=debug\n#SBATCH --time=00:10:00\n#SBATCH --comment=adreport-test\n"
        ),
        "{s}"
    );
    assert!(s.contains("--repeats 2 --repeat 2"), "{s}");
    let settings = case.out().join("base/slurm/settings.yaml");
    assert!(s.contains(&settings.display().to_string()), "{s}");
    let yaml = fs::read_to_string(&settings).unwrap();
    assert!(
        yaml.contains(&format!("--port {}", case.ports[0])),
        "{yaml}"
    );
    assert!(case.jobs("base").is_empty());
    // The written script is a job Slurm accepts as is.
    let test = Command::new("sbatch")
        .args(["--test-only", &want[0]])
        .env("SLURM_CONF", &case.conf)
        .output()
        .unwrap();
    assert!(test.status.success(), "{}", text(&test.stderr));
}

#[test]
fn capacity_searches_run_as_one_slurm_job_per_config_and_are_compared() {
    let Some(case) = Case::new() else { return };
    // The queueing mock in virtual time: a slot per request for 82 ms of simulated time, 8 or
    // 16 slots (as tests/data/capacity): capacities 32 in [32, 34] and 64 in [64, 68].
    let server = |i: usize, batch: u32| {
        format!(
            "{} --port {} --ttft-ms 20 --itl-ms 2 --max-batch {batch} --virtual-time --tag {}",
            mock_server().display(),
            case.ports[i],
            case.tag()
        )
    };
    let path = case.dir.path().join("search.yaml");
    let yaml = format!(
        "client-cmd: {}\nisl: 64\nosl: 32\nstop-grace: 2\nsla: ttft=250\n\
         find-capacity: true\nmax-concurrency: 128\n\
         configs:\n  - label: base\n    server-cmd: {:?}\n  - label: tuned\n    server-cmd: {:?}\n",
        aiperf_standin(),
        server(0, 8),
        server(1, 16)
    );
    fs::write(&path, yaml).unwrap();
    let out = case.run(&case.args(&path, &[]));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for (label, capacity, bracket, probes) in
        [("base", 32, [32, 34], 11), ("tuned", 64, [64, 68], 12)]
    {
        assert_eq!(
            case.jobs(label).len(),
            1,
            "{label}: one job runs the whole search"
        );
        let cap = json_of(&case.out().join(label).join("capacity.json"));
        assert_eq!(cap["done"], true, "{label}");
        assert_eq!(cap["capacity"].as_u64(), Some(capacity), "{label}");
        assert_eq!(cap["bracket"], serde_json::json!(bracket), "{label}");
        assert_eq!(cap["probes"].as_array().unwrap().len(), probes, "{label}");
        assert!(
            stderr.contains(&format!("[slurm] {label}: job "))
                && stderr.contains(&format!("{probes} probe runs complete, search done")),
            "{stderr}"
        );
        let script = fs::read_to_string(case.out().join(label).join("slurm/job.sh")).unwrap();
        assert!(script.contains("run online --config"), "{script}");
    }
    // The end report compares the two searches.
    let summary = fs::read_to_string(case.out().join("report/SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("tuned: searched capacity 64 (bracket 64-68, TTFT binds), +100.0% against base's 32 (32-34): higher"),
        "{summary}"
    );
    // `run status` says how far each search got.
    let status = case.run(&[
        "run".into(),
        "status".into(),
        case.out().display().to_string(),
    ]);
    let lines = text(&status.stdout);
    assert!(
        lines.contains("base: 11 probe runs complete, search done; job "),
        "{lines}"
    );
    assert!(
        lines.contains("tuned: 12 probe runs complete, search done; job "),
        "{lines}"
    );
    // Done searches are not submitted again.
    let again = case.run(&case.args(&path, &["--no-report"]));
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 of 2 job(s) have every point complete: not submitted"),
        "{stderr}"
    );
    assert_eq!((case.jobs("base").len(), case.jobs("tuned").len()), (1, 1));
}
