//! The vocabulary: ids for tokens, built from train-split counts, and its `vocab.json` file.
//!
//! Ids: `<unk>` is 0, `<eos>` (end of paragraph) is 1, then every token kept, sorted by count
//! descending with ties broken by the token string (byte order, i.e. code point order), so the
//! same counts always give the same ids. A token is kept when its count reaches `--min-freq`
//! and it fits under `--max-vocab` (which counts the two specials).

use crate::FORMAT_VERSION;
use crate::config::TokenizerParams;
use crate::error::TokenizeError;
use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::OnceLock;

/// The unknown-token special: every token outside the vocabulary maps to it.
pub const UNK: &str = "<unk>";
/// The end-of-paragraph special; decodes to `"\n"`.
pub const EOS: &str = "<eos>";
/// Id of [`UNK`].
pub const UNK_ID: u32 = 0;
/// Id of [`EOS`].
pub const EOS_ID: u32 = 1;

/// Token ↔ id mapping with the train-split count of every token.
#[derive(Debug, Clone)]
pub struct Vocab {
    tokens: Vec<String>,
    counts: Vec<u64>,
    /// Token → id, built on the first lookup: the tokenize stage itself never looks a token
    /// up, and on a word vocabulary building the map is its longest serial step.
    index: OnceLock<FxHashMap<String, u32>>,
}

impl PartialEq for Vocab {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens && self.counts == other.counts
    }
}

impl Vocab {
    /// Builds the vocabulary from token counts (any order; each token at most once; the specials'
    /// own strings and tokens counted 0 times are ignored). The specials start with count 0:
    /// set theirs with [`Vocab::set_special_counts`] once known.
    pub fn build<'a>(
        counts: impl IntoIterator<Item = (&'a str, u64)>,
        min_freq: u64,
        max_vocab: Option<usize>,
    ) -> Vocab {
        let counts: Vec<(&str, u64)> = counts.into_iter().collect();
        Vocab::build_with_ids(&counts, min_freq, max_vocab).0
    }

    /// [`Vocab::build`], also returning the id of every input token (`ids[i]` for
    /// `counts[i]`; [`UNK_ID`] for those not kept), so that callers holding the tokens by
    /// position need not look each one up again.
    pub fn build_with_ids(
        counts: &[(&str, u64)],
        min_freq: u64,
        max_vocab: Option<usize>,
    ) -> (Vocab, Vec<u32>) {
        let mut kept: Vec<u32> = (0..counts.len() as u32)
            .filter(|&i| {
                let (t, c) = counts[i as usize];
                c > 0 && c >= min_freq && t != UNK && t != EOS
            })
            .collect();
        // on every thread: nothing else is left to overlap it with at this point of the stage
        kept.par_sort_unstable_by(|&a, &b| {
            let ((ta, ca), (tb, cb)) = (counts[a as usize], counts[b as usize]);
            cb.cmp(&ca).then_with(|| ta.cmp(tb))
        });
        if let Some(max) = max_vocab {
            kept.truncate(max.saturating_sub(2));
        }
        let mut ids = vec![UNK_ID; counts.len()];
        let mut tokens = Vec::with_capacity(kept.len() + 2);
        tokens.extend([UNK.to_owned(), EOS.to_owned()]);
        let mut kept_counts = vec![0, 0];
        for &i in &kept {
            ids[i as usize] = tokens.len() as u32;
            let (token, count) = counts[i as usize];
            tokens.push(token.to_owned());
            kept_counts.push(count);
        }
        // unique by construction: the index can wait for a lookup
        let vocab = Vocab {
            tokens,
            counts: kept_counts,
            index: OnceLock::new(),
        };
        (vocab, ids)
    }

    /// Builds from `(token, count)` in id order; the first two must be the specials and no
    /// token may repeat.
    pub fn from_entries(entries: Vec<(String, u64)>) -> Result<Vocab, String> {
        if entries.len() < 2 || entries[0].0 != UNK || entries[1].0 != EOS {
            return Err(format!("the first two tokens must be `{UNK}` and `{EOS}`"));
        }
        let mut index = FxHashMap::with_capacity_and_hasher(entries.len(), Default::default());
        let mut tokens = Vec::with_capacity(entries.len());
        let mut counts = Vec::with_capacity(entries.len());
        for (id, (token, count)) in entries.into_iter().enumerate() {
            if index.insert(token.clone(), id as u32).is_some() {
                return Err(format!("token `{token}` appears twice"));
            }
            tokens.push(token);
            counts.push(count);
        }
        Ok(Vocab {
            tokens,
            counts,
            index: OnceLock::from(index),
        })
    }

    /// Records how often `<unk>` and `<eos>` occur in the train stream.
    pub fn set_special_counts(&mut self, unk: u64, eos: u64) {
        self.counts[UNK_ID as usize] = unk;
        self.counts[EOS_ID as usize] = eos;
    }

