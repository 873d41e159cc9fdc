//! inference-perf's report directory (`reports-*/`, or `storage.local_storage.path`): one
//! `stage_N_lifecycle_metrics.json` per load stage is one point, its load taken from the
//! `config.yaml` inference-perf writes beside it (`load.stages[N]`).
//!
//! Traps (see docs/formats.md): every latency is in seconds; a stage set to a rate reports the
//! rate it was set to (`load_summary.requested_rate`) and the rate it sent at
//! (`achieved_rate`), which differ, and a third figure, the completed requests per second
//! (`successes.throughput.requests_per_sec`); a `concurrent` stage carries a made-up rate
//! (the request count) and a duration of 1, so only its concurrency is a load;
//! `time_per_output_token` excludes the first token, `normalized_time_per_output_token`
//! includes it, and `inter_token_latency` is the pooled chunk gaps.
//! `summary_lifecycle_metrics.json` mixes all stages and is not a point. The per-request records
//! beside the stage reports are the points' per-request data when they can be split by stage
//! ([`requests`]).

use std::path::Path;

use serde_json::Value;

pub mod requests;

use super::fields::{parse_json, parse_yaml, within, Fields};
use super::stat_block::{set_latency, set_throughputs};
use super::{read_text, ReadCtx};
use crate::model::{latency_names, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

/// Statistics of an inference-perf distribution (all in seconds for latencies).
const KEYS: [(Stat, &str); 7] = [
    (Stat::Avg, "mean"),
    (Stat::P50, "median"),
    (Stat::P90, "p90"),
    (Stat::P95, "p95"),
    (Stat::P99, "p99"),
    (Stat::Min, "min"),
    (Stat::Max, "max"),
];

/// Files inference-perf writes beside its stage reports that are not points of their own.
const COMPANIONS: [&str; 3] = [
    "summary_lifecycle_metrics.json",
    requests::FILE,
    "validation.json",
];

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `N` of `stage_N_lifecycle_metrics.json`.
fn stage_number(path: &Path) -> Option<usize> {
    file_name(path)
        .strip_prefix("stage_")?
        .strip_suffix("_lifecycle_metrics.json")?
        .parse()
        .ok()
}

pub fn sniff(_path: &Path, head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('{')
        && head.contains("\"load_summary\"")
        && head.contains("\"requested_rate\"")
        && (head.contains("\"successes\"") || head.contains("\"failures\""))
}

/// inference-perf's other files in a report directory (the run summary, per-request records,
/// validation, per-LoRA-adapter stages): known, and not points of their own.
pub fn is_companion(path: &Path) -> bool {
    let name = file_name(path);
    let beside_stages = path
        .parent()
        .is_some_and(|d| d.join("stage_0_lifecycle_metrics.json").is_file());
    beside_stages && (COMPANIONS.contains(&name.as_str()) || name.starts_with("adapter_"))
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    let mut p = Point::new(Source::InferencePerf, path);
    let load = f.opt_obj("load_summary", "load_summary.")?.ok_or_else(|| {
        ReadError::field(path, "load_summary", "the stage's load, but it is missing")
    })?;
    let stage = StageConfig::beside(path, ctx)?;
    if let Some(c) = load.opt_u64("concurrency")?.or(stage.concurrency) {
        // A concurrent stage's `rate` is its request count: not a load.
        p.concurrency = Some(c);
    } else {
        p.request_rate = load.opt_nonneg("requested_rate")?.or(stage.rate);
    }
    if let Some(a) = load.opt_nonneg("achieved_rate")? {
        p.extra.insert("achieved_rate".into(), format!("{a:.4}"));
    }
    if let Some(kind) = &stage.load_type {
        p.extra.insert("load_type".into(), kind.clone());
    }
    p.model = stage.model;
    p.isl = stage.isl;
    p.osl = stage.osl;
    p.set_opt(Metric::DurationS, f.opt_nonneg("benchmark_time_seconds")?);
    let failures = f
        .opt_obj("failures", "failures.")?
        .map(|x| x.opt_nonneg("count"))
        .transpose()?
        .flatten();
    p.set(Metric::RequestsFailed, failures.unwrap_or(0.0));
    let Some(ok) = f.opt_obj("successes", "successes.")? else {
        return Err(ReadError::field(
            path,
            "successes",
            format!(
                "the successful requests, but there are none ({} failed)",
                failures.unwrap_or(0.0)
            ),
        ));
    };
    read_successes(&mut p, &ok)?;
    if let Some(n) = stage_number(path) {
        p.requests = requests::for_stage(path, n, &p, ctx);
    }
    Ok(vec![p])
}

fn read_successes(p: &mut Point, ok: &Fields) -> Result<(), ReadError> {
    let path = ok.path;
    let count = ok.opt_nonneg("count")?.ok_or_else(|| {
        ReadError::field(path, "successes.count", "the number of successful requests")
    })?;
    if count <= 0.0 {
        return Err(ReadError::field(
            path,
            "successes.count",
            "successful requests, found none",
        ));
    }
    p.set(Metric::RequestsOk, count);
    if let Some(lat) = ok.opt_obj("latency", "")? {
        for (key, family) in latency_names(Source::InferencePerf) {
            if let Some(block) = lat.opt_obj(key, "")? {
                let place = format!("successes.latency.{key}.");
                set_latency(p, family, &block, &KEYS, 1000.0).map_err(|e| within(e, &place))?;
            }
        }
    }
    if let Some(t) = ok.opt_obj("throughput", "successes.throughput.")? {
        set_throughputs(p, &t)?;
    }
    for (key, m) in [
        ("prompt_tokens", Metric::InputTokensAvg),
        ("output_tokens", Metric::OutputTokensAvg),
    ] {
        if let Some(b) = ok.opt_obj(key, "")? {
            let place = format!("successes.{key}.");
            p.set_opt(m, b.opt_nonneg("mean").map_err(|e| within(e, &place))?);
        }
    }
    if let Some(g) = ok.opt_obj("goodput_metrics", "successes.goodput_metrics.")? {
        p.set_opt(Metric::Goodput, g.opt_nonneg("request_goodput")?);
    }
    Ok(())
}

/// What `config.yaml` beside the stage file says about stage N.
#[derive(Default)]
struct StageConfig {
    load_type: Option<String>,
    rate: Option<f64>,
    concurrency: Option<u64>,
    model: Option<String>,
    isl: Option<u64>,
    osl: Option<u64>,
}

impl StageConfig {
    /// Read leniently: the stage file alone is a complete result, so a missing or unreadable
    /// config is a warning, not an error.
    fn beside(path: &Path, ctx: &mut ReadCtx) -> Result<StageConfig, ReadError> {
        let Some(config) = path.parent().map(|d| d.join("config.yaml")) else {
            return Ok(StageConfig::default());
        };
        if !config.is_file() {
            return Ok(StageConfig::default());
        }
        let parsed = read_text(&config).and_then(|t| parse_yaml(&config, &t));
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                ctx.warn(path, format!("its config.yaml is not read: {e}"));
                return Ok(StageConfig::default());
            }
        };
        match Self::from_config(&config, &value, stage_number(path)) {
            Ok(s) => Ok(s),
            Err(e) => {
                ctx.warn(path, format!("its config.yaml is not read: {e}"));
                Ok(StageConfig::default())
            }
        }
    }

    fn from_config(
        config: &Path,
        value: &Value,
        stage: Option<usize>,
    ) -> Result<StageConfig, ReadError> {
        let f = Fields::new(config, value)?;
        let mut s = StageConfig::default();
        if let Some(server) = f.opt_obj("server", "server.")? {
            s.model = server.opt_str("model_name")?.map(str::to_string);
        }
        if let Some(data) = f.opt_obj("data", "data.")? {
            s.isl = fixed_length(&data, "input_distribution")?;
            s.osl = fixed_length(&data, "output_distribution")?;
        }
        let Some(load) = f.opt_obj("load", "load.")? else {
            return Ok(s);
        };
        s.load_type = load.opt_str("type")?.map(str::to_string);
        let stages = load.opt_array("stages")?;
        if let (Some(n), Some(stages)) = (stage, stages) {
            if let Some(st) = stages.get(n) {
                let st = Fields::new(config, st)?;
                let place = format!("load.stages[{n}].");
                s.concurrency = st
                    .opt_u64("concurrency_level")
                    .map_err(|e| within(e, &place))?;
                if s.load_type.as_deref() != Some("concurrent") {
                    s.rate = st.opt_nonneg("rate").map_err(|e| within(e, &place))?;
                }
            }
        }
        Ok(s)
    }
}

