//! adreport: turn LLM serving benchmark results into answers.
//!
//! The flow is ingest -> analyze -> render; each stage knows only the one before it.

pub mod analyze;
pub mod audit;
pub mod ci;
pub mod cli;
pub mod dataset;
pub mod error;
pub mod history;
pub mod ingest;
pub mod model;
pub mod parallel;
pub mod plan;
pub mod render;
pub mod report;
pub mod run;
pub mod stats;
pub mod store;
pub mod write;
