//! `history report`'s text outputs: summary.md (job summaries, PR comments) and a
//! self-contained report.html with the trend charts embedded.

use crate::render::plots::history::svg_charts;

use super::{changes_table, check_summary, HistoryCtx};
use crate::render::output::{png_names, Exporter, Output};
use crate::render::point_table::{Cell, PointTable};
use crate::render::show::{self, ShowFormat};
use crate::render::tables::md_escape;
use crate::util::error::Error;

/// `summary.md`: the verdict, the change points and the charts' file names.
pub struct HistorySummaryMd;

impl Exporter<HistoryCtx<'_>> for HistorySummaryMd {
    fn render(&self, ctx: &HistoryCtx, earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let mut out = String::from("## adreport history\n\n");
        for line in check_summary(ctx.trend, ctx.check, ctx.threshold).lines() {
            let mark = if line.starts_with("REGRESSION") {
                ":x: "
            } else {
                ""
            };
            out.push_str(&format!("- {mark}{}\n", md_escape(line)));
        }
        let table = changes_table(ctx.trend, ctx.check);
        if !table.rows.is_empty() {
            out.push_str("\n### Change points\n\n");
            out.push_str(&show::render(&table, ShowFormat::Markdown));
        }
        let charts = png_names(earlier);
        if !charts.is_empty() {
            out.push_str("\n<details><summary>Trend charts</summary>\n\n");
            for c in charts {
                out.push_str(&format!("- {}\n", md_escape(&c)));
            }
            out.push_str("\n</details>\n");
        }
        Ok(vec![Output::text("summary.md", out)])
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_table(t: &PointTable) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in &t.headers {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for c in row {
            let (text, class) = match c {
                Cell::Null => ("-".to_string(), " class=\"muted\""),
                Cell::Text(s) => (s.clone(), ""),
                Cell::Int(n) => (n.to_string(), " class=\"num\""),
                Cell::Float(f) => (crate::render::format::human(*f), " class=\"num\""),
            };
            let class = if text == "FAIL" {
                " class=\"fail\""
            } else {
                class
            };
            out.push_str(&format!("<td{class}>{}</td>", esc(&text)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1400px}\
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px}\
th{background:#f3f3f3}.num{text-align:right}.muted{color:#888}.fail{color:#c00;font-weight:bold}\
figure{margin:1em 0}figure svg{display:block;width:100%;max-width:1200px;height:auto;border:1px solid #ddd}";

/// `report.html`: the verdict, the change points and every trend chart, in one file.
pub struct HistoryHtml;

impl Exporter<HistoryCtx<'_>> for HistoryHtml {
    fn render(&self, ctx: &HistoryCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let mut body = String::new();
        body.push_str(&format!(
            "<h1>adreport history</h1>\n<p>{}</p>\n<ul>\n",
            esc(ctx.db)
        ));
        for line in check_summary(ctx.trend, ctx.check, ctx.threshold).lines() {
            let class = if line.starts_with("REGRESSION") {
                " class=\"fail\""
            } else {
                ""
            };
            body.push_str(&format!("<li{class}>{}</li>\n", esc(line)));
        }
        body.push_str("</ul>\n");
        let table = changes_table(ctx.trend, ctx.check);
        if !table.rows.is_empty() {
            body.push_str("<h2>Change points</h2>\n");
            body.push_str(&html_table(&table));
        }
        body.push_str("<h2>Trends</h2>\n");
        // Inline SVG from the same figures as the PNGs beside the page.
        for c in svg_charts(ctx)? {
            for v in c.views.iter().filter(|v| v.default) {
                body.push_str(&format!(
                    "<figure>{}<figcaption>{}</figcaption></figure>\n",
                    v.svg,
                    esc(c.png.as_deref().unwrap_or(&c.title))
                ));
            }
        }
        let page = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>adreport history</title><style>{STYLE}</style></head><body>\n{body}<p class=\"muted\">adreport {}</p>\n</body></html>\n",
            env!("CARGO_PKG_VERSION")
        );
        Ok(vec![Output::text("report.html", page)])
    }
}
