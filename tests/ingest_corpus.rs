//! The bad-input corpus: `adreport show` (the binary) on every case in tests/corpus/.
//!
//! Each case directory holds `expected.txt`, the exact text its message must contain, and
//! usually `input/`, the bad input (cut from the bundled real samples). Inputs that are big or
//! odd (a 2 GB file, symlink loops, unreadable files, non-UTF-8 names) are made at test time
//! by the case's generator. Every case runs on a temporary copy and must:
//! - never panic (exit 0 or 1, no "panicked" on stderr);
//! - exit 1 exactly when nothing usable remains;
//! - name the file (the full path of the copy) in the line that holds the expected text.
//!
//! A `Fatal` case also runs beside a good run of the same format: exit 0, the same message as a
//! warning, and every point of the good run still listed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{adreport, copy_dir, repo, text};

#[path = "ingest_corpus/peer_tools.rs"]
mod peer_tools;
use peer_tools::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Nothing usable: exit 1 alone; beside a good run a warning, and the good points stay.
    Fatal,
    /// Read, with a warning that holds the expected text: exit 0.
    Warn,
    /// Read without complaint; the expected text is in the output.
    Output,
}

/// A good run of each format, copied beside a fatal case.
const AIPERF_GOOD: &str = "sample-results/aiperf/baseline/isl_128_osl_64_conc_4";
const AIPERF_CONC1: &str = "sample-results/aiperf/baseline/isl_128_osl_64_conc_1";
const GENAI_GOOD: &str = "sample-results/genai-perf/llama3.1-405b-fp8_dynamo";
const SERVING_GOOD: &str = "sample-results/benchmark_serving/vllm/llmd_v0.9";
const TRTLLM_GOOD: &str =
    "sample-results/trtllm-bench/perf-benchmarking_v0.17_trt_throughput_report";
const GUIDELLM_GOOD: &str = "tests/data/guidellm/concurrent";
const INFERENCE_PERF_GOOD: &str = "tests/data/inference-perf/rate";
const LLM_D_GOOD: &str = "tests/data/llm-d/schema_examples/v0.2";
const MLPERF_GOOD: &str =
    "tests/data/mlperf/v4.1/closed/NVIDIA/results/B200-SXM-180GBx1_TRT/llama2-70b-99/Offline";
const AIC_GOOD: &str =
    "tests/data/aiconfigurator/gen_a_v0.2/QWEN3_32B_isl4000_osl500_ttft500_tpot7_424242";

struct Case {
    name: &'static str,
    kind: Kind,
    good: Option<&'static str>,
    /// Makes the input in the case's temporary root (instead of, or besides, `input/`).
    generate: Option<fn(&Path)>,
}

const fn case(name: &'static str, kind: Kind, good: Option<&'static str>) -> Case {
    Case {
        name,
        kind,
        good,
        generate: None,
    }
}

const fn generated(
    name: &'static str,
    kind: Kind,
    good: Option<&'static str>,
    f: fn(&Path),
) -> Case {
    Case {
        name,
        kind,
        good,
        generate: Some(f),
    }
}

use Kind::{Fatal, Output as Out, Warn};

