//! The settings of an AIConfigurator run (model, system, backend, ISL/OSL, SLA) from its
//! exp_config.yaml, its directory name and its rows, and the version that wrote it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_yaml::Value as Yaml;

use super::warning;
use crate::ingest::configs::sorted_entries;
use crate::model::{AicRun, Warning};

// Run settings: configs first, then the directory name, then the rows.

fn yaml_str(c: &Yaml, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        c.get(*k)?
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
}

fn yaml_f64(c: &Yaml, key: &str) -> Option<f64> {
    c.get(key)?.as_f64().filter(|v| v.is_finite() && *v >= 0.0)
}

fn yaml_u64(c: &Yaml, key: &str) -> Option<u64> {
    c.get(key)?.as_u64()
}

/// Fills `slot` from each experiment's config; warns when experiments disagree.
fn agree<T: PartialEq + std::fmt::Display + Clone>(
    what: &str,
    values: Vec<(PathBuf, T)>,
    slot: &mut Option<T>,
    warnings: &mut Vec<Warning>,
) {
    let mut it = values.into_iter();
    let Some((_, first)) = it.next() else { return };
    for (path, v) in it {
        if v != first {
            warnings.push(warning(
                &path,
                format!("{what} is {v} here but {first} in another experiment; using {first}"),
            ));
        }
    }
    *slot = Some(first);
}

pub(super) fn settings_from_configs(run: &mut AicRun) {
    let configs: Vec<(PathBuf, &Yaml)> = run
        .experiments
        .iter()
        .filter_map(|e| Some((e.dir.clone(), e.exp_config.as_ref()?)))
        .collect();
    let collect_u = |k: &str| -> Vec<(PathBuf, u64)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_u64(c, k)?)))
            .collect()
    };
    let collect_f = |k: &str| -> Vec<(PathBuf, f64)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_f64(c, k)?)))
            .collect()
    };
    let collect_s = |keys: &[&str]| -> Vec<(PathBuf, String)> {
        configs
            .iter()
            .filter_map(|(p, c)| Some((p.clone(), yaml_str(c, keys)?)))
            .collect()
    };
    let w = &mut run.warnings;
    agree("isl", collect_u("isl"), &mut run.isl, w);
    agree("osl", collect_u("osl"), &mut run.osl, w);
    agree(
        "the TTFT target",
        collect_f("ttft"),
        &mut run.sla_ttft_ms,
        w,
    );
    agree(
        "the TPOT target",
        collect_f("tpot"),
        &mut run.sla_tpot_ms,
        w,
    );
    agree(
        "total_gpus",
        collect_u("total_gpus"),
        &mut run.total_gpus,
        w,
    );
    // Disagg configs leave the agg keys empty and fill the prefill_/decode_ ones.
    let model = collect_s(&["model_path", "prefill_model_path", "decode_model_path"]);
    agree("the model", model, &mut run.model, w);
    let system = collect_s(&["system_name", "prefill_system_name", "decode_system_name"]);
    agree("the system", system, &mut run.system, w);
    let backend = collect_s(&[
        "backend_name",
        "prefill_backend_name",
        "decode_backend_name",
    ]);
    agree("the backend", backend, &mut run.backend, w);
    let version = collect_s(&[
        "backend_version",
        "prefill_backend_version",
        "decode_backend_version",
    ]);
    agree("the backend version", version, &mut run.backend_version, w);
}

/// `<model>_<system>_<backend>_isl4000_osl500_ttft500_tpot7_<id>` (the TTFT/TPOT written as integers).
pub(super) fn settings_from_dir_name(run: &mut AicRun) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"isl(\d+)_osl(\d+)_ttft(\d+(?:\.\d+)?)_tpot(\d+(?:\.\d+)?)")
            .expect("static regex")
    });
    let name = run
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(c) = re.captures(&name) else { return };
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<f64>().ok());
    let dir = run.dir.clone();
    let mut check = |what: &str, slot: &mut Option<f64>, named: Option<f64>| {
        let Some(named) = named else { return };
        match *slot {
            None => *slot = Some(named),
            // The name truncates the targets to integers.
            Some(v) if v == named || v.trunc() == named => {}
            Some(v) => run.warnings.push(warning(
                &dir,
                format!(
                    "{what} is {v} in exp_config.yaml but {named} in the directory name; using {v}"
                ),
            )),
        }
    };
    let mut isl = run.isl.map(|v| v as f64);
    let mut osl = run.osl.map(|v| v as f64);
    check("isl", &mut isl, num(1));
    check("osl", &mut osl, num(2));
    check("the TTFT target", &mut run.sla_ttft_ms, num(3));
    check("the TPOT target", &mut run.sla_tpot_ms, num(4));
    run.isl = isl.map(|v| v as u64);
    run.osl = osl.map(|v| v as u64);
}

/// Model/backend/system from the rows when no config said; rows that disagree with the run's ISL/OSL.
pub(super) fn settings_from_rows(run: &mut AicRun) {
    let first = run
        .experiments
        .iter()
        .flat_map(|e| e.pareto.iter().chain(&e.best_topn))
        .next()
        .cloned();
    if let Some(r) = first {
        run.model = run.model.take().or(r.model);
        run.backend = run.backend.take().or(r.backend);
        run.system = run.system.take().or(r.system);
        run.backend_version = run.backend_version.take().or(r.version);
        run.isl = run.isl.or(r.isl);
        run.osl = run.osl.or(r.osl);
    }
    let mut notes = Vec::new();
    for e in &run.experiments {
        let odd = e.pareto.iter().find(|r| {
            (r.isl.is_some() && run.isl.is_some() && r.isl != run.isl)
                || (r.osl.is_some() && run.osl.is_some() && r.osl != run.osl)
        });
        if let (Some(r), Some(path)) = (odd, &e.pareto_csv) {
            notes.push(warning(
                path,
                format!(
                    "row {} is for ISL/OSL {:?}/{:?} but the run is {:?}/{:?}; each point keeps its row's values",
                    r.row, r.isl, r.osl, run.isl, run.osl
                ),
            ));
        }
    }
    run.warnings.extend(notes);
}

/// AIConfigurator's own version from a saved stdout that names this save dir
/// (`Loading AIConfigurator version: 0.12.0` ... `Saving results to .../<dir>`), looked for
/// in the save dir and the two directories above it.
pub(super) fn find_aic_version(dir: &Path) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"AIConfigurator version:?\s*v?([0-9][0-9A-Za-z.+-]*)").expect("static regex")
    });
    let name = dir.file_name()?.to_string_lossy().into_owned();
    for d in dir.ancestors().take(3) {
        for f in sorted_entries(d) {
            let fname = f
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let candidate =
                fname.ends_with(".txt") || fname.ends_with(".log") || fname.contains("stdout");
            let small = fs::metadata(&f).is_ok_and(|m| m.is_file() && m.len() <= 8 * 1024 * 1024);
            if !candidate || !small {
                continue;
            }
            let Ok(bytes) = fs::read(&f) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            if !text.contains(&name) {
                continue;
            }
            if let Some(v) = re.captures(&text).and_then(|c| c.get(1)) {
                return Some(v.as_str().trim_end_matches('.').to_string());
            }
        }
    }
    None
}
