//! An AIConfigurator save directory as the audit consumes it: experiments, their predicted
//! rows (`pareto.csv`, `best_config_topn.csv`) and the run's workload and SLA.
//! `ingest::aiconfigurator` fills it; values keep the CSV's per-replica meaning.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_yaml::Value as Yaml;

use super::sweep::Warning;

/// One AIConfigurator save directory.
#[derive(Clone, Debug, PartialEq)]
pub struct AicRun {
    pub dir: PathBuf,
    pub model: Option<String>,
    pub system: Option<String>,
    pub backend: Option<String>,
    /// Version of the backend whose perf database was used (CSV `version`, config `backend_version`).
    pub backend_version: Option<String>,
    /// AIConfigurator's own version, when a saved stdout next to the save dir names it.
    pub aic_version: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub sla_ttft_ms: Option<f64>,
    pub sla_tpot_ms: Option<f64>,
    /// GPUs of the whole cluster (`--total-gpus`).
    pub total_gpus: Option<u64>,
    pub experiments: Vec<AicExperiment>,
    /// Oddities found while loading (missing files, name/config disagreements).
    pub warnings: Vec<Warning>,
}

/// One experiment (`agg/`, `disagg/` or a user-named one).
#[derive(Clone, Debug, PartialEq)]
pub struct AicExperiment {
    /// Directory name (or `agg`/`disagg` from `<name>_pareto.csv` in v0.1-0.2).
    pub name: String,
    /// `agg` or `disagg` (config `serving_mode`, else the CSV columns), else the name.
    pub mode: String,
    pub dir: PathBuf,
    pub pareto_csv: Option<PathBuf>,
    pub pareto: Vec<AicRow>,
    /// Top-N under the SLA, best first (the closest configs when none meets it).
    pub best_topn: Vec<AicRow>,
    pub exp_config: Option<Yaml>,
    /// Generated deployment configs `top1/`, `top2/`, ... in rank order.
    pub top_dirs: Vec<PathBuf>,
}

/// One predicted configuration (one row of a CSV); values describe one replica.
#[derive(Clone, Debug, PartialEq)]
pub struct AicRow {
    /// 1-based rank for `best_config_topn.csv` rows.
    pub rank: Option<usize>,
    /// 1-based data row in its CSV (the header is line 1, row 1 is line 2).
    pub row: usize,
    pub model: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    /// In-flight requests per replica.
    pub concurrency: u64,
    /// Requests per second per replica.
    pub request_rate: Option<f64>,
    /// Batch size (agg only; disagg rows have `(p)bs`/`(d)bs` in `columns`).
    pub bs: Option<u64>,
    pub ttft_ms: f64,
    pub tpot_ms: f64,
    /// `ttft + tpot * (osl - 1)`; v0.5+.
    pub request_latency_ms: Option<f64>,
    pub tokens_s: f64,
    pub tokens_s_gpu: f64,
    /// `1000 / tpot`: decode speed excluding TTFT.
    pub tokens_s_user: f64,
    /// tokens/s/gpu with idle GPUs of the cluster counted (v0.12+).
    pub tokens_s_gpu_cluster: Option<f64>,
    /// GPUs of one replica.
    pub num_total_gpus: u64,
    /// Agg: the `parallel` column (`tp8pp1dp1etp1ep1`); disagg: `(p)<parallel>x<workers> + (d)<parallel>x<workers>`.
    pub parallel: Option<String>,
    pub tp: Option<u64>,
    pub pp: Option<u64>,
    pub dp: Option<u64>,
    pub backend: Option<String>,
    /// Backend version of the perf database.
    pub version: Option<String>,
    pub system: Option<String>,
    /// Every column of the row as written.
    pub columns: BTreeMap<String, String>,
}

impl AicRow {
    /// A column's raw text, `None` when absent or empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether the prediction meets both latency targets.
    pub fn meets_sla(&self, ttft_ms: f64, tpot_ms: f64) -> bool {
        self.ttft_ms <= ttft_ms && self.tpot_ms <= tpot_ms
    }
}

impl AicRun {
    /// Replicas of a row's configuration on the cluster (`total_gpus // num_total_gpus`).
    pub fn replicas(&self, row: &AicRow) -> Option<u64> {
        let total = self.total_gpus?;
        (row.num_total_gpus > 0).then(|| total / row.num_total_gpus)
    }

    /// Whether a row meets the run's SLA; `None` when the SLA is unknown.
    pub fn row_meets_sla(&self, row: &AicRow) -> Option<bool> {
        Some(row.meets_sla(self.sla_ttft_ms?, self.sla_tpot_ms?))
    }

    pub fn experiment(&self, name: &str) -> Option<&AicExperiment> {
        self.experiments.iter().find(|e| e.name == name)
    }
}
