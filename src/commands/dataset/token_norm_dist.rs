//! Synthetic datasets for `trtllm-bench throughput`, as TensorRT-LLM's
//! `benchmarks/cpp/prepare_dataset.py --stdout ... token-norm-dist` writes them.
//!
//! What is kept from the original (benchmarks/cpp/utils/utils.py and
//! tensorrt_llm/bench/dataset/utils.py):
//! - one compact JSON object per line, keys `task_id` (the line index), `input_ids`, `output_tokens`,
//!   and `lora_request` only with a task id and a LoRA directory;
//! - lengths `max(1, ceil(mean + stdev * z))` with z standard normal. The original re-seeds numpy
//!   with the same seed before drawing the output lengths, so request i uses the same z for its input
//!   and its output length; we do the same;
//! - ids drawn from `0..vocab_size` (HF `tokenizer.vocab_size`: the base vocabulary without added
//!   special tokens), distinct within a request when it is shorter than the vocabulary
//!   (`random.sample`), with replacement otherwise (`random.choices`); the EOS id becomes EOS + 1.
//!
//! Not kept: bit-identity with numpy / CPython's Mersenne Twister. We use our own small generator,
//! deterministic for a seed on every platform.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ingest::fields::parse_json;
use crate::util::error::{Error, ReadError};

/// `--random-seed` default of prepare_dataset.py.
pub const DEFAULT_SEED: u64 = 420;

/// One normal length distribution (`--input-mean/--input-stdev`). Integers, as the original's
/// click options are `type=int`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormDist {
    pub mean: i64,
    pub stdev: i64,
}

/// Everything `token-norm-dist` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenNormDist {
    pub num_requests: u64,
    pub input: NormDist,
    pub output: NormDist,
    pub vocab_size: u32,
    /// Replaced by `eos + 1` when drawn, as the original does.
    pub eos_id: Option<u32>,
    pub seed: u64,
    /// `--task-id`: -1 means none. Only with `lora_dir` does it add a `lora_request`.
    pub task_id: i64,
    pub lora_dir: Option<String>,
}

impl TokenNormDist {
    /// Flag values that make no dataset: each message names the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.num_requests == 0 {
            return Err("--num-requests must be at least 1".into());
        }
        for (name, d) in [("input", self.input), ("output", self.output)] {
            if d.mean < 1 {
                return Err(format!("--{name}-mean must be at least 1, got {}", d.mean));
            }
            if d.stdev < 0 {
                return Err(format!(
                    "--{name}-stdev must be >= 0 (0 gives fixed lengths), got {}",
                    d.stdev
                ));
            }
        }
        if self.vocab_size == 0 {
            return Err("--vocab-size must be at least 1".into());
        }
        Ok(())
    }

    /// The warning the original prints when a task id has no LoRA directory to go with it.
    pub fn warning(&self) -> Option<String> {
        (self.task_id != -1 && self.lora_dir.is_none()).then(|| {
            "--task-id needs --lora-dir to add a lora_request; the lines carry none".to_string()
        })
    }
}

/// min / max / sum of a set of lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LengthStats {
    pub min: u64,
    pub max: u64,
    pub sum: u64,
}

impl LengthStats {
    fn add(&mut self, n: u64, first: bool) {
        if first {
            (self.min, self.max) = (n, n);
        }
        self.min = self.min.min(n);
        self.max = self.max.max(n);
        self.sum += n;
    }

