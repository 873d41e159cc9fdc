//! `adreport run online`: launch (or attach to) an OpenAI-compatible server, sweep
//! concurrencies with aiperf, benchmark_serving or SGLang's bench_serving, then report.
//!
//! The workflow of the seeds (bench_server.py + aiperf; trtllm-serve + benchmark_serving) as
//! one command. Layout: `OUT/LABEL/isl_X_osl_Y_conc_C/` per point (client artifacts,
//! client_stdout.log, client_stderr.log, run.json, .complete), `OUT/LABEL/server.log`, and the
//! report in `OUT/LABEL/report/`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, Endpoint};
use super::manifest;
use super::process::{self, Group, Spec};
use super::{
    hurry, interrupted, secs, split_cmd, ClientCmd, CmdSpec, Driver, Health, ListSpec, OnFailure,
    Outcome, PointSpec, Policy, Progress, RunError, Sweep, TAIL_LINES,
};
use crate::analyze::sla::Sla;
use crate::cli::OnlineArgs;
use crate::model::Stat;

/// The seed's concurrency presets.
pub const QUICK: &[u64] = &[1, 8, 32, 64];
pub const FULL: &[u64] = &[
    1, 4, 8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 192, 224, 256, 384,
];
/// The line uvicorn prints when trtllm-serve, vLLM or SGLang is up.
pub const READY_LINE: &str = "Application startup complete";
/// nsys flags from the seed's profiling section.
const NSYS_FLAGS: &[&str] = &[
    "-f",
    "true",
    "-t",
    "cuda,cublas,nvtx",
    "--cuda-graph-trace",
    "node",
    "--trace-fork-before-exec=true",
    "-e",
    "TLLM_PROFILE_RECORD_GC=1,TLLM_LLMAPI_ENABLE_NVTX=1,TLLM_TORCH_PROFILE_TRACE=trace.json",
];
/// Server flags naming the extra LLM API options YAML (trtllm-serve spells it several ways).
const OPTIONS_FLAGS: &[&str] = &[
    "--extra_llm_api_options",
    "--extra-llm-api-options",
    "--config",
];

/// The load generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
pub enum ClientKind {
    #[value(name = "aiperf")]
    #[serde(rename = "aiperf")]
    Aiperf,
    /// TensorRT-LLM's (vLLM-derived) benchmark_serving.
    #[value(name = "benchmark_serving", alias = "benchmark-serving")]
    #[serde(rename = "benchmark_serving", alias = "benchmark-serving")]
    BenchmarkServing,
    /// SGLang's bench_serving.
    #[value(name = "sglang")]
    #[serde(rename = "sglang")]
    Sglang,
}

impl ClientKind {
    fn name(self) -> &'static str {
        match self {
            ClientKind::Aiperf => "aiperf",
            ClientKind::BenchmarkServing => "benchmark_serving",
            ClientKind::Sglang => "sglang",
        }
    }

    /// The command that runs the client when `--client-cmd` does not say.
    fn default_cmd(self) -> Vec<String> {
        let v: &[&str] = match self {
            ClientKind::Aiperf => &["aiperf"],
            ClientKind::BenchmarkServing => &[
                "python3",
                "-m",
                "tensorrt_llm.serve.scripts.benchmark_serving",
            ],
            ClientKind::Sglang => &["python3", "-m", "sglang.benchmark.serving"],
        };
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The Python distribution whose version names the client, for `python -m` clients.
    fn package(self) -> Option<&'static str> {
        match self {
            ClientKind::Aiperf => None,
            ClientKind::BenchmarkServing => Some("tensorrt_llm"),
            ClientKind::Sglang => Some("sglang"),
        }
    }
}

/// What tells that a launched server is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadyOn {
    /// `GET /health` answers 200 (or, without /health, `GET /v1/models` does).
    Http,
    /// The server log shows `--ready-log`.
    Log,
    /// Both.
    Both,
}

// ---------------------------------------------------------------------------------------
// Settings: flags over the YAML file over defaults

/// `KEY=VALUE,...` or a YAML mapping.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum EnvSpec {
    Text(String),
    Map(BTreeMap<String, serde_yaml::Value>),
}

/// `--config sweep.yaml`: the flags' names as keys (`server-cmd` or `server_cmd`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SweepFile {
    server_cmd: Option<CmdSpec>,
    server_shell: Option<bool>,
    url: Option<String>,
    env: Option<EnvSpec>,
    world_size: Option<u64>,
    profile: Option<bool>,
    ready_timeout: Option<f64>,
    ready_on: Option<ReadyOn>,
    ready_log: Option<String>,
    stop_grace: Option<f64>,
    client: Option<ClientKind>,
    client_cmd: Option<CmdSpec>,
    #[serde(alias = "client-args")]
    client_arg: Option<Vec<String>>,
    model: Option<String>,
    tokenizer: Option<String>,
    concurrencies: Option<ListSpec>,
    rounds: Option<u64>,
    isl: Option<u64>,
    osl: Option<u64>,
    warmup: Option<u64>,
    request_timeout: Option<u64>,
    out: Option<PathBuf>,
    label: Option<String>,
    force: Option<bool>,
    on_failure: Option<OnFailure>,
    max_restarts: Option<u32>,
    point_timeout: Option<f64>,
    no_report: Option<bool>,
    sla: Option<String>,
    gpus: Option<u64>,
}

