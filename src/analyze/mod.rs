//! Analyze: SLA verdicts, goodput, capacity, Pareto frontiers and comparisons from a Sweep.

pub mod align;
pub mod audit;
pub mod capacity;
pub mod changepoint;
pub mod compare;
pub mod evidence;
pub mod family;
pub mod findings;
pub mod gate;
pub mod goodput;
pub mod noise;
pub mod pareto;
pub mod plan;
pub mod search;
pub mod searched;
pub mod significance;
pub mod sla;
pub mod trend;
