//! `adreport history`'s words: the runs, a trend and the change points as tables (drawn by
//! [`super::show::render`] in every `--format`), the verdict lines of `history check`, and the
//! files of `history report` (trend charts, summary.md, report.html).

pub mod ctx;
pub mod report;

use crate::analyze::trend::{Change, Kind, NothingChecked, Trend, TrendCheck, TrendRun};
use crate::render::format::human;
use crate::render::output::Exporter;
use crate::render::point_table::{Cell, PointTable};

pub use ctx::HistoryCtx;
/// Every output of `history report`, charts first so the pages can embed and name them.
pub fn history_exporters<'a>() -> Vec<Box<dyn Exporter<HistoryCtx<'a>>>> {
    vec![
        Box::new(crate::render::plots::history::TrendCharts),
        Box::new(report::HistorySummaryMd),
        Box::new(report::HistoryHtml),
    ]
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt(s: &Option<String>) -> Cell {
    s.as_ref().map_or(Cell::Null, |s| Cell::Text(s.clone()))
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// `history list`: one row per run, oldest first.
pub fn runs_table(runs: &[TrendRun]) -> PointTable {
    let rows = runs
        .iter()
        .map(|r| {
            let env = |k: &str| {
                r.environment
                    .iter()
                    .find(|(n, v)| n == k && v != "-")
                    .map(|(_, v)| v.clone())
            };
            let gpu = match (env("gpu_name"), env("gpu_count")) {
                (Some(n), Some(c)) => Some(format!("{c}x {n}")),
                (Some(n), None) => Some(n),
                (None, Some(c)) => Some(format!("{c} GPUs")),
                (None, None) => None,
            };
            let client = env("client").map(|c| match env("client_version") {
                Some(v) => format!("{c} {v}"),
                None => c,
            });
            let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                text(&r.run_id),
                text(&r.time),
                opt(&r.commit),
                opt(&r.branch),
                Cell::Int(r.points as u64),
                text(&r.fingerprint),
                opt(&env("model")),
                opt(&gpu),
                opt(&env("engine")),
                opt(&client),
                if tags.is_empty() {
                    Cell::Null
                } else {
                    text(tags.join(","))
                },
            ]
        })
        .collect();
    PointTable {
        headers: headers(&[
            "run_id",
            "time",
            "commit",
            "branch",
            "points",
            "fingerprint",
            "model",
            "gpu",
            "engine",
            "client",
            "tags",
        ]),
        rows,
    }
}

/// How a change reads in one cell: `regression +25.1% [+22.0%, +28.2%]`.
pub fn change_cell(c: &Change) -> String {
    format!(
        "{} {:+.1}% [{:+.1}%, {:+.1}%]",
        c.kind.name(),
        c.step.change_pct,
        c.step.ci_pct.0,
        c.step.ci_pct.1
    )
}

/// `history show`: one row per run and series, with the change points and fingerprint
/// changes marked on the run where they happen.
pub fn trend_table(trend: &Trend, check: &TrendCheck) -> PointTable {
    let mut rows = Vec::new();
    for (si, s) in trend.series.iter().enumerate() {
        for (ri, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let run = &trend.runs[ri];
            let change = check
                .changes
                .iter()
                .find(|c| c.series == si && c.first_bad == ri)
                .map(change_cell);
            let env = (ri > 0 && trend.runs[ri - 1].fingerprint != run.fingerprint)
                .then(|| "fingerprint changed".to_string());
            let note: Vec<String> = change.into_iter().chain(env).collect();
            rows.push(vec![
                text(&run.run_id),
                opt(&run.commit),
                text(&run.time),
                text(&s.key.label),
                s.key.isl.map_or(Cell::Null, |v| Cell::Int(v.max(0) as u64)),
                s.key.osl.map_or(Cell::Null, |v| Cell::Int(v.max(0) as u64)),
                text(s.key.load.to_string()),
                text(s.key.metric.name()),
                Cell::Float(*v),
                if note.is_empty() {
                    Cell::Null
                } else {
                    text(note.join("; "))
                },
            ]);
        }
    }
    PointTable {
        headers: headers(&[
            "run_id", "commit", "time", "label", "isl", "osl", "load", "metric", "value", "change",
        ]),
        rows,
    }
}

fn run_name(trend: &Trend, i: usize) -> String {
    let r = &trend.runs[i];
    match &r.commit {
        Some(c) => format!("{} (commit {c})", r.run_id),
        None => r.run_id.clone(),
    }
}

/// `history check`: every significant change point, newest runs last.
pub fn changes_table(trend: &Trend, check: &TrendCheck) -> PointTable {
    let rows = check
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = &trend.series[c.series];
            let env: Vec<String> = c
                .environment
                .iter()
                .map(|(k, a, b)| format!("{k}: {a} -> {b}"))
                .collect();
            vec![
                text(s.key.to_string()),
                text(c.kind.name()),
                text(if check.gate_hits.contains(&i) {
                    "FAIL"
                } else {
                    ""
                }),
                text(run_name(trend, c.first_bad)),
                text(run_name(trend, c.last_good)),
                Cell::Float(c.step.before_mean),
                Cell::Float(c.step.after_mean),
                Cell::Float(c.step.change_pct),
                Cell::Float(c.step.ci_pct.0),
                Cell::Float(c.step.ci_pct.1),
                Cell::Float(c.pvalue),
                if env.is_empty() {
                    Cell::Null
                } else {
                    text(env.join(", "))
                },
            ]
        })
        .collect();
    PointTable {
        headers: headers(&[
            "series",
            "kind",
            "gate",
            "first_bad",
            "last_good",
            "before",
            "after",
            "change_pct",
            "ci_low_pct",
            "ci_high_pct",
            "p_value",
            "environment",
        ]),
        rows,
    }
}

