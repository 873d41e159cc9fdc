//! `findings.json`: points with SLA verdicts, goodput, comparisons with deltas and significance,
//! with the headline and gate messages as the other outputs word them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::gate_text::{gate_message, gate_name};
use super::headline::headline_lines;
use super::output::{Exporter, Output};
use super::ReportCtx;
use crate::analyze::compare::Comparison;
use crate::analyze::family::Family;
use crate::analyze::findings::{Findings, PointFinding, RegressionGate, Series};
use crate::analyze::gate::Power;
use crate::analyze::searched::SearchedFinding;
use crate::analyze::sla::Sla;
use crate::util::error::Error;

pub const FILE: &str = "findings.json";

pub struct FindingsJson;

impl Exporter<ReportCtx<'_>> for FindingsJson {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text(FILE, findings_json(ctx.findings)?)])
    }
}

/// The document's text.
pub fn findings_json(f: &Findings) -> Result<String, Error> {
    let mut s = serde_json::to_string_pretty(&Document::of(f))
        .map_err(|e| Error::Usage(format!("cannot serialise findings: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// The findings as scripts read them; field order is the file's.
#[derive(Serialize)]
struct Document<'a> {
    adreport_version: &'a str,
    sla: &'a Option<Sla>,
    sla_text: &'a Option<String>,
    labels: &'a [String],
    baseline: &'a Option<String>,
    /// One-line answers, most important first.
    headline: Vec<String>,
    series: &'a [Series],
    points: &'a [PointFinding],
    comparisons: &'a [Comparison],
    /// How all the comparisons' tests were corrected as one family: tests (m), significant
    /// (R, Benjamini-Hochberg), and the level every `ci_pct` is at.
    family: &'a Option<Family>,
    gate_hits: Vec<GateDoc<'a>>,
    /// `--fail-on-regression` as set, how many changes it tested and could not test.
    regression_gate: &'a Option<RegressionGate>,
    /// Per comparison: repeats a side the gate's test needs for twice its limit (or for a
    /// 10 % change), and the change the runs now detect.
    power: &'a [Power],
    warnings: &'a [String],
    files_read: &'a [String],
    /// Capacities found by search (capacity.json), each against the baseline's.
    searched_capacities: &'a [SearchedFinding],
    /// Tool name -> versions seen.
    tool_versions: &'a BTreeMap<String, BTreeSet<String>>,
}

#[derive(Serialize)]
struct GateDoc<'a> {
    gate: &'static str,
    label: &'a str,
    message: String,
}

impl Document<'_> {
    fn of(f: &Findings) -> Document<'_> {
        Document {
            adreport_version: f.adreport_version,
            sla: &f.sla,
            sla_text: &f.sla_text,
            labels: &f.labels,
            baseline: &f.baseline,
            headline: headline_lines(f),
            series: &f.series,
            points: &f.points,
            comparisons: &f.comparisons,
            family: &f.family,
            gate_hits: f
                .gate_hits
                .iter()
                .map(|g| GateDoc {
                    gate: gate_name(g),
                    label: &g.label,
                    message: gate_message(f, g),
                })
                .collect(),
            regression_gate: &f.regression_gate,
            power: &f.power,
            warnings: &f.warnings,
            files_read: &f.files_read,
            searched_capacities: &f.searched,
            tool_versions: &f.tool_versions,
        }
    }
}
