//! Counting: the stream's distinct n-grams of every order up to `order`, as the levels of the
//! [`trie`](crate::trie) with raw counts at the top order and continuation counts below.
//!
//! The positions of the stream are sorted (in parallel) by the up to `order` ids that start
//! there. In that order the positions that share an n-gram are adjacent for every n ≤ order,
//! and the groups come out sorted by prefix and then last id, which is the trie's order. One
//! sequential pass per order then makes that level: a new group is a new node, its parent is
//! the node of the (n−1)-gram at the same position (from the previous pass), and its raw count
//! is the group's size.
//!
//! Continuation counts: the count of an n-gram g below the top order is the number of distinct
//! ids x such that x·g occurs, plus one when g starts the stream (the start of the stream is
//! one more distinct left context, so every n-gram that occurs has a count of at least one).
//! The pass over order n + 1 adds one to g's count for each new (n+1)-gram x·g: g is the
//! n-gram at the next position, whose node the previous pass recorded.

use crate::trie::Level;
use rayon::prelude::*;

/// The levels of order 1..=`order` with words, counts and `child_start` filled in (follower
/// statistics are left to the caller). `ids` must be non-empty and shorter than `u32::MAX`.
pub fn count_levels(ids: &[u32], order: usize) -> Vec<Level> {
    let len = ids.len();
    let window = |p: u32| &ids[p as usize..(p as usize + order).min(len)];
    let mut sorted: Vec<u32> = (0..len as u32).collect();
    sorted.par_sort_unstable_by(|&a, &b| window(a).cmp(window(b)));

    let mut levels: Vec<Level> = Vec::with_capacity(order);
    // node_of[p]: the node of the (n−1)-gram at position p in the previous pass.
    let mut prev_node_of: Vec<u32> = Vec::new();
    for n in 1..=order {
        let mut node_of = vec![u32::MAX; len];
        let mut words = Vec::new();
        let mut raw = Vec::new();
        let parent_len = levels.last().map_or(0, Level::len);
        let mut children_per_parent = vec![0u32; parent_len];
        let mut parent_continuation = vec![0u32; parent_len];
        let mut last: Option<usize> = None;
        for &p in &sorted {
            let p = p as usize;
            if p + n > len {
                continue;
            }
            let new_group = last.is_none_or(|q| ids[q..q + n] != ids[p..p + n]);
            if new_group {
                words.push(ids[p + n - 1]);
                raw.push(0u32);
                if n > 1 {
                    children_per_parent[prev_node_of[p] as usize] += 1;
                    parent_continuation[prev_node_of[p + 1] as usize] += 1;
                }
            }
            *raw.last_mut().expect("a group was started") += 1;
            node_of[p] = (words.len() - 1) as u32;
            last = Some(p);
        }
        if let Some(parent) = levels.last_mut() {
            if !parent.is_empty() {
                // The (n−1)-gram at position 0 has no left neighbour: the start counts as one.
                parent_continuation[prev_node_of[0] as usize] += 1;
            }
            parent.counts = parent_continuation;
            parent.child_start = prefix_starts(&children_per_parent);
        }
        levels.push(Level {
            words,
            counts: raw,
            child_start: Vec::new(),
            followers: Vec::new(),
        });
        prev_node_of = node_of;
    }
    levels
}

/// `[0, c0, c0 + c1, …]`: where each parent's run of children starts, and the end.
fn prefix_starts(children: &[u32]) -> Vec<u32> {
    let mut starts = Vec::with_capacity(children.len() + 1);
    let mut at = 0u32;
    starts.push(0);
    for &c in children {
        at += c;
        starts.push(at);
    }
    starts
}
