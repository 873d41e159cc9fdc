use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use adreport::analyze::findings::Settings;
use adreport::analyze::noise::{NoiseSources, NoiseTable};
use adreport::analyze::sla::Sla;
use adreport::audit::{self, AuditJob};
use adreport::ci::{markdown_file, GithubStep};
use adreport::cli::{
    AnalysisArgs, AuditArgs, Cli, Command, CompareArgs, DatasetCommand, ExportCommand, LoadArgs,
    ManArgs, NoiseArgs, PlanArgs, RunCommand, ShowArgs, SlaStat, TokenNormDistArgs,
};
use adreport::dataset::{self, DatasetSummary, NormDist, TokenNormDist};
use adreport::error::{Error, ReadError};
use adreport::history;
use adreport::ingest::{self, IngestOptions, Input};
use adreport::model::{Stat, Warning};
use adreport::plan;
use adreport::render::headline::nothing_gated;
use adreport::render::output::{write_file, write_outputs, Exporter, Output, Rendered};
use adreport::render::parquet::{self, points_parquet};
use adreport::render::plan as render_plan;
use adreport::render::point_table::{point_table, Columns, DEFAULT_METRICS};
use adreport::render::show::{self, ShowFormat};
use adreport::render::terminal;
use adreport::render::{github, junit, markdown};
use adreport::report;

mod history_command;

/// Exit code when a gate the user set trips.
const EXIT_GATE: u8 = 2;

fn main() -> ExitCode {
    // clap exits 2 on a usage error, which here means "a gate tripped": map it to 1.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Show(args) => run_show(&args),
        Command::Report(args) => {
            run_report(&args.runs, &args.analysis, None, Default::default(), None)
        }
        Command::Compare(args) => run_compare(&args),
        Command::Noise(args) => run_noise(&args),
        Command::Audit(args) => run_audit(&args),
        Command::Plan(args) => run_plan(&args),
        Command::Dataset(DatasetCommand::TokenNormDist(args)) => run_token_norm_dist(&args),
        Command::Run(run) => return run_command(run.command),
        Command::History(cmd) => history_command::run(&cmd),
        Command::Completions(args) => {
            print_bytes(&adreport::cli::completions(args.shell));
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => run_man(&args),
        Command::Export(ExportCommand::LlmD(args)) => {
            report::export_llmd(&args.runs, &ingest_options(&args.load), &args.out).map(
                |(sweep, files)| {
                    print_warnings(&sweep.warnings);
                    eprintln!(
                        "wrote {} llm-d benchmark reports (v{}) to {}",
                        files.len(),
                        adreport::render::llmd::VERSION,
                        args.out.display()
                    );
                    ExitCode::SUCCESS
                },
            )
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Keep the line breaks of a multi-line error; escape every other control character.
            let text: Vec<String> = e.to_string().lines().map(ingest::printable).collect();
            eprintln!("error: {}", text.join("\n"));
            ExitCode::from(1)
        }
    }
}

