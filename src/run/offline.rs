//! `adreport run offline`: `trtllm-bench throughput` over backends x ISL x OSL x max batch
//! sizes, no server. The workflow of seeds 001 and 004 (prepare_dataset.py token-norm-dist,
//! then trtllm-bench per cell, `_autodeploy` against `pytorch`) as one command.
//!
//! Layout under `OUT/LABEL/`:
//! - `datasets/token-norm-dist_isl_X_osl_Y_n_N.jsonl` (+ `.spec`, what it was made from): one
//!   per ISL/OSL, written once and reused while its spec matches;
//! - `BACKEND/isl_X_osl_Y_bs_B/`: report.json, client_stdout.log (the printed report),
//!   client_stderr.log, run.json, .complete;
//! - `report/`: `report` on every complete point, plus `isl_osl_output_throughput.md`.
//!
//! Why a directory per backend: trtllm-bench's report says "Pytorch" for `_autodeploy` too, so
//! the backend is not in the results. As a directory it becomes the series label the walker
//! already assigns (`report OUT/LABEL` shows one series per backend, `compare
//! OUT/LABEL/pytorch OUT/LABEL/_autodeploy` works), with no reader having to know about runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::autodeploy::{self, Context};
use super::manifest;
use super::process;
use super::{
    interrupted, is_complete, secs, split_cmd, ClientCmd, CmdSpec, Driver, Health, ListSpec,
    OnFailure, Outcome, PointSpec, Policy, Progress, RunError, Sweep,
};
use crate::analyze::sla::Sla;
use crate::cli::OfflineArgs;
use crate::dataset::{self, NormDist, TokenNormDist};
use crate::model::{Metric, Stat, Sweep as Results};
use crate::render::format::human;
use crate::report::write_atomic;

/// The backends trtllm-bench's `throughput --backend` takes.
pub const BACKENDS: &[&str] = &["pytorch", "_autodeploy", "tensorrt"];
pub const DEFAULT_BATCH_SIZES: &[u64] = &[32, 64, 128, 256];
/// `--report_json` inside each point directory.
pub const REPORT_JSON: &str = "report.json";
pub const DATASETS: &str = "datasets";
/// The ISL x OSL table written next to the report.
pub const ISL_OSL_TABLE: &str = "isl_osl_output_throughput.md";

// ---------------------------------------------------------------------------------------
// Settings: flags over the YAML file over defaults

/// Backend names as `"_autodeploy,pytorch"` or a YAML list.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum NamesSpec {
    Text(String),
    List(Vec<String>),
}

/// `backend-config:` as a mapping `{_autodeploy: ad.yaml}` or a list of `BACKEND=FILE`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum BackendConfigSpec {
    Map(BTreeMap<String, PathBuf>),
    List(Vec<String>),
}

/// `--config sweep.yaml`: the flags' names as keys.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SweepFile {
    model: Option<String>,
    backend: Option<NamesSpec>,
    tp: Option<u64>,
    num_requests: Option<u64>,
    warmup: Option<u64>,
    streaming: Option<bool>,
    extra_llm_api_options: Option<PathBuf>,
    backend_config: Option<BackendConfigSpec>,
    trtllm_bench: Option<CmdSpec>,
    isl: Option<ListSpec>,
    osl: Option<ListSpec>,
    batch_sizes: Option<ListSpec>,
    out: Option<PathBuf>,
    label: Option<String>,
    vocab_size: Option<u32>,
    tokenizer: Option<PathBuf>,
    isl_stdev: Option<i64>,
    osl_stdev: Option<i64>,
    seed: Option<u64>,
    force: Option<bool>,
    on_failure: Option<OnFailure>,
    point_timeout: Option<f64>,
    no_report: Option<bool>,
    sla: Option<String>,
}

/// What every dataset shares; ISL and OSL vary per dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetSettings {
    pub num_requests: u64,
    pub isl_stdev: i64,
    pub osl_stdev: i64,
    pub vocab_size: u32,
    pub eos_id: Option<u32>,
    pub seed: u64,
}