impl SweepFile {
    fn load(path: &Path) -> Result<SweepFile, RunError> {
        super::load_settings_file(path, "server-cmd: ..., concurrencies: ...")
    }
}

/// The launched server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The command as given (argv, or `sh -c TEXT` with `--server-shell`).
    pub argv: Vec<String>,
    pub shell: bool,
    pub env: Vec<(String, String)>,
    pub world_size: Option<u64>,
    pub profile: bool,
}

/// Everything the online runner needs, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server: Option<ServerSpec>,
    pub endpoint: Endpoint,
    pub ready_timeout: Duration,
    pub ready_on: ReadyOn,
    pub ready_log: String,
    pub stop_grace: Duration,
    pub client: ClientKind,
    pub client_cmd: Vec<String>,
    pub client_args: Vec<String>,
    pub model: Option<String>,
    pub tokenizer: Option<String>,
    pub concurrencies: Vec<u64>,
    pub rounds: u64,
    pub isl: u64,
    pub osl: u64,
    pub warmup: u64,
    pub request_timeout: u64,
    pub out: PathBuf,
    pub label: String,
    pub policy: Policy,
    pub no_report: bool,
    pub sla: Option<String>,
    pub gpus: Option<u64>,
    pub config_file: Option<PathBuf>,
}

fn parse_env(spec: EnvSpec) -> Result<Vec<(String, String)>, RunError> {
    match spec {
        EnvSpec::Text(t) => t
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
                _ => Err(RunError::Usage(format!("--env: `{kv}` is not KEY=VALUE"))),
            })
            .collect(),
        EnvSpec::Map(m) => m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(RunError::Usage(format!(
                            "env: `{k}` must be a string, number or boolean, not {other:?}"
                        )))
                    }
                };
                Ok((k, v))
            })
            .collect(),
    }
}

fn parse_concurrencies(spec: ListSpec) -> Result<Vec<u64>, RunError> {
    match spec {
        ListSpec::Text(t) if t.trim() == "quick" => Ok(QUICK.to_vec()),
        ListSpec::Text(t) if t.trim() == "full" => Ok(FULL.to_vec()),
        other => other.numbers("--concurrencies"),
    }
}

/// `http://127.0.0.1:PORT` from the server's own `--port` (and `--host`), else port 8000,
/// trtllm-serve's default. A wildcard host is reached on loopback.
fn endpoint_from_server(argv: &[String]) -> Endpoint {
    let flag = |name: &str| {
        argv.iter().enumerate().find_map(|(i, a)| {
            a.strip_prefix(&format!("{name}="))
                .map(String::from)
                .or_else(|| (a == name).then(|| argv.get(i + 1).cloned()).flatten())
        })
    };
    let port = flag("--port").and_then(|p| p.parse().ok()).unwrap_or(8000);
    let host = match flag("--host").as_deref() {
        None | Some("0.0.0.0") | Some("::") | Some("") => "127.0.0.1".to_string(),
        Some(h) => h.to_string(),
    };
    Endpoint { host, port }
}

