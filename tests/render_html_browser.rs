//! report.html: rendered by a real browser (Debian's chromium, headless) and checked for
//! decoded images, key numbers and console errors; hostile input names come out inert.
//!
//! Without chromium the browser tests are skipped with a message, unless `CI` is set:
//! then a missing browser is a failure (`.ci/run` installs it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use adreport::analyze::findings::{analyze, Findings, Settings};
use adreport::analyze::sla::Sla;
use adreport::ingest::configs::find_configs;
use adreport::model::ConfigFile;
use adreport::model::{Latency, Metric, Point, RequestRow, Requests, Source, Stat, Sweep};
use adreport::render::headline::headline_lines;
use adreport::render::html::ReportHtml;
use adreport::render::output::{write_outputs, Exporter};
use adreport::render::ReportCtx;
use adreport::util::error::Error;

mod common;

/// Charts of report.html for these sweeps: TTFT, TPOT and E2E latency vs concurrency, request
/// and output throughput, efficiency, per-request TTFT and TPOT.
const CHARTS: usize = 8;

const HOSTILE_MODEL: &str = "<script>alert(1)</script>";
const HOSTILE_LABEL: &str = "tuned<img src=x onerror=alert(2)>";

/// (concurrency, ttft avg ms, tpot avg ms, request/s) of a hand-made sweep.
type Row = (u64, f64, f64, f64);

const BASELINE: [Row; 4] = [
    (1, 120.0, 5.0, 2.0),
    (4, 210.0, 5.8, 7.1),
    (8, 420.0, 6.6, 12.4),
    (16, 820.0, 8.1, 17.0),
];
const TUNED: [Row; 5] = [
    (1, 100.0, 4.6, 2.2),
    (4, 170.0, 5.1, 8.0),
    (8, 300.0, 5.9, 14.5),
    (16, 560.0, 6.8, 21.0),
    (32, 1100.0, 9.0, 25.0),
];

/// 40 requests spread ±20% around `ttft`/`tpot` (TPOT moves against TTFT).
fn requests(ttft: f64, tpot: f64) -> Requests {
    let mut r = Requests::default();
    for i in 0..40 {
        let off = ((i % 9) as f64 - 4.0) * 0.05;
        let (t, p) = (ttft * (1.0 + off), tpot * (1.0 - off));
        r.push(RequestRow {
            ttft_ms: Some(t),
            tpot_ms: Some(p),
            e2el_ms: Some(t + 63.0 * p),
            isl: Some(128.0),
            osl: Some(64.0),
            ok: true,
        });
    }
    r
}

fn point(dir: &Path, label: &str, model: &str, row: Row) -> Point {
    let (conc, ttft, tpot, rps) = row;
    let path = dir.join(format!("isl_128_osl_64_conc_{conc}"));
    fs::create_dir_all(&path).unwrap();
    let mut p = Point::new(Source::Aiperf, &path);
    p.label = label.into();
    p.model = Some(model.into());
    p.tool_version = Some("0.13.0".into());
    p.isl = Some(128);
    p.osl = Some(64);
    p.concurrency = Some(conc);
    p.num_gpus = Some(8);
    p.num_gpus_from = Some("--gpus".into());
    for (lat, avg) in [(Latency::Ttft, ttft), (Latency::Tpot, tpot)] {
        p.set(Metric::Latency(lat, Stat::Avg), avg);
        p.set(Metric::Latency(lat, Stat::P50), avg);
        p.set(Metric::Latency(lat, Stat::P99), avg * 1.2);
    }
    p.set(
        Metric::Latency(Latency::E2el, Stat::Avg),
        ttft + 63.0 * tpot,
    );
    p.set(Metric::RequestThroughput, rps);
    p.set(Metric::OutputTokenThroughput, rps * 64.0);
    p.set(Metric::TokensPerSUser, 1000.0 / tpot);
    p.set(Metric::TokensPerSGpu, rps * 64.0 / 8.0);
    p.set(Metric::DurationS, 40.0 / rps);
    p.requests = Some(requests(ttft, tpot));
    p
}

