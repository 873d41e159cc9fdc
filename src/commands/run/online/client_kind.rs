//! Which load generator `run online` drives (`--client`), and how it is started by default.

use serde::Deserialize;

/// The load generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize, serde::Serialize)]
pub enum ClientKind {
    #[value(name = "aiperf")]
    #[serde(rename = "aiperf")]
    Aiperf,
    /// TensorRT-LLM's (vLLM-derived) benchmark_serving.
    #[value(name = "benchmark_serving", alias = "benchmark-serving")]
    #[serde(rename = "benchmark_serving", alias = "benchmark-serving")]
    BenchmarkServing,
    /// SGLang's bench_serving.
    #[value(name = "sglang")]
    #[serde(rename = "sglang")]
    Sglang,
}

impl ClientKind {
    pub fn name(self) -> &'static str {
        match self {
            ClientKind::Aiperf => "aiperf",
            ClientKind::BenchmarkServing => "benchmark_serving",
            ClientKind::Sglang => "sglang",
        }
    }

    /// The command that runs the client when `--client-cmd` does not say.
    pub fn default_cmd(self) -> Vec<String> {
        let v: &[&str] = match self {
            ClientKind::Aiperf => &["aiperf"],
            ClientKind::BenchmarkServing => &[
                "python3",
                "-m",
                "tensorrt_llm.serve.scripts.benchmark_serving",
            ],
            ClientKind::Sglang => &["python3", "-m", "sglang.benchmark.serving"],
        };
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The Python distribution whose version names the client, for `python -m` clients.
    pub fn package(self) -> Option<&'static str> {
        match self {
            ClientKind::Aiperf => None,
            ClientKind::BenchmarkServing => Some("tensorrt_llm"),
            ClientKind::Sglang => Some("sglang"),
        }
    }
}