    pub fn mean(&self, count: u64) -> f64 {
        if count == 0 {
            0.0
        } else {
            self.sum as f64 / count as f64
        }
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DatasetSummary {
    pub num_requests: u64,
    pub input: LengthStats,
    pub output: LengthStats,
}

/// `max(1, ceil(mean + stdev * z))`, the original's `get_norm_dist_lengths` for one draw.
pub fn norm_length(d: NormDist, z: f64) -> u64 {
    let x = (d.mean as f64 + d.stdev as f64 * z).ceil();
    if x < 1.0 {
        1
    } else {
        // Saturates for absurd values instead of wrapping.
        x as u64
    }
}

/// Writes the dataset line by line; nothing larger than one request is held in memory.
pub fn write_token_norm_dist<W: Write>(
    spec: &TokenNormDist,
    out: &mut W,
) -> io::Result<DatasetSummary> {
    // Lengths and ids come from separate streams, as numpy and `random` are separate in the original.
    let mut lengths = Rng::new(spec.seed, 0);
    let mut tokens = TokenSampler::new(Rng::new(spec.seed, 1), spec.vocab_size, spec.eos_id);
    let lora = lora_request(spec)?;
    let mut ids = Vec::new();
    let mut summary = DatasetSummary::default();
    for i in 0..spec.num_requests {
        let z = lengths.gauss();
        let (isl, osl) = (norm_length(spec.input, z), norm_length(spec.output, z));
        tokens.fill(isl, &mut ids);
        write_line(out, i, &ids, osl, lora.as_deref())?;
        summary.input.add(isl, i == 0);
        summary.output.add(osl, i == 0);
        summary.num_requests += 1;
    }
    out.flush()?;
    Ok(summary)
}

/// Writes the dataset to `path` through `PATH.partial`, renamed into place only when complete, so
/// an interrupted run never leaves a short dataset that looks finished.
pub fn write_file(spec: &TokenNormDist, path: &Path) -> Result<DatasetSummary, Error> {
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::fs::File::create(&partial).map_err(write_err)?;
    let mut out = io::BufWriter::with_capacity(1 << 16, file);
    let summary = write_token_norm_dist(spec, &mut out).map_err(write_err)?;
    drop(out);
    std::fs::rename(&partial, path).map_err(write_err)?;
    Ok(summary)
}

/// The `"lora_request":{...}` member, built once (the task id is the same on every line).
fn lora_request(spec: &TokenNormDist) -> io::Result<Option<String>> {
    let Some(dir) = spec.lora_dir.as_deref().filter(|_| spec.task_id != -1) else {
        return Ok(None);
    };
    let id = spec.task_id;
    let path = serde_json::to_string(&path_join(dir, &id.to_string()))?;
    Ok(Some(format!(
        "{{\"lora_name\":\"lora_{id}\",\"lora_int_id\":{id},\"lora_path\":{path}}}"
    )))
}

/// `os.path.join(dir, name)` for a relative name.
fn path_join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// `json.dumps(d, separators=(',', ':'))` of one request, keys in the original's order.
fn write_line<W: Write>(
    out: &mut W,
    task_id: u64,
    ids: &[u32],
    output_tokens: u64,
    lora: Option<&str>,
) -> io::Result<()> {
    let mut digits = [0u8; 20];
    out.write_all(b"{\"task_id\":")?;
    out.write_all(decimal(task_id, &mut digits))?;
    out.write_all(b",\"input_ids\":[")?;
    for (k, &id) in ids.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        out.write_all(decimal(u64::from(id), &mut digits))?;
    }
    out.write_all(b"],\"output_tokens\":")?;
    out.write_all(decimal(output_tokens, &mut digits))?;
    if let Some(lora) = lora {
        out.write_all(b",\"lora_request\":")?;
        out.write_all(lora.as_bytes())?;
    }
    out.write_all(b"}\n")
}

/// Decimal digits of `n` without going through `fmt` (millions of ids per dataset).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// Token ids for one request at a time, the original's `gen_random_tokens`.
struct TokenSampler {
    rng: Rng,
    vocab: u32,
    eos: Option<u32>,
    seen: HashSet<u32>,
    /// A permutation of `0..vocab` for long requests; partial Fisher-Yates from any permutation
    /// is still a uniform sample, so it is never reset.
    pool: Vec<u32>,
}

impl TokenSampler {
    fn new(rng: Rng, vocab: u32, eos: Option<u32>) -> TokenSampler {
        TokenSampler {
            rng,
            vocab,
            eos: eos.filter(|&e| e < vocab),
            seen: HashSet::new(),
            pool: Vec::new(),
        }
    }

    fn fill(&mut self, len: u64, out: &mut Vec<u32>) {
        out.clear();
        let vocab = u64::from(self.vocab);
        if len >= vocab {
            // `random.choices`: with replacement.
            for _ in 0..len {
                out.push(self.rng.below(self.vocab));
            }
        } else if len * 2 <= vocab {
            self.sample_sparse(len, out);
        } else {
            self.sample_dense(len, out);
        }
        if let Some(eos) = self.eos {
            let next = ((u64::from(eos) + 1) % vocab) as u32;
            out.iter_mut()
                .filter(|id| **id == eos)
                .for_each(|id| *id = next);
        }
    }

