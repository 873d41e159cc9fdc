//! Why an audit cannot run, as data. The words (which name the command's flags) are written
//! by the audit job (`crate::commands::audit`), the layer that knows the flags.

use std::path::PathBuf;

/// An experiment of the save dir: its directory name and its mode.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentName {
    pub name: String,
    pub mode: String,
}

/// The configs of one experiment, ranked ones first.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentConfigs {
    pub experiment: String,
    pub configs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AuditError {
    /// The MAPE gate is negative or not a number.
    BadMaxApe,
    NoMeasuredSweep,
    /// No experiment has the asked name or mode.
    UnknownMode {
        asked: String,
        dir: PathBuf,
        available: Vec<ExperimentName>,
    },
    /// Several experiments have the asked mode.
    AmbiguousMode {
        asked: String,
        dir: PathBuf,
        matches: Vec<ExperimentName>,
    },
    /// No experiment ranks configs, so only an explicit config can be audited.
    NothingRanked {
        dir: PathBuf,
        available: Vec<ExperimentConfigs>,
    },
    NoRankedExperiment,
    /// The experiment's best_config_topn.csv is missing or empty.
    NoRanks {
        best_csv: PathBuf,
        rank: usize,
        experiment: String,
        available: Vec<ExperimentConfigs>,
    },
    /// The rank asked is past the ranked rows: (rank, parallel) of each.
    RankOutOfRange {
        rank: usize,
        best_csv: PathBuf,
        ranks: Vec<(usize, Option<String>)>,
    },
    /// A ranked row has no `parallel` column.
    RankWithoutConfig {
        best_csv: PathBuf,
        row: usize,
    },
    UnknownConfig {
        asked: String,
        dir: PathBuf,
        available: Vec<ExperimentConfigs>,
    },
    /// The asked prefix matches several configs: (experiment, config) of each.
    AmbiguousConfig {
        asked: String,
        matches: Vec<(String, String)>,
        several_experiments: bool,
    },
    ConfigWithoutRow {
        asked: String,
        config: String,
    },
    NoParetoCsv {
        pareto_csv: PathBuf,
        config: String,
    },
    NoCurveRows {
        pareto_csv: PathBuf,
        config: String,
    },
    NoGpusPerReplica {
        config: String,
    },
    /// The GPUs given are not a whole number of replicas.
    GpusNotWhole {
        gpus: u64,
        config: String,
        per_replica: u64,
    },
    /// No measured point falls on the predicted curve.
    NoOverlap {
        measured_path: String,
        /// Per-replica concurrencies measured.
        measured: Vec<f64>,
        replicas: u64,
        predicted_file: String,
        config: String,
        range: [u64; 2],
    },
}
