//! `isl_osl_output_throughput.md`: per label, ISL down and OSL across, the best output
//! throughput at each workload and the max batch size that gave it. Written only when some
//! label was run at more than one (ISL, OSL), as `run offline` sweeps are.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::format::human;
use super::output::{Exporter, Output};
use super::ReportCtx;
use crate::analyze::findings::{Findings, Series};
use crate::util::error::Error;

pub const FILE: &str = "isl_osl_output_throughput.md";

pub struct IslOslTable;

impl Exporter<ReportCtx<'_>> for IslOslTable {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(isl_osl_table(ctx.findings)
            .map(|t| Output::text(FILE, t))
            .into_iter()
            .collect())
    }
}

/// The table, or `None` when no label has more than one known workload: nothing to lay out.
pub fn isl_osl_table(f: &Findings) -> Option<String> {
    let workloads = |label: &str| -> Vec<&Series> {
        f.series
            .iter()
            .filter(|s| s.label == label && s.isl.is_some() && s.osl.is_some())
            .collect()
    };
    if f.labels.iter().all(|l| workloads(l).len() < 2) {
        return None;
    }
    let by_batch_size = f
        .series
        .iter()
        .any(|s| s.best_output.is_some_and(|b| b.max_batch_size.is_some()));
    let mut out = String::from("## Output throughput by ISL x OSL\n\n");
    out.push_str(if by_batch_size {
        "Best output tokens/s over the max batch sizes run (the batch size that gave it in brackets).\n"
    } else {
        "Best output tokens/s over the points run at each ISL and OSL.\n"
    });
    for label in &f.labels {
        let series = workloads(label);
        if series.is_empty() {
            continue;
        }
        let isls: BTreeSet<u64> = series.iter().filter_map(|s| s.isl).collect();
        let osls: BTreeSet<u64> = series.iter().filter_map(|s| s.osl).collect();
        let _ = write!(out, "\n### {label}\n\n| ISL \\ OSL |");
        for o in &osls {
            let _ = write!(out, " {o} |");
        }
        out.push_str("\n| ---: |");
        out.push_str(&" ---: |".repeat(osls.len()));
        out.push('\n');
        for i in &isls {
            let _ = write!(out, "| {i} |");
            for o in &osls {
                let best = series
                    .iter()
                    .find(|s| s.isl == Some(*i) && s.osl == Some(*o))
                    .and_then(|s| s.best_output);
                let cell = match best {
                    Some(b) => match b.max_batch_size {
                        Some(bs) => format!("{} (bs {bs})", human(b.output_token_throughput)),
                        None => human(b.output_token_throughput),
                    },
                    None => "-".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::{analyze, Settings};
    use crate::model::{test_point, Metric, Point, Sweep};

    /// A trtllm-bench throughput point: no concurrency, a max batch size.
    fn offline_point(label: &str, isl: u64, bs: u64, out_tput: f64) -> Point {
        let mut p = test_point(1, 100.0, 1.0);
        p.label = label.into();
        p.concurrency = None;
        (p.isl, p.osl) = (Some(isl), Some(128));
        p.extra.insert("max_batch_size".into(), bs.to_string());
        p.set(Metric::OutputTokenThroughput, out_tput);
        p
    }

    #[test]
    fn best_throughput_per_workload_and_the_batch_size_that_gave_it() {
        let mut sweep = Sweep::default();
        for (label, isl, bs, tput) in [
            ("pytorch", 128, 32, 1500.0),
            ("pytorch", 128, 64, 2500.0),
            ("pytorch", 512, 32, 900.4),
            ("pytorch", 512, 64, 850.0),
            ("_autodeploy", 128, 32, 1700.0),
        ] {
            sweep.points.push(offline_point(label, isl, bs, tput));
        }
        let f = analyze(&sweep, &Settings::default());
        let table = isl_osl_table(&f).expect("two workloads");
        assert_eq!(
            table,
            "## Output throughput by ISL x OSL\n\nBest output tokens/s over the max batch sizes run (the batch size that gave it in brackets).\n\
             \n### pytorch\n\n| ISL \\ OSL | 128 |\n| ---: | ---: |\n| 128 | 2500 (bs 64) |\n| 512 | 900.4 (bs 32) |\n\
             \n### _autodeploy\n\n| ISL \\ OSL | 128 |\n| ---: | ---: |\n| 128 | 1700 (bs 32) |\n"
        );
        // One workload per label: no table.
        sweep.points.retain(|p| p.isl == Some(128));
        assert_eq!(isl_osl_table(&analyze(&sweep, &Settings::default())), None);
    }
}