    /// Distinct ids, few of the vocabulary: draw and skip repeats.
    fn sample_sparse(&mut self, len: u64, out: &mut Vec<u32>) {
        self.seen.clear();
        while (out.len() as u64) < len {
            let id = self.rng.below(self.vocab);
            if self.seen.insert(id) {
                out.push(id);
            }
        }
    }

    /// Distinct ids, most of the vocabulary: partial Fisher-Yates over the pool.
    fn sample_dense(&mut self, len: u64, out: &mut Vec<u32>) {
        if self.pool.is_empty() {
            self.pool = (0..self.vocab).collect();
        }
        let n = self.pool.len();
        for i in 0..len as usize {
            let j = i + self.rng.below((n - i) as u32) as usize;
            self.pool.swap(i, j);
            out.push(self.pool[i]);
        }
    }
}

/// xoshiro256** seeded through splitmix64: the same stream for a seed on every platform and
/// Rust version (rand's SmallRng promises neither).
pub struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Rng {
    /// `stream` separates independent sequences drawn from one user seed.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) from 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject); 0 when n is 0.
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() >> 32) * u64::from(n);
            if (m as u32) >= threshold {
                return (m >> 32) as u32;
            }
        }
    }

    /// Standard normal by the polar method, keeping the second value for the next call as
    /// numpy's legacy `gauss` does.
    pub fn gauss(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let x1 = 2.0 * self.unit() - 1.0;
            let x2 = 2.0 * self.unit() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 > 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.spare = Some(f * x1);
                return f * x2;
            }
        }
    }
}

/// What a HF `tokenizer.json` says about the id space.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenizerInfo {
    pub path: PathBuf,
    /// Entries of `model.vocab`: HF `tokenizer.vocab_size`, which leaves the added tokens out.
    pub vocab_size: u32,
    /// Entries of `added_tokens` (special tokens mostly), not sampled.
    pub added_tokens: usize,
    /// The EOS id, when a `tokenizer_config.json` beside it names the EOS token.
    pub eos_id: Option<u32>,
}

