//! Capacity planning at the SLA: how many replicas and GPUs a target request rate (or a rate
//! trace over time) needs, given one replica's measured capacity, and what that costs.

use serde::Serialize;

use super::capacity::capacity;
use super::evidence::mean_ci;
use super::sla::Sla;
use crate::model::{Metric, Point, SearchedCapacity};

/// One replica's measured capacity under the SLA: its highest passing point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaCapacity {
    /// Request throughput at the highest passing point (req/s per replica).
    pub capacity_rate: f64,
    /// The concurrency of that point: what each replica's load balancer may keep in flight.
    pub concurrency_per_replica: Option<u64>,
    /// Run-level confidence interval of `capacity_rate` when the point has repeats.
    pub capacity_rate_ci: Option<(f64, f64)>,
    pub gpus_per_replica: u64,
    /// Output tokens per request at that point (output tokens/s / requests/s).
    pub output_tokens_per_request: Option<f64>,
    /// Total GPU power of one replica at that point (W).
    pub power_w: Option<f64>,
    /// Energy per output token, its inverse and dollars per million output tokens at that point.
    pub energy_per_output_token_j: Option<f64>,
    pub output_tokens_per_joule: Option<f64>,
    pub usd_per_million_output_tokens: Option<f64>,
    /// The capacity.json whose searched capacity gave the concurrency, when one did.
    pub searched: Option<String>,
}

/// What the plan was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PlanSettings {
    /// Spare capacity kept on every replica, in percent: replicas run at most at
    /// `capacity x (1 - headroom/100)`.
    pub headroom_pct: f64,
    pub usd_per_gpu_hour: Option<f64>,
}

/// The fleet for one request rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sizing {
    pub target_rate: f64,
    pub replicas: u64,
    pub gpus: u64,
    /// Each replica's share of the target over its capacity (%).
    pub replica_load_pct: f64,
    /// Dollars per hour for all GPUs.
    pub usd_per_hour: Option<f64>,
    /// GPU energy per hour at the capacity point's power (kWh; an upper bound below capacity).
    pub kwh_per_hour: Option<f64>,
    /// Output tokens served per hour at the target rate.
    pub output_tokens_per_hour: Option<f64>,
    pub usd_per_million_output_tokens: Option<f64>,
    pub kwh_per_million_output_tokens: Option<f64>,
}

/// A whole plan for one series (label at one ISL/OSL): its capacity under the SLA and the
/// fleet for the target rate or trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityPlan {
    pub label: String,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub sla: String,
    pub capacity: ReplicaCapacity,
    pub settings: PlanSettings,
    /// `--rate`: the fleet for that rate.
    pub rate: Option<Sizing>,
    /// `--trace`: the fleet over time.
    pub trace: Option<TracePlan>,
}

impl CapacityPlan {
    /// The sizing the plan leads with: the target rate's, else the trace's peak.
    pub fn sizing(&self) -> Option<&Sizing> {
        self.rate
            .as_ref()
            .or_else(|| self.trace.as_ref().map(|t| &t.at_peak))
    }
}

