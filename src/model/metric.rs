//! Canonical metrics, the tools that produce them and how each tool names its latencies.

use std::fmt;

/// The tool that wrote a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Aiperf,
    GenaiPerf,
    BenchmarkServing,
    TrtllmBench,
    AiConfigurator,
    Guidellm,
    InferencePerf,
    /// llm-d's Benchmark Report (v0.1, v0.2), whichever tool's run it describes.
    LlmdReport,
    /// MLPerf Inference loadgen (`mlperf_log_summary.txt`).
    Mlperf,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::Aiperf,
        Source::GenaiPerf,
        Source::BenchmarkServing,
        Source::TrtllmBench,
        Source::AiConfigurator,
        Source::Guidellm,
        Source::InferencePerf,
        Source::LlmdReport,
        Source::Mlperf,
    ];

    /// The source named `name` (as [`Source::name`] writes it).
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Source::Aiperf => "aiperf",
            Source::GenaiPerf => "genai-perf",
            Source::BenchmarkServing => "benchmark_serving",
            Source::TrtllmBench => "trtllm-bench",
            Source::AiConfigurator => "aiconfigurator",
            Source::Guidellm => "guidellm",
            Source::InferencePerf => "inference-perf",
            Source::LlmdReport => "llm-d-report",
            Source::Mlperf => "mlperf-loadgen",
        }
    }

    /// How the tool computes percentiles, so recomputed values can match its own.
    pub fn percentile_method(self) -> PercentileMethod {
        match self {
            Source::TrtllmBench => PercentileMethod::NearestRank,
            _ => PercentileMethod::Linear,
        }
    }
}

impl Source {
    /// How this tool computes the figures adreport files under `lat`, in the tool's own words
    /// where they differ from the others, so a comparison across tools can name the difference
    /// instead of mixing them silently. Tools that compute a family the same way share a text.
    pub fn latency_definition(self, lat: Latency) -> &'static str {
        const PER_REQUEST_TPOT: &str =
            "per request (e2e latency - TTFT) / (output tokens - 1), statistics over requests";
        const CLIENT_TTFT: &str =
            "client-side, from sending the request to the first streamed token";
        match (self, lat) {
            (Source::Guidellm, Latency::Tpot) => "guidellm's inter_token_latency_ms: (latency - TTFT) / (output tokens - 1), statistics over tokens, not requests (its time_per_output_token_ms counts the first token and is not used)",
            (Source::Mlperf, Latency::Tpot) => "loadgen's Time to Output Token per sample, statistics over samples",
            (Source::Mlperf, Latency::Ttft) => "loadgen's first token latency, from loadgen issuing the query (Poisson schedule) to the first token",
            (Source::Mlperf, Latency::E2el) => "loadgen's latency, from loadgen issuing the query to its completion",
            (Source::LlmdReport, Latency::Tpot) => "the report's time_per_output_token, as the tool that wrote the report computes it (first token excluded)",
            (Source::LlmdReport, Latency::Ttft) => "the report's time_to_first_token, as the tool that wrote the report measures it",
            (Source::AiConfigurator, Latency::Ttft | Latency::Tpot | Latency::E2el) => "predicted by AIConfigurator's performance model, not measured",
            (Source::TrtllmBench, Latency::Tpot) => "per request (e2e latency - TTFT) / (output tokens - 1), percentiles by nearest rank",
            (Source::BenchmarkServing | Source::Aiperf, Latency::Itl) => "gap between consecutive streamed chunks, pooled over all requests",
            (Source::InferencePerf, Latency::Itl) => "inference-perf's inter_token_latency: gaps between streamed chunks, pooled over all requests",
            (_, Latency::Tpot) => PER_REQUEST_TPOT,
            (_, Latency::Ttft) => CLIENT_TTFT,
            (_, Latency::Itl) => "gap between consecutive streamed chunks",
            (_, Latency::E2el) => "client-side, from sending the request to its last token",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Percentile definitions used by the tools (see docs/formats.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PercentileMethod {
    /// numpy's default: linear interpolation between closest ranks (aiperf, genai-perf, benchmark_serving).
    Linear,
    /// `sorted[int(n * q)]`, no interpolation (trtllm-bench).
    NearestRank,
}

/// Per-request latency families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Latency {
    /// Time to first token.
    Ttft,
    /// Time per output token of one request, excluding the first: (e2el - ttft) / (osl - 1).
    Tpot,
    /// Gap between streamed chunks, pooled over all requests.
    Itl,
    /// End-to-end request latency seen by the client.
    E2el,
}

impl Latency {
    pub const ALL: [Latency; 4] = [Latency::Ttft, Latency::Tpot, Latency::Itl, Latency::E2el];

    pub fn key(self) -> &'static str {
        match self {
            Latency::Ttft => "ttft",
            Latency::Tpot => "tpot",
            Latency::Itl => "itl",
            Latency::E2el => "e2el",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Latency::Ttft => "TTFT",
            Latency::Tpot => "TPOT",
            Latency::Itl => "ITL",
            Latency::E2el => "E2E latency",
        }
    }

    fn definition(self) -> &'static str {
        match self {
            Latency::Ttft => "time from sending a request to receiving its first output token",
            Latency::Tpot => "per request (e2e latency - TTFT) / (output tokens - 1); aiperf calls it inter_token_latency, benchmark_serving TPOT",
            Latency::Itl => "gap between consecutive streamed chunks, pooled over all requests (benchmark_serving ITL, aiperf inter_chunk_latency)",
            Latency::E2el => "time from sending a request to receiving its last token",
        }
    }
}

