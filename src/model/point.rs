//! One load point, its per-request data and the load it ran at.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::metric::{Latency, Metric, Source};

/// Per-request measurements of one load point (only the profiled phase).
/// Missing values are `None` (e.g. TPOT of a one-token answer, latencies of a failed request).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Requests {
    pub ttft_ms: Vec<Option<f64>>,
    pub tpot_ms: Vec<Option<f64>>,
    pub e2el_ms: Vec<Option<f64>>,
    pub isl: Vec<Option<f64>>,
    pub osl: Vec<Option<f64>>,
    pub ok: Vec<bool>,
}

impl Requests {
    pub fn len(&self) -> usize {
        self.ok.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ok.is_empty()
    }
    /// Adds every row of `other` (pooling the requests of several runs).
    pub fn append(&mut self, other: &Requests) {
        self.ttft_ms.extend_from_slice(&other.ttft_ms);
        self.tpot_ms.extend_from_slice(&other.tpot_ms);
        self.e2el_ms.extend_from_slice(&other.e2el_ms);
        self.isl.extend_from_slice(&other.isl);
        self.osl.extend_from_slice(&other.osl);
        self.ok.extend_from_slice(&other.ok);
    }

    pub fn push(&mut self, r: RequestRow) {
        self.ttft_ms.push(r.ttft_ms);
        self.tpot_ms.push(r.tpot_ms);
        self.e2el_ms.push(r.e2el_ms);
        self.isl.push(r.isl);
        self.osl.push(r.osl);
        self.ok.push(r.ok);
    }

    /// The column for one latency family, if per-request data has it.
    pub fn latency(&self, lat: Latency) -> Option<&[Option<f64>]> {
        match lat {
            Latency::Ttft => Some(&self.ttft_ms),
            Latency::Tpot => Some(&self.tpot_ms),
            Latency::E2el => Some(&self.e2el_ms),
            Latency::Itl => None,
        }
    }

    /// Values of a latency family over successful requests that have it.
    pub fn ok_values(&self, lat: Latency) -> Vec<f64> {
        let Some(col) = self.latency(lat) else {
            return Vec::new();
        };
        col.iter()
            .zip(&self.ok)
            .filter_map(|(v, ok)| if *ok { *v } else { None })
            .collect()
    }
}

/// One request, as readers build them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RequestRow {
    pub ttft_ms: Option<f64>,
    pub tpot_ms: Option<f64>,
    pub e2el_ms: Option<f64>,
    pub isl: Option<f64>,
    pub osl: Option<f64>,
    pub ok: bool,
}

/// The load axis of a point: what a sweep varies from one point to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Load {
    /// Requests in flight at once (aiperf, genai-perf, benchmark_serving, AIConfigurator).
    Concurrency(u64),
    /// The engine's max batch size, for runs without a concurrency (trtllm-bench throughput).
    BatchSize(u64),
}

impl Load {
    pub fn concurrency(self) -> Option<u64> {
        match self {
            Load::Concurrency(c) => Some(c),
            Load::BatchSize(_) => None,
        }
    }

    pub fn batch_size(self) -> Option<u64> {
        match self {
            Load::BatchSize(b) => Some(b),
            Load::Concurrency(_) => None,
        }
    }
}

/// A tool's own summary over runs whose separate results are missing (aiperf's `aggregate/`
/// without `profile_runs/`): how many runs it summarizes and each metric's run-to-run CV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunsSummary {
    pub runs: u32,
    /// Sample std / mean over the runs, per metric.
    pub cv: BTreeMap<Metric, f64>,
}

/// [`Point::extra`] keys: when the tool's measurement started and ended, ISO-8601 as the tool
/// wrote it (aiperf's `start_time`/`end_time`).
pub const START_TIME: &str = "start_time";
pub const END_TIME: &str = "end_time";

/// One load point: one client run at one concurrency (or request rate), or one predicted row.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub source: Source,
    /// The file or artifact directory the point was read from.
    pub path: PathBuf,
    pub model: Option<String>,
    pub backend: Option<String>,
    pub tool_version: Option<String>,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrency: Option<u64>,
    /// Configured request rate in req/s; `None` for unlimited ("inf") or not set.
    pub request_rate: Option<f64>,
    pub num_gpus: Option<u64>,
    /// Where `num_gpus` came from ("source", "--gpus"), so reports never hide a guess.
    pub num_gpus_from: Option<String>,
    pub metrics: BTreeMap<Metric, f64>,
    pub requests: Option<Requests>,
    /// Source-specific facts worth showing (e.g. AIConfigurator `parallel`, `mode`).
    pub extra: BTreeMap<String, String>,
    /// The separate runs of this point when it was measured more than once, in order, each a
    /// complete point of its own; empty for a single run. The point's metrics are then the mean
    /// over its repeats (see [`Point::from_repeats`]).
    pub repeats: Vec<Point>,
    /// For one repeat: its number, 1-based (from `rep_N/`, `run_NNNN/`, ... or reading order).
    pub repeat: Option<u32>,
    /// A tool's summary over runs that are not here themselves (then `repeats` is empty).
    pub runs_summary: Option<RunsSummary>,
}

impl Point {
    pub fn new(source: Source, path: impl Into<PathBuf>) -> Point {
        Point {
            label: String::new(),
            source,
            path: path.into(),
            model: None,
            backend: None,
            tool_version: None,
            isl: None,
            osl: None,
            concurrency: None,
            request_rate: None,
            num_gpus: None,
            num_gpus_from: None,
            metrics: BTreeMap::new(),
            requests: None,
            extra: BTreeMap::new(),
            repeats: Vec::new(),
            repeat: None,
            runs_summary: None,
        }
    }

