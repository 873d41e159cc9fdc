//! Deployment configs that sit beside the runs: TensorRT-LLM `extra_llm_api_options` /
//! AutoDeploy YAML and AIConfigurator's generated `agg_config.yaml`,
//! `prefill_config.yaml`, `decode_config.yaml` (in its `topN/` directories).
//!
//! Reports show them side by side so a reader sees what changed between two runs.
//! Nothing here fails: a file that cannot be read or parsed is skipped with a warning.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_yaml::Value;

use super::read_text;
use crate::model::{ConfigFile, Source, Sweep, Warning};

/// Larger YAML files are not configs a person wrote or generated for one deployment.
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// More than this and the report stops being readable; the rest is named in a warning.
pub const MAX_CONFIGS: usize = 32;
/// A flattened config with more keys than this is cut (protects against YAML bombs).
const MAX_FLAT_KEYS: usize = 4000;

/// Top-level keys of TensorRT-LLM LLM-API options and AutoDeploy configs.
const KNOWN_KEYS: &[&str] = &[
    "attn_backend",
    "attn_page_size",
    "backend",
    "cache_transceiver_config",
    "compile_backend",
    "cuda_graph_batch_sizes",
    "cuda_graph_config",
    "cuda_graph_padding_enabled",
    "disable_overlap_scheduler",
    "enable_attention_dp",
    "enable_chunked_prefill",
    "enable_iter_perf_stats",
    "free_mem_ratio",
    "guided_decoding_backend",
    "kv_cache_config",
    "max_batch_size",
    "max_beam_width",
    "max_input_len",
    "max_num_tokens",
    "max_seq_len",
    "model_factory",
    "moe_config",
    "moe_expert_parallel_size",
    "moe_tensor_parallel_size",
    "pipeline_parallel_size",
    "print_iter_log",
    "runtime",
    "scheduler_config",
    "speculative_config",
    "stream_interval",
    "tensor_parallel_size",
    "torch_compile_config",
    "transforms",
    "use_cuda_graph",
    "world_size",
];

/// AIConfigurator's engine-args files: configs by name.
const ENGINE_FILE_NAMES: &[&str] = &["agg_config", "prefill_config", "decode_config"];

/// AIConfigurator's other YAML files: experiment, generator, k8s and workflow settings,
/// not engine configs (exp_config.yaml even shares some key names).
const NOT_CONFIGS: &[&str] = &[
    "exp_config",
    "generator_config",
    "k8s_deploy",
    "k8s_bench",
    "sflow",
];

/// Configs beside the points of `sweep`, and a warning for each YAML file that was skipped.
///
/// For each label the search root is the deepest directory holding all its points. From each
/// point's directory up to that root, YAML files in the directory are candidates; for
/// AIConfigurator points also those in `topN/`, `agg/topN/` and `disagg/topN/` below it.
pub fn find_configs(sweep: &Sweep) -> (Vec<ConfigFile>, Vec<Warning>) {
    let mut warnings = Vec::new();
    // canonical path -> (labels it belongs to, path as found, path relative to the first label's root)
    let mut found: BTreeMap<PathBuf, (Vec<String>, PathBuf, String)> = BTreeMap::new();
    let mut order: Vec<PathBuf> = Vec::new();
    for label in sweep.labels() {
        let points: Vec<_> = sweep.points.iter().filter(|p| p.label == label).collect();
        let dirs: Vec<PathBuf> = points.iter().map(|p| point_dir(&p.path)).collect();
        let root = common_ancestor(&dirs);
        let aic = points.iter().any(|p| p.source == Source::AiConfigurator);
        // New files of this label, listed by their path below the label's root.
        let mut new: Vec<(String, PathBuf)> = Vec::new();
        for dir in search_dirs(&dirs, root.as_deref()) {
            for file in candidates(&dir, aic) {
                let key = fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
                let entry = found.entry(key.clone()).or_insert_with(|| {
                    let rel = relative(&file, root.as_deref());
                    new.push((rel.clone(), key.clone()));
                    (Vec::new(), file.clone(), rel)
                });
                if !entry.0.contains(&label) {
                    entry.0.push(label.clone());
                }
            }
        }
        new.sort();
        order.extend(new.into_iter().map(|(_, key)| key));
    }
    let mut configs = Vec::new();
    for key in &order {
        let Some((labels, path, rel)) = found.get(key) else {
            continue;
        };
        match load_config(path) {
            Ok(Some((text, flat))) => configs.push(ConfigFile {
                label: format!("{}: {rel}", labels.join(", ")),
                path: path.clone(),
                text,
                flat,
            }),
            Ok(None) => {}
            Err(reason) => warnings.push(Warning {
                path: path.clone(),
                message: format!("config skipped: {reason}"),
            }),
        }
    }
    if configs.len() > MAX_CONFIGS {
        let rest: Vec<String> = configs[MAX_CONFIGS..]
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        // About the whole set, so no one file to name.
        warnings.push(Warning {
            path: PathBuf::new(),
            message: format!(
                "{} more configs found but not shown: {}",
                rest.len(),
                rest.join(", ")
            ),
        });
        configs.truncate(MAX_CONFIGS);
    }
    (configs, warnings)
}

