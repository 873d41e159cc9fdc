//! Config matrices and repeats on this machine: `configs:` in `--config sweep.yaml`,
//! `--repeats N` (pass by pass into OUT/LABEL/rep_K/), `--keep-server`, `--interleave`, with the
//! mock server (examples/) and the aiperf stand-in for `run online`, the trtllm-bench stand-in
//! for `run offline`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{
    aiperf_standin, complete, free_port, json_of, kill_tagged, mock_server, text,
    trtllm_bench_standin, ADREPORT,
};

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        Case {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn tag(&self) -> String {
        self.dir.path().display().to_string()
    }

    fn server(&self) -> String {
        format!(
            "{} --port {} --ttft-ms 5 --itl-ms 1 --tag {}",
            mock_server().display(),
            free_port(),
            self.tag()
        )
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }

    /// `run online` over concurrencies 1 and 2, ISL 32, OSL 16, two rounds.
    fn online(&self, more: &[&str]) -> Output {
        let out = self.out().display().to_string();
        let client = aiperf_standin();
        let mut a = vec![
            "run",
            "online",
            "--client-cmd",
            &client,
            "--concurrencies",
            "1 2",
            "--rounds",
            "2",
            "--isl",
            "32",
            "--osl",
            "16",
            "--stop-grace",
            "2",
            "-o",
            &out,
        ];
        a.extend_from_slice(more);
        self.adreport(&a)
    }

    fn adreport(&self, args: &[&str]) -> Output {
        Command::new(ADREPORT)
            .args(args)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .output()
            .expect("run adreport")
    }

    fn points(&self, root: &str) -> Vec<PathBuf> {
        [1, 2]
            .iter()
            .map(|c| {
                self.out()
                    .join(root)
                    .join(format!("isl_32_osl_16_conc_{c}"))
            })
            .collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        kill_tagged(&self.tag());
    }
}

/// The `== NAME (i of n)` headers of the units, in the order they ran.
fn units_run(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("== "))
        .map(|l| l.split(" (").next().unwrap_or("").to_string())
        .collect()
}

fn server_starts(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("==== adreport: server start"))
        .count()
}