    /// One point from its repeats: identity from the first, each metric the mean over the
    /// repeats that have it, per-request rows pooled (for distributions and goodput).
    /// A single repeat is returned as it is.
    pub fn from_repeats(mut repeats: Vec<Point>) -> Option<Point> {
        if repeats.len() <= 1 {
            return repeats.pop();
        }
        let mut point = repeats[0].clone();
        point.repeat = None;
        point.metrics = BTreeMap::new();
        let metrics: std::collections::BTreeSet<Metric> = repeats
            .iter()
            .flat_map(|r| r.metrics.keys().copied())
            .collect();
        for m in metrics {
            let values: Vec<f64> = repeats.iter().filter_map(|r| r.get(m)).collect();
            point.set(m, values.iter().sum::<f64>() / values.len() as f64);
        }
        point.requests = repeats.iter().filter_map(|r| r.requests.as_ref()).fold(
            None,
            |acc: Option<Requests>, r| {
                let mut acc = acc.unwrap_or_default();
                acc.append(r);
                Some(acc)
            },
        );
        point.repeats = repeats;
        Some(point)
    }

    /// How many runs this point stands for (1 for a single run).
    pub fn runs(&self) -> usize {
        self.repeats.len().max(1)
    }

    /// One value of `m` per run: the repeats' values, or the point's own for a single run.
    pub fn run_values(&self, m: Metric) -> Vec<f64> {
        if self.repeats.is_empty() {
            self.get(m).into_iter().collect()
        } else {
            self.repeats.iter().filter_map(|r| r.get(m)).collect()
        }
    }

    /// How many runs the point's numbers summarize, as the user should see it: its repeats, or
    /// the run count of a tool's own summary over runs we do not have ([`RunsSummary`]), else 1.
    /// Unlike [`Point::runs`] this is not the number of per-run values available as evidence.
    pub fn measured_runs(&self) -> usize {
        if !self.repeats.is_empty() {
            return self.repeats.len();
        }
        self.runs_summary.as_ref().map_or(1, |s| s.runs as usize)
    }

    /// The run-to-run coefficient of variation (sample std / mean over the runs) of `m` that a
    /// tool's summary states (aiperf's `aggregate/`), for a point whose runs are missing: a noise
    /// estimate without per-run values. `None` when no such summary was read.
    pub fn aggregate_cv(&self, m: Metric) -> Option<f64> {
        self.runs_summary.as_ref()?.cv.get(&m).copied()
    }

    pub fn get(&self, m: Metric) -> Option<f64> {
        self.metrics.get(&m).copied()
    }

    /// The max batch size the run was set to (trtllm-bench's `max_batch_size`, kept in `extra`).
    pub fn max_batch_size(&self) -> Option<u64> {
        self.extra.get("max_batch_size")?.parse().ok()
    }

    /// The load this point ran at: its concurrency, or else its max batch size (offline
    /// trtllm-bench runs send all requests at once; the batch size is what a sweep varies).
    /// Derived rather than stored, so readers that set `concurrency` or `max_batch_size`
    /// never have to keep a third field in step.
    pub fn load(&self) -> Option<Load> {
        match self.concurrency {
            Some(c) => Some(Load::Concurrency(c)),
            None => self.max_batch_size().map(Load::BatchSize),
        }
    }

    /// The max batch size when it is this point's load axis (no concurrency), else `None`.
    pub fn batch_size_load(&self) -> Option<u64> {
        self.load().and_then(Load::batch_size)
    }

    /// Sets a metric; non-finite values are dropped so no NaN reaches a report.
    pub fn set(&mut self, m: Metric, v: f64) {
        if v.is_finite() {
            self.metrics.insert(m, v);
        }
    }

    pub fn set_opt(&mut self, m: Metric, v: Option<f64>) {
        if let Some(v) = v {
            self.set(m, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Latency, Metric, Source, Stat};

    #[test]
    fn repeats_make_one_point_with_per_run_values_and_the_mean() {
        let ttft = Metric::Latency(Latency::Ttft, Stat::Avg);
        let run = |n: u32, v: Option<f64>, rows: usize| {
            let mut p = Point::new(Source::Aiperf, format!("rep_{n}"));
            p.repeat = Some(n);
            p.set_opt(ttft, v);
            p.set(Metric::RequestThroughput, f64::from(n));
            let mut r = Requests::default();
            for _ in 0..rows {
                r.push(RequestRow {
                    ok: true,
                    ..RequestRow::default()
                });
            }
            p.requests = Some(r);
            p
        };
        let p = Point::from_repeats(vec![
            run(1, Some(10.0), 2),
            run(2, None, 3),
            run(3, Some(14.0), 1),
        ])
        .unwrap();
        assert_eq!(p.runs(), 3);
        assert_eq!(p.repeat, None);
        // A repeat without the metric does not count as a zero.
        assert_eq!(p.get(ttft), Some(12.0));
        assert_eq!(p.run_values(ttft), vec![10.0, 14.0]);
        assert_eq!(p.get(Metric::RequestThroughput), Some(2.0));
        assert_eq!(p.requests.as_ref().map(Requests::len), Some(6));
        let single = Point::from_repeats(vec![run(1, Some(10.0), 2)]).unwrap();
        assert_eq!(single.runs(), 1);
        assert_eq!(single.run_values(ttft), vec![10.0]);
        assert!(Point::from_repeats(Vec::new()).is_none());
    }
}
