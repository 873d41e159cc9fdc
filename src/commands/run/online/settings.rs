//! `run online` settings: one options struct for the flags and `--config sweep.yaml`, layered
//! (flags over the file over defaults) and resolved into what the runner uses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use super::client_kind::ClientKind;
use super::server::{ReadyOn, ServerSpec, READY_LINE};
use crate::analyze::search::{check_settings, SearchSettings, DEFAULT_PRECISION_PCT};
use crate::analyze::sla::Sla;
use crate::commands::run::fanout::configs::{Common, RunnerOptions};
use crate::commands::run::fanout::options::FanOutOptions;
use crate::commands::run::http::Endpoint;
use crate::commands::run::options::{null_as_default, secs, split_cmd, CmdSpec, Layer, ListSpec};
use crate::commands::run::{OnFailure, PointSpec, Policy, RunError};
use crate::model::Stat;

/// The highest concurrency `--find-capacity` probes unless `--max-concurrency` says otherwise.
pub const DEFAULT_MAX_CONCURRENCY: u64 = 1024;

/// The concurrency presets of `--concurrencies quick|full`.
pub const QUICK: &[u64] = &[1, 8, 32, 64];
pub const FULL: &[u64] = &[
    1, 4, 8, 16, 24, 32, 40, 48, 64, 80, 96, 128, 192, 224, 256, 384,
];

/// `KEY=VALUE,...` or a YAML mapping.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum EnvSpec {
    Text(String),
    Map(BTreeMap<String, serde_yaml::Value>),
}

impl EnvSpec {
    /// A flag's value: always text.
    pub fn from_flag(text: &str) -> Result<EnvSpec, String> {
        Ok(EnvSpec::Text(text.to_string()))
    }
}