#[test]
fn two_configs_run_one_after_the_other_and_are_compared() {
    let case = Case::new();
    let cfg = case.write(
        "sweep.yaml",
        &format!(
            "osl: 8\nconfigs:\n  - label: base\n    server-cmd: {:?}\n  - label: tuned\n    server-cmd: {:?}\n    osl: 16\n",
            case.server(),
            case.server()
        ),
    );
    let out = case.online(&["--config", &cfg.display().to_string()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(units_run(&stderr), ["base", "tuned"]);
    // The flag (--osl 16) wins over the entry and the top level alike.
    for label in ["base", "tuned"] {
        for p in case.points(label) {
            assert!(complete(&p), "{}", p.display());
            assert_eq!(json_of(&p.join("run.json"))["label"], label);
        }
    }
    // Two configs: a comparison of both, the first the baseline.
    let summary = fs::read_to_string(case.out().join("report/SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("base") && summary.contains("tuned"),
        "{summary}"
    );
    assert!(!case.out().join("base/report").exists());

    let again = case.online(&["--config", &cfg.display().to_string(), "--no-report"]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("skipping 2 complete point(s)").count(),
        2,
        "{stderr}"
    );
}

#[test]
fn repeats_run_pass_by_pass_restart_the_server_and_resume_per_repeat() {
    let case = Case::new();
    let server = case.server();
    let out = case.online(&["--server-cmd", &server, "--repeats", "2", "--no-report"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(units_run(&stderr), ["sweep rep 1/2", "sweep rep 2/2"]);
    for rep in ["sweep/rep_1", "sweep/rep_2"] {
        for p in case.points(rep) {
            assert!(complete(&p), "{}", p.display());
        }
    }
    // No single-pass directories beside the repeats.
    assert!(!case.points("sweep")[0].exists());
    // A server per pass, one log.
    assert_eq!(server_starts(&case.out().join("sweep/server.log")), 2);

    // Resume: only the point of repeat 2 that is not complete runs again.
    let redo = &case.points("sweep/rep_2")[1];
    fs::remove_file(redo.join(".complete")).unwrap();
    let out = case.online(&["--server-cmd", &server, "--repeats", "2", "--no-report"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipping 2 complete point(s)"), "{stderr}");
    assert!(stderr.contains("skipping 1 complete point(s)"), "{stderr}");
    assert!(complete(redo));
    // Repeat 1 had nothing to run: no server was started for it.
    assert_eq!(server_starts(&case.out().join("sweep/server.log")), 3);
}

#[test]
fn keep_server_serves_every_pass() {
    let case = Case::new();
    let out = case.online(&[
        "--server-cmd",
        &case.server(),
        "--repeats",
        "3",
        "--keep-server",
        "--no-report",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for k in 1..=3 {
        for p in case.points(&format!("sweep/rep_{k}")) {
            assert!(complete(&p), "{}", p.display());
        }
    }
    assert_eq!(server_starts(&case.out().join("sweep/server.log")), 1);
    common::assert_no_processes_tagged(&case.tag());
}

#[test]
fn interleave_alternates_the_configs_pass_by_pass() {
    let case = Case::new();
    let cfg = case.write(
        "sweep.yaml",
        &format!(
            "repeats: 2\ninterleave: true\nconfigs:\n  - label: a\n    server-cmd: {:?}\n  - label: b\n    server-cmd: {:?}\n",
            case.server(),
            case.server()
        ),
    );
    let out = case.online(&["--config", &cfg.display().to_string(), "--no-report"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        units_run(&stderr),
        ["a rep 1/2", "b rep 1/2", "a rep 2/2", "b rep 2/2"]
    );
    for unit in ["a/rep_1", "b/rep_1", "a/rep_2", "b/rep_2"] {
        for p in case.points(unit) {
            assert!(complete(&p), "{}", p.display());
        }
    }
}

#[test]
fn matrix_settings_errors_name_the_file_and_entry() {
    let case = Case::new();
    let cfg = |yaml: &str| case.write("bad.yaml", yaml).display().to_string();
    let err = |yaml: &str, more: &[&str]| {
        let c = cfg(yaml);
        let mut a = vec!["--config", c.as_str()];
        a.extend_from_slice(more);
        let out = case.online(&a);
        assert_eq!(out.status.code(), Some(1));
        text(&out.stderr)
    };
    let e = err("configs:\n  - server-cmd: x\n", &[]);
    assert!(
        e.contains("bad.yaml: configs: entry 1 has no `label:`"),
        "{e}"
    );
    let e = err(
        "configs:\n  - label: a\n    server-cmd: x\n  - label: a\n    url: h:1\n",
        &[],
    );
    assert!(e.contains("label `a` is given twice"), "{e}");
    let e = err(
        "configs:\n  - label: a\n    url: h:1\n    slurm: true\n",
        &[],
    );
    assert!(e.contains("`a`: `slurm` applies to the whole sweep"), "{e}");
    let e = err("configs:\n  - label: a\n    url: h:1\n    bogus: 1\n", &[]);
    assert!(e.contains("`a`") && e.contains("bogus"), "{e}");
    let e = err("configs:\n  - label: a\n    url: h:1\n", &["--label", "x"]);
    assert!(e.contains("--label x"), "{e}");
    let e = err(
        "configs:\n  - label: a\n    url: h:1\n",
        &["--interleave", "--repeats", "2"],
    );
    assert!(e.contains("--interleave alternates several configs"), "{e}");
    // Nothing ran.
    assert!(!case.out().exists());
}

#[test]
fn offline_configs_compare_config_and_backend() {
    let case = Case::new();
    let cfg = case.write(
        "sweep.yaml",
        "isl: 64\nosl: 32\nbatch-sizes: [8]\nconfigs:\n  - label: small\n    num-requests: 16\n  - label: large\n    num-requests: 32\n",
    );
    let out = case.adreport(&[
        "run",
        "offline",
        "--config",
        &cfg.display().to_string(),
        "--model",
        "meta-llama/Llama-3.1-8B",
        "--vocab-size",
        "32000",
        "--backend",
        "pytorch",
        "--trtllm-bench",
        &trtllm_bench_standin().display().to_string(),
        "-o",
        &case.out().display().to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for label in ["small", "large"] {
        let p = case
            .out()
            .join(format!("{label}/pytorch/isl_64_osl_32_bs_8"));
        assert!(complete(&p), "{}: {stderr}", p.display());
        let m = json_of(&p.join("run.json"));
        assert_eq!(m["label"], label);
    }
    // The comparison's series are config/backend.
    let summary = fs::read_to_string(case.out().join("report/SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("small/pytorch") && summary.contains("large/pytorch"),
        "{summary}"
    );
}
