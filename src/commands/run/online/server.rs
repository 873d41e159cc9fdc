//! The server `run online` launches: the argv it really runs (world_size in a copy of its
//! options YAML, nsys around it), what says it is ready, and its log.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::commands::run::{manifest, process, RunError};

/// Server log file name under `OUT/LABEL`.
pub const SERVER_LOG: &str = "server.log";
/// The line uvicorn prints when trtllm-serve, vLLM or SGLang is up.
pub const READY_LINE: &str = "Application startup complete";
/// nsys flags of TensorRT-LLM's profiling recipe: CUDA, cuBLAS and NVTX traces, CUDA graphs
/// node by node, and the LLM API's NVTX ranges, GC records and PyTorch profiler trace.
const NSYS_FLAGS: &[&str] = &[
    "-f",
    "true",
    "-t",
    "cuda,cublas,nvtx",
    "--cuda-graph-trace",
    "node",
    "--trace-fork-before-exec=true",
    "-e",
    "TLLM_PROFILE_RECORD_GC=1,TLLM_LLMAPI_ENABLE_NVTX=1,TLLM_TORCH_PROFILE_TRACE=trace.json",
];
/// Server flags naming the extra LLM API options YAML (trtllm-serve spells it several ways).
const OPTIONS_FLAGS: &[&str] = &[
    "--extra_llm_api_options",
    "--extra-llm-api-options",
    "--config",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadyOn {
    /// `GET /health` answers 200 (or, without /health, `GET /v1/models` does).
    Http,
    /// The server log shows `--ready-log`.
    Log,
    /// Both.
    Both,
}

/// The launched server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The command as given (argv, or `sh -c TEXT` with `--server-shell`).
    pub argv: Vec<String>,
    pub shell: bool,
    pub env: Vec<(String, String)>,
    pub world_size: Option<u64>,
    pub profile: bool,
}

/// The argv actually launched: world_size added to a copy of the options YAML, nsys around it.
pub fn server_argv(
    spec: &ServerSpec,
    root: &Path,
    configs: &mut Vec<Value>,
) -> Result<Vec<String>, RunError> {
    let mut argv = spec.argv.clone();
    if let Some(options) = options_file(&argv) {
        configs.push(manifest::config_copy(Path::new(&options.1)));
    }
    if let Some(n) = spec.world_size {
        if spec.shell {
            return Err(RunError::Usage(
                "--world-size rewrites the options file named in the server's argv; it does not work with --server-shell".into(),
            ));
        }
        let Some((index, path)) = options_file(&argv) else {
            return Err(RunError::Usage(format!(
                "--world-size adds world_size to the server's options YAML, but --server-cmd has none of {}",
                OPTIONS_FLAGS.join(", ")
            )));
        };
        let copy = with_world_size(Path::new(&path), n, root)?;
        configs.push(manifest::config_copy(&copy));
        let copy = copy.display().to_string();
        match argv.get_mut(index) {
            Some(a) if a.contains('=') => {
                let flag = a.split('=').next().unwrap_or("").to_string();
                *a = format!("{flag}={copy}");
            }
            Some(a) => *a = copy,
            None => {}
        }
    }
    if spec.profile {
        if !process::on_path("nsys") {
            return Err(RunError::Usage("--profile needs `nsys` on PATH".into()));
        }
        let trace = root.join(format!("trace_{}_ad_serving", manifest::stamp()));
        let mut wrapped: Vec<String> = vec![
            "nsys".into(),
            "profile".into(),
            "-o".into(),
            trace.display().to_string(),
        ];
        wrapped.extend(NSYS_FLAGS.iter().map(|s| s.to_string()));
        wrapped.extend(argv);
        argv = wrapped;
    }
    Ok(argv)
}

/// Where the options YAML path sits in argv: its index and value.
fn options_file(argv: &[String]) -> Option<(usize, String)> {
    argv.iter().enumerate().find_map(|(i, a)| {
        OPTIONS_FLAGS.iter().find_map(|flag| {
            if a == flag {
                argv.get(i + 1).map(|v| (i + 1, v.clone()))
            } else {
                a.strip_prefix(&format!("{flag}="))
                    .map(|v| (i, v.to_string()))
            }
        })
    })
}