const BASE_CONFIG: &str = "compile_backend: torch-compile\nruntime: trtllm\nmax_batch_size: 64\n\
cuda_graph_batch_sizes: [1, 2, 4, 8, 16, 32, 64]\nattn_backend: flashinfer\nfree_mem_ratio: 0.8\n\
kv_cache_config:\n  enable_block_reuse: false\nworld_size: 8\n";
const TUNED_CONFIG: &str = "compile_backend: torch-opt\nruntime: trtllm\nmax_batch_size: 256\n\
cuda_graph_batch_sizes: [1, 2, 4, 8, 16, 32, 64, 128, 256]\nattn_backend: flashinfer\nfree_mem_ratio: 0.9\n\
kv_cache_config:\n  enable_block_reuse: true\nenable_attention_dp: true\nworld_size: 8\n";

struct Report {
    _dir: tempfile::TempDir,
    out: PathBuf,
    html: PathBuf,
    findings: Findings,
    configs: Vec<ConfigFile>,
}

/// Writes report.html (its charts drawn inline) into `out` through the report's writer.
fn write_html(
    sweep: &Sweep,
    findings: &Findings,
    configs: &[ConfigFile],
    out: &Path,
) -> Result<PathBuf, Error> {
    let mut sweep = sweep.clone();
    sweep.configs = configs.to_vec();
    let ctx = ReportCtx {
        findings,
        sweep: &sweep,
        inputs: &[],
        out_dir: out,
        lead: &[],
    };
    let list: Vec<Box<dyn Exporter<ReportCtx>>> = vec![Box::new(ReportHtml)];
    let files = write_outputs(&list, &ctx, out)?;
    Ok(files.last().expect("report.html").clone())
}

/// Writes runs, configs and plots under a temp dir and renders report.html from them.
fn make_report(hostile: bool) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let (tuned_label, tuned_model) = if hostile {
        (HOSTILE_LABEL, HOSTILE_MODEL)
    } else {
        ("tuned", "Qwen/Qwen3-8B")
    };
    let base_dir = dir.path().join("baseline");
    let tuned_dir = dir.path().join("tuned");
    let mut sweep = Sweep::default();
    for row in BASELINE {
        sweep
            .points
            .push(point(&base_dir, "baseline", "Qwen/Qwen3-8B", row));
    }
    for row in TUNED {
        sweep
            .points
            .push(point(&tuned_dir, tuned_label, tuned_model, row));
    }
    sweep.files_read = sweep.points.iter().map(|p| p.path.clone()).collect();
    fs::write(base_dir.join("extra_llm_api_options.yaml"), BASE_CONFIG).unwrap();
    let tuned_cfg = if hostile {
        format!("# </pre><script>alert(3)</script>\n{TUNED_CONFIG}")
    } else {
        TUNED_CONFIG.to_string()
    };
    fs::write(tuned_dir.join("extra_llm_api_options.yaml"), tuned_cfg).unwrap();
    fs::write(tuned_dir.join("broken.yaml"), "max_batch_size: [1, 2\n").unwrap();
    let settings = Settings {
        sla: Some(Sla::parse("ttft=500,tpot=7", Stat::Avg).unwrap()),
        fail_on_regression: Some(5.0),
        fail_on_sla: true,
        noise: Default::default(),
    };
    let mut findings = analyze(&sweep, &settings);
    let (configs, warnings) = find_configs(&sweep);
    findings
        .warnings
        .extend(warnings.iter().map(ToString::to_string));
    let out = dir.path().join("out");
    let html = write_html(&sweep, &findings, &configs, &out).unwrap();
    Report {
        _dir: dir,
        out,
        html,
        findings,
        configs,
    }
}

