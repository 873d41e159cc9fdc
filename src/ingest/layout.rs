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
