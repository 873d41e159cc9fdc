//! AIConfigurator save directories: predicted load points from `pareto.csv`, plus the whole
//! run as a [`crate::model::AicRun`] ([`load_run`]) for the `audit` command.
//!
//! Layout (docs/formats.md): `<save dir>/<experiment>/{pareto.csv, best_config_topn.csv,
//! exp_config.yaml, top1/..topN/}` with experiments `agg`, `disagg` or user-named ones
//! (v0.3+), or `<save dir>/{agg,disagg}_pareto.csv` (v0.1-0.2). CSV columns differ by version,
//! so every value is looked up by header name. Each row predicts one replica.
//!
//! `rows.rs` reads the CSVs row by row (cells by header name); `settings.rs` fills the run's
//! settings from exp_config.yaml, the directory name and the rows, and finds the version.

mod rows;
mod settings;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_yaml::Value as Yaml;

use super::configs::sorted_entries;
use super::ReadCtx;
use crate::model::{AicExperiment, AicRow, AicRun, Latency, Metric, Point, Source, Stat, Warning};
use crate::util::error::ReadError;
use rows::read_rows;
use settings::{
    find_aic_version, settings_from_configs, settings_from_dir_name, settings_from_rows,
};

const PARETO: &str = "pareto.csv";
const BEST: &str = "best_config_topn.csv";
/// Experiment configs: `exp_config.yaml` (v0.8+), `config.yaml` (v0.3).
const CONFIGS: [&str; 2] = ["exp_config.yaml", "config.yaml"];

// ---------------------------------------------------------------------------------------------
// Detection

/// A save dir: it directly holds experiment subdirectories with AIConfigurator CSVs
/// (or, for v0.1-0.2, `<mode>_pareto.csv` files).
pub fn sniff_dir(dir: &Path) -> bool {
    !experiment_dirs(dir).is_empty() || !gen_a_paretos(dir).is_empty()
}

/// First line of a CSV looks like an AIConfigurator prediction table.
fn is_aic_csv(path: &Path) -> bool {
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    // At most 64 KiB: a binary file named *.csv cannot make sniffing slow.
    let mut first = Vec::new();
    if BufReader::new(f.take(64 * 1024))
        .read_until(b'\n', &mut first)
        .is_err()
    {
        return false;
    }
    let first = String::from_utf8_lossy(&first);
    let cols: Vec<&str> = first.trim().split(',').map(str::trim).collect();
    // Loose on purpose: a CSV missing a needed column is still found, then reported by name.
    cols.contains(&"concurrency")
        && ["tokens/s/gpu", "tokens/s/user", "num_total_gpus"]
            .iter()
            .any(|c| cols.contains(c))
}
/// Subdirectories holding `pareto.csv` or `best_config_topn.csv` with an AIConfigurator header.
fn experiment_dirs(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|d| d.is_dir())
        .filter(|d| [PARETO, BEST].iter().any(|f| is_aic_csv(&d.join(f))))
        .collect()
}