#[test]
fn report_is_self_contained_and_carries_the_numbers() {
    let r = make_report(false);
    let html = fs::read_to_string(&r.html).unwrap();
    assert_eq!(r.html, r.out.join("report.html"));
    // No external resource of any kind: images are data URIs, CSS inline, no links out.
    for bad in [
        "http://",
        "https://",
        "<link",
        "src=\"file",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(bad), "report.html contains {bad}");
    }
    // Every chart inline as SVG, none as an image: TTFT, TPOT and E2E latency, request and
    // output throughput, efficiency, TTFT and TPOT per request.
    assert_eq!(html.matches("<figure class=\"chart\"").count(), CHARTS);
    assert!(!html.contains("data:image/"));
    // Headline and gates.
    for line in &headline_lines(&r.findings) {
        // Tera escapes `/`; compare on a fragment without one.
        let frag: String = line.chars().take_while(|c| *c != '/').collect();
        assert!(html.contains(&frag), "headline {line:?} missing");
    }
    assert!(!r.findings.gate_hits.is_empty());
    assert!(html.contains("CI gate tripped"));
    // SLA table: baseline at 16 misses on TTFT 820 ms; capacity 8 with the TTFT crossing at
    // 8 + (500-420)/(820-420)*8 = 9.6.
    assert!(html.contains(">820.0<"));
    assert!(html.contains("≈ 9.60 (TTFT 500 ms, between 8 and 16)"));
    // Goodput at baseline conc 8 (TTFT 420, TPOT 6.6, offsets (i % 9 - 4) * 5%): TTFT fails only
    // at +20% (504 ms, i % 9 == 8: 4 requests); TPOT 6.6 * (1 + 0.10..0.20) > 7 at i % 9 in 0..=2
    // (15 requests). 40 - 19 = 21 good.
    assert!(html.contains("21&#x2F;40 (52.5%)"), "goodput missing");
    // Comparison: TTFT avg at conc 8 went 420 -> 300, -28.6%.
    assert!(html.contains("-28.6%"));
    // Unaligned conc 32 listed.
    assert!(html.contains("only in <b>tuned</b>: isl 128 osl 64 conc 32"));
    // Configs side by side with the differing key highlighted.
    assert_eq!(r.configs.len(), 2);
    assert!(html.contains("max_batch_size"));
    assert!(html.contains("<td class=\"cfg chg\">256</td>"));
    // The broken YAML beside the runs is a warning in the report.
    assert!(html.contains("broken.yaml: config skipped: not valid YAML"));
    // Metric definitions and provenance.
    assert!(html.contains("time from sending a request to receiving its first output token"));
    assert!(html.contains("aiperf 0.13.0"));
}

#[test]
fn hostile_names_are_escaped_in_the_file() {
    let r = make_report(true);
    let html = fs::read_to_string(&r.html).unwrap();
    // Our own scripts (charts, self-check) are the only ones that run; the others are the
    // charts' JSON and the views not shown yet (inert text). The names reach the JSON with
    // `<` escaped and the SVG as text.
    assert_eq!(html.matches("<script>").count(), 2);
    let inert = html.matches("<script type=\"application/json\"").count()
        + html.matches("<script type=\"text/x-svg\">").count();
    assert_eq!(html.matches("<script").count(), 2 + inert);
    assert!(html.contains("tuned\\u003cimg src=x onerror=alert(2)\\u003e"));
    assert!(html.contains("data-series=\"tuned&lt;img src=x onerror=alert(2)&gt;\""));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(html.contains("tuned&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;&#x2F;pre&gt;&lt;script&gt;alert(3)"));
}

#[test]
fn renders_without_sla_comparison_configs_or_plots() {
    let dir = tempfile::tempdir().unwrap();
    let mut sweep = Sweep::default();
    sweep
        .points
        .push(point(dir.path(), "only", "m", BASELINE[0]));
    let findings = analyze(&sweep, &Settings::default());
    let out = dir.path().join("out");
    let html = write_html(&sweep, &findings, &[], &out).unwrap();
    let html = fs::read_to_string(html).unwrap();
    assert!(html.contains("no SLA given"));
    assert!(!html.contains("id=\"sla\""));
    assert!(!html.contains("id=\"compare\""));
    assert!(!html.contains("<img"));
    // One point still draws its charts.
    assert!(html.contains("data-chart=\"ttft\""));
    // Nothing at all still renders.
    let empty_sweep = Sweep::default();
    let empty = analyze(&empty_sweep, &Settings::default());
    let html = write_html(&empty_sweep, &empty, &[], &out).unwrap();
    assert!(!fs::read_to_string(html).unwrap().contains("id=\"plots\""));
}

#[test]
fn write_error_names_the_directory() {
    let r = make_report(false);
    // A file where the output directory should be.
    let blocked = r.out.join("report.html").join("sub");
    let sweep = Sweep::default();
    let err = write_html(&sweep, &r.findings, &r.configs, &blocked).unwrap_err();
    assert!(err.to_string().contains("report.html/sub"), "{err}");
}

