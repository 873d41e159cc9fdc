//! What every fuzz target runs, shared with `tests/ingest_fuzz_regressions.rs` so a saved crash input
//! replays on stable in `cargo test`. The input is written where the reader expects its file,
//! the reader is called directly (whatever its sniff says), then the whole pipeline runs on the
//! directory: walker, analysis, every text output. A panic anywhere is the bug.

use std::fs;
use std::path::{Path, PathBuf};

use adreport::analyze::findings::{analyze, Settings};
use adreport::analyze::sla::Sla;
use adreport::ingest::{
    self, aiconfigurator, aiperf, benchmark_serving, genai_perf, guidellm, inference_perf,
    llm_d_report, mlperf, mlperf_detail, trtllm_bench, IngestOptions, Input, ReadCtx, SNIFF_BYTES,
};
use adreport::model::Stat;
use adreport::render::output::{render_all, Exporter};
use adreport::render::point_table::{point_table, Columns};
use adreport::render::show::{self, ShowFormat};
use adreport::render::{
    findings_json, isl_osl_table, markdown, points_csv, summary, terminal, ReportCtx,
};

/// Every fuzz target, by the reader it feeds.
pub const TARGETS: [&str; 16] = [
    "aiperf_json",
    "aiperf_jsonl",
    "benchmark_serving",
    "genai_perf_json",
    "genai_perf_csv",
    "trtllm_bench_text",
    "trtllm_bench_json",
    "aiconfigurator_csv",
    "guidellm_json",
    "guidellm_yaml",
    "guidellm_csv",
    "inference_perf_json",
    "llm_d_report_yaml",
    "mlperf_summary",
    "mlperf_detail",
    "inference_perf_requests",
];

/// inference-perf's `config.yaml` beside the fuzzed stage report, so its stage lookup runs.
const INFERENCE_PERF_CONFIG: &str = "load:\n  type: constant\n  stages:\n  - rate: 2.0\n    duration: 10\nserver:\n  model_name: m\ndata:\n  input_distribution: {min: 8, max: 8, mean: 8, std_dev: 0}\n";

/// inference-perf's real stage 0 report of the rate run (20 requests), beside the fuzzed
/// per-request records.
const INFERENCE_PERF_STAGE_0: &str =
    include_str!("../../tests/data/inference-perf/rate/stage_0_lifecycle_metrics.json");

/// A real MLPerf Server summary (tests/data/mlperf/README.md), beside the fuzzed detail log.
const MLPERF_SERVER_SUMMARY: &str = include_str!("../../tests/data/mlperf/v4.1/closed/NVIDIA/results/B200-SXM-180GBx1_TRT/llama2-70b-99.9/Server/performance/run_1/mlperf_log_summary.txt");

/// A small valid aiperf export, so the JSONL target reaches the per-request reader.
const AIPERF_EXPORT: &str = r#"{"schema_version": "1.4", "aiperf_version": "0.13.0",
"request_throughput": {"unit": "requests/sec", "avg": 2.0},
"request_latency": {"unit": "ms", "avg": 500.0, "p50": 490.0, "p99": 700.0},
"request_count": {"unit": "requests", "avg": 5.0},
"time_to_first_token": {"unit": "ms", "avg": 50.0, "p99": 80.0},
"inter_token_latency": {"unit": "ms", "avg": 7.0},
"output_token_throughput": {"unit": "tokens/sec", "avg": 128.0},
"input_config": {"phases": [{"name": "profiling", "concurrency": 4}],
  "datasets": [{"prompts": {"isl": {"mean": 128.0}, "osl": {"mean": 64.0}}}]},
"was_cancelled": false, "is_complete": true, "error_summary": []}
"#;