/// Summary statistics of a per-request distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stat {
    Avg,
    P50,
    P90,
    P95,
    P99,
    Min,
    Max,
    Std,
}

impl Stat {
    pub const ALL: [Stat; 8] = [
        Stat::Avg,
        Stat::P50,
        Stat::P90,
        Stat::P95,
        Stat::P99,
        Stat::Min,
        Stat::Max,
        Stat::Std,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Stat::Avg => "avg",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Std => "std",
        }
    }

    /// The quantile for percentile stats.
    pub fn quantile(self) -> Option<f64> {
        match self {
            Stat::P50 => Some(0.50),
            Stat::P90 => Some(0.90),
            Stat::P95 => Some(0.95),
            Stat::P99 => Some(0.99),
            _ => None,
        }
    }

    pub fn from_key(key: &str) -> Option<Stat> {
        Stat::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Which way is good for a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
    /// Counts and durations: reported, never judged.
    Neutral,
}

impl Direction {
    /// +1 when a rise is worse (latency), -1 when a rise is better (throughput); `None` for
    /// metrics that are never judged. A change times this sign is positive when it is worse.
    pub fn worse_sign(self) -> Option<f64> {
        match self {
            Direction::LowerIsBetter => Some(1.0),
            Direction::HigherIsBetter => Some(-1.0),
            Direction::Neutral => None,
        }
    }
}

/// A canonical metric. Every reader maps its tool's names onto these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    Latency(Latency, Stat),
    RequestThroughput,
    OutputTokenThroughput,
    TotalTokenThroughput,
    TokensPerSUser,
    TokensPerSGpu,
    Goodput,
    RequestsOk,
    RequestsFailed,
    DurationS,
    InputTokensAvg,
    OutputTokensAvg,
    GpuPowerAvgW,
    GpuEnergyJ,
    EnergyPerOutputTokenJ,
    OutputTokensPerJoule,
    GpuUtilAvgPct,
    GpuMemUsedMaxGb,
    UsdPerMillionOutputTokens,
    /// A sweep's answer, not a point's: the capacity a search found (never in [`Metric::all`]).
    CapacityConcurrency,
}