impl DatasetSettings {
    pub fn spec(&self, isl: u64, osl: u64) -> TokenNormDist {
        let mean = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        TokenNormDist {
            num_requests: self.num_requests,
            input: NormDist {
                mean: mean(isl),
                stdev: self.isl_stdev,
            },
            output: NormDist {
                mean: mean(osl),
                stdev: self.osl_stdev,
            },
            vocab_size: self.vocab_size,
            eos_id: self.eos_id,
            seed: self.seed,
            task_id: -1,
            lora_dir: None,
        }
    }
}

/// Everything the offline runner needs, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub model: String,
    pub backends: Vec<String>,
    pub tp: u64,
    /// `--num-requests` as given: then also passed to trtllm-bench.
    pub num_requests_flag: Option<u64>,
    pub warmup: Option<u64>,
    pub streaming: bool,
    /// The options YAML of each backend that has one.
    pub options: BTreeMap<String, PathBuf>,
    pub trtllm_bench: Vec<String>,
    pub isls: Vec<u64>,
    pub osls: Vec<u64>,
    pub batch_sizes: Vec<u64>,
    pub dataset: DatasetSettings,
    pub out: PathBuf,
    pub label: String,
    pub policy: Policy,
    pub no_report: bool,
    pub sla: Option<String>,
    pub config_file: Option<PathBuf>,
}

fn usage(msg: impl Into<String>) -> RunError {
    RunError::Usage(msg.into())
}

/// `--backend`: known names, each once.
fn parse_backends(spec: NamesSpec) -> Result<Vec<String>, RunError> {
    let names: Vec<String> = match spec {
        NamesSpec::Text(t) => t
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        NamesSpec::List(v) => v,
    };
    if names.is_empty() {
        return Err(usage("--backend: no backend given"));
    }
    let mut seen = BTreeSet::new();
    for n in &names {
        if !BACKENDS.contains(&n.as_str()) {
            let hint = BACKENDS
                .iter()
                .find(|b| b.trim_start_matches('_') == n.trim_start_matches('_'))
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(usage(format!(
                "--backend: `{n}` is not a trtllm-bench backend{hint}; use {}",
                BACKENDS.join(", ")
            )));
        }
        if !seen.insert(n.as_str()) {
            return Err(usage(format!("--backend: `{n}` is given twice")));
        }
    }
    Ok(names)
}

/// `--backend-config B=FILE` (repeatable) or the YAML mapping.
fn parse_backend_configs(
    flags: &[String],
    file: Option<BackendConfigSpec>,
) -> Result<BTreeMap<String, PathBuf>, RunError> {
    let pairs: Vec<String> = if flags.is_empty() {
        match file {
            Some(BackendConfigSpec::Map(m)) => {
                return Ok(m);
            }
            Some(BackendConfigSpec::List(v)) => v,
            None => Vec::new(),
        }
    } else {
        flags.to_vec()
    };
    let mut out = BTreeMap::new();
    for p in pairs {
        match p.split_once('=') {
            Some((b, f)) if !b.trim().is_empty() && !f.trim().is_empty() => {
                if out
                    .insert(b.trim().to_string(), PathBuf::from(f.trim()))
                    .is_some()
                {
                    return Err(usage(format!("--backend-config: `{b}` is given twice")));
                }
            }
            _ => {
                return Err(usage(format!(
                    "--backend-config: `{p}` is not BACKEND=FILE (e.g. _autodeploy=ad.yaml)"
                )))
            }
        }
    }
    Ok(out)
}

/// The vocabulary for the datasets: --tokenizer, --vocab-size, or the model directory's tokenizer.
fn vocabulary(
    tokenizer: Option<&Path>,
    vocab_size: Option<u32>,
    model: &str,
) -> Result<(u32, Option<u32>), RunError> {
    let from_tokenizer = |p: &Path| -> Result<(u32, Option<u32>), RunError> {
        let info = dataset::tokenizer_info(p).map_err(|e| usage(e.to_string()))?;
        Ok((info.vocab_size, info.eos_id))
    };
    match (tokenizer, vocab_size) {
        (Some(t), _) => from_tokenizer(t),
        (None, Some(0)) => Err(usage("--vocab-size must be at least 1")),
        (None, Some(n)) => Ok((n, None)),
        (None, None) if Path::new(model).join("tokenizer.json").is_file() => {
            from_tokenizer(Path::new(model))
        }
        (None, None) => Err(usage(format!(
            "the datasets need a vocabulary: give --vocab-size N or --tokenizer PATH \
             (a tokenizer.json; `{model}` is not a directory holding one)"
        ))),
    }
}

