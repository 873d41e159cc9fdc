//! The runner's own GPU trace of a point: `nvidia-smi` sampling power, utilisation and memory
//! once a second into the point directory while the client runs, for clients that record no
//! GPU telemetry themselves. Ingest keeps only the samples inside the profiling window.

use std::io;
use std::path::Path;
use std::time::Duration;

use super::process::{Group, Spec};
use crate::ingest::telemetry::GPU_TRACE_FILE;

/// The query the trace records; ingest reads these columns by name.
pub const QUERY: &str = "timestamp,index,power.draw,utilization.gpu,memory.used";

/// A running `nvidia-smi -l 1` that writes `gpu_trace.csv` into one point directory.
pub struct GpuTrace {
    group: Group,
}

impl GpuTrace {
    /// Starts `program` (normally `nvidia-smi`). `TZ=UTC` makes its timestamps UTC, so they
    /// line up with aiperf's and the runner's own clocks.
    pub fn start(program: &str, point_dir: &Path) -> io::Result<GpuTrace> {
        let spec = Spec {
            argv: vec![
                program.to_string(),
                format!("--query-gpu={QUERY}"),
                "--format=csv".to_string(),
                "-l".to_string(),
                "1".to_string(),
            ],
            env: vec![("TZ".to_string(), "UTC".to_string())],
            stdout: point_dir.join(GPU_TRACE_FILE),
            stderr: Some(point_dir.join("gpu_trace.stderr.log")),
            append: false,
        };
        Ok(GpuTrace {
            group: Group::spawn(&spec)?,
        })
    }

    pub fn pid(&self) -> u32 {
        self.group.pid()
    }

    /// Stops the sampler and everything it started; nothing is left running.
    pub fn stop(mut self) {
        self.group.stop(Duration::from_secs(2), &|| false);
    }
}
