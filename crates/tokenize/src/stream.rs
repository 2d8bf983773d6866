//! Token id streams on disk: `<split>.u32`, little-endian `u32` ids, no header, so that numpy
//! (`np.fromfile(path, "<u4")`) and memory maps can read them directly.

use crate::error::TokenizeError;
use std::io::Write;
use std::path::Path;

/// Writes `ids` to `path` as little-endian `u32`, through a buffer rather than a byte copy of
/// the whole stream (it is the largest thing the stage holds).
pub fn write_u32_stream(path: &Path, ids: &[u32]) -> Result<(), TokenizeError> {
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for id in ids {
            out.write_all(&id.to_le_bytes())?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    };
    write().map_err(|e| TokenizeError::io(path, e))
}

/// Reads a little-endian `u32` stream; fails, naming the file, when its length is not a
/// multiple of 4.
pub fn read_u32_stream(path: &Path) -> Result<Vec<u32>, TokenizeError> {
    let bytes = std::fs::read(path).map_err(|e| TokenizeError::io(path, e))?;
    if bytes.len() % 4 != 0 {
        return Err(TokenizeError::StreamLength {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
        });
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}
