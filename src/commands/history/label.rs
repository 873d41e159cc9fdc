//! The series label a run's points are stored under. A history compares a label's points run
//! after run, so the label must be the same every night: the name of the directory a nightly
//! job writes (`night_15/`, `results-2026-11-25/`) never is one.
//!
//! In order: `label=PATH` or `history add --label NAME`; the directories below the input that
//! name a series (`night_15/tuned/concurrency_8/` gives `tuned`, as in every command); for
//! points that would otherwise take the input's own name, the `label` the runner recorded in
//! the point's run.json; else, when the run has one such input, the sweep's own fingerprint
//! (`aiperf:mock-llm`: the client and the model, never the environment, so a new driver stays in
//! the series and is reported as an environment change). Several inputs without labels keep
//! their names: those are what tells them apart.

use std::path::Path;

use serde_json::Value;

use super::fingerprint::{point_dir, read_json};
use crate::ingest::{default_label, nested_label, printable, Input};
use crate::model::{Point, Sweep};
use crate::store::Fingerprint;

/// Where a stored label came from, for saying so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelFrom {
    /// `label=PATH`, `--label`, or a directory below the input.
    Given,
    /// The runner's run.json beside the points.
    RunJson,
    /// The sweep's client and model.
    Fingerprint,
    /// The input's own name (several inputs without labels).
    InputName,
}

/// The label of the points of a sweep that carries nothing better: `client:model`.
pub fn fingerprint_label(f: &Fingerprint) -> String {
    match (f.client.as_deref(), f.model.as_deref()) {
        (Some(c), Some(m)) => format!("{c}:{m}"),
        (Some(x), None) | (None, Some(x)) => x.to_string(),
        (None, None) => "sweep".to_string(),
    }
}

/// The `label` field of the runner's run.json in a point's directory.
fn run_json_label(p: &Point) -> Option<String> {
    let dir = point_dir(&p.path);
    let manifest = read_json(
        &dir.join(crate::commands::run::manifest::FILE),
        &mut Vec::new(),
    )?;
    match manifest.get("label") {
        Some(Value::String(l)) if !l.trim().is_empty() => Some(printable(l)),
        _ => None,
    }
}

/// Whether `p` (read from `input`) is named after the input itself: right below it, or the
/// input file, so its label is the input's name (or that name / a reader's sub-series).
fn named_by_input(p: &Point, root: &Path, own: &str) -> bool {
    p.path.starts_with(root)
        && nested_label(root, &p.path).is_none()
        && (p.label == own || p.label.starts_with(&format!("{own}/")))
}

fn relabel(p: &mut Point, own: &str, to: &str) {
    let rename = |label: &mut String| {
        if let Some(rest) = label.strip_prefix(own) {
            *label = format!("{to}{rest}");
        }
    };
    rename(&mut p.label);
    for r in &mut p.repeats {
        rename(&mut r.label);
    }
}

