//! A capacity found by search (`run online --find-capacity`, its `capacity.json`): the highest
//! concurrency meeting an SLA, as a sweep-level answer beside the points it probed.

use std::path::PathBuf;

use super::{Latency, Stat};

/// The file `run online --find-capacity` writes into `OUT/LABEL`, its format name and version
/// (written by render/capacity_json.rs, read by ingest/capacity.rs).
pub const CAPACITY_FILE: &str = "capacity.json";
pub const CAPACITY_FORMAT: &str = "adreport-capacity";
pub const CAPACITY_VERSION: u64 = 1;

#[derive(Clone, Debug, PartialEq)]
pub struct SearchedCapacity {
    pub label: String,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    /// The SLA it was searched against: (latency, limit in ms), judged on `sla_stat`.
    pub sla: Vec<(Latency, f64)>,
    pub sla_stat: Stat,
    /// The highest passing concurrency; `None` when even concurrency 1 fails.
    pub capacity: Option<u64>,
    /// [last pass, first fail above it]; `None` at an end the search did not find.
    pub bracket: [Option<u64>; 2],
    /// The SLA target that fails first (`ttft`, `tpot`, ...).
    pub binding: Option<String>,
    /// Where the binding target crosses its limit, from repeats at both ends of the bracket.
    pub capacity_ci: Option<[f64; 2]>,
    /// Request/s and output tokens/s at the capacity (and per GPU when known).
    pub requests_per_s: Option<f64>,
    pub output_tokens_per_s: Option<f64>,
    pub output_tokens_per_s_gpu: Option<f64>,
    /// The search finished (a stopped search is resumed by running it again).
    pub done: bool,
    pub precision_pct: Option<f64>,
    pub path: PathBuf,
}

impl SearchedCapacity {
    /// Whether it was searched against exactly these targets on this statistic.
    pub fn same_sla(&self, targets: &[(Latency, f64)], stat: Stat) -> bool {
        self.sla_stat == stat
            && self.sla.len() == targets.len()
            && targets.iter().all(|t| self.sla.contains(t))
    }

    /// The range the true capacity lies in: its CI when repeats gave one, else the bracket
    /// [last pass, first fail) (as far as the search found it).
    pub fn range(&self) -> Option<[f64; 2]> {
        self.capacity_ci.or_else(|| self.bracket_range())
    }

    /// The search bracket [last pass, first fail) as a range, open where it was not found.
    pub fn bracket_range(&self) -> Option<[f64; 2]> {
        match self.bracket {
            [Some(lo), Some(hi)] => Some([lo as f64, hi as f64]),
            [Some(lo), None] => Some([lo as f64, f64::INFINITY]),
            [None, Some(hi)] => Some([0.0, hi as f64]),
            [None, None] => None,
        }
    }
}