/// v0.1-0.2: `agg_pareto.csv`, `disagg_pareto.csv` in the save dir itself.
fn gen_a_paretos(dir: &Path) -> Vec<(String, PathBuf)> {
    sorted_entries(dir)
        .into_iter()
        .filter_map(|f| {
            let name = f.file_name()?.to_str()?;
            let mode = name.strip_suffix("_pareto.csv")?.to_string();
            (f.is_file() && is_aic_csv(&f)).then_some((mode, f))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reader

pub fn read_dir(dir: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let run = load_run(dir)?;
    let mut points = Vec::new();
    for exp in &run.experiments {
        for row in &exp.pareto {
            points.push(row_point(&run, exp, row));
        }
    }
    if points.is_empty() {
        let found: Vec<String> = run
            .experiments
            .iter()
            .map(|e| {
                let what = if e.pareto_csv.is_some() {
                    "an empty pareto.csv"
                } else {
                    "no pareto.csv"
                };
                format!("{}/ has {what}", e.name)
            })
            .collect();
        return Err(ReadError::file(
            dir,
            format!("no predicted points: {}", found.join(", ")),
        ));
    }
    // Only for a run that is used: a left-out run's error already says why.
    for w in &run.warnings {
        ctx.warn(&w.path, w.message.clone());
    }
    Ok(points)
}

fn row_point(run: &AicRun, exp: &AicExperiment, row: &AicRow) -> Point {
    let path = exp.pareto_csv.clone().unwrap_or_else(|| exp.dir.clone());
    let mut p = Point::new(Source::AiConfigurator, path);
    p.label = exp.name.clone();
    p.model = row.model.clone().or_else(|| run.model.clone());
    p.backend = row.backend.clone().or_else(|| run.backend.clone());
    p.tool_version = run.aic_version.clone();
    p.isl = row.isl.or(run.isl);
    p.osl = row.osl.or(run.osl);
    p.concurrency = Some(row.concurrency);
    p.request_rate = row.request_rate;
    p.num_gpus = Some(row.num_total_gpus);
    // AIConfigurator predicts means.
    p.set(Metric::Latency(Latency::Ttft, Stat::Avg), row.ttft_ms);
    p.set(Metric::Latency(Latency::Tpot, Stat::Avg), row.tpot_ms);
    p.set_opt(
        Metric::Latency(Latency::E2el, Stat::Avg),
        row.request_latency_ms,
    );
    p.set_opt(Metric::RequestThroughput, row.request_rate);
    p.set(Metric::OutputTokenThroughput, row.tokens_s);
    p.set(Metric::TokensPerSUser, row.tokens_s_user);
    p.set(Metric::TokensPerSGpu, row.tokens_s_gpu);
    let mut extra = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            p.extra.insert(k.to_string(), v);
        }
    };
    extra("mode", Some(exp.mode.clone()));
    extra("parallel", row.parallel.clone());
    extra("bs", row.bs.map(|b| b.to_string()));
    for col in ["(p)bs", "(p)workers", "(d)bs", "(d)workers"] {
        extra(col, row.get(col).map(str::to_string));
    }
    extra(
        "tokens_s_gpu_cluster",
        row.tokens_s_gpu_cluster.map(|v| v.to_string()),
    );
    extra("replicas", run.replicas(row).map(|r| r.to_string()));
    extra("system", row.system.clone().or_else(|| run.system.clone()));
    extra(
        "backend_version",
        row.version.clone().or_else(|| run.backend_version.clone()),
    );
    extra("pareto_row", Some(row.row.to_string()));
    extra(
        "meets_sla",
        run.row_meets_sla(row)
            .map(|m| if m { "yes" } else { "no" }.to_string()),
    );
    let best = exp.best_topn.iter().find(|b| b.columns == row.columns);
    extra(
        "best_rank",
        best.and_then(|b| b.rank).map(|r| r.to_string()),
    );
    p
}

/// Loads a save directory: every experiment's CSVs and config, the SLA and the workload.
pub fn load_run(dir: &Path) -> Result<AicRun, ReadError> {
    let mut warnings = Vec::new();
    let mut experiments = Vec::new();
    for exp_dir in experiment_dirs(dir) {
        experiments.push(load_experiment(&exp_dir, &mut warnings)?);
    }
    for (mode, csv) in gen_a_paretos(dir) {
        let pareto = read_rows(&csv, false)?;
        experiments.push(AicExperiment {
            name: mode.clone(),
            mode: mode_of(None, &pareto, &mode),
            dir: dir.to_path_buf(),
            pareto_csv: Some(csv),
            pareto,
            best_topn: Vec::new(),
            exp_config: None,
            top_dirs: Vec::new(),
        });
    }
    if experiments.is_empty() {
        return Err(ReadError::file(
            dir,
            "not an AIConfigurator save dir: no experiment subdirectory (agg/, disagg/, ...) holds pareto.csv or best_config_topn.csv",
        ));
    }
    let mut run = AicRun {
        dir: dir.to_path_buf(),
        model: None,
        system: None,
        backend: None,
        backend_version: None,
        aic_version: find_aic_version(dir),
        isl: None,
        osl: None,
        sla_ttft_ms: None,
        sla_tpot_ms: None,
        total_gpus: None,
        experiments,
        warnings,
    };
    settings_from_configs(&mut run);
    settings_from_dir_name(&mut run);
    settings_from_rows(&mut run);
    Ok(run)
}

fn load_experiment(dir: &Path, warnings: &mut Vec<Warning>) -> Result<AicExperiment, ReadError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pareto_path = dir.join(PARETO);
    let (pareto_csv, pareto) = if pareto_path.is_file() {
        let rows = read_rows(&pareto_path, false)?;
        if rows.is_empty() {
            warnings.push(warning(&pareto_path, "pareto.csv has a header but no rows"));
        }
        (Some(pareto_path), rows)
    } else {
        warnings.push(warning(
            dir,
            "no pareto.csv in this experiment; its points are left out",
        ));
        (None, Vec::new())
    };
    let best_path = dir.join(BEST);
    let best_topn = if best_path.is_file() {
        read_rows(&best_path, true)?
    } else {
        Vec::new()
    };
    let exp_config = read_config(dir, warnings);
    let mode = mode_of(exp_config.as_ref(), &pareto, &name);
    Ok(AicExperiment {
        name,
        mode,
        dir: dir.to_path_buf(),
        pareto_csv,
        pareto,
        best_topn,
        exp_config,
        top_dirs: top_dirs(dir),
    })
}

fn warning(path: &Path, message: impl Into<String>) -> Warning {
    Warning {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn mode_of(config: Option<&Yaml>, rows: &[AicRow], name: &str) -> String {
    if let Some(m) = config
        .and_then(|c| c.get("serving_mode"))
        .and_then(Yaml::as_str)
    {
        return m.to_string();
    }
    match rows.first() {
        Some(r) if r.columns.contains_key("(d)bs") => "disagg".into(),
        Some(r) if r.columns.contains_key("bs") => "agg".into(),
        _ => name.to_string(),
    }
}

/// `top1/`, `top2/`, ... sorted by number.
fn top_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<(u64, PathBuf)> = sorted_entries(dir)
        .into_iter()
        .filter(|d| d.is_dir())
        .filter_map(|d| {
            let n = d.file_name()?.to_str()?.strip_prefix("top")?.parse().ok()?;
            Some((n, d))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, d)| d).collect()
}

fn read_config(dir: &Path, warnings: &mut Vec<Warning>) -> Option<Yaml> {
    let path = CONFIGS.iter().map(|c| dir.join(c)).find(|p| p.is_file())?;
    let parsed = fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str::<Yaml>(&t).map_err(|e| e.to_string()));
    match parsed {
        Ok(v) => Some(v),
        Err(e) => {
            warnings.push(warning(
                &path,
                format!("not read ({e}); using the directory name and CSVs"),
            ));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV rows
