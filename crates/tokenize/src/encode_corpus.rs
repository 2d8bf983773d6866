//! Turning the documents into the three id streams and the vocabulary, one document at a time.
//!
//! A first pass counts each document's paragraphs (the split sizes need the whole corpus). The
//! second pass reads one document, cuts its paragraphs into blocks (contiguous, within one
//! split) that rayon segments in parallel; each block interns its tokens locally and emits local
//! ids. A sequential merge, in input order, maps local ids to corpus-wide provisional ids, appends
//! them to the split's stream and counts train occurrences; it runs while the next document is
//! being segmented, so the merge costs no wall time on a second core. The vocabulary is built
//! from the train counts, and the streams are rewritten in place to final ids. Peak memory is the
//! streams (4 bytes per token), the distinct tokens and two documents.

use crate::config::Split;
use crate::corpus::Document;
use crate::error::TokenizeError;
use crate::segment::Segmenter;
use crate::split::{SplitName, split_counts};
use crate::stats::SplitStats;
use crate::vocab::{EOS_ID, UNK_ID, Vocab};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

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

/// Where a token lies in its document's text: byte offset and length.
type Span = (u32, u32);

/// The ids of one block of paragraphs: local ids (`EOS_MARK` ends a paragraph) into `types`, the
/// distinct tokens in order of first appearance.
struct LocalIds {
    split: SplitName,
    types: Vec<Span>,
    ids: Vec<u32>,
    characters: u64,
}

fn encode_block(
    segmenter: &Segmenter,
    text: &str,
    split: SplitName,
    paragraphs: &[&str],
) -> LocalIds {
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    let mut types = Vec::new();
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    let mut characters = 0u64;
    let base = text.as_ptr() as usize;
    for &paragraph in paragraphs {
        characters += paragraph.chars().count() as u64 + 1;
        tokens.clear();
        segmenter.cut_into(paragraph, &mut tokens);
        for &t in &tokens {
            let id = *index.entry(t).or_insert_with(|| {
                // tokens are slices of the paragraph, itself a slice of `text`
                types.push(((t.as_ptr() as usize - base) as u32, t.len() as u32));
                types.len() as u32 - 1
            });
            ids.push(id);
        }
        ids.push(EOS_MARK);
    }
    LocalIds {
        split,
        types,
        ids,
        characters,
    }
}

/// One document, its paragraphs per split and its blocks, segmented.
struct SegmentedDocument {
    doc: Document,
    paragraphs: [usize; 3],
    blocks: Vec<LocalIds>,
}

impl SegmentedDocument {
    /// Cuts `doc` into blocks by split (`paragraphs` per split, in split order) and segments
    /// them in parallel.
    fn new(doc: Document, paragraphs: [usize; 3], segmenter: &Segmenter) -> Self {
        let paras: Vec<&str> = doc.paragraphs().collect();
        let mut jobs = Vec::new();
        let mut start = 0;
        for name in SplitName::ALL {
            let n = paragraphs[name.index()];
            for chunk in paras[start..start + n].chunks(BLOCK_PARAGRAPHS) {
                jobs.push((name, chunk));
            }
            start += n;
        }
        let blocks = jobs
            .par_iter()
            .map(|&(split, chunk)| encode_block(segmenter, &doc.text, split, chunk))
            .collect();
        drop(jobs);
        drop(paras);
        SegmentedDocument {
            doc,
            paragraphs,
            blocks,
        }
    }
}

/// Corpus-wide provisional ids of the distinct tokens, in order of first appearance.
#[derive(Default)]
struct Interner {
    index: FxHashMap<String, u32>,
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

/// The corpus-wide state that the sequential merge builds.
#[derive(Default)]
struct Merged {
    interner: Interner,
    streams: [Vec<u32>; 3],
    stats: [SplitStats; 3],
}

impl Merged {
    /// Appends a segmented document, in input order, to the streams.
    fn add(&mut self, segmented: &SegmentedDocument) {
        for name in SplitName::ALL {
            let n = segmented.paragraphs[name.index()];
            if n > 0 {
                self.stats[name.index()].documents += 1;
                self.stats[name.index()].paragraphs += n;
            }
        }
        let text = &segmented.doc.text;
        for block in &segmented.blocks {
            let map: Vec<u32> = block
                .types
                .iter()
                .map(|&(at, len)| self.interner.id(&text[at as usize..(at + len) as usize]))
                .collect();
            let is_train = block.split == SplitName::Train;
            let stream = &mut self.streams[block.split.index()];
            stream.reserve(block.ids.len());
            for &id in &block.ids {
                if id == EOS_MARK {
                    stream.push(EOS_MARK);
                } else {
                    let g = map[id as usize];
                    if is_train {
                        self.interner.train_counts[g as usize] += 1;
                    }
                    stream.push(g);
                }
            }
            self.stats[block.split.index()].characters += block.characters;
        }
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
    let mut merged = Merged::default();
    // Document i is segmented on the pool while document i - 1 is merged.
    let mut pending: Option<SegmentedDocument> = None;
    for (i, doc_counts) in counts.iter().enumerate() {
        let doc = load(i)?;
        if doc.paragraphs().count() != paragraphs[i] {
            return Err(TokenizeError::Changed(doc.path.clone()));
        }
        let (_, segmented) = rayon::join(
            || pending.as_ref().map(|p| merged.add(p)),
            || SegmentedDocument::new(doc, *doc_counts, segmenter),
        );
        pending = Some(segmented);
    }
    if let Some(last) = &pending {
        merged.add(last);
    }
    drop(pending);
    let Merged {
        interner,
        mut streams,
        mut stats,
    } = merged;
    let Interner {
        index,
        types,
        train_counts,
    } = interner;
    drop(index);

    let types_in_train = train_counts.iter().filter(|&&c| c > 0).count();
    // Tokens seen only outside the train split have count 0: never kept, they become `<unk>`.
    let counted: Vec<(&str, u64)> = types.iter().map(String::as_str).zip(train_counts).collect();
    let (mut vocab, final_ids) = Vocab::build_with_ids(&counted, min_freq, max_vocab);
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