/// Runs one target on one input.
pub fn run(target: &str, data: &[u8]) {
    let root = scratch(target);
    let mut ctx = ReadCtx::default();
    match target {
        "aiperf_json" => {
            let dir = root.join("run");
            write(&dir.join("profile_export_aiperf.json"), data);
            let _ = aiperf::sniff_dir(&dir);
            let _ = aiperf::read_dir(&dir, &mut ctx);
        }
        "aiperf_jsonl" => {
            let dir = root.join("run");
            write(
                &dir.join("profile_export_aiperf.json"),
                AIPERF_EXPORT.as_bytes(),
            );
            write(&dir.join("profile_export.jsonl"), data);
            let _ = aiperf::read_dir(&dir, &mut ctx);
        }
        "benchmark_serving" => {
            let f = root.join("result.json");
            write(&f, data);
            let _ = benchmark_serving::sniff(&f, &head(data));
            let _ = benchmark_serving::read(&f, &mut ctx);
        }
        "genai_perf_json" | "genai_perf_csv" => {
            let ext = if target.ends_with("json") {
                "json"
            } else {
                "csv"
            };
            let f = root.join(format!("profile_export_genai_perf.{ext}"));
            write(&f, data);
            let _ = genai_perf::sniff(&f, &head(data));
            let _ = genai_perf::read(&f, &mut ctx);
        }
        "trtllm_bench_text" | "trtllm_bench_json" => {
            let ext = if target.ends_with("json") {
                "json"
            } else {
                "txt"
            };
            let f = root.join(format!("report.{ext}"));
            write(&f, data);
            let _ = trtllm_bench::sniff(&f, &head(data));
            let _ = trtllm_bench::read(&f, &mut ctx);
        }
        "aiconfigurator_csv" => {
            let save = root.join("model_isl100_osl10_ttft500_tpot7_1");
            write(&save.join("agg").join("pareto.csv"), data);
            let _ = aiconfigurator::sniff_dir(&save);
            let _ = aiconfigurator::read_dir(&save, &mut ctx);
            let _ = aiconfigurator::load_run(&save);
        }
        "guidellm_json" | "guidellm_yaml" => {
            let ext = if target.ends_with("json") {
                "json"
            } else {
                "yaml"
            };
            let f = root.join(format!("benchmarks.{ext}"));
            write(&f, data);
            let _ = guidellm::sniff(&f, &head(data));
            let _ = guidellm::read(&f, &mut ctx);
        }
        "guidellm_csv" => {
            let f = root.join("benchmarks.csv");
            write(&f, data);
            let _ = guidellm::csv::sniff(&f, &head(data));
            let _ = guidellm::csv::read(&f, &mut ctx);
        }
        "inference_perf_json" => {
            let f = root.join("stage_0_lifecycle_metrics.json");
            write(&root.join("config.yaml"), INFERENCE_PERF_CONFIG.as_bytes());
            write(&f, data);
            let _ = inference_perf::sniff(&f, &head(data));
            let _ = inference_perf::read(&f, &mut ctx);
        }
        "llm_d_report_yaml" => {
            let f = root.join("benchmark_report.yaml");
            write(&f, data);
            let _ = llm_d_report::sniff(&f, &head(data));
            let _ = llm_d_report::read(&f, &mut ctx);
        }
        "mlperf_summary" => {
            let f = root.join("mlperf_log_summary.txt");
            write(&f, data);
            let _ = mlperf::sniff(&f, &head(data));
            let _ = mlperf::read(&f, &mut ctx);
        }
        "inference_perf_requests" => {
            let stage = root.join("stage_0_lifecycle_metrics.json");
            write(&root.join("config.yaml"), INFERENCE_PERF_CONFIG.as_bytes());
            write(&stage, INFERENCE_PERF_STAGE_0.as_bytes());
            write(&root.join("per_request_lifecycle_metrics.json"), data);
            let _ = inference_perf::read(&stage, &mut ctx);
        }
        "mlperf_detail" => {
            let summary = root.join("mlperf_log_summary.txt");
            write(&summary, MLPERF_SERVER_SUMMARY.as_bytes());
            let f = root.join("mlperf_log_detail.txt");
            write(&f, data);
            let _ = mlperf_detail::sniff(&f, &head(data));
            let _ = mlperf_detail::parse(&f);
            let _ = mlperf::read(&summary, &mut ctx);
        }
        other => panic!("unknown fuzz target `{other}`; known: {TARGETS:?}"),
    }
    pipeline(&root);
    let _ = fs::remove_dir_all(&root);
}

/// Walker, analysis (SLA, capacity, compare of the tree against itself) and every text output.
fn pipeline(root: &Path) {
    let input = |label: &str| Input {
        label: Some(label.to_string()),
        path: root.to_path_buf(),
    };
    let Ok(sweep) = ingest::load(
        &[input("a"), input("b")],
        &IngestOptions {
            gpus: Some(8),
            gpu_hour_cost: Some(2.5),
        },
    ) else {
        return;
    };
    let settings = Settings {
        sla: Sla::parse("ttft=500,tpot=20,e2el=5000,itl=30", Stat::P99).ok(),
        fail_on_regression: Some(5.0),
        fail_on_sla: true,
        noise: Default::default(),
    };
    let findings = analyze(&sweep, &settings);
    if let Ok(table) = point_table(&sweep, &Columns::All) {
        for format in [
            ShowFormat::Table,
            ShowFormat::Json,
            ShowFormat::Csv,
            ShowFormat::Markdown,
        ] {
            let _ = show::render(&table, format);
        }
    }
    let _ = terminal::summary(&findings, true, 100);
    let ctx = ReportCtx {
        findings: &findings,
        sweep: &sweep,
        inputs: &[],
        out_dir: root,
        lead: &[],
    };
    // The text outputs; the charts are drawn by their own tests, too slow to fuzz.
    let text: Vec<Box<dyn Exporter<ReportCtx>>> = vec![
        Box::new(summary::SummaryTxt),
        Box::new(markdown::SummaryMd),
        Box::new(findings_json::FindingsJson),
        Box::new(points_csv::PointsCsv),
        Box::new(isl_osl_table::IslOslTable),
    ];
    let _ = render_all(&text, &ctx);
}

/// What sniffing sees: the first bytes as lossy text.
fn head(data: &[u8]) -> String {
    String::from_utf8_lossy(&data[..data.len().min(SNIFF_BYTES)]).into_owned()
}

/// A fresh directory for this process (libFuzzer may run several), in memory where possible.
fn scratch(target: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join("adreport-fuzz").join(format!(
        "{target}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the fuzz scratch dir");
    dir
}

fn write(path: &Path, data: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create a fuzz input dir");
    }
    fs::write(path, data).expect("write the fuzz input");
}
