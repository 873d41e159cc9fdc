//! `adreport show`: the points table as terminal table, JSON, CSV or markdown.

use serde_json::{Map, Value};

use super::format::human;
use super::point_table::{Cell, PointTable};
use super::tables::{draw, draw_markdown, ReportTable, Tone, ToneCell};

/// Output format of `show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

pub fn render(table: &PointTable, format: ShowFormat) -> String {
    match format {
        ShowFormat::Table => draw(&report_table(table), false, true) + "\n",
        ShowFormat::Json => json(table),
        ShowFormat::Csv => csv_text(table),
        ShowFormat::Markdown => draw_markdown(&report_table(table)),
    }
}

fn display(c: &Cell) -> String {
    match c {
        Cell::Null => "-".into(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(f) => human(*f),
    }
}

/// Full precision for machines; empty for missing.
fn exact(c: &Cell) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Float(f) => f.to_string(),
    }
}

/// The point table as a report table, so it draws like every other table.
fn report_table(table: &PointTable) -> ReportTable {
    let rows = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| ToneCell {
                    text: display(c),
                    tone: if matches!(c, Cell::Null) {
                        Tone::Muted
                    } else {
                        Tone::Plain
                    },
                    numeric: matches!(c, Cell::Int(_) | Cell::Float(_)),
                })
                .collect()
        })
        .collect();
    ReportTable {
        title: "Points".into(),
        headers: table.headers.clone(),
        rows,
    }
}

pub fn json(table: &PointTable) -> String {
    let rows: Vec<Value> = table
        .rows
        .iter()
        .map(|row| {
            let mut obj = Map::new();
            for (h, c) in table.headers.iter().zip(row) {
                let v = match c {
                    Cell::Null => Value::Null,
                    Cell::Text(s) => Value::String(s.clone()),
                    Cell::Int(n) => Value::from(*n),
                    Cell::Float(f) => serde_json::Number::from_f64(*f)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                };
                obj.insert(h.clone(), v);
            }
            Value::Object(obj)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

pub fn csv_text(table: &PointTable) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; errors would only come from the writer's own I/O.
    let _ = w.write_record(&table.headers);
    for row in &table.rows {
        let _ = w.write_record(row.iter().map(exact));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
