//! `--emit-k8s`: the written Jobs checked against Kubernetes' own JSON schema of a batch/v1
//! Job (kubernetes-validate 1.37.0, Kubernetes 1.34 "local-strict": unknown fields are errors),
//! trimmed to what a Job reaches by tests/data/k8s/trim.py:
//!
//!   pip download kubernetes-validate==1.37.0 --no-deps && unzip kubernetes_validate-*.whl
//!   python3 tests/data/k8s/trim.py kubernetes_validate/kubernetes-json-schema/v1.34.0-local-strict \
//!       tests/data/k8s/job-batch-v1.schema.json
//!
//! There is no kubectl here; the schema is checked by the small validator below, which covers
//! every keyword the trimmed schema uses ($ref, type, properties, additionalProperties,
//! required, items, enum, oneOf; `format` is only a hint).

use std::path::Path;

use adreport::commands::run::fanout::options::K8sOptions;
use adreport::commands::run::fanout::{k8s, Config, Matrix};
use serde_json::Value;

mod common;

fn schema() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/k8s/job-batch-v1.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json")
}

/// Errors of `v` against `s`, each with the path of the offending value.
fn validate(root: &Value, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("local ref");
        validate(root, &root["$defs"][name], v, at, errors);
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {types:?}"));
            return;
        }
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
        if !v.is_null() && !allowed.contains(v) {
            errors.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let Some(options) = s.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|o| {
                let mut e = Vec::new();
                validate(root, o, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: {v} matches {matching} of oneOf, not 1"));
        }
    }
    if let Value::Object(map) = v {
        let props = s.get("properties").and_then(Value::as_object);
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = req.as_str().unwrap_or_default();
            if !map.contains_key(key) {
                errors.push(format!("{at}: required field `{key}` is missing"));
            }
        }
        for (k, val) in map {
            let here = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, val, &here, errors),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) if props.is_some() => {
                        errors.push(format!("{here}: unknown field"))
                    }
                    Some(extra @ Value::Object(_)) => validate(root, extra, val, &here, errors),
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(is)) = (v, s.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(root, is, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn errors(job: &Value) -> Vec<String> {
    let s = schema();
    let mut e = Vec::new();
    validate(&s, &s, job, "$", &mut e);
    e
}

fn matrix(out: &Path) -> Matrix {
    let config = |label: &str, gpus| Config {
        label: label.into(),
        dir: out.join(label),
        points: vec!["isl_128_osl_64_conc_1".into()],
        settings_yaml: format!(
            "server-cmd: trtllm-serve m --port 8000\nlabel: {label}\nout: {}\n",
            out.display()
        ),
        gpus,
        search: false,
    };
    Matrix {
        runner: "online",
        out: out.to_path_buf(),
        configs: vec![config("base", Some(4)), config("tuned", None)],
        repeats: 2,
        interleave: false,
    }
}

#[test]
fn emitted_jobs_match_the_kubernetes_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let m = matrix(&out);
    let opts = K8sOptions {
        dir: dir.path().join("k8s"),
        image: "nvcr.io/nvidia/tensorrt-llm/release:1.0.0".into(),
        pvc: "bench".into(),
        gpus_per_job: None,
    };
    let files = k8s::emit(&m, &opts, false).unwrap();
    assert_eq!(files.len(), 4, "2 configs x 2 repeats");
    let dns = regex::Regex::new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    for f in &files {
        let job: Value = serde_yaml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert_eq!(errors(&job), Vec::<String>::new(), "{}", f.display());
        // The schema leaves names free; the API server wants DNS-1123 labels (pod labels
        // carry the Job's name, so at most 63 characters).
        let name = job["metadata"]["name"].as_str().unwrap();
        assert!(dns.is_match(name) && name.len() <= 63, "{name}");
        assert_eq!(job["metadata"]["labels"]["adreport/sweep"], "runs");
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        let gpus = c["resources"]["limits"]["nvidia.com/gpu"].as_u64();
        let want = if job["metadata"]["labels"]["adreport/config"] == "base" {
            4
        } else {
            1
        };
        assert_eq!(gpus, Some(want), "{}", f.display());
    }
}

/// The validator catches what Kubernetes would reject, so a passing check means something.
#[test]
fn the_validator_rejects_broken_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let m = matrix(&dir.path().join("runs"));
    let opts = K8sOptions {
        dir: dir.path().join("k8s"),
        image: "img".into(),
        pvc: "bench".into(),
        gpus_per_job: Some(1),
    };
    let good = k8s::job(&m, &m.units()[0], &opts);
    assert!(errors(&good).is_empty());
    let mut bad = good.clone();
    bad["spec"]["backoffLimit"] = Value::String("zero".into());
    assert!(
        errors(&bad)[0].contains("$.spec.backoffLimit"),
        "{:?}",
        errors(&bad)
    );
    let mut bad = good.clone();
    bad["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert!(errors(&bad)
        .iter()
        .any(|e| e.contains("required field `name`")));
    let mut bad = good.clone();
    bad["spec"]["template"]["spec"]["restartPolicy2"] = Value::String("Never".into());
    assert!(errors(&bad)
        .iter()
        .any(|e| e.contains("restartPolicy2: unknown field")));
    let mut bad = good;
    bad["kind"] = Value::String("Deployment".into());
    assert!(errors(&bad).iter().any(|e| e.contains("$.kind")));
}

/// Through the command line: `run online --config sweep.yaml --emit-k8s DIR` writes the Jobs
/// of its configs and runs nothing.
#[test]
fn run_online_emits_one_job_per_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sweep.yaml");
    std::fs::write(
        &cfg,
        "concurrencies: [1, 4]\nworld-size: 4\nconfigs:\n  - label: base\n    server-cmd: trtllm-serve m --port 8000 --max_batch_size 64\n  - label: tuned\n    server-cmd: trtllm-serve m --port 8000 --max_batch_size 256\n",
    )
    .unwrap();
    let k8s = dir.path().join("k8s");
    let out = common::adreport(&[
        "run",
        "online",
        "--config",
        &cfg.display().to_string(),
        "--emit-k8s",
        &k8s.display().to_string(),
        "--image",
        "registry/adreport:1",
        "--pvc",
        "results",
        "-o",
        "/results/sweep-7",
    ]);
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("2 Kubernetes Job(s) written"), "{stderr}");
    let names: Vec<String> = common::text(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> = ["adreport-sweep-7-base.yaml", "adreport-sweep-7-tuned.yaml"]
        .iter()
        .map(|n| k8s.join(n).display().to_string())
        .collect();
    assert_eq!(names, want);
    for (name, batch) in names.iter().zip(["64", "256"]) {
        let job: Value = serde_yaml::from_str(&std::fs::read_to_string(name).unwrap()).unwrap();
        assert_eq!(errors(&job), Vec::<String>::new(), "{name}");
        let c = &job["spec"]["template"]["spec"]["containers"][0];
        // --world-size 4: four GPUs; the settings say what the job runs.
        assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], 4);
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/results/sweep-7");
        let settings = c["env"][0]["value"].as_str().unwrap();
        assert!(
            settings.contains(&format!("--max_batch_size {batch}")),
            "{settings}"
        );
        assert!(settings.contains("out: /results/sweep-7"), "{settings}");
        assert!(settings.contains("no-report: true"), "{settings}");
    }
    assert!(
        !std::path::Path::new("/results/sweep-7").exists(),
        "nothing ran here"
    );
}
