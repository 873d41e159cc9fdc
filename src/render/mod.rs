//! Render: charts and reports drawn from a Sweep and its analysis.

pub mod plots;
