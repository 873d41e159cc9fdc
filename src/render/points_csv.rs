//! `points.csv`: every point with every column, full precision, for scripts.

use super::output::{Exporter, Output};
use super::point_table::{point_table, Columns};
use super::show::csv_text;
use super::ReportCtx;
use crate::util::error::Error;

pub const FILE: &str = "points.csv";

pub struct PointsCsv;

impl Exporter<ReportCtx<'_>> for PointsCsv {
    fn render(&self, ctx: &ReportCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let csv = csv_text(&point_table(ctx.sweep, &Columns::All)?);
        Ok(vec![Output::text(FILE, csv)])
    }
}
