//! Deployment configs beside the runs: found, flattened, diffed; bad files skipped with a reason.

use std::fs;
use std::path::{Path, PathBuf};

use adreport::ingest::configs::find_configs;
use adreport::model::{config_diff, ConfigFile};
use adreport::model::{Point, Source, Sweep};

mod common;

fn point(source: Source, label: &str, path: &Path) -> Point {
    let mut p = Point::new(source, path);
    p.label = label.into();
    p
}

fn by_name<'a>(configs: &'a [ConfigFile], rel: &str) -> &'a ConfigFile {
    configs
        .iter()
        .find(|c| c.path.ends_with(rel))
        .unwrap_or_else(|| panic!("no config {rel} in {:?}", labels(configs)))
}

fn labels(configs: &[ConfigFile]) -> Vec<&str> {
    configs.iter().map(|c| c.label.as_str()).collect()
}

const BASE: &str = "compile_backend: torch-compile\nmax_batch_size: 64\nkv_cache_config:\n  free_gpu_memory_fraction: 0.8\n";
const TUNED: &str = "compile_backend: torch-opt\nmax_batch_size: 256\nkv_cache_config:\n  free_gpu_memory_fraction: 0.9\nenable_attention_dp: true\n";

/// root/{baseline,tuned}/conc_{1,8}/result.json with configs at several levels.
fn trtllm_tree(root: &Path) -> Sweep {
    let mut sweep = Sweep::default();
    for label in ["baseline", "tuned"] {
        for c in [1, 8] {
            let dir = root.join(label).join(format!("conc_{c}"));
            fs::create_dir_all(&dir).unwrap();
            let file = dir.join("result.json");
            fs::write(&file, "{}").unwrap();
            sweep
                .points
                .push(point(Source::BenchmarkServing, label, &file));
        }
    }
    fs::write(root.join("baseline/extra_llm_api_options.yaml"), BASE).unwrap();
    fs::write(root.join("tuned/extra_llm_api_options.yml"), TUNED).unwrap();
    sweep
}

#[test]
fn finds_trtllm_configs_beside_the_runs_and_diffs_them() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = trtllm_tree(dir.path());
    // Above the label roots: not searched.
    fs::write(dir.path().join("outside.yaml"), BASE).unwrap();
    // In a point directory: found, for that label.
    fs::write(
        dir.path().join("tuned/conc_8/llm_api.yaml"),
        "max_batch_size: 512\nmax_num_tokens: 8192\n",
    )
    .unwrap();
    // Valid YAML that is not an engine config: ignored without a word.
    fs::write(
        dir.path().join("tuned/notes.yaml"),
        "owner: me\nbackend: pytorch\n",
    )
    .unwrap();
    let (configs, warnings) = find_configs(&sweep);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        labels(&configs),
        vec![
            "baseline: extra_llm_api_options.yaml",
            "tuned: conc_8/llm_api.yaml",
            "tuned: extra_llm_api_options.yml",
        ]
    );
    let base = by_name(&configs, "baseline/extra_llm_api_options.yaml");
    let tuned = by_name(&configs, "tuned/extra_llm_api_options.yml");
    assert_eq!(base.text, BASE);
    assert_eq!(base.flat["kv_cache_config.free_gpu_memory_fraction"], "0.8");
    assert_eq!(
        config_diff(base, tuned),
        vec![
            (
                "compile_backend".to_string(),
                Some("torch-compile".to_string()),
                Some("torch-opt".to_string())
            ),
            ("enable_attention_dp".into(), None, Some("true".into())),
            (
                "kv_cache_config.free_gpu_memory_fraction".into(),
                Some("0.8".into()),
                Some("0.9".into())
            ),
            (
                "max_batch_size".into(),
                Some("64".into()),
                Some("256".into())
            ),
        ]
    );
}

