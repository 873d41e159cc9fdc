//! AIConfigurator save directories (placeholder until the reader lands).
use std::path::Path;

use super::ReadCtx;
use crate::error::ReadError;
use crate::model::Point;

pub fn sniff_dir(_dir: &Path) -> bool {
    false
}

pub fn read_dir(dir: &Path, _ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    Err(ReadError::file(dir, "AIConfigurator reader not built yet"))
}