impl Settings {
    /// Flags win over the `--config` file, which wins over defaults.
    pub fn resolve(a: &OnlineArgs) -> Result<Settings, RunError> {
        let f = match &a.config {
            Some(p) => SweepFile::load(p)?,
            None => SweepFile::default(),
        };
        let server_shell = a.server_shell || f.server_shell.unwrap_or(false);
        let server_cmd = a.server_cmd.clone().map(CmdSpec::Text).or(f.server_cmd);
        let server_argv = match server_cmd {
            None => None,
            Some(CmdSpec::Text(t)) if server_shell => {
                Some(vec!["sh".to_string(), "-c".to_string(), t])
            }
            Some(CmdSpec::Argv(_)) if server_shell => {
                return Err(RunError::Usage(
                    "--server-shell needs server-cmd as one string, not a list".into(),
                ))
            }
            Some(spec) => Some(split_cmd(spec, "--server-cmd")?),
        };
        let env = match a.env.clone().map(EnvSpec::Text).or(f.env) {
            Some(e) => parse_env(e)?,
            None => Vec::new(),
        };
        let world_size = a.world_size.or(f.world_size);
        let profile = a.profile || f.profile.unwrap_or(false);
        let url = a.url.clone().or(f.url);
        let endpoint = match (&url, &server_argv) {
            (Some(u), _) => Endpoint::parse(u).map_err(RunError::Usage)?,
            (None, Some(argv)) => endpoint_from_server(argv),
            (None, None) => {
                return Err(RunError::Usage(
                    "give --server-cmd to launch a server, or --url to use one that runs".into(),
                ))
            }
        };
        let server = match server_argv {
            Some(argv) => Some(ServerSpec {
                argv,
                shell: server_shell,
                env,
                world_size,
                profile,
            }),
            None => {
                let server_only = [
                    (!env.is_empty(), "--env"),
                    (world_size.is_some(), "--world-size"),
                    (profile, "--profile"),
                    (server_shell, "--server-shell"),
                ];
                if let Some((_, flag)) = server_only.iter().find(|(set, _)| *set) {
                    return Err(RunError::Usage(format!(
                        "{flag} applies to a server adreport launches: add --server-cmd"
                    )));
                }
                None
            }
        };
        if world_size == Some(0) {
            return Err(RunError::Usage("--world-size takes a number > 0".into()));
        }
        let client = a.client.or(f.client).unwrap_or(ClientKind::Aiperf);
        let client_cmd = match a.client_cmd.clone().map(CmdSpec::Text).or(f.client_cmd) {
            Some(spec) => split_cmd(spec, "--client-cmd")?,
            None => client.default_cmd(),
        };
        let client_args = if a.client_args.is_empty() {
            f.client_arg.unwrap_or_default()
        } else {
            a.client_args.clone()
        };
        let concurrencies = match a
            .concurrencies
            .clone()
            .map(ListSpec::Text)
            .or(f.concurrencies)
        {
            Some(spec) => parse_concurrencies(spec)?,
            None => QUICK.to_vec(),
        };
        let positive = |v: u64, what: &str| {
            if v == 0 {
                Err(RunError::Usage(format!("{what} takes a number > 0")))
            } else {
                Ok(v)
            }
        };
        let label = a
            .label
            .clone()
            .or(f.label)
            .unwrap_or_else(|| "sweep".into());
        if label.is_empty() || label.contains('/') || label == "." || label == ".." {
            return Err(RunError::Usage(format!(
                "--label `{label}` must be a plain directory name"
            )));
        }
        let point_timeout = a
            .point_timeout
            .or(f.point_timeout)
            .map(|v| secs(v, "--point-timeout"))
            .transpose()?;
        let sla = a.sla.clone().or(f.sla);
        if let Some(s) = &sla {
            Sla::parse(s, Stat::Avg).map_err(|e| RunError::Usage(format!("--sla: {e}")))?;
        }
        Ok(Settings {
            server,
            endpoint,
            ready_timeout: secs(
                a.ready_timeout.or(f.ready_timeout).unwrap_or(1800.0),
                "--ready-timeout",
            )?,
            ready_on: a.ready_on.or(f.ready_on).unwrap_or(ReadyOn::Http),
            ready_log: a
                .ready_log
                .clone()
                .or(f.ready_log)
                .unwrap_or_else(|| READY_LINE.into()),
            stop_grace: secs(
                a.stop_grace.or(f.stop_grace).unwrap_or(30.0),
                "--stop-grace",
            )?,
            client,
            client_cmd,
            client_args,
            model: a.model.clone().or(f.model),
            tokenizer: a.tokenizer.clone().or(f.tokenizer),
            concurrencies,
            rounds: positive(a.rounds.or(f.rounds).unwrap_or(5), "--rounds")?,
            isl: positive(a.isl.or(f.isl).unwrap_or(1024), "--isl")?,
            osl: positive(a.osl.or(f.osl).unwrap_or(1024), "--osl")?,
            warmup: a.warmup.or(f.warmup).unwrap_or(1),
            request_timeout: positive(
                a.request_timeout.or(f.request_timeout).unwrap_or(1800),
                "--request-timeout",
            )?,
            out: a
                .out
                .clone()
                .or(f.out)
                .unwrap_or_else(|| PathBuf::from("adreport-runs")),
            label,
            policy: Policy {
                force: a.force || f.force.unwrap_or(false),
                on_failure: a.on_failure.or(f.on_failure).unwrap_or(OnFailure::Restart),
                max_restarts: a.max_restarts.or(f.max_restarts).unwrap_or(2),
                point_timeout,
                client_grace: Duration::from_secs(10),
            },
            no_report: a.no_report || f.no_report.unwrap_or(false),
            sla,
            gpus: a.gpus.or(f.gpus).or(world_size),
            config_file: a.config.clone(),
        })
    }

    /// `OUT/LABEL`.
    pub fn root(&self) -> PathBuf {
        self.out.join(&self.label)
    }

    pub fn points(&self) -> Vec<PointSpec> {
        self.concurrencies
            .iter()
            .map(|&c| {
                let mut params = Map::new();
                params.insert("isl".into(), json!(self.isl));
                params.insert("osl".into(), json!(self.osl));
                params.insert("concurrency".into(), json!(c));
                params.insert("num_requests".into(), json!(c * self.rounds));
                params.insert("rounds".into(), json!(self.rounds));
                PointSpec {
                    name: format!("isl_{}_osl_{}_conc_{c}", self.isl, self.osl),
                    params,
                }
            })
            .collect()
    }

