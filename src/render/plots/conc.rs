//! "Metric vs concurrency" charts: one line per label (or per workload), whiskers over repeats,
//! SLA lines.

use super::axis::{concurrency_axis, log_axis, spread_axis, value_axis, Scale};
use super::{
    finish_legend, finite, fit_sla_lines, mark_coordinates, misses, sla_lines, Data, Figure,
    LoadAxis, Mark, Series,
};
use super::{CapMark, Entry};
use crate::analyze::capacity::capacity;
use crate::analyze::sla::Sla;
use crate::model::{Direction, Latency, Metric, Point, Stat};

/// A "metric vs concurrency" chart: file name, metric, and what the y axis shows.
pub(super) struct ConcChart<'a> {
    pub(super) file: &'static str,
    pub(super) metric: Metric,
    pub(super) what: &'a str,
}

pub(super) const CONC_CHARTS: [ConcChart<'static>; 7] = [
    ConcChart {
        file: "p50_inter_token_latency_vs_concurrency.png",
        metric: Metric::Latency(Latency::Tpot, Stat::P50),
        what: "P50 inter-token latency (TPOT)",
    },
    ConcChart {
        file: "avg_inter_token_latency_vs_concurrency.png",
        metric: Metric::Latency(Latency::Tpot, Stat::Avg),
        what: "Average inter-token latency (TPOT)",
    },
    ConcChart {
        file: "avg_time_to_first_token_vs_concurrency.png",
        metric: Metric::Latency(Latency::Ttft, Stat::Avg),
        what: "Average time to first token (TTFT)",
    },
    ConcChart {
        file: "p99_time_to_first_token_vs_concurrency.png",
        metric: Metric::Latency(Latency::Ttft, Stat::P99),
        what: "P99 time to first token (TTFT)",
    },
    ConcChart {
        file: "request_throughput_vs_concurrency.png",
        metric: Metric::RequestThroughput,
        what: "Request throughput",
    },
    ConcChart {
        file: "output_token_throughput_vs_concurrency.png",
        metric: Metric::OutputTokenThroughput,
        what: "Output token throughput",
    },
    ConcChart {
        file: "output_tokens_per_joule_vs_concurrency.png",
        metric: Metric::OutputTokensPerJoule,
        what: "Output tokens per joule of GPU energy",
    },
];

/// One "metric vs load" chart; `y_scale` forces the y axis (report.html's views), `None`
/// lets the chart pick (log for latencies spanning more than 30x).
pub(super) fn conc_figure(
    d: Data,
    labels: &[String],
    chart: &ConcChart,
    load: LoadAxis,
    y_scale: Option<Scale>,
) -> Option<Figure> {
    let mut series: Vec<Series> = Vec::new();
    let mut caps: Vec<CapMark> = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        for (s, points) in conc_series(d, i, l, chart.metric, load) {
            if let (Metric::Latency(_, stat), Some(sla)) = (chart.metric, d.sla()) {
                let mark = capacity_mark(sla, stat, series.len(), &points);
                // A capacity search of this series against this SLA: its bracket too.
                let first_fail = mark
                    .as_ref()
                    .filter(|m| m.strong)
                    .and_then(|m| search_bracket_end(d, l, &points, m.conc));
                caps.extend(mark.map(|mut m| {
                    if let Some(end) = first_fail {
                        m.tag = format!("{}; search bracket {}-{end}", m.tag, m.conc);
                    }
                    m
                }));
                caps.extend(first_fail.map(|end| CapMark {
                    series: series.len(),
                    conc: end as f64,
                    strong: false,
                    // The capacity's own tag names the bracket; one tag keeps them readable.
                    tag: String::new(),
                }));
            }
            series.push(s);
        }
    }
    if series.is_empty() {
        return None;
    }
    // A label over several workloads draws one line per workload, each in its own colour.
    if series.len() > labels.len() {
        for (i, s) in series.iter_mut().enumerate() {
            s.color = i;
        }
    }
    let (concs, mut ys) = mark_coordinates(&series);
    let whiskers = series
        .iter()
        .flat_map(|s| &s.marks)
        .filter_map(|m| m.whisker);
    let repeated = whiskers.clone().count();
    ys.extend(whiskers.flatten());
    let mut notes = vec![direction_note(chart.metric)];
    if repeated > 0 {
        notes.push("Points measured several times: the mean over the runs, whiskers from the lowest to the highest run.".into());
    }
    let dropped = d
        .points()
        .filter(|(p, pf)| load.x(pf).is_none() && finite(p.get(chart.metric)).is_some())
        .count();
    if dropped > 0 {
        notes.push(format!(
            "{dropped} point(s) without a {} are not shown.",
            load.title()
        ));
    }
    let y_title = format!("{}, {}", chart.what, chart.metric.unit());
    let lines = match chart.metric {
        Metric::Latency(lat, stat) => sla_lines(d.sla(), lat, Some(stat)),
        _ => Vec::new(),
    };
    let title = format!("{} vs {}", chart.what, load.title());
    let mut x = concurrency_axis(&concs);
    if load == LoadAxis::BatchSize {
        x.title = "Max batch size".into();
    }
    // Latencies of very different configs can differ 100x: a log axis keeps both readable.
    let y = match (y_scale, chart.metric) {
        (Some(Scale::Log10), _) => log_axis(y_title, &ys),
        (Some(_), _) => value_axis(y_title, &ys),
        (None, Metric::Latency(..)) => spread_axis(y_title, &ys, Vec::new()),
        (None, _) => value_axis(y_title, &ys),
    };
    let mut fig = Figure::new(title, x, y, notes);
    fig.series = series;
    fit_sla_lines(&mut fig, lines, &ys);
    if let (Some(c), Some(sla)) = (caps.first(), d.sla()) {
        let text = if c.strong {
            "Capacity: highest concurrency meeting the SLA".to_string()
        } else {
            format!(
                "Capacity if the SLA were judged on {} (it is judged on {})",
                stat_of(chart.metric),
                sla.stat.key()
            )
        };
        fig.legend.push(Entry::Capacity {
            strong: c.strong,
            text,
        });
    }
    fig.caps = caps;
    finish_legend(&mut fig, d.sla());
    Some(fig)
}