impl Settings {
    /// Flags win over the `--config` file, which wins over defaults.
    pub fn resolve(a: &OfflineArgs) -> Result<Settings, RunError> {
        let f: SweepFile = match &a.config {
            Some(p) => super::load_settings_file(p, "model: ..., backend: [...], isl: [...]")?,
            None => SweepFile::default(),
        };
        let model = a
            .model
            .clone()
            .or(f.model)
            .ok_or_else(|| usage("give --model (a name or path trtllm-bench loads)"))?;
        let backends = match a.backend.clone().map(NamesSpec::Text).or(f.backend) {
            Some(spec) => parse_backends(spec)?,
            None => vec!["_autodeploy".to_string()],
        };
        let list =
            |flag: &Option<String>, file: Option<ListSpec>, what: &str, default: &[u64]| match flag
                .clone()
                .map(ListSpec::Text)
                .or(file)
            {
                Some(spec) => spec.numbers(what),
                None => Ok(default.to_vec()),
            };
        let isls = list(&a.isl, f.isl, "--isl", &[128])?;
        let osls = list(&a.osl, f.osl, "--osl", &[128])?;
        let batch_sizes = list(
            &a.batch_sizes,
            f.batch_sizes,
            "--batch-sizes",
            DEFAULT_BATCH_SIZES,
        )?;
        let tp = a.tp.or(f.tp).unwrap_or(1);
        if tp == 0 {
            return Err(usage("--tp takes a number > 0"));
        }
        let num_requests_flag = a.num_requests.or(f.num_requests);
        let largest = batch_sizes.iter().copied().max().unwrap_or(1);
        let num_requests = match num_requests_flag {
            Some(0) => return Err(usage("--num-requests takes a number > 0")),
            Some(n) => n,
            None => largest.saturating_mul(4).max(256),
        };
        let mut options = parse_backend_configs(&a.backend_config, f.backend_config)?;
        if let Some(b) = options.keys().find(|b| !backends.contains(b)) {
            return Err(usage(format!(
                "--backend-config names `{b}`, which is not in --backend ({})",
                backends.join(",")
            )));
        }
        if let Some(all) = a.extra_llm_api_options.clone().or(f.extra_llm_api_options) {
            for b in &backends {
                options.entry(b.clone()).or_insert_with(|| all.clone());
            }
        }
        let trtllm_bench = match a.trtllm_bench.clone().map(CmdSpec::Text).or(f.trtllm_bench) {
            Some(spec) => split_cmd(spec, "--trtllm-bench")?,
            None => vec!["trtllm-bench".to_string()],
        };
        let tokenizer = a.tokenizer.clone().or(f.tokenizer);
        let (vocab_size, eos_id) =
            vocabulary(tokenizer.as_deref(), a.vocab_size.or(f.vocab_size), &model)?;
        let dataset = DatasetSettings {
            num_requests,
            isl_stdev: a.isl_stdev.or(f.isl_stdev).unwrap_or(0),
            osl_stdev: a.osl_stdev.or(f.osl_stdev).unwrap_or(0),
            vocab_size,
            eos_id,
            seed: a.seed.or(f.seed).unwrap_or(dataset::DEFAULT_SEED),
        };
        dataset.spec(isls[0], osls[0]).validate().map_err(|e| {
            usage(
                e.replace("--input-stdev", "--isl-stdev")
                    .replace("--output-stdev", "--osl-stdev"),
            )
        })?;
        let label = a
            .label
            .clone()
            .or(f.label)
            .unwrap_or_else(|| "offline".into());
        if label.is_empty() || label.contains('/') || label == "." || label == ".." {
            return Err(usage(format!(
                "--label `{label}` must be a plain directory name"
            )));
        }
        let sla = a.sla.clone().or(f.sla);
        if let Some(s) = &sla {
            Sla::parse(s, Stat::Avg).map_err(|e| usage(format!("--sla: {e}")))?;
        }
        let point_timeout = a
            .point_timeout
            .or(f.point_timeout)
            .map(|v| secs(v, "--point-timeout"))
            .transpose()?;
        Ok(Settings {
            model,
            backends,
            tp,
            num_requests_flag,
            warmup: a.warmup.or(f.warmup),
            streaming: a.streaming || f.streaming.unwrap_or(false),
            options,
            trtllm_bench,
            isls,
            osls,
            batch_sizes,
            dataset,
            out: a
                .out
                .clone()
                .or(f.out)
                .unwrap_or_else(|| PathBuf::from("adreport-runs")),
            label,
            policy: Policy {
                force: a.force || f.force.unwrap_or(false),
                on_failure: a.on_failure.or(f.on_failure).unwrap_or(OnFailure::Skip),
                max_restarts: 0,
                point_timeout,
                client_grace: Duration::from_secs(10),
            },
            no_report: a.no_report || f.no_report.unwrap_or(false),
            sla,
            config_file: a.config.clone(),
        })
    }