/// `run online` flags. Every flag can also be a key of `--config sweep.yaml` (same name,
/// `-` or `_`); flags win.
#[derive(clap::Args, Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OnlineOptions {
    /// YAML file with the same settings as the flags (e.g. `server-cmd:`, `concurrencies:`).
    /// A `configs:` list of entries, each a `label:` with its own settings over the top-level
    /// ones, runs several configs (one after the other, or with --slurm as jobs); flags win over both.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// The server command, e.g. "trtllm-serve MODEL --backend _autodeploy --extra_llm_api_options config.yaml"
    /// (split into arguments like a shell would, but run without one).
    #[arg(long, value_name = "CMD", help_heading = "Server", value_parser = CmdSpec::from_flag)]
    pub server_cmd: Option<CmdSpec>,
    /// Run --server-cmd through `sh -c` (pipes, variables, `&&`).
    #[arg(long, help_heading = "Server")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub server_shell: bool,
    /// Where the server listens. Alone: attach to a running server. With --server-cmd: default
    /// from its --host/--port, else http://127.0.0.1:8000.
    #[arg(long, value_name = "URL", help_heading = "Server")]
    pub url: Option<String>,
    /// Environment for the server: KEY=VALUE,KEY2=VALUE2.
    #[arg(long, value_name = "K=V,...", help_heading = "Server", value_parser = EnvSpec::from_flag)]
    pub env: Option<EnvSpec>,
    /// Add `world_size: N` to a copy of the server's --extra_llm_api_options YAML (as bench_server.py does).
    #[arg(long, value_name = "N", help_heading = "Server")]
    pub world_size: Option<u64>,
    /// Run the server under `nsys profile`, tracing CUDA, cuBLAS and NVTX with CUDA graphs
    /// traced node by node; the trace goes to OUT/LABEL/.
    #[arg(long, help_heading = "Server")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub profile: bool,
    /// Seconds to wait for the server to be ready [default: 1800].
    #[arg(long, value_name = "SECS", help_heading = "Server")]
    pub ready_timeout: Option<f64>,
    /// What says the server is ready [default: http].
    #[arg(long, value_enum, help_heading = "Server")]
    pub ready_on: Option<ReadyOn>,
    /// The server log line --ready-on log|both waits for [default: "Application startup complete"].
    #[arg(long, value_name = "TEXT", help_heading = "Server")]
    pub ready_log: Option<String>,
    /// Seconds between SIGTERM and SIGKILL when stopping the server [default: 30].
    #[arg(long, value_name = "SECS", help_heading = "Server")]
    pub stop_grace: Option<f64>,

    /// The load generator [default: aiperf].
    #[arg(long, value_enum, help_heading = "Client")]
    pub client: Option<ClientKind>,
    /// How to run the client [default: aiperf | python3 -m tensorrt_llm.serve.scripts.benchmark_serving
    /// | python3 -m sglang.benchmark.serving].
    #[arg(long, value_name = "CMD", help_heading = "Client", value_parser = CmdSpec::from_flag)]
    pub client_cmd: Option<CmdSpec>,
    /// One more argument for the client (repeat the flag for more), e.g. --client-arg=--tokenizer.
    #[arg(
        long = "client-arg",
        value_name = "ARG",
        allow_hyphen_values = true,
        help_heading = "Client"
    )]
    #[serde(
        rename = "client-arg",
        alias = "client-args",
        default,
        deserialize_with = "null_as_default"
    )]
    pub client_args: Vec<String>,
    /// Model name sent to the server [default: the first one /v1/models lists].
    #[arg(long, help_heading = "Client")]
    pub model: Option<String>,
    /// Tokenizer (name or local directory) passed to the client.
    #[arg(long, help_heading = "Client")]
    pub tokenizer: Option<String>,

    /// Concurrencies: "1 4 8 16", "1,4,8", or the presets quick (1 8 32 64) and
    /// full (1 4 8 16 24 32 40 48 64 80 96 128 192 224 256 384) [default: quick].
    #[arg(long, value_name = "LIST", help_heading = "Sweep", value_parser = ListSpec::from_flag)]
    pub concurrencies: Option<ListSpec>,
    /// Requests per point = concurrency x rounds [default: 5].
    #[arg(long, help_heading = "Sweep")]
    pub rounds: Option<u64>,
    /// Input sequence length [default: 1024].
    #[arg(long, help_heading = "Sweep")]
    pub isl: Option<u64>,
    /// Output sequence length [default: 1024].
    #[arg(long, help_heading = "Sweep")]
    pub osl: Option<u64>,
    /// Warmup requests per point [default: 1].
    #[arg(long, value_name = "N", help_heading = "Sweep")]
    pub warmup: Option<u64>,
    /// Per-request timeout given to the client, in seconds [default: 1800].
    #[arg(long, value_name = "SECS", help_heading = "Sweep")]
    pub request_timeout: Option<u64>,
    /// Output root; results go to OUT/LABEL/ [default: adreport-runs].
    #[arg(short = 'o', long = "out", value_name = "DIR", help_heading = "Sweep")]
    pub out: Option<PathBuf>,
    /// The series name and directory under OUT [default: sweep].
    #[arg(long, help_heading = "Sweep")]
    pub label: Option<String>,

    /// Redo points that are already complete.
    #[arg(long, help_heading = "Failures")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub force: bool,
    /// After a failed point [default: restart].
    #[arg(long, value_enum, help_heading = "Failures")]
    pub on_failure: Option<OnFailure>,
    /// Server restarts allowed over the sweep [default: 2].
    #[arg(long, value_name = "N", help_heading = "Failures")]
    pub max_restarts: Option<u32>,
    /// Kill a client that runs longer than this many seconds; the point fails.
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
    /// SLA targets for the report, e.g. ttft=500,tpot=7.
    #[arg(long, value_name = "TARGETS", help_heading = "Report")]
    pub sla: Option<String>,
    /// GPUs serving the model, for tokens/s/gpu [default: --world-size].
    #[arg(long, value_name = "N", help_heading = "Report")]
    pub gpus: Option<u64>,

    /// Find the highest concurrency meeting --sla by a search instead of the --concurrencies
    /// grid: doubling from 1 until the SLA fails, then bisection; writes OUT/LABEL/capacity.json.
    /// With --repeats N, a probe within the run-to-run noise of a limit gets up to N runs.
    #[arg(long, help_heading = "Capacity search")]
    #[serde(default, deserialize_with = "null_as_default")]
    pub find_capacity: bool,
    /// The highest concurrency the search probes [default: 1024].
    #[arg(long, value_name = "N", help_heading = "Capacity search")]
    pub max_concurrency: Option<u64>,
    /// The search stops when [last pass, first fail] is within PCT % of the last pass [default: 10].
    #[arg(long, value_name = "PCT", help_heading = "Capacity search")]
    pub precision: Option<f64>,
    /// The statistic --sla is judged on: avg, p50, p90, p95 or p99 [default: avg].
    #[arg(long, value_name = "STAT", help_heading = "Capacity search")]
    pub sla_stat: Option<String>,

    /// Repeats, Slurm and Kubernetes: keys of the file's top level too (see fan-out).
    #[command(flatten)]
    #[serde(skip)]
    pub fan_out: FanOutOptions,
}

