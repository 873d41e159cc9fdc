//! Capacities found by search (`capacity.json`), and each label's against the baseline's of the
//! same workload and SLA: higher or lower only when the ranges the true capacities lie in do
//! not overlap (the CIs from repeats when both have one, else the search brackets
//! [last pass, first fail)).

use serde::Serialize;

use super::compare::Verdict;
use super::sla::Sla;
use crate::model::{SearchedCapacity, Sweep};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchedFinding {
    pub label: String,
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub capacity: Option<u64>,
    pub bracket: [Option<u64>; 2],
    pub capacity_ci: Option<[f64; 2]>,
    pub binding: Option<String>,
    pub requests_per_s: Option<f64>,
    pub done: bool,
    pub path: String,
    /// Searched against the report's own SLA (`--sla`, `--sla-stat`): its bracket can be drawn
    /// on the report's charts.
    pub report_sla: bool,
    /// Against the baseline's search of the same workload and SLA, when there is one.
    pub vs_baseline: Option<CapacityChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityChange {
    pub baseline_label: String,
    pub baseline_capacity: Option<u64>,
    pub baseline_bracket: [Option<u64>; 2],
    /// Capacity against the baseline's, in percent.
    pub change_pct: Option<f64>,
    pub verdict: Verdict,
    /// What the ranges were: `ci` (both searches had repeats at their bracket) or `bracket`.
    pub basis: &'static str,
}

/// Every searched capacity of the sweep, the baseline label's first, each compared with the
/// baseline's of the same workload and SLA.
pub fn searched(sweep: &Sweep, baseline: Option<&str>, sla: Option<&Sla>) -> Vec<SearchedFinding> {
    let report_sla = |c: &SearchedCapacity| sla.is_some_and(|s| c.same_sla(&s.limits(), s.stat));
    let base_of = |c: &SearchedCapacity| {
        sweep.capacities.iter().find(|b| {
            Some(b.label.as_str()) == baseline
                && b.label != c.label
                && b.isl == c.isl
                && b.osl == c.osl
                && b.same_sla(&c.sla, c.sla_stat)
        })
    };
    let mut out: Vec<SearchedFinding> = sweep
        .capacities
        .iter()
        .map(|c| SearchedFinding {
            label: c.label.clone(),
            isl: c.isl,
            osl: c.osl,
            capacity: c.capacity,
            bracket: c.bracket,
            capacity_ci: c.capacity_ci,
            binding: c.binding.clone(),
            requests_per_s: c.requests_per_s,
            done: c.done,
            path: c.path.display().to_string(),
            report_sla: report_sla(c),
            vs_baseline: base_of(c).map(|b| change(b, c)),
        })
        .collect();
    out.sort_by_key(|f| Some(f.label.as_str()) != baseline);
    out
}

fn change(base: &SearchedCapacity, new: &SearchedCapacity) -> CapacityChange {
    let basis = if base.capacity_ci.is_some() && new.capacity_ci.is_some() {
        "ci"
    } else {
        "bracket"
    };
    let ranges = if basis == "ci" {
        base.capacity_ci.zip(new.capacity_ci)
    } else {
        base.bracket_range().zip(new.bracket_range())
    };
    let verdict = match ranges {
        Some((b, n)) if n[0] >= b[1] => Verdict::Better,
        Some((b, n)) if n[1] <= b[0] => Verdict::Worse,
        Some(_) => Verdict::Same,
        None => Verdict::Unverified,
    };
    let change_pct = match (base.capacity, new.capacity) {
        (Some(b), Some(n)) if b > 0 => Some((n as f64 / b as f64 - 1.0) * 100.0),
        _ => None,
    };
    CapacityChange {
        baseline_label: base.label.clone(),
        baseline_capacity: base.capacity,
        baseline_bracket: base.bracket,
        change_pct,
        verdict,
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Latency, Stat};

    fn cap(
        label: &str,
        capacity: u64,
        bracket: [u64; 2],
        ci: Option<[f64; 2]>,
    ) -> SearchedCapacity {
        SearchedCapacity {
            label: label.into(),
            isl: Some(64),
            osl: Some(32),
            sla: vec![(Latency::Ttft, 250.0)],
            sla_stat: Stat::Avg,
            capacity: Some(capacity),
            bracket: [Some(bracket[0]), Some(bracket[1])],
            binding: Some("ttft".into()),
            capacity_ci: ci,
            requests_per_s: None,
            output_tokens_per_s: None,
            output_tokens_per_s_gpu: None,
            done: true,
            precision_pct: Some(10.0),
            path: format!("{label}/capacity.json").into(),
        }
    }

    fn verdict(base: SearchedCapacity, new: SearchedCapacity) -> (Verdict, &'static str) {
        let sweep = Sweep {
            capacities: vec![base, new],
            ..Default::default()
        };
        let f = searched(&sweep, Some("base"), None);
        let c = f[1].vs_baseline.clone().expect("compared");
        (c.verdict, c.basis)
    }

    #[test]
    fn capacities_differ_only_when_their_ranges_do_not_overlap() {
        // 32 in [32, 34) against 64 in [64, 68): the tuned search passed where the baseline failed.
        let (v, basis) = verdict(
            cap("base", 32, [32, 34], None),
            cap("new", 64, [64, 68], None),
        );
        assert_eq!((v, basis), (Verdict::Better, "bracket"));
        assert_eq!(
            verdict(
                cap("base", 64, [64, 68], None),
                cap("new", 32, [32, 34], None)
            )
            .0,
            Verdict::Worse
        );
        // Brackets [30, 34) and [32, 36) overlap: within the search's precision.
        assert_eq!(
            verdict(
                cap("base", 30, [30, 34], None),
                cap("new", 32, [32, 36], None)
            )
            .0,
            Verdict::Same
        );
        // With CIs on both sides they decide: 31.0-33.5 against 33.0-35.0 overlap.
        let (v, basis) = verdict(
            cap("base", 32, [32, 34], Some([31.0, 33.5])),
            cap("new", 34, [34, 36], Some([33.0, 35.0])),
        );
        assert_eq!((v, basis), (Verdict::Same, "ci"));
    }

    #[test]
    fn a_different_sla_or_workload_is_not_compared() {
        let mut other = cap("new", 64, [64, 68], None);
        other.sla = vec![(Latency::Ttft, 500.0)];
        let sweep = Sweep {
            capacities: vec![cap("base", 32, [32, 34], None), other],
            ..Default::default()
        };
        let f = searched(&sweep, Some("base"), None);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|s| s.vs_baseline.is_none()));
    }
}