/// The directory a point lives in: the artifact directory itself, or a result file's parent.
fn point_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

/// Deepest directory containing all `dirs`; `None` when they share nothing (then no climbing).
fn common_ancestor(dirs: &[PathBuf]) -> Option<PathBuf> {
    let first = dirs.first()?;
    let mut common: Vec<Component> = first.components().collect();
    for d in &dirs[1..] {
        let n = common
            .iter()
            .zip(d.components())
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(n);
    }
    (!common.is_empty()).then(|| common.iter().collect())
}

/// Each point's directory and its parents up to `root`, without repeats.
fn search_dirs(dirs: &[PathBuf], root: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let mut cur = Some(d.as_path());
        while let Some(dir) = cur {
            if !out.iter().any(|o| o == dir) {
                out.push(dir.to_path_buf());
            }
            match root {
                Some(r) if dir != r && dir.starts_with(r) => cur = dir.parent(),
                _ => cur = None,
            }
        }
    }
    out
}

/// YAML files in `dir` (and AIConfigurator `topN/` dirs below it), sorted by path.
fn candidates(dir: &Path, aic: bool) -> Vec<PathBuf> {
    let mut out = yaml_files(dir);
    if aic {
        for sub in [dir.to_path_buf(), dir.join("agg"), dir.join("disagg")] {
            for top in top_dirs(&sub) {
                out.extend(yaml_files(&top));
            }
        }
    }
    out
}

/// The entries of `dir`, sorted by path; none when it cannot be read.
pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    v
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")
                })
                && !NOT_CONFIGS.contains(&stem(p).as_str())
                && !is_result_yaml(p)
        })
        .collect()
}

/// Results written as YAML (a guidellm report, an llm-d Benchmark Report) are not configs.
fn is_result_yaml(path: &Path) -> bool {
    super::read_head(path).is_ok_and(|head| {
        super::guidellm::is_yaml_report(path, &head) || super::llm_d_report::is_report(path, &head)
    })
}

/// AIConfigurator's `top1/`, `top2/`, ... directories.
fn top_dirs(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            p.is_dir()
                && name.is_some_and(|n| {
                    n.strip_prefix("top")
                        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                })
        })
        .collect()
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn relative(file: &Path, root: Option<&Path>) -> String {
    let rel = root.and_then(|r| file.strip_prefix(r).ok());
    match rel {
        Some(r) if !r.as_os_str().is_empty() => r.display().to_string(),
        _ => file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string()),
    }
}

/// A config's text and its flattened keys.
type Loaded = (String, BTreeMap<String, String>);

/// The file's text and flattened keys; `Ok(None)` when it is valid YAML but not a config.
fn load_config(path: &Path) -> Result<Option<Loaded>, String> {
    let size = fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if size > MAX_CONFIG_BYTES {
        return Err(format!(
            "{size} bytes, more than the {MAX_CONFIG_BYTES} a config may have"
        ));
    }
    let text = read_text(path).map_err(|e| e.message)?;
    let value: Value = serde_yaml::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    if !is_config(path, &value) {
        return Ok(None);
    }
    let mut flat = BTreeMap::new();
    flatten("", &value, &mut flat);
    Ok(Some((text, flat)))
}

