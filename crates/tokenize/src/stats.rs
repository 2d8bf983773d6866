//! `stats.json`: what the stage produced, per split and overall.

use serde::{Deserialize, Serialize};

/// Figures for one split (or for all of them together).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct SplitStats {
    /// Documents that contributed at least one paragraph.
    pub documents: usize,
    pub paragraphs: usize,
    /// Ids in the stream, `<eos>` included.
    pub tokens: u64,
    /// Unicode scalars of the split's text plus one `'\n'` per paragraph: training divides its
    /// total loss in nats by this to report bits per character.
    pub characters: u64,
    /// `<unk>` ids in the stream.
    pub unk: u64,
    /// Share of the text tokens (`<eos>` not counted) that are `<unk>`; 0 when there are none.
    pub unk_rate: f64,
}

impl SplitStats {
    pub(crate) fn finish(&mut self) {
        let text_tokens = self.tokens - self.paragraphs as u64;
        self.unk_rate = if text_tokens == 0 {
            0.0
        } else {
            self.unk as f64 / text_tokens as f64
        };
    }

    pub(crate) fn add(&mut self, other: &SplitStats) {
        self.paragraphs += other.paragraphs;
        self.tokens += other.tokens;
        self.characters += other.characters;
        self.unk += other.unk;
    }
}

/// The three splits.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Splits {
    pub train: SplitStats,
    pub valid: SplitStats,
    pub test: SplitStats,
}

/// Contents of `stats.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Stats {
    pub format_version: u32,
    /// Documents read from the clean artifact.
    pub documents: usize,
    /// Vocabulary size, specials included.
    pub vocab_size: usize,
    /// Distinct tokens seen in the train split.
    pub types_in_train: usize,
    /// Of those, how many are in the vocabulary (the rest fell under `--min-freq` or beyond
    /// `--max-vocab`).
    pub types_kept: usize,
    pub splits: Splits,
    /// All splits together (`documents` is the number of documents read).
    pub overall: SplitStats,
}

/// One figure per split.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq)]
pub struct PerSplit<T> {
    pub train: T,
    pub valid: T,
    pub test: T,
}

/// The manifest's `metrics`: the figures of [`Stats`] that matter at a glance.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TokenizeSummary {
    /// Vocabulary size, specials included.
    pub vocab_size: usize,
    /// Ids per split stream, `<eos>` included.
    pub tokens: PerSplit<u64>,
    /// Characters per split (see [`SplitStats::characters`]).
    pub chars: PerSplit<u64>,
    /// `<unk>` rate over all splits.
    pub unk_rate: f64,
    pub unk_rate_per_split: PerSplit<f64>,
}

impl TokenizeSummary {
    pub fn of(stats: &Stats) -> TokenizeSummary {
        let s = &stats.splits;
        let per_split = |f: fn(&SplitStats) -> u64| PerSplit {
            train: f(&s.train),
            valid: f(&s.valid),
            test: f(&s.test),
        };
        TokenizeSummary {
            vocab_size: stats.vocab_size,
            tokens: per_split(|s| s.tokens),
            chars: per_split(|s| s.characters),
            unk_rate: stats.overall.unk_rate,
            unk_rate_per_split: PerSplit {
                train: s.train.unk_rate,
                valid: s.valid.unk_rate,
                test: s.test.unk_rate,
            },
        }
    }
}
