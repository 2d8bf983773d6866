//! How the vocabulary of a fine-tune relates to that of the model it starts from
//! (`--init-from`): which tokens keep their learned rows, which are new and which are dropped.
//! Tokens are matched by their text, so a token keeps its rows whatever its id in either
//! vocabulary. Built without libtorch: the counts are part of the train summary.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The artifact file that records what `--init-from` carried over ([`InitRecord`]).
pub const INIT_FILE: &str = "init.json";

/// Tokens listed by name in `init.json` at most, for each of added and dropped.
pub const LISTED_TOKENS: usize = 200;

/// The new vocabulary's ids mapped to the old one's.
#[derive(Debug, Clone, PartialEq)]
pub struct VocabMap {
    /// For each new id, the old id of the same token.
    pub old_of_new: Vec<Option<u32>>,
    /// Old ids whose token the new vocabulary lacks.
    pub dropped: Vec<u32>,
}

impl VocabMap {
    /// Maps `new` tokens (in id order) to `old` tokens (in id order).
    pub fn new<'a>(
        old: impl IntoIterator<Item = &'a str>,
        new: impl IntoIterator<Item = &'a str>,
    ) -> VocabMap {
        let old_ids: HashMap<&str, u32> = old
            .into_iter()
            .enumerate()
            .map(|(id, t)| (t, id as u32))
            .collect();
        let old_of_new: Vec<Option<u32>> =
            new.into_iter().map(|t| old_ids.get(t).copied()).collect();
        let mut kept = vec![false; old_ids.len()];
        for &old in old_of_new.iter().flatten() {
            kept[old as usize] = true;
        }
        let dropped = (0..old_ids.len() as u32)
            .filter(|&id| !kept[id as usize])
            .collect();
        VocabMap {
            old_of_new,
            dropped,
        }
    }

    pub fn kept(&self) -> usize {
        self.old_of_new.iter().flatten().count()
    }

    /// New ids without a row in the old model.
    pub fn added(&self) -> Vec<u32> {
        (0..self.old_of_new.len() as u32)
            .filter(|&id| self.old_of_new[id as usize].is_none())
            .collect()
    }

    /// Whether both vocabularies hold the same tokens with the same ids.
    pub fn is_identity(&self) -> bool {
        self.dropped.is_empty()
            && self
                .old_of_new
                .iter()
                .enumerate()
                .all(|(new, old)| *old == Some(new as u32))
    }
}

/// What `--init-from` started from: the manifest's `init` and, with the tokens listed, the
/// artifact's `init.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct InitSummary {
    /// The id of the train artifact the weights came from.
    pub from: String,
    /// Tokens of both vocabularies: their rows were carried over.
    pub kept: usize,
    /// Tokens new to this vocabulary: their rows start from the mean of the carried rows.
    pub added: usize,
    /// Tokens of the old vocabulary this one lacks: their rows were left behind.
    pub dropped: usize,
    /// Whether the embedding was kept fixed while fine-tuning.
    pub frozen_embedding: bool,
}

/// The artifact's `init.json`: the summary and the first [`LISTED_TOKENS`] added and dropped
/// tokens.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct InitRecord {
    #[serde(flatten)]
    pub summary: InitSummary,
    pub added_tokens: Vec<String>,
    pub dropped_tokens: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_by_text_whatever_their_ids() {
        let map = VocabMap::new(
            ["<unk>", "<eos>", "月", "花", "酒"],
            ["<unk>", "<eos>", "花", "雪", "月"],
        );
        assert_eq!(map.old_of_new, [Some(0), Some(1), Some(3), None, Some(2)]);
        assert_eq!(map.kept(), 4);
        assert_eq!(map.added(), [3]);
        assert_eq!(map.dropped, [4]);
        assert!(!map.is_identity());
        assert!(VocabMap::new(["<unk>", "a"], ["<unk>", "a"]).is_identity());
    }
}
