//! Analyze: SLA verdicts, goodput, Pareto frontiers and comparisons from a Sweep.

pub mod pareto;
pub mod sla;
