//! What ran, from the files beside the results: the runner's run.json (server command,
//! client and server versions, nvidia-smi), aiperf's `input_config`, the points themselves
//! (model, engine, tool version) and the config files found beside the runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use crate::ingest::fields::parse_json;
use crate::ingest::read_text;
use crate::model::{Source, Sweep, Warning};
use crate::store::{short_hash, Fingerprint};

/// aiperf's aggregate file, whose `input_config` holds the client settings.
const AIPERF_JSON: &str = "profile_export_aiperf.json";

/// The fingerprint of a sweep, when its run started (earliest run.json `started_at`), and
/// warnings for files that were there but unreadable.
pub struct Found {
    pub fingerprint: Fingerprint,
    pub started: Option<String>,
    pub warnings: Vec<Warning>,
}

/// The directory a point's files sit in.
pub(super) fn point_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// A JSON file beside the results; `None` when it is not there, a warning when it is unreadable.
pub(super) fn read_json(path: &Path, warnings: &mut Vec<Warning>) -> Option<Value> {
    if !path.is_file() {
        return None;
    }
    match read_text(path).and_then(|t| parse_json(path, &t)) {
        Ok(v) => Some(v),
        Err(e) => {
            warnings.push(Warning {
                path: path.to_path_buf(),
                message: format!("left out of the fingerprint: {}", e.message),
            });
            None
        }
    }
}

/// GPU names, count, driver and CUDA version from `nvidia-smi`'s table.
pub fn parse_nvidia_smi(
    text: &str,
) -> (Option<String>, Option<i64>, Option<String>, Option<String>) {
    let grab = |re: &str| {
        Regex::new(re)
            .ok()
            .and_then(|r| r.captures(text).map(|c| c[1].to_string()))
    };
    let driver = grab(r"Driver Version:\s*(\S+)");
    let cuda = grab(r"CUDA Version:\s*(\S+)");
    // `|   0  NVIDIA H100 80GB HBM3          On  |   00000000:00:06.0 Off |`
    let row = Regex::new(r"(?m)^\|\s+(\d+)\s+(\S.*?)\s+(On|Off)\s+\|\s+[0-9A-Fa-f]{4,8}:").ok();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut count = 0i64;
    if let Some(row) = row {
        for c in row.captures_iter(text) {
            count += 1;
            names.insert(c[2].trim().to_string());
        }
    }
    let names: Vec<String> = names.into_iter().collect();
    let name = (!names.is_empty()).then(|| names.join(", "));
    (name, (count > 0).then_some(count), driver, cuda)
}

/// The server command without where it listens (a new port each run is not a new setup).
fn server_command(argv: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in argv.iter().filter_map(Value::as_str) {
        if skip {
            skip = false;
            continue;
        }
        if a == "--port" || a == "--host" {
            skip = true;
            continue;
        }
        if a.starts_with("--port=") || a.starts_with("--host=") {
            continue;
        }
        out.push(a.to_string());
    }
    out
}

/// aiperf's client settings without what differs from point to point (load, request count,
/// lengths, where the artifacts and the server are).
fn client_settings(input_config: &Value) -> Value {
    let mut v = input_config.clone();
    if let Some(obj) = v.as_object_mut() {
        for key in ["artifacts", "phases", "datasets"] {
            obj.remove(key);
        }
        if let Some(endpoint) = obj.get_mut("endpoint").and_then(Value::as_object_mut) {
            endpoint.remove("urls");
        }
    }
    v
}

fn first<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    items.into_iter().flatten().next().map(str::to_string)
}

