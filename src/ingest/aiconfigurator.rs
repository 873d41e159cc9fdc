//! AIConfigurator save directories: predicted load points from `pareto.csv`, plus the whole
//! run as a [`crate::model::AicRun`] ([`load_run`]) for the `audit` command.
//!
//! Layout (docs/formats.md): `<save dir>/<experiment>/{pareto.csv, best_config_topn.csv,
//! exp_config.yaml, top1/..topN/}` with experiments `agg`, `disagg` or user-named ones
//! (v0.3+), or `<save dir>/{agg,disagg}_pareto.csv` (v0.1-0.2). CSV columns differ by version,
//! so every value is looked up by header name. Each row predicts one replica.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_yaml::Value as Yaml;

use super::ReadCtx;
use crate::error::ReadError;
use crate::model::{AicExperiment, AicRow, AicRun, Latency, Metric, Point, Source, Stat, Warning};

const PARETO: &str = "pareto.csv";
const BEST: &str = "best_config_topn.csv";
/// Experiment configs: `exp_config.yaml` (v0.8+), `config.yaml` (v0.3).
const CONFIGS: [&str; 2] = ["exp_config.yaml", "config.yaml"];
/// Columns every version's CSVs have and the reader needs.
const REQUIRED: [&str; 7] = [
    "concurrency",
    "ttft",
    "tpot",
    "tokens/s",
    "tokens/s/gpu",
    "tokens/s/user",
    "num_total_gpus",
];

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

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    v.sort();
    v
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

/// Reads a prediction CSV by header name. `ranked` numbers the rows (best_config_topn.csv).
fn read_rows(path: &Path, ranked: bool) -> Result<Vec<AicRow>, ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| csv_error(path, &e))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if let Some(missing) = REQUIRED.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(ReadError::new(
            path,
            format!("column `{missing}`"),
            "missing from the header (every AIConfigurator version writes it)",
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in rdr.records().enumerate() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let columns: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(|v| v.trim().to_string()))
            .collect();
        let cells = Cells {
            path,
            row: i + 1,
            columns: &columns,
        };
        let mut row = cells.row()?;
        row.rank = ranked.then_some(i + 1);
        row.columns = columns;
        rows.push(row);
    }
    Ok(rows)
}

fn csv_error(path: &Path, e: &csv::Error) -> ReadError {
    match e.position() {
        Some(pos) => ReadError::line(path, pos.line() as usize, format!("bad CSV: {e}")),
        None => ReadError::file(path, format!("bad CSV: {e}")),
    }
}

/// Typed access to one CSV row, with errors naming file, row and column.
struct Cells<'a> {
    path: &'a Path,
    row: usize,
    columns: &'a BTreeMap<String, String>,
}

