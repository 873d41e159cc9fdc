//! GPU telemetry from real aiperf 0.13 runs on an H100 (tests/data/gpu_telemetry/README.md):
//! aiperf's summary, its per-sample JSONL and an nvidia-smi trace agree on the energy of the
//! profiling window.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use adreport::ingest::telemetry::{
    aiperf_samples, from_aiperf_export, nvidia_smi_samples, profiling_window, read_point_dir,
    TelemetrySource, GPU_TRACE_FILE,
};

fn dir(c: u64) -> PathBuf {
    PathBuf::from(format!(
        "tests/data/gpu_telemetry/with_pynvml/isl_512_osl_128_conc_{c}"
    ))
}

fn export(d: &Path) -> (PathBuf, serde_json::Value) {
    let path = d.join("profile_export_aiperf.json");
    let v = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    (path, v)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    ((a - b) / b).abs() <= rel
}

#[test]
fn aiperf_summary_is_read_with_units() {
    let (path, v) = export(&dir(8));
    let t = from_aiperf_export(&path, &v).unwrap().unwrap();
    assert_eq!(t.source, TelemetrySource::AiperfSummary);
    // nvidia_total_gpu_energy {"unit": "J", "avg": 2443.963}
    assert_eq!(t.energy_j, Some(2443.963));
    // nvidia_total_gpu_power {"unit": "W", "avg": 135.76753703703704}
    assert_eq!(t.power_avg_w, Some(135.76753703703704));
    // telemetry_data...gpu_0.metrics.nvidia_gpu_utilization.avg and nvidia_memory_used.max (GB)
    assert_eq!(t.util_avg_pct, Some(11.714285714285714));
    assert_eq!(t.mem_used_max_gb, Some(6.114050048));
    assert_eq!(t.gpus, 1);
    assert!(t.exact_window);
}

#[test]
fn summary_energy_agrees_with_power_times_duration() {
    for (c, duration_s) in [(2, 15.935107584), (8, 17.997534208)] {
        // benchmark_duration.avg of each export.
        let (path, v) = export(&dir(c));
        let t = from_aiperf_export(&path, &v).unwrap().unwrap();
        let e = t.energy_j.unwrap();
        let pxd = t.power_avg_w.unwrap() * duration_s;
        // conc 8: 135.7675 W x 17.9975 s = 2443.48 J vs 2443.963 J (0.02 %).
        assert!(close(pxd, e, 0.02), "conc {c}: {pxd} vs {e}");
    }
}

#[test]
fn per_sample_jsonl_over_the_profiling_window_agrees_with_the_summary() {
    for (c, summary_j) in [(2, 2131.9579999999987), (8, 2443.963)] {
        let d = dir(c);
        let w = profiling_window(&d).unwrap().unwrap();
        // phase_manifest.json, the profiling phase (the warmup phase before it is left out).
        if c == 8 {
            assert_eq!(
                (w.start_ns, w.end_ns),
                (1795617109734451059, 1795617127735894989)
            );
        }
        assert!(w.exact);
        let series = aiperf_samples(&d.join("gpu_telemetry_export.jsonl")).unwrap();
        assert_eq!(
            series.values().map(Vec::len).sum::<usize>(),
            if c == 8 { 72 } else { 84 }
        );
        // Integrated through read_point_dir without the summary: the NVML counter's rise over
        // the window, 2443.867 J at conc 8 (python3 over the same file: 2443.8669091975735).
        let t = read_point_dir(&d, None).unwrap().unwrap();
        assert_eq!(t.source, TelemetrySource::AiperfSamples);
        let e = t.energy_j.unwrap();
        assert!(close(e, summary_j, 0.001), "conc {c}: {e} vs {summary_j}");
        if c == 8 {
            assert!((e - 2443.8669091975735).abs() < 1e-6, "{e}");
        }
    }
}

#[test]
fn an_nvidia_smi_trace_of_the_same_samples_agrees_within_a_tenth_of_a_percent() {
    let d = dir(8);
    let out = scratch("smi");
    // The runner's trace for this point: the real samples as nvidia-smi prints them (ms
    // timestamps in UTC, power to 0.01 W, MiB), no energy counter, so power is integrated.
    fs::copy(
        d.join("phase_manifest.json"),
        out.join("phase_manifest.json"),
    )
    .unwrap();
    fs::write(
        out.join(GPU_TRACE_FILE),
        smi_csv(&d.join("gpu_telemetry_export.jsonl")),
    )
    .unwrap();
    let series = nvidia_smi_samples(&out.join(GPU_TRACE_FILE)).unwrap();
    assert_eq!(series["0"].len(), 72);
    let t = read_point_dir(&out, None).unwrap().unwrap();
    assert_eq!(t.source, TelemetrySource::NvidiaSmiTrace);
    // Trapezoids over the window, python3 over the same CSV values: 2443.74205623976 J.
    let e = t.energy_j.unwrap();
    assert!((e - 2443.74205623976).abs() < 1e-6, "{e}");
    assert!(close(e, 2443.963, 0.001));
    // 6.114050048 GB = 5830.8 MiB, printed as 5831 MiB.
    assert!(close(t.mem_used_max_gb.unwrap(), 6.114050048, 0.001));
}

#[test]
fn a_run_without_telemetry_has_none() {
    let d = PathBuf::from("tests/data/gpu_telemetry/no_telemetry/isl_512_osl_128_conc_16");
    let (path, v) = export(&d);
    assert_eq!(from_aiperf_export(&path, &v).unwrap(), None);
    assert_eq!(read_point_dir(&d, Some((&path, &v))).unwrap(), None);
}

#[test]
fn a_trace_that_misses_the_window_is_an_error_naming_the_file() {
    let out = scratch("short");
    fs::copy(
        dir(8).join("phase_manifest.json"),
        out.join("phase_manifest.json"),
    )
    .unwrap();
    // Two samples long before the profiling phase.
    fs::write(
        out.join(GPU_TRACE_FILE),
        "timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]\n\
         2026/11/25 14:00:00.000, 0, 120.00 W, 0 %, 5000 MiB\n\
         2026/11/25 14:00:01.000, 0, 121.00 W, 0 %, 5000 MiB\n",
    )
    .unwrap();
    let err = read_point_dir(&out, None).unwrap_err().to_string();
    assert!(
        err.contains(GPU_TRACE_FILE) && err.contains("must cover all of it"),
        "{err}"
    );
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("adreport-telemetry-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// aiperf's JSONL samples printed the way `nvidia-smi --query-gpu=... --format=csv` prints them.
fn smi_csv(jsonl: &Path) -> String {
    let mut out =
        String::from("timestamp, index, power.draw [W], utilization.gpu [%], memory.used [MiB]\n");
    for line in fs::read_to_string(jsonl)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let ns = v["timestamp_ns"].as_u64().unwrap();
        let t = UNIX_EPOCH + Duration::from_millis(ns / 1_000_000);
        let ts = humantime::format_rfc3339_millis(t)
            .to_string()
            .replace('-', "/")
            .replace('T', " ");
        let d = &v["telemetry_data"];
        out.push_str(&format!(
            "{}, {}, {:.2} W, {} %, {:.0} MiB\n",
            ts.trim_end_matches('Z'),
            v["gpu_index"],
            d["nvidia_power_usage"].as_f64().unwrap(),
            d["nvidia_gpu_utilization"].as_f64().unwrap(),
            d["nvidia_memory_used"].as_f64().unwrap() * 1e9 / 1_048_576.0
        ));
    }
    out
}