/// Everything known about what ran the sweep.
pub fn fingerprint(sweep: &Sweep) -> Found {
    let mut warnings = Vec::new();
    let dirs: BTreeSet<PathBuf> = sweep.points.iter().map(|p| point_dir(&p.path)).collect();
    let manifests: Vec<Value> = dirs
        .iter()
        .filter_map(|d| read_json(&d.join(crate::commands::run::manifest::FILE), &mut warnings))
        .collect();
    let aiperf_dirs: BTreeSet<PathBuf> = sweep
        .points
        .iter()
        .filter(|p| p.source == Source::Aiperf)
        .map(|p| point_dir(&p.path))
        .collect();
    let client_configs: BTreeSet<String> = aiperf_dirs
        .iter()
        .filter_map(|d| read_json(&d.join(AIPERF_JSON), &mut warnings))
        .filter_map(|v| v.get("input_config").map(client_settings))
        .map(|v| v.to_string())
        .collect();

    let text = |v: &Value, path: &[&str]| -> Option<String> {
        let mut cur = v;
        for k in path {
            cur = cur.get(k)?;
        }
        cur.as_str().map(str::to_string)
    };
    let m = manifests.first();
    let smi = manifests.iter().find_map(|v| text(v, &["nvidia_smi"]));
    let (gpu_name, gpu_count, driver, cuda) = smi
        .as_deref()
        .map(parse_nvidia_smi)
        .unwrap_or((None, None, None, None));
    let p0 = sweep.points.first();
    let server_argv = m
        .and_then(|v| v.pointer("/context/server/as_given"))
        .and_then(Value::as_array)
        .map(|a| server_command(a));
    let engine = first([p0.and_then(|p| p.backend.as_deref())]).or_else(|| {
        server_argv
            .as_ref()
            .and_then(|a| a.first())
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
    });
    let tool_is_engine = p0.is_some_and(|p| p.source == Source::TrtllmBench);
    let engine_version = m
        .and_then(|v| text(v, &["context", "server", "version"]))
        .or_else(|| {
            tool_is_engine
                .then(|| p0.and_then(|p| p.tool_version.clone()))
                .flatten()
        });

    // Config files beside the runs (found when the sweep was loaded), configs the runner
    // copied, and the client's settings.
    let mut config_texts: BTreeSet<String> = sweep.configs.iter().map(|c| c.text.clone()).collect();
    for v in &manifests {
        for c in v
            .pointer("/context/config_files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(t) = c.get("text").and_then(Value::as_str) {
                config_texts.insert(t.to_string());
            }
        }
    }
    config_texts.extend(client_configs);
    let config_hash = (!config_texts.is_empty()).then(|| {
        short_hash(
            config_texts
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n--\n")
                .as_bytes(),
        )
    });

    let started = manifests
        .iter()
        .filter_map(|v| text(v, &["started_at"]))
        .min();
    Found {
        fingerprint: Fingerprint {
            model: first([p0.and_then(|p| p.model.as_deref())])
                .or_else(|| m.and_then(|v| text(v, &["context", "model"]))),
            gpu_name,
            gpu_count: gpu_count.or_else(|| p0.and_then(|p| p.num_gpus).map(|n| n as i64)),
            driver,
            cuda,
            engine,
            engine_version,
            client: m
                .and_then(|v| text(v, &["client", "tool"]))
                .or_else(|| p0.map(|p| p.source.name().to_string())),
            client_version: m
                .and_then(|v| text(v, &["client", "version"]))
                .or_else(|| p0.and_then(|p| p.tool_version.clone())),
            server_cmd_hash: server_argv.map(|a| short_hash(a.join("\u{1f}").as_bytes())),
            config_hash,
        },
        started,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_of_the_real_h100_run() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/history/gpu_aa_run_1");
        let input = crate::ingest::Input::parse(&dir.display().to_string());
        let sweep = crate::ingest::load(&[input], &Default::default()).unwrap();
        let found = fingerprint(&sweep);
        let f = &found.fingerprint;
        // Values from run.json (nvidia_smi, client, context.server) and the aiperf JSON.
        assert_eq!(f.model.as_deref(), Some("llama-1.1b-random"));
        assert_eq!(f.gpu_name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert_eq!(f.gpu_count, Some(1));
        assert_eq!(f.driver.as_deref(), Some("580.159.04"));
        assert_eq!(f.cuda.as_deref(), Some("13.0"));
        assert_eq!(f.engine.as_deref(), Some("python3"));
        assert_eq!(f.engine_version, None);
        assert_eq!(f.client.as_deref(), Some("aiperf"));
        assert_eq!(f.client_version.as_deref(), Some("0.13.0"));
        // as_given: python3 tools/gpu_server.py --port 8011 --max-batch 8
        assert_eq!(
            f.server_cmd_hash,
            Some(short_hash(
                "python3\u{1f}tools/gpu_server.py\u{1f}--max-batch\u{1f}8".as_bytes()
            ))
        );
        assert!(f.config_hash.is_some());
        assert_eq!(found.started.as_deref(), Some("2026-11-25T14:19:03Z"));
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn server_command_leaves_out_the_listen_address() {
        let a: Vec<Value> = [
            "python3",
            "srv.py",
            "--port",
            "8011",
            "--max-batch",
            "8",
            "--host=0.0.0.0",
        ]
        .iter()
        .map(|s| Value::from(*s))
        .collect();
        assert_eq!(
            server_command(&a),
            vec!["python3", "srv.py", "--max-batch", "8"]
        );
    }

    #[test]
    fn nvidia_smi_of_a_multi_gpu_box() {
        let text =
            "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |\n\
|   0  NVIDIA H200                    On  |   00000000:18:00.0 Off |                    0 |\n\
|   1  NVIDIA H200                    On  |   00000000:2A:00.0 Off |                    0 |\n";
        let (name, count, driver, cuda) = parse_nvidia_smi(text);
        assert_eq!(name.as_deref(), Some("NVIDIA H200"));
        assert_eq!(count, Some(2));
        assert_eq!(driver.as_deref(), Some("550.54.15"));
        assert_eq!(cuda.as_deref(), Some("12.4"));
    }
}