// ---------------------------------------------------------------------------
// The real browser.

struct BrowserRun {
    stdout: String,
    stderr: String,
}

/// Runs headless chromium on `url` with `extra` flags, killed after 90 s.
fn run_chromium(bin: &Path, url: &str, extra: &[String]) -> BrowserRun {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--window-size=1400,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(url)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out_dir = tempfile::tempdir().unwrap();
    let (so, se) = (out_dir.path().join("so"), out_dir.path().join("se"));
    cmd.stdout(fs::File::create(&so).unwrap());
    cmd.stderr(fs::File::create(&se).unwrap());
    let mut child = cmd.spawn().expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish in 90 s; stderr:\n{}",
                fs::read_to_string(&se).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    BrowserRun {
        stdout: fs::read_to_string(&so).unwrap_or_default(),
        stderr: fs::read_to_string(&se).unwrap_or_default(),
    }
}

/// Console messages and page errors chromium logged (`...:CONSOLE...` lines, `Uncaught`, CSP refusals).
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect()
}

fn file_url(p: &Path) -> String {
    format!("file://{}", fs::canonicalize(p).unwrap().display())
}

/// (width, height, share of pixels that are not near-white, distinct colours seen).
fn screenshot_stats(png_path: &Path) -> (u32, u32, f64, usize) {
    let decoder = png::Decoder::new(fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let bytes = &buf[..info.buffer_size()];
    let mut non_white = 0usize;
    let mut colours = std::collections::HashSet::new();
    let mut n = 0usize;
    for px in bytes.chunks(channels) {
        let rgb = [px[0], px[1], px.get(2).copied().unwrap_or(px[0])];
        n += 1;
        if rgb.iter().any(|c| *c < 235) {
            non_white += 1;
        }
        if colours.len() < 10_000 {
            colours.insert(rgb);
        }
    }
    (
        info.width,
        info.height,
        non_white as f64 / n.max(1) as f64,
        colours.len(),
    )
}

#[test]
fn chromium_renders_the_report() {
    let Some(bin) = common::chromium() else {
        return;
    };
    let r = make_report(false);
    let url = file_url(&r.html);

    let shot = r.out.join("screenshot.png");
    let run = run_chromium(&bin, &url, &[format!("--screenshot={}", shot.display())]);
    let meta = fs::metadata(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}); chromium stderr:\n{}", run.stderr));
    assert!(meta.len() > 0);
    let (w, h, ink, colours) = screenshot_stats(&shot);
    assert_eq!((w, h), (1400, 2000));
    assert!(ink > 0.02, "screenshot looks blank: {:.4} non-white", ink);
    assert!(colours > 20, "screenshot has only {colours} colours");
    assert!(
        console_errors(&run.stderr).is_empty(),
        "{:?}",
        console_errors(&run.stderr)
    );

    let run = run_chromium(&bin, &url, &["--dump-dom".to_string()]);
    let dom = run.stdout;
    let charts = format!("data-charts=\"{CHARTS}/{CHARTS}\"");
    assert!(
        dom.contains(&charts),
        "charts not all drawn (or the self-check did not run): {}",
        dom.lines()
            .find(|l| l.contains("<body"))
            .unwrap_or("no <body> in DOM")
    );
    assert!(
        console_errors(&run.stderr).is_empty(),
        "{:?}",
        console_errors(&run.stderr)
    );
    // Key numbers survive into the rendered DOM.
    for needle in [
        ">820.0<",
        "≈ 9.60 (TTFT 500 ms, between 8 and 16)",
        "21/40 (52.5%)",
        "-28.6%",
        "CI gate tripped",
        "max_batch_size",
    ] {
        assert!(dom.contains(needle), "DOM lacks {needle:?}");
    }
    // Keep the page and its screenshot for people when asked (look after a styling change).
    if let Some(keep) = std::env::var_os("ADREPORT_KEEP_DIR") {
        let keep = PathBuf::from(keep);
        fs::create_dir_all(&keep).unwrap();
        fs::copy(&shot, keep.join("screenshot.png")).unwrap();
        fs::copy(&r.html, keep.join("report.html")).unwrap();
    }
}

