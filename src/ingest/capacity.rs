//! `capacity.json`, the answer of `run online --find-capacity` beside the probes it ran (its
//! format is written by `render/capacity_json.rs`: `"format": "adreport-capacity"`, version 1).
//! The probes themselves are ordinary points, read like any sweep.

use std::path::Path;

use serde_json::Value;

use super::fields::{parse_json, Fields};
use super::read_text;
use crate::model::{
    Latency, SearchedCapacity, Stat, CAPACITY_FILE as FILE, CAPACITY_FORMAT as FORMAT,
    CAPACITY_VERSION as VERSION,
};
use crate::util::error::ReadError;

/// Whether `path` is named like a capacity search's answer (its content decides the rest).
pub fn is_capacity_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == FILE)
}

/// The capacity in `path`, labelled `label`; `None` when the file is not adreport's
/// capacity.json (another tool's file of that name is read as any other file).
pub fn read(path: &Path, label: &str) -> Option<Result<SearchedCapacity, ReadError>> {
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if !text.contains(FORMAT) {
        return None;
    }
    let value = match parse_json(path, &text) {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return None;
    }
    Some(capacity(path, &value, label))
}

fn capacity(path: &Path, value: &Value, label: &str) -> Result<SearchedCapacity, ReadError> {
    let f = Fields::new(path, value)?;
    match f.opt_u64("version")? {
        Some(VERSION) => {}
        Some(v) => {
            return Err(ReadError::field(
                path,
                "version",
                format!("version {VERSION} (this file is version {v}, from a newer adreport)"),
            ))
        }
        None => return Err(ReadError::field(path, "version", "a version number")),
    }
    let sla_stat = f
        .opt_str("sla_stat")?
        .map(|s| {
            Stat::from_key(s)
                .ok_or_else(|| ReadError::field(path, "sla_stat", "avg, p50, p90 or p99"))
        })
        .transpose()?
        .unwrap_or(Stat::Avg);
    let mut sla = Vec::new();
    for (i, t) in f.opt_array("sla")?.into_iter().flatten().enumerate() {
        let at = format!("sla[{i}]");
        let t = Fields::new(path, t).map_err(|_| ReadError::field(path, &at, "an object"))?;
        let latency = t
            .opt_str("latency")?
            .and_then(|k| Latency::ALL.into_iter().find(|l| l.key() == k))
            .ok_or_else(|| {
                ReadError::field(path, &format!("{at}.latency"), "ttft, tpot, itl or e2el")
            })?;
        let limit = t
            .opt_f64("limit_ms")?
            .ok_or_else(|| ReadError::field(path, &format!("{at}.limit_ms"), "a number"))?;
        sla.push((latency, limit));
    }
    let pair = |key: &str| -> Result<[Option<f64>; 2], ReadError> {
        let Some(a) = f.opt_array(key)? else {
            return Ok([None, None]);
        };
        if a.len() != 2 {
            return Err(ReadError::field(path, key, "[low, high]"));
        }
        let num = |v: &Value| -> Result<Option<f64>, ReadError> {
            match v {
                Value::Null => Ok(None),
                v => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| ReadError::field(path, key, "[low, high] of numbers")),
            }
        };
        Ok([num(&a[0])?, num(&a[1])?])
    };
    let bracket = pair("bracket")?.map(|v| v.map(|v| v as u64));
    let capacity_ci = match pair("capacity_ci")? {
        [Some(lo), Some(hi)] => Some([lo, hi]),
        _ => None,
    };
    let throughput = f.opt_obj("throughput_at_capacity", "throughput_at_capacity.")?;
    let rate = |key: &str| -> Result<Option<f64>, ReadError> {
        throughput.map_or(Ok(None), |t| t.opt_f64(key))
    };
    Ok(SearchedCapacity {
        label: label.to_string(),
        isl: f.opt_u64("isl")?,
        osl: f.opt_u64("osl")?,
        sla,
        sla_stat,
        capacity: f.opt_u64("capacity")?,
        bracket,
        binding: f.opt_str("binding")?.map(str::to_string),
        capacity_ci,
        requests_per_s: rate("requests_per_s")?,
        output_tokens_per_s: rate("output_tokens_per_s")?,
        output_tokens_per_s_gpu: rate("output_tokens_per_s_gpu")?,
        done: f.opt_bool("done")?.unwrap_or(false),
        precision_pct: f.opt_f64("precision_pct")?,
        path: path.to_path_buf(),
    })
}
