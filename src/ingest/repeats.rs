//! Several results of one label at one load point are repeats of that point, never duplicates:
//! `rep_N/`, `run_NNNN/`, `repeat_N/`, `trial_NNNN/` directories, several records of one
//! benchmark_serving JSONL at one concurrency, or simply two runs of one workload under a label.
//! They become ONE point ([`Point::from_repeats`]: metrics are the mean over the runs).
//!
//! Kept apart, with a warning: results of different tools or models at one load (that is two
//! series under one label, not repeats). AIConfigurator rows are predictions of different
//! parallel configs at one load: never repeats.
//!
//! aiperf's own summary over its runs (`aggregate/`, see [`super::aiperf::aggregate`]) is
//! checked against our mean over the runs read, and is the point when they are missing.

use crate::model::{Load, Point, Source, Sweep, Warning};

/// Records of one file told apart by the user's `--metadata KEY=VALUE` (benchmark_serving's
/// `--append-result` of several deployments) are different series, not repeats: each gets a
/// sub-label of its differing values (`base`, `kvcache`), under the file's own label.
pub fn name_series_by_metadata(points: &mut [Point]) {
    let Some(first) = points.first() else { return };
    let differing: Vec<String> = first
        .extra
        .keys()
        .chain(points.iter().flat_map(|p| p.extra.keys()))
        .filter(|k| k.starts_with("metadata."))
        .filter(|k| {
            points
                .iter()
                .any(|p| p.extra.get(*k) != first.extra.get(*k))
        })
        .cloned()
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect();
    if differing.is_empty() {
        return;
    }
    for p in points.iter_mut().filter(|p| p.label.is_empty()) {
        let parts: Vec<&str> = differing
            .iter()
            .filter_map(|k| p.extra.get(k).map(String::as_str))
            .collect();
        p.label = parts.join(",");
    }
}

/// Relative difference above which our mean and aiperf's aggregate mean disagree.
const AGREE_REL: f64 = 1e-9;

/// What makes results repeats of one point: label, workload and load (and rate, when set).
type PointKey = (String, Option<u64>, Option<u64>, Option<Load>, Option<u64>);

fn point_key(p: &Point) -> PointKey {
    (
        p.label.clone(),
        p.isl,
        p.osl,
        p.load(),
        p.request_rate.map(f64::to_bits),
    )
}

/// Merges repeats into points and resolves aiperf aggregates; returns the warnings.
pub fn merge_repeats(sweep: &mut Sweep) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let (aggregates, points): (Vec<Point>, Vec<Point>) = std::mem::take(&mut sweep.points)
        .into_iter()
        .partition(|p| p.source == Source::Aiperf && p.runs_summary.is_some());
    let mut groups: Vec<(PointKey, Vec<Point>)> = Vec::new();
    for p in points {
        let key = point_key(&p);
        let repeatable = p.source != Source::AiConfigurator;
        match groups.iter_mut().find(|(k, _)| repeatable && *k == key) {
            Some((_, g)) if g[0].source != Source::AiConfigurator => g.push(p),
            _ => groups.push((key, vec![p])),
        }
    }
    for (_, group) in groups {
        for runs in split_series(group, &mut warnings) {
            let runs = numbered(runs);
            warnings.extend(warn_copies(&runs));
            sweep.points.extend(Point::from_repeats(runs));
        }
    }
    for agg in aggregates {
        match sweep.points.iter().position(|p| summarizes(&agg, p)) {
            Some(i) => warnings.extend(cross_check(&agg, &sweep.points[i])),
            None => sweep.points.push(agg),
        }
    }
    warnings
}

