//! `--emit-k8s DIR`: one Kubernetes `batch/v1` Job per unit (config x repeat), written and not
//! launched. Each Job's pod runs the same `adreport run online|offline --config` for its
//! config in `--image`, with the config's settings in an environment variable and OUT on a
//! PersistentVolumeClaim mounted at the same path, so the settings' `out` holds inside too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::options::K8sOptions;
use super::{absolute, Matrix, Unit};
use crate::commands::run::RunError;

/// Where the pod writes the settings before running adreport.
const SETTINGS_IN_POD: &str = "/tmp/adreport-settings.yaml";
/// The environment variable holding them.
const SETTINGS_ENV: &str = "ADREPORT_SETTINGS";

/// The sweep's name in the Jobs' labels: OUT's directory name.
pub fn sweep_name(out: &Path) -> String {
    absolute(out)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into())
}

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending alphanumeric,
/// at most 63 characters (Job names become pod labels, which allow no more).
pub fn dns_label(text: &str) -> String {
    let mut s: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s: String = s.trim_matches('-').chars().take(63).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "x".into()
    } else {
        s
    }
}

/// A label value: up to 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends.
fn label_value(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    s.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// The Job of one unit.
pub fn job(m: &Matrix, unit: &Unit, opts: &K8sOptions) -> Value {
    let sweep = sweep_name(&m.out);
    let name = dns_label(&match unit.repeat {
        Some(k) => format!("adreport-{sweep}-{}-rep-{k}", unit.config.label),
        None => format!("adreport-{sweep}-{}", unit.config.label),
    });
    let mut labels = json!({
        "app.kubernetes.io/name": "adreport",
        "adreport/sweep": label_value(&sweep),
        "adreport/config": label_value(&unit.config.label),
    });
    if let Some(k) = unit.repeat {
        labels["adreport/repeat"] = json!(k.to_string());
    }
    let mut args = vec!["adreport".to_string()];
    args.extend(unit.command_args(m.runner, Path::new(SETTINGS_IN_POD)));
    let script = format!(
        "printf '%s\\n' \"${SETTINGS_ENV}\" > {SETTINGS_IN_POD} && exec {}",
        shell_words::join(&args)
    );
    let gpus = opts.gpus_per_job.or(unit.config.gpus).unwrap_or(1);
    let out = absolute(&m.out).display().to_string();
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            // A failed sweep is not retried by Kubernetes: its finished points are kept,
            // and applying the Job again resumes with the rest.
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "adreport",
                        "image": opts.image,
                        "command": ["sh", "-c", script],
                        "env": [{"name": SETTINGS_ENV, "value": unit.config.settings_yaml}],
                        "resources": {"limits": {"nvidia.com/gpu": gpus}},
                        "volumeMounts": [{"name": "out", "mountPath": out}],
                    }],
                    "volumes": [{
                        "name": "out",
                        "persistentVolumeClaim": {"claimName": opts.pvc},
                    }],
                },
            },
        },
    })
}

/// Writes `DIR/NAME.yaml` for every unit with points not complete (all with `force`);
/// returns the files.
pub fn emit(m: &Matrix, opts: &K8sOptions, force: bool) -> Result<Vec<PathBuf>, RunError> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| RunError::io(&opts.dir, e))?;
    let mut names = BTreeSet::new();
    let mut files = Vec::new();
    for u in m.units().iter().filter(|u| force || !u.is_done()) {
        let job = job(m, u, opts);
        let name = job["metadata"]["name"]
            .as_str()
            .unwrap_or("job")
            .to_string();
        if !names.insert(name.clone()) {
            return Err(RunError::Usage(format!(
                "two configs make the same Kubernetes Job name `{name}`: give them labels that differ in more than case and punctuation"
            )));
        }
        let text = serde_yaml::to_string(&job).map_err(|e| RunError::Other(e.to_string()))?;
        let path = opts.dir.join(format!("{name}.yaml"));
        crate::util::write::write_atomic(&path, text.as_bytes())
            .map_err(|e| RunError::Other(e.to_string()))?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::run::fanout::tests::matrix;

    fn opts(dir: &Path) -> K8sOptions {
        K8sOptions {
            dir: dir.to_path_buf(),
            image: "nvcr.io/nvidia/tensorrt-llm/release:1.0".into(),
            pvc: "bench-results".into(),
            gpus_per_job: Some(8),
        }
    }

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(
            dns_label("adreport-Runs_2026-base"),
            "adreport-runs-2026-base"
        );
        assert_eq!(dns_label("--a..b--"), "a-b");
        assert_eq!(dns_label(&"x".repeat(80)).len(), 63);
        assert_eq!(dns_label(&format!("{}-y", "a".repeat(62))), "a".repeat(62));
        assert_eq!(label_value("tp8 / pp1"), "tp8___pp1");
    }

    #[test]
    fn one_job_per_unit_with_the_runner_command() {
        let dir = tempfile::tempdir().unwrap();
        let out = Path::new("/results/sweep-1");
        let m = matrix(out, 2, false);
        let u = m.units()[3];
        let j = job(&m, &u, &opts(dir.path()));
        assert_eq!(j["metadata"]["name"], "adreport-sweep-1-b-rep-2");
        assert_eq!(j["metadata"]["labels"]["adreport/sweep"], "sweep-1");
        assert_eq!(j["metadata"]["labels"]["adreport/repeat"], "2");
        assert_eq!(j["spec"]["backoffLimit"], 0);
        let pod = &j["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let c = &pod["containers"][0];
        assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], 8);
        assert_eq!(c["env"][0]["value"], "label: b\n");
        assert_eq!(
            c["command"][2],
            "printf '%s\\n' \"$ADREPORT_SETTINGS\" > /tmp/adreport-settings.yaml && exec adreport run online --config /tmp/adreport-settings.yaml --repeats 2 --repeat 2"
        );
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/results/sweep-1");
        assert_eq!(
            pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "bench-results"
        );
        let files = emit(&m, &opts(dir.path()), false).unwrap();
        assert_eq!(files.len(), 4);
        let back: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        assert_eq!(back["metadata"]["name"], "adreport-sweep-1-a-rep-1");
    }

    #[test]
    fn clashing_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = matrix(dir.path(), 1, false);
        m.configs[1].label = "A".into();
        let err = emit(&m, &opts(&dir.path().join("k8s")), false).unwrap_err();
        assert!(
            err.to_string().contains("same Kubernetes Job name"),
            "{err}"
        );
    }
}
