//! Quality figures of a set of samples: distinct-n, repeated 4-grams within a sample, the
//! copy rate against the training text (8-character windows found verbatim) and the mean
//! negative log-likelihood under the model.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Width of the character windows of the copy rate.
pub const COPY_WINDOW: usize = 8;

/// Distinct n-grams over all n-grams of all samples (0 when there are none).
pub fn distinct_n(samples: &[Vec<u32>], n: usize) -> f64 {
    let mut seen = HashSet::new();
    let mut total = 0usize;
    for s in samples {
        for w in s.windows(n) {
            seen.insert(w.to_vec());
            total += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        seen.len() as f64 / total as f64
    }
}

/// The fraction of n-grams that already occurred earlier in the same sample (0 when there are
/// none).
pub fn repeated_ngram_rate(samples: &[Vec<u32>], n: usize) -> f64 {
    let (mut repeated, mut total) = (0usize, 0usize);
    for s in samples {
        let mut seen = HashSet::new();
        for w in s.windows(n) {
            total += 1;
            if !seen.insert(w) {
                repeated += 1;
            }
        }
    }
    if total == 0 {
        0.0
    } else {
        repeated as f64 / total as f64
    }
}

fn window_hash(window: &str) -> u64 {
    let mut h = DefaultHasher::new();
    window.hash(&mut h);
    h.finish()
}

/// Calls `f` with every window of `width` characters inside each line of `text`.
fn for_each_window(text: &str, width: usize, mut f: impl FnMut(&str)) {
    for line in text.split('\n') {
        let starts: Vec<usize> = line
            .char_indices()
            .map(|(i, _)| i)
            .chain([line.len()])
            .collect();
        for k in 0..starts.len().saturating_sub(width) {
            f(&line[starts[k]..starts[k + width]]);
        }
    }
}

/// Hashes of every 8-character window of the training text, built once per run.
#[derive(Debug, Default)]
pub struct WindowIndex {
    hashes: HashSet<u64>,
}

impl WindowIndex {
    /// Indexes `text` (paragraphs separated by newlines; windows do not cross them).
    pub fn build(text: &str) -> Self {
        let mut hashes = HashSet::new();
        for_each_window(text, COPY_WINDOW, |w| {
            hashes.insert(window_hash(w));
        });
        WindowIndex { hashes }
    }

    /// (windows found in the index, all windows) over `texts`.
    pub fn copied(&self, texts: &[&str]) -> (usize, usize) {
        let (mut found, mut total) = (0, 0);
        for t in texts {
            for_each_window(t, COPY_WINDOW, |w| {
                total += 1;
                if self.hashes.contains(&window_hash(w)) {
                    found += 1;
                }
            });
        }
        (found, total)
    }

    /// The fraction of windows of `texts` found verbatim in the index (0 when there are none).
    pub fn copy_rate(&self, texts: &[&str]) -> f64 {
        let (found, total) = self.copied(texts);
        if total == 0 {
            0.0
        } else {
            found as f64 / total as f64
        }
    }
}
