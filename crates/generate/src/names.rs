//! Names mode: every sample is one name. Empty names are dropped, `--novel` drops names from
//! the training data and `--unique` drops repeats; dropped names are replaced by sampling more
//! (the top-up) until `--num-samples` names are kept or [`TOP_UP_FACTOR`] times as many were
//! generated. The counts of what was generated, dropped and kept go into the report.

use crate::config::GenerateConfig;
use crate::continuation::{continuations, sample_range};
use crate::error::GenerateError;
use crate::generate::Generated;
use crate::mixture::Predictor;
use crate::mode::Mode;
use crate::prompt::EncodedPrompt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use tokenize::Tokenizer;

/// At most this many times `--num-samples` names are generated in names mode.
pub const TOP_UP_FACTOR: usize = 10;

/// The largest top-up batch, unless `--num-samples` is larger (the first batch is
/// `--num-samples`): bounds the `[batch, V]` log-probabilities held per step.
pub const MAX_TOP_UP_BATCH: usize = 256;

/// What became of the names generated so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NameCounts {
    pub generated: usize,
    pub kept: usize,
    pub dropped_empty: usize,
    /// Names that occur in the training data (`--novel`).
    pub dropped_known: usize,
    /// Repeats of a name kept earlier (`--unique`).
    pub dropped_duplicate: usize,
}

/// Decides name by name, in generation order, what is kept.
#[derive(Debug)]
pub struct NameFilter<'a> {
    known: &'a HashSet<&'a str>,
    novel: bool,
    unique: bool,
    seen: HashSet<String>,
    counts: NameCounts,
}

impl<'a> NameFilter<'a> {
    /// Empty names always go; with `novel` those in `known` go; with `unique` every repeat of
    /// an earlier kept name goes.
    pub fn new(known: &'a HashSet<&'a str>, novel: bool, unique: bool) -> Self {
        NameFilter {
            known,
            novel,
            unique,
            seen: HashSet::new(),
            counts: NameCounts::default(),
        }
    }

    /// Counts `name` and says whether it is kept.
    pub fn offer(&mut self, name: &str) -> bool {
        let c = &mut self.counts;
        c.generated += 1;
        if name.is_empty() {
            c.dropped_empty += 1;
        } else if self.novel && self.known.contains(name) {
            c.dropped_known += 1;
        } else if self.unique && !self.seen.insert(name.to_owned()) {
            c.dropped_duplicate += 1;
        } else {
            c.kept += 1;
            return true;
        }
        false
    }

    pub fn counts(&self) -> NameCounts {
        self.counts
    }
}

/// The name of a sample: its text up to the first newline, without surrounding whitespace.
pub fn name_of(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim()
}

/// The training names: the non-empty lines of the training text, trimmed.
pub fn training_names(text: &str) -> HashSet<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Everything names mode generated.
#[derive(Debug, Clone)]
pub struct NameRun {
    /// Every sample generated, by sample index (dropped ones included).
    pub generated: Vec<Generated>,
    /// The name of each generated sample (the prompt is its beginning).
    pub names: Vec<String>,
    /// Indices of the names kept, in order: at most `--num-samples`.
    pub kept: Vec<usize>,
    pub counts: NameCounts,
    /// Sampling stopped at `TOP_UP_FACTOR × --num-samples` names with fewer kept than asked for
    /// (or beam search, which cannot be topped up, returned fewer).
    pub cap_reached: bool,
}

impl NameRun {
    /// The warning when fewer names than `config.num_samples` were kept.
    pub fn shortfall(&self, config: &GenerateConfig) -> Option<String> {
        if !self.cap_reached {
            return None;
        }
        let why = if config.beam.is_some() {
            "beam search returns its best hypotheses once and cannot replace dropped names"
                .to_owned()
        } else {
            format!(
                "generation stopped at {} names ({TOP_UP_FACTOR} times the request); most were dropped ({} in the training data, {} duplicates, {} empty): try a higher --temperature",
                self.counts.generated,
                self.counts.dropped_known,
                self.counts.dropped_duplicate,
                self.counts.dropped_empty
            )
        };
        Some(format!(
            "kept {} of the {} names asked for: {why}",
            self.kept.len(),
            config.num_samples
        ))
    }
}

/// Generates names until `config.num_samples` pass the filter of `config.novel`/`unique`
/// against `known`, or `TOP_UP_FACTOR × num_samples` were generated (beam search: one beam,
/// no top-up). Sample `i` always draws with the seed of index `i`, so the run is reproducible.
pub fn generate_names(
    lm: Predictor,
    tokenizer: &Tokenizer,
    prompt: &str,
    encoded: &EncodedPrompt,
    config: &GenerateConfig,
    known: &HashSet<&str>,
) -> Result<NameRun, GenerateError> {
    let wanted = config.num_samples;
    let cap = wanted.saturating_mul(TOP_UP_FACTOR);
    let mut filter = NameFilter::new(known, config.novel, config.unique);
    let mut run = NameRun {
        generated: vec![],
        names: vec![],
        kept: vec![],
        counts: NameCounts::default(),
        cap_reached: false,
    };
    let vocab = tokenizer.vocab();
    let mut batch = continuations(lm, vocab, encoded, config, Mode::Names, &mut |_, _| {})?;
    loop {
        // A top-up batch may overshoot: what follows the name that completes the request is
        // discarded unseen, so the result does not depend on how the batches were cut.
        for g in batch {
            if run.kept.len() == wanted {
                break;
            }
            let text = format!("{prompt}{}", tokenizer.decode(&g.tokens));
            let name = name_of(&text).to_owned();
            if filter.offer(&name) {
                run.kept.push(run.generated.len());
            }
            run.names.push(name);
            run.generated.push(g);
        }
        let done = run.generated.len();
        if run.kept.len() >= wanted || config.beam.is_some() || done >= cap {
            break;
        }
        let size = top_up_size(wanted - run.kept.len(), run.kept.len(), done)
            .min(wanted.max(MAX_TOP_UP_BATCH))
            .min(cap - done);
        batch = sample_range(
            lm,
            vocab,
            &encoded.ids,
            config,
            Mode::Names,
            done..done + size,
            &mut |_, _| {},
        )?;
    }
    run.counts = filter.counts();
    run.cap_reached = run.kept.len() < wanted;
    Ok(run)
}

/// How many names to sample next to keep `missing` more, given that `kept` of `generated` were
/// kept so far: the expected number at that rate, and at least `missing`.
pub fn top_up_size(missing: usize, kept: usize, generated: usize) -> usize {
    let expected = (missing * generated).div_ceil(kept.max(1));
    expected.max(missing)
}
