//! `adreport run offline` with real processes: tests/bin/trtllm-bench (a Python stand-in with
//! trtllm-bench's command line, printed report and --report_json) runs every cell.
//!
//! The stand-in's numbers are deterministic but not hand-made, so the tests read them back
//! from each report.json it wrote and assert that the reports carry exactly those values.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use adreport::render::format::human;
use serde_json::Value;

mod common;
use common::{
    assert_no_processes_tagged, complete, data, eventually, json_of, signal_and_wait, text,
    trtllm_bench_standin, ADREPORT,
};

/// One test's world: a temp dir whose path appears in every command line the test starts.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `OUT/offline`.
    fn root(&self) -> PathBuf {
        self.path("out/offline")
    }

    fn point(&self, backend: &str, isl: u64, osl: u64, bs: u64) -> PathBuf {
        self.root()
            .join(format!("{backend}/isl_{isl}_osl_{osl}_bs_{bs}"))
    }

    fn call_log(&self) -> PathBuf {
        self.path("calls.log")
    }

    /// The stand-in's argv of every call so far.
    fn calls(&self) -> Vec<Vec<String>> {
        fs::read_to_string(self.call_log())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("call log line"))
            .collect()
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// `run offline` with the stand-in, a small vocabulary and 32 requests per dataset.
    fn args(&self, more: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = [
            "run",
            "offline",
            "--model",
            "meta-llama/Llama-3.1-8B",
            "--vocab-size",
            "32000",
            "--num-requests",
            "32",
            "--trtllm-bench",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.push(trtllm_bench_standin().display().to_string());
        a.extend(["-o".to_string(), self.path("out").display().to_string()]);
        a.extend(more.iter().map(|s| s.to_string()));
        a
    }

    fn command(&self, args: &[String], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(ADREPORT);
        c.args(args)
            .current_dir(self.dir.path())
            .env("TRTLLM_BENCH_STANDIN_LOG", self.call_log())
            .env_remove("TRTLLM_BENCH_STANDIN_SLEEP")
            .env_remove("TRTLLM_BENCH_STANDIN_FAIL_BS")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().expect("run adreport")
    }
}

fn flag<'a>(argv: &'a [String], name: &str) -> Option<&'a str> {
    let i = argv.iter().position(|a| a == name)?;
    argv.get(i + 1).map(String::as_str)
}

fn mtime(p: &Path) -> SystemTime {
    fs::metadata(p).and_then(|m| m.modified()).expect("mtime")
}

const BACKENDS: [&str; 2] = ["_autodeploy", "pytorch"];
const ISLS: [u64; 2] = [64, 128];
const OSL: u64 = 32;
const BATCH_SIZES: [u64; 2] = [4, 8];

/// `sweep.yaml` for the 2 x 2 x 2 grid: backends, ISLs and batch sizes from the file.
fn grid_config(case: &Case) -> PathBuf {
    let cfg = case.path("sweep.yaml");
    fs::write(
        &cfg,
        "backend: [_autodeploy, pytorch]\nisl: [64, 128]\nosl: 32\nbatch_sizes: '4,8'\nstreaming: true\n",
    )
    .expect("write config");
    cfg
}

/// Output tok/s of every finished cell as the stand-in wrote it, by point directory.
fn standin_throughputs(case: &Case) -> BTreeMap<PathBuf, f64> {
    let mut out = BTreeMap::new();
    for b in BACKENDS {
        for isl in ISLS {
            for bs in BATCH_SIZES {
                let dir = case.point(b, isl, OSL, bs);
                if complete(&dir) {
                    let r = json_of(&dir.join("report.json"));
                    let v = r["performance"]["system_output_throughput_tok_s"]
                        .as_f64()
                        .expect("system_output_throughput_tok_s");
                    out.insert(dir, v);
                }
            }
        }
    }
    out
}

