//! The train/valid/test split: contiguous blocks of paragraphs per document.
//!
//! Rule: each document's paragraphs go, in order, first to train, then to valid, then to test,
//! so validation text is never interleaved with training text. How many go to valid and test
//! is decided by cumulative rounding over the corpus: after a document, the number of valid
//! paragraphs allotted so far is brought up to `round(N × valid / 100)` where `N` is the number
//! of paragraphs seen so far (rounding halves up), and the same for test (test first, so a
//! one-paragraph document never starves test). A long document therefore gets about its share;
//! many short documents give the corpus its share, the remainders landing on the documents
//! where the running total crosses a whole paragraph. With the default 90/5/5, valid and test
//! are non-empty as soon as the corpus has 10 paragraphs. The split is a pure function of the
//! paragraph counts, so it is deterministic.

use crate::config::Split;

/// The three splits, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SplitName {
    Train,
    Valid,
    Test,
}

impl SplitName {
    pub const ALL: [SplitName; 3] = [SplitName::Train, SplitName::Valid, SplitName::Test];

    /// `train`, `valid` or `test`: also the stream file's stem (`train.u32`).
    pub fn as_str(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Valid => "valid",
            SplitName::Test => "test",
        }
    }

    /// The stream file name, `<split>.u32`.
    pub fn file_name(self) -> String {
        format!("{}.u32", self.as_str())
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// For each document (given its paragraph count), how many of its paragraphs go to
/// `[train, valid, test]`, in that order (see the module doc for the rule).
pub fn split_counts(paragraphs_per_doc: &[usize], split: Split) -> Vec<[usize; 3]> {
    let target = |seen: usize, pct: u32| (seen * pct as usize + 50) / 100;
    let (mut seen, mut valid_so_far, mut test_so_far) = (0usize, 0usize, 0usize);
    paragraphs_per_doc
        .iter()
        .map(|&n| {
            seen += n;
            let test = target(seen, split.test).saturating_sub(test_so_far).min(n);
            let valid = target(seen, split.valid)
                .saturating_sub(valid_so_far)
                .min(n - test);
            valid_so_far += valid;
            test_so_far += test;
            [n - valid - test, valid, test]
        })
        .collect()
}
