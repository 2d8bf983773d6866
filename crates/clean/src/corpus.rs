//! The input corpus: every file under the input directory, the `.txt` files to clean (sorted by
//! relative path) and the others to list as skipped, plus the corpus's content id. Only regular
//! files are read, directly or through a symbolic link: a FIFO would block the stage forever and
//! a link to `/dev/zero` would fill the memory, so those, sockets and devices are listed as
//! skipped with what they are.

use crate::error::CleanError;
use crate::rules::sha256_hex;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// A `.txt` file of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// `/`-separated path relative to the input directory.
    pub rel: String,
    pub path: PathBuf,
    /// Where its clean text goes inside the artifact: `docs/<rel with a .txt extension>`.
    pub output: String,
}

/// A file that is not cleaned, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// The files of a corpus directory.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub sources: Vec<SourceFile>,
    /// Files that are not `.txt` or not regular files, sorted by path.
    pub others: Vec<SkippedFile>,
}

/// Lists the corpus under `input`; fails when it is missing, not a directory or has no `.txt`.
pub fn scan(input: &Path) -> Result<Corpus, CleanError> {
    if !input.exists() {
        return Err(CleanError::MissingInput {
            path: input.to_path_buf(),
        });
    }
    if !input.is_dir() {
        return Err(CleanError::NotADirectory {
            path: input.to_path_buf(),
        });
    }
    let mut corpus = Corpus::default();
    walk(input, input, &mut corpus)?;
    corpus.sources.sort_by(|a, b| a.rel.cmp(&b.rel));
    corpus.others.sort_by(|a, b| a.path.cmp(&b.path));
    if corpus.sources.is_empty() {
        return Err(CleanError::NoTextFiles {
            path: input.to_path_buf(),
        });
    }
    let mut outputs: BTreeMap<&str, &str> = BTreeMap::new();
    for source in &corpus.sources {
        if let Some(first) = outputs.insert(&source.output, &source.rel) {
            return Err(CleanError::OutputClash {
                first: first.to_owned(),
                second: source.rel.clone(),
                output: source.output["docs/".len()..].to_owned(),
            });
        }
    }
    Ok(corpus)
}

/// The orchestrator's per-corpus parameter file (`cargo xtask pipeline`), not corpus text.
const PIPELINE_FILE: &str = "pipeline.toml";

fn walk(base: &Path, dir: &Path, corpus: &mut Corpus) -> Result<(), CleanError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CleanError::Read { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let entry = entry.map_err(read_err(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(read_err(&path))?;
        let rel = relative(base, &path);
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || (dir == base && name == PIPELINE_FILE) {
            // Hidden files (such as fetch-data's stamp) and the orchestrator's parameter file
            // are not part of the text.
            continue;
        }
        if kind.is_dir() {
            walk(base, &path, corpus)?;
            continue;
        }
        let skip = |reason: String| SkippedFile {
            path: rel.clone(),
            reason,
        };
        let regular = if kind.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(target) if target.is_dir() => {
                    corpus
                        .others
                        .push(skip("symbolic link to a directory (not followed)".into()));
                    continue;
                }
                Ok(target) if !target.is_file() => {
                    corpus.others.push(skip(format!(
                        "symbolic link to {}: only regular files are read",
                        special_kind(target.file_type())
                    )));
                    continue;
                }
                // A link to a regular file is read; a dangling one fails when it is read, naming
                // it (its target may be on a disk that is not mounted).
                _ => true,
            }
        } else {
            kind.is_file()
        };
        if !regular {
            corpus.others.push(skip(format!(
                "{}: only regular files are read",
                special_kind(kind)
            )));
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
        {
            let stem = &rel[..rel.len() - 3];
            corpus.sources.push(SourceFile {
                output: format!("docs/{stem}txt"),
                rel,
                path,
            });
        } else {
            corpus.others.push(skip("not a .txt file".into()));
        }
    }
    Ok(())
}

/// What a file that is neither a regular file nor a directory is, with its article.
fn special_kind(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

fn relative(base: &Path, path: &Path) -> String {
    let rel = path
        .strip_prefix(base)
        .expect("walked paths lie under the base");
    let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
    parts.join("/")
}

/// The corpus's content id: the first 16 hex digits of the SHA-256 over the sorted
/// `(relative path, file SHA-256)` pairs of the `.txt` files (`path\0sha\n` each), followed by
/// `path\0skipped\n` for each other file, since the report lists those. Reads every `.txt` file
/// once, in parallel; an unreadable file is an error.
pub fn content_id(corpus: &Corpus) -> Result<String, CleanError> {
    let hashes: Vec<String> = corpus
        .sources
        .par_iter()
        .map(|s| {
            std::fs::read(&s.path)
                .map(|bytes| sha256_hex(&bytes))
                .map_err(|source| CleanError::Read {
                    path: s.path.clone(),
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let mut key = String::new();
    for (source, hash) in corpus.sources.iter().zip(hashes) {
        key.push_str(&format!("{}\0{hash}\n", source.rel));
    }
    for other in &corpus.others {
        key.push_str(&format!("{}\0skipped\n", other.path));
    }
    Ok(sha256_hex(key.as_bytes())[..16].to_owned())
}
