//! The offline runner's [`Driver`]: no server; writes the datasets before the first point
//! and builds each point's trtllm-bench command.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use super::datasets::ensure_dataset;
use super::settings::Settings;
use crate::commands::run::{interrupted, ClientCmd, Driver, Health, PointSpec, Progress, RunError};
use crate::commands::run::{manifest, process};

/// The offline runner has no server: only datasets to write before the first point.
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
            return Err(RunError::Usage(format!(
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