const SCALAR_METRICS: [Metric; 18] = [
    Metric::RequestThroughput,
    Metric::OutputTokenThroughput,
    Metric::TotalTokenThroughput,
    Metric::TokensPerSUser,
    Metric::TokensPerSGpu,
    Metric::Goodput,
    Metric::RequestsOk,
    Metric::RequestsFailed,
    Metric::DurationS,
    Metric::InputTokensAvg,
    Metric::OutputTokensAvg,
    Metric::GpuPowerAvgW,
    Metric::GpuEnergyJ,
    Metric::EnergyPerOutputTokenJ,
    Metric::OutputTokensPerJoule,
    Metric::GpuUtilAvgPct,
    Metric::GpuMemUsedMaxGb,
    Metric::UsdPerMillionOutputTokens,
];

impl Metric {
    /// Every canonical metric, in the order tables and exports use.
    pub fn all() -> Vec<Metric> {
        let mut out = Vec::new();
        for lat in Latency::ALL {
            for stat in Stat::ALL {
                out.push(Metric::Latency(lat, stat));
            }
        }
        out.extend(SCALAR_METRICS);
        out
    }

    /// Canonical column name, e.g. `ttft_avg_ms`, `request_throughput`.
    pub fn name(self) -> String {
        match self {
            Metric::Latency(lat, stat) => format!("{}_{}_ms", lat.key(), stat.key()),
            other => other.scalar_name().to_string(),
        }
    }

