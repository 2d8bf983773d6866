//! Queries: the probability of one token after a context, and the whole next-token
//! distribution.
//!
//! With `a_n(w) = max(c_n(h_n w) − D_n(c), 0) / S_n(h_n)` and
//! `γ_n(h_n) = (D1·N1 + D2·N2 + D3+·N3+) / S_n(h_n)` for the context h_n of order n (its last
//! n − 1 ids), the model is
//!
//! ```text
//! p_0(w) = 1/V,    p_n(w | h_n) = a_n(w) + γ_n(h_n) · p_{n−1}(w | h_{n−1})
//! ```
//!
//! up to the longest context the model has seen followers of; longer ones are skipped (a
//! context never seen cannot have a seen extension). Because each order's discounts satisfy
//! Dk ≤ k, `Σ_w a_n(w) + γ_n = 1` at every order, so every p_n sums to one.
//!
//! [`NgramModel::distribution`] unrolls the recursion,
//! `p(w) = Σ_n (Π_{m>n} γ_m) · a_n(w) + (Π_m γ_m) / V`: one pass over the followers of each
//! context and one over the vocabulary, O(V + matching n-grams).

use crate::discount::Discounts;
use crate::model::{NO_NODE, NgramModel};
use crate::trie::{FollowerStats, find_in};
use std::ops::Range;

/// A seen context of order n: its follower statistics and its run of level n.
struct Context {
    stats: FollowerStats,
    run: Range<usize>,
}

impl Context {
    /// γ: the mass the discounts free for the next lower order.
    #[inline]
    fn backoff_weight(&self, d: &Discounts) -> f64 {
        let n3_plus = self.run.len() as u32 - self.stats.n1 - self.stats.n2;
        (d.d1 * f64::from(self.stats.n1)
            + d.d2 * f64::from(self.stats.n2)
            + d.d3_plus * f64::from(n3_plus))
            / f64::from(self.stats.total)
    }

    /// a: the discounted relative frequency of a follower with this count.
    #[inline]
    fn discounted(&self, d: &Discounts, count: u32) -> f64 {
        (f64::from(count) - d.for_count(count)).max(0.0) / f64::from(self.stats.total)
    }
}

impl NgramModel {
    /// The natural log of the probability of `token` after `context` (of which only the last
    /// `order − 1` ids matter). Every id below the vocabulary size has a finite log
    /// probability; an id at or above it has −∞.
    pub fn log_prob(&self, context: &[u32], token: u32) -> f64 {
        self.prob(context, token).ln()
    }

    /// The probability of `token` after `context` (0 for an id outside the vocabulary).
    pub fn prob(&self, context: &[u32], token: u32) -> f64 {
        if token as usize >= self.vocab_size {
            return 0.0;
        }
        let history = self.history(context);
        let mut p = 1.0 / self.vocab_size as f64;
        for n in 1..=history.len() + 1 {
            let Some(ctx) = self.context(&history[history.len() + 1 - n..]) else {
                break;
            };
            let d = &self.discounts[n - 1];
            let count = self
                .follower(n, &ctx, token)
                .map_or(0, |node| self.levels[n - 1].counts[node as usize]);
            p = ctx.discounted(d, count) + ctx.backoff_weight(d) * p;
        }
        p
    }

    /// The next-token distribution after `context` over the whole vocabulary: sums to one,
    /// every entry positive, entry w equal to `exp(log_prob(context, w))` up to rounding.
    pub fn distribution(&self, context: &[u32]) -> Vec<f64> {
        let mut out = vec![0.0; self.vocab_size];
        self.distribution_into(context, &mut out);
        out
    }

    /// [`distribution`](Self::distribution) into a buffer of `vocab_size` entries (for
    /// sampling loops that reuse one).
    ///
    /// # Panics
    /// When `out.len()` is not the vocabulary size.
    pub fn distribution_into(&self, context: &[u32], out: &mut [f64]) {
        assert_eq!(
            out.len(),
            self.vocab_size,
            "distribution buffer must have one entry per vocabulary id"
        );
        let contexts = self.contexts(context);
        out.fill(0.0);
        // weight = Π γ over the orders above the one being added.
        let mut weight = 1.0;
        for (i, ctx) in contexts.iter().enumerate().rev() {
            let d = &self.discounts[i];
            let level = &self.levels[i];
            for node in ctx.run.clone() {
                out[level.words[node] as usize] += weight * ctx.discounted(d, level.counts[node]);
            }
            weight *= ctx.backoff_weight(d);
        }
        let uniform = weight / self.vocab_size as f64;
        for p in out.iter_mut() {
            *p += uniform;
        }
    }

    /// The next-token distribution after `context` in two parts: it is
    /// `weight · unigram[w] + Σ sparse terms for w`, where `weight` is what this returns,
    /// `unigram` is the distribution after the empty context (`distribution(&[])`, the same for
    /// every context) and `sparse` receives one `(w, term)` per n-gram of the longer contexts
    /// that matches. A batch of rows shares the dense part and adds a few terms per row,
    /// instead of a pass over the vocabulary for each.
    pub fn sparse_distribution(&self, context: &[u32], sparse: &mut Vec<(u32, f64)>) -> f64 {
        sparse.clear();
        let mut weight = 1.0;
        for (i, ctx) in self.contexts(context).iter().enumerate().skip(1).rev() {
            let d = &self.discounts[i];
            let level = &self.levels[i];
            for node in ctx.run.clone() {
                sparse.push((
                    level.words[node],
                    weight * ctx.discounted(d, level.counts[node]),
                ));
            }
            weight *= ctx.backoff_weight(d);
        }
        weight
    }

    /// The seen contexts that end `context`, shortest (the empty one) first.
    fn contexts(&self, context: &[u32]) -> Vec<Context> {
        let history = self.history(context);
        let mut contexts = Vec::with_capacity(self.order);
        for n in 1..=history.len() + 1 {
            match self.context(&history[history.len() + 1 - n..]) {
                Some(ctx) => contexts.push(ctx),
                None => break,
            }
        }
        contexts
    }

    /// The last `order − 1` ids of `context`.
    fn history<'a>(&self, context: &'a [u32]) -> &'a [u32] {
        &context[context.len().saturating_sub(self.order - 1)..]
    }

    /// The context `ids` (of order `ids.len() + 1`) if the model has seen it followed by
    /// anything.
    #[inline]
    fn context(&self, ids: &[u32]) -> Option<Context> {
        let ctx = match ids.split_first() {
            None => Context {
                stats: self.root,
                run: 0..self.levels[0].len(),
            },
            Some((&first, rest)) => {
                let mut node = *self.unigram_node.get(first as usize)?;
                if node == NO_NODE {
                    return None;
                }
                for (i, &word) in rest.iter().enumerate() {
                    let run = self.levels[i].children(node);
                    node = find_in(&self.levels[i + 1], run, word)?;
                }
                let level = &self.levels[ids.len() - 1];
                Context {
                    stats: level.followers[node as usize],
                    run: level.children(node),
                }
            }
        };
        // A context seen only at the very end of the stream has no followers.
        (ctx.stats.total > 0).then_some(ctx)
    }

    /// The node of `token` among the followers of `ctx`, a context of order n.
    #[inline]
    fn follower(&self, n: usize, ctx: &Context, token: u32) -> Option<u32> {
        if n == 1 {
            let node = self.unigram_node[token as usize];
            (node != NO_NODE).then_some(node)
        } else {
            find_in(&self.levels[n - 1], ctx.run.clone(), token)
        }
    }
}