    /// `OUT/LABEL`.
    pub fn root(&self) -> PathBuf {
        self.out.join(&self.label)
    }

    pub fn dataset_path(&self, isl: u64, osl: u64) -> PathBuf {
        self.root().join(DATASETS).join(format!(
            "token-norm-dist_isl_{isl}_osl_{osl}_n_{}.jsonl",
            self.dataset.num_requests
        ))
    }

    /// Workload by workload, batch size by batch size, the backends side by side: an
    /// interrupted sweep still has both backends of the cells it finished.
    pub fn points(&self) -> Vec<PointSpec> {
        let mut out = Vec::new();
        for &isl in &self.isls {
            for &osl in &self.osls {
                for &bs in &self.batch_sizes {
                    for b in &self.backends {
                        let mut params = Map::new();
                        params.insert("backend".into(), json!(b));
                        params.insert("isl".into(), json!(isl));
                        params.insert("osl".into(), json!(osl));
                        params.insert("max_batch_size".into(), json!(bs));
                        params.insert("tp".into(), json!(self.tp));
                        params.insert("num_requests".into(), json!(self.dataset.num_requests));
                        params.insert(
                            "dataset".into(),
                            json!(self.dataset_path(isl, osl).display().to_string()),
                        );
                        if let Some(o) = self.options.get(b) {
                            params.insert(
                                "extra_llm_api_options".into(),
                                json!(o.display().to_string()),
                            );
                        }
                        out.push(PointSpec {
                            name: format!("{b}/isl_{isl}_osl_{osl}_bs_{bs}"),
                            params,
                        });
                    }
                }
            }
        }
        out
    }

    /// trtllm-bench's argv for one cell, as the seeds run it.
    pub fn argv(&self, backend: &str, isl: u64, osl: u64, bs: u64, dir: &Path) -> Vec<String> {
        let abs = |p: &Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let mut argv = self.trtllm_bench.clone();
        argv.extend([
            "--model".to_string(),
            self.model.clone(),
            "throughput".into(),
            "--dataset".into(),
            abs(&self.dataset_path(isl, osl)),
            "--backend".into(),
            backend.to_string(),
            "--max_batch_size".into(),
            bs.to_string(),
            "--tp".into(),
            self.tp.to_string(),
        ]);
        if let Some(o) = self.options.get(backend) {
            argv.extend(["--extra_llm_api_options".to_string(), abs(o)]);
        }
        argv.extend(["--report_json".to_string(), abs(&dir.join(REPORT_JSON))]);
        if let Some(n) = self.num_requests_flag {
            argv.extend(["--num_requests".to_string(), n.to_string()]);
        }
        if let Some(w) = self.warmup {
            argv.extend(["--warmup".to_string(), w.to_string()]);
        }
        if self.streaming {
            argv.push("--streaming".into());
        }
        argv
    }
}

// ---------------------------------------------------------------------------------------
// Checks before anything runs

