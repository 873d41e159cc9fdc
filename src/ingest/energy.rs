//! Energy and cost metrics, derived the same way for every point: from its GPU telemetry
//! (see [`super::telemetry`]), its output tokens and `--gpu-hour-cost`.

use std::path::Path;

use super::telemetry::{read_point_dir, GpuTelemetry};
use super::ReadCtx;
use crate::model::{Metric, Point};
use crate::util::error::ReadError;

/// Sets the point's GPU metrics from `t`. `tool_output_tokens`: the tool's own count of output
/// tokens in the profiling window (aiperf `total_output_tokens`), else output tokens/s x duration.
pub fn apply_telemetry(p: &mut Point, t: &GpuTelemetry, tool_output_tokens: Option<f64>) {
    let duration = p.get(Metric::DurationS);
    // A window known only as the client process's life also holds its start-up and shut-down:
    // its mean power times the benchmark duration is the energy of the measured phase.
    let energy = match (t.exact_window, t.power_avg_w, duration) {
        (false, Some(w), Some(d)) => Some(w * d),
        _ => t.energy_j,
    };
    p.set_opt(Metric::GpuPowerAvgW, t.power_avg_w);
    p.set_opt(Metric::GpuEnergyJ, energy);
    p.set_opt(Metric::GpuUtilAvgPct, t.util_avg_pct);
    p.set_opt(Metric::GpuMemUsedMaxGb, t.mem_used_max_gb);
    if t.gpus > 0 {
        p.extra.insert(
            "gpu_telemetry".into(),
            format!("{} GPU(s), {}", t.gpus, t.source.name()),
        );
    }
    let tokens = output_tokens(
        tool_output_tokens,
        p.get(Metric::OutputTokenThroughput),
        duration,
    );
    if let (Some(e), Some(n)) = (energy, tokens) {
        p.set_opt(
            Metric::EnergyPerOutputTokenJ,
            energy_per_output_token_j(e, n),
        );
        p.set_opt(Metric::OutputTokensPerJoule, output_tokens_per_joule(e, n));
    }
}

/// Reads the point directory's own GPU samples (aiperf's JSONL, the runner's nvidia-smi trace)
/// when the reader found no telemetry in the result itself, then prices the point.
/// A telemetry file that cannot be used is a warning: the point keeps its other metrics.
pub fn finish_point(p: &mut Point, ctx: &mut ReadCtx) {
    if p.get(Metric::GpuEnergyJ).is_none() && p.get(Metric::GpuPowerAvgW).is_none() {
        let dir = if p.path.is_dir() {
            p.path.clone()
        } else {
            p.path.parent().unwrap_or(Path::new(".")).to_path_buf()
        };
        match read_point_dir(&dir, None) {
            Ok(Some(t)) => apply_telemetry(p, &t, None),
            Ok(None) => {}
            Err(e) => warn_left_out(ctx, &e),
        }
    }
    if let Some(usd) = ctx.options.gpu_hour_cost {
        let gpus = p.num_gpus.or_else(|| telemetry_gpus(p));
        if let (Some(g), Some(d), Some(n)) = (
            gpus,
            p.get(Metric::DurationS),
            output_tokens(
                None,
                p.get(Metric::OutputTokenThroughput),
                p.get(Metric::DurationS),
            ),
        ) {
            p.set_opt(
                Metric::UsdPerMillionOutputTokens,
                usd_per_million_output_tokens(usd, g, d, n),
            );
        }
    }
}

/// A telemetry file that cannot be used costs the point its energy figures, not the point.
pub fn warn_left_out(ctx: &mut ReadCtx, e: &ReadError) {
    ctx.warn(&e.path, left_out_text(e));
}

/// `GPU telemetry left out: <what was wrong>` (the path is the warning's own).
pub fn left_out_text(e: &ReadError) -> String {
    let text = e.to_string();
    let what = text.trim_start_matches(&format!("{}: ", e.path.display()));
    format!("GPU telemetry left out: {what}")
}

/// The GPU count the telemetry saw (for points whose result states none).
pub fn telemetry_gpus(p: &Point) -> Option<u64> {
    p.extra
        .get("gpu_telemetry")?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Output tokens generated in the profiling window: the tool's own count where it has one,
/// else output tokens/s x benchmark duration.
pub fn output_tokens(
    total: Option<f64>,
    tok_per_s: Option<f64>,
    duration_s: Option<f64>,
) -> Option<f64> {
    total
        .or_else(|| Some(tok_per_s? * duration_s?))
        .filter(|t| *t > 0.0)
}

/// Joules per output token: the window's GPU energy over the window's output tokens.
pub fn energy_per_output_token_j(energy_j: f64, output_tokens: f64) -> Option<f64> {
    (output_tokens > 0.0 && energy_j >= 0.0).then(|| energy_j / output_tokens)
}

/// Output tokens per joule, the inverse of [`energy_per_output_token_j`].
pub fn output_tokens_per_joule(energy_j: f64, output_tokens: f64) -> Option<f64> {
    (energy_j > 0.0 && output_tokens >= 0.0).then(|| output_tokens / energy_j)
}

/// Dollars per million output tokens: the GPUs' rent for the benchmark's duration spread over
/// the output tokens it produced (`usd_per_gpu_hour x gpus x duration_s / 3600 / tokens x 1e6`).
pub fn usd_per_million_output_tokens(
    usd_per_gpu_hour: f64,
    gpus: u64,
    duration_s: f64,
    output_tokens: f64,
) -> Option<f64> {
    (output_tokens > 0.0 && gpus > 0)
        .then(|| usd_per_gpu_hour * gpus as f64 * duration_s / 3600.0 / output_tokens * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_and_energy_per_token_by_hand() {
        // 8 GPUs at $2.50/h for 90 s = $0.50 for 250 000 tokens -> $2 per million.
        let usd = usd_per_million_output_tokens(2.5, 8, 90.0, 250_000.0).unwrap();
        assert!((usd - 2.0).abs() < 1e-12, "{usd}");
        assert_eq!(
            energy_per_output_token_j(2443.963, 3072.0),
            Some(2443.963 / 3072.0)
        );
        assert_eq!(output_tokens_per_joule(0.0, 10.0), None);
        assert_eq!(energy_per_output_token_j(10.0, 0.0), None);
        // No tool count: throughput x duration.
        assert_eq!(output_tokens(None, Some(100.0), Some(30.0)), Some(3000.0));
        assert_eq!(output_tokens(None, None, Some(30.0)), None);
    }
}