/// One replica's capacity from a measured series: the highest concurrency whose points meet
/// the SLA (judged on the mean over repeats), with every figure the mean over the runs at that
/// concurrency and the run-level confidence interval of the request rate when there are several.
/// `Ok(None)`: no point meets the SLA. With `searched` (a capacity search of this series
/// against this SLA), its capacity is the concurrency: the search already judged its probes,
/// near the boundary with repeats.
pub fn replica_capacity(
    points: &[&Point],
    sla: &Sla,
    gpus_per_replica: u64,
    searched: Option<&SearchedCapacity>,
) -> Result<Option<ReplicaCapacity>, String> {
    let found = match searched {
        Some(s) => s.capacity,
        None => capacity(points, sla).max_passing_concurrency,
    };
    let Some(conc) = found else {
        return Ok(None);
    };
    let at: Vec<&Point> = points
        .iter()
        .copied()
        .filter(|p| p.concurrency == Some(conc) && sla.check(p).pass() == Some(true))
        .collect();
    let mean = |m: Metric| -> Option<f64> {
        let v: Vec<f64> = at.iter().filter_map(|p| p.get(m)).collect();
        crate::model::stats::mean(&v)
    };
    // One value per run: a point's repeats (rep_N/, run_NNNN/) and duplicate points alike.
    let rates: Vec<f64> = at
        .iter()
        .flat_map(|p| p.run_values(Metric::RequestThroughput))
        .collect();
    let Some(rate) = crate::model::stats::mean(&rates) else {
        return Err(format!(
            "the points at concurrency {conc} have no request throughput"
        ));
    };
    let tokens = mean(Metric::OutputTokenThroughput).map(|t| t / rate);
    Ok(Some(ReplicaCapacity {
        capacity_rate: rate,
        concurrency_per_replica: Some(conc),
        capacity_rate_ci: mean_ci(&rates),
        gpus_per_replica,
        output_tokens_per_request: tokens,
        power_w: mean(Metric::GpuPowerAvgW),
        energy_per_output_token_j: mean(Metric::EnergyPerOutputTokenJ),
        output_tokens_per_joule: mean(Metric::OutputTokensPerJoule),
        usd_per_million_output_tokens: mean(Metric::UsdPerMillionOutputTokens),
        searched: searched.map(|s| s.path.display().to_string()),
    }))
}

/// Replicas, GPUs, cost and energy for `target_rate` req/s.
pub fn size(
    cap: &ReplicaCapacity,
    settings: &PlanSettings,
    target_rate: f64,
) -> Result<Sizing, String> {
    if !(cap.capacity_rate.is_finite() && cap.capacity_rate > 0.0) {
        return Err("the capacity point has no request throughput".into());
    }
    if !(0.0..100.0).contains(&settings.headroom_pct) {
        return Err(format!(
            "--headroom {} must be at least 0 and below 100",
            settings.headroom_pct
        ));
    }
    if !(target_rate.is_finite() && target_rate >= 0.0) {
        return Err(format!(
            "the target rate {target_rate} req/s must be a number >= 0"
        ));
    }
    let usable = cap.capacity_rate * (1.0 - settings.headroom_pct / 100.0);
    // A hair of tolerance so 10 req/s over a 5 req/s capacity is 2 replicas, not 3.
    let replicas = (target_rate / usable - 1e-9).ceil().max(0.0) as u64;
    let gpus = replicas * cap.gpus_per_replica;
    let tokens_per_hour = cap
        .output_tokens_per_request
        .map(|t| t * target_rate * 3600.0);
    let usd_per_hour = settings.usd_per_gpu_hour.map(|c| c * gpus as f64);
    let kwh_per_hour = cap.power_w.map(|w| w * replicas as f64 / 1000.0);
    let per_million = |per_hour: Option<f64>| -> Option<f64> {
        let t = tokens_per_hour?;
        Some(per_hour? / t * 1e6).filter(|_| t > 0.0)
    };
    Ok(Sizing {
        target_rate,
        replicas,
        gpus,
        replica_load_pct: if replicas == 0 {
            0.0
        } else {
            target_rate / (replicas as f64 * cap.capacity_rate) * 100.0
        },
        usd_per_hour,
        kwh_per_hour,
        output_tokens_per_hour: tokens_per_hour,
        usd_per_million_output_tokens: per_million(usd_per_hour),
        kwh_per_million_output_tokens: per_million(kwh_per_hour),
    })
}

/// The fleet over a request-rate trace: the sizing at each step and the peak and mean GPUs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TracePlan {
    /// (seconds from the trace's start, req/s, GPUs) per trace row.
    pub steps: Vec<(f64, f64, u64)>,
    /// Seconds the trace covers: its last row holds for the median step.
    pub span_s: f64,
    pub peak_gpus: u64,
    pub peak_rate: f64,
    /// GPUs averaged over time (each row holds until the next; the last for the median step).
    pub mean_gpus: f64,
    pub mean_rate: f64,
    /// The sizing at the peak: what must be provisioned without autoscaling.
    pub at_peak: Sizing,
    /// Dollars for the whole trace when the fleet follows it step by step.
    pub usd_autoscaled: Option<f64>,
}

