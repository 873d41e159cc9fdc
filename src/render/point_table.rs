//! The points of a Sweep as a table of typed cells, taken from its polars frame.
//! Every point output (terminal, JSON, CSV, markdown) renders this one table.

use polars::prelude::*;

use crate::model::{Metric, Sweep};
use crate::util::error::Error;

/// Columns every point output starts with (`repeats`: runs behind the point's means;
/// `repeat`: the run's number, only in the per-repeat view).
pub const ID_COLUMNS: [&str; 7] = [
    "label",
    "source",
    "concurrency",
    "isl",
    "osl",
    "repeats",
    "repeat",
];

/// Metric columns the terminal shows when `--metrics` is not given.
/// Columns no point has are left out, so the energy and cost columns appear only with telemetry
/// or `--gpu-hour-cost`.
pub const DEFAULT_METRICS: [&str; 15] = [
    "request_rate",
    "requests_ok",
    "ttft_avg_ms",
    "ttft_p99_ms",
    "tpot_avg_ms",
    "tpot_p99_ms",
    "e2el_avg_ms",
    "request_throughput",
    "output_token_throughput",
    "tokens_per_s_user",
    "tokens_per_s_gpu",
    "num_gpus",
    "energy_per_output_token_j",
    "output_tokens_per_joule",
    "usd_per_million_output_tokens",
];

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(u64),
    Float(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct PointTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Which columns to include.
#[derive(Clone, Debug)]
pub enum Columns {
    /// Identity columns, then these metric (or frame) columns.
    Chosen(Vec<String>),
    /// Every column of the frame (for machine-readable outputs).
    All,
}

impl Columns {
    /// Parses `--metrics a,b`; unknown names are an error listing what exists.
    pub fn parse(spec: Option<&str>, default: &[&str]) -> Result<Columns, Error> {
        let Some(spec) = spec else {
            return Ok(Columns::Chosen(
                default.iter().map(|s| s.to_string()).collect(),
            ));
        };
        let mut out = Vec::new();
        for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let known = Metric::from_name(name).is_some()
                || matches!(
                    name,
                    "path" | "model" | "backend" | "request_rate" | "num_gpus"
                );
            if !known {
                let names: Vec<String> = Metric::all().iter().map(|m| m.name()).collect();
                return Err(Error::Usage(format!(
                    "--metrics: unknown column `{name}`; known: path, model, backend, request_rate, num_gpus, {}",
                    names.join(", ")
                )));
            }
            out.push(name.to_string());
        }
        Ok(Columns::Chosen(out))
    }
}

/// Builds the table from the Sweep's points frame; chosen columns no point has are left out.
pub fn point_table(sweep: &Sweep, columns: &Columns) -> Result<PointTable, Error> {
    let frame = sweep.points_frame()?;
    let names: Vec<String> = match columns {
        Columns::All => frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Columns::Chosen(chosen) => ID_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .chain(
                chosen
                    .iter()
                    .filter(|c| !ID_COLUMNS.contains(&c.as_str()))
                    .cloned(),
            )
            .filter(|c| {
                frame
                    .column(c)
                    .is_ok_and(|col| col.null_count() < col.len())
            })
            .collect(),
    };
    let cols: Vec<&Column> = names.iter().filter_map(|n| frame.column(n).ok()).collect();
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let mut row = Vec::with_capacity(cols.len());
        for c in &cols {
            row.push(whole_if_count(c.name(), to_cell(c.get(i)?)));
        }
        rows.push(row);
    }
    Ok(PointTable {
        headers: names,
        rows,
    })
}

/// Request counts are whole numbers: show them as such.
fn whole_if_count(column: &str, cell: Cell) -> Cell {
    let is_count = Metric::from_name(column).is_some_and(|m| m.unit() == "requests");
    match cell {
        Cell::Float(f) if is_count && f.fract() == 0.0 && f >= 0.0 => Cell::Int(f as u64),
        other => other,
    }
}

fn to_cell(v: AnyValue) -> Cell {
    match v {
        AnyValue::Null => Cell::Null,
        AnyValue::String(s) => Cell::Text(s.to_string()),
        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
        AnyValue::UInt64(n) => Cell::Int(n),
        AnyValue::UInt32(n) => Cell::Int(n as u64),
        AnyValue::Float64(f) => Cell::Float(f),
        AnyValue::Boolean(b) => Cell::Text(b.to_string()),
        other => Cell::Text(other.to_string()),
    }
}
