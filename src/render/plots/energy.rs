//! The energy view: output tokens per joule vs tokens/s/user, each label's points with its
//! Pareto frontier from the findings (the energy cost of a faster user experience).

use super::axis::value_axis;
use super::{finish_legend, frontier_series, mark_coordinates, Data, Figure, LoadAxis, Series};
use crate::model::Metric;

pub const PARETO_FILE: &str = "energy_tok_per_joule_vs_user.png";

/// The chart, or `None` when no point has both GPU telemetry and tokens/s/user.
pub(super) fn pareto_figure(d: Data, labels: &[String]) -> Option<Figure> {
    let y = Metric::OutputTokensPerJoule;
    let series: Vec<Series> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| frontier_series(d, i, l, y, &d.findings.energy_frontiers))
        .collect();
    if series.is_empty() {
        return None;
    }
    let (xs, ys) = mark_coordinates(&series);
    let mut notes = vec![
        format!("Numbers on dots: {}.", LoadAxis::of(d.findings).title()),
        "Line: Pareto frontier of each label (no other point of the label is better on both axes). Up and right is better.".to_string(),
        "Energy: all GPUs of the point over the profiling window (warmup excluded).".to_string(),
    ];
    let without = d
        .sweep
        .points
        .iter()
        .filter(|p| p.get(Metric::TokensPerSUser).is_some() && p.get(y).is_none())
        .count();
    if without > 0 {
        notes.push(format!(
            "{without} point(s) without GPU telemetry are not shown."
        ));
    }
    let mut fig = Figure::new(
        "Energy efficiency vs user experience".into(),
        value_axis("Output tokens/s per user".into(), &xs),
        value_axis("Output tokens per joule".into(), &ys),
        notes,
    );
    fig.series = series;
    finish_legend(&mut fig, d.sla());
    Some(fig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::findings::{analyze, Settings};
    use crate::model::{test_point, Sweep};

    #[test]
    fn frontier_of_tokens_per_joule_comes_from_the_findings_and_skips_points_without_telemetry() {
        let mut sweep = Sweep::default();
        // (concurrency, tokens/s/user, tokens/J): conc 4 (50, 2.0) is beaten by conc 8 (60, 3.0);
        // conc 16 has no telemetry.
        for (c, user, tpj) in [
            (2, 90.0, Some(1.0)),
            (4, 50.0, Some(2.0)),
            (8, 60.0, Some(3.0)),
            (16, 30.0, None),
        ] {
            let mut p = test_point(c, 100.0, 1.0);
            p.set(Metric::TokensPerSUser, user);
            p.set_opt(Metric::OutputTokensPerJoule, tpj);
            sweep.points.push(p);
        }
        let f = analyze(&sweep, &Settings::default());
        assert_eq!(f.energy_frontiers.len(), 1);
        assert_eq!(f.energy_frontiers[0].points, [2, 0]);
        assert_eq!(f.series[0].energy_pareto_concurrencies, [8, 2]);
        let fig = pareto_figure(
            Data {
                sweep: &sweep,
                findings: &f,
            },
            &f.labels,
        )
        .unwrap();
        assert_eq!(fig.series[0].marks.len(), 3);
        assert_eq!(fig.series[0].line, [(60.0, 3.0), (90.0, 1.0)]);
        assert!(fig
            .notes
            .iter()
            .any(|n| n == "1 point(s) without GPU telemetry are not shown."));
        // No telemetry anywhere: no chart, no frontier.
        for p in &mut sweep.points {
            p.metrics.remove(&Metric::OutputTokensPerJoule);
        }
        let f = analyze(&sweep, &Settings::default());
        assert!(f.energy_frontiers.is_empty());
        assert!(pareto_figure(
            Data {
                sweep: &sweep,
                findings: &f
            },
            &f.labels
        )
        .is_none());
    }
}
