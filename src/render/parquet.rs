//! `points.parquet` and `requests.parquet`: the points and the per-request records as typed
//! columns for pandas, polars, DuckDB and pyarrow. Units are in the column names as in
//! points.csv; the file metadata names the schema and its version.

use polars::prelude::*;

use super::output::{Exporter, Output};
use super::ReportCtx;
use crate::model::Sweep;
use crate::util::error::Error;

pub const POINTS_FILE: &str = "points.parquet";
pub const REQUESTS_FILE: &str = "requests.parquet";

/// The file metadata key naming the schema, and its values.
pub const SCHEMA_KEY: &str = "adreport.schema";
pub const POINTS_SCHEMA: &str = "adreport-points";
pub const REQUESTS_SCHEMA: &str = "adreport-requests";
/// The file metadata key of the schema's version; bumped when a column changes meaning or goes.
pub const SCHEMA_VERSION_KEY: &str = "adreport.schema_version";
pub const SCHEMA_VERSION: &str = "1";

/// Both files of a report or compare.
pub struct Parquet;

impl Exporter<ReportCtx<'_>> for Parquet {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![
            points_parquet(ctx.sweep, POINTS_FILE)?,
            requests_parquet(ctx.sweep)?,
        ])
    }
}

/// One row per point of `sweep` (per repeat, for a repeats view): the columns of points.csv.
pub fn points_parquet(sweep: &Sweep, file_name: &str) -> Result<Output, Error> {
    let mut frame = sweep.points_frame()?;
    Ok(Output {
        file_name: file_name.into(),
        bytes: to_parquet(&mut frame, POINTS_SCHEMA)?,
    })
}

/// One row per request of every run that recorded them: the run's label, source, load and
/// repeat, then the request's own numbers. A point measured several times gives each run's
/// requests under its own `repeat`; a point measured once is repeat 1.
pub fn requests_parquet(sweep: &Sweep) -> Result<Output, Error> {
    let runs = sweep.repeats_view();
    let requests = runs.requests_frame()?;
    let index: Vec<usize> = requests
        .column("point")?
        .u32()?
        .into_no_null_iter()
        .map(|i| i as usize)
        .collect();
    let pts = &runs.points;
    let of = |f: &dyn Fn(&crate::model::Point) -> Option<u64>| {
        index.iter().map(|&i| f(&pts[i])).collect::<Vec<_>>()
    };
    let text = |f: &dyn Fn(&crate::model::Point) -> Option<String>| {
        index.iter().map(|&i| f(&pts[i])).collect::<Vec<_>>()
    };
    // The request's number within its run, from 0.
    let mut request = Vec::with_capacity(index.len());
    for (n, &i) in index.iter().enumerate() {
        let first = n == 0 || index[n - 1] != i;
        request.push(if first { 0u32 } else { request[n - 1] + 1 });
    }
    let col = |name: &str| requests.column(name).cloned();
    // In the order requests_frame lists them: point by point.
    let error: Vec<bool> = pts
        .iter()
        .filter_map(|p| p.requests.as_ref())
        .flat_map(|r| r.ok.iter().map(|ok| !ok))
        .collect();
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("label".into(), text(&|p| Some(p.label.clone()))),
        Column::new(
            "source".into(),
            text(&|p| Some(p.source.name().to_string())),
        ),
        Column::new("path".into(), text(&|p| Some(p.path.display().to_string()))),
        Column::new("model".into(), text(&|p| p.model.clone())),
        Column::new("isl".into(), of(&|p| p.isl)),
        Column::new("osl".into(), of(&|p| p.osl)),
        Column::new("concurrency".into(), of(&|p| p.concurrency)),
        Column::new(
            "request_rate".into(),
            index
                .iter()
                .map(|&i| pts[i].request_rate)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "repeat".into(),
            of(&|p| Some(u64::from(p.repeat.unwrap_or(1)))),
        ),
        Column::new("request".into(), request),
        col("ttft_ms")?,
        col("tpot_ms")?,
        col("e2el_ms")?,
        // Token counts are whole numbers.
        col("isl")?
            .cast(&DataType::UInt64)?
            .with_name("input_tokens".into()),
        col("osl")?
            .cast(&DataType::UInt64)?
            .with_name("output_tokens".into()),
        Column::new("error".into(), error),
    ])?;
    Ok(Output {
        file_name: REQUESTS_FILE.into(),
        bytes: to_parquet(&mut frame, REQUESTS_SCHEMA)?,
    })
}

/// The frame as Parquet bytes (zstd, statistics on) with the schema's name and version and the
/// adreport version in the file metadata.
fn to_parquet(frame: &mut DataFrame, schema: &str) -> Result<Vec<u8>, Error> {
    let metadata = KeyValueMetadata::from_static(vec![
        (SCHEMA_KEY.into(), schema.into()),
        (SCHEMA_VERSION_KEY.into(), SCHEMA_VERSION.into()),
        ("adreport.version".into(), env!("CARGO_PKG_VERSION").into()),
    ]);
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_key_value_metadata(Some(metadata))
        .finish(frame)?;
    Ok(bytes)
}
