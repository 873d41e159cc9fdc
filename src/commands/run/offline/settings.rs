//! `run offline` settings: one options struct for the flags and `--config sweep.yaml`,
//! layered (flags over the file over defaults) and resolved into what the runner uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::analyze::sla::Sla;
use crate::commands::dataset::token_norm_dist::{self, NormDist, TokenNormDist};
use crate::commands::run::fanout::configs::{Common, RunnerOptions};
use crate::commands::run::fanout::options::FanOutOptions;
use crate::commands::run::options::{null_as_default, secs, split_cmd, CmdSpec, Layer, ListSpec};
use crate::commands::run::{OnFailure, PointSpec, Policy, RunError};
use crate::model::Stat;

/// The backends trtllm-bench's `throughput --backend` takes.
pub const BACKENDS: &[&str] = &["pytorch", "_autodeploy", "tensorrt"];
pub const DEFAULT_BATCH_SIZES: &[u64] = &[32, 64, 128, 256];
pub const DATASETS: &str = "datasets";

/// Backend names as `"_autodeploy,pytorch"` or a YAML list.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum NamesSpec {
    Text(String),
    List(Vec<String>),
}

impl NamesSpec {
    /// A flag's value: always text.
    pub fn from_flag(text: &str) -> Result<NamesSpec, String> {
        Ok(NamesSpec::Text(text.to_string()))
    }
}

/// `run offline` flags. Every flag can also be a key of `--config sweep.yaml` (same name,
/// `-` or `_`); flags win.
#[derive(clap::Args, Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OfflineOptions {
    /// YAML file with the same settings as the flags (e.g. `backend: [_autodeploy, pytorch]`).
    /// A `configs:` list of entries, each a `label:` with its own settings over the top-level
    /// ones, runs several configs (one after the other, or with --slurm as jobs); flags win over both.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Model name or path given to trtllm-bench --model.
    #[arg(long, help_heading = "Benchmark")]
    pub model: Option<String>,
    /// trtllm-bench backends, e.g. "_autodeploy,pytorch"; the first is the report's baseline
    /// [default: _autodeploy].
    #[arg(long, value_name = "LIST", help_heading = "Benchmark", value_parser = NamesSpec::from_flag)]
    pub backend: Option<NamesSpec>,
    /// Tensor parallel size (GPUs) [default: 1].
    #[arg(long, value_name = "N", help_heading = "Benchmark")]
    pub tp: Option<u64>,
    /// Requests per point: the dataset size, also passed as --num_requests
    /// [default: 4 x the largest batch size, at least 256].
    #[arg(long, value_name = "N", help_heading = "Benchmark")]
    pub num_requests: Option<u64>,
    /// trtllm-bench --warmup requests [default: trtllm-bench's own].
    #[arg(long, value_name = "N", help_heading = "Benchmark")]
    pub warmup: Option<u64>,
    /// Stream the responses (trtllm-bench --streaming): TTFT and TPOT get measured.
    #[arg(long, help_heading = "Benchmark")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub streaming: bool,
    /// --extra_llm_api_options YAML for every backend without its own --backend-config.
    #[arg(long, value_name = "FILE", help_heading = "Benchmark")]
    pub extra_llm_api_options: Option<PathBuf>,
    /// The options YAML of one backend, e.g. _autodeploy=ad.yaml (repeat for more).
    #[arg(long, value_name = "BACKEND=FILE", help_heading = "Benchmark")]
    #[serde(default, deserialize_with = "backend_configs")]
    pub backend_config: Vec<String>,
    /// How to run trtllm-bench [default: trtllm-bench on PATH].
    #[arg(long, value_name = "CMD", help_heading = "Benchmark", value_parser = CmdSpec::from_flag)]
    pub trtllm_bench: Option<CmdSpec>,

    /// Input lengths (dataset means), e.g. "128,512" [default: 128].
    #[arg(long, value_name = "LIST", help_heading = "Sweep", value_parser = ListSpec::from_flag)]
    pub isl: Option<ListSpec>,
    /// Output lengths, e.g. "128,512"; every ISL runs with every OSL [default: 128].
    #[arg(long, value_name = "LIST", help_heading = "Sweep", value_parser = ListSpec::from_flag)]
    pub osl: Option<ListSpec>,
    /// trtllm-bench --max_batch_size values [default: 32,64,128,256].
    #[arg(long, value_name = "LIST", help_heading = "Sweep", value_parser = ListSpec::from_flag)]
    pub batch_sizes: Option<ListSpec>,
    /// Output root; results go to OUT/LABEL/ [default: adreport-runs].
    #[arg(short = 'o', long = "out", value_name = "DIR", help_heading = "Sweep")]
    pub out: Option<PathBuf>,
    /// The sweep's directory under OUT [default: offline].
    #[arg(long, help_heading = "Sweep")]
    pub label: Option<String>,

    /// Token ids are drawn from 0..N.
    #[arg(long, value_name = "N", help_heading = "Dataset")]
    pub vocab_size: Option<u32>,
    /// A HF tokenizer.json (or its directory) giving the vocabulary size and EOS id
    /// [default: the --model directory when it holds one].
    #[arg(long, value_name = "PATH", help_heading = "Dataset")]
    pub tokenizer: Option<PathBuf>,
    /// Standard deviation of the input lengths [default: 0, fixed lengths].
    #[arg(
        long,
        value_name = "TOKENS",
        allow_negative_numbers = true,
        help_heading = "Dataset"
    )]
    pub isl_stdev: Option<i64>,
    /// Standard deviation of the output lengths [default: 0].
    #[arg(
        long,
        value_name = "TOKENS",
        allow_negative_numbers = true,
        help_heading = "Dataset"
    )]
    pub osl_stdev: Option<i64>,
    /// Dataset random seed [default: 420, prepare_dataset.py's].
    #[arg(long, value_name = "N", help_heading = "Dataset")]
    pub seed: Option<u64>,

    /// Redo points that are already complete.
    #[arg(long, help_heading = "Failures")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub force: bool,
    /// After a failed point: stop, or skip it and go on (restart acts as skip: there is no
    /// server) [default: skip].
    #[arg(long, value_enum, help_heading = "Failures")]
    pub on_failure: Option<OnFailure>,
    /// Kill a trtllm-bench run that takes longer than this many seconds; the point fails.
    #[arg(long, value_name = "SECS", help_heading = "Failures")]
    pub point_timeout: Option<f64>,

    /// Do not run `report` on the results at the end.
    #[arg(long, help_heading = "Report")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub no_report: bool,
    /// Do not record the GPUs with `nvidia-smi` into each point directory (gpu_trace.csv).
    #[arg(long, help_heading = "Report")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub no_gpu_trace: bool,
    /// SLA targets for the report, e.g. ttft=500,tpot=7 (TTFT/TPOT need --streaming).
    #[arg(long, value_name = "TARGETS", help_heading = "Report")]
    pub sla: Option<String>,

    /// Repeats, Slurm and Kubernetes: keys of the file's top level too (see fan-out).
    #[command(flatten)]
    #[serde(skip)]
    pub fan_out: FanOutOptions,
}