    fn scalar_name(self) -> &'static str {
        match self {
            Metric::Latency(..) => "",
            Metric::RequestThroughput => "request_throughput",
            Metric::OutputTokenThroughput => "output_token_throughput",
            Metric::TotalTokenThroughput => "total_token_throughput",
            Metric::TokensPerSUser => "tokens_per_s_user",
            Metric::TokensPerSGpu => "tokens_per_s_gpu",
            Metric::Goodput => "goodput",
            Metric::RequestsOk => "requests_ok",
            Metric::RequestsFailed => "requests_failed",
            Metric::DurationS => "duration_s",
            Metric::InputTokensAvg => "input_tokens_avg",
            Metric::OutputTokensAvg => "output_tokens_avg",
            Metric::GpuPowerAvgW => "gpu_power_avg_w",
            Metric::GpuEnergyJ => "gpu_energy_j",
            Metric::EnergyPerOutputTokenJ => "energy_per_output_token_j",
            Metric::OutputTokensPerJoule => "output_tokens_per_joule",
            Metric::GpuUtilAvgPct => "gpu_util_avg_pct",
            Metric::GpuMemUsedMaxGb => "gpu_mem_used_max_gb",
            Metric::UsdPerMillionOutputTokens => "usd_per_million_output_tokens",
            Metric::CapacityConcurrency => "capacity_concurrency",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        if name == Metric::CapacityConcurrency.name() {
            return Some(Metric::CapacityConcurrency);
        }
        Metric::all().into_iter().find(|m| m.name() == name)
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::Latency(..) => "ms",
            Metric::RequestThroughput | Metric::Goodput => "req/s",
            Metric::OutputTokenThroughput | Metric::TotalTokenThroughput => "tok/s",
            Metric::TokensPerSUser => "tok/s/user",
            Metric::TokensPerSGpu => "tok/s/gpu",
            Metric::RequestsOk | Metric::RequestsFailed => "requests",
            Metric::DurationS => "s",
            Metric::InputTokensAvg | Metric::OutputTokensAvg => "tokens",
            Metric::GpuPowerAvgW => "W",
            Metric::GpuEnergyJ => "J",
            Metric::EnergyPerOutputTokenJ => "J/tok",
            Metric::OutputTokensPerJoule => "tok/J",
            Metric::GpuUtilAvgPct => "%",
            Metric::GpuMemUsedMaxGb => "GB",
            Metric::UsdPerMillionOutputTokens => "$/Mtok",
            Metric::CapacityConcurrency => "concurrent requests",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            // A single extreme request or the spread is reported but not judged: too noisy to gate on.
            Metric::Latency(_, Stat::Std | Stat::Min | Stat::Max) => Direction::Neutral,
            Metric::Latency(..) => Direction::LowerIsBetter,
            Metric::RequestThroughput
            | Metric::OutputTokenThroughput
            | Metric::TotalTokenThroughput
            | Metric::TokensPerSUser
            | Metric::TokensPerSGpu
            | Metric::Goodput
            | Metric::OutputTokensPerJoule
            | Metric::CapacityConcurrency => Direction::HigherIsBetter,
            Metric::RequestsFailed
            | Metric::EnergyPerOutputTokenJ
            | Metric::UsdPerMillionOutputTokens => Direction::LowerIsBetter,
            // Power, energy, utilisation and memory follow the load: reported, never judged.
            Metric::RequestsOk
            | Metric::DurationS
            | Metric::InputTokensAvg
            | Metric::OutputTokensAvg
            | Metric::GpuPowerAvgW
            | Metric::GpuEnergyJ
            | Metric::GpuUtilAvgPct
            | Metric::GpuMemUsedMaxGb => Direction::Neutral,
        }
    }

    /// One-line definition shown in reports.
    pub fn definition(self) -> String {
        match self {
            Metric::Latency(lat, stat) => format!("{} of {}: {}", stat.key(), lat.title(), lat.definition()),
            Metric::RequestThroughput => "successful requests completed per second of benchmark duration".into(),
            Metric::OutputTokenThroughput => "output tokens generated per second, all requests together".into(),
            Metric::TotalTokenThroughput => "input plus output tokens per second, all requests together".into(),
            Metric::TokensPerSUser => "output tokens per second seen by one user after the first token (mean of 1000/TPOT per request; 1000/mean TPOT where the tool reports only the mean)".into(),
            Metric::TokensPerSGpu => "output token throughput divided by the GPUs serving it".into(),
            Metric::Goodput => "requests per second that met every SLA target".into(),
            Metric::RequestsOk => "requests that completed without error".into(),
            Metric::RequestsFailed => "requests that returned an error".into(),
            Metric::DurationS => "benchmark duration of the measured phase".into(),
            Metric::InputTokensAvg => "mean input (prompt) tokens per request".into(),
            Metric::OutputTokensAvg => "mean output tokens per request".into(),
            Metric::GpuPowerAvgW => "mean GPU power over the profiling window (warmup excluded), summed over the GPUs the telemetry saw (aiperf --gpu-telemetry, or the runner's nvidia-smi trace)".into(),
            Metric::GpuEnergyJ => "energy the GPUs used in the profiling window: aiperf's nvidia_total_gpu_energy, else the energy counter's rise or the integrated power of the samples inside the window".into(),
            Metric::EnergyPerOutputTokenJ => "GPU energy of the profiling window / output tokens generated in it".into(),
            Metric::OutputTokensPerJoule => "output tokens generated in the profiling window / GPU energy used in it".into(),
            Metric::GpuUtilAvgPct => "mean GPU utilisation over the profiling window and the GPUs".into(),
            Metric::GpuMemUsedMaxGb => "the most memory any one GPU had in use during the profiling window (GB of 10^9 bytes)".into(),
            Metric::CapacityConcurrency => "the highest concurrency meeting the SLA, found by `run online --find-capacity` (capacity.json)".into(),
            Metric::UsdPerMillionOutputTokens => "--gpu-hour-cost x GPUs x benchmark duration / output tokens x 10^6 (= cost per GPU hour x GPUs / output tokens per hour x 10^6)".into(),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// How each tool names the latency families: (source, tool name, canonical family).
/// aiperf's `inter_token_latency` is per-request TPOT; benchmark_serving's `itl` is chunk gaps.
pub const SOURCE_LATENCY_NAMES: &[(Source, &str, Latency)] = &[
    (Source::Aiperf, "time_to_first_token", Latency::Ttft),
    (Source::Aiperf, "inter_token_latency", Latency::Tpot),
    (Source::Aiperf, "inter_chunk_latency", Latency::Itl),
    (Source::Aiperf, "request_latency", Latency::E2el),
    (Source::GenaiPerf, "time_to_first_token", Latency::Ttft),
    (Source::GenaiPerf, "inter_token_latency", Latency::Tpot),
    (Source::GenaiPerf, "request_latency", Latency::E2el),
    (Source::BenchmarkServing, "ttft", Latency::Ttft),
    (Source::BenchmarkServing, "tpot", Latency::Tpot),
    (Source::BenchmarkServing, "itl", Latency::Itl),
    (Source::BenchmarkServing, "e2el", Latency::E2el),
    (Source::BenchmarkServing, "e2e_latency", Latency::E2el),
    (Source::TrtllmBench, "ttft_percentiles", Latency::Ttft),
    (Source::TrtllmBench, "tpot_percentiles", Latency::Tpot),
    (
        Source::TrtllmBench,
        "request_latency_percentiles_ms",
        Latency::E2el,
    ),
    (Source::AiConfigurator, "ttft", Latency::Ttft),
    (Source::AiConfigurator, "tpot", Latency::Tpot),
    (Source::AiConfigurator, "request_latency", Latency::E2el),
    // guidellm: `inter_token_latency_ms` is the TPOT (its `time_per_output_token_ms` counts the
    // first token); `request_latency` is in seconds.
    (Source::Guidellm, "time_to_first_token_ms", Latency::Ttft),
    (Source::Guidellm, "inter_token_latency_ms", Latency::Tpot),
    (Source::Guidellm, "request_latency", Latency::E2el),
    (Source::InferencePerf, "time_to_first_token", Latency::Ttft),
    (
        Source::InferencePerf,
        "time_per_output_token",
        Latency::Tpot,
    ),
    (Source::InferencePerf, "inter_token_latency", Latency::Itl),
    (Source::InferencePerf, "request_latency", Latency::E2el),
    (Source::LlmdReport, "time_to_first_token", Latency::Ttft),
    (Source::LlmdReport, "time_per_output_token", Latency::Tpot),
    (Source::LlmdReport, "inter_token_latency", Latency::Itl),
    (Source::LlmdReport, "request_latency", Latency::E2el),
];

/// The latency names of one tool and the family each maps to, in table order.
pub fn latency_names(source: Source) -> impl Iterator<Item = (&'static str, Latency)> {
    SOURCE_LATENCY_NAMES
        .iter()
        .filter(move |(s, _, _)| *s == source)
        .map(|(_, n, l)| (*n, *l))
}

/// The canonical latency family of a tool's metric name, if it has one.
pub fn latency_for(source: Source, tool_name: &str) -> Option<Latency> {
    SOURCE_LATENCY_NAMES
        .iter()
        .find(|(s, n, _)| *s == source && *n == tool_name)
        .map(|(_, _, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_round_trip_and_are_unique() {
        let all = Metric::all();
        let mut names: Vec<String> = all.iter().map(|m| m.name()).collect();
        for m in &all {
            assert_eq!(Metric::from_name(&m.name()), Some(*m));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            Metric::Latency(Latency::Ttft, Stat::P99).name(),
            "ttft_p99_ms"
        );
    }

    #[test]
    fn aiperf_itl_is_tpot_and_serving_itl_is_chunk_gaps() {
        assert_eq!(
            latency_for(Source::Aiperf, "inter_token_latency"),
            Some(Latency::Tpot)
        );
        assert_eq!(
            latency_for(Source::BenchmarkServing, "itl"),
            Some(Latency::Itl)
        );
        assert_eq!(
            latency_for(Source::BenchmarkServing, "tpot"),
            Some(Latency::Tpot)
        );
    }
}