    /// The client's argv for one point, as the seeds run it.
    pub fn client_argv(&self, model: &str, concurrency: u64, dir: &Path) -> Vec<String> {
        let c = concurrency;
        let n = c * self.rounds;
        let base = self.endpoint.base();
        let dir_s = dir.display().to_string();
        let mut argv = self.client_cmd.clone();
        let s = |v: &dyn ToString| v.to_string();
        let args: Vec<String> = match self.client {
            ClientKind::Aiperf => vec![
                s(&"profile"),
                s(&"--model"),
                s(&model),
                s(&"--url"),
                base,
                s(&"--endpoint-type"),
                s(&"chat"),
                s(&"--streaming"),
                s(&"--concurrency"),
                s(&c),
                s(&"--request-count"),
                s(&n),
                s(&"--isl"),
                s(&self.isl),
                s(&"--osl"),
                s(&self.osl),
                s(&"--extra-inputs"),
                json!({"ignore_eos": true, "min_tokens": self.osl}).to_string(),
                s(&"--num-warmup-requests"),
                s(&self.warmup),
                s(&"--request-timeout-seconds"),
                s(&self.request_timeout),
                s(&"--artifact-dir"),
                dir_s,
            ],
            ClientKind::BenchmarkServing => vec![
                s(&"--model"),
                s(&model),
                s(&"--backend"),
                s(&"openai"),
                s(&"--base-url"),
                base,
                s(&"--dataset-name"),
                s(&"random"),
                s(&"--random-input-len"),
                s(&self.isl),
                s(&"--random-output-len"),
                s(&self.osl),
                s(&"--random-prefix-len"),
                s(&0),
                s(&"--num-prompts"),
                s(&n),
                s(&"--max-concurrency"),
                s(&c),
                s(&"--ignore-eos"),
                s(&"--save-result"),
                s(&"--result-dir"),
                dir_s,
                s(&"--result-filename"),
                format!("concurrency_{c}.json"),
                s(&"--percentile-metrics"),
                s(&"ttft,tpot,itl,e2el"),
            ],
            ClientKind::Sglang => vec![
                // `vllm` is bench_serving's OpenAI /v1/completions streaming backend.
                s(&"--backend"),
                s(&"vllm"),
                s(&"--base-url"),
                base,
                s(&"--model"),
                s(&model),
                s(&"--dataset-name"),
                s(&"random"),
                s(&"--random-input-len"),
                s(&self.isl),
                s(&"--random-output-len"),
                s(&self.osl),
                s(&"--random-range-ratio"),
                s(&"1.0"),
                s(&"--num-prompts"),
                s(&n),
                s(&"--max-concurrency"),
                s(&c),
                s(&"--warmup-requests"),
                s(&self.warmup),
                s(&"--disable-tqdm"),
                s(&"--output-file"),
                dir.join(format!("sglang_conc{c}.jsonl"))
                    .display()
                    .to_string(),
                s(&"--output-details"),
            ],
        };
        argv.extend(args);
        if let Some(t) = &self.tokenizer {
            argv.extend([s(&"--tokenizer"), t.clone()]);
        }
        argv.extend(self.client_args.iter().cloned());
        argv
    }
}

// ---------------------------------------------------------------------------------------
// Server preparation

/// The argv actually launched: world_size added to a copy of the options YAML, nsys around it.
fn server_argv(
    spec: &ServerSpec,
    root: &Path,
    configs: &mut Vec<Value>,
) -> Result<Vec<String>, RunError> {
    let mut argv = spec.argv.clone();
    if let Some(options) = options_file(&argv) {
        configs.push(manifest::config_copy(Path::new(&options.1)));
    }
    if let Some(n) = spec.world_size {
        if spec.shell {
            return Err(RunError::Usage(
                "--world-size rewrites the options file named in the server's argv; it does not work with --server-shell".into(),
            ));
        }
        let Some((index, path)) = options_file(&argv) else {
            return Err(RunError::Usage(format!(
                "--world-size adds world_size to the server's options YAML, but --server-cmd has none of {}",
                OPTIONS_FLAGS.join(", ")
            )));
        };
        let copy = with_world_size(Path::new(&path), n, root)?;
        configs.push(manifest::config_copy(&copy));
        let copy = copy.display().to_string();
        match argv.get_mut(index) {
            Some(a) if a.contains('=') => {
                let flag = a.split('=').next().unwrap_or("").to_string();
                *a = format!("{flag}={copy}");
            }
            Some(a) => *a = copy,
            None => {}
        }
    }
    if spec.profile {
        if !process::on_path("nsys") {
            return Err(RunError::Usage("--profile needs `nsys` on PATH".into()));
        }
        let trace = root.join(format!("trace_{}_ad_serving", manifest::stamp()));
        let mut wrapped: Vec<String> = vec![
            "nsys".into(),
            "profile".into(),
            "-o".into(),
            trace.display().to_string(),
        ];
        wrapped.extend(NSYS_FLAGS.iter().map(|s| s.to_string()));
        wrapped.extend(argv);
        argv = wrapped;
    }
    Ok(argv)
}

/// Where the options YAML path sits in argv: its index and value.
fn options_file(argv: &[String]) -> Option<(usize, String)> {
    argv.iter().enumerate().find_map(|(i, a)| {
        OPTIONS_FLAGS.iter().find_map(|flag| {
            if a == flag {
                argv.get(i + 1).map(|v| (i + 1, v.clone()))
            } else {
                a.strip_prefix(&format!("{flag}="))
                    .map(|v| (i, v.to_string()))
            }
        })
    })
}

