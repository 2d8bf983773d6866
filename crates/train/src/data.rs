//! The input: a tokenize artifact's vocabulary size, id streams and character counts, and the
//! layout of a stream as B parallel rows for truncated back-propagation through time.

use crate::error::TrainError;
use artifact::Artifact;
use std::path::Path;
use tch::{Device, Tensor};

/// One split, checked against the vocabulary.
#[derive(Debug)]
pub struct Split {
    pub name: &'static str,
    pub ids: Vec<u32>,
    /// Characters of the split's text (tokenize's `stats.json`), for bits per character.
    pub characters: u64,
}

/// Everything training reads from a tokenize artifact.
#[derive(Debug)]
pub struct Corpus {
    pub artifact: Artifact,
    /// The vocabulary (its size is the model's; it decodes the preview samples).
    pub vocab: tokenize::Vocab,
    /// The `--split` the artifact was made with, for messages about a split.
    pub shares: tokenize::Split,
    pub train: Split,
    pub valid: Split,
    pub test: Split,
}

/// Opens the tokenize artifact that `input` names: a tokenize artifact directory, or an
/// artifact root `artifacts/<corpus>` whose `tokenize/latest` is used.
pub fn open_tokenize(input: &Path) -> Result<Artifact, TrainError> {
    if !input.exists() {
        return Err(TrainError::MissingInput(input.to_path_buf()));
    }
    Ok(Artifact::resolve(
        input,
        tokenize::STAGE,
        tokenize::FORMAT_VERSION,
    )?)
}

/// Reads the vocabulary size, the three streams and the character counts, after checking each
/// file against the artifact's manifest; fails on an id that is not below the vocabulary size.
pub fn read_corpus(input: &Path) -> Result<Corpus, TrainError> {
    let artifact = open_tokenize(input)?;
    let streams = tokenize::split::SplitName::ALL.map(|s| s.file_name());
    let files = [tokenize::VOCAB_FILE, tokenize::STATS_FILE];
    artifact.verify_files(files.into_iter().chain(streams.iter().map(String::as_str)))?;
    let (vocab, params) = tokenize::vocab::read_vocab_json(&artifact.path(tokenize::VOCAB_FILE))?;
    let stats = tokenize::read_stats(&artifact)?;
    let vocab_size = vocab.len();
    let read = |name: &'static str, characters: u64| -> Result<Split, TrainError> {
        let path = artifact.path(&format!("{name}.u32"));
        let ids = tokenize::read_u32_stream(&path)?;
        if let Some(position) = ids.iter().position(|&id| id as usize >= vocab_size) {
            return Err(TrainError::IdOutOfRange {
                path,
                position,
                id: ids[position],
                vocab_size,
            });
        }
        Ok(Split {
            name,
            ids,
            characters,
        })
    };
    let s = &stats.splits;
    Ok(Corpus {
        train: read("train", s.train.characters)?,
        valid: read("valid", s.valid.characters)?,
        test: read("test", s.test.characters)?,
        vocab,
        shares: params.split,
        artifact,
    })
}

/// Fails unless every split of `corpus` holds at least `batch × seq + 1` tokens. An empty split
/// is the tokenize artifact's doing (its `--split` or too little text), which no batch size helps.
pub fn check_lengths(corpus: &Corpus, batch: i64, seq: i64) -> Result<(), TrainError> {
    let dir = corpus.artifact.dir();
    for split in [&corpus.train, &corpus.valid, &corpus.test] {
        if split.ids.is_empty() {
            return Err(TrainError::EmptySplit {
                dir: dir.to_path_buf(),
                split: split.name,
                shares: corpus.shares,
            });
        }
        check_length(split, dir, batch, seq)?;
    }
    Ok(())
}

fn check_length(split: &Split, dir: &Path, batch: i64, seq: i64) -> Result<(), TrainError> {
    let needed = batch * seq + 1;
    if (split.ids.len() as i64) < needed {
        return Err(TrainError::SplitTooShort {
            path: dir.join(format!("{}.u32", split.name)),
            split: split.name.to_owned(),
            tokens: split.ids.len(),
            batch,
            seq,
            needed,
        });
    }
    Ok(())
}

/// A stream cut into `B` contiguous rows: row `b` holds inputs `ids[b·n .. b·n + n]` and
/// targets shifted by one, `n = (len − 1) / B`; the last `(len − 1) mod B` tokens are unused.
#[derive(Debug)]
pub struct Streams {
    pub inputs: Tensor,
    pub targets: Tensor,
    pub seq_len: i64,
}

impl Streams {
    pub fn new(ids: &[u32], batch: i64, seq_len: i64, device: Device) -> Streams {
        let n = (ids.len() as i64 - 1) / batch;
        let all: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
        let all = Tensor::from_slice(&all);
        let used = batch * n;
        Streams {
            inputs: all.narrow(0, 0, used).reshape([batch, n]).to(device),
            targets: all.narrow(0, 1, used).reshape([batch, n]).to(device),
            seq_len,
        }
    }

    /// Batches per pass: `ceil(n / T)` (the last one may be shorter).
    pub fn batches(&self) -> u64 {
        let n = self.inputs.size()[1];
        ((n + self.seq_len - 1) / self.seq_len) as u64
    }

    /// Inputs and targets of batch `k`, each `[B, ≤ T]`.
    pub fn batch(&self, k: u64) -> (Tensor, Tensor) {
        let n = self.inputs.size()[1];
        let start = k as i64 * self.seq_len;
        let len = self.seq_len.min(n - start);
        (
            self.inputs.narrow(1, start, len),
            self.targets.narrow(1, start, len),
        )
    }

    /// Tokens predicted per pass.
    pub fn tokens(&self) -> u64 {
        self.inputs.numel() as u64
    }

    /// The first `columns` tokens of every row (all of them when there are fewer): a fixed
    /// sample spread over the whole stream, since the rows are its consecutive stretches.
    pub fn prefix(&self, columns: i64) -> Streams {
        let columns = columns.min(self.inputs.size()[1]);
        Streams {
            inputs: self.inputs.narrow(1, 0, columns),
            targets: self.targets.narrow(1, 0, columns),
            seq_len: self.seq_len,
        }
    }
}