/// One label's line, or one per workload (ISL/OSL) when the label has several.
/// The statistic a latency metric shows (`avg` for the others).
fn stat_of(metric: Metric) -> &'static str {
    match metric {
        Metric::Latency(_, s) => s.key(),
        _ => Stat::Avg.key(),
    }
}

/// The first failing concurrency of a capacity search (capacity.json) of `label`'s workload
/// against the report's SLA whose capacity is `conc`: the bracket's upper end.
fn search_bracket_end(d: Data, label: &str, points: &[&Point], conc: f64) -> Option<u64> {
    let (isl, osl) = points.first().map(|p| (p.isl, p.osl))?;
    d.findings
        .searched
        .iter()
        .find(|s| {
            s.report_sla
                && s.label == label
                && s.isl == isl
                && s.osl == osl
                && s.capacity.map(|c| c as f64) == Some(conc)
        })
        .and_then(|s| s.bracket[1])
}

/// Series `series`' capacity with the SLA's targets judged on `stat`: the same analysis as the
/// report's capacity table, which uses the SLA's own statistic.
fn capacity_mark(sla: &Sla, stat: Stat, series: usize, points: &[&Point]) -> Option<CapMark> {
    let judged = Sla {
        targets: sla.targets.clone(),
        stat,
    };
    let c = capacity(points, &judged).max_passing_concurrency?;
    Some(CapMark {
        series,
        conc: c as f64,
        strong: stat == sla.stat,
        tag: format!("capacity {c} ({})", stat.key()),
    })
}

/// One label's series (and the points each is drawn from), one per workload when it has several.
pub(super) fn conc_series<'a>(
    d: Data<'a>,
    color: usize,
    label: &'a str,
    metric: Metric,
    load: LoadAxis,
) -> Vec<(Series, Vec<&'a Point>)> {
    type Workload = (Option<u64>, Option<u64>);
    type Group<'a> = (Workload, Vec<Mark>, Vec<&'a Point>);
    let mut groups: Vec<Group> = Vec::new();
    for (i, p, pf) in d.points_of(label) {
        let (Some(x), Some(y)) = (load.x(pf), finite(p.get(metric))) else {
            continue;
        };
        let mark = Mark {
            x: x as f64,
            y,
            tag: None,
            miss: misses(pf),
            hollow: false,
            whisker: pf.run_range.get(&metric.name()).copied(),
            point: Some(i),
        };
        match groups.iter_mut().find(|(w, _, _)| *w == (p.isl, p.osl)) {
            Some((_, marks, points)) => {
                marks.push(mark);
                points.push(p);
            }
            None => groups.push(((p.isl, p.osl), vec![mark], vec![p])),
        }
    }
    let several = groups.len() > 1;
    groups
        .into_iter()
        .map(|((isl, osl), mut marks, points)| {
            marks.sort_by(|a, b| a.x.total_cmp(&b.x));
            let line = marks.iter().map(|m| (m.x, m.y)).collect();
            let o = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            let s = Series {
                color,
                label: if several {
                    format!("{label} isl {} osl {}", o(isl), o(osl))
                } else {
                    label.to_string()
                },
                marks,
                line,
            };
            (s, points)
        })
        .collect()
}

pub(super) fn direction_note(metric: Metric) -> String {
    match metric.direction() {
        Direction::LowerIsBetter => "Lower is better.".into(),
        Direction::HigherIsBetter => "Higher is better.".into(),
        Direction::Neutral => String::new(),
    }
}
