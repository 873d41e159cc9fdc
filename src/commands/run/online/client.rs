//! The load generators `run online` drives, and the argv each one gets for a point.

use std::path::Path;

use serde_json::json;

use super::client_kind::ClientKind;
use super::settings::Settings;

impl Settings {
    /// The client's argv for one point, as TensorRT-LLM's and SGLang's benchmark scripts run it.
    pub fn client_argv(&self, model: &str, concurrency: u64, dir: &Path) -> Vec<String> {
        let c = concurrency;
        let n = c * self.rounds;
        let base = self.endpoint.base();
        let dir_s = dir.display().to_string();
        let mut argv = self.client_cmd.clone();
        let s = |v: &dyn ToString| v.to_string();
        let args: Vec<String> = match self.client {
            ClientKind::Aiperf => vec![
                s(&"profile"),
                s(&"--model"),
                s(&model),
                s(&"--url"),
                base,
                s(&"--endpoint-type"),
                s(&"chat"),
                s(&"--streaming"),
                s(&"--concurrency"),
                s(&c),
                s(&"--request-count"),
                s(&n),
                s(&"--isl"),
                s(&self.isl),
                s(&"--osl"),
                s(&self.osl),
                s(&"--extra-inputs"),
                json!({"ignore_eos": true, "min_tokens": self.osl}).to_string(),
                s(&"--num-warmup-requests"),
                s(&self.warmup),
                s(&"--request-timeout-seconds"),
                s(&self.request_timeout),
                s(&"--artifact-dir"),
                dir_s,
            ],
            ClientKind::BenchmarkServing => vec![
                s(&"--model"),
                s(&model),
                s(&"--backend"),
                s(&"openai"),
                s(&"--base-url"),
                base,
                s(&"--dataset-name"),
                s(&"random"),
                s(&"--random-input-len"),
                s(&self.isl),
                s(&"--random-output-len"),
                s(&self.osl),
                s(&"--random-prefix-len"),
                s(&0),
                s(&"--num-prompts"),
                s(&n),
                s(&"--max-concurrency"),
                s(&c),
                s(&"--ignore-eos"),
                s(&"--save-result"),
                s(&"--result-dir"),
                dir_s,
                s(&"--result-filename"),
                format!("concurrency_{c}.json"),
                s(&"--percentile-metrics"),
                s(&"ttft,tpot,itl,e2el"),
            ],
            ClientKind::Sglang => vec![
                // `vllm` is bench_serving's OpenAI /v1/completions streaming backend.
                s(&"--backend"),
                s(&"vllm"),
                s(&"--base-url"),
                base,
                s(&"--model"),
                s(&model),
                s(&"--dataset-name"),
                s(&"random"),
                s(&"--random-input-len"),
                s(&self.isl),
                s(&"--random-output-len"),
                s(&self.osl),
                s(&"--random-range-ratio"),
                s(&"1.0"),
                s(&"--num-prompts"),
                s(&n),
                s(&"--max-concurrency"),
                s(&c),
                s(&"--warmup-requests"),
                s(&self.warmup),
                s(&"--disable-tqdm"),
                s(&"--output-file"),
                dir.join(format!("sglang_conc{c}.jsonl"))
                    .display()
                    .to_string(),
                s(&"--output-details"),
            ],
        };
        argv.extend(args);
        if let Some(t) = &self.tokenizer {
            argv.extend([s(&"--tokenizer"), t.clone()]);
        }
        argv.extend(self.client_args.iter().cloned());
        if self.aiperf_telemetry() {
            argv.extend([s(&"--gpu-telemetry"), s(&"pynvml")]);
        }
        argv
    }

    /// aiperf records GPU telemetry when a GPU is present, unless the user's own client
    /// arguments already say how (any `--gpu-telemetry...` or `--no-gpu-telemetry` flag).
    fn aiperf_telemetry(&self) -> bool {
        self.client == ClientKind::Aiperf
            && self.gpu_telemetry
            && !self
                .client_args
                .iter()
                .any(|a| a.starts_with("--gpu-telemetry") || a.starts_with("--no-gpu-telemetry"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::settings::OnlineOptions;
    use super::*;
    use crate::commands::run::options::parse_flags;
    use crate::commands::run::RunError;

    fn settings(flags: &[&str]) -> Result<Settings, RunError> {
        Settings::resolve(parse_flags::<OnlineOptions>(flags)?)
    }

    #[test]
    fn aiperf_argv_is_the_benchmark_scripts_one() {
        let s = settings(&[
            "--url",
            "http://0.0.0.0:8123",
            "--concurrencies",
            "32",
            "--isl",
            "1024",
            "--osl",
            "1024",
        ])
        .unwrap();
        let argv = s.client_argv(
            "meta-llama/Llama-3.1-70B",
            32,
            Path::new("/r/isl_1024_osl_1024_conc_32"),
        );
        let want: Vec<&str> = vec![
            "aiperf",
            "profile",
            "--model",
            "meta-llama/Llama-3.1-70B",
            "--url",
            "http://0.0.0.0:8123",
            "--endpoint-type",
            "chat",
            "--streaming",
            "--concurrency",
            "32",
            "--request-count",
            "160",
            "--isl",
            "1024",
            "--osl",
            "1024",
            "--extra-inputs",
            r#"{"ignore_eos":true,"min_tokens":1024}"#,
            "--num-warmup-requests",
            "1",
            "--request-timeout-seconds",
            "1800",
            "--artifact-dir",
            "/r/isl_1024_osl_1024_conc_32",
        ];
        assert_eq!(argv, want);
    }

    #[test]
    fn benchmark_serving_argv_is_the_benchmark_scripts_one() {
        let s = settings(&[
            "--url",
            "127.0.0.1:8000",
            "--client",
            "benchmark_serving",
            "--rounds",
            "5",
            "--client-arg",
            "--seed",
            "--client-arg",
            "7",
        ])
        .unwrap();
        let argv = s.client_argv("/models/llama", 8, Path::new("/r/p"));
        let want: Vec<&str> = vec![
            "python3",
            "-m",
            "tensorrt_llm.serve.scripts.benchmark_serving",
            "--model",
            "/models/llama",
            "--backend",
            "openai",
            "--base-url",
            "http://127.0.0.1:8000",
            "--dataset-name",
            "random",
            "--random-input-len",
            "1024",
            "--random-output-len",
            "1024",
            "--random-prefix-len",
            "0",
            "--num-prompts",
            "40",
            "--max-concurrency",
            "8",
            "--ignore-eos",
            "--save-result",
            "--result-dir",
            "/r/p",
            "--result-filename",
            "concurrency_8.json",
            "--percentile-metrics",
            "ttft,tpot,itl,e2el",
            "--seed",
            "7",
        ];
        assert_eq!(argv, want);
    }
}
