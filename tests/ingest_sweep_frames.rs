//! The Sweep's polars frames and the walker's name/content reconciliation, on real samples.

use adreport::ingest::{load, IngestOptions, Input};

#[test]
fn requests_frame_has_one_row_per_profiled_request() {
    let sweep = load(
        &[Input::parse("sample-results/aiperf/baseline")],
        &IngestOptions::default(),
    )
    .unwrap();
    let frame = sweep.requests_frame().unwrap();
    // request_count.avg of the four baseline runs: 5 + 20 + 40 + 80 (warmup records excluded).
    assert_eq!(frame.height(), 145);
    let ok = frame.column("ok").unwrap().bool().unwrap().sum().unwrap();
    assert_eq!(ok, 145);
    let points = sweep.points_frame().unwrap();
    assert_eq!(points.height(), 4);
    let conc = points.column("concurrency").unwrap();
    let conc: Vec<Option<u64>> = (0..4)
        .map(|i| conc.get(i).unwrap().extract::<u64>())
        .collect();
    assert_eq!(conc, vec![Some(1), Some(4), Some(8), Some(16)]);
}

#[test]
fn directory_name_disagreeing_with_content_is_a_warning_and_content_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let src = std::path::Path::new("sample-results/aiperf/tuned/isl_128_osl_64_conc_4");
    let dst = tmp.path().join("tuned").join("isl_128_osl_64_conc_6");
    std::fs::create_dir_all(&dst).unwrap();
    for f in ["profile_export_aiperf.json", "profile_export.jsonl"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    let sweep = load(
        &[Input::parse(tmp.path().to_str().unwrap())],
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(sweep.points.len(), 1);
    assert_eq!(sweep.points[0].concurrency, Some(4));
    assert_eq!(sweep.points[0].label, "tuned");
    let w: Vec<String> = sweep.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("concurrency is 4 in the file but 6 in the directory name")),
        "{w:?}"
    );
}
