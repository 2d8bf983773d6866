//! What train does with a tokenize artifact it cannot trust or cannot use: files changed after
//! the artifact was written, and a split left empty by tokenize.

mod common;

use common::{
    periodic_corpus, periodic_input, tiny_config, tokenize_artifact_split, train_entries,
};
use tokenize::Split;
use train::{TrainError, run};

#[test]
fn a_changed_input_file_is_refused_naming_it() {
    for file in ["valid.u32", "vocab.json", "stats.json"] {
        let tmp = tempfile::tempdir().unwrap();
        let input = periodic_input(tmp.path());
        // the same size, other bytes: a damaged file that every reader would accept
        let path = input.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes.swap(0, last);
        std::fs::write(&path, &bytes).unwrap();
        let err = run(
            &input,
            tmp.path(),
            &tiny_config(),
            train::RunOptions::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, TrainError::Artifact(_)), "{file}: {text}");
        assert!(text.contains(file) && text.contains("SHA-256"), "{text}");
        assert!(text.contains("cargo xtask tokenize"), "{text}");
        assert!(train_entries(tmp.path()).is_empty(), "{file}");
    }
}

#[test]
fn an_empty_split_names_the_tokenize_split_not_the_batch_size() {
    let tmp = tempfile::tempdir().unwrap();
    let split = Split {
        train: 100,
        valid: 0,
        test: 0,
    };
    let tokenized = tokenize_artifact_split(tmp.path(), &periodic_corpus(40), split);
    let err = run(
        &tokenized,
        tmp.path(),
        &tiny_config(),
        train::RunOptions::default(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TrainError::EmptySplit { .. }), "{text}");
    assert!(
        text.contains("empty valid split") && text.contains("--split 100/0/0"),
        "{text}"
    );
    assert!(!text.contains("--batch-size"), "{text}");
    assert!(train_entries(tmp.path()).is_empty());
}