#[test]
fn bad_yaml_files_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = trtllm_tree(dir.path());
    let t = dir.path().join("tuned");
    fs::write(t.join("broken.yaml"), "max_batch_size: [1, 2\n").unwrap();
    fs::write(t.join("binary.yaml"), [0xffu8, 0xfe, 0x00, 0x41]).unwrap();
    let big = format!(
        "max_batch_size: 1\nworld_size: 1\n#{}\n",
        "x".repeat(300 * 1024)
    );
    fs::write(t.join("huge.yaml"), big).unwrap();
    let (configs, warnings) = find_configs(&sweep);
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    // The good ones are still there.
    assert_eq!(configs.len(), 2, "{:?}", labels(&configs));
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    let w = |name: &str| -> &String {
        warnings
            .iter()
            .find(|w| w.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}: {warnings:?}"))
    };
    assert!(w("broken.yaml").contains("config skipped: not valid YAML"));
    assert!(w("binary.yaml").contains("not UTF-8"));
    assert!(w("huge.yaml").contains("more than the 262144"));
}

fn aic_dir() -> PathBuf {
    common::data("configs/aiconfigurator_qwen3_32b")
}

#[test]
fn finds_aiconfigurator_engine_configs_in_top_n_dirs() {
    let root = aic_dir();
    let sweep = Sweep {
        points: vec![
            point(Source::AiConfigurator, "aic/agg", &root.join("agg")),
            point(Source::AiConfigurator, "aic/disagg", &root.join("disagg")),
        ],
        ..Sweep::default()
    };
    let (configs, warnings) = find_configs(&sweep);
    assert!(warnings.is_empty(), "{warnings:?}");
    // exp_config.yaml, generator_config.yaml and k8s_deploy.yaml are not engine configs.
    assert_eq!(
        labels(&configs),
        vec![
            "aic/agg: top1/agg_config.yaml",
            "aic/agg: top2/agg_config.yaml",
            "aic/disagg: top1/decode_config.yaml",
            "aic/disagg: top1/prefill_config.yaml",
        ]
    );
    // Values as written in the files (agg/top1/agg_config.yaml lines 2 and 6, etc.).
    let top1 = by_name(&configs, "agg/top1/agg_config.yaml");
    let top2 = by_name(&configs, "agg/top2/agg_config.yaml");
    assert_eq!(top1.flat["tensor_parallel_size"], "8");
    assert_eq!(top1.flat["max_batch_size"], "12");
    assert_eq!(top1.flat["kv_cache_config.free_gpu_memory_fraction"], "0.8");
    assert_eq!(top2.flat["tensor_parallel_size"], "4");
    assert_eq!(top2.flat["max_batch_size"], "1");
    let diff: Vec<String> = config_diff(top1, top2).into_iter().map(|d| d.0).collect();
    assert_eq!(
        diff,
        vec![
            "cuda_graph_config.batch_sizes",
            "max_batch_size",
            "tensor_parallel_size"
        ]
    );
    let prefill = by_name(&configs, "disagg/top1/prefill_config.yaml");
    let decode = by_name(&configs, "disagg/top1/decode_config.yaml");
    assert_eq!(prefill.flat["tensor_parallel_size"], "2");
    assert_eq!(
        prefill.flat["cuda_graph_config.batch_sizes"],
        "[1, 2, 4, 8, 16, 32, 64, 128, 256]"
    );
    assert_eq!(decode.flat["max_batch_size"], "64");
    assert_eq!(
        decode.flat["cache_transceiver_config.max_tokens_in_buffer"],
        "5024"
    );
}

#[test]
fn a_save_dir_point_finds_agg_and_disagg_and_shared_files_dedupe() {
    let root = aic_dir();
    // Both labels point at the save dir itself: each file is listed once, under both labels.
    let sweep = Sweep {
        points: vec![
            point(Source::AiConfigurator, "a", &root),
            point(Source::AiConfigurator, "b", &root),
        ],
        ..Sweep::default()
    };
    let (configs, _) = find_configs(&sweep);
    assert_eq!(configs.len(), 4);
    assert_eq!(configs[0].label, "a, b: agg/top1/agg_config.yaml");
}
