//! The online runner's [`Driver`]: launches (or attaches to) the server, waits for it to be
//! ready, tells whether it is alive, restarts and stops it, and builds each point's client.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::server::{append, server_argv, LogScan, ReadyOn, SERVER_LOG};
use super::settings::Settings;
use crate::commands::run::http;
use crate::commands::run::manifest;
use crate::commands::run::process::{self, Group, Spec};
use crate::commands::run::{
    hurry, interrupted, ClientCmd, Driver, Health, PointSpec, Progress, RunError, TAIL_LINES,
};

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
