//! Truth of numbers, on every bundled sample: each number in findings.json's points is the source
//! tool's own figure (read here from the source file, independently of the readers), or is
//! recomputed from per-request data, which then agrees with the tool's figure wherever the tool
//! reports one. Every metric cell of summary.md's points table is its findings.json value.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use adreport::analyze::findings::{analyze, Settings};
use adreport::analyze::sla::Sla;
use adreport::ingest::{load, IngestOptions, Input};
use adreport::model::Stat;
use adreport::render::findings_json::findings_json;
use adreport::render::format::human;
use adreport::render::markdown::summary_md;

mod common;
use common::{json_of, ROOT};

/// What the source says about one point, read by this test.
#[derive(Default, Debug)]
struct Source {
    /// The tool's own figures, by canonical metric name, in adreport's units.
    figures: BTreeMap<String, f64>,
    /// Per-request data, when the source has it.
    requests: Option<PerRequest>,
    /// Identity numbers the source states (isl, osl, concurrency, num_gpus).
    ids: BTreeMap<&'static str, f64>,
}

#[derive(Default, Debug)]
struct PerRequest {
    /// Successful requests' latencies in ms, by family (`ttft`, `tpot`, `e2el`).
    ok: BTreeMap<&'static str, Vec<f64>>,
    /// (TTFT, TPOT) of each successful request, for goodput.
    pairs: Vec<(Option<f64>, Option<f64>)>,
    n_ok: usize,
    n_failed: usize,
    /// Relative tolerance of a recomputed statistic against the tool's own, by family.
    tolerance: BTreeMap<&'static str, f64>,
    nearest_rank: bool,
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

// ---------------------------------------------------------------------------------------------
// Statistics, written out here so the check does not reuse the code it checks

fn stat(values: &[f64], s: &str, nearest_rank: bool) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let q = match s {
        "avg" => return Some(mean),
        "min" => return v.first().copied(),
        "max" => return v.last().copied(),
        // numpy's default: population standard deviation.
        "std" => return Some((v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()),
        "p50" => 0.50,
        "p90" => 0.90,
        "p95" => 0.95,
        "p99" => 0.99,
        _ => return None,
    };
    if nearest_rank {
        // trtllm-bench: sorted[int(n * q)].
        return v.get(((n * q) as usize).min(v.len() - 1)).copied();
    }
    // numpy's default: linear between the closest ranks.
    let rank = q * (n - 1.0);
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

/// `ttft_p99_ms` -> (`ttft`, `p99`).
fn latency_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_suffix("_ms")?;
    let (fam, s) = rest.split_once('_')?;
    ["ttft", "tpot", "itl", "e2el"]
        .contains(&fam)
        .then_some((fam, s))
}

// ---------------------------------------------------------------------------------------------
// Sources, read independently

const AIPERF_TAGS: [(&str, &str); 4] = [
    ("time_to_first_token", "ttft"),
    ("inter_token_latency", "tpot"),
    ("inter_chunk_latency", "itl"),
    ("request_latency", "e2el"),
];
const STATS: [&str; 8] = ["avg", "p50", "p90", "p95", "p99", "min", "max", "std"];

/// aiperf: `profile_export_aiperf.json` and the profiling records of `profile_export.jsonl`.
fn aiperf_source(dir: &Path) -> Source {
    let j = json_of(&dir.join("profile_export_aiperf.json"));
    let mut s = Source::default();
    for (tag, fam) in AIPERF_TAGS {
        assert_eq!(j[tag]["unit"], "ms", "{tag} unit");
        for st in STATS {
            if let Some(v) = j[tag][st].as_f64() {
                s.figures.insert(format!("{fam}_{st}_ms"), v);
            }
        }
    }
    for (tag, name) in [
        ("request_throughput", "request_throughput"),
        ("output_token_throughput", "output_token_throughput"),
        ("total_token_throughput", "total_token_throughput"),
        ("output_token_throughput_per_user", "tokens_per_s_user"),
        ("request_count", "requests_ok"),
        ("error_request_count", "requests_failed"),
        ("input_sequence_length", "input_tokens_avg"),
        ("output_sequence_length", "output_tokens_avg"),
        ("goodput", "goodput"),
    ] {
        if let Some(v) = j[tag]["avg"].as_f64() {
            s.figures.insert(name.into(), v);
        }
    }
    assert_eq!(j["benchmark_duration"]["unit"], "sec");
    s.figures.insert(
        "duration_s".into(),
        j["benchmark_duration"]["avg"].as_f64().unwrap(),
    );
    // aiperf writes error_request_count only when a request failed: none listed means 0.
    if j.get("error_request_count").is_none() {
        assert_eq!(j["error_summary"], Value::Array(vec![]));
        s.figures.insert("requests_failed".into(), 0.0);
    }
    let ic = &j["input_config"];
    let phase = ic["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "profiling")
        .unwrap();
    s.ids
        .insert("concurrency", phase["concurrency"].as_f64().unwrap());
    let prompts = &ic["datasets"][0]["prompts"];
    s.ids
        .insert("isl", prompts["isl"]["mean"].as_f64().unwrap());
    s.ids
        .insert("osl", prompts["osl"]["mean"].as_f64().unwrap());

    let mut req = PerRequest::default();
    for line in fs::read_to_string(dir.join("profile_export.jsonl"))
        .unwrap()
        .lines()
    {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["metadata"]["benchmark_phase"] != "profiling" {
            continue;
        }
        if r.get("error").is_some_and(|e| !e.is_null()) {
            req.n_failed += 1;
            continue;
        }
        req.n_ok += 1;
        for (tag, fam) in AIPERF_TAGS {
            if let Some(v) = r["metrics"][tag]["value"].as_f64() {
                assert_eq!(r["metrics"][tag]["unit"], "ms");
                req.ok.entry(fam).or_default().push(v);
            }
        }
        let m = &r["metrics"];
        req.pairs.push((
            m["time_to_first_token"]["value"].as_f64(),
            m["inter_token_latency"]["value"].as_f64(),
        ));
    }
    // aiperf computes its statistics from these very records.
    for fam in ["ttft", "tpot", "e2el"] {
        req.tolerance.insert(fam, 1e-9);
    }
    s.requests = Some(req);
    s
}

/// benchmark_serving: the result object of `path` whose `duration` is the point's.
fn serving_source(path: &Path, duration: f64) -> Source {
    let text = fs::read_to_string(path).unwrap();
    // Python's bare Infinity (SGLang's request_rate) is not JSON; it is not a figure checked here.
    let text = text.replace(": Infinity", ": null");
    let objects: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(v) => vec![v],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    };
    let j = objects
        .into_iter()
        .find(|o| o["duration"].as_f64() == Some(duration))
        .unwrap_or_else(|| panic!("{}: no run of duration {duration}", path.display()));
    let mut s = Source::default();
    let words = [
        ("mean", "avg"),
        ("median", "p50"),
        ("std", "std"),
        ("min", "min"),
        ("max", "max"),
        ("p90", "p90"),
        ("p95", "p95"),
        ("p99", "p99"),
    ];
    let families = [
        ("ttft", "ttft"),
        ("tpot", "tpot"),
        ("itl", "itl"),
        ("e2el", "e2el"),
        ("e2e_latency", "e2el"),
    ];
    for (word, st) in words {
        for (name, fam) in families {
            if let Some(v) = j[format!("{word}_{name}_ms")].as_f64() {
                s.figures.insert(format!("{fam}_{st}_ms"), v);
            }
        }
    }
    let completed = j["completed"].as_f64().unwrap();
    let pairs = [
        ("duration", "duration_s"),
        ("request_throughput", "request_throughput"),
        ("output_throughput", "output_token_throughput"),
        ("total_token_throughput", "total_token_throughput"),
        ("total_throughput", "total_token_throughput"),
        ("request_goodput", "goodput"),
        ("request_goodput:", "goodput"),
        ("completed", "requests_ok"),
        ("failed", "requests_failed"),
    ];
    for (key, name) in pairs {
        if let Some(v) = j[key].as_f64() {
            s.figures.insert(name.into(), v);
        }
    }
    // Totals over the successful requests, per successful request.
    for (key, name) in [
        ("total_input_tokens", "input_tokens_avg"),
        ("total_output_tokens", "output_tokens_avg"),
    ] {
        if let Some(v) = j[key].as_f64() {
            s.figures.insert(name.into(), v / completed);
        }
    }
    if !s.figures.contains_key("requests_failed") {
        let failed = match j["errors"].as_array() {
            Some(e) => e.iter().filter(|e| e.as_str() != Some("")).count() as f64,
            None => j["num_prompts"].as_f64().unwrap() - completed,
        };
        s.figures.insert("requests_failed".into(), failed);
    }
    if let Some(c) = j["max_concurrency"].as_f64() {
        s.ids.insert("concurrency", c);
    }
    for (key, id) in [
        ("random_input_len", "isl"),
        ("random_output_len", "osl"),
        ("input_len", "isl"),
        ("output_len", "osl"),
    ] {
        let v = match &j[key] {
            Value::String(t) => t.parse().ok(),
            v => v.as_f64(),
        };
        if let Some(v) = v {
            s.ids.entry(id).or_insert(v);
        }
    }
    if let Some(ttfts) = j["ttfts"].as_array() {
        let mut req = PerRequest::default();
        for (i, t) in ttfts.iter().enumerate() {
            if j["errors"][i].as_str() != Some("") {
                req.n_failed += 1;
                continue;
            }
            req.n_ok += 1;
            let ttft = t.as_f64().unwrap() * 1000.0;
            let gaps: f64 = j["itls"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_f64().unwrap() * 1000.0)
                .sum();
            let e2el = j["latencies"][i]
                .as_f64()
                .map_or(ttft + gaps, |l| l * 1000.0);
            let osl = j["output_lens"][i].as_f64().unwrap();
            req.ok.entry("ttft").or_default().push(ttft);
            req.ok.entry("e2el").or_default().push(e2el);
            let tpot = (osl > 1.0).then(|| (e2el - ttft) / (osl - 1.0));
            if let Some(t) = tpot {
                req.ok.entry("tpot").or_default().push(t);
            }
            req.pairs.push((Some(ttft), tpot));
        }
        req.tolerance.insert("ttft", 1e-9);
        // SGLang's own latency also counts the closing [DONE] chunk, which ttft + gaps leave out:
        // the recomputed E2E and TPOT agree to 0.01%.
        req.tolerance.insert("e2el", 1e-4);
        req.tolerance.insert("tpot", 1e-4);
        s.requests = Some(req);
    }
    s
}

/// `label: value` lines of a printed trtllm-bench report, whitespace collapsed.
fn label_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (label, value) = l.split_once(':')?;
            let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
            Some((label, value.trim().to_string()))
        })
        .collect()
}

