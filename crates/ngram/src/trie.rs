//! The n-gram trie in sorted arrays: level n (1-based; `levels[n − 1]`) holds every distinct
//! n-gram of the training stream, ordered by its (n−1)-gram prefix and then by its last id.
//! So the n-grams that extend one (n−1)-gram are a contiguous run of level n, found by
//! `child_start`, and within a run by binary search on the last id.
//!
//! Per node: its last id and its count at its own order (4 + 4 bytes); below the top level
//! also where its run of followers starts (4) and their [`FollowerStats`] (12). The root, the
//! empty context, has all of level 1 as followers; a dense map from id to level-1 node makes
//! the first step of every lookup O(1).

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// What interpolation needs to know about the followers of one context: the sum of their
/// counts and how many have count 1 and 2 (count 3+ is the rest of the run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowerStats {
    pub total: u32,
    pub n1: u32,
    pub n2: u32,
}

impl FollowerStats {
    /// The statistics of a run of follower counts.
    pub fn of(counts: &[u32]) -> FollowerStats {
        let mut s = FollowerStats::default();
        for &c in counts {
            s.total = s.total.saturating_add(c);
            s.n1 += u32::from(c == 1);
            s.n2 += u32::from(c == 2);
        }
        s
    }
}

/// One level of the trie: the distinct n-grams of one order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// The last id of each n-gram.
    pub words: Vec<u32>,
    /// The count each n-gram is estimated with at this order: raw at the top order,
    /// continuation counts below.
    pub counts: Vec<u32>,
    /// Below the top level: node i's followers are `child_start[i]..child_start[i + 1]` of
    /// the next level (so one entry more than nodes). Empty at the top level.
    pub child_start: Vec<u32>,
    /// Below the top level: the statistics of node i's followers. Empty at the top level.
    pub followers: Vec<FollowerStats>,
}

impl Level {
    /// Number of n-grams in this level.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether this level has no n-grams (the stream is shorter than its order).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The run of the next level that follows node `node`.
    #[inline]
    pub fn children(&self, node: u32) -> Range<usize> {
        self.child_start[node as usize] as usize..self.child_start[node as usize + 1] as usize
    }

    /// Heap bytes held by this level.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 4
            + self.counts.capacity() * 4
            + self.child_start.capacity() * 4
            + self.followers.capacity() * size_of::<FollowerStats>()
    }
}

/// The node whose last id is `word` within `range` of `level`, by binary search.
#[inline]
pub fn find_in(level: &Level, range: Range<usize>, word: u32) -> Option<u32> {
    let start = range.start;
    level.words[range]
        .binary_search(&word)
        .ok()
        .map(|i| (start + i) as u32)
}
