//! GPU sample series (aiperf's `gpu_telemetry_export.jsonl`, the runner's `nvidia-smi` CSV)
//! and their reduction to one point's figures over its profiling window.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::summary::{energy_scale, memory_scale};
use super::window::{ns, utc_ns, Window};
use super::{GpuTelemetry, TelemetrySource};
use crate::ingest::fields::{parse_json, Fields};
use crate::ingest::read_text;
use crate::util::error::ReadError;

/// One reading of one GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// ns since the Unix epoch.
    pub t_ns: i128,
    pub power_w: Option<f64>,
    /// The GPU's cumulative energy counter (J), when the source has one (NVML does).
    pub energy_j: Option<f64>,
    pub util_pct: Option<f64>,
    pub mem_gb: Option<f64>,
}

/// Samples per GPU (keyed by host and GPU id), each in time order.
pub type GpuSeries = BTreeMap<String, Vec<Sample>>;

/// The samples may start or end this far inside the window; the edge reading is held.
const EDGE_SLACK_NS: i128 = 2_000_000_000;

/// aiperf's `gpu_telemetry_export.jsonl`: one JSON object per sample with `timestamp_ns` and
/// `telemetry_data.{nvidia_power_usage (W), nvidia_energy_consumption (MJ, cumulative),
/// nvidia_gpu_utilization (%), nvidia_memory_used (GB)}`.
pub fn aiperf_samples(path: &Path) -> Result<GpuSeries, ReadError> {
    let text = read_text(path)?;
    let mut series = GpuSeries::new();
    let to_j = energy_scale("MJ").unwrap_or(1e6);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            parse_json(path, line).map_err(|e| ReadError::line(path, i + 1, e.message))?;
        let f = Fields::new(path, &value).map_err(|e| ReadError::line(path, i + 1, e.message))?;
        let at = |e: ReadError| ReadError::line(path, i + 1, format!("{}: {}", e.at, e.message));
        let host = f.opt_str("hostname").map_err(at)?.unwrap_or("");
        let gpu = match f.opt_str("gpu_uuid").map_err(at)? {
            Some(u) => u.to_string(),
            None => f
                .opt_u64("gpu_index")
                .map_err(at)?
                .map(|x| x.to_string())
                .unwrap_or_default(),
        };
        let t = ns(&f, "timestamp_ns")
            .map_err(at)?
            .ok_or_else(|| ReadError::line(path, i + 1, "field `timestamp_ns` missing"))?;
        let Some(d) = f.opt_obj("telemetry_data", "telemetry_data.").map_err(at)? else {
            return Err(ReadError::line(
                path,
                i + 1,
                "field `telemetry_data` missing",
            ));
        };
        series
            .entry(format!("{host}/{gpu}"))
            .or_default()
            .push(Sample {
                t_ns: i128::from(t),
                power_w: d.opt_nonneg("nvidia_power_usage").map_err(at)?,
                energy_j: d
                    .opt_nonneg("nvidia_energy_consumption")
                    .map_err(at)?
                    .map(|v| v * to_j),
                util_pct: d.opt_nonneg("nvidia_gpu_utilization").map_err(at)?,
                mem_gb: d.opt_nonneg("nvidia_memory_used").map_err(at)?,
            });
    }
    sort(&mut series);
    Ok(series)
}

/// `nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu,memory.used --format=csv -l 1`
/// as the runner records it (with `TZ=UTC`, so the timestamps are UTC):
/// `timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]` then rows like
/// `2026/11/25 14:31:49.734, 0, 126.02 W, 5 %, 5243 MiB`. `[N/A]` cells stay empty. A last
/// line cut off when the recorder was stopped is dropped.
pub fn nvidia_smi_samples(path: &Path) -> Result<GpuSeries, ReadError> {
    let text = read_text(path)?;
    let mut series = GpuSeries::new();
    let mut cols: Option<Columns> = None;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if line.trim().is_empty() {
            continue;
        }
        if cells[0] == "timestamp" {
            cols = Some(Columns::from_header(path, i + 1, &cells)?);
            continue;
        }
        let Some(c) = &cols else {
            return Err(ReadError::line(
                path,
                i + 1,
                "a sample before the header `timestamp, index, power.draw [W], ...`",
            ));
        };
        let cut_short = i + 1 == lines.len() && !text.ends_with('\n');
        match c.sample(&cells) {
            Some((gpu, s)) => series.entry(gpu).or_default().push(s),
            None if cut_short => {}
            None => {
                return Err(ReadError::line(
                    path,
                    i + 1,
                    format!(
                        "expected `timestamp, index, power.draw [W], ...` values, found `{line}`"
                    ),
                ))
            }
        }
    }
    if cols.is_none() {
        return Err(ReadError::file(
            path,
            "no nvidia-smi CSV header (`timestamp, index, power.draw [W], ...`)",
        ));
    }
    sort(&mut series);
    Ok(series)
}

