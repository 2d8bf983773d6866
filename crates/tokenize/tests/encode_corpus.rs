//! `encode_corpus` (parallel blocks, merged in order while the next document is segmented)
//! against a plain sequential re-statement of what it must produce.

use std::collections::HashMap;
use tokenize::corpus::Document;
use tokenize::encode_corpus::encode_corpus;
use tokenize::segment::Segmenter;
use tokenize::split::split_counts;
use tokenize::vocab::{EOS_ID, UNK_ID};
use tokenize::{Level, Split, TokenizeError, Vocab};

/// Documents of pseudo-random paragraphs over a small phrase list: enough paragraphs that each
/// document spans several parallel blocks, and a word that the train split never sees.
fn documents() -> Vec<Document> {
    let phrases = [
        "令狐冲",
        "提剑",
        "走上",
        "华山",
        "，",
        "岳不群",
        "笑道",
        "：",
        "师父",
        "。",
        "东方不败",
        "大喝一声",
        "小师妹",
        "黑木崖",
        "明月",
        "清风",
        "江湖",
        "少林寺",
        "方证大师",
        "！",
    ];
    let mut state = 12345u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    [700, 40, 1300]
        .iter()
        .enumerate()
        .map(|(d, &paragraphs)| {
            let mut text = String::new();
            for p in 0..paragraphs {
                for _ in 0..1 + next(12) {
                    text.push_str(phrases[next(phrases.len())]);
                }
                // a name that only the last tenth (valid and test) has
                if p * 10 >= paragraphs * 9 && p % 7 == 0 {
                    text.push_str("鳌拜");
                }
                text.push('\n');
                if p % 50 == 0 {
                    text.push('\n'); // blank lines are not paragraphs
                }
            }
            Document {
                path: format!("docs/{d}.txt"),
                text,
            }
        })
        .collect()
}

/// The streams and vocabulary, computed one paragraph at a time with no parallelism.
fn sequential(
    docs: &[Document],
    segmenter: &Segmenter,
    split: Split,
    min_freq: u64,
) -> (Vocab, [Vec<u32>; 3]) {
    let paragraphs: Vec<usize> = docs.iter().map(|d| d.paragraphs().count()).collect();
    let counts = split_counts(&paragraphs, split);
    let mut tokens: [Vec<Option<&str>>; 3] = Default::default();
    for (doc, doc_counts) in docs.iter().zip(&counts) {
        let mut paras = doc.paragraphs();
        for (s, &n) in doc_counts.iter().enumerate() {
            for p in paras.by_ref().take(n) {
                tokens[s].extend(segmenter.cut(p).into_iter().map(Some));
                tokens[s].push(None);
            }
        }
    }
    let mut train_counts: HashMap<&str, u64> = HashMap::new();
    for t in tokens[0].iter().flatten() {
        *train_counts.entry(t).or_default() += 1;
    }
    let vocab = Vocab::build(train_counts, min_freq, None);
    let streams = tokens.map(|split| {
        split
            .iter()
            .map(|t| t.map_or(EOS_ID, |t| vocab.id_or_unk(t)))
            .collect()
    });
    (vocab, streams)
}

#[test]
fn parallel_pipelined_encoding_equals_the_sequential_definition() {
    let docs = documents();
    let paragraphs: Vec<usize> = docs.iter().map(|d| d.paragraphs().count()).collect();
    assert!(paragraphs[2] > 3 * 256, "several blocks per document");
    let split: Split = "80/10/10".parse().unwrap();
    for (level, min_freq) in [(Level::Word, 1), (Level::Char, 2)] {
        let segmenter = Segmenter::new(level, None);
        let encoded = encode_corpus(
            &paragraphs,
            |i| Ok(docs[i].clone()),
            &segmenter,
            split,
            min_freq,
            None,
        )
        .unwrap();
        let (vocab, streams) = sequential(&docs, &segmenter, split, min_freq);
        assert_eq!(encoded.streams, streams, "{level:?}");
        assert_eq!(
            encoded.vocab.tokens().collect::<Vec<_>>(),
            vocab.tokens().collect::<Vec<_>>()
        );
        // valid/test hold words never seen in train, which must be <unk> there
        let unk = |s: &[u32]| s.iter().filter(|&&id| id == UNK_ID).count() as u64;
        assert!(unk(&streams[1]) + unk(&streams[2]) > 0);
        for (stats, stream) in encoded.stats.iter().zip(&streams) {
            assert_eq!(
                (stats.tokens, stats.unk),
                (stream.len() as u64, unk(stream))
            );
        }
        let chars: u64 = docs
            .iter()
            .flat_map(|d| d.paragraphs())
            .map(|p| p.chars().count() as u64 + 1)
            .sum();
        assert_eq!(
            encoded.stats.iter().map(|s| s.characters).sum::<u64>(),
            chars
        );
    }
}

#[test]
fn a_document_that_changed_since_it_was_counted_is_an_error() {
    let docs = documents();
    let mut paragraphs: Vec<usize> = docs.iter().map(|d| d.paragraphs().count()).collect();
    paragraphs[1] += 1;
    let err = encode_corpus(
        &paragraphs,
        |i| Ok(docs[i].clone()),
        &Segmenter::new(Level::Char, None),
        Split::default(),
        1,
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&err, TokenizeError::Changed(p) if p == "docs/1.txt"),
        "{err}"
    );
}
