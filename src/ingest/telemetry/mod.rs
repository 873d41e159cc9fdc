//! GPU power, energy, utilisation and memory of one load point, over its profiling window only.
//!
//! Three sources, in this order: aiperf's own summary in `profile_export_aiperf.json`
//! (`--gpu-telemetry`), aiperf's per-sample `gpu_telemetry_export.jsonl`, and the runner's
//! `nvidia-smi` trace (`gpu_trace.csv`) for clients that record nothing. TensorRT-LLM's
//! benchmark_serving brings its own totals (`serving.rs`). The window comes from
//! aiperf's `phase_manifest.json` (profiling phase start/end) or else the client's start/end in
//! the runner's `run.json`; warmup is never counted.

mod samples;
mod serving;
mod summary;
mod window;

use std::path::Path;

pub use samples::{aiperf_samples, nvidia_smi_samples, GpuSeries, Sample};
pub use serving::from_energy_block;
pub use summary::from_aiperf_export;
pub use window::{profiling_window, utc_ns, Window};

use crate::util::error::ReadError;

/// The runner's `nvidia-smi` trace inside a point directory.
pub const GPU_TRACE_FILE: &str = "gpu_trace.csv";
/// aiperf's per-sample telemetry inside an artifact directory.
pub const AIPERF_SAMPLES_FILE: &str = "gpu_telemetry_export.jsonl";

/// Where a point's GPU figures came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TelemetrySource {
    /// aiperf's `nvidia_total_gpu_*` summary over its profiling window.
    AiperfSummary,
    /// aiperf's `gpu_telemetry_export.jsonl`, integrated over the window.
    AiperfSamples,
    /// The runner's `nvidia-smi --query-gpu ... -l 1` trace, integrated over the window.
    NvidiaSmiTrace,
    /// TensorRT-LLM benchmark_serving's `energy` block (the server's `/energy_metrics`).
    ServingEnergy,
    /// The `energy` block of a trtllm-bench `--report_json`.
    TrtllmBenchEnergy,
}

impl TelemetrySource {
    pub fn name(self) -> &'static str {
        match self {
            TelemetrySource::AiperfSummary => "aiperf telemetry summary",
            TelemetrySource::AiperfSamples => "aiperf gpu_telemetry_export.jsonl",
            TelemetrySource::NvidiaSmiTrace => "nvidia-smi trace",
            TelemetrySource::ServingEnergy => "benchmark_serving energy block",
            TelemetrySource::TrtllmBenchEnergy => "trtllm-bench report JSON energy block",
        }
    }
}

/// What the GPUs of one point did during its profiling window. Each figure is `None` when the
/// source does not have it: never a guessed 0.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuTelemetry {
    /// Mean power over the window, summed over the point's GPUs (W).
    pub power_avg_w: Option<f64>,
    /// Energy all the point's GPUs used in the window (J).
    pub energy_j: Option<f64>,
    /// Mean utilisation over the window and the GPUs (%).
    pub util_avg_pct: Option<f64>,
    /// The most memory any one GPU had in use during the window (GB of 1e9 bytes).
    pub mem_used_max_gb: Option<f64>,
    /// GPUs seen; 0 when the source does not list them.
    pub gpus: usize,
    /// The energy covers the window measured by the client itself (aiperf's profiling phase),
    /// not the client process's whole life: with `false` the reader scales mean power by the
    /// benchmark duration instead of using `energy_j` as is.
    pub exact_window: bool,
    pub source: TelemetrySource,
}

/// A point directory's GPU telemetry from the best source present, or `None` when it has none.
/// `export` is aiperf's aggregate JSON of the directory when there is one.
pub fn read_point_dir(
    dir: &Path,
    export: Option<(&Path, &serde_json::Value)>,
) -> Result<Option<GpuTelemetry>, ReadError> {
    if let Some((path, value)) = export {
        if let Some(t) = from_aiperf_export(path, value)? {
            return Ok(Some(t));
        }
    }
    let jsonl = dir.join(AIPERF_SAMPLES_FILE);
    let trace = dir.join(GPU_TRACE_FILE);
    let (file, source) = if jsonl.is_file() {
        (jsonl, TelemetrySource::AiperfSamples)
    } else if trace.is_file() {
        (trace, TelemetrySource::NvidiaSmiTrace)
    } else {
        return Ok(None);
    };
    let Some(window) = profiling_window(dir)? else {
        return Err(ReadError::file(
            &file,
            "GPU samples but no profiling window to cut them to (no phase_manifest.json, no run.json with started_at/ended_at)",
        ));
    };
    let series = match source {
        TelemetrySource::AiperfSamples => aiperf_samples(&file)?,
        _ => nvidia_smi_samples(&file)?,
    };
    samples::over_window(&file, &series, &window, source).map(Some)
}
