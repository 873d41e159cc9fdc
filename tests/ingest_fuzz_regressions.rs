//! Replays on stable what the fuzz targets run (fuzz/fuzz_targets/harness.rs): every input that
//! once crashed a target (tests/fuzz_regressions/<target>/) and every seed (fuzz/seeds/<target>/).
//! A panic here is a regression. See README "Fuzzing" for running the fuzzers themselves.

use std::fs;

#[path = "../fuzz/fuzz_targets/harness.rs"]
mod harness;

mod common;
use common::repo;

fn replay(dir: &str) -> usize {
    let mut n = 0;
    for target in harness::TARGETS {
        let Ok(entries) = fs::read_dir(repo(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = fs::read(&f).unwrap();
            eprintln!("{target}: {}", f.display());
            harness::run(target, &data);
            n += 1;
        }
    }
    n
}

#[test]
fn crash_inputs_found_by_fuzzing_no_longer_crash() {
    // Each subdirectory is named after the target that found its inputs.
    for d in fs::read_dir(repo("tests/fuzz_regressions")).unwrap() {
        let d = d.unwrap();
        if d.file_type().unwrap().is_dir() {
            let name = d.file_name().to_string_lossy().into_owned();
            assert!(
                harness::TARGETS.contains(&name.as_str()),
                "unknown target dir {name}"
            );
        }
    }
    replay("tests/fuzz_regressions");
}

#[test]
fn fuzz_seeds_run_clean() {
    assert!(replay("fuzz/seeds") >= 16);
}