/// Where each query field is in the nvidia-smi CSV and its unit.
struct Columns {
    time: usize,
    index: Option<usize>,
    power: Option<usize>,
    util: Option<usize>,
    mem: Option<(usize, f64)>,
}

impl Columns {
    fn from_header(path: &Path, line: usize, cells: &[&str]) -> Result<Columns, ReadError> {
        let find = |name: &str| cells.iter().position(|c| c.split(' ').next() == Some(name));
        let mem = match find("memory.used") {
            Some(i) => {
                let unit = cells[i]
                    .split('[')
                    .nth(1)
                    .unwrap_or("MiB]")
                    .trim_end_matches(']');
                let scale = memory_scale(unit).ok_or_else(|| {
                    ReadError::line(
                        path,
                        line,
                        format!("memory.used in `{unit}`, not a unit adreport converts"),
                    )
                })?;
                Some((i, scale))
            }
            None => None,
        };
        let c = Columns {
            time: 0,
            index: find("index"),
            power: find("power.draw"),
            util: find("utilization.gpu"),
            mem,
        };
        if c.power.is_none() {
            return Err(ReadError::line(path, line, "no `power.draw [W]` column"));
        }
        Ok(c)
    }

    fn sample(&self, cells: &[&str]) -> Option<(String, Sample)> {
        let t_ns = utc_ns(cells.get(self.time)?)?;
        let gpu = match self.index {
            Some(i) => cells.get(i)?.to_string(),
            None => "0".to_string(),
        };
        let num = |i: Option<usize>| -> Option<Option<f64>> {
            let Some(i) = i else { return Some(None) };
            let cell = *cells.get(i)?;
            if cell.starts_with('[') {
                return Some(None); // [N/A], [Not Supported]
            }
            let n: f64 = cell.split(' ').next()?.parse().ok()?;
            Some(Some(n).filter(|v| v.is_finite() && *v >= 0.0))
        };
        let mem = match self.mem {
            Some((i, scale)) => num(Some(i))?.map(|v| v * scale),
            None => None,
        };
        Some((
            gpu,
            Sample {
                t_ns,
                power_w: num(self.power)?,
                energy_j: None,
                util_pct: num(self.util)?,
                mem_gb: mem,
            },
        ))
    }
}

fn sort(series: &mut GpuSeries) {
    for s in series.values_mut() {
        s.sort_by_key(|x| x.t_ns);
    }
}

/// Every GPU's figures over `window`, totalled. Energy is the cumulative counter's rise
/// across the window (interpolated at its edges) where the samples have one, else the power
/// integrated by trapezoids; mean power is that energy over the window's length.
pub(super) fn over_window(
    path: &Path,
    series: &GpuSeries,
    window: &Window,
    source: TelemetrySource,
) -> Result<GpuTelemetry, ReadError> {
    if window.end_ns <= window.start_ns {
        return Err(ReadError::file(path, "the profiling window is empty"));
    }
    let (mut energy, mut utils, mut mem) = (0.0, Vec::new(), None::<f64>);
    for (gpu, samples) in series {
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            continue;
        };
        if first.t_ns > window.start_ns + EDGE_SLACK_NS || last.t_ns < window.end_ns - EDGE_SLACK_NS
        {
            return Err(ReadError::file(
                path,
                format!(
                    "GPU {gpu}: the samples run from {:.1} s to {:.1} s after the start of the {:.1} s profiling window; they must cover all of it",
                    (first.t_ns - window.start_ns) as f64 / 1e9,
                    (last.t_ns - window.start_ns) as f64 / 1e9,
                    window.seconds()
                ),
            ));
        }
        energy += gpu_energy(samples, window).ok_or_else(|| {
            ReadError::file(
                path,
                format!("GPU {gpu}: no power or energy readings in the profiling window"),
            )
        })?;
        let inside = samples
            .iter()
            .filter(|s| s.t_ns >= window.start_ns && s.t_ns <= window.end_ns);
        let u: Vec<f64> = inside.clone().filter_map(|s| s.util_pct).collect();
        if !u.is_empty() {
            utils.push(u.iter().sum::<f64>() / u.len() as f64);
        }
        if let Some(m) = inside.filter_map(|s| s.mem_gb).reduce(f64::max) {
            mem = Some(mem.map_or(m, |x| x.max(m)));
        }
    }
    if series.is_empty() {
        return Err(ReadError::file(path, "no GPU samples"));
    }
    Ok(GpuTelemetry {
        power_avg_w: Some(energy / window.seconds()),
        energy_j: Some(energy),
        util_avg_pct: (!utils.is_empty()).then(|| utils.iter().sum::<f64>() / utils.len() as f64),
        mem_used_max_gb: mem,
        gpus: series.len(),
        exact_window: window.exact,
        source,
    })
}

