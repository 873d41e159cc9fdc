//! Checks an AutoDeploy `--extra_llm_api_options` YAML before any run starts, so a typo costs
//! seconds instead of a model load on a GPU.
//!
//! The keys and values are those of `AutoDeployConfig` in TensorRT-LLM's
//! `tensorrt_llm/_torch/auto_deploy/llm_args.py` (mid 2025, the version docs/source/torch/auto_deploy
//! describes): `compile_backend`, `runtime: Literal["demollm", "trtllm"]`, `free_mem_ratio`,
//! `cuda_graph_batch_sizes: Optional[List[int]]`, `attn_backend: str` (an open registry),
//! `max_batch_size: int (ge=1)`, `skip_loading_weights: bool`, `world_size: int (ge=0)`, plus their
//! long forms under `transforms:` and the newer homes `kv_cache_config.free_gpu_memory_fraction`
//! and `cuda_graph_config.batch_sizes`. Other keys belong to the LLM API and pass unchecked.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::model::Warning;
use crate::util::error::{Error, ReadError};

pub const COMPILE_BACKENDS: &[&str] = &[
    "torch-simple",
    "torch-compile",
    "torch-cudagraph",
    "torch-opt",
];
pub const RUNTIMES: &[&str] = &["trtllm", "demollm"];
/// Attention backends registered for standard attention (`AttentionRegistry`). The registry grows
/// between releases, so another name is only a warning.
pub const ATTN_BACKENDS: &[&str] = &["flashinfer", "triton", "torch", "trtllm", "triton_paged"];

/// What the sweep will pass next to the YAML.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// `--tp`.
    pub tp: Option<u64>,
    /// The `--max_batch_size` values of the sweep.
    pub batch_sizes: Vec<u64>,
}

/// Everything wrong (errors) and doubtful (warnings) in one file, so all can be fixed at once.
#[derive(Debug, Default)]
pub struct Checked {
    pub errors: Vec<ReadError>,
    pub warnings: Vec<Warning>,
}

impl Checked {
    /// The warnings, or one error listing every problem.
    pub fn into_result(self) -> Result<Vec<Warning>, Error> {
        match self.errors.as_slice() {
            [] => Ok(self.warnings),
            [one] => Err(Error::Read(one.clone())),
            many => {
                let lines: Vec<String> = many.iter().map(|e| format!("  {e}")).collect();
                Err(Error::Usage(format!(
                    "{} problems in AutoDeploy options:\n{}",
                    many.len(),
                    lines.join("\n")
                )))
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    OneOf(&'static [&'static str]),
    /// A string; names outside the list only warn.
    Known(&'static [&'static str]),
    Fraction,
    PositiveInt,
    NonNegInt,
    Bool,
    PositiveInts,
}

/// Dotted key path -> rule.
const RULES: &[(&str, Rule)] = &[
    ("compile_backend", Rule::OneOf(COMPILE_BACKENDS)),
    (
        "transforms.compile_model.backend",
        Rule::OneOf(COMPILE_BACKENDS),
    ),
    ("runtime", Rule::OneOf(RUNTIMES)),
    ("attn_backend", Rule::Known(ATTN_BACKENDS)),
    (
        "transforms.insert_cached_attention.backend",
        Rule::Known(ATTN_BACKENDS),
    ),
    ("free_mem_ratio", Rule::Fraction),
    ("transforms.resize_kv_cache.free_mem_ratio", Rule::Fraction),
    ("kv_cache_config.free_gpu_memory_fraction", Rule::Fraction),
    ("cuda_graph_batch_sizes", Rule::PositiveInts),
    (
        "transforms.compile_model.cuda_graph_batch_sizes",
        Rule::PositiveInts,
    ),
    ("cuda_graph_config.batch_sizes", Rule::PositiveInts),
    ("cuda_graph_config.max_batch_size", Rule::PositiveInt),
    ("max_batch_size", Rule::PositiveInt),
    ("skip_loading_weights", Rule::Bool),
    ("world_size", Rule::NonNegInt),
];

/// Reads and checks one YAML file.
pub fn check_file(path: &Path, ctx: &Context) -> Checked {
    match std::fs::read_to_string(path) {
        Ok(text) => check_str(path, &text, ctx),
        Err(e) => Checked {
            errors: vec![ReadError::io(path, &e)],
            warnings: Vec::new(),
        },
    }
}

/// Checks YAML text; `path` names it in every message.
pub fn check_str(path: &Path, text: &str, ctx: &Context) -> Checked {
    let mut out = Checked::default();
    let root = match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Null) => return out,
        Ok(Value::Mapping(m)) => m,
        Ok(other) => {
            out.errors.push(ReadError::file(
                path,
                format!("expected a mapping of options, got {}", describe(&other)),
            ));
            return out;
        }
        Err(e) => {
            let line = e.location().map_or(0, |l| l.line());
            out.errors
                .push(ReadError::line(path, line, format!("not valid YAML: {e}")));
            return out;
        }
    };
    let mut c = Checker {
        path,
        out: &mut out,
    };
    for &(key, rule) in RULES {
        if let Some(v) = lookup(&root, key) {
            c.rule(key, rule, v);
        }
    }
    c.cross_checks(&root, ctx);
    c.near_misses(&root);
    out
}

