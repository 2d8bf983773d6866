//! The reader that later stages use: a [`Tokenizer`] loaded from a tokenize artifact segments
//! text exactly as the stage did (same level, same jieba dictionary plus the artifact's
//! `user_dict.txt`) and maps tokens to the artifact's ids and back.

use crate::config::{Level, SEGMENTER, TokenizerParams};
use crate::error::TokenizeError;
use crate::segment::Segmenter;
use crate::user_dict::UserDict;
use crate::vocab::{EOS_ID, Vocab, read_vocab_json};
use crate::{FORMAT_VERSION, STAGE, VOCAB_FILE};
use artifact::Artifact;
use rayon::prelude::*;
use std::path::Path;

/// Segmentation plus vocabulary. Building one loads jieba's dictionary (at word level), so
/// build it once and reuse it; it is `Sync` and can be shared across threads.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    segmenter: Segmenter,
    vocab: Vocab,
    params: TokenizerParams,
}

impl Tokenizer {
    /// Loads the tokenizer of a complete tokenize artifact.
    pub fn load(artifact: &Artifact) -> Result<Tokenizer, TokenizeError> {
        let vocab_path = artifact.path(VOCAB_FILE);
        let (vocab, params) = read_vocab_json(&vocab_path)?;
        let bad = |message: String| TokenizeError::BadVocab {
            path: vocab_path.clone(),
            message,
        };
        if params.level == Level::Word && params.segmenter.as_deref() != Some(SEGMENTER) {
            return Err(bad(format!(
                "segmented with `{}`, this build segments with `{SEGMENTER}`; rerun `tokenize`",
                params.segmenter.as_deref().unwrap_or("unknown")
            )));
        }
        let user_dict = match &params.user_dict {
            None => None,
            Some(r) => {
                let path = artifact.path(&r.file);
                let dict = UserDict::read(&path)?;
                if dict.sha256 != r.sha256 {
                    return Err(bad(format!(
                        "user dictionary {} has SHA-256 {}, vocab.json says {}; the artifact was modified, rerun `tokenize`",
                        path.display(),
                        dict.sha256,
                        r.sha256
                    )));
                }
                Some(dict)
            }
        };
        let segmenter = Segmenter::new(params.level, user_dict.as_ref());
        Ok(Tokenizer {
            segmenter,
            vocab,
            params,
        })
    }

    /// Opens the tokenize artifact at `dir` (checking stage and format version) and loads it.
    pub fn open(dir: &Path) -> Result<Tokenizer, TokenizeError> {
        Tokenizer::load(&Artifact::open(dir, STAGE, FORMAT_VERSION)?)
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The configuration the artifact was built with.
    pub fn params(&self) -> &TokenizerParams {
        &self.params
    }

    pub fn level(&self) -> Level {
        self.params.level
    }

    /// The tokens of one paragraph (no `<eos>`), as the stage cut them.
    pub fn segment<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.segmenter.cut(text)
    }

    /// Encodes `text`: every line is a paragraph, its tokens followed by `<eos>`; a last line
    /// without a newline gets no `<eos>` (so a prompt can be continued). Tokens outside the
    /// vocabulary become `<unk>`. Lines are segmented in parallel; ids come out in order.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let encode_line = |line: &&str| {
            let (body, eos) = match line.strip_suffix('\n') {
                Some(body) => (body, true),
                None => (*line, false),
            };
            let mut ids: Vec<u32> = self
                .segmenter
                .cut(body)
                .into_iter()
                .map(|t| self.vocab.id_or_unk(t))
                .collect();
            if eos {
                ids.push(EOS_ID);
            }
            ids
        };
        if lines.len() < 2 {
            return lines.iter().flat_map(encode_line).collect();
        }
        let parts: Vec<Vec<u32>> = lines.par_iter().map(encode_line).collect();
        parts.concat()
    }

    /// Decodes ids to text: tokens joined with no separator, `<eos>` as `"\n"`, `<unk>` as the
    /// literal `<unk>`.
    ///
    /// # Panics
    /// On an id outside the vocabulary (a model whose output size is not `vocab().len()`).
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        for &id in ids {
            if id == EOS_ID {
                text.push('\n');
            } else {
                text.push_str(self.vocab.token(id));
            }
        }
        text
    }
}