impl Cells<'_> {
    fn err(&self, col: &str, expected: &str, found: &str) -> ReadError {
        ReadError::new(
            self.path,
            format!("row {} (line {}), column `{col}`", self.row, self.row + 1),
            format!("expected {expected}, found `{found}`"),
        )
    }

    fn text(&self, col: &str) -> Option<String> {
        self.columns.get(col).filter(|v| !v.is_empty()).cloned()
    }

    /// The first of these columns that is present and not empty (disagg rows prefix `(d)`/`(p)`).
    fn text_any(&self, cols: &[&str]) -> Option<String> {
        cols.iter().find_map(|c| self.text(c))
    }

    fn opt_f64(&self, col: &str) -> Result<Option<f64>, ReadError> {
        let Some(raw) = self.columns.get(col) else {
            return Ok(None);
        };
        if raw.is_empty() || raw.eq_ignore_ascii_case("nan") {
            return Ok(None);
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.err(col, "a number >= 0", raw)),
        }
    }

    fn f64(&self, col: &str) -> Result<f64, ReadError> {
        let raw = self.columns.get(col).map(String::as_str).unwrap_or("");
        self.opt_f64(col)?
            .ok_or_else(|| self.err(col, "a number", raw))
    }

    fn opt_u64(&self, col: &str) -> Result<Option<u64>, ReadError> {
        match self.opt_f64(col)? {
            Some(v) if v.fract() == 0.0 => Ok(Some(v as u64)),
            Some(_) => Err(self.err(
                col,
                "a whole number",
                self.columns.get(col).map_or("", |s| s),
            )),
            None => Ok(None),
        }
    }

    fn u64(&self, col: &str) -> Result<u64, ReadError> {
        let raw = self.columns.get(col).map(String::as_str).unwrap_or("");
        self.opt_u64(col)?
            .ok_or_else(|| self.err(col, "a whole number", raw))
    }

    fn row(&self) -> Result<AicRow, ReadError> {
        Ok(AicRow {
            rank: None,
            row: self.row,
            model: self.text("model"),
            isl: self.opt_u64("isl")?,
            osl: self.opt_u64("osl")?,
            concurrency: self.u64("concurrency")?,
            request_rate: self.opt_f64("request_rate")?,
            bs: self.opt_u64("bs")?,
            ttft_ms: self.f64("ttft")?,
            tpot_ms: self.f64("tpot")?,
            request_latency_ms: self.opt_f64("request_latency")?,
            tokens_s: self.f64("tokens/s")?,
            tokens_s_gpu: self.f64("tokens/s/gpu")?,
            tokens_s_user: self.f64("tokens/s/user")?,
            tokens_s_gpu_cluster: self.opt_f64("tokens/s/gpu_cluster")?,
            num_total_gpus: self.u64("num_total_gpus")?,
            parallel: self.parallel(),
            tp: self.opt_u64("tp")?,
            pp: self.opt_u64("pp")?,
            dp: self.opt_u64("dp")?,
            backend: self.text_any(&["backend", "(d)backend", "(p)backend"]),
            version: self.text_any(&["version", "(d)version", "(p)version"]),
            system: self.text_any(&["system", "(d)system", "(p)system"]),
            columns: BTreeMap::new(),
        })
    }

    /// Agg: `parallel`; disagg: both worker kinds with their counts.
    fn parallel(&self) -> Option<String> {
        if let Some(p) = self.text("parallel") {
            return Some(p);
        }
        let side = |s: &str| {
            let par = self.text(&format!("({s})parallel"))?;
            let workers = self
                .text(&format!("({s})workers"))
                .unwrap_or_else(|| "?".into());
            Some(format!("({s}){par}x{workers}"))
        };
        match (side("p"), side("d")) {
            (Some(p), Some(d)) => Some(format!("{p} + {d}")),
            (p, d) => p.or(d),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Run settings: configs first, then the directory name, then the rows

fn yaml_str(c: &Yaml, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        c.get(*k)?
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
}

fn yaml_f64(c: &Yaml, key: &str) -> Option<f64> {
    c.get(key)?.as_f64().filter(|v| v.is_finite() && *v >= 0.0)
}

fn yaml_u64(c: &Yaml, key: &str) -> Option<u64> {
    c.get(key)?.as_u64()
}

/// Fills `slot` from each experiment's config; warns when experiments disagree.
fn agree<T: PartialEq + std::fmt::Display + Clone>(
    what: &str,
    values: Vec<(PathBuf, T)>,
    slot: &mut Option<T>,
    warnings: &mut Vec<Warning>,
) {
    let mut it = values.into_iter();
    let Some((_, first)) = it.next() else { return };
    for (path, v) in it {
        if v != first {
            warnings.push(warning(
                &path,
                format!("{what} is {v} here but {first} in another experiment; using {first}"),
            ));
        }
    }
    *slot = Some(first);
}

fn settings_from_configs(run: &mut AicRun) {
    let configs: Vec<(PathBuf, &Yaml)> = run
        .experiments
        .iter()
        .filter_map(|e| Some((e.dir.clone(), e.exp_config.as_ref()?)))
        .collect();
    let collect_u = |k: &str| -> Vec<(PathBuf, u64)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_u64(c, k)?)))
            .collect()
    };
    let collect_f = |k: &str| -> Vec<(PathBuf, f64)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_f64(c, k)?)))
            .collect()
    };
    let collect_s = |keys: &[&str]| -> Vec<(PathBuf, String)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_str(c, keys)?)))
            .collect()
    };
    let w = &mut run.warnings;
    agree("isl", collect_u("isl"), &mut run.isl, w);
    agree("osl", collect_u("osl"), &mut run.osl, w);
    agree(
        "the TTFT target",
        collect_f("ttft"),
        &mut run.sla_ttft_ms,
        w,
    );
    agree(
        "the TPOT target",
        collect_f("tpot"),
        &mut run.sla_tpot_ms,
        w,
    );
    agree(
        "total_gpus",
        collect_u("total_gpus"),
        &mut run.total_gpus,
        w,
    );
    // Disagg configs leave the agg keys empty and fill the prefill_/decode_ ones.
    let model = collect_s(&["model_path", "prefill_model_path", "decode_model_path"]);
    agree("the model", model, &mut run.model, w);
    let system = collect_s(&["system_name", "prefill_system_name", "decode_system_name"]);
    agree("the system", system, &mut run.system, w);
    let backend = collect_s(&[
        "backend_name",
        "prefill_backend_name",
        "decode_backend_name",
    ]);
    agree("the backend", backend, &mut run.backend, w);
    let version = collect_s(&[
        "backend_version",
        "prefill_backend_version",
        "decode_backend_version",
    ]);
    agree("the backend version", version, &mut run.backend_version, w);
}

