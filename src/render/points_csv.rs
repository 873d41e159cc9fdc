//! `points.csv`: every point with every column, full precision, for scripts.

use super::point_table::{point_table, Columns};
use super::show::csv_text;
use super::{Exporter, ReportCtx};
use crate::error::Error;

pub struct PointsCsv;

impl Exporter for PointsCsv {
    fn file_name(&self) -> &'static str {
        "points.csv"
    }

    fn render(&self, ctx: &ReportCtx) -> Result<String, Error> {
        Ok(csv_text(&point_table(ctx.sweep, &Columns::All)?))
    }
}
