//! Command-line definitions (clap); `cli/resolve.rs` turns them into each command's options.

pub mod resolve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::run::offline::OfflineOptions;
use crate::commands::run::online::OnlineOptions;
use crate::render::plan::PlanFormat;
use crate::render::show::ShowFormat;

const EXIT_CODES: &str = "Exit codes:\n  0  success\n  1  error (bad input, nothing usable, cannot write)\n  2  a gate tripped: --fail-on-regression, --fail-on-sla or --max-ape";

#[derive(Parser, Debug)]
#[command(name = "adreport", version = env!("ADREPORT_VERSION"), about = "Answers from LLM serving benchmark results: ingest aiperf, genai-perf, benchmark_serving, trtllm-bench and AIConfigurator outputs, check SLAs, compare configs, report.", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every load point found under the paths.
    Show(ShowArgs),
    /// Report on one sweep: SLA verdicts, capacity, plots, SUMMARY.txt, report.html.
    Report(ReportArgs),
    /// Compare sweeps against the first (the baseline): deltas, significance, SLA capacity.
    Compare(CompareArgs),
    /// Measure the run-to-run noise of one config from its repeats, for `compare --noise`.
    Noise(NoiseArgs),
    /// Audit AIConfigurator's predictions against measured sweeps of the predicted config.
    Audit(AuditArgs),
    /// Replicas, GPUs, energy and cost to serve a request rate (or a rate trace) under the SLA.
    Plan(PlanArgs),
    /// Write a synthetic dataset for trtllm-bench (no Python needed).
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Run a benchmark sweep whose results `report` and `compare` read.
    Run(RunArgs),
    /// Keep every run in a database (SQLite file or PostgreSQL) and find the run that
    /// changed a metric: add, list, show, check.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Write the results in another tool's format.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory with -o.
    Man(ManArgs),
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// One llm-d Benchmark Report v0.2 (YAML) per load point, for llm-d-benchmark and
    /// llm-d-prism.
    #[command(name = "llm-d")]
    LlmD(ExportLlmdArgs),
}

#[derive(Args, Debug)]
pub struct ExportLlmdArgs {
    /// Result files or directories, each optionally `label=path`.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// Directory for the reports (created when missing).
    #[arg(short = 'o', long = "out", value_name = "DIR", required = true)]
    pub out: PathBuf,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write adreport.1 and adreport-COMMAND.1 for every command into DIR.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

const HISTORY_DB_HELP: &str =
    "The history: a SQLite file (created when missing) or a postgres://user@host/db URL";

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// Store one run (every point of the results under PATH) with a fingerprint of what ran.
    /// The same --run-id again replaces the stored run.
    Add(HistoryAddArgs),
    /// The stored runs, oldest first.
    List(HistoryListArgs),
    /// A metric's value per run, with change points and fingerprint changes marked.
    Show(HistoryShowArgs),
    /// Change points in every series (label x load point x metric) of the newest runs.
    #[command(after_help = EXIT_CODES)]
    Check(HistoryCheckArgs),
    /// The check as trend charts (one PNG per metric and load point), summary.md and report.html.
    #[command(after_help = EXIT_CODES)]
    Report(HistoryReportArgs),
}

#[derive(Args, Debug)]
pub struct HistoryReportArgs {
    #[command(flatten)]
    pub opts: HistoryCheckOpts,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Args, Debug)]
pub struct HistoryDb {
    #[arg(long, value_name = "DB", default_value = "adreport-history.db", help = HISTORY_DB_HELP)]
    pub db: String,
}