/// One label's results at one load, split by tool and model: each part is one point's runs.
/// More than one part is worth a warning: comparisons would pick one at random.
fn split_series(group: Vec<Point>, warnings: &mut Vec<Warning>) -> Vec<Vec<Point>> {
    let mut parts: Vec<Vec<Point>> = Vec::new();
    for p in group {
        match parts
            .iter_mut()
            .find(|g| g[0].source == p.source && g[0].model == p.model)
        {
            Some(g) => g.push(p),
            None => parts.push(vec![p]),
        }
    }
    if let [first, rest @ ..] = parts.as_slice() {
        for other in rest {
            let (a, b) = (&first[0], &other[0]);
            warnings.push(Warning {
                path: b.path.clone(),
                message: format!(
                    "label `{}` has results of another {} at the same load ({}): {} ({}) and {} ({}); kept as separate points, give each its own label to compare them",
                    b.label,
                    if a.source == b.source { "model" } else { "tool" },
                    load_key(b),
                    series_name(a),
                    a.path.display(),
                    series_name(b),
                    b.path.display(),
                ),
            });
        }
    }
    parts
}

fn series_name(p: &Point) -> String {
    format!(
        "{} {}",
        p.source,
        p.model.as_deref().unwrap_or("(no model)")
    )
}

/// Repeats in order of their number (from directory names), then of reading. Numbers are kept
/// when every run has its own, else the runs are numbered 1..n in that order. A single run is
/// the point itself and carries no number.
fn numbered(mut runs: Vec<Point>) -> Vec<Point> {
    if runs.len() == 1 {
        runs[0].repeat = None;
        return runs;
    }
    runs.sort_by_key(|p| p.repeat.unwrap_or(u32::MAX));
    let mut numbers: Vec<Option<u32>> = runs.iter().map(|p| p.repeat).collect();
    numbers.dedup();
    if numbers.len() != runs.len() || numbers.contains(&None) {
        for (i, p) in runs.iter_mut().enumerate() {
            p.repeat = Some(i as u32 + 1);
        }
    }
    runs
}

/// Two real runs never agree to every digit: identical results are one run read twice (a copied
/// directory, a record appended twice). Still counted, but the user should know.
fn warn_copies(runs: &[Point]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (i, b) in runs.iter().enumerate() {
        if let Some(a) = runs[..i]
            .iter()
            .find(|a| !a.metrics.is_empty() && a.metrics == b.metrics)
        {
            warnings.push(Warning {
                path: b.path.clone(),
                message: format!(
                    "label `{}` at {}: repeat {} has exactly the results of repeat {} ({}); one run read twice?",
                    b.label,
                    load_key(b),
                    b.repeat.unwrap_or(0),
                    a.repeat.unwrap_or(0),
                    a.path.display()
                ),
            });
        }
    }
    warnings
}

/// The aggregate is aiperf's summary of this point's runs: same label, and the same load and
/// workload where the summary says them.
fn summarizes(agg: &Point, p: &Point) -> bool {
    let same = |a: Option<u64>, b: Option<u64>| a.is_none() || a == b;
    p.source == Source::Aiperf
        && p.label == agg.label
        && same(agg.concurrency, p.concurrency)
        && same(agg.isl, p.isl)
        && same(agg.osl, p.osl)
}

/// aiperf's means over its runs must equal ours over the runs read.
fn cross_check(agg: &Point, p: &Point) -> Vec<Warning> {
    let warn = |message: String| Warning {
        path: agg.path.clone(),
        message,
    };
    let runs = agg.measured_runs();
    if runs != p.runs() {
        return vec![warn(format!(
            "aiperf's summary is over {runs} runs but {} were read ({}); the point is the mean over the runs read",
            p.runs(),
            p.path.display()
        ))];
    }
    agg.metrics
        .iter()
        .filter_map(|(m, theirs)| {
            let ours = p.get(*m)?;
            let tol = AGREE_REL * ours.abs().max(theirs.abs());
            ((ours - theirs).abs() > tol).then(|| {
                warn(format!(
                    "`{}`: aiperf's mean over {runs} runs is {theirs} but the mean of the runs read is {ours}",
                    m.name()
                ))
            })
        })
        .collect()
}

