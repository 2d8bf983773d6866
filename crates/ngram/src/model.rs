//! [`NgramModel`]: fitting from a token stream, the consistency check a loaded model must pass,
//! and what the model can say about itself (order, discounts, n-grams per order, size).

use crate::count::count_levels;
use crate::discount::{Discounts, count_of_counts};
use crate::error::NgramError;
use crate::params::NgramParams;
use crate::trie::{FollowerStats, Level};

/// Marks an id with no level-1 node in the dense id → node map.
pub(crate) const NO_NODE: u32 = u32::MAX;

/// The longest stream [`NgramModel::fit`] accepts (positions, counts and node indices are
/// `u32`).
pub const MAX_TOKENS: usize = u32::MAX as usize - 1;

/// An interpolated modified Kneser-Ney n-gram model over the ids `0..vocab_size`.
#[derive(Clone, Debug, PartialEq)]
pub struct NgramModel {
    pub(crate) order: usize,
    pub(crate) vocab_size: usize,
    /// The discounts of order n at index n − 1.
    pub(crate) discounts: Vec<Discounts>,
    /// The followers of the empty context: all of level 1.
    pub(crate) root: FollowerStats,
    /// The n-grams of order n at index n − 1.
    pub(crate) levels: Vec<Level>,
    /// Dense id → level-1 node ([`NO_NODE`] for an id the stream never has); derived from
    /// `levels[0]`, not stored.
    pub(crate) unigram_node: Vec<u32>,
}

impl NgramModel {
    /// Fits a model of the given order (1..=10) on `ids`, one stream over the vocabulary
    /// `0..vocab_size`.
    ///
    /// Fails for an order outside 1..=10, an empty stream, a stream of more than
    /// [`MAX_TOKENS`] ids, or an id not below `vocab_size` (naming its position).
    pub fn fit(ids: &[u32], vocab_size: usize, order: usize) -> Result<NgramModel, NgramError> {
        NgramParams { order }.validate()?;
        if ids.is_empty() {
            return Err(NgramError::EmptyStream);
        }
        if ids.len() > MAX_TOKENS {
            return Err(NgramError::StreamTooLong {
                len: ids.len(),
                max: MAX_TOKENS,
            });
        }
        if let Some(position) = ids.iter().position(|&id| id as usize >= vocab_size) {
            return Err(NgramError::IdOutOfRange {
                position,
                id: ids[position],
                vocab_size,
            });
        }
        let mut levels = count_levels(ids, order);
        let discounts = levels
            .iter()
            .map(|level| Discounts::estimate(count_of_counts(&level.counts)))
            .collect();
        for n in 1..order {
            let (lower, upper) = levels.split_at_mut(n);
            let parent = &mut lower[n - 1];
            let children = &upper[0];
            parent.followers = (0..parent.len() as u32)
                .map(|node| FollowerStats::of(&children.counts[parent.children(node)]))
                .collect();
        }
        let root = FollowerStats::of(&levels[0].counts);
        Ok(NgramModel::assemble(
            order, vocab_size, discounts, root, levels,
        ))
    }

    /// Fits with [`NgramParams`] (the form a stage records).
    pub fn fit_params(
        ids: &[u32],
        vocab_size: usize,
        params: &NgramParams,
    ) -> Result<NgramModel, NgramError> {
        NgramModel::fit(ids, vocab_size, params.order)
    }

    /// Adds the derived id → node map.
    pub(crate) fn assemble(
        order: usize,
        vocab_size: usize,
        discounts: Vec<Discounts>,
        root: FollowerStats,
        levels: Vec<Level>,
    ) -> NgramModel {
        let mut unigram_node = vec![NO_NODE; vocab_size];
        for (node, &word) in levels[0].words.iter().enumerate() {
            unigram_node[word as usize] = node as u32;
        }
        NgramModel {
            order,
            vocab_size,
            discounts,
            root,
            levels,
            unigram_node,
        }
    }