#[rustfmt::skip]
const CASES: &[Case] = &[
    // aiperf
    case("aiperf_truncated_json_mid_token", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_jsonl_truncated_mid_line", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_empty_json", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_empty_jsonl", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_missing_metric", Warn, None),
    case("aiperf_null_value", Warn, None),
    case("aiperf_nan_value", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_infinity_value", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_negative_value", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_string_number", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_zero_requests", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_all_failed", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_cancelled", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_incomplete", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_ready_marker_cancelled", Fatal, Some(AIPERF_GOOD)),
    case("aiperf_unknown_schema_version", Warn, None),
    case("aiperf_duplicate_concurrency", Warn, None),
    // genai-perf
    case("genai_perf_csv_truncated_mid_line", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_csv_zero_requests", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_csv_string_number", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_csv_negative_value", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_csv_missing_metric", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_empty_csv", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_json_truncated_mid_token", Fatal, Some(GENAI_GOOD)),
    case("genai_perf_json_null_value", Warn, None),
    // benchmark_serving
    case("benchmark_serving_truncated_json_mid_token", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_jsonl_truncated_mid_line", Warn, None),
    case("benchmark_serving_empty_file", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_missing_metric", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_null_value", Warn, None),
    case("benchmark_serving_nan_value", Warn, None),
    case("benchmark_serving_infinity_value", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_negative_value", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_string_number", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_zero_requests", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_all_failed", Fatal, Some(SERVING_GOOD)),
    case("benchmark_serving_duplicate_concurrency", Warn, None),
    // trtllm-bench
    case("trtllm_bench_text_truncated_mid_line", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_text_zero_requests", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_text_nan_value", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_text_negative_value", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_text_string_number", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_text_missing_metric", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_truncated_mid_token", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_missing_metric", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_nan_value", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_negative_value", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_zero_requests", Fatal, Some(TRTLLM_GOOD)),
    // TP x PP past u64: found in review, an overflow panic before the fix.
    case("trtllm_bench_text_world_size_overflow", Fatal, Some(TRTLLM_GOOD)),
    case("trtllm_bench_json_world_size_overflow", Fatal, Some(TRTLLM_GOOD)),
    // AIConfigurator
    case("aiconfigurator_csv_truncated_mid_line", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_missing_column", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_nan_value", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_negative_value", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_string_number", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_header_only", Fatal, Some(AIC_GOOD)),
    case("aiconfigurator_empty_csv", Fatal, Some(AIC_GOOD)),
    // guidellm, inference-perf, llm-d Benchmark Report, MLPerf loadgen
    case("guidellm_truncated_json_mid_token", Fatal, Some(GUIDELLM_GOOD)),
    case("guidellm_yaml_cut_short", Fatal, Some(GUIDELLM_GOOD)),
    case("guidellm_wrong_version", Fatal, Some(GUIDELLM_GOOD)),
    case("guidellm_csv_truncated_mid_line", Fatal, Some(GUIDELLM_GOOD)),
    case("inference_perf_stage_truncated", Fatal, Some(INFERENCE_PERF_GOOD)),
    generated("inference_perf_requests_truncated", Warn, None, gen_inference_perf_requests_truncated),
    case("llm_d_report_wrong_version", Fatal, Some(LLM_D_GOOD)),
    // Half of inference-perf's real 0.2.1 partial: still valid YAML, so named by its cut line.
    case("llm_d_report_cut_short", Fatal, Some(LLM_D_GOOD)),
    case("llm_d_report_unknown_units", Fatal, Some(LLM_D_GOOD)),
    case("mlperf_summary_cut_short", Fatal, Some(MLPERF_GOOD)),
    case("mlperf_accuracy_run", Fatal, Some(MLPERF_GOOD)),
    generated("mlperf_detail_cut_short", Warn, None, gen_mlperf_detail_cut_short),
    generated("mlperf_detail_of_another_run", Fatal, Some(MLPERF_GOOD), gen_mlperf_detail_of_another_run),
    generated("mlperf_detail_alone", Fatal, Some(MLPERF_GOOD), gen_mlperf_detail_alone),
    // across formats and file systems
    case("mixed_formats", Warn, None),
    case("html_in_model_and_label", Out, None),
    generated("garbage_2gb_json", Fatal, Some(SERVING_GOOD), gen_garbage_json),
    generated("garbage_2gb_jsonl", Fatal, Some(AIPERF_GOOD), gen_garbage_jsonl),
    generated("symlink_loops", Fatal, Some(SERVING_GOOD), gen_symlink_loops),
    generated("non_utf8_names", Out, None, gen_non_utf8_names),
    generated("empty_directory", Fatal, None, |_| {}),
];

// ---------------------------------------------------------------------------------------------
// Running

fn show(paths: &[&Path]) -> Output {
    let mut args: Vec<&Path> = vec![Path::new("show"), Path::new("--format"), Path::new("json")];
    args.extend_from_slice(paths);
    adreport(&args)
}

fn rows(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_else(|| panic!("stdout is not a JSON array: {}", text(&out.stdout)))
}

fn expected(name: &str) -> String {
    let p = Path::new(CORPUS).join(name).join("expected.txt");
    let s = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.strip_suffix('\n').unwrap_or(&s).to_string()
}

/// The case's input in a fresh temporary root: `input/` copied, then the generator.
fn materialise(c: &Case, tmp: &Path) -> PathBuf {
    let root = tmp.join(c.name);
    fs::create_dir_all(&root).unwrap();
    let input = Path::new(CORPUS).join(c.name).join("input");
    if input.is_dir() {
        copy_dir(&input, &root);
    }
    if let Some(g) = c.generate {
        g(&root);
    }
    root
}

/// Never a panic, and only the exit codes 0 and 1.
fn assert_no_panic(c: &str, out: &Output) {
    let err = text(&out.stderr);
    assert!(
        !err.contains("panicked") && matches!(out.status.code(), Some(0 | 1)),
        "{c}: exit {:?}, stderr:\n{err}",
        out.status.code()
    );
}

/// The stderr line holding the expected text also names the file by its full path.
fn assert_message(c: &str, stderr: &str, want: &str, root: &Path) {
    let line = stderr
        .lines()
        .find(|l| l.contains(want))
        .unwrap_or_else(|| panic!("{c}: stderr lacks `{want}`:\n{stderr}"));
    assert!(
        line.contains(&root.display().to_string()),
        "{c}: the message does not name the file under {}: {line}",
        root.display()
    );
}

fn run_case(c: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    let root = materialise(c, tmp.path());
    let want = expected(c.name);
    let out = show(&[&root]);
    assert_no_panic(c.name, &out);
    let err = text(&out.stderr);
    match c.kind {
        Kind::Fatal => {
            assert_eq!(out.status.code(), Some(1), "{}: {err}", c.name);
            assert!(
                err.starts_with("error: nothing usable"),
                "{}: {err}",
                c.name
            );
            assert_message(c.name, &err, &want, &root);
        }
        Kind::Warn => {
            assert_eq!(out.status.code(), Some(0), "{}: {err}", c.name);
            assert!(!rows(&out).is_empty(), "{}: no points", c.name);
            let warning = err
                .lines()
                .find(|l| l.contains(&want))
                .unwrap_or_else(|| panic!("{}: no warning `{want}`:\n{err}", c.name));
            assert!(warning.starts_with("warning: "), "{}: {warning}", c.name);
            assert_message(c.name, &err, &want, &root);
        }
        Kind::Output => {
            assert_eq!(out.status.code(), Some(0), "{}: {err}", c.name);
            assert!(
                text(&out.stdout).contains(&want),
                "{}: output lacks `{want}`:\n{}",
                c.name,
                text(&out.stdout)
            );
        }
    }
    if let (Kind::Fatal, Some(good)) = (c.kind, c.good) {
        beside_good_run(c, &root, good, &want);
    }
}

/// A fatal case next to a good run: exit 0, the message as a warning, every good point listed.
fn beside_good_run(c: &Case, root: &Path, good: &str, want: &str) {
    let src = repo(good);
    let name = src.file_name().unwrap();
    // Alone first, to know how many points the good run has.
    let alone_tmp = tempfile::tempdir().unwrap();
    copy_dir(&src, &alone_tmp.path().join(name));
    let alone = rows(&show(&[&alone_tmp.path().join(name)]));
    assert!(!alone.is_empty());

    let good_copy = root.join("good").join(name);
    copy_dir(&src, &good_copy);
    let out = show(&[root]);
    assert_no_panic(c.name, &out);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} beside {good}: {err}",
        c.name
    );
    let warning = err
        .lines()
        .find(|l| l.contains(want))
        .unwrap_or_else(|| panic!("{} beside {good}: no warning `{want}`:\n{err}", c.name));
    assert!(warning.starts_with("warning: "), "{}: {warning}", c.name);
    let listed = rows(&out);
    let good_path = good_copy.display().to_string();
    assert_eq!(
        listed.len(),
        alone.len(),
        "{}: every good point and nothing of the bad run: {listed:?}",
        c.name
    );
    assert!(
        listed.iter().all(|r| r["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(&good_path))),
        "{}: {listed:?}",
        c.name
    );
}

// ---------------------------------------------------------------------------------------------
// Generators

/// 2 GiB that sniffs as a benchmark_serving result and then is nothing: sparse, so instant.
fn gen_garbage_json(root: &Path) {
    let f = root.join("big.json");
    fs::write(
        &f,
        br#"{"duration": 1.0, "completed": 5, "request_throughput": 2.0, "#,
    )
    .unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
}

/// A valid aiperf export beside a 2 GiB per-request file of zero bytes with no line break.
fn gen_garbage_jsonl(root: &Path) {
    let run = root.join("run");
    copy_dir(&Path::new(CORPUS).join("aiperf_null_value/input/run"), &run);
    let f = fs::File::create(run.join("profile_export.jsonl")).unwrap();
    f.set_len(2 << 30).unwrap();
}

/// A link to itself, two links to each other, a dangling link, a link to the directory.
fn gen_symlink_loops(root: &Path) {
    use std::os::unix::fs::symlink;
    symlink("self.json", root.join("self.json")).unwrap();
    symlink("b.json", root.join("a.json")).unwrap();
    symlink("a.json", root.join("b.json")).unwrap();
    symlink("missing.json", root.join("dangling.json")).unwrap();
    symlink(".", root.join("here")).unwrap();
}

/// A result file and a label directory whose names are not UTF-8.
fn gen_non_utf8_names(root: &Path) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = root.join(OsStr::from_bytes(b"label_\xfe"));
    fs::create_dir_all(&dir).unwrap();
    fs::copy(
        repo("sample-results/benchmark_serving/vllm/legacy_llama32_3b/vllm_llama32_3b_rate10.json"),
        dir.join(OsStr::from_bytes(b"run_\xff.json")),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn every_case_gives_its_message_and_exit_code() {
    let mut failures = Vec::new();
    for c in CASES {
        if let Err(e) = std::panic::catch_unwind(|| run_case(c)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_corpus_directory_is_a_case() {
    let mut dirs: Vec<String> = fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(CORPUS).join(n).is_dir())
        .collect();
    dirs.sort();
    let mut names: Vec<String> = CASES.iter().map(|c| c.name.to_string()).collect();
    names.sort();
    assert_eq!(dirs, names);
}

/// Markup in a model name and a label is escaped in every rendered report; control
/// characters never reach the terminal or a text report.
#[test]
fn markup_and_control_characters_are_escaped_in_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let root = materialise(&CASES[case_index("html_in_model_and_label")], tmp.path());
    let out_dir = tmp.path().join("out");
    let out = adreport(&[
        Path::new("report"),
        &root,
        Path::new("--sla"),
        Path::new("ttft=100"),
        Path::new("-o"),
        &out_dir,
    ]);
    assert_no_panic("report", &out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read = |f: &str| fs::read_to_string(out_dir.join(f)).unwrap();
    let html = read("report.html");
    assert!(
        html.contains("&lt;script&gt;alert("),
        "model not shown escaped"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "label not shown escaped"
    );
    let md = read("summary.md");
    for raw in ["<script>alert(", "<img src=x"] {
        assert!(!html.contains(raw), "report.html holds raw `{raw}`");
        assert!(!md.contains(raw), "summary.md holds raw `{raw}`");
    }
    for (what, s) in [
        ("stdout", text(&out.stdout)),
        ("stderr", text(&out.stderr)),
        ("SUMMARY.txt", read("SUMMARY.txt")),
        ("summary.md", md),
        ("report.html", html),
        ("points.csv", read("points.csv")),
    ] {
        assert!(!s.contains('\u{1b}'), "{what} holds a raw escape character");
    }
}

fn case_index(name: &str) -> usize {
    CASES.iter().position(|c| c.name == name).unwrap()
}

/// Unreadable files and directories are named with the reason. As root, chmod 000 does not
/// stop reads, so there `show` runs as the unprivileged `nobody` (setpriv), for whom it does.
#[test]
fn unreadable_files_and_directories_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("unreadable");
    let good = repo(SERVING_GOOD);
    copy_dir(&good, &root.join("good"));
    let sample = root
        .join("good")
        .join("vllm_v0.9_save_result_llmd_30qps.json");
    let file = root.join("locked_file.json");
    fs::copy(&sample, &file).unwrap();
    let dir = root.join("locked_dir");
    fs::create_dir(&dir).unwrap();
    fs::copy(&sample, dir.join("r.json")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o000)).unwrap();
    let blocked = fs::read(&file).is_err();
    // Root reads through chmod 000: read as `nobody` instead (the temp dir must let it in).
    let as_nobody = !blocked && Path::new("/usr/bin/setpriv").exists();
    if as_nobody {
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = if as_nobody {
        Command::new("/usr/bin/setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(common::ADREPORT)
            .args(["show", "--format", "json"])
            .arg(&root)
            .env("NO_COLOR", "1")
            .output()
            .expect("setpriv")
    } else {
        show(&[&root])
    };
    // Restore, so the temporary directory can be removed.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    assert_no_panic("unreadable", &out);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    if !blocked && !as_nobody {
        common::skip("the permission asserts: running as root without setpriv, chmod 000 does not block reads");
        return;
    }
    assert_message(
        "unreadable",
        &err,
        "locked_file.json: left out: cannot read: Permission denied",
        &root,
    );
    assert_message("unreadable", &err, "locked_dir: cannot read:", &root);
    assert_eq!(rows(&out).len(), 2, "the good points stay");
}

/// Inputs that are not there, loop, or are not UTF-8: exit 1 with the reason, never a panic.
#[test]
fn bad_input_arguments_exit_1_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let out = show(&[&missing]);
    assert_no_panic("missing", &out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing: cannot read: No such file or directory"));

    let looped = tmp.path().join("loop");
    std::os::unix::fs::symlink("loop", &looped).unwrap();
    let out = show(&[&looped]);
    assert_no_panic("loop", &out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("loop: cannot read:"),
        "{}",
        text(&out.stderr)
    );

    // Arguments are read as text: a non-UTF-8 argument is a usage error (exit 1, not clap's 2,
    // which would read as a tripped gate). Non-UTF-8 names inside a directory are read.
    use std::os::unix::ffi::OsStrExt;
    let odd = tmp.path().join(std::ffi::OsStr::from_bytes(b"\xff"));
    fs::create_dir(&odd).unwrap();
    let out = show(&[&odd]);
    assert_no_panic("non-UTF-8 argument", &out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid UTF-8"),
        "{}",
        text(&out.stderr)
    );

    // An empty directory beside a good input: a warning, and the good points.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = show(&[&empty, &repo(SERVING_GOOD)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("empty: no result files of a known format here"));
    assert_eq!(rows(&out).len(), 2);
}

/// Non-UTF-8 names reach every report output without breaking it.
#[test]
fn non_utf8_names_reach_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = materialise(&CASES[case_index("non_utf8_names")], tmp.path());
    let out_dir = tmp.path().join("out");
    let out = adreport(&[Path::new("report"), &root, Path::new("-o"), &out_dir]);
    assert_no_panic("report", &out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = fs::read_to_string(out_dir.join("SUMMARY.txt")).unwrap();
    assert!(summary.contains("label_\u{fffd}"), "{summary}");
}

/// A value that could not be read (null, NaN, missing) is shown as missing everywhere, never as 0:
/// `show` as JSON (null), CSV (empty) and table (`-`), and `compare` (no delta, `-` in summary.md).
#[test]
fn unreadable_values_are_never_a_silent_zero() {
    let cases = [
        // The same real run (conc 1) as the base, so the pair aligns and every other delta is there.
        ("aiperf_null_value", "ttft_avg_ms", AIPERF_CONC1),
        ("aiperf_missing_metric", "request_throughput", AIPERF_CONC1),
        ("benchmark_serving_null_value", "ttft_avg_ms", SERVING_GOOD),
        ("benchmark_serving_nan_value", "ttft_avg_ms", SERVING_GOOD),
        ("genai_perf_json_null_value", "e2el_p99_ms", GENAI_GOOD),
    ];
    for (name, metric, good) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let root = materialise(&CASES[case_index(name)], tmp.path());

        let json = rows(&show(&[&root]));
        assert!(
            json.iter().all(|r| r[metric].is_null()),
            "{name}: {metric} in JSON: {json:?}"
        );
        let csv = adreport(&[
            Path::new("show"),
            &root,
            Path::new("--format"),
            Path::new("csv"),
        ]);
        let csv = text(&csv.stdout);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        // Absent from every point, the column is left out; present for some, the cell is empty.
        if let Some(col) = header.iter().position(|h| *h == metric) {
            for line in lines {
                assert_eq!(line.split(',').nth(col), Some(""), "{name}: CSV row {line}");
            }
        }
        let table = adreport(&[
            Path::new("show"),
            &root,
            Path::new("--metrics"),
            Path::new(metric),
        ]);
        let table = text(&table.stdout);
        if table.lines().any(|l| l.contains(&format!(" {metric} "))) {
            let row = table
                .lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("{table}"));
            assert!(
                row.trim_end_matches(['│', ' ']).ends_with('-'),
                "{name}: {row}"
            );
        }

        let out_dir = tmp.path().join("out");
        let base = tmp.path().join("base");
        copy_dir(&repo(good), &base);
        let case_arg = format!("case={}", root.display());
        let out = adreport(&[
            Path::new("compare"),
            &base,
            Path::new(&case_arg),
            Path::new("-o"),
            &out_dir,
        ]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let findings: Value =
            serde_json::from_str(&fs::read_to_string(out_dir.join("findings.json")).unwrap())
                .unwrap();
        for p in findings["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["label"] == "case")
        {
            assert!(p["metrics"].get(metric).is_none(), "{name}: {p}");
        }
        let comparisons = findings["comparisons"].as_array().unwrap();
        if good == AIPERF_CONC1 {
            let pairs = comparisons[0]["pairs"].as_array().unwrap();
            assert!(
                pairs[0]["deltas"].as_array().unwrap().len() > 5,
                "{name}: {pairs:?}"
            );
        }
        for c in comparisons {
            for pair in c["pairs"].as_array().unwrap() {
                assert!(
                    pair["deltas"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|d| d["metric"] != metric),
                    "{name}: a delta of {metric} against nothing: {pair}"
                );
            }
        }
        let md = fs::read_to_string(out_dir.join("summary.md")).unwrap();
        let cells =
            |l: &str| -> Vec<String> { l.split('|').map(|c| c.trim().to_string()).collect() };
        let header = md
            .lines()
            .rfind(|l| l.starts_with("| label |"))
            .unwrap_or_else(|| panic!("{md}"));
        if let Some(col) = cells(header).iter().position(|h| h == metric) {
            let row = md.lines().find(|l| l.starts_with("| case")).unwrap();
            assert_eq!(cells(row)[col], "-", "{name}: {row}");
        }
    }
}