/// `isl 128 osl 64 conc 8` (and the batch size or rate when set), `?` for unknown parts.
pub fn load_key(p: &Point) -> String {
    let o = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
    let mut s = format!(
        "isl {} osl {} conc {}",
        o(p.isl),
        o(p.osl),
        o(p.concurrency)
    );
    if let Some(b) = p.batch_size_load() {
        s.push_str(&format!(" batch {b}"));
    }
    if let Some(r) = p.request_rate {
        s.push_str(&format!(" rate {r}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Metric;

    fn run(label: &str, conc: u64, repeat: Option<u32>, tput: f64) -> Point {
        let mut p = Point::new(Source::BenchmarkServing, format!("{label}/{conc}/{tput}"));
        p.label = label.into();
        p.concurrency = Some(conc);
        p.repeat = repeat;
        p.set(Metric::RequestThroughput, tput);
        p
    }

    fn merged(points: Vec<Point>) -> (Sweep, Vec<Warning>) {
        let mut sweep = Sweep {
            points,
            ..Sweep::default()
        };
        let warnings = merge_repeats(&mut sweep);
        (sweep, warnings)
    }

    #[test]
    fn same_label_and_load_merge_in_repeat_order() {
        let (sweep, warnings) = merged(vec![
            run("a", 8, Some(2), 20.0),
            run("a", 1, None, 5.0),
            run("a", 8, Some(1), 10.0),
            run("b", 8, None, 30.0),
        ]);
        assert!(warnings.is_empty(), "{warnings:?}");
        let shape: Vec<(&str, Option<u64>, usize, Option<u32>)> = sweep
            .points
            .iter()
            .map(|p| (p.label.as_str(), p.concurrency, p.runs(), p.repeat))
            .collect();
        assert_eq!(
            shape,
            [
                ("a", Some(8), 2, None),
                ("a", Some(1), 1, None),
                ("b", Some(8), 1, None)
            ]
        );
        let a8 = &sweep.points[0];
        assert_eq!(a8.run_values(Metric::RequestThroughput), [10.0, 20.0]);
        assert_eq!(a8.get(Metric::RequestThroughput), Some(15.0));
    }

    #[test]
    fn missing_or_clashing_numbers_are_renumbered_in_reading_order() {
        let runs = numbered(vec![
            run("a", 8, Some(1), 1.0),
            run("a", 8, Some(1), 2.0),
            run("a", 8, None, 3.0),
        ]);
        let order: Vec<(Option<u32>, Option<f64>)> = runs
            .iter()
            .map(|p| (p.repeat, p.get(Metric::RequestThroughput)))
            .collect();
        assert_eq!(
            order,
            [
                (Some(1), Some(1.0)),
                (Some(2), Some(2.0)),
                (Some(3), Some(3.0))
            ]
        );
    }

    #[test]
    fn other_models_stay_apart_and_copies_are_named() {
        let mut other = run("a", 8, None, 20.0);
        other.model = Some("llama".into());
        let (sweep, warnings) = merged(vec![run("a", 8, None, 10.0), other]);
        assert_eq!(sweep.points.len(), 2);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0]
            .message
            .contains("another model at the same load (isl ? osl ? conc 8)"));
        let (sweep, warnings) = merged(vec![run("a", 8, None, 10.0), run("a", 8, None, 10.0)]);
        assert_eq!(sweep.points[0].runs(), 2);
        assert!(warnings[0]
            .message
            .contains("repeat 2 has exactly the results of repeat 1"));
    }

    #[test]
    fn records_told_apart_by_metadata_are_series() {
        let mut points: Vec<Point> = ["base", "kvcache", "base"]
            .iter()
            .map(|d| {
                let mut p = run("", 8, None, 1.0);
                p.extra.insert("metadata.deployment".into(), (*d).into());
                p.extra.insert("metadata.input_len".into(), "1000".into());
                p
            })
            .collect();
        name_series_by_metadata(&mut points);
        let labels: Vec<&str> = points.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["base", "kvcache", "base"]);
        let mut same = vec![run("", 8, None, 1.0), run("", 8, None, 2.0)];
        name_series_by_metadata(&mut same);
        assert!(same.iter().all(|p| p.label.is_empty()));
    }
}