/// Sizes every row of a `(seconds, req/s)` trace, sorted by time.
pub fn size_trace(
    cap: &ReplicaCapacity,
    settings: &PlanSettings,
    trace: &[(f64, f64)],
) -> Result<TracePlan, String> {
    if trace.is_empty() {
        return Err("the trace has no rows".into());
    }
    let t0 = trace[0].0;
    let mut steps = Vec::with_capacity(trace.len());
    for &(t, rate) in trace {
        steps.push((t - t0, rate, size(cap, settings, rate)?.gpus));
    }
    let mut gaps: Vec<f64> = trace.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_by(f64::total_cmp);
    let last_gap = gaps.get(gaps.len() / 2).copied().unwrap_or(1.0);
    let hold: Vec<f64> = (0..trace.len())
        .map(|i| trace.get(i + 1).map_or(last_gap, |n| n.0 - trace[i].0))
        .collect();
    let span: f64 = hold.iter().sum();
    let weighted = |f: &dyn Fn(usize) -> f64| -> f64 {
        if span > 0.0 {
            (0..trace.len()).map(|i| f(i) * hold[i]).sum::<f64>() / span
        } else {
            (0..trace.len()).map(f).sum::<f64>() / trace.len() as f64
        }
    };
    let mean_gpus = weighted(&|i| steps[i].2 as f64);
    let mean_rate = weighted(&|i| trace[i].1);
    let peak_rate = trace.iter().map(|r| r.1).fold(0.0, f64::max);
    let at_peak = size(cap, settings, peak_rate)?;
    let usd_autoscaled = settings.usd_per_gpu_hour.map(|c| {
        (0..trace.len())
            .map(|i| steps[i].2 as f64 * hold[i] / 3600.0 * c)
            .sum()
    });
    Ok(TracePlan {
        peak_gpus: at_peak.gpus,
        steps,
        span_s: span,
        peak_rate,
        mean_gpus,
        mean_rate,
        at_peak,
        usd_autoscaled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap() -> ReplicaCapacity {
        ReplicaCapacity {
            capacity_rate: 4.0,
            concurrency_per_replica: Some(32),
            capacity_rate_ci: None,
            gpus_per_replica: 8,
            output_tokens_per_request: Some(500.0),
            power_w: Some(4000.0),
            energy_per_output_token_j: None,
            output_tokens_per_joule: None,
            usd_per_million_output_tokens: None,
            searched: None,
        }
    }

    #[test]
    fn capacity_comes_from_the_highest_passing_concurrency() {
        use crate::model::{test_point as pt, Stat};
        // TTFT 100, 200, 400, 700 ms at 1, 4, 8, 16: ttft=500 passes up to 8 (30 req/s).
        let mut pts = [
            pt(1, 100.0, 5.0),
            pt(4, 200.0, 15.0),
            pt(8, 400.0, 30.0),
            pt(16, 700.0, 40.0),
        ];
        pts[2].set(Metric::OutputTokenThroughput, 3000.0);
        pts[2].set(Metric::GpuPowerAvgW, 2800.0);
        let refs: Vec<&Point> = pts.iter().collect();
        let sla = Sla::parse("ttft=500", Stat::Avg).unwrap();
        let c = replica_capacity(&refs, &sla, 4, None).unwrap().unwrap();
        assert_eq!(
            (c.capacity_rate, c.concurrency_per_replica),
            (30.0, Some(8))
        );
        assert_eq!(c.output_tokens_per_request, Some(100.0));
        assert_eq!(
            (c.power_w, c.gpus_per_replica, c.capacity_rate_ci),
            (Some(2800.0), 4, None)
        );
        let strict = Sla::parse("ttft=50", Stat::Avg).unwrap();
        assert_eq!(replica_capacity(&refs, &strict, 4, None).unwrap(), None);
        // Three runs at concurrency 8 (3.9, 4.1, 4.3 req/s): their mean and the CI above.
        let runs: Vec<Point> = [3.9, 4.1, 4.3].iter().map(|r| pt(8, 400.0, *r)).collect();
        let eight = Point::from_repeats(runs).unwrap();
        let refs: Vec<&Point> = vec![&pts[0], &eight, &pts[3]];
        let c = replica_capacity(&refs, &sla, 4, None).unwrap().unwrap();
        assert!((c.capacity_rate - 4.1).abs() < 1e-12);
        let (lo, hi) = c.capacity_rate_ci.unwrap();
        assert!((lo - 3.6031724576499347).abs() < 1e-8 && (hi - 4.596827542350066).abs() < 1e-8);
    }

    #[test]
    fn replicas_gpus_and_cost_by_hand() {
        let s = PlanSettings {
            headroom_pct: 0.0,
            usd_per_gpu_hour: Some(2.0),
        };
        // 10 req/s over 4 req/s per replica: 2.5 -> 3 replicas of 8 GPUs.
        let z = size(&cap(), &s, 10.0).unwrap();
        assert_eq!((z.replicas, z.gpus), (3, 24));
        assert!((z.replica_load_pct - 10.0 / 12.0 * 100.0).abs() < 1e-9);
        // 24 GPUs x $2 = $48/h for 10 x 500 x 3600 = 18e6 tokens/h -> $2.6667 per million.
        assert_eq!(z.usd_per_hour, Some(48.0));
        assert!((z.usd_per_million_output_tokens.unwrap() - 48.0 / 18.0).abs() < 1e-12);
        // 3 replicas x 4 kW = 12 kWh per hour, 12 / 18 kWh per million tokens.
        assert_eq!(z.kwh_per_hour, Some(12.0));
        // Exactly at capacity: 8 req/s is 2 replicas, not 3.
        assert_eq!(size(&cap(), &s, 8.0).unwrap().replicas, 2);
        assert_eq!(size(&cap(), &s, 0.0).unwrap().replicas, 0);
    }

    #[test]
    fn headroom_caps_each_replica_below_capacity() {
        let s = PlanSettings {
            headroom_pct: 20.0,
            usd_per_gpu_hour: None,
        };
        // 20 % headroom: 3.2 req/s per replica; 8 req/s needs 2.5 -> 3 replicas (2 without).
        let z = size(&cap(), &s, 8.0).unwrap();
        assert_eq!(z.replicas, 3);
        assert_eq!(z.usd_per_hour, None);
        assert!(size(
            &cap(),
            &PlanSettings {
                headroom_pct: 100.0,
                ..s
            },
            1.0
        )
        .is_err());
    }

    #[test]
    fn a_trace_gives_peak_and_time_weighted_mean_gpus() {
        let s = PlanSettings {
            headroom_pct: 0.0,
            usd_per_gpu_hour: Some(1.0),
        };
        // Rows every 600 s: 2, 10, 6 req/s -> 1, 3, 2 replicas -> 8, 24, 16 GPUs.
        let t = size_trace(&cap(), &s, &[(0.0, 2.0), (600.0, 10.0), (1200.0, 6.0)]).unwrap();
        assert_eq!(
            t.steps.iter().map(|x| x.2).collect::<Vec<_>>(),
            vec![8, 24, 16]
        );
        assert_eq!((t.peak_gpus, t.peak_rate, t.span_s), (24, 10.0, 1800.0));
        assert!((t.mean_gpus - 16.0).abs() < 1e-12);
        assert!((t.mean_rate - 6.0).abs() < 1e-12);
        // 48 GPUs x 600 s = 8 GPU-hours at $1.
        assert!((t.usd_autoscaled.unwrap() - 8.0).abs() < 1e-12);
    }
}
