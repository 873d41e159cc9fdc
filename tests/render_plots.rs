//! The report PNGs: every expected file is written, decodes, has the right size,
//! is not blank and shows each series' colour.

use std::path::{Path, PathBuf};

use adreport::analyze::findings::{analyze, Settings};
use adreport::analyze::sla::Sla;
use adreport::model::{Latency, Metric, Point, RequestRow, Requests, Source, Stat, Sweep};
use adreport::render::output::{write_outputs, Exporter};
use adreport::render::plots::svg::report_charts;
use adreport::render::plots::{Charts, HEIGHT, PALETTE, SLA_RGB, WIDTH};
use adreport::render::ReportCtx;
use adreport::util::error::Error;

const LABELS: [&str; 2] = ["vllm-tp1", "sglang-tp1"];
const CONCS: [u64; 4] = [1, 4, 16, 64];

const CONC_FILES: [&str; 6] = [
    "p50_inter_token_latency_vs_concurrency.png",
    "avg_inter_token_latency_vs_concurrency.png",
    "avg_time_to_first_token_vs_concurrency.png",
    "p99_time_to_first_token_vs_concurrency.png",
    "request_throughput_vs_concurrency.png",
    "output_token_throughput_vs_concurrency.png",
];
const OTHER_FILES: [&str; 3] = [
    "efficiency_tok_s_gpu_vs_user.png",
    "ttft_distribution.png",
    "tpot_distribution.png",
];

/// Deterministic spread in [0, 1) so request latencies vary without a RNG.
fn jitter(i: usize) -> f64 {
    ((i as f64 * 0.618_033_988_75) % 1.0 + (i * i % 7) as f64 / 7.0) / 2.0
}

/// Latencies grow with load; the second label is 30% slower.
fn synthetic_point(label: &str, label_idx: usize, conc: u64, gpus: Option<u64>) -> Point {
    let mut p = Point::new(Source::Aiperf, format!("synthetic/{label_idx}/{conc}"));
    p.label = label.to_string();
    p.concurrency = Some(conc);
    let slow = 1.0 + 0.3 * label_idx as f64;
    let c = conc as f64;
    let mut req = Requests::default();
    for i in 0..60 {
        let j = jitter(i + 100 * conc as usize);
        req.push(RequestRow {
            ttft_ms: Some(slow * (40.0 + 8.0 * c) * (0.6 + j)),
            tpot_ms: Some(slow * (8.0 + 0.25 * c) * (0.85 + 0.3 * j)),
            e2el_ms: None,
            isl: Some(512.0),
            osl: Some(128.0),
            ok: i != 7,
        });
    }
    let ttft = req.ok_values(Latency::Ttft);
    let tpot = req.ok_values(Latency::Tpot);
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let method = p.source.percentile_method();
    let pct = |v: &[f64], s: Stat| adreport::model::stats::stat(v, s, method);
    p.set(Metric::Latency(Latency::Ttft, Stat::Avg), avg(&ttft));
    p.set_opt(
        Metric::Latency(Latency::Ttft, Stat::P99),
        pct(&ttft, Stat::P99),
    );
    p.set(Metric::Latency(Latency::Tpot, Stat::Avg), avg(&tpot));
    p.set_opt(
        Metric::Latency(Latency::Tpot, Stat::P50),
        pct(&tpot, Stat::P50),
    );
    let per_user = 1000.0 / avg(&tpot);
    let out_tput = per_user * c * 0.9;
    p.set(Metric::TokensPerSUser, per_user);
    p.set(Metric::OutputTokenThroughput, out_tput);
    p.set(Metric::RequestThroughput, out_tput / 128.0);
    if let Some(g) = gpus {
        p.num_gpus = Some(g);
        p.set(Metric::TokensPerSGpu, out_tput / g as f64);
    }
    p.requests = Some(req);
    p
}

fn sweep(gpus: Option<u64>) -> Sweep {
    let mut s = Sweep::default();
    for (i, l) in LABELS.iter().enumerate() {
        for c in CONCS {
            s.points.push(synthetic_point(l, i, c, gpus));
        }
    }
    s
}

/// Analyzes the sweep against `sla` and writes its charts into `out_dir`, as `report` does.
fn write_plots(sweep: &Sweep, sla: Option<&Sla>, out_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let settings = Settings {
        sla: sla.cloned(),
        ..Settings::default()
    };
    let findings = analyze(sweep, &settings);
    let ctx = ReportCtx {
        findings: &findings,
        sweep,
        inputs: &[],
        out_dir,
        lead: &[],
    };
    let charts: Vec<Box<dyn Exporter<ReportCtx>>> = vec![Box::new(Charts)];
    write_outputs(&charts, &ctx, out_dir)
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .collect()
}