/// Writes `root/extra_llm_api_options.world_size_N.yaml`: the file with `world_size: N` set.
fn with_world_size(path: &Path, n: u64, root: &Path) -> Result<PathBuf, RunError> {
    let text = fs::read_to_string(path).map_err(|e| RunError::io(path, e))?;
    let mut value: serde_yaml::Value = serde_yaml::from_str(&text)
        .map_err(|e| RunError::Usage(format!("{}: not YAML: {e}", path.display())))?;
    if value.is_null() {
        value = serde_yaml::Value::Mapping(Default::default());
    }
    let serde_yaml::Value::Mapping(map) = &mut value else {
        return Err(RunError::Usage(format!(
            "{}: expected a mapping of options to add world_size to",
            path.display()
        )));
    };
    map.insert("world_size".into(), n.into());
    let out = root.join(format!("extra_llm_api_options.world_size_{n}.yaml"));
    let text = serde_yaml::to_string(&value).map_err(|e| RunError::Other(e.to_string()))?;
    fs::write(&out, text).map_err(|e| RunError::io(&out, e))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The driver

/// Server log file name under `OUT/LABEL`.
pub const SERVER_LOG: &str = "server.log";

pub struct OnlineDriver {
    s: Settings,
    root: PathBuf,
    /// What is launched, once prepared.
    argv: Vec<String>,
    server: Option<Group>,
    starts: u32,
    model: Option<String>,
    client_version: Option<String>,
    server_version: Option<String>,
    configs: Vec<Value>,
}

impl OnlineDriver {
    pub fn new(s: Settings) -> OnlineDriver {
        let root = s.root();
        let model = s.model.clone();
        OnlineDriver {
            s,
            root,
            argv: Vec::new(),
            server: None,
            starts: 0,
            model,
            client_version: None,
            server_version: None,
            configs: Vec::new(),
        }
    }

    fn log_path(&self) -> PathBuf {
        self.root.join(SERVER_LOG)
    }

    fn launch(&mut self, progress: &Progress) -> Result<(), RunError> {
        let Some(spec) = &self.s.server else {
            return Ok(());
        };
        let log = self.log_path();
        let offset = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        self.starts += 1;
        let header = format!(
            "==== adreport: server start {} at {}: {}\n",
            self.starts,
            manifest::now(),
            shell_words::join(&self.argv)
        );
        append(&log, &header)?;
        let group = Group::spawn(&Spec {
            argv: self.argv.clone(),
            env: spec.env.clone(),
            stdout: log.clone(),
            stderr: None,
            append: true,
        })
        .map_err(|e| RunError::Server(format!("{e} (the server; see --server-cmd)")))?;
        progress.say(&format!(
            "server started (pid {}), log: {}; waiting for it to be ready at {}",
            group.pid(),
            log.display(),
            self.s.endpoint.base()
        ));
        self.server = Some(group);
        self.wait_ready(offset + header.len() as u64, progress)
    }

    /// Polls until ready, the server exits, the timeout passes or a signal arrives.
    fn wait_ready(&mut self, log_offset: u64, progress: &Progress) -> Result<(), RunError> {
        let start = Instant::now();
        let launched = self.server.is_some();
        let on = if launched {
            self.s.ready_on
        } else {
            ReadyOn::Http
        };
        let mut scan = LogScan::new(self.log_path(), log_offset, &self.s.ready_log);
        let mut next_poll = Instant::now();
        loop {
            if interrupted() {
                return Err(RunError::Other(
                    "interrupted while waiting for the server".into(),
                ));
            }
            if let Health::Dead { reason, log_tail } = self.check(false) {
                return Err(RunError::Server(format!(
                    "{reason} before it was ready; last lines of {}:\n{log_tail}",
                    self.log_path().display()
                )));
            }
            if Instant::now() >= next_poll {
                let log_ok = on != ReadyOn::Http && scan.found();
                let http_ok = on != ReadyOn::Log && self.http_ready();
                let ready = match on {
                    ReadyOn::Http => http_ok,
                    ReadyOn::Log => log_ok,
                    ReadyOn::Both => http_ok && log_ok,
                };
                if ready {
                    progress.say(&format!(
                        "server ready after {:.1}s",
                        start.elapsed().as_secs_f64()
                    ));
                    return self.learn_model();
                }
                next_poll = Instant::now() + Duration::from_millis(250);
            }
            if start.elapsed() >= self.s.ready_timeout {
                let tail = if launched {
                    format!(
                        "; last lines of {}:\n{}",
                        self.log_path().display(),
                        process::tail(&self.log_path(), TAIL_LINES)
                    )
                } else {
                    String::new()
                };
                return Err(RunError::Server(format!(
                    "the server at {} was not ready after {:.0}s (--ready-timeout){tail}",
                    self.s.endpoint.base(),
                    self.s.ready_timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(process::POLL);
        }
    }

    fn http_ready(&self) -> bool {
        let t = Duration::from_secs(2);
        match http::get(&self.s.endpoint, "/health", t) {
            Ok(r) if r.status == 200 => true,
            // A server without /health: the model list answering is the next best sign.
            Ok(r) if r.status == 404 => {
                http::get(&self.s.endpoint, "/v1/models", t).is_ok_and(|r| r.status == 200)
            }
            _ => false,
        }
    }

    /// The model name for the client: `--model`, else the first one `/v1/models` lists.
    fn learn_model(&mut self) -> Result<(), RunError> {
        if self.model.is_some() {
            return Ok(());
        }
        let listed = http::get(&self.s.endpoint, "/v1/models", Duration::from_secs(10))
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| http::first_model(&r.body));
        match listed {
            Some(m) => {
                self.model = Some(m);
                Ok(())
            }
            None => Err(RunError::Usage(format!(
                "no --model given and {}/v1/models names none",
                self.s.endpoint.base()
            ))),
        }
    }

    fn probe_versions(&mut self) {
        let t = Duration::from_secs(30);
        let py_version = |python: &str, package: &str| {
            process::probe(
                &[
                    python.to_string(),
                    "-c".into(),
                    format!("import importlib.metadata as m; print(m.version('{package}'))"),
                ],
                t,
            )
        };
        let cmd = &self.s.client_cmd;
        self.client_version = match self.s.client.package() {
            Some(pkg) if cmd.get(1).is_some_and(|a| a == "-m") => {
                cmd.first().and_then(|py| py_version(py, pkg))
            }
            _ => {
                let mut argv = cmd.clone();
                argv.push("--version".into());
                process::probe(&argv, t)
            }
        };
        let server_pkg = self.s.server.as_ref().and_then(|s| {
            let joined = s.argv.join(" ");
            [
                ("trtllm-serve", "tensorrt_llm"),
                ("vllm", "vllm"),
                ("sglang", "sglang"),
            ]
            .iter()
            .find(|(needle, _)| joined.contains(needle))
            .map(|(_, pkg)| *pkg)
        });
        self.server_version = server_pkg.and_then(|pkg| py_version("python3", pkg));
    }
}

fn append(path: &Path, text: &str) -> Result<(), RunError> {
    use std::io::Write;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| RunError::io(path, e))
}

/// Looks for a line in a growing log, reading only what is new each time.
struct LogScan {
    path: PathBuf,
    offset: u64,
    needle: String,
    carry: String,
    seen: bool,
}

impl LogScan {
    fn new(path: PathBuf, offset: u64, needle: &str) -> LogScan {
        LogScan {
            path,
            offset,
            needle: needle.to_string(),
            carry: String::new(),
            seen: false,
        }
    }

    fn found(&mut self) -> bool {
        if self.seen || self.needle.is_empty() {
            return true;
        }
        let Ok(mut f) = fs::File::open(&self.path) else {
            return false;
        };
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(self.offset)).is_err() || f.read_to_end(&mut buf).is_err() {
            return false;
        }
        self.offset += buf.len() as u64;
        let text = format!("{}{}", self.carry, String::from_utf8_lossy(&buf));
        self.seen = text.contains(&self.needle);
        // Keep the tail so a line split across two reads is still found.
        let keep = text.len().saturating_sub(self.needle.len());
        let cut = (keep..=text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        self.carry = text[cut..].to_string();
        self.seen
    }
}

impl Driver for OnlineDriver {
    fn start(&mut self, progress: &Progress) -> Result<(), RunError> {
        fs::create_dir_all(&self.root).map_err(|e| RunError::io(&self.root, e))?;
        if let Some(spec) = &self.s.server {
            self.argv = server_argv(spec, &self.root, &mut self.configs)?;
        }
        if let Some(c) = &self.s.config_file {
            self.configs.push(manifest::config_copy(c));
        }
        // Before a server that may take many minutes to load: is the client there at all?
        let program = self.s.client_cmd.first().map(String::as_str).unwrap_or("");
        if !process::on_path(program) {
            return Err(RunError::Usage(format!(
                "the client `{program}` is not an executable on PATH; install it or say where it is with --client-cmd"
            )));
        }
        self.probe_versions();
        if self.s.server.is_some() {
            self.launch(progress)
        } else {
            progress.say(&format!("using the server at {}", self.s.endpoint.base()));
            self.wait_ready(0, progress)
        }
    }

    fn client(&mut self, point: &PointSpec, dir: &Path) -> Result<ClientCmd, RunError> {
        let c = point
            .params
            .get("concurrency")
            .and_then(Value::as_u64)
            .ok_or_else(|| RunError::Other(format!("point {} has no concurrency", point.name)))?;
        let model = self.model.clone().unwrap_or_default();
        // Absolute, so the client may change its working directory.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        Ok(ClientCmd {
            argv: self.s.client_argv(&model, c, &dir),
            env: Vec::new(),
        })
    }

    fn check(&mut self, thorough: bool) -> Health {
        if let Some(g) = &mut self.server {
            if let Some(status) = g.try_wait() {
                return Health::Dead {
                    reason: format!("the server process ended ({})", process::describe(&status)),
                    log_tail: process::tail(&self.root.join(SERVER_LOG), TAIL_LINES),
                };
            }
        }
        if !thorough {
            return Health::Alive;
        }
        // Two tries: one slow answer right after a heavy point is not death.
        let mut last = String::new();
        for _ in 0..2 {
            match http::get(&self.s.endpoint, "/health", Duration::from_secs(5)) {
                Ok(r) if r.status == 200 || r.status == 404 => return Health::Alive,
                Ok(r) => last = format!("GET /health answered {}", r.status),
                Err(e) => last = format!("GET /health failed: {e}"),
            }
        }
        Health::Dead {
            reason: format!("{last} at {}", self.s.endpoint.base()),
            log_tail: process::tail(&self.root.join(SERVER_LOG), TAIL_LINES),
        }
    }

    fn restart(&mut self, progress: &Progress) -> Result<(), RunError> {
        if self.s.server.is_none() {
            return Err(RunError::Server(
                "the server at --url is not answering, and adreport did not start it".into(),
            ));
        }
        self.stop();
        self.launch(progress)
    }

    fn stop(&mut self) {
        if let Some(mut g) = self.server.take() {
            g.stop(self.s.stop_grace, &hurry);
        }
    }

    fn context(&self) -> Value {
        let server = self.s.server.as_ref().map(|s| {
            json!({
                "argv": self.argv,
                "as_given": s.argv,
                "shell": s.shell,
                "env": s.env.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
                "world_size": s.world_size,
                "profile": s.profile,
                "pid": self.server.as_ref().map(Group::pid),
                "starts": self.starts,
                "log": SERVER_LOG,
                "version": self.server_version,
            })
        });
        json!({
            "url": self.s.endpoint.base(),
            "attached": self.s.server.is_none(),
            "model": self.model,
            "tokenizer": self.s.tokenizer,
            "server": server,
            "config_files": self.configs,
        })
    }

    fn client_tool(&self) -> (String, Option<String>) {
        (self.s.client.name().into(), self.client_version.clone())
    }
}

// ---------------------------------------------------------------------------------------
// The command

/// `adreport run online`: returns the process exit code.
pub fn run(args: &OnlineArgs) -> Result<u8, RunError> {
    let settings = Settings::resolve(args)?;
    super::install_signal_handlers()?;
    let root = settings.root();
    let sweep = Sweep {
        root: root.clone(),
        label: settings.label.clone(),
        runner: "online".into(),
        points: settings.points(),
        policy: settings.policy.clone(),
    };
    let report = (!settings.no_report).then(|| (settings.sla.clone(), settings.gpus));
    let mut driver = OnlineDriver::new(settings);
    let outcome = super::run(&mut driver, &sweep)?;
    super::print_outcome(&outcome, &sweep);
    let mut code = outcome.exit_code();
    if let (Some((sla, gpus)), false) = (report, outcome.complete.is_empty()) {
        if outcome.signal.is_none() {
            if let Err(e) = write_report(&outcome, &sweep, sla.as_deref(), gpus) {
                eprintln!("error: the report failed: {e}");
                code = code.max(1);
            }
        }
    }
    Ok(code)
}

/// `report` on the complete points, into `OUT/LABEL/report/`.
fn write_report(
    o: &Outcome,
    sweep: &Sweep,
    sla: Option<&str>,
    gpus: Option<u64>,
) -> Result<(), String> {
    let inputs: Vec<String> = o
        .complete
        .iter()
        .map(|d| format!("{}={}", sweep.label, d.display()))
        .collect();
    let out = sweep.root.join("report");
    let done = super::write_report(&inputs, &out, sla, gpus)?;
    super::print_report_location(&out, done.files.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(extra: &[&str]) -> Result<Settings, RunError> {
        let crate::cli::RunCommand::Online(a) = crate::run::parse_run_command("online", extra)?
        else {
            panic!("not run online")
        };
        Settings::resolve(&a)
    }

    #[test]
    fn aiperf_argv_is_the_seeds() {
        let s = settings(&[
            "--url",
            "http://0.0.0.0:8123",
            "--concurrencies",
            "32",
            "--isl",
            "1024",
            "--osl",
            "1024",
        ])
        .unwrap();
        let argv = s.client_argv(
            "meta-llama/Llama-3.1-70B",
            32,
            Path::new("/r/isl_1024_osl_1024_conc_32"),
        );
        let want: Vec<&str> = vec![
            "aiperf",
            "profile",
            "--model",
            "meta-llama/Llama-3.1-70B",
            "--url",
            "http://0.0.0.0:8123",
            "--endpoint-type",
            "chat",
            "--streaming",
            "--concurrency",
            "32",
            "--request-count",
            "160",
            "--isl",
            "1024",
            "--osl",
            "1024",
            "--extra-inputs",
            r#"{"ignore_eos":true,"min_tokens":1024}"#,
            "--num-warmup-requests",
            "1",
            "--request-timeout-seconds",
            "1800",
            "--artifact-dir",
            "/r/isl_1024_osl_1024_conc_32",
        ];
        assert_eq!(argv, want);
    }

    #[test]
    fn benchmark_serving_argv_is_the_seeds() {
        let s = settings(&[
            "--url",
            "127.0.0.1:8000",
            "--client",
            "benchmark_serving",
            "--rounds",
            "5",
            "--client-arg",
            "--seed",
            "--client-arg",
            "7",
        ])
        .unwrap();
        let argv = s.client_argv("/models/llama", 8, Path::new("/r/p"));
        let want: Vec<&str> = vec![
            "python3",
            "-m",
            "tensorrt_llm.serve.scripts.benchmark_serving",
            "--model",
            "/models/llama",
            "--backend",
            "openai",
            "--base-url",
            "http://127.0.0.1:8000",
            "--dataset-name",
            "random",
            "--random-input-len",
            "1024",
            "--random-output-len",
            "1024",
            "--random-prefix-len",
            "0",
            "--num-prompts",
            "40",
            "--max-concurrency",
            "8",
            "--ignore-eos",
            "--save-result",
            "--result-dir",
            "/r/p",
            "--result-filename",
            "concurrency_8.json",
            "--percentile-metrics",
            "ttft,tpot,itl,e2el",
            "--seed",
            "7",
        ];
        assert_eq!(argv, want);
    }

    #[test]
    fn presets_and_url_from_server_port() {
        let s = settings(&[
            "--server-cmd",
            "trtllm-serve m --host 0.0.0.0 --port 8123",
            "--concurrencies",
            "full",
        ])
        .unwrap();
        assert_eq!(s.endpoint.base(), "http://127.0.0.1:8123");
        assert_eq!(s.concurrencies, FULL);
        assert_eq!(s.points()[2].name, "isl_1024_osl_1024_conc_8");
        let s = settings(&["--server-cmd", "trtllm-serve m"]).unwrap();
        assert_eq!((s.endpoint.port, s.concurrencies.as_slice()), (8000, QUICK));
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = |a: &[&str]| settings(a).unwrap_err().to_string();
        assert!(err(&[]).contains("--server-cmd"));
        assert!(err(&["--url", "h:1", "--world-size", "8"]).contains("--world-size applies"));
        assert!(err(&["--url", "h:1", "--concurrencies", "1 x"]).contains("`x`"));
        assert!(err(&["--url", "h:1", "--label", "a/b"]).contains("plain directory"));
        assert!(err(&["--server-cmd", "x", "--env", "NOEQUALS"]).contains("KEY=VALUE"));
        assert!(err(&["--url", "h:1", "--sla", "bogus=1"]).contains("--sla"));
    }

    #[test]
    fn config_file_keys_and_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("sweep.yaml");
        fs::write(
            &cfg,
            "server_cmd: [trtllm-serve, m, --port, '9000']\nconcurrencies: [1, 2]\nisl: 128\nenv: {A: 1, B: x}\non-failure: skip\n",
        )
        .unwrap();
        let c = cfg.display().to_string();
        let s = settings(&["--config", &c, "--isl", "256"]).unwrap();
        assert_eq!(s.endpoint.port, 9000);
        assert_eq!(s.concurrencies, vec![1, 2]);
        assert_eq!((s.isl, s.osl), (256, 1024));
        assert_eq!(s.policy.on_failure, OnFailure::Skip);
        let env = s.server.unwrap().env;
        assert_eq!(
            env,
            vec![("A".into(), "1".into()), ("B".into(), "x".into())]
        );
        fs::write(&cfg, "bogus-key: 1\n").unwrap();
        assert!(settings(&["--config", &c])
            .unwrap_err()
            .to_string()
            .contains("bogus-key"));
    }

    #[test]
    fn world_size_goes_into_a_copy_of_the_options_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let opts = dir.path().join("config.yaml");
        fs::write(&opts, "compile_backend: torch-opt\nfree_mem_ratio: 0.8\n").unwrap();
        let spec = ServerSpec {
            argv: vec![
                "trtllm-serve".into(),
                "m".into(),
                "--backend".into(),
                "_autodeploy".into(),
                format!("--extra_llm_api_options={}", opts.display()),
            ],
            shell: false,
            env: vec![],
            world_size: Some(8),
            profile: false,
        };
        let mut configs = Vec::new();
        let argv = server_argv(&spec, dir.path(), &mut configs).unwrap();
        let copy = dir.path().join("extra_llm_api_options.world_size_8.yaml");
        assert_eq!(
            argv[4],
            format!("--extra_llm_api_options={}", copy.display())
        );
        let v: serde_yaml::Value =
            serde_yaml::from_str(&fs::read_to_string(&copy).unwrap()).unwrap();
        assert_eq!(v["world_size"].as_u64(), Some(8));
        assert_eq!(v["compile_backend"].as_str(), Some("torch-opt"));
        assert_eq!(configs.len(), 2);
        // The original is untouched.
        assert!(!fs::read_to_string(&opts).unwrap().contains("world_size"));
    }

    #[test]
    fn log_scan_finds_a_line_split_across_reads() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.log");
        fs::write(&log, "INFO: Application start").unwrap();
        let mut scan = LogScan::new(log.clone(), 0, READY_LINE);
        assert!(!scan.found());
        append(&log, "up complete.\n").unwrap();
        assert!(scan.found());
    }
}