fn lookup<'a>(root: &'a Mapping, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let mut v = root.get(parts.next()?)?;
    for p in parts {
        v = v.as_mapping()?.get(p)?;
    }
    Some(v)
}

struct Checker<'a> {
    path: &'a Path,
    out: &'a mut Checked,
}

impl Checker<'_> {
    fn error(&mut self, key: &str, message: String) {
        self.out
            .errors
            .push(ReadError::new(self.path, format!("key `{key}`"), message));
    }

    fn warn(&mut self, message: String) {
        self.out.warnings.push(Warning {
            path: self.path.to_path_buf(),
            message,
        });
    }

    fn rule(&mut self, key: &str, rule: Rule, v: &Value) {
        match rule {
            Rule::OneOf(allowed) => match v.as_str() {
                Some(s) if allowed.contains(&s) => {}
                _ => self.error(key, got_allowed(v, allowed)),
            },
            Rule::Known(known) => match v.as_str() {
                Some(s) if known.contains(&s) => {}
                Some(s) => self.warn(format!(
                    "key `{key}`: `{s}` is not one of the known backends ({}); trtllm-bench will \
                     fail at load time if this TensorRT-LLM version does not register it",
                    known.join(", ")
                )),
                None => self.error(key, format!("expected a backend name, got {}", describe(v))),
            },
            Rule::Fraction => match v.as_f64() {
                Some(x) if (0.0..=1.0).contains(&x) => {}
                _ => self.error(
                    key,
                    format!("expected a fraction in [0, 1], got {}", describe(v)),
                ),
            },
            Rule::PositiveInt => {
                if v.as_u64().unwrap_or(0) == 0 {
                    self.error(
                        key,
                        format!("expected an integer >= 1, got {}", describe(v)),
                    );
                }
            }
            Rule::NonNegInt => {
                if v.as_u64().is_none() {
                    self.error(
                        key,
                        format!("expected an integer >= 0, got {}", describe(v)),
                    );
                }
            }
            Rule::Bool => {
                if v.as_bool().is_none() {
                    self.error(key, format!("expected true or false, got {}", describe(v)));
                }
            }
            Rule::PositiveInts => self.positive_ints(key, v),
        }
    }

    fn positive_ints(&mut self, key: &str, v: &Value) {
        let Some(items) = v.as_sequence() else {
            if !v.is_null() {
                self.error(
                    key,
                    format!("expected a list of batch sizes >= 1, got {}", describe(v)),
                );
            }
            return;
        };
        if items.is_empty() {
            self.warn(format!(
                "key `{key}`: empty list, no CUDA graph is captured"
            ));
        }
        for (i, item) in items.iter().enumerate() {
            if item.as_u64().unwrap_or(0) == 0 {
                self.error(
                    key,
                    format!(
                        "item {i}: expected a batch size >= 1, got {}",
                        describe(item)
                    ),
                );
            }
        }
    }

    /// Rules that relate keys to each other and to the sweep's own flags.
    fn cross_checks(&mut self, root: &Mapping, ctx: &Context) {
        let world = root.get("world_size").and_then(Value::as_u64);
        let runtime = root
            .get("runtime")
            .and_then(Value::as_str)
            .unwrap_or("trtllm");
        if world == Some(0) && runtime != "demollm" {
            self.error(
                "world_size",
                "0 (no spawned processes) works only with `runtime: demollm`".into(),
            );
        }
        if let (Some(ws), Some(tp)) = (world, ctx.tp) {
            if ws != tp && !(ws == 0 && tp == 1) {
                self.error(
                    "world_size",
                    format!("{ws} but --tp {tp}: AutoDeploy shards over world_size GPUs, set them equal"),
                );
            }
        }
        let max_bs = root.get("max_batch_size").and_then(Value::as_u64);
        if let Some(m) = max_bs {
            let other: Vec<String> = ctx
                .batch_sizes
                .iter()
                .filter(|&&b| b != m)
                .map(u64::to_string)
                .collect();
            if !other.is_empty() {
                self.warn(format!(
                    "key `max_batch_size`: {m} here overrides trtllm-bench's --max_batch_size \
                     (the YAML wins), so batch sizes {} run with {m}; remove it to sweep",
                    other.join(", ")
                ));
            }
        }
        let graphs = root
            .get("cuda_graph_batch_sizes")
            .and_then(Value::as_sequence);
        if let (Some(m), Some(graphs)) = (max_bs, graphs) {
            if let Some(big) = graphs.iter().filter_map(Value::as_u64).find(|&g| g > m) {
                self.warn(format!(
                    "key `cuda_graph_batch_sizes`: {big} is above max_batch_size {m}; that graph is never used"
                ));
            }
        }
    }

    /// Keys one or two edits away from a checked key are most likely typos of it; the LLM API
    /// would reject them only after loading the model.
    fn near_misses(&mut self, root: &Mapping) {
        let checked: Vec<&str> = RULES
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .map(|(k, _)| *k)
            .collect();
        for key in root.keys().filter_map(Value::as_str) {
            if checked.contains(&key) {
                continue;
            }
            if let Some(near) = checked.iter().find(|c| edit_distance(key, c) <= 2) {
                self.warn(format!("unknown key `{key}`: did you mean `{near}`?"));
            }
        }
    }
}