/// Every options YAML is readable, and each `_autodeploy` one passes the AutoDeploy checks.
/// Returns the warnings; all errors at once in one `Err`.
pub fn check_options(s: &Settings) -> Result<Vec<String>, RunError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut checked = BTreeSet::new();
    for b in &s.backends {
        let Some(path) = s.options.get(b) else {
            continue;
        };
        if b != "_autodeploy" {
            if let Err(e) = fs::metadata(path).and_then(|m| {
                m.is_file()
                    .then_some(())
                    .ok_or_else(|| std::io::Error::other("not a file"))
            }) {
                errors.push(format!("{} (options of {b}): {e}", path.display()));
            }
            continue;
        }
        if !checked.insert(path.clone()) {
            continue;
        }
        let ctx = Context {
            tp: Some(s.tp),
            batch_sizes: s.batch_sizes.clone(),
        };
        match autodeploy::check_file(path, &ctx).into_result() {
            Ok(w) => warnings.extend(w.iter().map(ToString::to_string)),
            Err(e) => errors.push(e.to_string()),
        }
        if s.tp > 1 && !has_world_size(path) {
            warnings.push(format!(
                "{}: no `world_size` with --tp {}; AutoDeploy's guide says to set it to the GPU count",
                path.display(),
                s.tp
            ));
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(usage(format!(
            "the options files do not pass, nothing was run:\n  {}",
            errors.join("\n  ")
        )))
    }
}

fn has_world_size(path: &Path) -> bool {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_yaml::from_str::<serde_yaml::Value>(&t).ok())
        .is_some_and(|v| v.get("world_size").is_some())
}

// ---------------------------------------------------------------------------------------
// Datasets

/// What a dataset was made from, kept beside it: a dataset is reused only for the same spec.
fn spec_text(spec: &TokenNormDist) -> String {
    format!(
        "adreport dataset token-norm-dist\nnum_requests {}\ninput_mean {}\ninput_stdev {}\noutput_mean {}\noutput_stdev {}\nvocab_size {}\neos_id {}\nseed {}\n",
        spec.num_requests,
        spec.input.mean,
        spec.input.stdev,
        spec.output.mean,
        spec.output.stdev,
        spec.vocab_size,
        spec.eos_id.map_or("none".into(), |e| e.to_string()),
        spec.seed
    )
}

fn spec_path(dataset: &Path) -> PathBuf {
    dataset.with_extension("spec")
}

/// Writes the dataset unless a complete one of the same spec is there; says which.
pub fn ensure_dataset(spec: &TokenNormDist, path: &Path) -> Result<String, RunError> {
    let text = spec_text(spec);
    let spec_file = spec_path(path);
    if path.is_file() && fs::read_to_string(&spec_file).is_ok_and(|t| t == text) {
        return Ok(format!("reusing {}", path.display()));
    }
    // The spec goes only after the data, so a spec file always describes a whole dataset.
    let _ = fs::remove_file(&spec_file);
    let summary = dataset::write_file(spec, path).map_err(|e| RunError::Other(e.to_string()))?;
    write_atomic(&spec_file, text.as_bytes()).map_err(|e| RunError::Other(e.to_string()))?;
    Ok(format!(
        "wrote {} requests to {} (input avg {:.1}, output avg {:.1} tokens)",
        summary.num_requests,
        path.display(),
        summary.input.mean(summary.num_requests),
        summary.output.mean(summary.num_requests)
    ))
}

// ---------------------------------------------------------------------------------------
// The driver: no server

pub struct OfflineDriver {
    s: Settings,
    /// ISL/OSL pairs of the points that will run: their datasets are made in `start`.
    needed: Vec<(u64, u64)>,
    version: Option<String>,
}

impl OfflineDriver {
    pub fn new(s: Settings, needed: Vec<(u64, u64)>) -> OfflineDriver {
        OfflineDriver {
            s,
            needed,
            version: None,
        }
    }

    /// tensorrt_llm's version from the Python that has it, when one does.
    fn probe_version(&mut self) {
        if !process::on_path("python3") {
            return;
        }
        self.version = process::probe(
            &[
                "python3".into(),
                "-c".into(),
                "import importlib.metadata as m; print(m.version('tensorrt_llm'))".into(),
            ],
            Duration::from_secs(30),
        );
    }
}

fn param_u64(point: &PointSpec, key: &str) -> Result<u64, RunError> {
    point
        .params
        .get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| RunError::Other(format!("point {} has no {key}", point.name)))
}

impl Driver for OfflineDriver {
    fn start(&mut self, progress: &Progress) -> Result<(), RunError> {
        let program = self
            .s
            .trtllm_bench
            .first()
            .map(String::as_str)
            .unwrap_or("");
        if !process::on_path(program) {
            return Err(usage(format!(
                "`{program}` is not an executable on PATH; install TensorRT-LLM or say where trtllm-bench is with --trtllm-bench"
            )));
        }
        for &(isl, osl) in &self.needed {
            if interrupted() {
                return Err(RunError::Other("interrupted while writing datasets".into()));
            }
            let path = self.s.dataset_path(isl, osl);
            let what = ensure_dataset(&self.s.dataset.spec(isl, osl), &path)?;
            progress.say(&format!("dataset isl {isl} osl {osl}: {what}"));
        }
        self.probe_version();
        Ok(())
    }