fn count_rgb(img: &image::RgbImage, rgb: (u8, u8, u8)) -> usize {
    img.pixels()
        .filter(|p| p.0 == [rgb.0, rgb.1, rgb.2])
        .count()
}

/// Decodes the PNG and checks size, that it is not blank, and the series colours.
fn check_png(path: &Path, series: usize) -> image::RgbImage {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (WIDTH, HEIGHT), "{}", path.display());
    let first = img.get_pixel(0, 0).0;
    assert!(
        img.pixels().any(|p| p.0 != first),
        "{} is blank",
        path.display()
    );
    for (i, rgb) in PALETTE.iter().take(series).enumerate() {
        let n = count_rgb(&img, *rgb);
        assert!(
            n > 50,
            "{}: series {i} colour has {n} pixels",
            path.display()
        );
    }
    img
}

#[test]
fn writes_every_chart_and_each_shows_both_series() {
    let dir = tempfile::tempdir().unwrap();
    let sla = Sla::parse("ttft=500,tpot=20", Stat::Avg).unwrap();
    let written = write_plots(&sweep(Some(8)), Some(&sla), dir.path()).unwrap();
    let mut expected: Vec<String> = CONC_FILES
        .iter()
        .chain(OTHER_FILES.iter())
        .map(|s| s.to_string())
        .collect();
    let mut got = names(&written);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for path in &written {
        assert!(path.starts_with(dir.path()));
        check_png(path, LABELS.len());
    }
    // The judged statistic (avg) gets the strong red SLA line; high-load points miss it.
    let ttft = check_png(
        &dir.path()
            .join("avg_time_to_first_token_vs_concurrency.png"),
        2,
    );
    assert!(count_rgb(&ttft, SLA_RGB) > 200);
}

#[test]
fn without_sla_or_gpu_count_nothing_is_red_and_efficiency_still_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_plots(&sweep(None), None, dir.path()).unwrap();
    assert_eq!(written.len(), CONC_FILES.len() + OTHER_FILES.len());
    for path in &written {
        let img = check_png(path, LABELS.len());
        assert_eq!(count_rgb(&img, SLA_RGB), 0, "{}", path.display());
    }
}

#[test]
fn charts_without_data_are_skipped_and_nan_is_never_drawn() {
    let mut s = Sweep::default();
    for (i, c) in CONCS.iter().enumerate() {
        let mut p = Point::new(Source::BenchmarkServing, format!("p{i}"));
        p.label = "only".into();
        p.concurrency = Some(*c);
        p.set(Metric::RequestThroughput, 1.0 + i as f64);
        // A NaN that bypassed Point::set must be left out, not drawn.
        p.metrics
            .insert(Metric::Latency(Latency::Ttft, Stat::Avg), f64::NAN);
        s.points.push(p);
    }
    let dir = tempfile::tempdir().unwrap();
    let written = write_plots(&s, None, dir.path()).unwrap();
    assert_eq!(
        names(&written),
        vec!["request_throughput_vs_concurrency.png"]
    );
    check_png(&written[0], 1);
}

#[test]
fn empty_sweep_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_plots(&Sweep::default(), None, dir.path()).unwrap();
    assert!(written.is_empty());
}

#[test]
fn unwritable_output_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = write_plots(&sweep(Some(8)), None, &file).unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

/// Renders the synthetic sweep into ADREPORT_PLOT_DIR for a visual check.
#[test]
#[ignore]
fn render_for_eyes() {
    let Some(dir) = std::env::var_os("ADREPORT_PLOT_DIR") else {
        return;
    };
    let sla = Sla::parse("ttft=500,tpot=20", Stat::Avg).unwrap();
    write_plots(&sweep(Some(8)), Some(&sla), Path::new(&dir)).unwrap();
    // Harder case: many labels, a long label, irregular concurrencies, no GPU count,
    // a TTFT limit far above the data and a percentile SLA.
    let labels = [
        "a",
        "b-tp2",
        "c-with-a-really-long-label-name-that-goes-on-and-on",
        "d",
        "e",
        "f",
        "g",
    ];
    let mut s = Sweep::default();
    for (i, l) in labels.iter().enumerate() {
        for c in [1, 2, 5, 10, 50, 100, 150, 200, 250] {
            s.points.push(synthetic_point(l, i, c, None));
        }
    }
    let sla = Sla::parse("ttft=50000,tpot=40", Stat::P50).unwrap();
    write_plots(&s, Some(&sla), &Path::new(&dir).join("stress")).unwrap();
}

