//! The `tokenize` stage: a clean artifact in, a vocabulary and little-endian `u32` id streams
//! per split out; plus the [`Tokenizer`]/[`Vocab`] readers that `train` and `generate` use.
//!
//! Decisions worth knowing:
//! - **Levels**: `word` is jieba-rs with HMM on, `Jieba::cut(text, true)`, the same cut as
//!   Python `jieba.lcut`; `char` is one token per Unicode scalar value. Tokens are slices of the
//!   paragraph that cover it exactly, so decoding is plain concatenation.
//! - **Vocabulary counts come from the train split only.** Counting the whole corpus would let
//!   words that occur only in valid/test into the vocabulary and make the held-out `<unk>` rate
//!   and perplexity look better than they would be on unseen text. So a token seen only in
//!   valid or test is `<unk>` there, and the valid/test `<unk>` rates in `stats.json` are the
//!   honest out-of-vocabulary rates.
//! - **Ids**: `<unk>` = 0, `<eos>` = 1 (end of paragraph), then tokens by train count
//!   descending, ties broken by the token string ([`vocab`]).
//! - **Splits**: contiguous train → valid → test blocks per document, sized by cumulative
//!   rounding over the corpus ([`split`]).
//! - **Params**: the artifact's params are [`TokenizerParams`], which records the user
//!   dictionary by SHA-256 (not by path) and the segmenter version.
//!
//! - **Titles** (`--titles`): a titled corpus has one poem per paragraph, `TITLE：BODY`. The
//!   text is tokenized unchanged (the title conditions what follows it), and the forms mined
//!   from it go to `forms.json` ([`forms`]); without the flag nothing differs from the builds
//!   before it, artifact ids included.
//!
//! Artifact files: `vocab.json`, `train.u32`, `valid.u32`, `test.u32`, `stats.json`,
//! `user_dict.txt` when a user dictionary was given, and `forms.json` with `--titles`.

pub mod config;
pub mod corpus;
pub mod encode_corpus;
pub mod error;
#[cfg(feature = "fixtures")]
pub mod fixture;
pub mod forms;
pub mod segment;
pub mod split;
pub mod stage;
pub mod stats;
pub mod stream;
pub mod tokenizer;
pub mod user_dict;
pub mod vocab;

pub use config::{Level, Split, TokenizeConfig, TokenizerParams, UserDictRef};
pub use error::TokenizeError;
pub use forms::{FORMS_FILE, Forms, FormsFile, read_forms};
pub use stage::{TokenizeOutcome, read_stats, run};
pub use stats::{PerSplit, SplitStats, Stats, TokenizeSummary};
pub use stream::{read_u32_stream, write_u32_stream};
pub use tokenizer::Tokenizer;
pub use vocab::{EOS, EOS_ID, UNK, UNK_ID, Vocab, read_vocab_json};

/// Stage name in artifact paths and manifests.
pub const STAGE: &str = "tokenize";
/// Version of this stage's output format (vocab.json, streams, stats.json).
pub const FORMAT_VERSION: u32 = 1;
/// The vocabulary file inside a tokenize artifact.
pub const VOCAB_FILE: &str = "vocab.json";
/// The statistics file inside a tokenize artifact.
pub const STATS_FILE: &str = "stats.json";
/// The copy of the user dictionary inside a tokenize artifact.
pub const USER_DICT_FILE: &str = "user_dict.txt";
