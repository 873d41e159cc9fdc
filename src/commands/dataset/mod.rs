//! `adreport dataset token-norm-dist`: a synthetic trtllm-bench dataset to a file or stdout.

pub mod token_norm_dist;

use std::path::{Path, PathBuf};

use super::Outcome;
use crate::util::error::Error;
use token_norm_dist::{
    tokenizer_info, write_file, write_token_norm_dist, DatasetSummary, NormDist, TokenNormDist,
};

/// Where the ids come from: `--vocab-size N`, or a Hugging Face tokenizer directory.
pub enum Vocabulary {
    Size(u32),
    Tokenizer(PathBuf),
}

/// `token-norm-dist` as asked; the dataset spec is made from it once the vocabulary is read.
pub struct TokenNormDistOptions {
    pub num_requests: u64,
    pub input: NormDist,
    pub output: NormDist,
    pub vocabulary: Vocabulary,
    /// `--eos-id`, over the tokenizer's own.
    pub eos_id: Option<u32>,
    pub seed: u64,
    pub task_id: i64,
    pub lora_dir: Option<String>,
    /// The file to write; stdout without it.
    pub out: Option<PathBuf>,
}

pub fn token_norm_dist(o: &TokenNormDistOptions) -> Result<Outcome, Error> {
    let spec = spec(o)?;
    if let Some(w) = spec.warning() {
        eprintln!("warning: {w}");
    }
    let summary = match &o.out {
        Some(path) => write_file(&spec, path)?,
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match write_token_norm_dist(&spec, &mut out) {
                Ok(s) => s,
                // `| head`: the reader has what it wanted.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Outcome::Done),
                Err(source) => {
                    return Err(Error::Write {
                        path: "<stdout>".into(),
                        source,
                    })
                }
            }
        }
    };
    eprintln!("{}", describe(&summary, o.out.as_deref()));
    Ok(Outcome::Done)
}

/// The dataset spec; the vocabulary size and EOS id from the tokenizer when one is given.
fn spec(o: &TokenNormDistOptions) -> Result<TokenNormDist, Error> {
    let (vocab_size, eos_id) = match &o.vocabulary {
        Vocabulary::Tokenizer(path) => {
            let info = tokenizer_info(path)?;
            eprintln!(
                "{}: {} ids in model.vocab ({} added tokens left out), EOS id {}",
                info.path.display(),
                info.vocab_size,
                info.added_tokens,
                info.eos_id
                    .map_or("unknown (no tokenizer_config.json eos_token)".into(), |e| {
                        e.to_string()
                    })
            );
            (info.vocab_size, info.eos_id)
        }
        Vocabulary::Size(n) => (*n, None),
    };
    let spec = TokenNormDist {
        num_requests: o.num_requests,
        input: o.input,
        output: o.output,
        vocab_size,
        eos_id: o.eos_id.or(eos_id),
        seed: o.seed,
        task_id: o.task_id,
        lora_dir: o.lora_dir.clone(),
    };
    spec.validate().map_err(Error::Usage)?;
    Ok(spec)
}

fn describe(s: &DatasetSummary, path: Option<&Path>) -> String {
    let n = s.num_requests;
    format!(
        "wrote {n} requests to {}: input {}..{} tokens (avg {:.1}), output {}..{} (avg {:.1})",
        path.map_or("stdout".into(), |p| p.display().to_string()),
        s.input.min,
        s.input.max,
        s.input.mean(n),
        s.output.min,
        s.output.max,
        s.output.mean(n),
    )
}