/// Gives the points named after their input a stable label (see the module's rule) and
/// returns every label of the run with where it came from, in the sweep's order.
pub fn stable_labels(
    inputs: &[Input],
    sweep: &mut Sweep,
    fingerprint: &Fingerprint,
) -> Vec<(String, LabelFrom)> {
    let unlabelled: Vec<&Input> = inputs.iter().filter(|i| i.label.is_none()).collect();
    let mut renamed: Vec<(String, LabelFrom)> = Vec::new();
    for input in &unlabelled {
        // As ingest printed it into the labels.
        let own = printable(&default_label(&input.path));
        let mine: Vec<usize> = (0..sweep.points.len())
            .filter(|&i| named_by_input(&sweep.points[i], &input.path, &own))
            .collect();
        if mine.is_empty() {
            continue;
        }
        // The runner's label, when every point of this input that has a run.json agrees.
        let mut recorded: Vec<String> = mine
            .iter()
            .filter_map(|&i| run_json_label(&sweep.points[i]))
            .collect();
        recorded.sort();
        recorded.dedup();
        let (to, from) = match recorded.as_slice() {
            [one] => (one.clone(), LabelFrom::RunJson),
            _ if unlabelled.len() == 1 => (fingerprint_label(fingerprint), LabelFrom::Fingerprint),
            _ => (own.clone(), LabelFrom::InputName),
        };
        for &i in &mine {
            relabel(&mut sweep.points[i], &own, &to);
        }
        renamed.push((to, from));
    }
    sweep
        .labels()
        .into_iter()
        .map(|l| {
            let from = renamed
                .iter()
                .find(|(to, _)| l == *to || l.starts_with(&format!("{to}/")))
                .map_or(LabelFrom::Given, |(_, f)| *f);
            (l, from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_label_is_client_and_model() {
        let mut f = Fingerprint {
            client: Some("aiperf".into()),
            model: Some("mock-llm".into()),
            driver: Some("580.159.04".into()),
            ..Default::default()
        };
        assert_eq!(fingerprint_label(&f), "aiperf:mock-llm");
        f.model = None;
        assert_eq!(fingerprint_label(&f), "aiperf");
        assert_eq!(fingerprint_label(&Fingerprint::default()), "sweep");
    }

    /// Copies the real H100 run (run.json label `run_1`) to `root/night_07/`.
    fn night_of_the_real_run(root: &Path) -> std::path::PathBuf {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/history/gpu_aa_run_1");
        let night = root.join("night_07");
        for point in ["isl_512_osl_128_conc_1", "isl_512_osl_128_conc_2"] {
            std::fs::create_dir_all(night.join(point)).unwrap();
            for f in ["run.json", "profile_export_aiperf.json"] {
                std::fs::copy(from.join(point).join(f), night.join(point).join(f)).unwrap();
            }
        }
        night
    }

    fn labels_of(inputs: &[Input]) -> (Sweep, Vec<(String, LabelFrom)>) {
        let mut sweep = crate::ingest::load(inputs, &Default::default()).unwrap();
        let fp = crate::commands::history::fingerprint::fingerprint(&sweep).fingerprint;
        let labels = stable_labels(inputs, &mut sweep, &fp);
        (sweep, labels)
    }

    #[test]
    fn the_runners_label_wins_over_the_nights_directory_name() {
        let dir = tempfile::tempdir().unwrap();
        let night = night_of_the_real_run(dir.path());
        let input = Input::parse(&night.display().to_string());
        let (sweep, labels) = labels_of(&[input]);
        assert_eq!(labels, [("run_1".to_string(), LabelFrom::RunJson)]);
        assert!(sweep.points.iter().all(|p| p.label == "run_1"));

        // Without run.json: the client and model (aiperf, llama-1.1b-random).
        for point in ["isl_512_osl_128_conc_1", "isl_512_osl_128_conc_2"] {
            std::fs::remove_file(night.join(point).join("run.json")).unwrap();
        }
        let input = Input::parse(&night.display().to_string());
        let (_, labels) = labels_of(&[input]);
        assert_eq!(
            labels,
            [(
                "aiperf:llama-1.1b-random".to_string(),
                LabelFrom::Fingerprint
            )]
        );

        // Given labels stay; two inputs without one keep their names.
        let given = Input::parse(&format!("nightly={}", night.display()));
        assert_eq!(
            labels_of(&[given]).1,
            [("nightly".to_string(), LabelFrom::Given)]
        );
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::rename(
            night.join("isl_512_osl_128_conc_2"),
            other.join("isl_512_osl_128_conc_2"),
        )
        .unwrap();
        let two = [
            Input::parse(&night.display().to_string()),
            Input::parse(&other.display().to_string()),
        ];
        assert_eq!(
            labels_of(&two).1,
            [
                ("night_07".to_string(), LabelFrom::InputName),
                ("other".to_string(), LabelFrom::InputName)
            ]
        );
    }
}
