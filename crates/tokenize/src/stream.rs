//! Token id streams on disk: `<split>.u32`, little-endian `u32` ids, no header, so that numpy
//! (`np.fromfile(path, "<u4")`) and memory maps can read them directly.

use crate::error::TokenizeError;
use std::path::Path;

/// The ids as little-endian bytes.
pub fn u32_stream_bytes(ids: &[u32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ids.len() * 4);
    for id in ids {
        bytes.extend_from_slice(&id.to_le_bytes());
    }
    bytes
}

/// Writes `ids` to `path` as little-endian `u32`.
pub fn write_u32_stream(path: &Path, ids: &[u32]) -> Result<(), TokenizeError> {
    std::fs::write(path, u32_stream_bytes(ids)).map_err(|e| TokenizeError::io(path, e))
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