/// The value of attribute `name` in one SVG tag's text.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].split('"').next()
}

/// report.html's inline SVG and the PNG are drawn by the same code: every marker of the first
/// series sits in the SVG exactly where the PNG has that series' colour, each point is a
/// `data-point` group inside its label's `data-series` group, and each label has a toggle.
#[test]
fn inline_svg_marks_every_point_where_the_png_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = sweep(Some(8));
    let sla = Sla::parse("ttft=500,tpot=20", Stat::Avg).unwrap();
    write_plots(&s, Some(&sla), dir.path()).unwrap();
    let settings = Settings {
        sla: Some(sla),
        ..Settings::default()
    };
    let findings = analyze(&s, &settings);
    let charts = report_charts(&s, &findings, dir.path()).unwrap();
    let (r, g, b) = PALETTE[0];
    let fill = format!("#{r:02X}{g:02X}{b:02X}");
    for (id, png) in [
        (
            "request_throughput",
            "request_throughput_vs_concurrency.png",
        ),
        ("ttft", "avg_time_to_first_token_vs_concurrency.png"),
    ] {
        let chart = charts.iter().find(|c| c.id == id).unwrap();
        let view = chart.views.iter().find(|v| v.default).unwrap();
        let img = image::open(dir.path().join(png)).unwrap().to_rgb8();
        let first = view
            .svg
            .split("<g data-series=\"")
            .nth(1)
            .expect("a series group");
        assert!(first.starts_with(&format!("{}\"", LABELS[0])));
        let markers: Vec<(u32, u32)> = first
            .split("<circle")
            .skip(1)
            .filter(|c| attr(c, "r") == Some("9") && attr(c, "fill") == Some(fill.as_str()))
            .map(|c| {
                let n = |k| attr(c, k).unwrap().parse::<u32>().unwrap();
                (n("cx"), n("cy"))
            })
            .collect();
        assert_eq!(markers.len(), CONCS.len(), "{id}: markers of {}", LABELS[0]);
        // Where the second label's square covers the disc, the PNG shows the square (drawn
        // later in both).
        let (r1, g1, b1) = PALETTE[1];
        let fill1 = format!("fill=\"#{r1:02X}{g1:02X}{b1:02X}\"");
        let covered = |x: u32, y: u32| {
            view.svg.split("<rect").skip(1).any(|t| {
                let n = |k| attr(t, k).and_then(|v| v.parse::<u32>().ok());
                let tag = t.split('>').next().unwrap_or("");
                match (n("x"), n("y"), n("width"), n("height")) {
                    (Some(x0), Some(y0), Some(w), Some(h)) => {
                        tag.contains(&fill1)
                            && (x0..=x0 + w).contains(&x)
                            && (y0..=y0 + h).contains(&y)
                    }
                    _ => false,
                }
            })
        };
        for (x, y) in markers {
            let px = img.get_pixel(x, y).0;
            assert!(
                px == [r, g, b] || (covered(x, y) && px == [r1, g1, b1]),
                "{id}: PNG at ({x}, {y}) is {px:?}"
            );
        }
        for i in 0..s.points.len() {
            assert_eq!(
                view.svg.matches(&format!("data-point=\"{i}\"")).count(),
                1,
                "{id}: point {i}"
            );
        }
        for label in LABELS {
            assert!(view.svg.contains(&format!("<g data-series=\"{label}\"")));
            assert!(view.svg.contains(&format!("<g data-toggle=\"{label}\"")));
        }
    }
    // The latency chart has a view per statistic the points have (TTFT: avg and p99, set by
    // synthetic_point) and y scale; the default is the SLA's statistic (avg).
    let ttft = charts.iter().find(|c| c.id == "ttft").unwrap();
    let views: Vec<(&str, &str)> = ttft.views.iter().map(|v| (v.stat, v.scale)).collect();
    assert_eq!(
        views,
        [
            ("avg", "linear"),
            ("avg", "log"),
            ("p99", "linear"),
            ("p99", "log")
        ]
    );
    let default = ttft.views.iter().find(|v| v.default).unwrap();
    assert_eq!(default.metric, "ttft_avg_ms");
}