/// AIConfigurator engine files by name; other YAML when at least two top-level keys are
/// TRT-LLM / AutoDeploy options (one key such as `backend` alone is too common).
fn is_config(path: &Path, value: &Value) -> bool {
    let Value::Mapping(map) = value else {
        return false;
    };
    if ENGINE_FILE_NAMES.contains(&stem(path).as_str()) {
        return true;
    }
    let known = map
        .keys()
        .filter_map(Value::as_str)
        .filter(|k| KNOWN_KEYS.contains(k))
        .count();
    known >= 2
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Tagged(t) => scalar(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    if out.len() >= MAX_FLAT_KEYS {
        return;
    }
    match v {
        Value::Mapping(m) if m.is_empty() => {
            out.insert(prefix.to_string(), "{}".into());
        }
        Value::Mapping(m) => {
            for (k, child) in m {
                let k = scalar(k).unwrap_or_else(|| "?".into());
                flatten(&join_key(prefix, &k), child, out);
            }
        }
        Value::Sequence(items) => {
            let scalars: Option<Vec<String>> = items.iter().map(scalar).collect();
            match scalars {
                Some(s) => {
                    out.insert(prefix.to_string(), format!("[{}]", s.join(", ")));
                }
                None => {
                    for (i, child) in items.iter().enumerate() {
                        flatten(&format!("{prefix}[{i}]"), child, out);
                    }
                }
            }
        }
        Value::Tagged(t) => flatten(prefix, &t.value, out),
        other => {
            if let Some(s) = scalar(other) {
                out.insert(prefix.to_string(), s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat_of(yaml: &str) -> BTreeMap<String, String> {
        let v: Value = serde_yaml::from_str(yaml).unwrap();
        let mut out = BTreeMap::new();
        flatten("", &v, &mut out);
        out
    }

    #[test]
    fn flattens_nested_maps_and_keeps_scalar_lists_whole() {
        let f = flat_of(
            "max_batch_size: 12\nkv_cache_config:\n  free_gpu_memory_fraction: 0.8\n  dtype: auto\n\
             cuda_graph_config:\n  batch_sizes: [1, 2, 4]\nspeculative_config: {}\n\
             transforms:\n  - name: a\n    on: true\n",
        );
        assert_eq!(f["max_batch_size"], "12");
        assert_eq!(f["kv_cache_config.free_gpu_memory_fraction"], "0.8");
        assert_eq!(f["cuda_graph_config.batch_sizes"], "[1, 2, 4]");
        assert_eq!(f["speculative_config"], "{}");
        assert_eq!(f["transforms[0].name"], "a");
        assert_eq!(f["transforms[0].on"], "true");
    }

    #[test]
    fn recognises_configs_by_keys_or_aiconfigurator_name() {
        let v = |s: &str| -> Value { serde_yaml::from_str(s).unwrap() };
        assert!(is_config(
            Path::new("x.yaml"),
            &v("compile_backend: torch-opt\nmax_batch_size: 8")
        ));
        assert!(!is_config(
            Path::new("x.yaml"),
            &v("backend: pytorch\nfoo: 1")
        ));
        assert!(is_config(Path::new("agg_config.yaml"), &v("foo: 1")));
        assert!(!is_config(Path::new("agg_config.yaml"), &v("[1, 2]")));
    }

    #[test]
    fn common_ancestor_and_search_dirs_stop_at_the_root() {
        let dirs = vec![PathBuf::from("r/base/c1"), PathBuf::from("r/base/c8")];
        let root = common_ancestor(&dirs);
        assert_eq!(root, Some(PathBuf::from("r/base")));
        assert_eq!(
            search_dirs(&dirs, root.as_deref()),
            vec![
                PathBuf::from("r/base/c1"),
                PathBuf::from("r/base"),
                PathBuf::from("r/base/c8")
            ]
        );
        assert_eq!(
            common_ancestor(&[PathBuf::from("a"), PathBuf::from("b")]),
            None
        );
    }
}