fn got_allowed(v: &Value, allowed: &[&str]) -> String {
    format!("got {}; allowed: {}", describe(v), allowed.join(", "))
}

/// A value as a message shows it.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("`{s}`"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Levenshtein distance, for short keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "Basic Performance Configuration" of docs/source/torch/auto_deploy/advanced/
    /// benchmarking_with_trtllm_bench.md.
    const GUIDE_CONFIG: &str =
        include_str!("../../../tests/data/autodeploy/autodeploy_config.yaml");

    fn check(yaml: &str, tp: Option<u64>, batch_sizes: &[u64]) -> Checked {
        let ctx = Context {
            tp,
            batch_sizes: batch_sizes.to_vec(),
        };
        check_str(Path::new("ad.yaml"), yaml, &ctx)
    }

    fn errors(yaml: &str) -> Vec<String> {
        check(yaml, None, &[])
            .errors
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn one_error(yaml: &str) -> String {
        let e = errors(yaml);
        assert_eq!(e.len(), 1, "{e:?}");
        e[0].clone()
    }

    fn warnings(c: &Checked) -> Vec<String> {
        c.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_guides_config_is_clean() {
        let c = check(GUIDE_CONFIG, Some(1), &[256]);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert!(c.warnings.is_empty(), "{:?}", warnings(&c));
    }

    #[test]
    fn the_guides_config_on_several_gpus_needs_world_size_equal_to_tp() {
        let yaml = format!("{GUIDE_CONFIG}world_size: 8\n");
        assert!(check(&yaml, Some(8), &[256]).errors.is_empty());
        let c = check(&yaml, Some(4), &[256]);
        assert_eq!(
            c.errors[0].to_string(),
            "ad.yaml: key `world_size`: 8 but --tp 4: AutoDeploy shards over world_size GPUs, set them equal"
        );
    }

    #[test]
    fn compile_backend_names_the_allowed_values() {
        assert_eq!(
            one_error("compile_backend: torch-fast"),
            "ad.yaml: key `compile_backend`: got `torch-fast`; allowed: torch-simple, torch-compile, torch-cudagraph, torch-opt"
        );
        for ok in COMPILE_BACKENDS {
            assert!(errors(&format!("compile_backend: {ok}")).is_empty());
        }
        assert!(
            one_error("transforms:\n  compile_model:\n    backend: inductor")
                .contains("key `transforms.compile_model.backend`: got `inductor`")
        );
    }

    #[test]
    fn runtime_is_trtllm_or_demollm() {
        assert!(errors("runtime: demollm").is_empty());
        assert_eq!(
            one_error("runtime: pytorch"),
            "ad.yaml: key `runtime`: got `pytorch`; allowed: trtllm, demollm"
        );
        assert!(one_error("runtime: 3").contains("got 3; allowed"));
    }

    #[test]
    fn free_mem_ratio_is_a_fraction() {
        for ok in ["0", "0.0", "0.85", "1", "1.0"] {
            assert!(errors(&format!("free_mem_ratio: {ok}")).is_empty(), "{ok}");
        }
        assert_eq!(
            one_error("free_mem_ratio: 1.5"),
            "ad.yaml: key `free_mem_ratio`: expected a fraction in [0, 1], got 1.5"
        );
        assert!(one_error("free_mem_ratio: -0.1").contains("got -0.1"));
        assert!(one_error("free_mem_ratio: '0.8'").contains("got `0.8`"));
        assert!(
            one_error("kv_cache_config:\n  free_gpu_memory_fraction: 90")
                .contains("key `kv_cache_config.free_gpu_memory_fraction`")
        );
    }

    #[test]
    fn cuda_graph_batch_sizes_are_positive_ints() {
        assert!(errors("cuda_graph_batch_sizes: [1, 8, 64]").is_empty());
        assert!(errors("cuda_graph_batch_sizes: null").is_empty());
        assert_eq!(
            one_error("cuda_graph_batch_sizes: [1, 0, 8]"),
            "ad.yaml: key `cuda_graph_batch_sizes`: item 1: expected a batch size >= 1, got 0"
        );
        assert!(one_error("cuda_graph_batch_sizes: [1, 2.5]").contains("item 1"));
        assert!(one_error("cuda_graph_batch_sizes: 64").contains("expected a list"));
        assert_eq!(errors("cuda_graph_batch_sizes: [-1, x]").len(), 2);
        assert!(one_error("cuda_graph_config:\n  batch_sizes: [0]")
            .contains("key `cuda_graph_config.batch_sizes`"));
        let c = check("cuda_graph_batch_sizes: []", None, &[]);
        assert!(warnings(&c)[0].contains("empty list"));
    }

    #[test]
    fn attn_backend_known_names_pass_others_warn() {
        for ok in ATTN_BACKENDS {
            let c = check(&format!("attn_backend: {ok}"), None, &[]);
            assert!(c.errors.is_empty() && c.warnings.is_empty(), "{ok}");
        }
        let c = check("attn_backend: FlashInfer", None, &[]);
        assert!(c.errors.is_empty());
        assert!(warnings(&c)[0].starts_with(
            "ad.yaml: key `attn_backend`: `FlashInfer` is not one of the known backends (flashinfer, triton, torch, trtllm, triton_paged)"
        ));
        assert!(
            one_error("attn_backend: [flashinfer]").contains("expected a backend name, got a list")
        );
    }

    #[test]
    fn max_batch_size_is_a_positive_int() {
        assert!(errors("max_batch_size: 1").is_empty());
        assert_eq!(
            one_error("max_batch_size: 0"),
            "ad.yaml: key `max_batch_size`: expected an integer >= 1, got 0"
        );
        assert!(one_error("max_batch_size: 12.5").contains("got 12.5"));
        assert!(one_error("max_batch_size: -4").contains("got -4"));
    }

    #[test]
    fn skip_loading_weights_is_a_bool() {
        assert!(errors("skip_loading_weights: true").is_empty());
        // YAML 1.2: `yes` is a string, and pydantic would not take it either.
        assert_eq!(
            one_error("skip_loading_weights: yes"),
            "ad.yaml: key `skip_loading_weights`: expected true or false, got `yes`"
        );
    }

    #[test]
    fn world_size_rules() {
        assert!(one_error("world_size: -1").contains("expected an integer >= 0, got -1"));
        // 0 = run in-process on one GPU, demollm only.
        assert!(check("world_size: 0\nruntime: demollm", Some(1), &[])
            .errors
            .is_empty());
        assert!(one_error("world_size: 0").contains("works only with `runtime: demollm`"));
        // Without --tp nothing to compare.
        assert!(errors("world_size: 4").is_empty());
        assert_eq!(check("world_size: 2", Some(2), &[]).errors.len(), 0);
        assert_eq!(check("world_size: 2", Some(1), &[]).errors.len(), 1);
    }

    #[test]
    fn yaml_max_batch_size_overriding_the_sweep_warns() {
        let c = check(GUIDE_CONFIG, Some(1), &[32, 64, 256]);
        assert!(c.errors.is_empty());
        assert_eq!(
            warnings(&c),
            ["ad.yaml: key `max_batch_size`: 256 here overrides trtllm-bench's --max_batch_size (the YAML wins), so batch sizes 32, 64 run with 256; remove it to sweep"]
        );
        let c = check(
            "max_batch_size: 64\ncuda_graph_batch_sizes: [32, 128]",
            None,
            &[],
        );
        assert!(warnings(&c)[0].contains("128 is above max_batch_size 64"));
    }

    #[test]
    fn typos_of_checked_keys_warn() {
        let c = check(
            "compile_backen: torch-opt\nfree_mem_ration: 0.5\nkv_cache_config: {}",
            None,
            &[],
        );
        assert!(c.errors.is_empty());
        assert_eq!(
            warnings(&c),
            [
                "ad.yaml: unknown key `compile_backen`: did you mean `compile_backend`?",
                "ad.yaml: unknown key `free_mem_ration`: did you mean `free_mem_ratio`?",
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let c = check(
            "compile_backend: x\nruntime: y\nfree_mem_ratio: 2\nmax_batch_size: 0\nskip_loading_weights: 1",
            None,
            &[],
        );
        assert_eq!(c.errors.len(), 5);
        let e = c.into_result().unwrap_err().to_string();
        assert!(
            e.starts_with("5 problems in AutoDeploy options:\n  ad.yaml: key `compile_backend`"),
            "{e}"
        );
    }

    #[test]
    fn bad_yaml_and_odd_shapes() {
        let e = one_error("compile_backend: [torch-opt\nruntime: trtllm\n");
        assert!(e.starts_with("ad.yaml: line "), "{e}");
        assert!(e.contains("not valid YAML"), "{e}");
        assert_eq!(
            one_error("- compile_backend: torch-opt"),
            "ad.yaml: expected a mapping of options, got a list"
        );
        assert!(errors("").is_empty());
        assert!(errors("# only a comment\n").is_empty());
        // LLM API keys we do not know pass.
        assert!(check(
            "enable_chunked_prefill: true\nkv_cache_config:\n  dtype: fp8",
            None,
            &[]
        )
        .warnings
        .is_empty());
    }

    #[test]
    fn bad_file_reports_every_checked_key() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/autodeploy/bad_config.yaml"
        ));
        let c = check_file(path, &Context::default());
        let keys: Vec<&str> = c.errors.iter().map(|e| e.at.as_str()).collect();
        assert_eq!(
            keys,
            [
                "key `compile_backend`",
                "key `runtime`",
                "key `attn_backend`",
                "key `free_mem_ratio`",
                "key `cuda_graph_batch_sizes`",
                "key `max_batch_size`",
                "key `skip_loading_weights`",
                "key `world_size`",
            ]
        );
        assert!(c.errors.iter().all(|e| e.path == path));
    }

    #[test]
    fn missing_file_names_it() {
        let c = check_file(Path::new("/nonexistent/ad.yaml"), &Context::default());
        assert!(c.errors[0]
            .to_string()
            .starts_with("/nonexistent/ad.yaml: cannot read"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("runtime", "runtime"), 0);
        assert_eq!(edit_distance("runtim", "runtime"), 1);
        assert_eq!(edit_distance("attn_backend", "moe_backend"), 4);
    }
}
