//! `adreport dataset token-norm-dist`: format, determinism, distribution, tokenizer vocabulary.

use std::collections::HashSet;
use std::path::Path;

use adreport::commands::dataset::token_norm_dist::{
    tokenizer_info, write_file, write_token_norm_dist, NormDist, TokenNormDist, DEFAULT_SEED,
};
use regex::Regex;
use serde_json::Value;

mod common;
use common::{adreport, text};

fn spec(n: u64, input: (i64, i64), output: (i64, i64), vocab: u32) -> TokenNormDist {
    TokenNormDist {
        num_requests: n,
        input: NormDist {
            mean: input.0,
            stdev: input.1,
        },
        output: NormDist {
            mean: output.0,
            stdev: output.1,
        },
        vocab_size: vocab,
        eos_id: None,
        seed: DEFAULT_SEED,
        task_id: -1,
        lora_dir: None,
    }
}

fn generate(s: &TokenNormDist) -> String {
    let mut out = Vec::new();
    write_token_norm_dist(s, &mut out).expect("write");
    String::from_utf8(out).expect("utf8")
}

struct Line {
    task_id: u64,
    ids: Vec<u64>,
    output_tokens: u64,
}

fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line is JSON");
            Line {
                task_id: v["task_id"].as_u64().expect("task_id"),
                ids: v["input_ids"]
                    .as_array()
                    .expect("input_ids")
                    .iter()
                    .map(|i| i.as_u64().expect("id"))
                    .collect(),
                output_tokens: v["output_tokens"].as_u64().expect("output_tokens"),
            }
        })
        .collect()
}

/// `json.dumps(d, separators=(',', ':'))` of `{"task_id", "input_ids", "output_tokens"}` in that order.
fn structure() -> Regex {
    Regex::new(r#"^\{"task_id":\d+,"input_ids":\[(\d+(,\d+)*)?\],"output_tokens":\d+\}$"#).unwrap()
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[test]
fn lines_are_compact_json_in_the_original_key_order() {
    let text = generate(&spec(50, (64, 8), (32, 4), 32_000));
    assert!(text.ends_with('\n'));
    let lines = parse(&text);
    assert_eq!(lines.len(), 50);
    for (i, (raw, l)) in text.lines().zip(&lines).enumerate() {
        assert!(structure().is_match(raw), "line {i}: {raw}");
        assert_eq!(l.task_id, i as u64, "task_id is the line index");
        // Byte-for-byte what Python prints for the same values.
        let ids: Vec<String> = l.ids.iter().map(u64::to_string).collect();
        let python = format!(
            "{{\"task_id\":{i},\"input_ids\":[{}],\"output_tokens\":{}}}",
            ids.join(","),
            l.output_tokens
        );
        assert_eq!(raw, python);
    }
}

#[test]
fn same_structure_as_the_published_example() {
    // tests/data/dataset/dataset_token_norm_dist_example.jsonl: the two lines from perf-benchmarking.md.
    let example =
        std::fs::read_to_string("tests/data/dataset/dataset_token_norm_dist_example.jsonl")
            .expect("example");
    let ours = generate(&spec(2, (10, 2), (128, 0), 32_000));
    for text in [example.as_str(), ours.as_str()] {
        for raw in text.lines() {
            assert!(structure().is_match(raw), "{raw}");
        }
        let lines = parse(text);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].task_id, lines[1].task_id), (0, 1));
        assert!(lines.iter().all(|l| l.output_tokens == 128));
    }
    let first = &parse(&example)[0];
    // First example line: 10 ids starting 863, 22056.
    assert_eq!(first.ids.len(), 10);
    assert_eq!(&first.ids[..2], &[863, 22056]);
}

#[test]
fn same_seed_same_bytes_other_seed_other_ids() {
    let s = spec(200, (100, 30), (50, 10), 50_000);
    assert_eq!(generate(&s), generate(&s));
    let mut other = s.clone();
    other.seed = 421;
    assert_ne!(generate(&s), generate(&other));
}