/// One GPU's energy over the window (J).
fn gpu_energy(samples: &[Sample], w: &Window) -> Option<f64> {
    let counter: Vec<(i128, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.t_ns, s.energy_j?)))
        .collect();
    if counter.len() == samples.len() && counter.len() >= 2 {
        return Some(at(&counter, w.end_ns) - at(&counter, w.start_ns));
    }
    let power: Vec<(i128, f64)> = samples
        .iter()
        .filter_map(|s| Some((s.t_ns, s.power_w?)))
        .collect();
    if power.is_empty() {
        return None;
    }
    let mut pts = vec![(w.start_ns, at(&power, w.start_ns))];
    pts.extend(
        power
            .iter()
            .copied()
            .filter(|(t, _)| *t > w.start_ns && *t < w.end_ns),
    );
    pts.push((w.end_ns, at(&power, w.end_ns)));
    Some(
        pts.windows(2)
            .map(|p| (p[0].1 + p[1].1) / 2.0 * (p[1].0 - p[0].0) as f64 / 1e9)
            .sum(),
    )
}

/// The series' value at `t`, linear between samples, held beyond the ends.
fn at(series: &[(i128, f64)], t: i128) -> f64 {
    let i = series.partition_point(|(x, _)| *x <= t);
    match (i.checked_sub(1).map(|j| series[j]), series.get(i)) {
        (Some((t0, v0)), Some(&(t1, v1))) => v0 + (v1 - v0) * (t - t0) as f64 / (t1 - t0) as f64,
        (Some((_, v)), None) | (None, Some(&(_, v))) => v,
        (None, None) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t_s: i128, power_w: f64) -> Sample {
        Sample {
            t_ns: t_s * 1_000_000_000,
            power_w: Some(power_w),
            ..Sample::default()
        }
    }

    #[test]
    fn power_is_integrated_over_the_window_only() {
        // 100 W until t=10, then 300 W: ramps linearly between the samples at 10 and 11.
        let samples = [s(0, 100.0), s(10, 100.0), s(11, 300.0), s(20, 300.0)];
        let w = Window {
            start_ns: 5_000_000_000,
            end_ns: 15_000_000_000,
            exact: true,
        };
        // 5..10 at 100 W = 500 J, 10..11 ramp = 200 J, 11..15 at 300 W = 1200 J.
        let e = gpu_energy(&samples, &w).unwrap();
        assert!((e - 1900.0).abs() < 1e-9, "{e}");
    }

    #[test]
    fn a_cumulative_counter_is_read_at_the_window_edges() {
        let mk = |t: i128, e: f64| Sample {
            t_ns: t * 1_000_000_000,
            energy_j: Some(e),
            power_w: Some(1.0),
            ..Sample::default()
        };
        let samples = [mk(0, 1000.0), mk(10, 2000.0), mk(20, 4000.0)];
        let w = Window {
            start_ns: 5_000_000_000,
            end_ns: 15_000_000_000,
            exact: true,
        };
        // 1500 J at t=5, 3000 J at t=15: the counter rules, not the 1 W readings.
        assert_eq!(gpu_energy(&samples, &w), Some(1500.0));
    }
}
