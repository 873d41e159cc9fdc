//! Everything loaded from the inputs, with polars frames for analysis and export.

use std::fmt;
use std::path::PathBuf;

use polars::prelude::*;

use super::capacity::SearchedCapacity;
use super::config::ConfigFile;
use super::metric::Metric;
use super::point::Point;

/// A note about input that was read but not (fully) used.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An empty path marks a note about the inputs as a whole.
        if self.path.as_os_str().is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// Everything loaded from the inputs.
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    pub points: Vec<Point>,
    pub warnings: Vec<Warning>,
    /// Every result file that contributed a point (provenance).
    pub files_read: Vec<PathBuf>,
    /// Engine config files found beside the runs (read by `ingest::load`, shown by reports).
    pub configs: Vec<ConfigFile>,
    /// Capacities found by search (`capacity.json` of `run online --find-capacity`).
    pub capacities: Vec<SearchedCapacity>,
}

impl Sweep {
    /// Labels in first-seen order.
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.points {
            if !out.contains(&p.label) {
                out.push(p.label.clone());
            }
        }
        out
    }

    /// One row per point: identity columns then every canonical metric that any point has.
    pub fn points_frame(&self) -> PolarsResult<DataFrame> {
        let pts = &self.points;
        let text = |name: &str, f: &dyn Fn(&Point) -> Option<String>| {
            Column::new(name.into(), pts.iter().map(f).collect::<Vec<_>>())
        };
        let int = |name: &str, f: &dyn Fn(&Point) -> Option<u64>| {
            Column::new(name.into(), pts.iter().map(f).collect::<Vec<_>>())
        };
        let mut cols = vec![
            text("label", &|p| Some(p.label.clone())),
            text("source", &|p| Some(p.source.name().to_string())),
            text("path", &|p| Some(p.path.display().to_string())),
            text("model", &|p| p.model.clone()),
            text("backend", &|p| p.backend.clone()),
            int("isl", &|p| p.isl),
            int("osl", &|p| p.osl),
            int("concurrency", &|p| p.concurrency),
            Column::new(
                "request_rate".into(),
                pts.iter().map(|p| p.request_rate).collect::<Vec<_>>(),
            ),
            int("num_gpus", &|p| p.num_gpus),
            // Runs behind each point's numbers; empty on the rows of single repeats.
            int("repeats", &|p| {
                p.repeat.is_none().then_some(p.measured_runs() as u64)
            }),
        ];
        if pts.iter().any(|p| p.repeat.is_some()) {
            cols.push(int("repeat", &|p| p.repeat.map(u64::from)));
        }
        for m in self.metrics_present() {
            cols.push(Column::new(
                m.name().into(),
                pts.iter().map(|p| p.get(m)).collect::<Vec<_>>(),
            ));
        }
        DataFrame::new(pts.len(), cols)
    }

    /// Every repeat as a point of its own (numbered; a single run is repeat 1), for looking at
    /// the spread behind the means.
    pub fn repeats_view(&self) -> Sweep {
        let points = self
            .points
            .iter()
            .flat_map(|p| {
                if p.repeats.is_empty() {
                    let mut one = p.clone();
                    // A tool's summary over runs we do not have stays one row of N runs.
                    if p.runs_summary.is_none() {
                        one.repeat = Some(one.repeat.unwrap_or(1));
                    }
                    vec![one]
                } else {
                    p.repeats.clone()
                }
            })
            .collect();
        Sweep {
            points,
            ..self.clone()
        }
    }

    /// One row per request of every point that has per-request data; `point` indexes `points`.
    pub fn requests_frame(&self) -> PolarsResult<DataFrame> {
        let mut point = Vec::new();
        let (mut ttft, mut tpot, mut e2el, mut isl, mut osl, mut ok) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for (i, p) in self.points.iter().enumerate() {
            let Some(r) = &p.requests else { continue };
            point.extend(std::iter::repeat_n(i as u32, r.len()));
            ttft.extend_from_slice(&r.ttft_ms);
            tpot.extend_from_slice(&r.tpot_ms);
            e2el.extend_from_slice(&r.e2el_ms);
            isl.extend_from_slice(&r.isl);
            osl.extend_from_slice(&r.osl);
            ok.extend_from_slice(&r.ok);
        }
        DataFrame::new_infer_height(vec![
            Column::new("point".into(), point),
            Column::new("ttft_ms".into(), ttft),
            Column::new("tpot_ms".into(), tpot),
            Column::new("e2el_ms".into(), e2el),
            Column::new("isl".into(), isl),
            Column::new("osl".into(), osl),
            Column::new("ok".into(), ok),
        ])
    }

    /// Canonical metrics that at least one point carries, in registry order.
    pub fn metrics_present(&self) -> Vec<Metric> {
        Metric::all()
            .into_iter()
            .filter(|m| self.points.iter().any(|p| p.metrics.contains_key(m)))
            .collect()
    }
}
