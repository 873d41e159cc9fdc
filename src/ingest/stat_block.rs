//! Summary statistics blocks (`{mean, median, p90, ...}`) as the newer tools write them: each
//! reader names its keys and its time unit, and the values land on the point in milliseconds.

use super::fields::Fields;
use crate::model::{Latency, Metric, Point, Stat};
use crate::util::error::ReadError;

/// Milliseconds per unit of a time (or time per token) unit as the tools spell it.
pub fn ms_per_unit(unit: &str) -> Option<f64> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "ms/token" | "milliseconds" => Some(1.0),
        "s" | "s/token" | "sec" | "seconds" => Some(1000.0),
        "us" | "us/token" | "microseconds" => Some(1e-3),
        "ns" | "ns/token" | "nanoseconds" => Some(1e-6),
        _ => None,
    }
}

/// Sets request, output-token and total-token throughput from a `throughput` block as
/// inference-perf writes it (and the llm-d v0.1 reports it writes): `requests_per_sec`,
/// `output_tokens_per_sec`, `total_tokens_per_sec`.
pub fn set_throughputs(p: &mut Point, t: &Fields) -> Result<(), ReadError> {
    p.set_opt(Metric::RequestThroughput, t.opt_nonneg("requests_per_sec")?);
    p.set_opt(
        Metric::OutputTokenThroughput,
        t.opt_nonneg("output_tokens_per_sec")?,
    );
    p.set_opt(
        Metric::TotalTokenThroughput,
        t.opt_nonneg("total_tokens_per_sec")?,
    );
    Ok(())
}

/// Sets the statistics of one latency family from `block`, reading `keys` (stat, key in the
/// file) and multiplying by `to_ms`; returns how many were present.
pub fn set_latency(
    p: &mut Point,
    lat: Latency,
    block: &Fields,
    keys: &[(Stat, &str)],
    to_ms: f64,
) -> Result<usize, ReadError> {
    let mut found = 0;
    for (stat, key) in keys {
        if let Some(v) = block.opt_nonneg(key)? {
            p.set(Metric::Latency(lat, *stat), v * to_ms);
            found += 1;
        }
    }
    Ok(found)
}