    fn client(&mut self, point: &PointSpec, dir: &Path) -> Result<ClientCmd, RunError> {
        let backend = point
            .params
            .get("backend")
            .and_then(Value::as_str)
            .ok_or_else(|| RunError::Other(format!("point {} has no backend", point.name)))?;
        let (isl, osl) = (param_u64(point, "isl")?, param_u64(point, "osl")?);
        let bs = param_u64(point, "max_batch_size")?;
        Ok(ClientCmd {
            argv: self.s.argv(backend, isl, osl, bs, dir),
            env: Vec::new(),
        })
    }

    fn check(&mut self, _thorough: bool) -> Health {
        Health::Alive
    }

    fn restart(&mut self, _progress: &Progress) -> Result<(), RunError> {
        Err(RunError::Server(
            "trtllm-bench runs without a server; there is nothing to restart".into(),
        ))
    }

    fn stop(&mut self) {}

    fn context(&self) -> Value {
        let mut configs: Vec<Value> = self
            .s
            .options
            .values()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|p| manifest::config_copy(p))
            .collect();
        if let Some(c) = &self.s.config_file {
            configs.push(manifest::config_copy(c));
        }
        let d = &self.s.dataset;
        json!({
            "model": self.s.model,
            "tp": self.s.tp,
            "streaming": self.s.streaming,
            "trtllm_bench": self.s.trtllm_bench,
            "dataset": {
                "generator": "adreport dataset token-norm-dist",
                "num_requests": d.num_requests,
                "isl_stdev": d.isl_stdev,
                "osl_stdev": d.osl_stdev,
                "vocab_size": d.vocab_size,
                "eos_id": d.eos_id,
                "seed": d.seed,
            },
            "config_files": configs,
        })
    }

    fn client_tool(&self) -> (String, Option<String>) {
        ("trtllm-bench".into(), self.version.clone())
    }
}

// ---------------------------------------------------------------------------------------
// The command

/// `adreport run offline`: returns the process exit code.
pub fn run(args: &OfflineArgs) -> Result<u8, RunError> {
    let settings = Settings::resolve(args)?;
    for w in check_options(&settings)? {
        eprintln!("warning: {w}");
    }
    super::install_signal_handlers()?;
    let sweep = Sweep {
        root: settings.root(),
        label: settings.label.clone(),
        runner: "offline".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
    };
    let needed = needed_workloads(&sweep);
    let report = (!settings.no_report).then(|| settings.clone());
    let mut driver = OfflineDriver::new(settings, needed);
    let outcome = super::run(&mut driver, &sweep)?;
    super::print_outcome(&outcome, &sweep);
    let mut code = outcome.exit_code();
    if let (Some(s), false) = (report, outcome.complete.is_empty()) {
        if outcome.signal.is_none() {
            if let Err(e) = write_report(&outcome, &sweep, &s) {
                eprintln!("error: the report failed: {e}");
                code = code.max(1);
            }
        }
    }
    Ok(code)
}

/// ISL/OSL pairs of the points this run will run (those not complete, or all with --force).
fn needed_workloads(sweep: &Sweep) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for p in &sweep.points {
        if !sweep.policy.force && is_complete(&sweep.root.join(&p.name)) {
            continue;
        }
        let get = |k: &str| p.params.get(k).and_then(Value::as_u64);
        if let (Some(i), Some(o)) = (get("isl"), get("osl")) {
            if !out.contains(&(i, o)) {
                out.push((i, o));
            }
        }
    }
    out
}

