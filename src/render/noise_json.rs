//! `noise.json`: the run-to-run noise of one config, written by `adreport noise` and read back
//! by `compare --noise FILE` (format in `analyze::noise`).

use super::format::human;
use super::output::{Exporter, Output};
use crate::analyze::noise::NoiseTable;
use crate::util::error::Error;

pub const FILE: &str = "noise.json";

pub struct NoiseJson;

impl Exporter<NoiseTable> for NoiseJson {
    fn render(&self, table: &NoiseTable, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let mut s = serde_json::to_string_pretty(table)
            .map_err(|e| Error::Usage(format!("cannot serialise the noise table: {e}")))?;
        s.push('\n');
        Ok(vec![Output::text(FILE, s)])
    }
}

/// One line per load point: how many runs and the spread of the CVs over its metrics.
pub fn noise_summary(table: &NoiseTable) -> String {
    let mut out = String::new();
    for p in &table.points {
        let o = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
        let load = match (p.concurrency, p.max_batch_size) {
            (None, Some(bs)) => format!("bs {bs}"),
            (c, _) => format!("conc {}", o(c)),
        };
        let mut cvs: Vec<f64> = p.metrics.values().map(|m| m.cv * 100.0).collect();
        cvs.sort_unstable_by(f64::total_cmp);
        let runs = p.metrics.values().map(|m| m.runs).max().unwrap_or(0);
        let (lo, mid, hi) = (cvs[0], cvs[cvs.len() / 2], cvs[cvs.len() - 1]);
        out.push_str(&format!(
            "isl {} osl {} {load}: {runs} runs, run-to-run CV over {} metrics {}% to {}% (median {}%)\n",
            o(p.isl),
            o(p.osl),
            cvs.len(),
            human(lo),
            human(hi),
            human(mid)
        ));
    }
    out
}