/// Reads `tokenizer.json` (or `DIR/tokenizer.json`) and the `tokenizer_config.json` beside it.
pub fn tokenizer_info(path: &Path) -> Result<TokenizerInfo, ReadError> {
    let file = if path.is_dir() {
        path.join("tokenizer.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| ReadError::io(&file, &e))?;
    let root = parse_json(&file, &text)?;
    let vocab = root
        .get("model")
        .and_then(|m| m.get("vocab"))
        .ok_or_else(|| ReadError::field(&file, "model.vocab", "the model's vocabulary"))?;
    let vocab_size = match vocab {
        // BPE / WordPiece / WordLevel: {token: id}; Unigram: [[piece, score], ...].
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => {
            return Err(ReadError::field(
                &file,
                "model.vocab",
                "an object or a list of tokens",
            ))
        }
    };
    let vocab_size = u32::try_from(vocab_size)
        .map_err(|_| ReadError::field(&file, "model.vocab", "fewer than 2^32 tokens"))?;
    let added = root.get("added_tokens").and_then(Value::as_array);
    let eos_id = eos_token(&file)
        .and_then(|eos| token_id(&eos, vocab, added.map(Vec::as_slice).unwrap_or(&[])));
    Ok(TokenizerInfo {
        path: file,
        vocab_size,
        added_tokens: added.map_or(0, Vec::len),
        eos_id,
    })
}

/// `eos_token` of the `tokenizer_config.json` next to `tokenizer.json`, if there is one.
fn eos_token(tokenizer_json: &Path) -> Option<String> {
    let config = tokenizer_json.with_file_name("tokenizer_config.json");
    let text = std::fs::read_to_string(config).ok()?;
    let root: Value = serde_json::from_str(&text).ok()?;
    match root.get("eos_token")? {
        Value::String(s) => Some(s.clone()),
        other => other.get("content")?.as_str().map(str::to_string),
    }
}

fn token_id(token: &str, vocab: &Value, added: &[Value]) -> Option<u32> {
    let from_added = added
        .iter()
        .find(|t| t.get("content").and_then(Value::as_str) == Some(token))
        .and_then(|t| t.get("id")?.as_u64());
    let id = from_added.or_else(|| vocab.get(token)?.as_u64())?;
    u32::try_from(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn length_is_ceil_clipped_to_one() {
        let d = NormDist {
            mean: 128,
            stdev: 10,
        };
        assert_eq!(norm_length(d, 0.0), 128);
        assert_eq!(norm_length(d, 0.01), 129); // ceil(128.1)
        assert_eq!(norm_length(d, -0.01), 128); // ceil(127.9)
        assert_eq!(norm_length(d, -13.0), 1); // ceil(-2) clipped
        let fixed = NormDist {
            mean: 128,
            stdev: 0,
        };
        assert_eq!(norm_length(fixed, 5.0), 128);
    }

    #[test]
    fn decimal_digits() {
        let mut b = [0u8; 20];
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(128_255, &mut b), b"128255");
        assert_eq!(decimal(u64::MAX, &mut b), b"18446744073709551615");
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1, 0);
        let mut hits = [0u32; 7];
        for _ in 0..7000 {
            let v = rng.below(7) as usize;
            hits[v] += 1;
        }
        assert!(hits.iter().all(|&h| (800..1200).contains(&h)), "{hits:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn distinct_ids_short_and_long_requests() {
        let mut s = TokenSampler::new(Rng::new(3, 1), 100, None);
        let mut ids = Vec::new();
        for len in [10u64, 60, 99] {
            s.fill(len, &mut ids);
            let set: HashSet<u32> = ids.iter().copied().collect();
            assert_eq!(set.len() as u64, len, "len {len}");
            assert!(ids.iter().all(|&i| i < 100));
        }
        // As long as the vocabulary or longer: with replacement.
        s.fill(250, &mut ids);
        assert_eq!(ids.len(), 250);
        assert!(ids.iter().all(|&i| i < 100));
    }

    #[test]
    fn eos_is_replaced_by_the_next_id() {
        // 3 distinct ids of 4: EOS 3 never shows, and 0 shows twice whenever both 0 and 3 were drawn.
        let mut s = TokenSampler::new(Rng::new(5, 1), 4, Some(3));
        let mut ids = Vec::new();
        let mut doubled = 0;
        for _ in 0..50 {
            s.fill(3, &mut ids);
            assert!(!ids.contains(&3), "{ids:?}");
            doubled += usize::from(ids.iter().filter(|&&i| i == 0).count() == 2);
        }
        assert!(doubled > 10, "{doubled}");
    }

    #[test]
    fn lora_request_only_with_task_id_and_dir() {
        let mut s = spec(1, (3, 0), (2, 0), 50);
        s.task_id = 7;
        let mut out = Vec::new();
        write_token_norm_dist(&s, &mut out).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("lora_request"));
        assert!(s.warning().is_some());
        s.lora_dir = Some("loras/".into());
        let mut out = Vec::new();
        write_token_norm_dist(&s, &mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.ends_with(
                ",\"output_tokens\":2,\"lora_request\":{\"lora_name\":\"lora_7\",\"lora_int_id\":7,\"lora_path\":\"loras/7\"}}\n"
            ),
            "{line}"
        );
        assert_eq!(path_join("a", "7"), "a/7");
    }

    #[test]
    fn validation_names_the_flag() {
        assert!(spec(0, (1, 0), (1, 0), 5)
            .validate()
            .unwrap_err()
            .contains("--num-requests"));
        assert!(spec(1, (1, -1), (1, 0), 5)
            .validate()
            .unwrap_err()
            .contains("--input-stdev"));
        assert!(spec(1, (1, 0), (0, 0), 5)
            .validate()
            .unwrap_err()
            .contains("--output-mean"));
        assert!(spec(1, (1, 0), (1, 0), 0)
            .validate()
            .unwrap_err()
            .contains("--vocab-size"));
        assert_eq!(spec(1, (1, 0), (1, 0), 1).validate(), Ok(()));
    }
}
