//! Turning the documents into the three id streams and the vocabulary, one document at a time.
//!
//! A first pass counts each document's paragraphs (the split sizes need the whole corpus). The
//! second pass reads one document, cuts its paragraphs into blocks (contiguous, within one
//! split) that rayon segments in parallel; each block interns its tokens locally and emits local
//! ids. A sequential merge, in input order, maps local ids to corpus-wide provisional ids, appends
//! them to the split's stream and counts train occurrences; then the document is dropped. The
//! vocabulary is built from the train counts, and the streams are rewritten in place to final
//! ids. Peak memory is the streams (4 bytes per token), the distinct tokens and one document.

use crate::config::Split;
use crate::corpus::Document;
use crate::error::TokenizeError;
use crate::segment::Segmenter;
use crate::split::{SplitName, split_counts};
use crate::stats::SplitStats;
use crate::vocab::{EOS_ID, UNK_ID, Vocab};
use rayon::prelude::*;
use std::collections::HashMap;

/// Paragraphs per parallel block.
const BLOCK_PARAGRAPHS: usize = 256;
/// Marks `<eos>` among provisional ids.
const EOS_MARK: u32 = u32::MAX;

/// The result of [`encode_corpus`].
#[derive(Debug)]
pub struct EncodedCorpus {
    pub vocab: Vocab,
    /// Final ids per split, `[train, valid, test]`.
    pub streams: [Vec<u32>; 3],
    pub stats: [SplitStats; 3],
    pub types_in_train: usize,
}

struct Block<'a> {
    split: SplitName,
    paragraphs: &'a [&'a str],
}

struct LocalIds<'a> {
    types: Vec<&'a str>,
    ids: Vec<u32>,
    characters: u64,
}

fn encode_block<'a>(segmenter: &Segmenter, block: &Block<'a>) -> LocalIds<'a> {
    let mut index: HashMap<&'a str, u32> = HashMap::new();
    let mut types = Vec::new();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    let mut characters = 0u64;
    for &paragraph in block.paragraphs {
        characters += paragraph.chars().count() as u64 + 1;
        tokens.clear();
        segmenter.cut_into(paragraph, &mut tokens);
        for &t in &tokens {
            let id = *index.entry(t).or_insert_with(|| {
                types.push(t);
                types.len() as u32 - 1
            });
            ids.push(id);
        }
        ids.push(EOS_MARK);
    }
    LocalIds {
        types,
        ids,
        characters,
    }
}

/// Corpus-wide provisional ids of the distinct tokens, in order of first appearance.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    types: Vec<String>,
    train_counts: Vec<u64>,
}

impl Interner {
    fn id(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.index.get(token) {
            return id;
        }
        let id = self.types.len() as u32;
        self.index.insert(token.to_owned(), id);
        self.types.push(token.to_owned());
        self.train_counts.push(0);
        id
    }
}

/// Splits, segments, counts and encodes the documents (see the module doc). `paragraphs[i]` is
/// the number of paragraphs of document `i`, which `load(i)` reads.
pub fn encode_corpus(
    paragraphs: &[usize],
    load: impl Fn(usize) -> Result<Document, TokenizeError>,
    segmenter: &Segmenter,
    split: Split,
    min_freq: u64,
    max_vocab: Option<usize>,
) -> Result<EncodedCorpus, TokenizeError> {
    let counts = split_counts(paragraphs, split);
    let mut stats: [SplitStats; 3] = Default::default();
    let mut interner = Interner::default();
    let mut streams: [Vec<u32>; 3] = Default::default();
    for (i, doc_counts) in counts.iter().enumerate() {
        let doc = load(i)?;
        let paras: Vec<&str> = doc.paragraphs().collect();
        if paras.len() != paragraphs[i] {
            return Err(TokenizeError::Changed(doc.path.clone()));
        }
        let mut blocks = Vec::new();
        let mut start = 0;
        for name in SplitName::ALL {
            let n = doc_counts[name.index()];
            if n > 0 {
                stats[name.index()].documents += 1;
                stats[name.index()].paragraphs += n;
            }
            for chunk in paras[start..start + n].chunks(BLOCK_PARAGRAPHS) {
                blocks.push(Block {
                    split: name,
                    paragraphs: chunk,
                });
            }
            start += n;
        }
        let locals: Vec<LocalIds> = blocks
            .par_iter()
            .map(|b| encode_block(segmenter, b))
            .collect();
        // Merge in input order into provisional corpus-wide ids.
        for (block, local) in blocks.iter().zip(&locals) {
            let map: Vec<u32> = local.types.iter().map(|t| interner.id(t)).collect();
            let is_train = block.split == SplitName::Train;
            let stream = &mut streams[block.split.index()];
            stream.reserve(local.ids.len());
            for &id in &local.ids {
                if id == EOS_MARK {
                    stream.push(EOS_MARK);
                } else {
                    let g = map[id as usize];
                    if is_train {
                        interner.train_counts[g as usize] += 1;
                    }
                    stream.push(g);
                }
            }
            stats[block.split.index()].characters += local.characters;
        }
    }
    let Interner {
        index,
        types,
        train_counts,
    } = interner;
    drop(index);

    let types_in_train = train_counts.iter().filter(|&&c| c > 0).count();
    let mut vocab = Vocab::build(
        types
            .iter()
            .zip(&train_counts)
            .filter(|&(_, &c)| c > 0)
            .map(|(t, &c)| (t.as_str(), c)),
        min_freq,
        max_vocab,
    );
    let final_ids: Vec<u32> = types.iter().map(|t| vocab.id_or_unk(t)).collect();
    for (stream, stat) in streams.iter_mut().zip(stats.iter_mut()) {
        for id in stream.iter_mut() {
            *id = if *id == EOS_MARK {
                EOS_ID
            } else {
                final_ids[*id as usize]
            };
            if *id == UNK_ID {
                stat.unk += 1;
            }
        }
        stat.tokens = stream.len() as u64;
        stat.finish();
    }
    let train = &stats[SplitName::Train.index()];
    vocab.set_special_counts(train.unk, train.paragraphs as u64);
    Ok(EncodedCorpus {
        vocab,
        streams,
        stats,
        types_in_train,
    })
}
