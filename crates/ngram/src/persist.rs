//! Saving and loading a model, so that the train stage can keep it in its artifact.
//!
//! File layout: the 8-byte magic `jhngram\0`, [`FORMAT_VERSION`] as a little-endian `u32`,
//! then the model (order, vocabulary size, discounts, root statistics, levels) in bincode's
//! standard configuration. Loading fails, naming the file, on a wrong magic or version, a
//! truncated file, trailing bytes, or a model that does not pass the consistency check that
//! queries rely on.

use crate::discount::Discounts;
use crate::error::NgramError;
use crate::model::NgramModel;
use crate::trie::{FollowerStats, Level};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Version of the file format; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;
/// The name a saved model has inside an artifact (the train stage writes it, generation reads
/// it).
pub const FILE_NAME: &str = "ngram.bin";

/// The first bytes of every model file.
const MAGIC: [u8; 8] = *b"jhngram\0";
const HEADER_LEN: usize = MAGIC.len() + 4;

#[derive(Serialize)]
struct PayloadRef<'a> {
    order: usize,
    vocab_size: usize,
    discounts: &'a [Discounts],
    root: &'a FollowerStats,
    levels: &'a [Level],
}

#[derive(Deserialize)]
struct Payload {
    order: usize,
    vocab_size: usize,
    discounts: Vec<Discounts>,
    root: FollowerStats,
    levels: Vec<Level>,
}

impl NgramModel {
    /// Writes the model to `path` (created or truncated) and syncs it to disk.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), NgramError> {
        let path = path.as_ref();
        let payload = PayloadRef {
            order: self.order,
            vocab_size: self.vocab_size,
            discounts: &self.discounts,
            root: &self.root,
            levels: &self.levels,
        };
        let file = std::fs::File::create(path).map_err(|e| NgramError::io(path, e))?;
        let mut out = std::io::BufWriter::new(file);
        out.write_all(&MAGIC)
            .and_then(|()| out.write_all(&FORMAT_VERSION.to_le_bytes()))
            .map_err(|e| NgramError::io(path, e))?;
        bincode::serde::encode_into_std_write(&payload, &mut out, bincode::config::standard())
            .map_err(|e| match e {
                bincode::error::EncodeError::Io { inner, .. } => NgramError::io(path, inner),
                other => NgramError::bad_file(path, format!("cannot encode the model: {other}")),
            })?;
        let file = out
            .into_inner()
            .map_err(|e| NgramError::io(path, e.into_error()))?;
        file.sync_all().map_err(|e| NgramError::io(path, e))
    }

    /// Reads a model written by [`save`](Self::save).
    pub fn load(path: impl AsRef<Path>) -> Result<NgramModel, NgramError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| NgramError::io(path, e))?;
        if bytes.len() < HEADER_LEN {
            return Err(NgramError::bad_file(
                path,
                format!(
                    "{} bytes is too short for an n-gram model file (truncated?)",
                    bytes.len()
                ),
            ));
        }
        if bytes[..MAGIC.len()] != MAGIC {
            return Err(NgramError::bad_file(path, "not an n-gram model file"));
        }
        let version = u32::from_le_bytes(
            bytes[MAGIC.len()..HEADER_LEN]
                .try_into()
                .expect("the header has four version bytes"),
        );
        if version != FORMAT_VERSION {
            return Err(NgramError::Version {
                path: path.to_path_buf(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let body = &bytes[HEADER_LEN..];
        let (payload, used): (Payload, usize) =
            bincode::serde::decode_from_slice(body, bincode::config::standard()).map_err(|e| {
                NgramError::bad_file(path, format!("truncated or corrupt n-gram model: {e}"))
            })?;
        if used != body.len() {
            return Err(NgramError::bad_file(
                path,
                format!(
                    "{} bytes after the end of the n-gram model",
                    body.len() - used
                ),
            ));
        }
        NgramModel::check(
            payload.order,
            payload.vocab_size,
            &payload.discounts,
            &payload.root,
            &payload.levels,
        )
        .map_err(|message| {
            NgramError::bad_file(path, format!("inconsistent n-gram model: {message}"))
        })?;
        Ok(NgramModel::assemble(
            payload.order,
            payload.vocab_size,
            payload.discounts,
            payload.root,
            payload.levels,
        ))
    }
}