impl OfflineOptions {
    /// `self` over `lower`, setting by setting (see [`Layer`]).
    pub fn over(self, lower: OfflineOptions) -> OfflineOptions {
        OfflineOptions {
            config: self.config.over(lower.config),
            model: self.model.over(lower.model),
            backend: self.backend.over(lower.backend),
            tp: self.tp.over(lower.tp),
            num_requests: self.num_requests.over(lower.num_requests),
            warmup: self.warmup.over(lower.warmup),
            streaming: self.streaming.over(lower.streaming),
            extra_llm_api_options: self.extra_llm_api_options.over(lower.extra_llm_api_options),
            backend_config: self.backend_config.over(lower.backend_config),
            trtllm_bench: self.trtllm_bench.over(lower.trtllm_bench),
            isl: self.isl.over(lower.isl),
            osl: self.osl.over(lower.osl),
            batch_sizes: self.batch_sizes.over(lower.batch_sizes),
            out: self.out.over(lower.out),
            label: self.label.over(lower.label),
            vocab_size: self.vocab_size.over(lower.vocab_size),
            tokenizer: self.tokenizer.over(lower.tokenizer),
            isl_stdev: self.isl_stdev.over(lower.isl_stdev),
            osl_stdev: self.osl_stdev.over(lower.osl_stdev),
            seed: self.seed.over(lower.seed),
            force: self.force.over(lower.force),
            on_failure: self.on_failure.over(lower.on_failure),
            point_timeout: self.point_timeout.over(lower.point_timeout),
            no_report: self.no_report.over(lower.no_report),
            no_gpu_trace: self.no_gpu_trace.over(lower.no_gpu_trace),
            sla: self.sla.over(lower.sla),
            fan_out: self.fan_out.over(lower.fan_out),
        }
    }
}

impl RunnerOptions for OfflineOptions {
    const EXAMPLE: &'static str = "model: ..., backend: [...], isl: [...]";

    fn over(self, lower: Self) -> Self {
        OfflineOptions::over(self, lower)
    }

    fn common(&mut self) -> Common<'_> {
        Common {
            config: &mut self.config,
            out: &mut self.out,
            label: &mut self.label,
            no_report: &mut self.no_report,
            fan_out: &mut self.fan_out,
        }
    }
}

