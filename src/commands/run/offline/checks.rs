//! Checks of the options YAMLs before anything runs.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use super::settings::Settings;
use crate::commands::run::autodeploy::{self, Context};
use crate::commands::run::RunError;

/// Every options YAML is readable, and each `_autodeploy` one passes the AutoDeploy checks.
/// Returns the warnings; all errors at once in one `Err`.
pub fn check_options(s: &Settings) -> Result<Vec<String>, RunError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut checked = BTreeSet::new();
    for b in &s.backends {
        let Some(path) = s.options.get(b) else {
            continue;
        };
        if b != "_autodeploy" {
            if let Err(e) = fs::metadata(path).and_then(|m| {
                m.is_file()
                    .then_some(())
                    .ok_or_else(|| std::io::Error::other("not a file"))
            }) {
                errors.push(format!("{} (options of {b}): {e}", path.display()));
            }
            continue;
        }
        if !checked.insert(path.clone()) {
            continue;
        }
        let ctx = Context {
            tp: Some(s.tp),
            batch_sizes: s.batch_sizes.clone(),
        };
        match autodeploy::check_file(path, &ctx).into_result() {
            Ok(w) => warnings.extend(w.iter().map(ToString::to_string)),
            Err(e) => errors.push(e.to_string()),
        }
        if s.tp > 1 && !has_world_size(path) {
            warnings.push(format!(
                "{}: no `world_size` with --tp {}; AutoDeploy's guide says to set it to the GPU count",
                path.display(),
                s.tp
            ));
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(RunError::Usage(format!(
            "the options files do not pass, nothing was run:\n  {}",
            errors.join("\n  ")
        )))
    }
}

fn has_world_size(path: &Path) -> bool {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_yaml::from_str::<serde_yaml::Value>(&t).ok())
        .is_some_and(|v| v.get("world_size").is_some())
}