#[test]
fn stdev_zero_gives_fixed_lengths() {
    // The seed-001 command: --input-mean 128 --output-mean 128 --input-stdev 0 --output-stdev 0.
    let lines = parse(&generate(&spec(256, (128, 0), (128, 0), 128_000)));
    assert_eq!(lines.len(), 256);
    assert!(lines.iter().all(|l| l.ids.len() == 128));
    assert!(lines.iter().all(|l| l.output_tokens == 128));
}

#[test]
fn lengths_follow_the_normal_distribution_over_10k_requests() {
    let lines = parse(&generate(&spec(10_000, (512, 64), (256, 32), 32_000)));
    let isl: Vec<f64> = lines.iter().map(|l| l.ids.len() as f64).collect();
    let osl: Vec<f64> = lines.iter().map(|l| l.output_tokens as f64).collect();
    // ceil() adds 0.5 on average; the standard error of the mean is 64/100 = 0.64.
    let (m, sd) = mean_sd(&isl);
    assert!((m - 512.5).abs() < 2.0, "input mean {m}");
    assert!((sd - 64.0).abs() < 2.0, "input sd {sd}");
    let (m, sd) = mean_sd(&osl);
    assert!((m - 256.5).abs() < 1.0, "output mean {m}");
    assert!((sd - 32.0).abs() < 1.0, "output sd {sd}");
}

#[test]
fn short_means_clip_at_one_token() {
    // max(1, ceil(5 + 10 z)) is 1 whenever 5 + 10 z <= 1, i.e. z <= -0.4: P = 0.3446.
    let lines = parse(&generate(&spec(10_000, (5, 10), (5, 10), 1000)));
    assert!(lines
        .iter()
        .all(|l| !l.ids.is_empty() && l.output_tokens >= 1));
    let ones = lines.iter().filter(|l| l.ids.len() == 1).count() as f64 / 10_000.0;
    assert!(
        (ones - 0.3446).abs() < 0.02,
        "share of 1-token inputs {ones}"
    );
}

#[test]
fn input_and_output_lengths_share_one_draw_as_in_the_original() {
    // prepare_synthetic_data.py seeds numpy with the same seed before both length draws, so a long
    // input always goes with a long output.
    let lines = parse(&generate(&spec(2000, (512, 64), (128, 16), 32_000)));
    let mut pairs: Vec<(usize, u64)> = lines
        .iter()
        .map(|l| (l.ids.len(), l.output_tokens))
        .collect();
    pairs.sort_unstable();
    assert!(pairs.windows(2).all(|w| w[0].1 <= w[1].1));
}

#[test]
fn ids_are_within_the_vocabulary_and_distinct_per_request() {
    let vocab = 1000;
    let lines = parse(&generate(&spec(300, (400, 200), (10, 0), vocab)));
    for l in &lines {
        assert!(l.ids.iter().all(|&i| i < u64::from(vocab)));
        if l.ids.len() < vocab as usize {
            let distinct: HashSet<u64> = l.ids.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                l.ids.len(),
                "random.sample draws without replacement"
            );
        }
    }
    // Every id of a small vocabulary is reached.
    let seen: HashSet<u64> = lines.iter().flat_map(|l| l.ids.iter().copied()).collect();
    assert_eq!(seen.len(), vocab as usize);
}

#[test]
fn eos_id_never_appears() {
    let mut s = spec(200, (50, 0), (8, 0), 60);
    s.eos_id = Some(2);
    let lines = parse(&generate(&s));
    assert!(lines.iter().all(|l| !l.ids.contains(&2)));
    // It became 3, so some requests carry 3 twice.
    assert!(lines
        .iter()
        .any(|l| l.ids.iter().filter(|&&i| i == 3).count() == 2));
}

