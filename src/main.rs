use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use adreport::cli::{Cli, Command, ShowArgs};
use adreport::error::Error;
use adreport::ingest::{self, IngestOptions, Input};
use adreport::render::point_table::{point_table, Columns, DEFAULT_METRICS};
use adreport::render::show::{self, ShowFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Show(args) => run_show(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_warnings(warnings: &[adreport::model::Warning]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn run_show(args: &ShowArgs) -> Result<ExitCode, Error> {
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::parse(p)).collect();
    let sweep = ingest::load(
        &inputs,
        &IngestOptions {
            gpus: args.load.gpus,
        },
    )?;
    print_warnings(&sweep.warnings);
    let columns = match (args.format, &args.metrics) {
        (ShowFormat::Json | ShowFormat::Csv, None) => Columns::All,
        _ => Columns::parse(args.metrics.as_deref(), &DEFAULT_METRICS)?,
    };
    let table = point_table(&sweep, &columns)?;
    let text = show::render(&table, args.format);
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
