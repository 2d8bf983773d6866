//! Names mode: every sample is one name; `--novel` drops names from the training data and
//! `--unique` drops repeats, and the counts of what was dropped are kept for the report.

use std::collections::HashSet;

/// What name filtering kept and dropped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NameFilter {
    /// Indices (into the input) of the names kept, in order.
    pub kept: Vec<usize>,
    pub dropped_empty: usize,
    pub dropped_known: usize,
    pub dropped_duplicate: usize,
}

/// The name of a sample: its text up to the first newline, without surrounding whitespace.
pub fn name_of(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim()
}

/// Filters `names`: empty names always go; with `novel` those in `training` go; with `unique`
/// every repeat of an earlier kept name goes.
pub fn filter_names(
    names: &[&str],
    training: &HashSet<&str>,
    novel: bool,
    unique: bool,
) -> NameFilter {
    let mut out = NameFilter::default();
    let mut seen = HashSet::new();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            out.dropped_empty += 1;
        } else if novel && training.contains(name) {
            out.dropped_known += 1;
        } else if unique && !seen.insert(*name) {
            out.dropped_duplicate += 1;
        } else {
            out.kept.push(i);
        }
    }
    out
}

/// The training names: the non-empty lines of the training text, trimmed.
pub fn training_names(text: &str) -> HashSet<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}
