//! Where a series stops meeting its SLA: the highest passing concurrency, the throughput
//! there, and the concurrency where each target's limit is crossed, interpolated.

use serde::Serialize;

use super::sla::Sla;
use crate::model::{Metric, Point};

/// Where one target's limit is crossed between two measured concurrencies.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossing {
    pub target: String,
    pub limit_ms: f64,
    /// Linear interpolation of the concurrency at which the value reaches the limit.
    pub concurrency: f64,
    pub between: (u64, u64),
}

/// SLA capacity of one series (one label at one ISL/OSL).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Capacity {
    pub max_passing_concurrency: Option<u64>,
    pub request_throughput: Option<f64>,
    pub output_token_throughput: Option<f64>,
    pub tokens_per_s_gpu: Option<f64>,
    pub tokens_per_s_user: Option<f64>,
    /// Energy and cost at the capacity point, when it has GPU telemetry / `--gpu-hour-cost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_per_output_token_j: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_joule: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_million_output_tokens: Option<f64>,
    /// Per target, the first crossing from pass to fail in concurrency order.
    pub crossings: Vec<Crossing>,
    /// The lowest crossing over all targets: the interpolated SLA limit of the series.
    pub limit_concurrency: Option<f64>,
    /// A passing point above a failing one: the capacity figure needs a second look.
    pub non_monotone: bool,
}

/// Capacity of points that form one series; they are sorted by concurrency here.
pub fn capacity(points: &[&Point], sla: &Sla) -> Capacity {
    let mut pts: Vec<&Point> = points
        .iter()
        .copied()
        .filter(|p| p.concurrency.is_some())
        .collect();
    pts.sort_by_key(|p| p.concurrency);
    let verdicts: Vec<Option<bool>> = pts.iter().map(|p| sla.check(p).pass()).collect();
    let best = pts
        .iter()
        .zip(&verdicts)
        .rfind(|(_, v)| **v == Some(true))
        .map(|(p, _)| *p);
    let first_fail = verdicts.iter().position(|v| *v == Some(false));
    let non_monotone = first_fail.is_some_and(|f| verdicts[f..].contains(&Some(true)));
    let mut crossings = Vec::new();
    for t in &sla.targets {
        let m = sla.metric(t);
        let found = pts.windows(2).find_map(|w| {
            let (a, b) = (w[0], w[1]);
            let (va, vb) = (a.get(m)?, b.get(m)?);
            let (ca, cb) = (a.concurrency? as f64, b.concurrency? as f64);
            if va <= t.limit_ms && vb > t.limit_ms {
                let c = ca + (t.limit_ms - va) / (vb - va) * (cb - ca);
                Some(Crossing {
                    target: t.latency.title().to_string(),
                    limit_ms: t.limit_ms,
                    concurrency: c,
                    between: (a.concurrency?, b.concurrency?),
                })
            } else {
                None
            }
        });
        crossings.extend(found);
    }
    let limit_concurrency = crossings
        .iter()
        .map(|c| c.concurrency)
        .min_by(f64::total_cmp);
    Capacity {
        max_passing_concurrency: best.and_then(|p| p.concurrency),
        request_throughput: best.and_then(|p| p.get(Metric::RequestThroughput)),
        output_token_throughput: best.and_then(|p| p.get(Metric::OutputTokenThroughput)),
        tokens_per_s_gpu: best.and_then(|p| p.get(Metric::TokensPerSGpu)),
        tokens_per_s_user: best.and_then(|p| p.get(Metric::TokensPerSUser)),
        energy_per_output_token_j: best.and_then(|p| p.get(Metric::EnergyPerOutputTokenJ)),
        output_tokens_per_joule: best.and_then(|p| p.get(Metric::OutputTokensPerJoule)),
        usd_per_million_output_tokens: best.and_then(|p| p.get(Metric::UsdPerMillionOutputTokens)),
        crossings,
        limit_concurrency,
        non_monotone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Stat;

    use crate::model::test_point as pt;

    #[test]
    fn finds_highest_passing_and_interpolates_the_crossing() {
        let pts = [
            pt(16, 700.0, 40.0),
            pt(1, 100.0, 5.0),
            pt(4, 200.0, 15.0),
            pt(8, 400.0, 30.0),
        ];
        let refs: Vec<&Point> = pts.iter().collect();
        let sla = Sla::parse("ttft=500", Stat::Avg).unwrap();
        let c = capacity(&refs, &sla);
        assert_eq!(c.max_passing_concurrency, Some(8));
        assert_eq!(c.request_throughput, Some(30.0));
        // 400 at 8 and 700 at 16: 500 is a third of the way, at 8 + 8/3.
        assert_eq!(c.crossings.len(), 1);
        assert!((c.crossings[0].concurrency - (8.0 + 8.0 / 3.0)).abs() < 1e-12);
        assert_eq!(c.crossings[0].between, (8, 16));
        assert!(!c.non_monotone);
    }
}
