//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::render::show::ShowFormat;

const EXIT_CODES: &str = "Exit codes:\n  0  success\n  1  error (bad input, nothing usable, cannot write)\n  2  a gate tripped: --fail-on-regression or --fail-on-sla";

#[derive(Parser, Debug)]
#[command(name = "adreport", version, about = "Answers from LLM serving benchmark results: ingest aiperf, genai-perf, benchmark_serving, trtllm-bench and AIConfigurator outputs, check SLAs, compare configs, report.", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every load point found under the paths.
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// GPUs serving each point, for tokens/s/gpu when the results do not say.
    #[arg(long, value_name = "N")]
    pub gpus: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Result files or directories, each optionally `label=path`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
    /// Comma-separated metric columns (canonical names, e.g. ttft_p99_ms,tpot_avg_ms).
    #[arg(long, value_name = "LIST")]
    pub metrics: Option<String>,
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