/// Writes `root/extra_llm_api_options.world_size_N.yaml`: the file with `world_size: N` set.
fn with_world_size(path: &Path, n: u64, root: &Path) -> Result<PathBuf, RunError> {
    let text = fs::read_to_string(path).map_err(|e| RunError::io(path, e))?;
    let mut value: serde_yaml::Value = serde_yaml::from_str(&text)
        .map_err(|e| RunError::Usage(format!("{}: not YAML: {e}", path.display())))?;
    if value.is_null() {
        value = serde_yaml::Value::Mapping(Default::default());
    }
    let serde_yaml::Value::Mapping(map) = &mut value else {
        return Err(RunError::Usage(format!(
            "{}: expected a mapping of options to add world_size to",
            path.display()
        )));
    };
    map.insert("world_size".into(), n.into());
    let out = root.join(format!("extra_llm_api_options.world_size_{n}.yaml"));
    let text = serde_yaml::to_string(&value).map_err(|e| RunError::Other(e.to_string()))?;
    fs::write(&out, text).map_err(|e| RunError::io(&out, e))?;
    Ok(out)
}

pub fn append(path: &Path, text: &str) -> Result<(), RunError> {
    use std::io::Write;
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| RunError::io(path, e))
}

/// Looks for a line in a growing log, reading only what is new each time.
pub struct LogScan {
    path: PathBuf,
    offset: u64,
    needle: String,
    carry: String,
    seen: bool,
}

impl LogScan {
    pub fn new(path: PathBuf, offset: u64, needle: &str) -> LogScan {
        LogScan {
            path,
            offset,
            needle: needle.to_string(),
            carry: String::new(),
            seen: false,
        }
    }

    pub fn found(&mut self) -> bool {
        if self.seen || self.needle.is_empty() {
            return true;
        }
        let Ok(mut f) = fs::File::open(&self.path) else {
            return false;
        };
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(self.offset)).is_err() || f.read_to_end(&mut buf).is_err() {
            return false;
        }
        self.offset += buf.len() as u64;
        let text = format!("{}{}", self.carry, String::from_utf8_lossy(&buf));
        self.seen = text.contains(&self.needle);
        // Keep the tail so a line split across two reads is still found.
        let keep = text.len().saturating_sub(self.needle.len());
        let cut = (keep..=text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        self.carry = text[cut..].to_string();
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_size_goes_into_a_copy_of_the_options_yaml() {
        let dir = tempfile::tempdir().unwrap();
        let opts = dir.path().join("config.yaml");
        fs::write(&opts, "compile_backend: torch-opt\nfree_mem_ratio: 0.8\n").unwrap();
        let spec = ServerSpec {
            argv: vec![
                "trtllm-serve".into(),
                "m".into(),
                "--backend".into(),
                "_autodeploy".into(),
                format!("--extra_llm_api_options={}", opts.display()),
            ],
            shell: false,
            env: vec![],
            world_size: Some(8),
            profile: false,
        };
        let mut configs = Vec::new();
        let argv = server_argv(&spec, dir.path(), &mut configs).unwrap();
        let copy = dir.path().join("extra_llm_api_options.world_size_8.yaml");
        assert_eq!(
            argv[4],
            format!("--extra_llm_api_options={}", copy.display())
        );
        let v: serde_yaml::Value =
            serde_yaml::from_str(&fs::read_to_string(&copy).unwrap()).unwrap();
        assert_eq!(v["world_size"].as_u64(), Some(8));
        assert_eq!(v["compile_backend"].as_str(), Some("torch-opt"));
        assert_eq!(configs.len(), 2);
        // The original is untouched.
        assert!(!fs::read_to_string(&opts).unwrap().contains("world_size"));
    }

    #[test]
    fn log_scan_finds_a_line_split_across_reads() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.log");
        fs::write(&log, "INFO: Application start").unwrap();
        let mut scan = LogScan::new(log.clone(), 0, READY_LINE);
        assert!(!scan.found());
        append(&log, "up complete.\n").unwrap();
        assert!(scan.found());
    }
}
