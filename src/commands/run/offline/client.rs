//! The trtllm-bench command of one offline point.

use std::path::Path;

use super::settings::Settings;

/// `--report_json` inside each point directory.
pub const REPORT_JSON: &str = "report.json";

impl Settings {
    /// trtllm-bench's argv for one cell, as TensorRT-LLM's benchmarking guide runs it.
    pub fn argv(&self, backend: &str, isl: u64, osl: u64, bs: u64, dir: &Path) -> Vec<String> {
        let abs = |p: &Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let mut argv = self.trtllm_bench.clone();
        argv.extend([
            "--model".to_string(),
            self.model.clone(),
            "throughput".into(),
            "--dataset".into(),
            abs(&self.dataset_path(isl, osl)),
            "--backend".into(),
            backend.to_string(),
            "--max_batch_size".into(),
            bs.to_string(),
            "--tp".into(),
            self.tp.to_string(),
        ]);
        if let Some(o) = self.options.get(backend) {
            argv.extend(["--extra_llm_api_options".to_string(), abs(o)]);
        }
        argv.extend(["--report_json".to_string(), abs(&dir.join(REPORT_JSON))]);
        if let Some(n) = self.num_requests_flag {
            argv.extend(["--num_requests".to_string(), n.to_string()]);
        }
        if let Some(w) = self.warmup {
            argv.extend(["--warmup".to_string(), w.to_string()]);
        }
        if self.streaming {
            argv.push("--streaming".into());
        }
        argv
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::settings::OfflineOptions;
    use super::*;
    use crate::commands::run::options::parse_flags;
    use crate::commands::run::RunError;

    fn settings(flags: &[&str]) -> Result<Settings, RunError> {
        Settings::resolve(parse_flags::<OfflineOptions>(flags)?)
    }

    #[test]
    fn argv_is_the_benchmarking_guides() {
        let s = settings(&[
            "--model",
            "meta-llama/Llama-3.1-8b",
            "--backend",
            "_autodeploy",
            "--batch-sizes",
            "256",
            "--vocab-size",
            "128000",
            "--extra-llm-api-options",
            "/cfg/config.yaml",
            "--warmup",
            "0",
            "-o",
            "/r",
        ])
        .unwrap();
        let argv = s.argv("_autodeploy", 128, 128, 256, Path::new("/r/offline/p"));
        let want: Vec<&str> = vec![
            "trtllm-bench",
            "--model",
            "meta-llama/Llama-3.1-8b",
            "throughput",
            "--dataset",
            "/r/offline/datasets/token-norm-dist_isl_128_osl_128_n_1024.jsonl",
            "--backend",
            "_autodeploy",
            "--max_batch_size",
            "256",
            "--tp",
            "1",
            "--extra_llm_api_options",
            "/cfg/config.yaml",
            "--report_json",
            "/r/offline/p/report.json",
            "--warmup",
            "0",
        ];
        assert_eq!(argv, want);
    }

    #[test]
    fn grid_points_and_per_backend_options() {
        let s = settings(&[
            "--model",
            "m",
            "--vocab-size",
            "100",
            "--backend",
            "_autodeploy,pytorch",
            "--isl",
            "128,512",
            "--osl",
            "64",
            "--batch-sizes",
            "8 16",
            "--backend-config",
            "_autodeploy=ad.yaml",
            "--extra-llm-api-options",
            "pt.yaml",
            "--num-requests",
            "32",
        ])
        .unwrap();
        let names: Vec<String> = s.points().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "_autodeploy/isl_128_osl_64_bs_8",
                "pytorch/isl_128_osl_64_bs_8",
                "_autodeploy/isl_128_osl_64_bs_16",
                "pytorch/isl_128_osl_64_bs_16",
                "_autodeploy/isl_512_osl_64_bs_8",
                "pytorch/isl_512_osl_64_bs_8",
                "_autodeploy/isl_512_osl_64_bs_16",
                "pytorch/isl_512_osl_64_bs_16",
            ]
        );
        assert_eq!(s.options["_autodeploy"], PathBuf::from("ad.yaml"));
        assert_eq!(s.options["pytorch"], PathBuf::from("pt.yaml"));
        let argv = s.argv("pytorch", 512, 64, 16, Path::new("d"));
        assert!(argv.ends_with(&["--num_requests".to_string(), "32".to_string()]));
        assert!(argv[5].ends_with("datasets/token-norm-dist_isl_512_osl_64_n_32.jsonl"));
    }
}
