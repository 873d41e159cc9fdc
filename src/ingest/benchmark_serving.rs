//! benchmark_serving result files (placeholder until the reader lands).
use std::path::Path;

use super::ReadCtx;
use crate::error::ReadError;
use crate::model::Point;

pub fn sniff(_path: &Path, _head: &str) -> bool {
    false
}

pub fn read(path: &Path, _ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    Err(ReadError::file(
        path,
        "benchmark_serving reader not built yet",
    ))
}