    /// The model's order: each token is predicted from at most `order − 1` ids before it.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The size of the vocabulary the model predicts over.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The parameters it was fitted with.
    pub fn params(&self) -> NgramParams {
        NgramParams { order: self.order }
    }

    /// The discounts of order n at index n − 1.
    pub fn discounts(&self) -> &[Discounts] {
        &self.discounts
    }

    /// The number of distinct n-grams of order n at index n − 1.
    pub fn ngram_counts(&self) -> Vec<usize> {
        self.levels.iter().map(Level::len).collect()
    }

    /// Heap bytes the model holds (its arrays; the struct itself is a few dozen bytes more).
    pub fn heap_bytes(&self) -> usize {
        self.levels.iter().map(Level::heap_bytes).sum::<usize>()
            + self.unigram_node.capacity() * 4
            + self.discounts.capacity() * size_of::<Discounts>()
    }

    /// Checks what queries rely on, so that a damaged file cannot make them panic or return
    /// nonsense: orders and lengths agree, ids are in the vocabulary, runs are in bounds and
    /// sorted, follower statistics match the counts, discounts are in range.
    pub(crate) fn check(
        order: usize,
        vocab_size: usize,
        discounts: &[Discounts],
        root: &FollowerStats,
        levels: &[Level],
    ) -> Result<(), String> {
        NgramParams { order }
            .validate()
            .map_err(|e| e.to_string())?;
        if vocab_size == 0 || vocab_size > u32::MAX as usize + 1 {
            return Err(format!("vocabulary size {vocab_size} is out of range"));
        }
        if levels.len() != order || discounts.len() != order {
            return Err(format!(
                "order {order} with {} levels and {} sets of discounts",
                levels.len(),
                discounts.len()
            ));
        }
        if let Some(n) = discounts.iter().position(|d| !d.is_valid()) {
            return Err(format!("discounts of order {} are out of range", n + 1));
        }
        for (i, level) in levels.iter().enumerate() {
            let n = i + 1;
            if level.counts.len() != level.len() {
                return Err(format!("level {n}: words and counts differ in length"));
            }
            if level.counts.contains(&0) {
                return Err(format!("level {n}: an n-gram has count zero"));
            }
            if level.words.iter().any(|&w| w as usize >= vocab_size) {
                return Err(format!("level {n}: an id is outside the vocabulary"));
            }
            if n == order {
                if !level.child_start.is_empty() || !level.followers.is_empty() {
                    return Err(format!("level {n}: the top level has followers"));
                }
                continue;
            }
            let next = &levels[i + 1];
            let starts = &level.child_start;
            if starts.len() != level.len() + 1
                || starts[0] != 0
                || starts[level.len()] as usize != next.len()
                || starts.windows(2).any(|w| w[0] > w[1])
            {
                return Err(format!("level {n}: follower runs are inconsistent"));
            }
            if level.followers.len() != level.len() {
                return Err(format!("level {n}: follower statistics are missing"));
            }
            for node in 0..level.len() as u32 {
                let run = level.children(node);
                if !is_strictly_increasing(&next.words[run.clone()]) {
                    return Err(format!("level {}: a run is not sorted", n + 1));
                }
                if FollowerStats::of(&next.counts[run]) != level.followers[node as usize] {
                    return Err(format!(
                        "level {n}: follower statistics disagree with the counts"
                    ));
                }
            }
        }
        if levels[0].is_empty() {
            return Err("no unigrams".into());
        }
        if !is_strictly_increasing(&levels[0].words) {
            return Err("level 1 is not sorted".into());
        }
        if FollowerStats::of(&levels[0].counts) != *root {
            return Err("the root's statistics disagree with the unigram counts".into());
        }
        Ok(())
    }
}

fn is_strictly_increasing(words: &[u32]) -> bool {
    words.windows(2).all(|w| w[0] < w[1])
}
