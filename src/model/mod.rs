//! The data model every stage shares: canonical metrics, load points and the Sweep.
//!
//! Readers turn tool files into [`Point`]s whose metrics use canonical names from
//! [`Metric`]; the [`Sweep`] gathers them and exposes polars frames for analysis and
//! export. Nothing here knows a file format.
//!
//! One module per kind of data: [`metric`] (canonical names), [`point`] (one load point and its
//! load), [`sweep`] (what ingest returns), [`config`] (engine config files found beside the
//! runs), [`prediction`] (an AIConfigurator save dir, as the audit consumes it), [`capacity`] (a
//! capacity found by search).

pub mod capacity;
pub mod config;
pub mod metric;
pub mod point;
pub mod prediction;
pub mod stats;
pub mod sweep;

pub use capacity::*;
pub use config::*;
pub use metric::*;
pub use point::*;
pub use prediction::*;
pub use sweep::*;

/// A point at concurrency `c` with an average TTFT and a request throughput, for unit tests.
#[cfg(test)]
pub(crate) fn test_point(c: u64, ttft_avg_ms: f64, request_throughput: f64) -> Point {
    let mut p = Point::new(Source::Aiperf, format!("c{c}"));
    p.concurrency = Some(c);
    p.set(Metric::Latency(Latency::Ttft, Stat::Avg), ttft_avg_ms);
    p.set(Metric::RequestThroughput, request_throughput);
    p
}