impl OnlineOptions {
    /// `self` over `lower`, setting by setting (see [`Layer`]).
    pub fn over(self, lower: OnlineOptions) -> OnlineOptions {
        OnlineOptions {
            config: self.config.over(lower.config),
            server_cmd: self.server_cmd.over(lower.server_cmd),
            server_shell: self.server_shell.over(lower.server_shell),
            url: self.url.over(lower.url),
            env: self.env.over(lower.env),
            world_size: self.world_size.over(lower.world_size),
            profile: self.profile.over(lower.profile),
            ready_timeout: self.ready_timeout.over(lower.ready_timeout),
            ready_on: self.ready_on.over(lower.ready_on),
            ready_log: self.ready_log.over(lower.ready_log),
            stop_grace: self.stop_grace.over(lower.stop_grace),
            client: self.client.over(lower.client),
            client_cmd: self.client_cmd.over(lower.client_cmd),
            client_args: self.client_args.over(lower.client_args),
            model: self.model.over(lower.model),
            tokenizer: self.tokenizer.over(lower.tokenizer),
            concurrencies: self.concurrencies.over(lower.concurrencies),
            rounds: self.rounds.over(lower.rounds),
            isl: self.isl.over(lower.isl),
            osl: self.osl.over(lower.osl),
            warmup: self.warmup.over(lower.warmup),
            request_timeout: self.request_timeout.over(lower.request_timeout),
            out: self.out.over(lower.out),
            label: self.label.over(lower.label),
            force: self.force.over(lower.force),
            on_failure: self.on_failure.over(lower.on_failure),
            max_restarts: self.max_restarts.over(lower.max_restarts),
            point_timeout: self.point_timeout.over(lower.point_timeout),
            no_report: self.no_report.over(lower.no_report),
            no_gpu_trace: self.no_gpu_trace.over(lower.no_gpu_trace),
            sla: self.sla.over(lower.sla),
            gpus: self.gpus.over(lower.gpus),
            find_capacity: self.find_capacity.over(lower.find_capacity),
            max_concurrency: self.max_concurrency.over(lower.max_concurrency),
            precision: self.precision.over(lower.precision),
            sla_stat: self.sla_stat.over(lower.sla_stat),
            fan_out: self.fan_out.over(lower.fan_out),
        }
    }
}

impl RunnerOptions for OnlineOptions {
    const EXAMPLE: &'static str = "server-cmd: ..., concurrencies: ...";