/// `report` on the complete points, one label per backend (the first is the baseline), and
/// the ISL x OSL table.
fn write_report(o: &Outcome, sweep: &Sweep, s: &Settings) -> Result<(), String> {
    let mut inputs = Vec::new();
    for b in &s.backends {
        let dir = sweep.root.join(b);
        for d in o.complete.iter().filter(|d| d.starts_with(&dir)) {
            inputs.push(format!("{b}={}", d.display()));
        }
    }
    let out = sweep.root.join("report");
    let done = super::write_report(&inputs, &out, s.sla.as_deref(), None)?;
    let table = isl_osl_table(&done.sweep, &s.backends);
    write_atomic(&out.join(ISL_OSL_TABLE), table.as_bytes()).map_err(|e| e.to_string())?;
    print!("\n{table}");
    super::print_report_location(&out, done.files.len() + 1);
    Ok(())
}

/// Per backend, ISL down and OSL across: the best output throughput over the batch sizes and
/// the batch size that gave it.
pub fn isl_osl_table(results: &Results, labels: &[String]) -> String {
    let mut out = String::from(
        "## Output throughput by ISL x OSL\n\nBest output tokens/s over the max batch sizes run (the batch size that gave it in brackets).\n",
    );
    for label in labels {
        let pts: Vec<_> = results
            .points
            .iter()
            .filter(|p| &p.label == label)
            .collect();
        if pts.is_empty() {
            continue;
        }
        let isls: BTreeSet<u64> = pts.iter().filter_map(|p| p.isl).collect();
        let osls: BTreeSet<u64> = pts.iter().filter_map(|p| p.osl).collect();
        let _ = write!(out, "\n### {label}\n\n| ISL \\ OSL |");
        for o in &osls {
            let _ = write!(out, " {o} |");
        }
        out.push_str("\n| ---: |");
        out.push_str(&" ---: |".repeat(osls.len()));
        out.push('\n');
        for i in &isls {
            let _ = write!(out, "| {i} |");
            for o in &osls {
                let best = pts
                    .iter()
                    .filter(|p| p.isl == Some(*i) && p.osl == Some(*o))
                    .filter_map(|p| {
                        Some((p.get(Metric::OutputTokenThroughput)?, p.max_batch_size()))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let cell = match best {
                    Some((v, Some(bs))) => format!("{} (bs {bs})", human(v)),
                    Some((v, None)) => human(v),
                    None => "-".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(extra: &[&str]) -> Result<Settings, RunError> {
        let crate::cli::RunCommand::Offline(a) = crate::run::parse_run_command("offline", extra)?
        else {
            panic!("not run offline")
        };
        Settings::resolve(&a)
    }

    #[test]
    fn argv_is_the_seeds() {
        let s = settings(&[
            "--model",
            "meta-llama/Llama-3.1-8b",
            "--backend",
            "_autodeploy",
            "--batch-sizes",
            "256",
            "--vocab-size",
            "128000",
            "--extra-llm-api-options",
            "/cfg/config.yaml",
            "--warmup",
            "0",
            "-o",
            "/r",
        ])
        .unwrap();
        let argv = s.argv("_autodeploy", 128, 128, 256, Path::new("/r/offline/p"));
        let want: Vec<&str> = vec![
            "trtllm-bench",
            "--model",
            "meta-llama/Llama-3.1-8b",
            "throughput",
            "--dataset",
            "/r/offline/datasets/token-norm-dist_isl_128_osl_128_n_1024.jsonl",
            "--backend",
            "_autodeploy",
            "--max_batch_size",
            "256",
            "--tp",
            "1",
            "--extra_llm_api_options",
            "/cfg/config.yaml",
            "--report_json",
            "/r/offline/p/report.json",
            "--warmup",
            "0",
        ];
        assert_eq!(argv, want);
    }

    #[test]
    fn grid_points_and_per_backend_options() {
        let s = settings(&[
            "--model",
            "m",
            "--vocab-size",
            "100",
            "--backend",
            "_autodeploy,pytorch",
            "--isl",
            "128,512",
            "--osl",
            "64",
            "--batch-sizes",
            "8 16",
            "--backend-config",
            "_autodeploy=ad.yaml",
            "--extra-llm-api-options",
            "pt.yaml",
            "--num-requests",
            "32",
        ])
        .unwrap();
        let names: Vec<String> = s.points().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "_autodeploy/isl_128_osl_64_bs_8",
                "pytorch/isl_128_osl_64_bs_8",
                "_autodeploy/isl_128_osl_64_bs_16",
                "pytorch/isl_128_osl_64_bs_16",
                "_autodeploy/isl_512_osl_64_bs_8",
                "pytorch/isl_512_osl_64_bs_8",
                "_autodeploy/isl_512_osl_64_bs_16",
                "pytorch/isl_512_osl_64_bs_16",
            ]
        );
        assert_eq!(s.options["_autodeploy"], PathBuf::from("ad.yaml"));
        assert_eq!(s.options["pytorch"], PathBuf::from("pt.yaml"));
        let argv = s.argv("pytorch", 512, 64, 16, Path::new("d"));
        assert!(argv.ends_with(&["--num_requests".to_string(), "32".to_string()]));
        assert!(argv[5].ends_with("datasets/token-norm-dist_isl_512_osl_64_n_32.jsonl"));
    }

    #[test]
    fn default_request_count_gives_the_largest_batch_four_waves() {
        let s = settings(&["--model", "m", "--vocab-size", "10"]).unwrap();
        assert_eq!(s.batch_sizes, DEFAULT_BATCH_SIZES);
        assert_eq!(s.dataset.num_requests, 1024);
        let s = settings(&["--model", "m", "--vocab-size", "10", "--batch-sizes", "8"]).unwrap();
        assert_eq!(s.dataset.num_requests, 256);
        assert_eq!(s.num_requests_flag, None);
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = |a: &[&str]| settings(a).unwrap_err().to_string();
        assert!(err(&["--vocab-size", "10"]).contains("--model"));
        assert!(err(&["--model", "m"]).contains("--vocab-size"));
        let base = ["--model", "m", "--vocab-size", "10"];
        let with = |more: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(more);
            err(&v)
        };
        assert!(with(&["--backend", "autodeploy"]).contains("did you mean `_autodeploy`"));
        assert!(with(&["--backend", "pytorch,pytorch"]).contains("twice"));
        assert!(with(&["--batch-sizes", "8,x"]).contains("`x`"));
        assert!(with(&["--backend-config", "pytorch=p.yaml"]).contains("not in --backend"));
        assert!(with(&["--backend-config", "nofile"]).contains("BACKEND=FILE"));
        assert!(with(&["--tp", "0"]).contains("--tp"));
        assert!(with(&["--isl-stdev", "-1"]).contains("--isl-stdev"));
        assert!(with(&["--label", "a/b"]).contains("plain directory"));
    }

    #[test]
    fn config_file_keys_and_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("sweep.yaml");
        fs::write(
            &cfg,
            "model: m\nvocab_size: 50\nbackend: [pytorch, _autodeploy]\nisl: [128, 512]\nosl: 256\nbatch-sizes: '32 64'\nbackend_config: {_autodeploy: ad.yaml}\nstreaming: true\non-failure: stop\n",
        )
        .unwrap();
        let c = cfg.display().to_string();
        let s = settings(&["--config", &c, "--osl", "128"]).unwrap();
        assert_eq!(s.backends, ["pytorch", "_autodeploy"]);
        assert_eq!(
            (s.isls.as_slice(), s.osls.as_slice()),
            (&[128, 512][..], &[128][..])
        );
        assert_eq!(s.batch_sizes, [32, 64]);
        assert_eq!(s.options["_autodeploy"], PathBuf::from("ad.yaml"));
        assert!(s.streaming);
        assert_eq!(s.policy.on_failure, OnFailure::Stop);
        fs::write(&cfg, "model: m\nbogus: 1\n").unwrap();
        assert!(settings(&["--config", &c])
            .unwrap_err()
            .to_string()
            .contains("bogus"));
    }

    #[test]
    fn datasets_are_reused_only_for_the_same_spec() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let mut spec = DatasetSettings {
            num_requests: 4,
            isl_stdev: 0,
            osl_stdev: 0,
            vocab_size: 100,
            eos_id: None,
            seed: 1,
        }
        .spec(8, 4);
        assert!(ensure_dataset(&spec, &path)
            .unwrap()
            .starts_with("wrote 4 requests"));
        let first = fs::read_to_string(&path).unwrap();
        assert_eq!(first.lines().count(), 4);
        assert!(ensure_dataset(&spec, &path).unwrap().starts_with("reusing"));
        spec.seed = 2;
        assert!(ensure_dataset(&spec, &path).unwrap().starts_with("wrote"));
        assert_ne!(fs::read_to_string(&path).unwrap(), first);
    }
}
