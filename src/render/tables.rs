//! The tables every report prints, built once as rows of toned cells; the terminal,
//! SUMMARY.txt and summary.md only decide how to draw them.

use comfy_table::{
    presets, Attribute, Cell as TCell, CellAlignment, Color, ContentArrangement, Table,
};

use super::format::{human, human_opt, load_text, pct};
use super::headline::{evidence_text, verdict_word, within_run_text};
use crate::analyze::align::AlignKey;
use crate::analyze::compare::{Comparison, Verdict};
use crate::analyze::findings::{Findings, KEY_METRICS};
use crate::model::Metric;

/// How a cell should look where colour is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
    Muted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToneCell {
    pub text: String,
    pub tone: Tone,
    pub numeric: bool,
}

impl ToneCell {
    pub fn text(s: impl Into<String>) -> ToneCell {
        ToneCell {
            text: s.into(),
            tone: Tone::Plain,
            numeric: false,
        }
    }
    pub fn num(s: impl Into<String>) -> ToneCell {
        ToneCell {
            text: s.into(),
            tone: Tone::Plain,
            numeric: true,
        }
    }
    pub fn toned(mut self, tone: Tone) -> ToneCell {
        self.tone = tone;
        self
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportTable {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<ToneCell>>,
}

fn opt_u(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// Every point with its key metrics and, with an SLA, its verdict and goodput.
pub fn points_table(f: &Findings) -> ReportTable {
    let metrics: Vec<Metric> = KEY_METRICS
        .iter()
        .copied()
        .filter(|m| f.points.iter().any(|p| p.metrics.contains_key(&m.name())))
        .collect();
    let mut headers: Vec<String> = ["label", "conc", "isl", "osl"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    headers.extend(metrics.iter().map(|m| m.name()));
    let with_sla = f.sla.is_some();
    if with_sla {
        headers.push("SLA".into());
        headers.push("goodput".into());
    }
    let rows = f
        .points
        .iter()
        .map(|p| {
            let mut row = vec![
                ToneCell::text(&p.label),
                ToneCell::num(load_text(p.concurrency, p.max_batch_size, "", "-")),
                ToneCell::num(opt_u(p.isl)),
                ToneCell::num(opt_u(p.osl)),
            ];
            for m in &metrics {
                let value = p.metrics.get(&m.name()).copied();
                let failed = p.sla.as_ref().is_some_and(|v| {
                    v.checks.iter().any(|c| {
                        c.pass == Some(false)
                            && f.sla.as_ref().is_some_and(|s| s.metric(&c.target) == *m)
                    })
                });
                let cell = ToneCell::num(human_opt(value));
                row.push(if failed { cell.toned(Tone::Bad) } else { cell });
            }
            if with_sla {
                row.push(match p.sla_pass {
                    Some(true) => ToneCell::text("pass").toned(Tone::Good),
                    Some(false) => {
                        let failed = p
                            .sla
                            .as_ref()
                            .map(|v| v.failed().join("+"))
                            .unwrap_or_default();
                        ToneCell::text(format!("FAIL {failed}")).toned(Tone::Bad)
                    }
                    None => ToneCell::text("n/a").toned(Tone::Muted),
                });
                row.push(match &p.goodput {
                    Some(g) => ToneCell::num(format!(
                        "{}/{} ({:.0}%)",
                        g.good,
                        g.total,
                        g.fraction * 100.0
                    )),
                    None => ToneCell::text("-").toned(Tone::Muted),
                });
            }
            row
        })
        .collect();
    ReportTable {
        title: "Points".into(),
        headers,
        rows,
    }
}

pub fn verdict_tone(v: Verdict) -> Tone {
    match v {
        Verdict::Better => Tone::Good,
        Verdict::Worse => Tone::Bad,
        Verdict::Same | Verdict::WithinNoise | Verdict::Unverified => Tone::Muted,
    }
}

/// Key metrics of each aligned point: baseline, value, delta and verdict.
pub fn comparison_table(c: &Comparison) -> ReportTable {
    let headers = [
        "conc",
        "isl",
        "osl",
        "metric",
        c.baseline.as_str(),
        c.label.as_str(),
        "delta",
        "verdict",
        "evidence",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rows = Vec::new();
    for pair in &c.pairs {
        for m in KEY_METRICS {
            let Some(d) = pair.deltas.iter().find(|d| d.metric == m.name()) else {
                continue;
            };
            let evidence = match within_run_text(d) {
                Some(w) => format!("{}; {w}", evidence_text(d)),
                None => evidence_text(d),
            };
            rows.push(
                key_cells(&pair.key)
                    .into_iter()
                    .chain([
                        ToneCell::text(&d.metric),
                        ToneCell::num(human(d.baseline)),
                        ToneCell::num(human(d.value)),
                        ToneCell::num(d.rel_pct.map(pct).unwrap_or_else(|| human(d.abs)))
                            .toned(verdict_tone(d.verdict)),
                        ToneCell::text(verdict_word(d.verdict)).toned(verdict_tone(d.verdict)),
                        ToneCell::text(evidence).toned(Tone::Muted),
                    ])
                    .collect(),
            );
        }
    }
    ReportTable {
        title: format!("{} vs {}", c.label, c.baseline),
        headers,
        rows,
    }
}

/// The comparison at a glance: one row per aligned point, one column per key metric,
/// each cell `baseline -> value (delta)` toned by its verdict.
pub fn comparison_matrix(c: &Comparison) -> ReportTable {
    let metrics = compared_key_metrics(c);
    let mut headers: Vec<String> = ["conc", "isl", "osl", "runs"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    headers.extend(metrics.iter().map(|m| m.name()));
    let rows = c
        .pairs
        .iter()
        .map(|pair| {
            let mut row = key_cells(&pair.key);
            let runs = pair.deltas.first().map(|d| d.runs).unwrap_or([1, 1]);
            row.push(ToneCell::num(format!("{}/{}", runs[0], runs[1])));
            for m in &metrics {
                row.push(match pair.deltas.iter().find(|d| d.metric == m.name()) {
                    Some(d) => {
                        let change = d.rel_pct.map(pct).unwrap_or_else(|| human(d.abs));
                        let evidence = match (d.verdict, d.ci_pct) {
                            (Verdict::Unverified, _) => " ?".to_string(),
                            (_, Some([lo, hi])) => format!(", CI {}..{}", pct(lo), pct(hi)),
                            _ => String::new(),
                        };
                        let noise = if d.verdict == Verdict::WithinNoise {
                            " ~"
                        } else {
                            ""
                        };
                        ToneCell::num(format!(
                            "{} -> {} ({change}{evidence}{noise})",
                            human(d.baseline),
                            human(d.value)
                        ))
                        .toned(verdict_tone(d.verdict))
                    }
                    None => ToneCell::text("-").toned(Tone::Muted),
                });
            }
            row
        })
        .collect();
    ReportTable {
        title: format!("{} vs {}", c.label, c.baseline),
        headers,
        rows,
    }
}

/// The key metrics some aligned point of a comparison has a delta of, in [`KEY_METRICS`] order.
pub fn compared_key_metrics(c: &Comparison) -> Vec<Metric> {
    KEY_METRICS
        .into_iter()
        .filter(|m| {
            c.pairs
                .iter()
                .any(|p| p.deltas.iter().any(|d| d.metric_id == Some(*m)))
        })
        .collect()
}

/// The load of an aligned pair for people: its concurrency (after `conc_prefix`), `bs N`,
/// or `R req/s` for a point set to a request rate.
pub fn key_load_text(key: &AlignKey, conc_prefix: &str, missing: &str) -> String {
    match (key.concurrency, key.request_rate) {
        (None, Some(r)) => format!("{} req/s", human(r.get())),
        _ => load_text(key.concurrency, key.max_batch_size, conc_prefix, missing),
    }
}

/// The load, ISL and OSL cells of an aligned pair.
fn key_cells(key: &AlignKey) -> Vec<ToneCell> {
    vec![
        ToneCell::num(key_load_text(key, "", "-")),
        ToneCell::num(opt_u(key.isl)),
        ToneCell::num(opt_u(key.osl)),
    ]
}

/// Draws a table for a terminal (`color`) or a plain text file.
pub fn draw(t: &ReportTable, color: bool, unicode: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(if unicode {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_BORDERS_ONLY_CONDENSED
        })
        .set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(t.headers.iter().map(|h| {
        let c = TCell::new(h);
        if color {
            c.add_attribute(Attribute::Bold)
        } else {
            c
        }
    }));
    for row in &t.rows {
        table.add_row(row.iter().map(|c| {
            let mut cell = TCell::new(&c.text);
            if c.numeric {
                cell = cell.set_alignment(CellAlignment::Right);
            }
            if color {
                cell = match c.tone {
                    Tone::Good => cell.fg(Color::Green),
                    Tone::Bad => cell.fg(Color::Red).add_attribute(Attribute::Bold),
                    Tone::Muted => cell.fg(Color::DarkGrey),
                    Tone::Plain => cell,
                };
            }
            cell
        }));
    }
    table.to_string()
}

/// Draws a table no wider than `width` columns of text: when it is wider, its columns are
/// split over several tables that each repeat the first `keep` (the keys), so no row wraps.
pub fn draw_fitting(t: &ReportTable, color: bool, width: usize, keep: usize) -> String {
    let col_width = |i: usize| {
        t.rows
            .iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.text.chars().count())
            .chain(std::iter::once(t.headers[i].chars().count()))
            .max()
            .unwrap_or(0)
            + 3
    };
    let keep = keep.min(t.headers.len());
    let fixed: usize = (0..keep).map(col_width).sum::<usize>() + 1;
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut used = fixed;
    for i in keep..t.headers.len() {
        let w = col_width(i);
        match chunks.last_mut() {
            Some(chunk) if used + w <= width => chunk.push(i),
            _ => {
                chunks.push(vec![i]);
                used = fixed;
            }
        }
        used += w;
    }
    if chunks.len() <= 1 {
        return draw(t, color, true);
    }
    chunks
        .iter()
        .map(|chunk| {
            let cols: Vec<usize> = (0..keep).chain(chunk.iter().copied()).collect();
            let part = ReportTable {
                title: t.title.clone(),
                headers: cols.iter().map(|i| t.headers[*i].clone()).collect(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| cols.iter().filter_map(|i| r.get(*i).cloned()).collect())
                    .collect(),
            };
            draw(&part, color, true)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Draws a table as GitHub markdown.
pub fn draw_markdown(t: &ReportTable) -> String {
    let mut out = format!(
        "| {} |\n",
        t.headers
            .iter()
            .map(|h| md_escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let aligns: Vec<&str> = (0..t.headers.len())
        .map(|i| {
            if t.rows
                .first()
                .and_then(|r| r.get(i))
                .is_some_and(|c| c.numeric)
            {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                let text = md_escape(&c.text);
                match c.tone {
                    Tone::Bad => format!("**{text}**"),
                    _ => text,
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Escapes text for a markdown table cell: no pipes, no HTML, one line.
pub fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}