    fn over(self, lower: Self) -> Self {
        OnlineOptions::over(self, lower)
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
    /// Record `nvidia-smi` into each point directory when the machine has one.
    pub gpu_trace: bool,
    /// A GPU is present: aiperf gets `--gpu-telemetry pynvml` (set by the command, not a flag).
    pub gpu_telemetry: bool,
    pub sla: Option<String>,
    /// The statistic `sla` is judged on.
    pub sla_stat: Stat,
    /// `--find-capacity`: the search's settings (`max_repeats` 1 until the fan-out's
    /// `--repeats` is known).
    pub search: Option<SearchSettings>,
    pub gpus: Option<u64>,
    pub config_file: Option<PathBuf>,
}

/// `--sla-stat`: the statistics an SLA is judged on.
fn parse_sla_stat(text: &str) -> Result<Stat, RunError> {
    [Stat::Avg, Stat::P50, Stat::P90, Stat::P95, Stat::P99]
        .into_iter()
        .find(|s| s.key() == text.trim().to_ascii_lowercase())
        .ok_or_else(|| {
            RunError::Usage(format!(
                "--sla-stat `{text}`: use avg, p50, p90, p95 or p99"
            ))
        })
}

/// `--find-capacity` and its flags, checked against the rest.
fn search_settings(a: &OnlineOptions) -> Result<Option<SearchSettings>, RunError> {
    if !a.find_capacity {
        let set = [
            (a.max_concurrency.is_some(), "--max-concurrency"),
            (a.precision.is_some(), "--precision"),
        ];
        if let Some((_, flag)) = set.iter().find(|(on, _)| *on) {
            return Err(RunError::Usage(format!(
                "{flag} applies to --find-capacity"
            )));
        }
        return Ok(None);
    }
    if a.sla.is_none() {
        return Err(RunError::Usage(
            "--find-capacity searches for the highest concurrency meeting an SLA: add --sla, e.g. --sla ttft=500".into(),
        ));
    }
    if a.concurrencies.is_some() {
        return Err(RunError::Usage(
            "--find-capacity chooses the concurrencies itself: leave out --concurrencies (--max-concurrency caps them)".into(),
        ));
    }
    let s = SearchSettings {
        max_concurrency: a.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY),
        precision_pct: a.precision.unwrap_or(DEFAULT_PRECISION_PCT),
        max_repeats: 1,
    };
    check_settings(&s).map_err(RunError::Usage)?;
    Ok(Some(s))
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
    pub fn resolve(flags: OnlineOptions) -> Result<Settings, RunError> {
        Settings::from_options(flags.with_file()?)
    }

