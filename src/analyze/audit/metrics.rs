//! The audited metrics: which AIConfigurator column predicts each and where its measured
//! mean comes from.

use crate::model::{AicRow, Latency, Metric, Point, Stat};

/// What is compared, predicted column against measured mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuditMetric {
    Ttft,
    Tpot,
    TokensPerSUser,
    TokensPerSGpu,
    RequestRate,
    RequestLatency,
}

impl AuditMetric {
    pub const ALL: [AuditMetric; 6] = [
        AuditMetric::Ttft,
        AuditMetric::Tpot,
        AuditMetric::TokensPerSUser,
        AuditMetric::TokensPerSGpu,
        AuditMetric::RequestRate,
        AuditMetric::RequestLatency,
    ];

    /// Name in audit.json and in the PNG file names.
    pub fn key(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft",
            AuditMetric::Tpot => "tpot",
            AuditMetric::TokensPerSUser => "tokens_per_s_user",
            AuditMetric::TokensPerSGpu => "tokens_per_s_gpu",
            AuditMetric::RequestRate => "request_rate",
            AuditMetric::RequestLatency => "request_latency",
        }
    }

    pub fn from_key(key: &str) -> Option<AuditMetric> {
        AuditMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "TTFT",
            AuditMetric::Tpot => "TPOT",
            AuditMetric::TokensPerSUser => "tokens/s/user",
            AuditMetric::TokensPerSGpu => "tokens/s/gpu",
            AuditMetric::RequestRate => "request rate",
            AuditMetric::RequestLatency => "request latency",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            AuditMetric::Ttft | AuditMetric::Tpot | AuditMetric::RequestLatency => "ms",
            AuditMetric::TokensPerSUser => "tok/s/user",
            AuditMetric::TokensPerSGpu => "tok/s/gpu",
            AuditMetric::RequestRate => "req/s",
        }
    }

    /// The AIConfigurator CSV column predicting it (per replica).
    pub fn predicted_column(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft",
            AuditMetric::Tpot => "tpot",
            AuditMetric::TokensPerSUser => "tokens/s/user",
            AuditMetric::TokensPerSGpu => "tokens/s/gpu",
            AuditMetric::RequestRate => "request_rate",
            AuditMetric::RequestLatency => "request_latency",
        }
    }

    /// Where the measured value comes from, for the reports.
    pub fn measured_source(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft_avg_ms",
            AuditMetric::Tpot => "tpot_avg_ms (aiperf inter_token_latency, benchmark_serving tpot)",
            AuditMetric::TokensPerSUser => {
                "tokens_per_s_user (aiperf: mean of per-request 1000/TPOT; else 1000 / mean TPOT)"
            }
            AuditMetric::TokensPerSGpu => "output_token_throughput / GPUs used",
            AuditMetric::RequestRate => "request_throughput / replicas",
            AuditMetric::RequestLatency => "e2el_avg_ms (request_latency)",
        }
    }

    pub(super) fn predicted(self, row: &AicRow) -> Option<f64> {
        match self {
            AuditMetric::Ttft => Some(row.ttft_ms),
            AuditMetric::Tpot => Some(row.tpot_ms),
            AuditMetric::TokensPerSUser => Some(row.tokens_s_user),
            AuditMetric::TokensPerSGpu => Some(row.tokens_s_gpu),
            AuditMetric::RequestRate => row.request_rate,
            AuditMetric::RequestLatency => row.request_latency_ms,
        }
    }

    /// The measured mean, scaled to one replica / one GPU where the metric is a rate.
    pub(super) fn measured(self, p: &Point, gpus: u64, replicas: u64) -> Option<f64> {
        let v = match self {
            AuditMetric::Ttft => p.get(Metric::Latency(Latency::Ttft, Stat::Avg)),
            AuditMetric::Tpot => p.get(Metric::Latency(Latency::Tpot, Stat::Avg)),
            AuditMetric::TokensPerSUser => p.get(Metric::TokensPerSUser),
            AuditMetric::TokensPerSGpu => p
                .get(Metric::OutputTokenThroughput)
                .map(|t| t / gpus as f64),
            AuditMetric::RequestRate => p
                .get(Metric::RequestThroughput)
                .map(|r| r / replicas as f64),
            AuditMetric::RequestLatency => p.get(Metric::Latency(Latency::E2el, Stat::Avg)),
        };
        v.filter(|v| v.is_finite())
    }

    /// The measured field a point lacks, for skip reasons.
    pub fn measured_field(self) -> &'static str {
        match self {
            AuditMetric::Ttft => "ttft_avg_ms",
            AuditMetric::Tpot => "tpot_avg_ms",
            AuditMetric::TokensPerSUser => "tokens_per_s_user",
            AuditMetric::TokensPerSGpu => "output_token_throughput",
            AuditMetric::RequestRate => "request_throughput",
            AuditMetric::RequestLatency => "e2el_avg_ms",
        }
    }
}
