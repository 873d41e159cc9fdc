//! `adreport run online --find-capacity` against the mock server with `--max-batch 8` in
//! `--virtual-time` (the aiperf stand-in sends in the order of the virtual clock, so every
//! number is exact and no clock is read): the search agrees with a grid, its bracket, its
//! probe count, capacity.json, resume after Ctrl-C, repeats near the limit.
//!
//! The server: TTFT 20 ms, ITL 2 ms, OSL 32, so a request holds its slot 20 + 31 x 2 = 82 ms;
//! 8 slots serve 8 / 0.082 = 97.56 req/s and 3122 output tok/s at most. With C > 8 workers
//! the requests queue: at C = 32 the first 8 wait 0, 82, 164, 246 ms by waves of 8 and the
//! other 128 of the 160 wait 246 ms, so the mean TTFT is (8 x (20 + 102 + 184 + 266) + 128 x
//! 266) / 160 = 241.4 ms (passes 250); at C = 34 it is 260.2 ms (fails).

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{
    aiperf_standin, complete, eventually, free_port, json_of, kill_tagged, mock_server, run_json,
    show_json, signal_and_wait, text, ADREPORT,
};

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

    fn probe(&self, c: u64) -> PathBuf {
        self.out().join(format!("search/isl_64_osl_32_conc_{c}"))
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// `run online` against the queueing mock, ISL 64, OSL 32, 5 rounds, with `more`.
    fn args(&self, more: &[&str]) -> Vec<String> {
        let server = format!(
            "{} --port {} --ttft-ms 20 --itl-ms 2 --max-batch 8 --virtual-time --tag {}",
            mock_server().display(),
            self.port,
            self.tag()
        );
        let out = self.out().display().to_string();
        let mut a: Vec<String> = [
            "run",
            "online",
            "--server-cmd",
            &server,
            "--client-cmd",
            &aiperf_standin(),
            "--isl",
            "64",
            "--osl",
            "32",
            "--stop-grace",
            "2",
            "--sla",
            "ttft=250",
            "-o",
            &out,
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

    fn run(&self, args: &[String]) -> Output {
        self.command(args, &[]).output().expect("run adreport")
    }

    fn capacity(&self) -> Value {
        json_of(&self.out().join("search/capacity.json"))
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        kill_tagged(&self.tag());
    }
}

const SEARCH: &[&str] = &[
    "--find-capacity",
    "--max-concurrency",
    "128",
    "--label",
    "search",
];

fn probed(cap: &Value) -> Vec<u64> {
    cap["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .map(|p| p["concurrency"].as_u64().expect("concurrency"))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn search_agrees_with_a_grid_in_few_probes() {
    let case = Case::new();
    let out = case.run(&case.args(SEARCH));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    let cap = case.capacity();
    assert_eq!(cap["format"], "adreport-capacity");
    // 64 fails far beyond the noise (536.6 ms), so the bisection starts at once: [32,64] -> 48
    // -> 40 -> 36 -> 34 (260.2 ms fails) -> [32,34]: 2 <= 3.2 (10 % of 32).
    assert_eq!(probed(&cap), [1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 34]);
    assert_eq!(cap["capacity"], 32);
    assert_eq!(cap["bracket"], serde_json::json!([32, 34]));
    assert_eq!(
        (cap["binding"].as_str(), cap["boundary"].as_str()),
        (Some("ttft"), Some("smooth"))
    );
    assert_eq!(cap["done"], true);
    assert_eq!(cap["non_monotone"], false);
    assert_eq!(cap["capacity_ci"], Value::Null, "no repeats, no interval");
    let p32 = &cap["probes"][5];
    assert_eq!(
        (p32["pass"].as_bool(), p32["repeats"].as_u64()),
        (Some(true), Some(1))
    );
    let ttft = p32["metrics"][0]["value_ms"].as_f64().unwrap();
    assert!(close(ttft, 241.4), "{ttft}");
    assert_eq!(p32["dirs"][0], "isl_64_osl_32_conc_32");
    let t = &cap["throughput_at_capacity"];
    assert!(
        close(t["requests_per_s"].as_f64().unwrap(), 8.0 / 0.082),
        "{t}"
    );
    assert!(
        close(
            t["output_tokens_per_s"].as_f64().unwrap(),
            8.0 * 32.0 / 0.082
        ),
        "{t}"
    );
    assert!(
        stdout.contains(
            "capacity at avg TTFT <= 250 ms: 32 concurrent requests (bracket 32-34, TTFT binds, smooth boundary, 11 probes), 97.6 req/s, 3122 output tok/s"
        ),
        "{stdout}"
    );
    // Every probe is an ordinary point: the report read all 11.
    assert_eq!(show_json(case.out().join("search")).len(), 11);
    let summary = fs::read_to_string(case.out().join("search/report/SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("\nCapacity search: capacity at avg TTFT <= 250 ms: 32 concurrent requests (bracket 32-34,"),
        "{summary}"
    );

    // `plan` reads the probes like any sweep: one replica serves the capacity probe's 97.56
    // req/s at concurrency 32, so 200 req/s takes ceil(200 / 97.56) = 3 replicas.
    let out = common::adreport(&[
        "plan",
        &case.out().join("search").display().to_string(),
        "--sla",
        "ttft=250",
        "--rate",
        "200",
        "--gpus",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert_eq!(
        (
            plan["concurrency_per_replica"].as_u64(),
            plan["replicas"].as_u64()
        ),
        (Some(32), Some(3))
    );

    // The grid 1..128 of the same server: its last pass and the next grid point hold the answer.
    let grid = "1 4 8 16 24 32 40 48 64 80 96 128";
    let out = case.run(&case.args(&["--concurrencies", grid, "--label", "grid", "--no-report"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let points = show_json(case.out().join("grid"));
    let passing: Vec<u64> = points
        .iter()
        .filter(|p| p["ttft_avg_ms"].as_f64().unwrap() <= 250.0)
        .map(|p| p["concurrency"].as_u64().unwrap())
        .collect();
    let last_pass = *passing.iter().max().unwrap();
    assert_eq!(last_pass, 32);
    let next = 40;
    let c = cap["capacity"].as_u64().unwrap();
    assert!(
        (last_pass..next).contains(&c),
        "{c} outside [{last_pass}, {next})"
    );
    // The grid's point at 32 is the search's probe at 32, to the digit.
    let g32 = points.iter().find(|p| p["concurrency"] == 32).unwrap();
    assert!(close(g32["ttft_avg_ms"].as_f64().unwrap(), ttft));
    // The bracket is within 15 % of the capacity, in 11 probes against the grid's 12 points.
    let hi = cap["bracket"][1].as_u64().unwrap();
    assert!((hi - c) as f64 / c as f64 <= 0.15, "{hi} {c}");
}

#[test]
fn ctrl_c_mid_search_and_a_rerun_finish_it_without_redoing_probes() {
    let case = Case::new();
    let mut args = case.args(SEARCH);
    args.push("--no-report".into());
    let child: Child = case
        .command(&args, &[("STANDIN_DELAY_S", "1")])
        .spawn()
        .expect("spawn");
    let started = eventually(60, || {
        complete(&case.probe(8)) && case.probe(16).join("run.json").is_file()
    });
    assert!(started, "probe 8 did not finish");
    let out = signal_and_wait(child, libc::SIGINT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(!complete(&case.probe(16)));
    assert!(!case.probe(32).exists());
    let cap = case.capacity();
    assert_eq!(cap["done"], false);
    assert_eq!(probed(&cap), [1, 2, 4, 8]);
    let before: Vec<Value> = [1, 2, 4, 8]
        .iter()
        .map(|c| run_json(&case.probe(*c))["started_at"].clone())
        .collect();

    let out = case.run(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("this run: 7 ran, 4 read back as already complete, 0 failed"),
        "{stderr}"
    );
    let after: Vec<Value> = [1, 2, 4, 8]
        .iter()
        .map(|c| run_json(&case.probe(*c))["started_at"].clone())
        .collect();
    assert_eq!(before, after, "a complete probe was run again");
    let cap = case.capacity();
    assert_eq!(probed(&cap), [1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 34]);
    assert_eq!(
        (cap["capacity"].as_u64(), cap["done"].as_bool()),
        (Some(32), Some(true))
    );
}

/// With --repeats 3 a probe within the noise of the limit gets more runs (into rep_K/): 32
/// (241.4 ms, ln 0.035 under the limit) is within the default 15 % noise band, so it runs
/// again; the mock without noise repeats itself exactly, and once its three runs measure a CV
/// of 0 (2 degrees of freedom) the band closes: no later probe is repeated. The answer is the same.
#[test]
fn probes_near_the_limit_are_repeated_into_rep_dirs() {
    let case = Case::new();
    let mut args = case.args(SEARCH);
    args.extend(["--repeats".to_string(), "3".into(), "--no-report".into()]);
    let out = case.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let cap = case.capacity();
    assert_eq!(cap["capacity"], 32);
    assert_eq!(cap["max_repeats"], 3);
    let p32 = cap["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["concurrency"] == 32)
        .unwrap();
    assert_eq!(p32["repeats"], 3);
    assert_eq!(
        p32["dirs"],
        serde_json::json!([
            "isl_64_osl_32_conc_32",
            "rep_2/isl_64_osl_32_conc_32",
            "rep_3/isl_64_osl_32_conc_32"
        ])
    );
    assert!(complete(
        &case.out().join("search/rep_3/isl_64_osl_32_conc_32")
    ));
    let repeated: Vec<u64> = cap["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["repeats"] != 1)
        .map(|p| p["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(repeated, [32]);
    assert_eq!(probed(&cap), [1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 34]);
    assert!(!case.out().join("search/rep_4").exists());
    assert_eq!(
        fs::read_dir(case.out().join("search/rep_2"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn bad_search_flags_name_the_flag() {
    let case = Case::new();
    let err = |more: &[&str]| {
        let mut args = case.args(more);
        if more.contains(&"--no-sla") {
            let i = args.iter().position(|a| a == "--sla").unwrap();
            args.drain(i..i + 2);
            args.retain(|a| a != "--no-sla");
        }
        let out = case.run(&args);
        assert_eq!(out.status.code(), Some(1), "{more:?}");
        text(&out.stderr)
    };
    assert!(err(&["--find-capacity", "--no-sla"]).contains("add --sla"));
    assert!(err(&["--precision", "5"]).contains("--precision applies to --find-capacity"));
    assert!(
        err(&["--find-capacity", "--concurrencies", "1 2"]).contains("leave out --concurrencies")
    );
    assert!(err(&["--find-capacity", "--max-concurrency", "0"])
        .contains("--max-concurrency takes a number > 0"));
    assert!(err(&["--find-capacity", "--sla-stat", "p42"]).contains("--sla-stat `p42`"));
    assert!(!case.out().exists(), "nothing runs on bad flags");
}

/// A probe whose client fails ends the search (exit 1) with what it has in capacity.json; the
/// rerun reads the 4 probes back and goes on from the failed one.
#[test]
fn a_failed_probe_stops_the_search_and_a_rerun_goes_on() {
    let case = Case::new();
    let mut args = case.args(SEARCH);
    args.push("--no-report".into());
    let out = case
        .command(&args, &[("STANDIN_FAIL_AT_CONC", "16")])
        .output()
        .expect("run adreport");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed: isl_64_osl_32_conc_16"), "{stderr}");
    assert!(
        stderr.contains("a rerun goes on with the search from the probes complete"),
        "{stderr}"
    );
    let cap = case.capacity();
    assert_eq!(probed(&cap), [1, 2, 4, 8]);
    assert_eq!(
        (cap["done"].as_bool(), cap["capacity"].as_u64()),
        (Some(false), Some(8))
    );
    assert!(text(&out.stdout).contains("search not finished after 4 probes (bracket 8-?)"));
    assert_eq!(run_json(&case.probe(16))["status"], "failed");

    let out = case.run(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("this run: 7 ran, 4 read back as already complete, 0 failed"),
        "{stderr}"
    );
    assert_eq!(case.capacity()["capacity"], 32);
}
