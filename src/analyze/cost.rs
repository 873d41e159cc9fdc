//! Energy and dollar figures per output token, from what one load point measured.

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
