//! Analyze: SLA verdicts, goodput, Pareto frontiers and comparisons from a Sweep.

pub mod significance;
pub mod sla;
