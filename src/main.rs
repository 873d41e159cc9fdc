//! The binary: parse the command line, run one command, map its outcome to the exit code.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use adreport::cli::{resolve, Cli, Command, DatasetCommand, ExportCommand};
use adreport::commands::{self, Outcome};
use adreport::ingest::printable;
use adreport::util::error::Error;

fn main() -> ExitCode {
    // clap exits 2 on a usage error, which here means "a gate tripped": map it to 1.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    match run(cli.command) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            // Keep the line breaks of a multi-line error; escape every other control character.
            let text: Vec<String> = e.to_string().lines().map(printable).collect();
            eprintln!("error: {}", text.join("\n"));
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<Outcome, Error> {
    use commands::*;
    match command {
        Command::Show(a) => show::run(&resolve::show(&a)),
        Command::Report(a) => report::command(&resolve::report(&a)?),
        Command::Compare(a) => compare::command(&resolve::compare(&a)?),
        Command::Noise(a) => noise::command(&resolve::noise(&a)),
        Command::Audit(a) => audit::command(&resolve::audit(&a)),
        Command::Plan(a) => plan::command(&resolve::plan(&a)?),
        Command::Dataset(DatasetCommand::TokenNormDist(a)) => {
            dataset::token_norm_dist(&resolve::token_norm_dist(&a)?)
        }
        Command::Run(r) => run::command(resolve::run(r.command)),
        Command::History(h) => history::command(&resolve::history(&h)?),
        Command::Export(ExportCommand::LlmD(a)) => export::llm_d(&resolve::export_llm_d(&a)),
        Command::Completions(a) => shell::completions(Cli::command(), a.shell),
        Command::Man(a) => shell::man(Cli::command(), a.out.as_ref()),
    }
}
