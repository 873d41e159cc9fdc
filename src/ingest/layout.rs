//! What directory and file names say about a point: ISL, OSL, concurrency.
//!
//! Names are only hints: readers take these from file content first.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

/// Values found in path names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameHints {
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrency: Option<u64>,
}

fn patterns() -> &'static [(Regex, usize); 4] {
    static P: OnceLock<[(Regex, usize); 4]> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex");
        [
            (re(r"(?i)(?:^|[^a-z])isl[_-]?(\d+)"), 0),
            (re(r"(?i)(?:^|[^a-z])osl[_-]?(\d+)"), 1),
            (re(r"(?i)(?:^|[^a-z])conc(?:urrency)?[_-]?(\d+)"), 2),
            // dynamo's benchmark layout: `c8/`
            (re(r"^c(\d+)$"), 2),
        ]
    })
}

/// Hints from the components of `rel` (innermost wins), e.g. `isl_128_osl_64_conc_8/` or `concurrency_8.json`.
pub fn name_hints(rel: &Path) -> NameHints {
    let mut h = NameHints::default();
    for comp in rel.components() {
        let name = comp.as_os_str().to_string_lossy();
        let stem = name.split('.').next().unwrap_or(&name).to_string();
        for (re, slot) in patterns() {
            if let Some(v) = re
                .captures(&stem)
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse().ok())
            {
                match slot {
                    0 => h.isl = Some(v),
                    1 => h.osl = Some(v),
                    _ => h.concurrency = Some(v),
                }
            }
        }
    }
    h
}

/// True when a name says nothing but the load (`isl_128_osl_64_conc_8`, `concurrency_16`, `c8`),
/// so it names a point, not a series.
pub fn is_load_name(name: &str) -> bool {
    static LOAD: OnceLock<Regex> = OnceLock::new();
    let re = LOAD.get_or_init(|| {
        Regex::new(
            r"(?i)^(?:[_-]*(?:isl|osl|conc(?:urrency)?|c|bs|batch(?:_size)?)[_-]?\d+)+[_-]*$",
        )
        .expect("static regex")
    });
    re.is_match(name)
}

/// The repeat number a directory name gives: `rep_2`, `run_0001` (aiperf `--num-profile-runs`),
/// `repeat_3`, `trial_0002` (aiperf sweeps with trials); `None` for any other name.
pub fn repeat_number(name: &str) -> Option<u32> {
    static REP: OnceLock<Regex> = OnceLock::new();
    let re = REP.get_or_init(|| {
        Regex::new(r"(?i)^(?:rep|run|repeat|trial)[_-]?(\d+)$").expect("static regex")
    });
    re.captures(name)?.get(1)?.as_str().parse().ok()
}

/// Directories that only hold repeats or tool bookkeeping, never a series: repeat directories,
/// aiperf's `profile_runs/` wrapper and its `aggregate/` summaries.
pub fn is_repeat_name(name: &str) -> bool {
    repeat_number(name).is_some()
        || ["profile_runs", "aggregate", "sweep_aggregate"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
}

/// The repeat number of a point from its path (innermost repeat directory wins).
pub fn repeat_in_path(rel: &Path) -> Option<u32> {
    rel.components()
        .rev()
        .find_map(|c| repeat_number(&c.as_os_str().to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_layouts_in_use() {
        let h = name_hints(Path::new("baseline/isl_128_osl_64_conc_16"));
        assert_eq!(
            h,
            NameHints {
                isl: Some(128),
                osl: Some(64),
                concurrency: Some(16)
            }
        );
        assert_eq!(
            name_hints(Path::new("run/concurrency_8.json")).concurrency,
            Some(8)
        );
        assert_eq!(
            name_hints(Path::new("bench/concurrency_32")).concurrency,
            Some(32)
        );
        assert_eq!(name_hints(Path::new("agg/c64")).concurrency, Some(64));
        let s = name_hints(Path::new(
            "sglang_bench_serving_vllm_backend_isl128_osl64_conc8.jsonl",
        ));
        assert_eq!(
            s,
            NameHints {
                isl: Some(128),
                osl: Some(64),
                concurrency: Some(8)
            }
        );
        assert_eq!(name_hints(Path::new("tuned/cache")).concurrency, None);
    }

    #[test]
    fn repeat_directories_give_a_number_and_never_a_series() {
        for (n, want) in [
            ("rep_1", 1),
            ("run_0001", 1),
            ("trial_0002", 2),
            ("repeat_3", 3),
            ("REP-12", 12),
        ] {
            assert_eq!(repeat_number(n), Some(want), "{n}");
            assert!(is_repeat_name(n), "{n}");
        }
        for n in ["run", "runs_2", "tuned_run_1", "reporter_1", "trial"] {
            assert_eq!(repeat_number(n), None, "{n}");
        }
        assert!(is_repeat_name("profile_runs") && is_repeat_name("aggregate"));
        assert_eq!(
            repeat_in_path(Path::new("x/profile_runs/trial_0002/concurrency_8")),
            Some(2)
        );
        assert_eq!(repeat_in_path(Path::new("x/tuned/conc_8")), None);
    }

    #[test]
    fn load_names_are_told_from_series_names() {
        for n in [
            "isl_128_osl_64_conc_8",
            "concurrency_16",
            "c8",
            "isl_128_osl_64",
            "bs_64",
        ] {
            assert!(is_load_name(n), "{n}");
        }
        for n in [
            "qwen3_32b_h200_isl4000_osl500",
            "tuned",
            "baseline_c8_fp8",
            "Qwen",
        ] {
            assert!(!is_load_name(n), "{n}");
        }
    }
}
