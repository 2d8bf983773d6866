//! User dictionaries in jieba's format: one `word [freq] [tag]` per line, blank lines skipped.
//!
//! A word without a frequency gets jieba's suggested frequency (the one that keeps it whole),
//! as Python `jieba.load_userdict` does; jieba-rs' own `load_dict` would give it 0 instead,
//! so the file is parsed here and each entry added with `Jieba::add_word`.

use crate::error::TokenizeError;
use sha2::{Digest, Sha256};
use std::path::Path;

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWord {
    pub word: String,
    pub freq: Option<usize>,
    pub tag: Option<String>,
}

/// A parsed user dictionary with the bytes it came from.
#[derive(Debug, Clone)]
pub struct UserDict {
    pub words: Vec<UserWord>,
    /// The file exactly as read (copied into the artifact as `user_dict.txt`).
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

impl UserDict {
    /// Reads and parses `path`; a malformed line is an error naming the file and the line.
    pub fn read(path: &Path) -> Result<Self, TokenizeError> {
        let bytes = std::fs::read(path).map_err(|e| TokenizeError::io(path, e))?;
        Self::parse(path, bytes)
    }

    /// Parses dictionary `bytes`; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self, TokenizeError> {
        let err = |line: usize, message: String| TokenizeError::UserDict {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut words = Vec::new();
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            let line = std::str::from_utf8(raw).map_err(|e| {
                err(
                    line_no,
                    format!(
                        "not valid UTF-8 at byte {} of the line; save the dictionary as UTF-8",
                        e.valid_up_to()
                    ),
                )
            })?;
            let line = if i == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let is_tag = |f: &str| f.chars().all(|c| c.is_ascii_alphabetic());
            let entry = match fields.as_slice() {
                [] => continue,
                [word] => (word, None, None),
                [word, second] => match second.parse::<usize>() {
                    Ok(freq) => (word, Some(freq), None),
                    Err(_) if is_tag(second) => (word, None, Some(*second)),
                    Err(_) => {
                        return Err(err(
                            line_no,
                            format!(
                                "`{second}` is neither a frequency (a whole number) nor a part-of-speech tag (letters); expected `word [freq] [tag]`"
                            ),
                        ));
                    }
                },
                [word, freq, tag] => {
                    let freq = freq.parse::<usize>().map_err(|_| {
                        err(
                            line_no,
                            format!(
                                "frequency `{freq}` is not a whole number; expected `word [freq] [tag]`"
                            ),
                        )
                    })?;
                    if !is_tag(tag) {
                        return Err(err(
                            line_no,
                            format!(
                                "tag `{tag}` is not a part-of-speech tag (letters); expected `word [freq] [tag]`"
                            ),
                        ));
                    }
                    (word, Some(freq), Some(*tag))
                }
                more => {
                    return Err(err(
                        line_no,
                        format!(
                            "{} fields, expected `word [freq] [tag]` (a word cannot contain spaces)",
                            more.len()
                        ),
                    ));
                }
            };
            words.push(UserWord {
                word: (*entry.0).to_owned(),
                freq: entry.1,
                tag: entry.2.map(str::to_owned),
            });
        }
        let sha256 = hex(&Sha256::digest(&bytes));
        Ok(UserDict {
            words,
            bytes,
            sha256,
        })
    }

    /// Adds every entry to `jieba`, in file order.
    pub fn apply(&self, jieba: &mut jieba_rs::Jieba) {
        for w in &self.words {
            jieba.add_word(&w.word, w.freq, w.tag.as_deref());
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