/// `<model>_<system>_<backend>_isl4000_osl500_ttft500_tpot7_<id>` (the TTFT/TPOT written as integers).
fn settings_from_dir_name(run: &mut AicRun) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"isl(\d+)_osl(\d+)_ttft(\d+(?:\.\d+)?)_tpot(\d+(?:\.\d+)?)")
            .expect("static regex")
    });
    let name = run
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(c) = re.captures(&name) else { return };
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<f64>().ok());
    let dir = run.dir.clone();
    let mut check = |what: &str, slot: &mut Option<f64>, named: Option<f64>| {
        let Some(named) = named else { return };
        match *slot {
            None => *slot = Some(named),
            // The name truncates the targets to integers.
            Some(v) if v == named || v.trunc() == named => {}
            Some(v) => run.warnings.push(warning(
                &dir,
                format!(
                    "{what} is {v} in exp_config.yaml but {named} in the directory name; using {v}"
                ),
            )),
        }
    };
    let mut isl = run.isl.map(|v| v as f64);
    let mut osl = run.osl.map(|v| v as f64);
    check("isl", &mut isl, num(1));
    check("osl", &mut osl, num(2));
    check("the TTFT target", &mut run.sla_ttft_ms, num(3));
    check("the TPOT target", &mut run.sla_tpot_ms, num(4));
    run.isl = isl.map(|v| v as u64);
    run.osl = osl.map(|v| v as u64);
}

/// Model/backend/system from the rows when no config said; rows that disagree with the run's ISL/OSL.
fn settings_from_rows(run: &mut AicRun) {
    let first = run
        .experiments
        .iter()
        .flat_map(|e| e.pareto.iter().chain(&e.best_topn))
        .next()
        .cloned();
    if let Some(r) = first {
        run.model = run.model.take().or(r.model);
        run.backend = run.backend.take().or(r.backend);
        run.system = run.system.take().or(r.system);
        run.backend_version = run.backend_version.take().or(r.version);
        run.isl = run.isl.or(r.isl);
        run.osl = run.osl.or(r.osl);
    }
    let mut notes = Vec::new();
    for e in &run.experiments {
        let odd = e.pareto.iter().find(|r| {
            (r.isl.is_some() && run.isl.is_some() && r.isl != run.isl)
                || (r.osl.is_some() && run.osl.is_some() && r.osl != run.osl)
        });
        if let (Some(r), Some(path)) = (odd, &e.pareto_csv) {
            notes.push(warning(
                path,
                format!(
                    "row {} is for ISL/OSL {:?}/{:?} but the run is {:?}/{:?}; each point keeps its row's values",
                    r.row, r.isl, r.osl, run.isl, run.osl
                ),
            ));
        }
    }
    run.warnings.extend(notes);
}

/// AIConfigurator's own version from a saved stdout that names this save dir
/// (`Loading AIConfigurator version: 0.12.0` ... `Saving results to .../<dir>`), looked for
/// in the save dir and the two directories above it.
fn find_aic_version(dir: &Path) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"AIConfigurator version:?\s*v?([0-9][0-9A-Za-z.+-]*)").expect("static regex")
    });
    let name = dir.file_name()?.to_string_lossy().into_owned();
    for d in dir.ancestors().take(3) {
        for f in sorted_entries(d) {
            let fname = f
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let candidate =
                fname.ends_with(".txt") || fname.ends_with(".log") || fname.contains("stdout");
            let small = fs::metadata(&f).is_ok_and(|m| m.is_file() && m.len() <= 8 * 1024 * 1024);
            if !candidate || !small {
                continue;
            }
            let Ok(bytes) = fs::read(&f) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            if !text.contains(&name) {
                continue;
            }
            if let Some(v) = re.captures(&text).and_then(|c| c.get(1)) {
                return Some(v.as_str().trim_end_matches('.').to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disagg_parallel_names_both_worker_kinds() {
        let cols: BTreeMap<String, String> = [
            ("(p)parallel", "tp2pp1dp1etp1ep1"),
            ("(p)workers", "3"),
            ("(d)parallel", "tp4pp1dp1etp1ep1"),
            ("(d)workers", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = Cells {
            path: Path::new("x.csv"),
            row: 1,
            columns: &cols,
        };
        assert_eq!(
            c.parallel().as_deref(),
            Some("(p)tp2pp1dp1etp1ep1x3 + (d)tp4pp1dp1etp1ep1x1")
        );
    }
}
