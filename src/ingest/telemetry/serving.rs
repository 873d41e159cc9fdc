//! The `energy` block of TensorRT-LLM's results. benchmark_serving (`--save-result`, written
//! when the server answers `/energy_metrics`): `total_energy_j` is the server's energy counter
//! read before and after the measured requests (the single test prompt before them is not
//! counted), `total_gpu_power_w` that energy over the time between the two reads.
//! trtllm-bench's `--report_json` may carry the same block with the power as
//! `average_gpu_power`; both spellings are read.

use super::{GpuTelemetry, TelemetrySource};
use crate::ingest::fields::Fields;
use crate::util::error::ReadError;

/// The block's figures, or `None` when the result has no `energy` block.
pub fn from_energy_block(
    f: &Fields,
    source: TelemetrySource,
) -> Result<Option<GpuTelemetry>, ReadError> {
    let Some(e) = f.opt_obj("energy", "energy.")? else {
        return Ok(None);
    };
    let energy_j = e.opt_nonneg("total_energy_j")?;
    let power_avg_w = match e.opt_nonneg("total_gpu_power_w")? {
        Some(w) => Some(w),
        None => e.opt_nonneg("average_gpu_power")?,
    };
    if energy_j.is_none() && power_avg_w.is_none() {
        return Ok(None);
    }
    Ok(Some(GpuTelemetry {
        power_avg_w,
        energy_j,
        util_avg_pct: None,
        mem_used_max_gb: None,
        gpus: 0,
        exact_window: true,
        source,
    }))
}
