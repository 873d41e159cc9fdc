//! `adreport run online` with real processes: the mock OpenAI server (examples/) as the
//! server, and a Python stand-in for aiperf (tests/clients/aiperf_standin.py) that sends
//! real requests to it and writes aiperf-format artifacts with what it measured.
//!
//! Numbers measured against the mock vary from run to run; the tests assert what the setup
//! fixes exactly (request counts, sequence lengths, concurrencies, statuses, exit codes) and
//! the lower bounds the mock's latency settings impose.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{
    aiperf_standin, alive, assert_no_processes_tagged, complete, eventually, json_of, kill_tagged,
    logged_pids, mock_server, repo, run_json, show_json, signal_and_wait, text, ADREPORT,
};

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// One test's world: a temp dir whose path tags every process the test starts.
struct Case {
    dir: tempfile::TempDir,
    port: u16,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("tempdir"),
            port: free_port(),
        }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn point(&self, c: u64) -> PathBuf {
        self.out().join(format!("sweep/isl_32_osl_16_conc_{c}"))
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// The mock server command with its fault flags; `--tag` marks it as this test's.
    fn server(&self, extra: &str) -> String {
        format!(
            "{} --port {} --ttft-ms 5 --itl-ms 1 --tag {} {extra}",
            mock_server().display(),
            self.port,
            self.tag()
        )
    }

    /// `run online` argv over concurrencies `conc`, two rounds, ISL 32, OSL 16.
    fn args(&self, server_extra: &str, conc: &str, more: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = [
            "run",
            "online",
            "--server-cmd",
            &self.server(server_extra),
            "--client-cmd",
            &aiperf_standin(),
            "--concurrencies",
            conc,
            "--rounds",
            "2",
            "--isl",
            "32",
            "--osl",
            "16",
            "--stop-grace",
            "2",
            "-o",
            &self.out().display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(more.iter().map(|s| s.to_string()));
        a
    }

    fn command(&self, args: &[String], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(ADREPORT);
        c.args(args)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("run adreport")
    }
}

impl Drop for Case {
    /// Whatever a failed assertion left behind is not left running.
    fn drop(&mut self) {
        kill_tagged(&self.tag());
    }
}

#[test]
fn sweep_completes_every_point_and_report_reads_it_then_rerun_skips() {
    let case = Case::new();
    let args = case.args("", "1 2 4", &[]);
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("3 of 3 points complete"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("report: "), "{stdout}");
    assert!(case.out().join("sweep/report/SUMMARY.txt").is_file());

    for c in [1u64, 2, 4] {
        let dir = case.point(c);
        assert!(complete(&dir), "{}", dir.display());
        let m = run_json(&dir);
        assert_eq!(m["status"], "complete");
        assert_eq!(m["params"]["concurrency"], c);
        assert_eq!(m["params"]["num_requests"], c * 2);
        assert_eq!(m["client"]["exit_code"], 0);
        assert_eq!(m["client"]["tool"], "aiperf");
        let argv: Vec<&str> = m["client"]["argv"]
            .as_array()
            .expect("argv")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let pos = argv
            .iter()
            .position(|a| *a == "--concurrency")
            .expect("--concurrency");
        assert_eq!(argv[pos + 1], c.to_string());
        assert!(argv.contains(&r#"{"ignore_eos":true,"min_tokens":16}"#));
        assert_eq!(m["context"]["model"], "mock-llm"); // learnt from /v1/models
        assert_eq!(m["context"]["server"]["as_given"][2], case.port.to_string());
        assert!(dir.join("client.stdout").is_file());
    }

    // What `report` and `show` read from the sweep.
    let points = show_json(case.out());
    assert_eq!(points.len(), 3);
    for (p, c) in points.iter().zip([1u64, 2, 4]) {
        assert_eq!(p["label"], "sweep");
        assert_eq!(p["source"], "aiperf");
        assert_eq!(p["concurrency"], c);
        assert_eq!((p["isl"].as_u64(), p["osl"].as_u64()), (Some(32), Some(16)));
        assert_eq!(p["requests_ok"], (c * 2) as f64);
        // The mock sends the first token 5 ms after a request arrives and token i at 5 + i ms
        // (catching up after a late start), so the 16th comes 20 ms in at the earliest.
        assert!(p["ttft_avg_ms"].as_f64().expect("ttft") >= 5.0, "{p}");
        assert!(p["e2el_min_ms"].as_f64().expect("e2el") >= 20.0, "{p}");
    }
    let report = Command::new(ADREPORT)
        .args([
            "report",
            &case.out().join("sweep").display().to_string(),
            "-o",
        ])
        .arg(case.dir.path().join("rep"))
        .output()
        .expect("report");
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));

    // A rerun skips all three, without even starting the server.
    let marker = fs::read_to_string(case.point(1).join(".complete")).expect("marker");
    let again = case.run(&args, &[]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 3 complete point(s)"), "{stderr}");
    assert_eq!(
        fs::read_to_string(case.point(1).join(".complete")).expect("marker"),
        marker
    );
    let log = fs::read_to_string(case.out().join("sweep/server.log")).expect("log");
    assert_eq!(log.matches("==== adreport: server start").count(), 1);
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn server_never_ready_times_out_with_the_log_tail() {
    let case = Case::new();
    let args = case.args("--startup-delay-ms 60000", "1", &["--ready-timeout", "1"]);
    let start = Instant::now();
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(
        stderr.contains("was not ready after 1s (--ready-timeout)"),
        "{stderr}"
    );
    // The tail of server.log, as the mock wrote it.
    assert!(
        stderr.contains("Waiting for application startup."),
        "{stderr}"
    );
    assert!(!complete(&case.point(1)));
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn server_exiting_at_start_shows_why() {
    let case = Case::new();
    let args = case.args("--no-such-flag", "1", &[]);
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the server process ended (exit code 2) before it was ready"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown argument `--no-such-flag`"),
        "{stderr}"
    );
}

#[test]
fn server_crash_mid_sweep_is_restarted_and_the_point_retried() {
    let case = Case::new();
    let once = case.dir.path().join("crashed");
    // Point 1 sends 1 warmup + 2 requests, point 2 1 + 4: the 6th request, in point 2, crashes it.
    let extra = format!("--crash-after 5 --crash-once {}", once.display());
    let out = case.run(&case.args(&extra, "1 2 4", &["--no-report"]), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("isl_32_osl_16_conc_2: FAILED: the server died"),
        "{stderr}"
    );
    assert!(
        stderr.contains("restarting the server (1 of at most 2)"),
        "{stderr}"
    );
    for c in [1, 2, 4] {
        assert!(complete(&case.point(c)), "conc {c}");
    }
    assert_eq!(run_json(&case.point(2))["attempt"], 2);
    assert_eq!(run_json(&case.point(2))["context"]["server"]["starts"], 2);
    let log = fs::read_to_string(case.out().join("sweep/server.log")).expect("log");
    assert!(log.contains("injected crash after 5 generation requests"));
    assert_eq!(log.matches("==== adreport: server start").count(), 2);
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn server_crash_with_stop_policy_then_resume() {
    let case = Case::new();
    let once = case.dir.path().join("crashed");
    let extra = format!("--crash-after 5 --crash-once {}", once.display());
    let stop = ["--on-failure", "stop", "--no-report"];
    let out = case.run(&case.args(&extra, "1 2 4", &stop), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped early: --on-failure stop"),
        "{stderr}"
    );
    assert!(complete(&case.point(1)));
    let failed = run_json(&case.point(2));
    assert_eq!(failed["status"], "failed");
    assert!(failed["reason"]
        .as_str()
        .expect("reason")
        .starts_with("the server died"));
    let server_tail = failed["log_tails"]["server"].as_str().expect("server tail");
    assert!(server_tail.contains("injected crash"), "{server_tail}");
    assert!(!case.point(2).join(".complete").exists());
    assert!(!case.point(4).exists());
    assert_no_processes_tagged(&case.tag());

    // Resume: the crash marker exists now, so the server stays up.
    let marker = fs::read_to_string(case.point(1).join(".complete")).expect("marker");
    let out = case.run(&case.args(&extra, "1 2 4", &stop), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 1 complete point(s)"), "{stderr}");
    assert!(stderr.contains("3 of 3 points complete"), "{stderr}");
    assert_eq!(
        fs::read_to_string(case.point(1).join(".complete")).expect("marker"),
        marker
    );
    assert_eq!(run_json(&case.point(2))["status"], "complete");
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn client_failure_fails_that_point_and_the_sweep_goes_on() {
    let case = Case::new();
    let out = case.run(
        &case.args("", "1 2 4", &[]),
        &[("STANDIN_FAIL_AT_CONC", "2")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 of 3 points complete"), "{stderr}");
    let m = run_json(&case.point(2));
    assert_eq!(m["status"], "failed");
    assert_eq!(m["client"]["exit_code"], 2);
    let reason = m["reason"].as_str().expect("reason");
    assert!(reason.contains("exit code 2"), "{reason}");
    assert!(
        reason.contains("injected failure at concurrency 2"),
        "{reason}"
    );
    assert!(!complete(&case.point(2)));
    assert!(complete(&case.point(1)) && complete(&case.point(4)));
    // A live server is not restarted for a client's failure; the report covers what finished.
    let log = fs::read_to_string(case.out().join("sweep/server.log")).expect("log");
    assert_eq!(log.matches("==== adreport: server start").count(), 1);
    assert!(text(&out.stdout).contains("report: "));
    assert_eq!(show_json(case.out()).len(), 2);
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn hung_client_is_killed_by_point_timeout() {
    let case = Case::new();
    let start = Instant::now();
    // Long enough for point 2 (a fraction of a second) even on a loaded CI machine.
    let args = case.args("", "1 2", &["--point-timeout", "4", "--no-report"]);
    let out = case.run(&args, &[("STANDIN_HANG_AT_CONC", "1")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(20));
    let m = run_json(&case.point(1));
    assert_eq!(m["status"], "failed");
    assert_eq!(
        m["reason"],
        "the client ran over --point-timeout 4s and was killed"
    );
    assert_eq!(m["client"]["signal"], 15); // SIGTERM was enough for the stand-in
    assert!(complete(&case.point(2)));
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn ctrl_c_stops_everything_keeps_finished_points_and_rerun_resumes() {
    let case = Case::new();
    // The server ignores SIGTERM and has a child: stopping it takes the group SIGKILL.
    let args = case.args("--spawn-helper --ignore-sigterm", "1 2 4", &["--no-report"]);
    let child: Child = case
        .command(&args, &[("STANDIN_DELAY_S", "1")])
        .spawn()
        .expect("spawn");
    let log = case.out().join("sweep/server.log");
    let started = eventually(30, || {
        complete(&case.point(1)) && case.point(2).join("run.json").is_file()
    });
    assert!(started, "point 1 did not finish");
    let out = signal_and_wait(child, libc::SIGINT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(complete(&case.point(1)));
    assert!(!complete(&case.point(2)));
    assert_eq!(run_json(&case.point(2))["status"], "interrupted");
    assert!(!case.point(4).exists());
    // Server, its helper child and the client: all gone.
    let server = logged_pids(&log, "Started server process");
    let helper = logged_pids(&log, "helper process");
    assert_eq!(
        (server.len(), helper.len()),
        (1, 1),
        "{}",
        fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(eventually(5, || !alive(server[0]) && !alive(helper[0])));
    assert_no_processes_tagged(&case.tag());

    let marker = fs::read_to_string(case.point(1).join(".complete")).expect("marker");
    let out = case.run(&case.args("", "1 2 4", &["--no-report"]), &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 1 complete point(s)"), "{stderr}");
    assert_eq!(
        fs::read_to_string(case.point(1).join(".complete")).expect("marker"),
        marker
    );
    for c in [1, 2, 4] {
        assert!(complete(&case.point(c)));
    }
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn attach_to_a_running_server_with_url() {
    let case = Case::new();
    let mut server = Command::new(mock_server())
        .args([
            "--port",
            &case.port.to_string(),
            "--model",
            "attached-model",
            "--tag",
            &case.tag(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("mock");
    let url = format!("http://127.0.0.1:{}", case.port);
    let args: Vec<String> = [
        "run",
        "online",
        "--url",
        &url,
        "--client-cmd",
        &aiperf_standin(),
        "--concurrencies",
        "2",
        "--rounds",
        "1",
        "--isl",
        "32",
        "--osl",
        "16",
        "--no-report",
        "-o",
        &case.out().display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = case.run(&args, &[]);
    let _ = server.kill();
    let _ = server.wait();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let m = run_json(&case.point(2));
    assert_eq!(m["context"]["attached"], true);
    assert_eq!(m["context"]["model"], "attached-model");
    assert!(m["context"]["server"].is_null());
    assert!(!case.out().join("sweep/server.log").exists());
}

#[test]
fn server_shell_env_and_log_readiness() {
    let case = Case::new();
    // Through `sh -c`: the variable expands from --env, and exec keeps the mock in the group.
    let cmd = format!("echo MARK=$ADREPORT_TEST_ENV; exec {}", case.server(""));
    let args: Vec<String> = [
        "run",
        "online",
        "--server-cmd",
        &cmd,
        "--server-shell",
        "--env",
        "ADREPORT_TEST_ENV=hello",
        "--url",
        &format!("127.0.0.1:{}", case.port),
        "--ready-on",
        "both",
        "--client-cmd",
        &aiperf_standin(),
        "--concurrencies",
        "1",
        "--rounds",
        "1",
        "--isl",
        "32",
        "--osl",
        "16",
        "--no-report",
        "-o",
        &case.out().display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let log = fs::read_to_string(case.out().join("sweep/server.log")).expect("log");
    assert!(log.contains("MARK=hello"), "{log}");
    let m = run_json(&case.point(1));
    assert_eq!(m["context"]["server"]["shell"], true);
    assert_eq!(m["context"]["server"]["argv"][0], "sh");
    assert_eq!(m["context"]["server"]["env"]["ADREPORT_TEST_ENV"], "hello");
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn missing_client_is_reported_before_the_server_starts() {
    let case = Case::new();
    let mut args = case.args("", "1", &[]);
    let at = args.iter().position(|a| a == "--client-cmd").expect("flag") + 1;
    args[at] = "/nonexistent/aiperf".into();
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the client `/nonexistent/aiperf` is not an executable on PATH"),
        "{stderr}"
    );
    assert!(!case.out().join("sweep/server.log").exists());
}

/// The GPU-less `nvidia-smi` (tests/bin/) in a bin directory under the test's tag, first on PATH.
fn gpu_path(case: &Case) -> String {
    let bin = case.dir.path().join("bin");
    fs::create_dir_all(&bin).expect("bin");
    fs::copy(repo("tests/bin/nvidia-smi"), bin.join("nvidia-smi")).expect("copy");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn argv_of(dir: &std::path::Path) -> Vec<String> {
    run_json(dir)["client"]["argv"]
        .as_array()
        .expect("argv")
        .iter()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}

#[test]
fn with_a_gpu_each_point_gets_an_nvidia_smi_trace_and_aiperf_telemetry() {
    let case = Case::new();
    let path = gpu_path(&case);
    let out = case.run(&case.args("", "1 2", &[]), &[("PATH", &path)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let points = show_json(case.out());
    for (p, c) in points.iter().zip([1u64, 2]) {
        let dir = case.point(c);
        let trace = fs::read_to_string(dir.join("gpu_trace.csv")).expect("gpu_trace.csv");
        assert!(trace.starts_with(
            "timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
        ));
        assert!(run_json(&dir)["nvidia_smi"]
            .as_str()
            .is_some_and(|s| s.contains("NVIDIA-SMI")));
        assert!(argv_of(&dir).ends_with(&["--gpu-telemetry".into(), "pynvml".into()]));
        // The stand-in draws a constant 150 W; the window is the stand-in aiperf's profiling
        // phase (phase_manifest.json), so the energy is 150 W x its length.
        let m = json_of(&dir.join("phase_manifest.json"));
        let ph = &m["phases"][0];
        let window_s =
            (ph["end_ns"].as_u64().unwrap() - ph["start_ns"].as_u64().unwrap()) as f64 / 1e9;
        // Energy over the window divided by its length: 150 W up to rounding.
        let w = p["gpu_power_avg_w"].as_f64().expect("power");
        assert!((w - 150.0).abs() < 1e-9, "{p}");
        let e = p["gpu_energy_j"].as_f64().expect("energy");
        assert!((e - 150.0 * window_s).abs() < 1e-6, "{e} vs {window_s} s");
        let tokens =
            p["output_token_throughput"].as_f64().unwrap() * p["duration_s"].as_f64().unwrap();
        let per_token = p["energy_per_output_token_j"].as_f64().expect("J/token");
        assert!((per_token - e / tokens).abs() < 1e-9);
    }
    // The sampler stopped with each point: nothing from this test is left running.
    assert_no_processes_tagged(&case.tag());

    // --no-gpu-trace: no trace; the user's own aiperf telemetry flag wins over the runner's.
    let args = case.args(
        "",
        "1",
        &[
            "--force",
            "--no-gpu-trace",
            "--client-arg=--gpu-telemetry=http://dcgm:9400/metrics",
        ],
    );
    let out = case.run(&args, &[("PATH", &path)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!case.point(1).join("gpu_trace.csv").exists());
    let argv = argv_of(&case.point(1));
    assert!(!argv.contains(&"pynvml".to_string()), "{argv:?}");
    assert_no_processes_tagged(&case.tag());
}
