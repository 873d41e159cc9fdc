//! Engine config files found beside the runs, as reports show and compare them.
//! Ingest finds and parses them (`ingest::configs`); the [`super::Sweep`] carries them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One config file found beside the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFile {
    /// Which run label(s) it belongs to and where, e.g. `tuned: extra_llm_api_options.yaml`.
    pub label: String,
    pub path: PathBuf,
    /// The file as written.
    pub text: String,
    /// Dotted keys -> scalar values; a list of scalars is one value, `[1, 2, 4]`.
    pub flat: BTreeMap<String, String>,
}

/// Keys whose values differ between two configs (missing on one side counts), in key order.
pub fn config_diff(
    a: &ConfigFile,
    b: &ConfigFile,
) -> Vec<(String, Option<String>, Option<String>)> {
    let keys: BTreeSet<&String> = a.flat.keys().chain(b.flat.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (va, vb) = (a.flat.get(k), b.flat.get(k));
            (va != vb).then(|| (k.clone(), va.cloned(), vb.cloned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_and_missing_keys() {
        let cfg = |pairs: &[(&str, &str)]| ConfigFile {
            label: String::new(),
            path: PathBuf::new(),
            text: String::new(),
            flat: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let a = cfg(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let b = cfg(&[("a", "1"), ("b", "5"), ("d", "4")]);
        assert_eq!(
            config_diff(&a, &b),
            vec![
                ("b".into(), Some("2".into()), Some("5".into())),
                ("c".into(), Some("3".into()), None),
                ("d".into(), None, Some("4".into())),
            ]
        );
    }
}
