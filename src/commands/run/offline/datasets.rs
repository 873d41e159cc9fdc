//! The token-norm-dist datasets of an offline sweep: one per ISL/OSL, reused while its spec matches.

use std::fs;
use std::path::{Path, PathBuf};

use crate::commands::dataset::token_norm_dist::{self, TokenNormDist};
use crate::commands::run::RunError;
use crate::util::write::write_atomic;

/// What a dataset was made from, kept beside it: a dataset is reused only for the same spec.
fn spec_text(spec: &TokenNormDist) -> String {
    format!(
        "adreport dataset token-norm-dist\nnum_requests {}\ninput_mean {}\ninput_stdev {}\noutput_mean {}\noutput_stdev {}\nvocab_size {}\neos_id {}\nseed {}\n",
        spec.num_requests,
        spec.input.mean,
        spec.input.stdev,
        spec.output.mean,
        spec.output.stdev,
        spec.vocab_size,
        spec.eos_id.map_or("none".into(), |e| e.to_string()),
        spec.seed
    )
}

fn spec_path(dataset: &Path) -> PathBuf {
    dataset.with_extension("spec")
}

/// Writes the dataset unless a complete one of the same spec is there; says which.
pub fn ensure_dataset(spec: &TokenNormDist, path: &Path) -> Result<String, RunError> {
    let text = spec_text(spec);
    let spec_file = spec_path(path);
    if path.is_file() && fs::read_to_string(&spec_file).is_ok_and(|t| t == text) {
        return Ok(format!("reusing {}", path.display()));
    }
    // The spec goes only after the data, so a spec file always describes a whole dataset.
    let _ = fs::remove_file(&spec_file);
    let summary =
        token_norm_dist::write_file(spec, path).map_err(|e| RunError::Other(e.to_string()))?;
    write_atomic(&spec_file, text.as_bytes()).map_err(|e| RunError::Other(e.to_string()))?;
    Ok(format!(
        "wrote {} requests to {} (input avg {:.1}, output avg {:.1} tokens)",
        summary.num_requests,
        path.display(),
        summary.input.mean(summary.num_requests),
        summary.output.mean(summary.num_requests)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::settings::DatasetSettings;
    use super::*;

    #[test]
    fn datasets_are_reused_only_for_the_same_spec() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        let mut spec = DatasetSettings {
            num_requests: 4,
            isl_stdev: 0,
            osl_stdev: 0,
            vocab_size: 100,
            eos_id: None,
            seed: 1,
        }
        .spec(8, 4);
        assert!(ensure_dataset(&spec, &path)
            .unwrap()
            .starts_with("wrote 4 requests"));
        let first = fs::read_to_string(&path).unwrap();
        assert_eq!(first.lines().count(), 4);
        assert!(ensure_dataset(&spec, &path).unwrap().starts_with("reusing"));
        spec.seed = 2;
        assert!(ensure_dataset(&spec, &path).unwrap().starts_with("wrote"));
        assert_ne!(fs::read_to_string(&path).unwrap(), first);
    }
}