/// The verdict lines `history check` ends with.
pub fn check_summary(trend: &Trend, check: &TrendCheck, threshold: Option<f64>) -> String {
    let count = |k: Kind| check.changes.iter().filter(|c| c.kind == k).count();
    let mut out = format!(
        "{} runs ({} .. {}), {} series checked: {} change points ({} regressions, {} improvements, {} environment changes, {} unjudged)\n",
        trend.runs.len(),
        trend.runs.first().map_or("-", |r| r.run_id.as_str()),
        trend.runs.last().map_or("-", |r| r.run_id.as_str()),
        check.series_checked,
        check.changes.len(),
        count(Kind::Regression),
        count(Kind::Improvement),
        count(Kind::Environment),
        count(Kind::Unjudged),
    );
    for &i in &check.gate_hits {
        out.push_str(&regression_line(trend, check, i));
        out.push('\n');
    }
    match threshold {
        // Nothing checked is said (and failed) by the caller, never passed as "no regression".
        Some(_) if check.series_checked == 0 => {}
        Some(t) if check.gate_hits.is_empty() => out.push_str(&format!(
            "no series' newest change point is a regression beyond {t}%\n"
        )),
        Some(t) => out.push_str(&format!(
            "{} series regressed beyond {t}% at their newest change point\n",
            check.gate_hits.len()
        )),
        None => {}
    }
    out
}

/// One gated change in words: the series, the step with its interval, and the runs around it.
pub fn regression_line(trend: &Trend, check: &TrendCheck, i: usize) -> String {
    let c = &check.changes[i];
    format!(
        "REGRESSION {}: {} -> {} ({:+.1}%, 95% CI {:+.1}% .. {:+.1}%); first bad run {}, last good run {}",
        trend.series[c.series].key,
        human(c.step.before_mean),
        human(c.step.after_mean),
        c.step.change_pct,
        c.step.ci_pct.0,
        c.step.ci_pct.1,
        run_name(trend, c.first_bad),
        run_name(trend, c.last_good),
    )
}

/// Why `history check` tested no series, and what to do about it.
pub fn nothing_checked_text(why: &NothingChecked) -> String {
    match why {
        NothingChecked::NoRuns => "no runs stored: nothing to check".to_string(),
        NothingChecked::NoSeries => {
            "no stored values match --label / --metric: nothing to check".to_string()
        }
        NothingChecked::EachRunOwnLabel { runs } => format!(
            "{runs} runs, each its own label: nothing to compare; use --label \
             (`adreport history add PATH --label NAME`, or NAME=PATH) so that every run of a \
             sweep is stored under one label; adding a run again with its --run-id replaces it"
        ),
        NothingChecked::TooFewRuns { runs, most, needed } => format!(
            "{runs} {} stored; a change point needs at least {needed} runs of one series \
             (label x load point x metric), and the longest has {most}",
            if *runs == 1 { "run" } else { "runs" }
        ),
    }
}