#[test]
fn chromium_keeps_hostile_names_inert() {
    let Some(bin) = common::chromium() else {
        return;
    };
    let r = make_report(true);
    let run = run_chromium(&bin, &file_url(&r.html), &["--dump-dom".to_string()]);
    let dom = run.stdout;
    assert!(
        dom.contains("<body"),
        "no DOM dumped; stderr:\n{}",
        run.stderr
    );
    assert!(!dom.contains("<script>alert"));
    assert!(!dom.contains("<img src=\"x\""));
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(dom.contains("&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
    // No image at all: the label's <img> stayed text.
    assert!(dom.contains("data-images-ok=\"0/0\""));
    assert!(
        console_errors(&run.stderr).is_empty(),
        "{:?}",
        console_errors(&run.stderr)
    );
}

/// The report of the README's main job, from the real aiperf sweeps, in a real browser.
#[test]
fn chromium_renders_the_real_compare_report() {
    let Some(bin) = common::chromium() else {
        return;
    };
    let out = common::sample_compare();
    let pngs = fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert!(pngs >= 5, "only {pngs} plots");
    let html = out.path().join("report.html");
    let run = run_chromium(&bin, &file_url(&html), &["--dump-dom".to_string()]);
    // Each chart of the page drawn: the three latency charts, request and output throughput,
    // efficiency and per-request TTFT and TPOT.
    let expect = format!("data-charts=\"{CHARTS}/{CHARTS}\"");
    assert!(
        run.stdout.contains(&expect),
        "charts not all drawn: want {expect}"
    );
    assert!(
        console_errors(&run.stderr).is_empty(),
        "{:?}",
        console_errors(&run.stderr)
    );
    // baseline conc 16 time_to_first_token.avg 225.9276769875 and tuned conc 16
    // inter_token_latency.avg 7.136631253174603, from the source JSON files.
    for needle in ["225.9", "7.14", "avg TPOT", "tuned", "baseline"] {
        assert!(run.stdout.contains(needle), "DOM lacks {needle:?}");
    }
    let shot = out.path().join("screenshot.png");
    run_chromium(
        &bin,
        &file_url(&html),
        &[format!("--screenshot={}", shot.display())],
    );
    let (_, _, ink, _) = screenshot_stats(&shot);
    assert!(ink > 0.02, "screenshot looks blank");
    if let Some(keep) = std::env::var_os("ADREPORT_KEEP_DIR") {
        let keep = PathBuf::from(keep);
        fs::create_dir_all(&keep).unwrap();
        fs::copy(&shot, keep.join("real_screenshot.png")).unwrap();
    }
}

/// The audit page (`adreport audit`, same template family) in a real browser.
#[test]
fn chromium_renders_the_audit_report() {
    let Some(bin) = common::chromium() else {
        return;
    };
    let out = common::sample_audit();
    let html = out.path().join("report.html");
    let run = run_chromium(&bin, &file_url(&html), &["--dump-dom".to_string()]);
    // Six metric charts and the Pareto chart.
    assert!(
        run.stdout.contains("data-charts=\"7/7\""),
        "charts not all drawn"
    );
    assert!(
        console_errors(&run.stderr).is_empty(),
        "{:?}",
        console_errors(&run.stderr)
    );
    // TTFT MAPE over the hand-made sweep (see tests/cli_audit.rs) and the interpolated point.
    for needle in ["19.7%", "interpolated 32..96", "tp8pp1dp1etp1ep1"] {
        assert!(run.stdout.contains(needle), "DOM lacks {needle:?}");
    }
    let shot = out.path().join("screenshot.png");
    run_chromium(
        &bin,
        &file_url(&html),
        &[format!("--screenshot={}", shot.display())],
    );
    let (_, _, ink, _) = screenshot_stats(&shot);
    assert!(ink > 0.02, "screenshot looks blank");
    if let Some(keep) = std::env::var_os("ADREPORT_KEEP_DIR") {
        let keep = PathBuf::from(keep);
        fs::create_dir_all(&keep).unwrap();
        fs::copy(&shot, keep.join("audit_screenshot.png")).unwrap();
    }
}
