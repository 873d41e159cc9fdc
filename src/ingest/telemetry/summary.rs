//! aiperf's GPU telemetry summary (0.13+ with `--gpu-telemetry`): the run totals
//! `nvidia_total_gpu_power` (W) and `nvidia_total_gpu_energy` (J), and per GPU under
//! `telemetry_data.endpoints.<host>.gpus.<gpu>.metrics` the utilisation and memory used.
//! aiperf computes all of them over its profiling phase.

use std::path::Path;

use serde_json::Value;

use super::{GpuTelemetry, TelemetrySource};
use crate::ingest::fields::{kind, Fields};
use crate::util::error::ReadError;

/// The telemetry summary of an aiperf aggregate export, or `None` when aiperf recorded none
/// (no `--gpu-telemetry`, or no GPU answered: `telemetry_data.endpoints` empty).
pub fn from_aiperf_export(path: &Path, value: &Value) -> Result<Option<GpuTelemetry>, ReadError> {
    let f = Fields::new(path, value)?;
    let mut gpus = Vec::new();
    if let Some(td) = f.opt_obj("telemetry_data", "telemetry_data.")? {
        if let Some(endpoints) = td.opt_obj("endpoints", "telemetry_data.endpoints.")? {
            for (host, ep) in endpoints.obj {
                let at = format!("telemetry_data.endpoints.{host}");
                let Some(list) = ep.get("gpus").and_then(Value::as_object) else {
                    return Err(ReadError::field(
                        path,
                        &format!("{at}.gpus"),
                        "an object of GPUs",
                    ));
                };
                for (gpu, g) in list {
                    let at = format!("{at}.gpus.{gpu}.metrics");
                    let metrics = g
                        .get("metrics")
                        .and_then(Value::as_object)
                        .ok_or_else(|| ReadError::field(path, &at, "an object of metrics"))?;
                    gpus.push(gpu_figures(path, &at, metrics)?);
                }
            }
        }
    }
    let energy_j = match total(path, &f, "nvidia_total_gpu_energy", energy_scale)? {
        Some(e) => Some(e),
        None => sum(gpus.iter().map(|g| g.energy_j)),
    };
    let power_avg_w = match total(path, &f, "nvidia_total_gpu_power", power_scale)? {
        Some(p) => Some(p),
        None => sum(gpus.iter().map(|g| g.power_w)),
    };
    if energy_j.is_none() && power_avg_w.is_none() {
        return Ok(None);
    }
    let utils: Vec<f64> = gpus.iter().filter_map(|g| g.util_pct).collect();
    Ok(Some(GpuTelemetry {
        power_avg_w,
        energy_j,
        util_avg_pct: (!utils.is_empty()).then(|| utils.iter().sum::<f64>() / utils.len() as f64),
        mem_used_max_gb: gpus.iter().filter_map(|g| g.mem_max_gb).reduce(f64::max),
        gpus: gpus.len(),
        exact_window: true,
        source: TelemetrySource::AiperfSummary,
    }))
}

/// One GPU's summary figures.
struct GpuFigures {
    power_w: Option<f64>,
    energy_j: Option<f64>,
    util_pct: Option<f64>,
    mem_max_gb: Option<f64>,
}

fn gpu_figures(
    path: &Path,
    at: &str,
    metrics: &serde_json::Map<String, Value>,
) -> Result<GpuFigures, ReadError> {
    let stat = |name: &str,
                stat: &str,
                scale: fn(&str) -> Option<f64>|
     -> Result<Option<f64>, ReadError> {
        let Some(block) = metrics.get(name) else {
            return Ok(None);
        };
        let field = format!("{at}.{name}");
        let f = block_fields(path, &field, block)?;
        let Some(v) = f.opt_nonneg(stat)? else {
            return Ok(None);
        };
        Ok(Some(v * unit_scale(path, &field, &f, scale)?))
    };
    Ok(GpuFigures {
        power_w: stat("nvidia_power_usage", "avg", power_scale)?,
        energy_j: stat("nvidia_energy_consumption", "avg", energy_scale)?,
        util_pct: stat("nvidia_gpu_utilization", "avg", percent_scale)?,
        mem_max_gb: stat("nvidia_memory_used", "max", memory_scale)?,
    })
}

/// A run total such as `nvidia_total_gpu_energy: {"unit": "J", "avg": 2443.963}`, in base units.
fn total(
    path: &Path,
    f: &Fields,
    key: &str,
    scale: fn(&str) -> Option<f64>,
) -> Result<Option<f64>, ReadError> {
    let Some(block) = f.obj.get(key) else {
        return Ok(None);
    };
    let b = block_fields(path, key, block)?;
    let Some(v) = b.opt_nonneg("avg")? else {
        return Ok(None);
    };
    Ok(Some(v * unit_scale(path, key, &b, scale)?))
}

fn block_fields<'a>(
    path: &'a Path,
    field: &str,
    block: &'a Value,
) -> Result<Fields<'a>, ReadError> {
    match block.as_object() {
        Some(obj) => Ok(Fields {
            path,
            obj,
            prefix: "",
        }),
        None => Err(ReadError::field(
            path,
            field,
            format!("an object with unit and avg, found {}", kind(block)),
        )),
    }
}

fn unit_scale(
    path: &Path,
    field: &str,
    f: &Fields,
    scale: fn(&str) -> Option<f64>,
) -> Result<f64, ReadError> {
    let unit = f.opt_str("unit")?.unwrap_or("");
    scale(unit).ok_or_else(|| {
        ReadError::new(
            path,
            format!("field `{field}.unit`"),
            format!("unit `{unit}` is not one adreport converts"),
        )
    })
}

/// To joules. aiperf writes the run total in J and per-GPU energy in MJ.
pub(super) fn energy_scale(unit: &str) -> Option<f64> {
    match unit {
        "J" | "joules" => Some(1.0),
        "kJ" => Some(1e3),
        "MJ" => Some(1e6),
        "Wh" => Some(3600.0),
        "kWh" => Some(3.6e6),
        "mJ" => Some(1e-3),
        _ => None,
    }
}

fn power_scale(unit: &str) -> Option<f64> {
    match unit {
        "W" => Some(1.0),
        "kW" => Some(1e3),
        "mW" => Some(1e-3),
        _ => None,
    }
}

fn percent_scale(unit: &str) -> Option<f64> {
    matches!(unit, "%" | "").then_some(1.0)
}

/// To GB of 1e9 bytes, as aiperf reports memory.
pub(super) fn memory_scale(unit: &str) -> Option<f64> {
    match unit {
        "GB" => Some(1.0),
        "MB" => Some(1e-3),
        "MiB" => Some(1_048_576.0 / 1e9),
        "GiB" => Some(1_073_741_824.0 / 1e9),
        _ => None,
    }
}

/// The sum of the values when every one is there.
fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut total = None;
    for v in values {
        total = Some(total.unwrap_or(0.0) + v?);
    }
    total
}
