//! What `history report`'s exporters render from.

use std::path::Path;

use crate::analyze::trend::{Trend, TrendCheck};
use crate::model::Metric;

/// What `history report`'s exporters render from.
pub struct HistoryCtx<'a> {
    pub trend: &'a Trend,
    pub check: &'a TrendCheck,
    /// The metrics to chart.
    pub metrics: &'a [Metric],
    /// The history, as the user named it (a URL without its password).
    pub db: &'a str,
    pub threshold: Option<f64>,
    pub out_dir: &'a Path,
}