#[derive(Args, Debug)]
pub struct HistoryAddArgs {
    /// Result files or directories of one run, each optionally `label=path`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub db: HistoryDb,
    /// The series label of every PATH given without `label=` [default: the `label` in the
    /// runner's run.json, else the sweep's client:model; never the directory's own name, which
    /// nightly jobs change every night].
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// The run's name in the history [default: a hash of the results and fingerprint].
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// The commit that was benchmarked.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// When the run happened, RFC 3339 [default: run.json's start, else now]. Runs are
    /// ordered by it.
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// A free-form tag (repeat for more).
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Args, Debug)]
pub struct HistoryListArgs {
    #[command(flatten)]
    pub db: HistoryDb,
    /// Only the newest N runs.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
}

#[derive(Args, Debug)]
pub struct HistoryShowArgs {
    #[command(flatten)]
    pub db: HistoryDb,
    /// Only this label's points.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Canonical metric names, comma-separated or repeated [default: ttft_avg_ms].
    #[arg(long = "metric", value_name = "METRIC")]
    pub metrics: Vec<String>,
    /// Only points at this concurrency.
    #[arg(long, value_name = "C")]
    pub concurrency: Option<i64>,
    /// Only the newest N runs.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
}

/// What `history check` and `history report` look at and judge.
#[derive(Args, Debug)]
pub struct HistoryCheckOpts {
    #[command(flatten)]
    pub db: HistoryDb,
    /// Look at the newest N runs [default: 60].
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Only these canonical metrics (comma-separated or repeated) [default: all].
    #[arg(long = "metric", value_name = "METRIC")]
    pub metrics: Vec<String>,
    /// Only this label's points.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Exit 2 when the newest change point of a series is a regression larger than PCT percent;
    /// exit 1 when no series has the runs a check needs (the gate could not fire).
    #[arg(long, value_name = "PCT")]
    pub fail_on_regression: Option<f64>,
    /// A change point counts when its permutation p-value is at most this.
    #[arg(long, value_name = "P", default_value_t = 0.01)]
    pub max_pvalue: f64,
}

#[derive(Args, Debug)]
pub struct HistoryCheckArgs {
    #[command(flatten)]
    pub opts: HistoryCheckOpts,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
}

#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    /// Random token ids with normally distributed input and output lengths, the JSON lines of
    /// TensorRT-LLM's `prepare_dataset.py --stdout token-norm-dist`.
    TokenNormDist(TokenNormDistArgs),
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("vocab").required(true).args(["vocab_size", "tokenizer"])))]
pub struct TokenNormDistArgs {
    /// Number of requests (lines).
    #[arg(long, value_name = "N")]
    pub num_requests: u64,
    /// Mean input length in tokens.
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
    pub input_mean: i64,
    /// Standard deviation of the input length; 0 gives every request exactly the mean.
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
    pub input_stdev: i64,
    /// Mean output length in tokens (`output_tokens`).
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
    pub output_mean: i64,
    /// Standard deviation of the output length; 0 gives fixed lengths.
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true)]
    pub output_stdev: i64,
    /// Token ids are drawn from 0..N.
    #[arg(long, value_name = "N")]
    pub vocab_size: Option<u32>,
    /// A HF tokenizer.json (or the directory holding it): ids are drawn from its base vocabulary
    /// (`model.vocab`, what `tokenizer.vocab_size` counts; added special tokens left out), and the EOS
    /// token named in tokenizer_config.json beside it is avoided.
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// Token id never to emit (it becomes id + 1, as in the original); overrides the tokenizer's.
    #[arg(long, value_name = "ID")]
    pub eos_id: Option<u32>,
    /// Random seed (prepare_dataset.py's `--random-seed`).
    #[arg(long, value_name = "N", default_value_t = crate::commands::dataset::token_norm_dist::DEFAULT_SEED)]
    pub seed: u64,
    /// LoRA task id; with --lora-dir each line gets a `lora_request` for it. -1: none.
    #[arg(long, value_name = "ID", default_value_t = -1, allow_negative_numbers = true)]
    pub task_id: i64,
    /// Directory of LoRA adapters (`lora_path` is DIR/TASK_ID).
    #[arg(long, value_name = "DIR")]
    pub lora_dir: Option<String>,
    /// Write to FILE instead of stdout (written whole, then renamed into place).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(subcommand)]
    pub command: RunCommand,
}

