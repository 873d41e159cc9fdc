//! Goodput recomputed from per-request data for any SLA, given after the fact.

use serde::Serialize;

use super::sla::Sla;
use crate::model::{Latency, Metric, Point};

/// Requests that met every per-request target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Goodput {
    pub good: usize,
    pub total: usize,
    /// good / total.
    pub fraction: f64,
    /// good requests per second of benchmark duration, when the duration is known.
    pub per_s: Option<f64>,
}

/// Goodput of one point; `None` without per-request data.
/// ITL targets have no per-request value and are not counted; a request with one output
/// token has no TPOT and passes a TPOT target, as in benchmark_serving.
pub fn goodput(p: &Point, sla: &Sla) -> Option<Goodput> {
    let req = p.requests.as_ref().filter(|r| !r.is_empty())?;
    let total = req.len();
    let good = (0..total)
        .filter(|&i| {
            req.ok[i]
                && sla.targets.iter().all(|t| {
                    let value = match t.latency {
                        Latency::Itl => return true,
                        Latency::Tpot => req.tpot_ms[i].unwrap_or(0.0),
                        Latency::Ttft => match req.ttft_ms[i] {
                            Some(v) => v,
                            None => return false,
                        },
                        Latency::E2el => match req.e2el_ms[i] {
                            Some(v) => v,
                            None => return false,
                        },
                    };
                    value <= t.limit_ms
                })
        })
        .count();
    let per_s = p
        .get(Metric::DurationS)
        .filter(|d| *d > 0.0)
        .map(|d| good as f64 / d);
    Some(Goodput {
        good,
        total,
        fraction: good as f64 / total as f64,
        per_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RequestRow, Requests, Source, Stat};

    #[test]
    fn counts_requests_meeting_every_target() {
        let mut p = Point::new(Source::Aiperf, "x");
        let mut r = Requests::default();
        let row = |ttft, tpot, ok| RequestRow {
            ttft_ms: Some(ttft),
            tpot_ms: tpot,
            e2el_ms: Some(1.0),
            isl: None,
            osl: None,
            ok,
        };
        r.push(row(100.0, Some(5.0), true)); // good
        r.push(row(600.0, Some(5.0), true)); // TTFT too slow
        r.push(row(100.0, Some(9.0), true)); // TPOT too slow
        r.push(row(100.0, None, true)); // one token: good
        r.push(row(100.0, Some(5.0), false)); // failed
        p.requests = Some(r);
        p.set(Metric::DurationS, 2.0);
        let sla = Sla::parse("ttft=500,tpot=7", Stat::Avg).unwrap();
        let g = goodput(&p, &sla).unwrap();
        assert_eq!((g.good, g.total), (2, 5));
        assert_eq!(g.fraction, 0.4);
        assert_eq!(g.per_s, Some(1.0));
    }
}
