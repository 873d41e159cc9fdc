//! Writing files so that a crash, a full disk or a Ctrl-C never leaves half of one behind.

use std::fs;
use std::path::Path;

use crate::util::error::Error;

/// Writes through a temporary file and a rename, so a crash never leaves half a file.
/// A failed write (disk full) removes its partial temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp~");
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