/// `backend-config:` as a mapping `{_autodeploy: ad.yaml}` or a list of `BACKEND=FILE`, as
/// the flag's values.
fn backend_configs<'de, D>(d: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spec {
        Map(BTreeMap<String, PathBuf>),
        List(Vec<String>),
    }
    Ok(match Option::<Spec>::deserialize(d)? {
        None => Vec::new(),
        Some(Spec::Map(m)) => m
            .into_iter()
            .map(|(b, f)| format!("{b}={}", f.display()))
            .collect(),
        Some(Spec::List(v)) => v,
    })
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
    /// Record `nvidia-smi` into each point directory when the machine has one.
    pub gpu_trace: bool,
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

/// `--backend-config B=FILE` (repeatable, or the file's list or mapping).
fn parse_backend_configs(pairs: Vec<String>) -> Result<BTreeMap<String, PathBuf>, RunError> {
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
        let info = token_norm_dist::tokenizer_info(p).map_err(|e| usage(e.to_string()))?;
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
    pub fn resolve(flags: OfflineOptions) -> Result<Settings, RunError> {
        Settings::from_options(flags.with_file()?)
    }

    /// Defaults and checks on options already layered (flags, a config, the file).
    pub fn from_options(a: OfflineOptions) -> Result<Settings, RunError> {
        let model = a
            .model
            .ok_or_else(|| usage("give --model (a name or path trtllm-bench loads)"))?;
        let backends = match a.backend {
            Some(spec) => parse_backends(spec)?,
            None => vec!["_autodeploy".to_string()],
        };
        let list = |given: Option<ListSpec>, what: &str, default: &[u64]| match given {
            Some(spec) => spec.numbers(what),
            None => Ok(default.to_vec()),
        };
        let isls = list(a.isl, "--isl", &[128])?;
        let osls = list(a.osl, "--osl", &[128])?;
        let batch_sizes = list(a.batch_sizes, "--batch-sizes", DEFAULT_BATCH_SIZES)?;
        let tp = a.tp.unwrap_or(1);
        if tp == 0 {
            return Err(usage("--tp takes a number > 0"));
        }
        let num_requests_flag = a.num_requests;
        let largest = batch_sizes.iter().copied().max().unwrap_or(1);
        let num_requests = match num_requests_flag {
            Some(0) => return Err(usage("--num-requests takes a number > 0")),
            Some(n) => n,
            None => largest.saturating_mul(4).max(256),
        };
        let mut options = parse_backend_configs(a.backend_config)?;
        if let Some(b) = options.keys().find(|b| !backends.contains(b)) {
            return Err(usage(format!(
                "--backend-config names `{b}`, which is not in --backend ({})",
                backends.join(",")
            )));
        }
        if let Some(all) = a.extra_llm_api_options {
            for b in &backends {
                options.entry(b.clone()).or_insert_with(|| all.clone());
            }
        }
        let trtllm_bench = match a.trtllm_bench {
            Some(spec) => split_cmd(spec, "--trtllm-bench")?,
            None => vec!["trtllm-bench".to_string()],
        };
        let tokenizer = a.tokenizer;
        let (vocab_size, eos_id) = vocabulary(tokenizer.as_deref(), a.vocab_size, &model)?;
        let dataset = DatasetSettings {
            num_requests,
            isl_stdev: a.isl_stdev.unwrap_or(0),
            osl_stdev: a.osl_stdev.unwrap_or(0),
            vocab_size,
            eos_id,
            seed: a.seed.unwrap_or(token_norm_dist::DEFAULT_SEED),
        };
        dataset.spec(isls[0], osls[0]).validate().map_err(|e| {
            usage(
                e.replace("--input-stdev", "--isl-stdev")
                    .replace("--output-stdev", "--osl-stdev"),
            )
        })?;
        let label = a.label.unwrap_or_else(|| "offline".into());
        if label.is_empty() || label.contains('/') || label == "." || label == ".." {
            return Err(usage(format!(
                "--label `{label}` must be a plain directory name"
            )));
        }
        let sla = a.sla;
        if let Some(s) = &sla {
            Sla::parse(s, Stat::Avg).map_err(|e| usage(format!("--sla: {e}")))?;
        }
        let point_timeout = a
            .point_timeout
            .map(|v| secs(v, "--point-timeout"))
            .transpose()?;
        Ok(Settings {
            model,
            backends,
            tp,
            num_requests_flag,
            warmup: a.warmup,
            streaming: a.streaming,
            options,
            trtllm_bench,
            isls,
            osls,
            batch_sizes,
            dataset,
            out: a.out.unwrap_or_else(|| PathBuf::from("adreport-runs")),
            label,
            policy: Policy {
                force: a.force,
                on_failure: a.on_failure.unwrap_or(OnFailure::Skip),
                max_restarts: 0,
                point_timeout,
                client_grace: Duration::from_secs(10),
            },
            no_report: a.no_report,
            gpu_trace: !a.no_gpu_trace,
            sla,
            config_file: a.config,
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
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::commands::run::options::parse_flags;

    fn settings(flags: &[&str]) -> Result<Settings, RunError> {
        Settings::resolve(parse_flags::<OfflineOptions>(flags)?)
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
}