/// A token length distribution with no spread (`std_dev: 0` or `min == max`): its value.
fn fixed_length(data: &Fields, key: &str) -> Result<Option<u64>, ReadError> {
    let Some(d) = data.opt_obj(key, "")? else {
        return Ok(None);
    };
    let place = format!("data.{key}.");
    let get = |k: &str| d.opt_nonneg(k).map_err(|e| within(e, &place));
    let (min, max, mean, sd) = (get("min")?, get("max")?, get("mean")?, get("std_dev")?);
    let fixed = sd == Some(0.0) || (min.is_some() && min == max);
    Ok(mean.filter(|_| fixed).map(|m| m.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_files_are_sniffed_and_numbered() {
        let head = r#"{"benchmark_time_seconds": 7.5, "load_summary": {"count": 20, "requested_rate": 2.0}, "successes": {}}"#;
        assert!(sniff(Path::new("x.json"), head));
        // The run summary has no requested rate.
        let summary = r#"{"load_summary": {"count": 140}, "successes": {}}"#;
        assert!(!sniff(Path::new("x.json"), summary));
        assert_eq!(
            stage_number(Path::new("r/stage_12_lifecycle_metrics.json")),
            Some(12)
        );
        assert_eq!(
            stage_number(Path::new("r/summary_lifecycle_metrics.json")),
            None
        );
    }
}
