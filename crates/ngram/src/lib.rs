//! An interpolated modified Kneser-Ney n-gram language model over token ids (Chen & Goodman
//! 1998, "An Empirical Study of Smoothing Techniques for Language Modeling").
//! The train stage fits it on the train split as a baseline for the LSTM, and evaluation and
//! generation mix the two: `p = λ·p_lstm + (1−λ)·p_ngram`.
//!
//! Decisions worth knowing:
//! - **One long stream.** [`NgramModel::fit`] reads the split as the LSTM sees it: one sequence
//!   in which `<eos>` (id 1) ends every paragraph, so n-grams run across paragraph ends and the
//!   first token of a paragraph is predicted from the end of the previous one. `<unk>` (id 0)
//!   is an ordinary token. There are no sentence-start pads: the first token of the stream is
//!   predicted from an empty context, and for continuation counts the start of the stream
//!   counts as one more distinct left neighbour ([`count`]).
//! - **Smoothing.** The highest order uses raw counts, every lower order the Kneser-Ney
//!   continuation counts (how many distinct tokens precede the n-gram). Each order has its own
//!   three discounts D1, D2, D3+ estimated from its count-of-counts ([`discount`]), and every
//!   order interpolates with the next lower one, down to the uniform distribution over the
//!   vocabulary, so every id in the vocabulary has a non-zero probability.
//! - **Storage: a trie in sorted arrays, not hash maps.** Level n holds every distinct n-gram
//!   of the stream, ordered by its (n−1)-gram prefix and then its last id, so the followers of
//!   a context are one contiguous run of the next level ([`trie`]). A node costs 24 bytes below
//!   the top order and 8 at the top, lookups are exact (no hash collisions) by binary search
//!   within a run, and [`NgramModel::distribution`] walks the followers of each context in
//!   O(V + matching n-grams). The counts come from one parallel sort of the stream positions
//!   by the `order` ids that start there, whose groups are the trie's nodes at every level.
//! - **Size and speed** (`benches/ngram.rs`, 2 cores): on the Song ci at character level
//!   (1.47 M train tokens, 5,856 ids) an order-5 model fits in about 0.4 s, holds 85 MB
//!   (1.4 M 5-grams), and scores the 85 k valid tokens in about 30 ms (7.33 bits per token).
//! - **Scoring a split** ([`NgramModel::mean_nll`], [`NgramModel::token_log_probs`]) runs in
//!   parallel over fixed chunks and adds their sums in order, so the figure does not depend on
//!   the number of threads.
//! - **Persistence** ([`persist`]): an 8-byte magic and a format version, then the model in
//!   bincode; a wrong magic or version, a truncated file or an inconsistent model is an error
//!   naming the file.

pub mod count;
pub mod discount;
pub mod error;
pub mod mixture;
pub mod model;
pub mod params;
pub mod persist;
pub mod query;
pub mod score;
pub mod trie;

pub use discount::Discounts;
pub use error::NgramError;
pub use mixture::mix_log_probs;
pub use model::NgramModel;
pub use params::{DEFAULT_ORDER, MAX_ORDER, MIN_ORDER, NgramParams};
pub use persist::{FILE_NAME, FORMAT_VERSION};