#[test]
fn tokenizer_vocab_is_model_vocab_without_added_tokens() {
    // tests/data/dataset/tokenizer: 20 model.vocab entries, 2 added tokens, eos_token "</s>" = id 2.
    for path in [
        "tests/data/dataset/tokenizer",
        "tests/data/dataset/tokenizer/tokenizer.json",
    ] {
        let info = tokenizer_info(Path::new(path)).expect("tokenizer");
        assert_eq!(info.vocab_size, 20);
        assert_eq!(info.added_tokens, 2);
        assert_eq!(info.eos_id, Some(2));
    }
}

#[test]
fn unigram_vocab_list_and_bad_tokenizers() {
    let dir = tempfile::tempdir().unwrap();
    let uni = dir.path().join("tokenizer.json");
    std::fs::write(
        &uni,
        r#"{"model":{"type":"Unigram","vocab":[["<unk>",0.0],["a",-1.5],["b",-2.0]]}}"#,
    )
    .unwrap();
    let info = tokenizer_info(&uni).unwrap();
    assert_eq!(
        (info.vocab_size, info.added_tokens, info.eos_id),
        (3, 0, None)
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"model":{"type":"BPE"}}"#).unwrap();
    let e = tokenizer_info(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json") && e.contains("model.vocab"), "{e}");

    std::fs::write(&bad, r#"{"model":{"vocab":"#).unwrap();
    let e = tokenizer_info(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.json"), "{e}");

    let e = tokenizer_info(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.json"), "{e}");
}

#[test]
fn write_file_renames_a_complete_file_into_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dataset_128_128.jsonl");
    let summary = write_file(&spec(16, (128, 0), (64, 0), 1000), &path).unwrap();
    assert_eq!(summary.num_requests, 16);
    assert_eq!((summary.input.min, summary.input.max), (128, 128));
    assert_eq!(summary.output.sum, 16 * 64);
    assert_eq!(parse(&std::fs::read_to_string(&path).unwrap()).len(), 16);
    assert!(!dir
        .path()
        .join("sub/dataset_128_128.jsonl.partial")
        .exists());
}

const BASE: [&str; 10] = [
    "dataset",
    "token-norm-dist",
    "--input-mean",
    "128",
    "--output-mean",
    "128",
    "--input-stdev",
    "0",
    "--output-stdev",
    "0",
];

#[test]
fn cli_writes_to_stdout_with_a_summary_on_stderr() {
    let mut args = BASE.to_vec();
    args.extend(["--num-requests", "4", "--vocab-size", "128000"]);
    let out = adreport(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(parse(&text).len(), 4);
    let err = common::text(&out.stderr);
    assert!(err.contains("wrote 4 requests to stdout"), "{err}");
}

#[test]
fn cli_takes_the_vocabulary_from_a_tokenizer() {
    let mut args = BASE.to_vec();
    args.extend([
        "--num-requests",
        "30",
        "--tokenizer",
        "tests/data/dataset/tokenizer",
    ]);
    let out = adreport(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = parse(&String::from_utf8(out.stdout).unwrap());
    // 128 ids from a 20-id vocabulary: with replacement, and never the EOS id 2.
    assert!(lines.iter().all(|l| l.ids.len() == 128));
    assert!(lines.iter().flat_map(|l| &l.ids).all(|&i| i < 20 && i != 2));
}

#[test]
fn cli_bad_flags_exit_1_naming_the_flag() {
    for (extra, flag) in [
        (
            ["--num-requests", "0", "--vocab-size", "100"],
            "--num-requests",
        ),
        (["--num-requests", "5", "--vocab-size", "0"], "--vocab-size"),
    ] {
        let mut args = BASE.to_vec();
        args.extend(extra);
        let out = adreport(&args);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(err.contains(flag), "{err}");
    }
    let args = [
        "dataset",
        "token-norm-dist",
        "--num-requests",
        "5",
        "--vocab-size",
        "100",
        "--input-mean",
        "128",
        "--input-stdev",
        "-3",
        "--output-mean",
        "128",
        "--output-stdev",
        "0",
    ];
    let out = adreport(&args);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("--input-stdev must be >= 0"), "{err}");
}
