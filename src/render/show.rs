//! `adreport show`: the points table as terminal table, JSON, CSV or markdown.

use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Cell as TCell, CellAlignment, ContentArrangement, Table,
};
use serde_json::{Map, Value};

use super::format::human;
use super::point_table::{Cell, PointTable};

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
        ShowFormat::Table => terminal(table),
        ShowFormat::Json => json(table),
        ShowFormat::Csv => csv_text(table),
        ShowFormat::Markdown => markdown(table),
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

pub fn terminal(table: &PointTable) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(table.headers.iter().map(|h| TCell::new(h)));
    for row in &table.rows {
        t.add_row(row.iter().map(|c| {
            let cell = TCell::new(display(c));
            match c {
                Cell::Int(_) | Cell::Float(_) => cell.set_alignment(CellAlignment::Right),
                _ => cell,
            }
        }));
    }
    format!("{t}\n")
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

/// Escapes text for a markdown table cell.
pub fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\n', " ")
}

pub fn markdown(table: &PointTable) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| {} |\n",
        table
            .headers
            .iter()
            .map(|h| md_escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    let aligns: Vec<&str> = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, _)| match table.rows.first().and_then(|r| r.get(i)) {
            Some(Cell::Int(_) | Cell::Float(_)) => "---:",
            _ => "---",
        })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for row in &table.rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter()
                .map(|c| md_escape(&display(c)))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    out
}