const RUN_EXIT_CODES: &str = "Exit codes:\n  0    every point complete (and the report written)\n  1    error, or a point failed (finished points are kept; a rerun resumes)\n  130  interrupted by Ctrl-C (143 for SIGTERM); finished points are kept";

#[derive(Subcommand, Debug)]
pub enum RunCommand {
    /// Launch (or attach to) an OpenAI-compatible server and sweep concurrencies with
    /// aiperf, benchmark_serving or SGLang's bench_serving. Writes OUT/LABEL/isl_X_osl_Y_conc_C/.
    #[command(after_help = RUN_EXIT_CODES)]
    Online(Box<OnlineOptions>),
    /// Run `trtllm-bench throughput` over backends x ISL x OSL x max batch sizes, no server.
    /// Writes OUT/LABEL/BACKEND/isl_X_osl_Y_bs_B/ and OUT/LABEL/datasets/.
    #[command(after_help = RUN_EXIT_CODES)]
    Offline(Box<OfflineOptions>),
    /// How far a sweep under OUT got: points complete per config (and repeat), and the state of
    /// the Slurm job each one was last submitted as (`--slurm --no-wait`).
    Status(StatusArgs),
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The sweep's output root (`-o` of `run online|offline`).
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct AnalysisArgs {
    /// SLA targets in ms, e.g. `ttft=500,tpot=7` (also itl=, e2el=).
    #[arg(long, value_name = "TARGETS")]
    pub sla: Option<String>,
    /// Statistic the SLA is judged on.
    #[arg(long, value_enum, default_value = "avg")]
    pub sla_stat: SlaStat,
    /// Exit 2 when a point under test misses the SLA (in compare: any label but the baseline).
    #[arg(long)]
    pub fail_on_sla: bool,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SlaStat {
    Avg,
    P50,
    P90,
    P99,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The sweep: a result directory or file, optionally `label=path`.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two or more sweeps, each a path or `label=path`; the first is the baseline (with
    /// --baseline-history: one or more, all compared against the history).
    #[arg(required = true, num_args = 1.., value_name = "RUN")]
    pub runs: Vec<String>,
    /// Use the newest runs in this history (see `history add`) that ran the same thing (same
    /// fingerprint) as the baseline, labelled `history`, each run one repeat of it.
    #[arg(long, value_name = "DB")]
    pub baseline_history: Option<String>,
    /// With --baseline-history: how many of the newest matching runs [default: 10].
    #[arg(long, value_name = "N", requires = "baseline_history")]
    pub last: Option<usize>,
    /// Exit 2 when a metric of a label is significantly worse than the baseline by more than
    /// PCT percent: the whole interval of the change lies beyond PCT, at the level the
    /// correction for all the compare's tests sets (single runs are judged against the
    /// run-to-run noise: --noise, --noise-floor, else a default). Exit 1 when nothing aligns.
    #[arg(long, value_name = "PCT")]
    pub fail_on_regression: Option<f64>,
    /// Run-to-run noise written by `adreport noise`, for points measured once.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<PathBuf>,
    /// Run-to-run CV in percent assumed for every metric when neither repeats nor --noise
    /// give one [default: 15 for means and throughputs, 25 for percentiles].
    #[arg(long, value_name = "PCT")]
    pub noise_floor: Option<f64>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Args, Debug)]
pub struct NoiseArgs {
    /// Repeats of ONE config (rep_N/ or run_NNNN/ directories, or several labels of it);
    /// writes OUT/noise.json.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// AIConfigurator --save-dir (or any directory above exactly one save dir).
    #[arg(long, value_name = "DIR")]
    pub predicted: PathBuf,
    /// A measured sweep of the config (aiperf or benchmark_serving results). For several
    /// top-N configs repeat it with labels: --measured rank1=DIR --measured rank2=DIR.
    #[arg(long, required = true, value_name = "[rankN=]DIR")]
    pub measured: Vec<String>,
    /// Experiment to audit: agg, disagg or an experiment directory name (default: the one
    /// whose rank-1 config AIConfigurator would pick).
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Config to audit: a prefix of the `parallel` column, e.g. tp8pp1.
    #[arg(long, value_name = "PARALLEL", conflicts_with = "rank")]
    pub config: Option<String>,
    /// Config to audit: row N of best_config_topn.csv.
    #[arg(long, value_name = "N")]
    pub rank: Option<usize>,
    /// GPUs the measured sweep ran on (a multiple of the config's GPUs per replica);
    /// default: one replica.
    #[arg(long, value_name = "N")]
    pub gpus: Option<u64>,
    /// Exit 2 when any audited metric's MAPE exceeds PCT percent.
    #[arg(long, value_name = "PCT")]
    pub max_ape: Option<f64>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// GPUs serving each point, for tokens/s/gpu when the results do not say.
    #[arg(long, value_name = "N")]
    pub gpus: Option<u64>,
    /// Dollars per GPU hour, for usd_per_million_output_tokens.
    #[arg(long, value_name = "USD", value_parser = non_negative_usd)]
    pub gpu_hour_cost: Option<f64>,
}

fn non_negative_usd(s: &str) -> Result<f64, String> {
    match s.trim_start_matches('$').parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of dollars >= 0")),
    }
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The measured sweep: a result directory or file, optionally `label=path`.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// Target request rate, requests per second.
    #[arg(
        long,
        value_name = "R",
        required_unless_present = "trace",
        conflicts_with = "trace"
    )]
    pub rate: Option<f64>,
    /// A request-rate trace: CSV rows of `timestamp, requests per second`.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// SLA targets in ms, e.g. `ttft=500,tpot=7` (also itl=, e2el=).
    #[arg(long, value_name = "TARGETS", required = true)]
    pub sla: String,
    /// Statistic the SLA is judged on.
    #[arg(long, value_enum, default_value = "avg")]
    pub sla_stat: SlaStat,
    /// Spare capacity per replica in percent: replicas run at most at (100 - PCT)% of capacity.
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    pub headroom: f64,
    /// Plan for this label when the run holds several.
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,
    /// Plan for this input length when the run holds several.
    #[arg(long, value_name = "N")]
    pub isl: Option<u64>,
    /// Plan for this output length when the run holds several.
    #[arg(long, value_name = "N")]
    pub osl: Option<u64>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: PlanFormat,
    /// Also write plan.json, plan.md (and the trace chart) into DIR.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// What `show` prints or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PointsFormat {
    Table,
    Json,
    Csv,
    Markdown,
    /// Every column, typed, into the file `-o` names.
    Parquet,
}

impl PointsFormat {
    /// The text format, `None` for Parquet.
    pub fn text(self) -> Option<ShowFormat> {
        match self {
            PointsFormat::Table => Some(ShowFormat::Table),
            PointsFormat::Json => Some(ShowFormat::Json),
            PointsFormat::Csv => Some(ShowFormat::Csv),
            PointsFormat::Markdown => Some(ShowFormat::Markdown),
            PointsFormat::Parquet => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Result files or directories, each optionally `label=path`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: PointsFormat,
    /// Write to FILE instead of stdout (needed for --format parquet).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Comma-separated metric columns (canonical names, e.g. ttft_p99_ms,tpot_avg_ms).
    #[arg(long, value_name = "LIST")]
    pub metrics: Option<String>,
    /// One row per repeat (column `repeat`) instead of one row per point with the mean over
    /// its repeats.
    #[arg(long)]
    pub repeats: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Output directory argument shared by report-writing commands.
#[derive(Args, Debug)]
pub struct OutArgs {
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "adreport-out"
    )]
    pub out: PathBuf,
}
