//! adreport: turn LLM serving benchmark results into answers.
//!
//! The stages (model <- ingest <- analyze <- render, and store) sit below the jobs
//! (`commands/`, one file per subcommand); `cli` turns the flags into each job's options.

pub mod analyze;
pub mod cli;
pub mod commands;
pub mod ingest;
pub mod model;
pub mod render;
pub mod store;
pub mod util;