#[test]
fn grid_2x2x2_runs_once_reports_the_standins_numbers_and_rerun_skips() {
    let case = Case::new();
    let cfg = grid_config(&case);
    let args = case.args(&["--config", cfg.to_str().expect("utf-8")]);
    let out = case.run(&args, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("8 of 8 points complete"), "{stderr}");

    // One trtllm-bench call per cell, with the seeds' flags; one dataset per ISL/OSL.
    let calls = case.calls();
    assert_eq!(calls.len(), 8);
    let mut datasets = BTreeSet::new();
    for argv in &calls {
        let backend = flag(argv, "--backend").expect("--backend");
        let bs: u64 = flag(argv, "--max_batch_size")
            .expect("bs")
            .parse()
            .expect("bs");
        let dataset = flag(argv, "--dataset").expect("--dataset");
        let isl = if dataset.contains("isl_64_") { 64 } else { 128 };
        assert_eq!(argv[0], "--model");
        assert_eq!(argv[1], "meta-llama/Llama-3.1-8B");
        assert_eq!(argv[2], "throughput");
        assert_eq!(flag(argv, "--tp"), Some("1"));
        assert_eq!(flag(argv, "--num_requests"), Some("32"));
        assert!(argv.contains(&"--streaming".to_string()));
        let point = case.point(backend, isl, OSL, bs);
        assert_eq!(
            flag(argv, "--report_json").map(PathBuf::from),
            Some(point.join("report.json"))
        );
        datasets.insert(dataset.to_string());
    }
    let want: BTreeSet<String> = ISLS
        .iter()
        .map(|i| {
            case.root()
                .join(format!(
                    "datasets/token-norm-dist_isl_{i}_osl_32_n_32.jsonl"
                ))
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(datasets, want);
    for d in &want {
        let lines: Vec<Value> = fs::read_to_string(d)
            .expect("dataset")
            .lines()
            .map(|l| serde_json::from_str(l).expect("dataset line"))
            .collect();
        assert_eq!(lines.len(), 32);
        assert_eq!(lines[0]["output_tokens"], 32);
    }

    // Every cell: the stand-in's JSON, its printed report, and a complete manifest.
    let tputs = standin_throughputs(&case);
    assert_eq!(tputs.len(), 8);
    for dir in tputs.keys() {
        assert!(text(&fs::read(dir.join("client.stdout")).expect("stdout"))
            .contains("= PERFORMANCE OVERVIEW"));
        let m = json_of(&dir.join("run.json"));
        assert_eq!(m["status"], "complete");
        assert_eq!(m["runner"], "offline");
        assert_eq!(m["client"]["tool"], "trtllm-bench");
        assert_eq!(
            m["params"]["backend"].as_str(),
            dir.parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
        );
    }

    // The runner's own report: the backend comparison and the ISL x OSL table.
    let rep = case.root().join("report");
    for f in [
        "report.html",
        "SUMMARY.txt",
        "output_token_throughput_vs_batch_size.png",
        "isl_osl_output_throughput.md",
    ] {
        assert!(rep.join(f).is_file(), "{f} missing");
    }
    let table = fs::read_to_string(rep.join("isl_osl_output_throughput.md")).expect("table");
    for b in BACKENDS {
        for isl in ISLS {
            let (best_bs, best) = BATCH_SIZES
                .iter()
                .map(|&bs| (bs, tputs[&case.point(b, isl, OSL, bs)]))
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .expect("cells");
            let row = format!("| {isl} | {} (bs {best_bs}) |", human(best));
            let section = table
                .split(&format!("### {b}\n"))
                .nth(1)
                .expect("backend section");
            let section = section.split("###").next().unwrap_or(section);
            assert!(section.contains(&row), "{row} not in\n{table}");
        }
    }
    assert!(
        stdout.contains("## Output throughput by ISL x OSL"),
        "{stdout}"
    );

    // `adreport report` on the sweep: one series per backend, values as the stand-in wrote.
    let rep2 = case.path("rep");
    let out = Command::new(ADREPORT)
        .args([
            "report",
            case.root().to_str().expect("utf-8"),
            "-o",
            rep2.to_str().expect("utf-8"),
        ])
        .output()
        .expect("report");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let f = json_of(&rep2.join("findings.json"));
    assert_eq!(f["labels"], serde_json::json!(["_autodeploy", "pytorch"]));
    let points = f["points"].as_array().expect("points");
    assert_eq!(points.len(), 8);
    for p in points {
        let path = PathBuf::from(p["path"].as_str().expect("path"));
        let dir = path.parent().expect("dir").to_path_buf();
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some("report.json")
        );
        assert_eq!(
            p["metrics"]["output_token_throughput"].as_f64(),
            Some(tputs[&dir]),
            "{}",
            dir.display()
        );
        assert_eq!(
            p["label"].as_str(),
            dir.parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
        );
        let bs = p["max_batch_size"].as_u64().expect("max_batch_size");
        assert!(dir.ends_with(format!("isl_{}_osl_32_bs_{bs}", p["isl"])));
    }
    // pytorch against the _autodeploy baseline, cell by cell on (ISL, OSL, batch size).
    let cmp = &f["comparisons"][0];
    assert_eq!(
        (cmp["baseline"].as_str(), cmp["label"].as_str()),
        (Some("_autodeploy"), Some("pytorch"))
    );
    let pairs = cmp["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 4);
    for pair in pairs {
        let k = &pair["key"];
        let (isl, bs) = (
            k["isl"].as_u64().expect("isl"),
            k["max_batch_size"].as_u64().expect("bs"),
        );
        let d = pair["deltas"]
            .as_array()
            .expect("deltas")
            .iter()
            .find(|d| d["metric"] == "output_token_throughput")
            .expect("throughput delta");
        assert_eq!(
            d["baseline"].as_f64(),
            Some(tputs[&case.point("_autodeploy", isl, OSL, bs)])
        );
        assert_eq!(
            d["value"].as_f64(),
            Some(tputs[&case.point("pytorch", isl, OSL, bs)])
        );
    }
    let summary = fs::read_to_string(rep2.join("SUMMARY.txt")).expect("summary");
    assert!(
        summary.contains("_autodeploy: 2 max batch sizes (4-8), isl 64 osl 32"),
        "{summary}"
    );

    // Rerun: every cell is skipped, nothing runs, the datasets stay as they are.
    let stamps: Vec<SystemTime> = want.iter().map(|d| mtime(Path::new(d))).collect();
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 8 complete point(s)"), "{stderr}");
    assert_eq!(case.calls().len(), 8);
    // --force reruns every cell on the same datasets.
    let mut forced = args.clone();
    forced.push("--force".into());
    let out = case.run(&forced, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(case.calls().len(), 16);
    assert_eq!(stderr.matches(": reusing ").count(), 2, "{stderr}");
    let after: Vec<SystemTime> = want.iter().map(|d| mtime(Path::new(d))).collect();
    assert_eq!(stamps, after);
}

#[test]
fn failing_cell_is_reported_and_the_rest_completes() {
    let case = Case::new();
    let args = case.args(&[
        "--backend",
        "_autodeploy,pytorch",
        "--isl",
        "64",
        "--osl",
        "32",
        "--batch-sizes",
        "4,8",
    ]);
    let out = case.run(&args, &[("TRTLLM_BENCH_STANDIN_FAIL_BS", "8")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 of 4 points complete"), "{stderr}");
    assert_eq!(case.calls().len(), 4, "the sweep went on after the failure");
    for b in BACKENDS {
        assert!(complete(&case.point(b, 64, 32, 4)));
        let failed = case.point(b, 64, 32, 8);
        assert!(!complete(&failed));
        assert!(
            stderr.contains(&format!(
                "failed: {b}/isl_64_osl_32_bs_8: the client ended with exit code 1"
            )),
            "{stderr}"
        );
        let m = json_of(&failed.join("run.json"));
        assert_eq!(m["status"], "failed");
        assert!(m["log_tails"]["client_stderr"]
            .as_str()
            .is_some_and(|t| t.contains("CUDA out of memory")));
    }
    assert!(stderr.contains("CUDA out of memory"), "{stderr}");
    // The report covers what completed.
    let f = json_of(&case.root().join("report/findings.json"));
    assert_eq!(f["points"].as_array().map(Vec::len), Some(2));

    // --on-failure stop ends the sweep at the first failure (a rerun goes straight to it).
    let mut stop = args.clone();
    stop.extend(["--on-failure".into(), "stop".into()]);
    let out = case.run(&stop, &[("TRTLLM_BENCH_STANDIN_FAIL_BS", "8")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped early: --on-failure stop"),
        "{stderr}"
    );
    assert_eq!(
        case.calls().len(),
        5,
        "only the first failing cell ran again"
    );
}

#[test]
fn point_timeout_kills_a_sleeping_trtllm_bench() {
    let case = Case::new();
    let args = case.args(&["--batch-sizes", "4", "--point-timeout", "1", "--no-report"]);
    let started = Instant::now();
    let out = case.run(&args, &[("TRTLLM_BENCH_STANDIN_SLEEP", "60")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "the timeout did not fire"
    );
    let dir = case.point("_autodeploy", 128, 128, 4);
    let m = json_of(&dir.join("run.json"));
    assert_eq!(m["status"], "failed");
    assert!(m["reason"]
        .as_str()
        .is_some_and(|r| r.contains("--point-timeout 1s")));
    assert!(!complete(&dir));
    assert_no_processes_tagged(&case.tag());
}

#[test]
fn invalid_autodeploy_yaml_is_a_clear_error_and_nothing_runs() {
    let case = Case::new();
    let bad = case.path("ad.yaml");
    fs::write(
        &bad,
        "compile_backend: torch-fast\nruntime: trtllm\nfree_mem_ratio: 1.5\nworld_size: 2\n",
    )
    .expect("write");
    let cfg = format!("_autodeploy={}", bad.display());
    let args = case.args(&["--backend", "_autodeploy,pytorch", "--backend-config", &cfg]);
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was run"), "{stderr}");
    for want in [
        "key `compile_backend`: got `torch-fast`; allowed: torch-simple, torch-compile, torch-cudagraph, torch-opt",
        "key `free_mem_ratio`: expected a fraction in [0, 1], got 1.5",
        "key `world_size`: 2 but --tp 1",
    ] {
        assert!(stderr.contains(want), "{want} missing in\n{stderr}");
    }
    assert!(case.calls().is_empty(), "trtllm-bench ran");
    assert!(!case.root().exists(), "the run started");

    // The seed 004 config passes; its max_batch_size overriding the sweep is a warning.
    let good = format!(
        "_autodeploy={}",
        data("autodeploy/autodeploy_config.yaml").display()
    );
    let args = case.args(&[
        "--backend-config",
        &good,
        "--batch-sizes",
        "4",
        "--no-report",
    ]);
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("256 here overrides trtllm-bench's --max_batch_size"),
        "{stderr}"
    );
    // The stand-in, like trtllm-bench, runs with the YAML's 256.
    let r = json_of(&case.point("_autodeploy", 128, 128, 4).join("report.json"));
    assert_eq!(r["world_info"]["max_batch_size"], 256);
}

#[test]
fn missing_trtllm_bench_is_reported_before_any_dataset() {
    let case = Case::new();
    let mut args = case.args(&["--batch-sizes", "4"]);
    let at = args
        .iter()
        .position(|a| a == "--trtllm-bench")
        .expect("flag");
    args[at + 1] = case.path("no-such-trtllm-bench").display().to_string();
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not an executable on PATH"), "{stderr}");
    assert!(!case.root().join("datasets").exists());
}

#[test]
fn ctrl_c_leaves_no_orphans_keeps_finished_cells_and_rerun_resumes() {
    let case = Case::new();
    // Batch size 8 sleeps; batch size 4 (first) finishes at once.
    let wrapper = case.path("trtllm-bench-wrapper");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\ncase \" $* \" in *' --max_batch_size 8 '*) export TRTLLM_BENCH_STANDIN_SLEEP=60;; esac\nexec {} \"$@\"\n",
            trtllm_bench_standin().display()
        ),
    )
    .expect("wrapper");
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut args = case.args(&["--batch-sizes", "4,8", "--no-report"]);
    let at = args
        .iter()
        .position(|a| a == "--trtllm-bench")
        .expect("flag");
    args[at + 1] = wrapper.display().to_string();
    let child: Child = case.command(&args, &[]).spawn().expect("spawn");
    let first = case.point("_autodeploy", 128, 128, 4);
    let second = case.point("_autodeploy", 128, 128, 8);
    let sleeping = eventually(30, || complete(&first) && case.calls().len() == 2);
    assert!(sleeping, "the second cell did not start");
    let out = signal_and_wait(child, libc::SIGINT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(complete(&first));
    assert!(!complete(&second));
    assert_eq!(json_of(&second.join("run.json"))["status"], "interrupted");
    assert_no_processes_tagged(&case.tag());

    // The rerun runs only the interrupted cell (with the plain stand-in: no sleep).
    let args = case.args(&["--batch-sizes", "4,8", "--no-report"]);
    let out = case.run(&args, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 1 complete point(s)"), "{stderr}");
    assert_eq!(case.calls().len(), 3);
    assert!(complete(&second));
    assert_no_processes_tagged(&case.tag());
}