/// trtllm-bench printed report: the report (of possibly several in the file, each after a
/// `--- name ---` heading) whose request throughput is the point's.
fn trtllm_source(path: &Path, request_throughput: f64) -> Source {
    let text = fs::read_to_string(path).unwrap();
    let mut reports: Vec<String> = vec![String::new()];
    for line in text.lines() {
        if line.starts_with("--- ") && line.ends_with(" ---") {
            reports.push(String::new());
        }
        let last = reports.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    let lines = reports
        .iter()
        .map(|r| label_lines(r))
        .find(|l| {
            l.iter().any(|(k, v)| {
                k == "Request Throughput (req/sec)"
                    && v.parse::<f64>().ok() == Some(request_throughput)
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "{}: no report of {request_throughput} req/s",
                path.display()
            )
        });
    let mut s = Source::default();
    let labels: [(&str, &str, f64); 14] = [
        ("Request Throughput (req/sec)", "request_throughput", 1.0),
        (
            "Total Output Throughput (tokens/sec)",
            "output_token_throughput",
            1.0,
        ),
        (
            "Token Throughput (tokens/sec)",
            "output_token_throughput",
            1.0,
        ),
        (
            "Total Token Throughput (tokens/sec)",
            "total_token_throughput",
            1.0,
        ),
        ("Total Latency (ms)", "duration_s", 1e-3),
        ("Average request latency (ms)", "e2el_avg_ms", 1.0),
        (
            "Per GPU Output Throughput (tps/gpu)",
            "tokens_per_s_gpu",
            1.0,
        ),
        (
            "Per GPU Output Throughput (tokens/sec/gpu)",
            "tokens_per_s_gpu",
            1.0,
        ),
        (
            "Average time-to-first-token [TTFT] (ms)",
            "ttft_avg_ms",
            1.0,
        ),
        (
            "Average time-per-output-token [TPOT] (ms)",
            "tpot_avg_ms",
            1.0,
        ),
        ("Per User Output Speed (tps/user)", "tokens_per_s_user", 1.0),
        ("Number of requests", "requests_ok", 1.0),
        ("Average Input Length (tokens)", "input_tokens_avg", 1.0),
        ("Average Output Length (tokens)", "output_tokens_avg", 1.0),
    ];
    let breakdown = [("TPOT", "tpot"), ("TTFT", "ttft"), ("Latency", "e2el")];
    let stat_words = [
        ("MINIMUM", "min"),
        ("MAXIMUM", "max"),
        ("AVERAGE", "avg"),
        ("P50", "p50"),
        ("P90", "p90"),
        ("P95", "p95"),
        ("P99", "p99"),
    ];
    for (label, value) in &lines {
        let Ok(v) = value.trim_end_matches('%').parse::<f64>() else {
            continue;
        };
        if let Some((_, name, scale)) = labels.iter().find(|(l, _, _)| l == label) {
            s.figures.insert((*name).into(), v * scale);
        }
        for (fam, key) in breakdown {
            for (word, st) in stat_words {
                if *label == format!("[{fam}] {word}") {
                    s.figures.insert(format!("{key}_{st}_ms"), v);
                }
            }
        }
        if label == "TP Size" {
            let pp = lines
                .iter()
                .find(|(l, _)| l == "PP Size")
                .and_then(|(_, v)| v.parse::<f64>().ok())
                .unwrap_or(1.0);
            s.ids.insert("num_gpus", v * pp);
        }
    }
    s
}

/// genai-perf CSV export: `Metric,<stats>` sections, values with thousands separators.
fn genai_source(path: &Path) -> Source {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap();
    let mut columns: Vec<String> = Vec::new();
    let mut s = Source::default();
    let names = [
        ("Time To First Token (ms)", "ttft"),
        ("Inter Token Latency (ms)", "tpot"),
        ("Request Latency (ms)", "e2el"),
    ];
    let scalars = [
        (
            "Output Token Throughput (per sec)",
            "output_token_throughput",
        ),
        ("Request Throughput (per sec)", "request_throughput"),
        ("Request Count (count)", "requests_ok"),
        ("Output Sequence Length (tokens)", "output_tokens_avg"),
        ("Input Sequence Length (tokens)", "input_tokens_avg"),
    ];
    for row in rdr.records() {
        let row = row.unwrap();
        let cells: Vec<&str> = row.iter().collect();
        if cells.first() == Some(&"Metric") {
            columns = cells[1..].iter().map(|c| c.to_lowercase()).collect();
            continue;
        }
        let Some(name) = cells.first() else { continue };
        let num = |i: usize| {
            cells
                .get(i + 1)
                .and_then(|c| c.replace(',', "").parse::<f64>().ok())
        };
        let col = |stat: &str| columns.iter().position(|c| c == stat);
        if let Some((_, fam)) = names.iter().find(|(n, _)| n == name) {
            for (i, c) in columns.iter().enumerate() {
                if let Some(v) = num(i).filter(|_| STATS.contains(&c.as_str())) {
                    s.figures.insert(format!("{fam}_{c}_ms"), v);
                }
            }
        }
        if let Some((_, metric)) = scalars.iter().find(|(n, _)| n == name) {
            let i = col("value").or(col("avg")).unwrap();
            s.figures.insert((*metric).into(), num(i).unwrap());
        }
    }
    s
}

/// AIConfigurator: the `pareto.csv` row of the point (by concurrency, TTFT and tokens/s/gpu).
fn aic_source(path: &Path, point: &Value) -> Source {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let metrics = &point["metrics"];
    let row: BTreeMap<String, String> = rdr
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .find(|r: &BTreeMap<String, String>| {
            let f = |k: &str| r[k].parse::<f64>().ok();
            f("concurrency") == point["concurrency"].as_f64()
                && f("ttft") == metrics["ttft_avg_ms"].as_f64()
                && f("tokens/s/gpu") == metrics["tokens_per_s_gpu"].as_f64()
        })
        .unwrap_or_else(|| panic!("{}: no row for {point}", path.display()));
    let mut s = Source::default();
    let f = |k: &str| row.get(k).and_then(|v| v.parse::<f64>().ok());
    for (col, name) in [
        ("ttft", "ttft_avg_ms"),
        ("tpot", "tpot_avg_ms"),
        ("request_latency", "e2el_avg_ms"),
        ("request_rate", "request_throughput"),
        ("tokens/s", "output_token_throughput"),
        ("tokens/s/user", "tokens_per_s_user"),
        ("tokens/s/gpu", "tokens_per_s_gpu"),
    ] {
        if let Some(v) = f(col) {
            s.figures.insert(name.into(), v);
        }
    }
    for (col, id) in [
        ("isl", "isl"),
        ("osl", "osl"),
        ("concurrency", "concurrency"),
        ("num_total_gpus", "num_gpus"),
    ] {
        if let Some(v) = f(col) {
            s.ids.insert(id, v);
        }
    }
    s
}

fn source_of(point: &Value) -> Source {
    let path = Path::new(point["path"].as_str().unwrap());
    let m = &point["metrics"];
    match point["source"].as_str().unwrap() {
        "aiperf" => aiperf_source(path),
        "benchmark_serving" => serving_source(path, m["duration_s"].as_f64().unwrap()),
        "trtllm-bench" => trtllm_source(path, m["request_throughput"].as_f64().unwrap()),
        "genai-perf" => genai_source(path),
        "aiconfigurator" => aic_source(path, point),
        other => panic!("unknown source {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The check

/// Every metric of one findings point against its source; returns how many numbers were checked.
fn check_point(point: &Value) -> usize {
    let src = source_of(point);
    let at = format!("{} {}", point["label"], point["path"]);
    let metrics = point["metrics"].as_object().unwrap();
    let get = |k: &str| metrics.get(k).and_then(Value::as_f64);
    let mut checked = 0;
    for (name, v) in metrics {
        let v = v.as_f64().unwrap();
        checked += 1;
        if let Some(f) = src.figures.get(name) {
            assert!(
                close(v, *f, 1e-12),
                "{at}: {name} is {v}, the tool says {f}"
            );
            continue;
        }
        let req = src.requests.as_ref();
        let derived = match name.as_str() {
            "tokens_per_s_gpu" => {
                let gpus = point["num_gpus"].as_f64().unwrap();
                Some(get("output_token_throughput").unwrap() / gpus)
            }
            "tokens_per_s_user" => match req.and_then(|r| r.ok.get("tpot")) {
                Some(t) => Some(t.iter().map(|t| 1000.0 / t).sum::<f64>() / t.len() as f64),
                None => Some(1000.0 / get("tpot_avg_ms").unwrap()),
            },
            "requests_ok" => req.map(|r| r.n_ok as f64),
            "requests_failed" => req.map(|r| r.n_failed as f64),
            _ => latency_name(name).and_then(|(fam, st)| {
                let r = req?;
                stat(r.ok.get(fam)?, st, r.nearest_rank)
            }),
        };
        let d = derived.unwrap_or_else(|| panic!("{at}: {name} = {v} traces to no source figure"));
        assert!(close(v, d, 1e-9), "{at}: {name} is {v}, recomputed {d}");
    }
    // Recomputed from the per-request data, every statistic the tool reports agrees with it.
    if let Some(r) = &src.requests {
        for (fam, values) in &r.ok {
            let Some(tol) = r.tolerance.get(fam) else {
                continue;
            };
            // Measured against the family's mean, so a spread (std) is held to the same absolute bound.
            let scale = stat(values, "avg", false).unwrap_or(0.0);
            for st in STATS {
                let name = format!("{fam}_{st}_ms");
                if let (Some(tool), Some(mine)) =
                    (src.figures.get(&name), stat(values, st, r.nearest_rank))
                {
                    assert!(
                        (tool - mine).abs() <= tol * tool.abs().max(scale),
                        "{at}: {name}: tool {tool}, from its requests {mine}"
                    );
                    checked += 1;
                }
            }
        }
    }
    // The SLA verdicts judge the point's own numbers; goodput counts its own requests.
    for check in point["sla"]["checks"].as_array().unwrap() {
        let name = format!("{}_avg_ms", check["target"]["latency"].as_str().unwrap());
        assert_eq!(
            check["value"].as_f64(),
            get(&name),
            "{at}: SLA value of {name}"
        );
        checked += 1;
    }
    match (&src.requests, point["goodput"].as_object()) {
        (Some(r), Some(g)) => {
            let good = r
                .pairs
                .iter()
                .filter(|(ttft, tpot)| {
                    ttft.is_some_and(|t| t <= TTFT_LIMIT) && tpot.is_none_or(|t| t <= TPOT_LIMIT)
                })
                .count();
            assert_eq!(g["good"].as_u64(), Some(good as u64), "{at}: good requests");
            assert_eq!(
                g["total"].as_u64(),
                Some((r.n_ok + r.n_failed) as u64),
                "{at}"
            );
            let per_s = good as f64 / get("duration_s").unwrap();
            assert!(
                close(g["per_s"].as_f64().unwrap(), per_s, 1e-12),
                "{at}: goodput/s"
            );
            checked += 3;
        }
        (None, None) => {}
        (r, g) => panic!("{at}: per-request data {} but goodput {g:?}", r.is_some()),
    }
    for (id, want) in &src.ids {
        assert_eq!(point[*id].as_f64(), Some(*want), "{at}: {id}");
        checked += 1;
    }
    checked
}

/// summary.md's points table shows each point's metric as the human form of its findings value.
fn check_markdown(md: &str, findings: &Value) -> usize {
    let points = findings["points"].as_array().unwrap();
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().replace("**", ""))
            .collect()
    };
    let header = md
        .lines()
        .find(|l| l.starts_with("| label | conc |"))
        .expect("points table");
    let header = cells(header);
    let rows: Vec<Vec<String>> = md
        .lines()
        .skip_while(|l| !l.starts_with("| label | conc |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(cells)
        .collect();
    assert_eq!(rows.len(), points.len());
    let mut checked = 0;
    for (row, p) in rows.iter().zip(points) {
        for (h, cell) in header.iter().zip(row) {
            if let Some(v) = p["metrics"].get(h.as_str()) {
                assert_eq!(*cell, human(v.as_f64().unwrap()), "{h} of {}", p["path"]);
                checked += 1;
            } else if h.ends_with("_ms") || h.contains("throughput") || h.starts_with("tokens") {
                assert_eq!(cell, "-", "{h} of {}", p["path"]);
            }
        }
    }
    checked
}

const TTFT_LIMIT: f64 = 500.0;
const TPOT_LIMIT: f64 = 20.0;

fn findings_of(dir: &str) -> (Value, String) {
    let input = Input::parse(&format!("{ROOT}/{dir}"));
    let sweep = load(&[input], &IngestOptions::default()).unwrap();
    let settings = Settings {
        sla: Some(Sla::parse(&format!("ttft={TTFT_LIMIT},tpot={TPOT_LIMIT}"), Stat::Avg).unwrap()),
        ..Settings::default()
    };
    let findings = analyze(&sweep, &settings);
    let json = serde_json::from_str(&findings_json(&findings).unwrap()).unwrap();
    (json, summary_md(&findings))
}

#[test]
fn every_number_of_every_sample_traces_to_its_source() {
    for dir in [
        "sample-results/aiperf",
        "sample-results/benchmark_serving",
        "sample-results/trtllm-bench",
        "sample-results/genai-perf",
        "sample-results/aiconfigurator",
    ] {
        let (findings, md) = findings_of(dir);
        let points = findings["points"].as_array().unwrap();
        assert!(!points.is_empty(), "{dir}");
        let numbers: usize = points.iter().map(check_point).sum();
        let cells = check_markdown(&md, &findings);
        eprintln!(
            "{dir}: {} points, {numbers} numbers traced, {cells} summary.md cells",
            points.len()
        );
    }
}