    /// Defaults and checks on options already layered (flags, a config, the file).
    pub fn from_options(a: OnlineOptions) -> Result<Settings, RunError> {
        let search = search_settings(&a)?;
        let server_shell = a.server_shell;
        let server_cmd = a.server_cmd;
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
        let env = match a.env {
            Some(e) => parse_env(e)?,
            None => Vec::new(),
        };
        let world_size = a.world_size;
        let profile = a.profile;
        let url = a.url;
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
        let client = a.client.unwrap_or(ClientKind::Aiperf);
        let client_cmd = match a.client_cmd {
            Some(spec) => split_cmd(spec, "--client-cmd")?,
            None => client.default_cmd(),
        };
        let client_args = a.client_args;
        let concurrencies = match a.concurrencies {
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
        let label = a.label.unwrap_or_else(|| "sweep".into());
        if label.is_empty() || label.contains('/') || label == "." || label == ".." {
            return Err(RunError::Usage(format!(
                "--label `{label}` must be a plain directory name"
            )));
        }
        let point_timeout = a
            .point_timeout
            .map(|v| secs(v, "--point-timeout"))
            .transpose()?;
        let sla_stat = match &a.sla_stat {
            Some(t) => parse_sla_stat(t)?,
            None => Stat::Avg,
        };
        let sla = a.sla;
        if let Some(s) = &sla {
            Sla::parse(s, sla_stat).map_err(|e| RunError::Usage(format!("--sla: {e}")))?;
        }
        Ok(Settings {
            server,
            endpoint,
            ready_timeout: secs(a.ready_timeout.unwrap_or(1800.0), "--ready-timeout")?,
            ready_on: a.ready_on.unwrap_or(ReadyOn::Http),
            ready_log: a.ready_log.unwrap_or_else(|| READY_LINE.into()),
            stop_grace: secs(a.stop_grace.unwrap_or(30.0), "--stop-grace")?,
            client,
            client_cmd,
            client_args,
            model: a.model,
            tokenizer: a.tokenizer,
            concurrencies,
            rounds: positive(a.rounds.unwrap_or(5), "--rounds")?,
            isl: positive(a.isl.unwrap_or(1024), "--isl")?,
            osl: positive(a.osl.unwrap_or(1024), "--osl")?,
            warmup: a.warmup.unwrap_or(1),
            request_timeout: positive(a.request_timeout.unwrap_or(1800), "--request-timeout")?,
            out: a.out.unwrap_or_else(|| PathBuf::from("adreport-runs")),
            label,
            policy: Policy {
                force: a.force,
                on_failure: a.on_failure.unwrap_or(OnFailure::Restart),
                max_restarts: a.max_restarts.unwrap_or(2),
                point_timeout,
                client_grace: Duration::from_secs(10),
            },
            no_report: a.no_report,
            gpu_trace: !a.no_gpu_trace,
            gpu_telemetry: false,
            sla,
            sla_stat,
            search,
            gpus: a.gpus.or(world_size),
            config_file: a.config,
        })
    }

    /// `OUT/LABEL`.
    pub fn root(&self) -> PathBuf {
        self.out.join(&self.label)
    }

    pub fn points(&self) -> Vec<PointSpec> {
        self.concurrencies.iter().map(|&c| self.point(c)).collect()
    }

    /// The point at concurrency `c`: `isl_X_osl_Y_conc_C`.
    pub fn point(&self, c: u64) -> PointSpec {
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
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::commands::run::options::parse_flags;

    fn settings(flags: &[&str]) -> Result<Settings, RunError> {
        Settings::resolve(parse_flags::<OnlineOptions>(flags)?)
    }

    /// A Slurm or Kubernetes job reads the settings of its config back as the same sweep.
    #[test]
    fn job_settings_read_back_as_the_same_sweep() {
        use crate::commands::run::fanout::configs::{job_settings, layer};
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("sweep.yaml");
        fs::write(
            &cfg,
            "isl: 64\nenv: {A: 1}\nrepeats: 2\nconfigs:\n  - label: tuned\n    server-cmd: [trtllm-serve, m, --port, '9001']\n    osl: 32\n    client-arg: [--seed, '7']\n",
        )
        .unwrap();
        let c = cfg.display().to_string();
        let flags =
            parse_flags::<OnlineOptions>(&["--config", &c, "--concurrencies", "1 2", "-o", "runs"])
                .unwrap();
        let layered = layer(flags).unwrap();
        assert_eq!(layered.fan_out.repeats, Some(2));
        let options = &layered.configs[0];
        let want = Settings::from_options(options.clone()).unwrap();
        let text = job_settings(options, &want.out, &want.label).unwrap();
        let job_file = dir.path().join("settings.yaml");
        fs::write(&job_file, &text).unwrap();
        let job_flags =
            parse_flags::<OnlineOptions>(&["--config", &job_file.display().to_string()]).unwrap();
        let got = Settings::resolve(job_flags).unwrap();
        assert_eq!(got.label, "tuned");
        assert_eq!(got.out, std::path::absolute("runs").unwrap());
        assert_eq!(
            got.server.as_ref().unwrap().argv,
            want.server.as_ref().unwrap().argv
        );
        assert_eq!(
            got.server.unwrap().env,
            [("A".to_string(), "1".to_string())]
        );
        assert_eq!((got.isl, got.osl, got.concurrencies), (64, 32, vec![1, 2]));
        assert_eq!(got.client_args, ["--seed", "7"]);
        assert_eq!(got.endpoint.port, 9001);
        assert!(
            got.no_report,
            "the submitting adreport reports on all configs"
        );
        assert!(!text.contains("repeats"), "{text}");
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
    fn find_capacity_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("sweep.yaml");
        fs::write(
            &cfg,
            "url: http://h:1\nsla: ttft=100\nfind-capacity: true\nmax-concurrency: 64\nsla-stat: p90\n",
        )
        .unwrap();
        let c = cfg.display().to_string();
        let s = settings(&["--config", &c]).unwrap();
        assert_eq!(s.sla_stat, Stat::P90);
        let search = s.search.unwrap();
        assert_eq!(
            (
                search.max_concurrency,
                search.precision_pct,
                search.max_repeats
            ),
            (64, 10.0, 1)
        );
        let s = settings(&["--config", &c, "--precision", "5"]).unwrap();
        assert_eq!(s.search.unwrap().precision_pct, 5.0);
        let err = settings(&["--config", &c, "--precision=0"]).unwrap_err();
        assert!(err.to_string().contains("--precision"), "{err}");
        let s = settings(&["--url", "h:1"]).unwrap();
        assert_eq!((s.search, s.sla_stat), (None, Stat::Avg));
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
}
