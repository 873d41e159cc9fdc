//! TensorRT-LLM benchmark_serving's `energy` block (`--save-result`, written when the server
//! answers `/energy_metrics`): `total_energy_j` is the server's energy counter read before and
//! after the measured requests (the single test prompt before them is not counted),
//! `total_gpu_power_w` that energy over the time between the two reads.

use super::{GpuTelemetry, TelemetrySource};
use crate::error::ReadError;
use crate::ingest::fields::Fields;

/// The block's figures, or `None` when the result has no `energy` block.
pub fn from_serving_result(f: &Fields) -> Result<Option<GpuTelemetry>, ReadError> {
    let Some(e) = f.opt_obj("energy", "energy.")? else {
        return Ok(None);
    };
    let energy_j = e.opt_nonneg("total_energy_j")?;
    let power_avg_w = e.opt_nonneg("total_gpu_power_w")?;
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
        source: TelemetrySource::ServingEnergy,
    }))
}
