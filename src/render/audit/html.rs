//! `report.html` of an audit: one self-contained page in the report family (the same CSS,
//! self-check script and Content-Security-Policy; images as data URIs).
//!
//! Tables are built once ([`super::tables`]) and turned into string cells here; the Tera
//! template only lays them out, with autoescaping on for everything from the inputs.

use serde::Serialize;

use super::tables::{
    metrics_table, points_table, predicted_facts, ranking_table, skipped_table, sla_table,
    sweep_facts,
};
use super::AuditCtx;
use crate::analyze::audit::Audit;
use crate::render::html::{render_page, Chrome};
use crate::render::output::{Exporter, Output};
use crate::render::plots::audit::svg_charts;
use crate::render::plots::svg::ChartView;
use crate::render::tables::{ReportTable, Tone};
use crate::util::error::Error;

const TEMPLATE: &str = include_str!("../../../report-templates/audit.html.tera");

pub struct AuditHtml;

impl Exporter<AuditCtx<'_>> for AuditHtml {
    /// Draws the charts inline, from the same figures as the PNGs; never reads files back.
    fn render(&self, ctx: &AuditCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let charts = svg_charts(ctx.audit, ctx.out_dir)?;
        let html = render_html(ctx.audit, charts).map_err(|e| Error::Write {
            path: ctx.out_dir.join("report.html"),
            source: std::io::Error::other(e),
        })?;
        Ok(vec![Output::text("report.html", html)])
    }
}

#[derive(Serialize)]
struct View {
    title: String,
    #[serde(flatten)]
    chrome: Chrome,
    facts: Vec<String>,
    headline: Vec<String>,
    gate_hits: Vec<String>,
    max_ape: Option<String>,
    overall: Option<TableView>,
    sweeps: Vec<SweepView>,
    ranking: Option<TableView>,
    ranking_text: Option<String>,
    charts: Vec<ChartView>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct SweepView {
    label: String,
    facts: Vec<String>,
    metrics: TableView,
    sla: Option<TableView>,
    points: TableView,
    skipped: Option<TableView>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct TableView {
    title: String,
    headers: Vec<CellView>,
    rows: Vec<Vec<CellView>>,
}

#[derive(Serialize)]
struct CellView {
    text: String,
    /// CSS classes from the report stylesheet: `num`, `pass`, `fail`, `dim`.
    class: String,
}

fn table(t: &ReportTable) -> TableView {
    // A column is numeric (right-aligned head) when its first cell is.
    let numeric = |i: usize| {
        t.rows
            .first()
            .and_then(|r| r.get(i))
            .is_some_and(|c| c.numeric)
    };
    TableView {
        title: t.title.clone(),
        headers: t
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| CellView {
                text: h.clone(),
                class: if numeric(i) {
                    "num".into()
                } else {
                    String::new()
                },
            })
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        let tone = match c.tone {
                            Tone::Good => "pass",
                            Tone::Bad => "fail",
                            Tone::Muted => "dim",
                            Tone::Plain => "",
                        };
                        let num = if c.numeric { "num" } else { "" };
                        CellView {
                            text: c.text.clone(),
                            class: format!("{num} {tone}").trim().to_string(),
                        }
                    })
                    .collect()
            })
            .collect(),
    }
}

/// The page as a string; the error is a template problem (a bug, never input).
pub fn render_html(a: &Audit, charts: Vec<ChartView>) -> Result<String, String> {
    let view = View {
        title: format!(
            "{} predictions vs measured",
            a.model.clone().unwrap_or_else(|| "AIConfigurator".into())
        ),
        chrome: Chrome::new(a.adreport_version),
        facts: predicted_facts(a),
        headline: a.headline.clone(),
        gate_hits: a.gate_hits.clone(),
        max_ape: a.max_ape_pct.map(|p| format!("{p}%")),
        overall: (a.sweeps.len() > 1).then(|| table(&metrics_table("All sweeps", &a.metrics))),
        sweeps: a
            .sweeps
            .iter()
            .map(|s| SweepView {
                label: s.label.clone(),
                facts: sweep_facts(s),
                metrics: table(&metrics_table(&s.label, &s.metrics)),
                sla: sla_table(s).as_ref().map(table),
                points: table(&points_table(s)),
                skipped: skipped_table(a, &s.label).as_ref().map(table),
                notes: s.notes.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        ranking: ranking_table(a).as_ref().map(table),
        ranking_text: a.ranking.as_ref().map(|r| r.text.clone()),
        charts,
        warnings: a.warnings.clone(),
    };
    render_page("audit.html", TEMPLATE, &view)
}
