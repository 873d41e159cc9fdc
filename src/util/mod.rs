//! Below every stage: errors that name the file and the field, spreading work over the cores,
//! and atomic file writing.

pub mod error;
pub mod parallel;
pub mod write;