    /// Number of tokens, specials included (the model's input and output size).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: the specials are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The id of `token`, if it is in the vocabulary.
    pub fn id(&self, token: &str) -> Option<u32> {
        let index = self.index.get_or_init(|| {
            self.tokens
                .iter()
                .enumerate()
                .map(|(id, t)| (t.clone(), id as u32))
                .collect()
        });
        index.get(token).copied()
    }

    /// The id of `token`, or [`UNK_ID`].
    pub fn id_or_unk(&self, token: &str) -> u32 {
        self.id(token).unwrap_or(UNK_ID)
    }

    /// The token with id `id`.
    ///
    /// # Panics
    /// When `id >= self.len()`.
    pub fn token(&self, id: u32) -> &str {
        self.tokens.get(id as usize).unwrap_or_else(|| {
            panic!(
                "token id {id} is outside the vocabulary of {} tokens",
                self.len()
            )
        })
    }

    /// The train-split count of token `id` (for the specials: occurrences in the train stream).
    ///
    /// # Panics
    /// When `id >= self.len()`.
    pub fn count(&self, id: u32) -> u64 {
        self.counts[id as usize]
    }

    pub fn unk_id(&self) -> u32 {
        UNK_ID
    }

    pub fn eos_id(&self) -> u32 {
        EOS_ID
    }

    /// Tokens in id order.
    pub fn tokens(&self) -> impl ExactSizeIterator<Item = &str> {
        self.tokens.iter().map(String::as_str)
    }
}

/// Ids of the specials, as recorded in `vocab.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Specials {
    pub unk: u32,
    pub eos: u32,
}

/// One line of `vocab.json`'s token list.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Entry {
    id: u32,
    token: String,
    count: u64,
}

/// The header of `vocab.json` (everything but the token list).
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Header {
    format_version: u32,
    tokenizer: TokenizerParams,
    specials: Specials,
    size: usize,
}

#[derive(Deserialize)]
struct VocabFile {
    #[serde(flatten)]
    header: Header,
    tokens: Vec<Entry>,
}

/// `vocab.json` as text: a pretty header, then the tokens one per line in id order.
pub fn vocab_json(vocab: &Vocab, params: &TokenizerParams) -> String {
    let header = Header {
        format_version: FORMAT_VERSION,
        tokenizer: params.clone(),
        specials: Specials {
            unk: UNK_ID,
            eos: EOS_ID,
        },
        size: vocab.len(),
    };
    let mut text = serde_json::to_string_pretty(&header).expect("the header serialises");
    text.truncate(text.trim_end().len() - 1); // drop the closing brace
    text.push_str(",\n  \"tokens\": [\n");
    for (id, (token, &count)) in vocab.tokens.iter().zip(&vocab.counts).enumerate() {
        let entry = Entry {
            id: id as u32,
            token: token.clone(),
            count,
        };
        text.push_str("    ");
        text.push_str(&serde_json::to_string(&entry).expect("an entry serialises"));
        text.push_str(if id + 1 < vocab.len() { ",\n" } else { "\n" });
    }
    text.push_str("  ]\n}\n");
    text
}

/// Reads `vocab.json`: the vocabulary and the tokenizer configuration it was built with.
/// Fails on an unknown format version, ids out of order or misplaced specials.
pub fn read_vocab_json(path: &Path) -> Result<(Vocab, TokenizerParams), TokenizeError> {
    let bad = |message: String| TokenizeError::BadVocab {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| TokenizeError::io(path, e))?;
    let version: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("malformed JSON: {e}")))?;
    let found = version.get("format_version").and_then(|v| v.as_u64());
    if found != Some(u64::from(FORMAT_VERSION)) {
        return Err(bad(format!(
            "format version {}, this build reads version {FORMAT_VERSION}; rerun `tokenize` to rebuild it",
            found.map_or("missing".to_owned(), |v| v.to_string())
        )));
    }
    let file: VocabFile =
        serde_json::from_value(version).map_err(|e| bad(format!("malformed vocabulary: {e}")))?;
    if file.header.specials.unk != UNK_ID || file.header.specials.eos != EOS_ID {
        return Err(bad(format!(
            "specials must be <unk> = {UNK_ID} and <eos> = {EOS_ID}"
        )));
    }
    if file.header.size != file.tokens.len() {
        return Err(bad(format!(
            "size says {} tokens but the list holds {}",
            file.header.size,
            file.tokens.len()
        )));
    }
    let mut entries = Vec::with_capacity(file.tokens.len());
    for (i, e) in file.tokens.into_iter().enumerate() {
        if e.id as usize != i {
            return Err(bad(format!(
                "token `{}` has id {} at position {i}; tokens must be listed in id order",
                e.token, e.id
            )));
        }
        entries.push((e.token, e.count));
    }
    let vocab = Vocab::from_entries(entries).map_err(bad)?;
    Ok((vocab, file.header.tokenizer))
}