/// The sweep runners report their own outcome; their exit code says how it ended.
fn run_command(cmd: RunCommand) -> ExitCode {
    let result = match cmd {
        RunCommand::Online(flags) => adreport::run::online::run(*flags),
        RunCommand::Offline(flags) => adreport::run::offline::run(*flags),
        RunCommand::Status(args) => adreport::run::fanout::status::lines(&args.out).map(|lines| {
            for l in lines {
                println!("{l}");
            }
            0
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_warnings(warnings: &[Warning]) {
    for w in warnings {
        eprintln!("warning: {}", ingest::printable(&w.to_string()));
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not worth an error.
fn print(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn print_bytes(bytes: &[u8]) {
    let _ = std::io::stdout().write_all(bytes);
}

/// `adreport man`: the main page to stdout, or every page into `-o DIR`.
fn run_man(args: &ManArgs) -> Result<ExitCode, Error> {
    let pages = adreport::cli::man_pages().map_err(|source| Error::Write {
        path: "<man page>".into(),
        source,
    })?;
    match &args.out {
        None => print_bytes(&pages[0].bytes),
        Some(dir) => {
            let list: Vec<Box<dyn Exporter<()>>> = pages
                .into_iter()
                .map(|p| Box::new(Rendered(p)) as Box<dyn Exporter<()>>)
                .collect();
            let files = write_outputs(&list, &(), dir)?;
            eprintln!("wrote {} man pages to {}", files.len(), dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ingest_options(load: &LoadArgs) -> IngestOptions {
    IngestOptions {
        gpus: load.gpus,
        gpu_hour_cost: load.gpu_hour_cost,
    }
}

fn run_plan(args: &PlanArgs) -> Result<ExitCode, Error> {
    let job = plan::PlanJob {
        runs: args.runs.clone(),
        sla: Sla::parse(&args.sla, sla_stat(args.sla_stat)).map_err(Error::Usage)?,
        demand: match (&args.trace, args.rate) {
            (Some(t), _) => plan::Demand::Trace(t.clone()),
            (None, Some(r)) => plan::Demand::Rate(r),
            (None, None) => return Err(Error::Usage("give --rate R or --trace FILE".into())),
        },
        options: ingest_options(&args.load),
        headroom_pct: args.headroom,
        label: args.label.clone(),
        isl: args.isl,
        osl: args.osl,
    };
    let done = plan::run(&job)?;
    print_warnings(&done.sweep.warnings);
    print(&render_plan::render(&done.plan, args.format));
    if let Some(out) = &args.out {
        let files = write_outputs(&render_plan::plan_exporters(), &done.plan, out)?;
        eprintln!("wrote {} files to {}", files.len(), out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_show(args: &ShowArgs) -> Result<ExitCode, Error> {
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::parse(p)).collect();
    let sweep = ingest::load(&inputs, &ingest_options(&args.load))?;
    print_warnings(&sweep.warnings);
    let sweep = if args.repeats {
        sweep.repeats_view()
    } else {
        sweep
    };
    let Some(format) = args.format.text() else {
        let Some(path) = &args.output else {
            return Err(Error::Usage(
                "--format parquet writes a file: give -o FILE".into(),
            ));
        };
        let file = write_file(points_parquet(&sweep, parquet::POINTS_FILE)?, path)?;
        eprintln!("wrote {} ({} points)", file.display(), sweep.points.len());
        return Ok(ExitCode::SUCCESS);
    };
    let columns = match (format, &args.metrics) {
        (ShowFormat::Json | ShowFormat::Csv, None) => Columns::All,
        _ => Columns::parse(args.metrics.as_deref(), &DEFAULT_METRICS)?,
    };
    let text = show::render(&point_table(&sweep, &columns)?, format);
    match &args.output {
        Some(path) => {
            let file = write_file(Output::text(parquet::POINTS_FILE, text), path)?;
            eprintln!("wrote {}", file.display());
        }
        None => print(&text),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--noise FILE` and `--noise-floor PCT`.
fn noise_sources(a: &CompareArgs) -> Result<NoiseSources, Error> {
    let table = match &a.noise {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ReadError::io(path, &e))?;
            Some(NoiseTable::parse(&text).map_err(|m| ReadError::file(path, m))?)
        }
        None => None,
    };
    if a.noise_floor.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
        return Err(Error::Usage(
            "--noise-floor takes a run-to-run CV in percent >= 0".into(),
        ));
    }
    Ok(NoiseSources {
        table,
        floor_cv: a.noise_floor.map(|p| p / 100.0),
    })
}

fn run_compare(a: &CompareArgs) -> Result<ExitCode, Error> {
    let history = match &a.baseline_history {
        Some(db) => Some((db.as_str(), a.last.unwrap_or(DEFAULT_HISTORY_BASELINE))),
        None if a.runs.len() < 2 => {
            return Err(Error::Usage(
                "compare needs two or more sweeps, or one with --baseline-history DB".into(),
            ))
        }
        None => None,
    };
    run_report(
        &a.runs,
        &a.analysis,
        a.fail_on_regression,
        noise_sources(a)?,
        history,
    )
}

fn run_noise(a: &NoiseArgs) -> Result<ExitCode, Error> {
    let done = report::noise(&a.runs, &ingest_options(&a.load), &a.out.out)?;
    print_warnings(&done.sweep.warnings);
    print(&adreport::render::noise_json::noise_summary(&done.table));
    print(&format!(
        "\nwrote {}\n",
        done.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(ExitCode::SUCCESS)
}

fn sla_stat(s: SlaStat) -> Stat {
    match s {
        SlaStat::Avg => Stat::Avg,
        SlaStat::P50 => Stat::P50,
        SlaStat::P90 => Stat::P90,
        SlaStat::P99 => Stat::P99,
    }
}

fn settings(
    a: &AnalysisArgs,
    fail_on_regression: Option<f64>,
    noise: NoiseSources,
) -> Result<Settings, Error> {
    let stat = sla_stat(a.sla_stat);
    let sla = a
        .sla
        .as_deref()
        .map(|s| Sla::parse(s, stat))
        .transpose()
        .map_err(|e| Error::Usage(format!("--sla: {e}")))?;
    if a.fail_on_sla && sla.is_none() {
        return Err(Error::Usage("--fail-on-sla needs --sla".into()));
    }
    if fail_on_regression.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
        return Err(Error::Usage(
            "--fail-on-regression takes a percentage >= 0".into(),
        ));
    }
    Ok(Settings {
        sla,
        fail_on_regression,
        fail_on_sla: a.fail_on_sla,
        noise,
    })
}

/// `compare --baseline-history`: runs taken from the history when `--last` is not given.
const DEFAULT_HISTORY_BASELINE: usize = 10;

/// `report` and `compare`; with `history` (database, runs) the baseline comes from it.
fn run_report(
    runs: &[String],
    a: &AnalysisArgs,
    fail_on_regression: Option<f64>,
    noise: NoiseSources,
    history: Option<(&str, usize)>,
) -> Result<ExitCode, Error> {
    let settings = settings(a, fail_on_regression, noise)?;
    let options = ingest_options(&a.load);
    let done = match history {
        None => report::run(runs, &options, &settings, &a.out.out)?,
        Some((db, last)) => {
            let inputs: Vec<Input> = runs.iter().map(|r| Input::parse(r)).collect();
            let sweep = ingest::load(&inputs, &options)?;
            let sweep = history::baseline::with_history_baseline(sweep, db, last)?;
            report::run_sweep(sweep, runs, &settings, &a.out.out)?
        }
    };
    print_warnings(&done.sweep.warnings);
    print(&terminal::summary(
        &done.findings,
        terminal::use_color(),
        terminal::width(),
    ));
    print(&format!(
        "\nwrote {} files to {}\n",
        done.files.len(),
        a.out.out.display()
    ));
    // GitHub Actions: gate failures as annotations, summary.md in the job's step summary.
    if let Some(gh) = GithubStep::from_env() {
        let md = a.out.out.join(markdown::FILE);
        let junit = a.out.out.join(junit::FILE);
        let (text, full) = markdown_file(&md)?;
        let more_in = format!("{} and {full}", junit.display());
        gh.report(
            &github::annotations(&done.findings, &more_in),
            Some((&text, &full)),
        )?;
    }
    if let Some(why) = nothing_gated(&done.findings) {
        return Err(Error::Usage(why));
    }
    if done.findings.gate_hits.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_GATE))
    }
}

fn run_audit(args: &AuditArgs) -> Result<ExitCode, Error> {
    let done = audit::run(&AuditJob {
        predicted: args.predicted.clone(),
        measured: args.measured.clone(),
        mode: args.mode.clone(),
        config: args.config.clone(),
        rank: args.rank,
        gpus: args.gpus,
        max_ape: args.max_ape,
        out: args.out.out.clone(),
    })?;
    for w in &done.audit.warnings {
        eprintln!("warning: {w}");
    }
    let lines: Vec<String> = done
        .audit
        .headline
        .iter()
        .map(|l| format!("- {l}\n"))
        .collect();
    print(&lines.concat());
    print(&format!(
        "\nwrote {} files to {}\n",
        done.files.len(),
        args.out.out.display()
    ));
    if let Some(gh) = GithubStep::from_env() {
        let (text, full) = markdown_file(&args.out.out.join("audit.md"))?;
        gh.report(
            &github::audit_annotations(&done.audit, &full),
            Some((&text, &full)),
        )?;
    }
    if done.audit.gate_hits.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_GATE))
    }
}

/// The dataset spec from the flags; the vocabulary from --vocab-size or the tokenizer.
fn token_norm_dist_spec(a: &TokenNormDistArgs) -> Result<TokenNormDist, Error> {
    let (vocab_size, eos_id) = match (&a.tokenizer, a.vocab_size) {
        (Some(path), _) => {
            let info = dataset::tokenizer_info(path)?;
            eprintln!(
                "{}: {} ids in model.vocab ({} added tokens left out), EOS id {}",
                info.path.display(),
                info.vocab_size,
                info.added_tokens,
                info.eos_id
                    .map_or("unknown (no tokenizer_config.json eos_token)".into(), |e| {
                        e.to_string()
                    })
            );
            (info.vocab_size, info.eos_id)
        }
        (None, Some(n)) => (n, None),
        (None, None) => return Err(Error::Usage("give --vocab-size or --tokenizer".into())),
    };
    let spec = TokenNormDist {
        num_requests: a.num_requests,
        input: NormDist {
            mean: a.input_mean,
            stdev: a.input_stdev,
        },
        output: NormDist {
            mean: a.output_mean,
            stdev: a.output_stdev,
        },
        vocab_size,
        eos_id: a.eos_id.or(eos_id),
        seed: a.seed,
        task_id: a.task_id,
        lora_dir: a.lora_dir.clone(),
    };
    spec.validate().map_err(Error::Usage)?;
    Ok(spec)
}

fn run_token_norm_dist(a: &TokenNormDistArgs) -> Result<ExitCode, Error> {
    let spec = token_norm_dist_spec(a)?;
    if let Some(w) = spec.warning() {
        eprintln!("warning: {w}");
    }
    let summary = match &a.output {
        Some(path) => dataset::write_file(&spec, path)?,
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match dataset::write_token_norm_dist(&spec, &mut out) {
                Ok(s) => s,
                // `| head`: the reader has what it wanted.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS)
                }
                Err(source) => {
                    return Err(Error::Write {
                        path: "<stdout>".into(),
                        source,
                    })
                }
            }
        }
    };
    eprintln!("{}", describe(&summary, a.output.as_deref()));
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &DatasetSummary, path: Option<&std::path::Path>) -> String {
    let n = s.num_requests;
    format!(
        "wrote {n} requests to {}: input {}..{} tokens (avg {:.1}), output {}..{} (avg {:.1})",
        path.map_or("stdout".into(), |p| p.display().to_string()),
        s.input.min,
        s.input.max,
        s.input.mean(n),
        s.output.min,
        s.output.max,
        s.output.mean(n),
    )
}
