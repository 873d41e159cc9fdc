//! Render: turn a Sweep and its Findings into tables, files and plots.

pub mod format;
pub mod html;
pub mod point_table;
pub mod show;
