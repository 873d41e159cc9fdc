use super::printed::split_label;
use super::*;

#[test]
fn labels_split_on_tabs_and_padding() {
    assert_eq!(
        split_label("Request Throughput (req/sec):                 \t  0.2678"),
        Some(("Request Throughput (req/sec)".into(), "0.2678".into()))
    );
    assert_eq!(
        split_label("[TPOT] P50    : 7.6079"),
        Some(("[TPOT] P50".into(), "7.6079".into()))
    );
    assert_eq!(
        split_label("Model:\t\t\tmeta-llama/x"),
        Some(("Model".into(), "meta-llama/x".into()))
    );
    assert_eq!(
        split_label("Dataset Path:   s3://b/x"),
        Some(("Dataset Path".into(), "s3://b/x".into()))
    );
    assert_eq!(
        split_label("EP Size:"),
        Some(("EP Size".into(), String::new()))
    );
}

#[test]
fn log_prefix_and_titles() {
    let (had, rest) =
        strip_log_prefix("[01/18/2025-01:01:42] [TRT-LLM] [I] = PERFORMANCE OVERVIEW ");
    assert!(had);
    assert_eq!(section_title(rest.trim()), Some(PERF_TITLE));
    assert_eq!(section_title("==========="), None);
    assert!(is_cpp_log_line(
        "[TensorRT-LLM][INFO] Refreshed the MPI local session"
    ));
    assert!(!strip_log_prefix("[TPOT] P50    : 7.6079").0);
    assert_eq!(
        block_heading("--- a_CON1024.out ---"),
        Some("a_CON1024.out")
    );
    assert_eq!(
        block_heading("-- Request Latency Breakdown (ms) -----------------------"),
        None
    );
}
