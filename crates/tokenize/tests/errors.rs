//! Bad input: a clear error naming the file, line or flag, and no artifact left behind.

mod common;

use common::{clean_artifact, clean_artifact_version, tokenize_entries};
use std::path::Path;
use tokenize::user_dict::UserDict;
use tokenize::{Split, TokenizeConfig, run};

/// Runs the stage on `input` with `config` into `root`, expects an error containing every
/// string of `expected`, and checks that no tokenize artifact (nor staging debris) is left.
fn check(root: &Path, input: &Path, config: &TokenizeConfig, expected: &[&str]) {
    let err = run(input, Some(root), config, artifact::Existing::Reuse)
        .unwrap_err()
        .to_string();
    for e in expected {
        assert!(err.contains(e), "error `{err}` lacks `{e}`");
    }
    assert_eq!(
        tokenize_entries(root),
        Vec::<String>::new(),
        "after `{err}`"
    );
}

fn with_dict(root: &Path, text: &str) -> TokenizeConfig {
    let path = root.join("names.dict");
    std::fs::write(&path, text).unwrap();
    TokenizeConfig {
        user_dict: Some(path),
        ..TokenizeConfig::default()
    }
}

#[test]
fn bad_inputs_and_parameters_leave_no_artifact() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    // ten paragraphs: enough for a valid and a test paragraph at the default 90/5/5
    let good_text = "令狐冲笑了。\n".repeat(10);
    let good = clean_artifact(root, &[("a.txt", good_text.as_str())]);
    let default = TokenizeConfig::default();

    check(
        root,
        &root.join("nowhere"),
        &default,
        &["nowhere", "does not exist"],
    );

    let incomplete = root.join("clean/0000000000000000");
    std::fs::create_dir_all(incomplete.join("docs")).unwrap();
    std::fs::write(incomplete.join("docs/a.txt"), "江湖\n").unwrap();
    check(
        root,
        &incomplete,
        &default,
        &["0000000000000000", "incomplete"],
    );

    let other_root = tempfile::tempdir().unwrap();
    let v2 = clean_artifact_version(other_root.path(), &[("a.txt", "江湖\n")], 2);
    check(root, &v2, &default, &["format version 2", "version 1"]);

    let empty = clean_artifact(root, &[]);
    check(root, &empty, &default, &["no text"]);

    check(
        root,
        &good,
        &with_dict(root, "令狐冲 nr\n岳不群 abc1\n"),
        &["names.dict:2", "abc1", "word [freq] [tag]"],
    );
    check(
        root,
        &good,
        &with_dict(root, "令狐冲 x nr\n"),
        &["names.dict:1", "frequency `x`"],
    );
    check(
        root,
        &good,
        &with_dict(root, "\n令狐冲 3 nr extra\n"),
        &["names.dict:2", "4 fields"],
    );
    let missing_dict = TokenizeConfig {
        user_dict: Some(root.join("absent.dict")),
        ..TokenizeConfig::default()
    };
    check(root, &good, &missing_dict, &["absent.dict"]);

    let zero = TokenizeConfig {
        min_freq: 0,
        ..TokenizeConfig::default()
    };
    check(root, &good, &zero, &["--min-freq 0", "at least 1"]);

    let tiny = TokenizeConfig {
        max_vocab: Some(2),
        ..TokenizeConfig::default()
    };
    check(root, &good, &tiny, &["--max-vocab 2"]);

    let split = TokenizeConfig {
        split: Split {
            train: 90,
            valid: 5,
            test: 4,
        },
        ..TokenizeConfig::default()
    };
    check(root, &good, &split, &["--split 90/5/4", "sum to 99"]);

    // The good input still works afterwards.
    assert!(run(&good, Some(root), &default, artifact::Existing::Reuse).is_ok());
}

#[test]
fn user_dictionary_lines_parse_like_jieba() {
    let bytes = "\u{feff}令狐冲\n\n  \n岳不群 12\n任盈盈 nr\n向问天 7 nr"
        .as_bytes()
        .to_vec();
    let dict = UserDict::parse(Path::new("names.dict"), bytes.clone()).unwrap();
    let words: Vec<(&str, Option<usize>, Option<&str>)> = dict
        .words
        .iter()
        .map(|w| (w.word.as_str(), w.freq, w.tag.as_deref()))
        .collect();
    assert_eq!(
        words,
        [
            ("令狐冲", None, None),
            ("岳不群", Some(12), None),
            ("任盈盈", None, Some("nr")),
            ("向问天", Some(7), Some("nr")),
        ]
    );
    assert_eq!(dict.bytes, bytes);
}

/// Ten paragraphs of a few characters each.
fn ten_paragraphs() -> String {
    (0..10).map(|i| format!("江湖第{i}回。\n")).collect()
}

#[test]
fn a_split_the_text_cannot_fill_is_refused_with_the_cause() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    // one paragraph: 5% of 1 rounds to nothing
    let one = clean_artifact(root, &[("a.txt", "令狐冲笑了。\n")]);
    let err = run(
        &one,
        Some(root),
        &TokenizeConfig::default(),
        artifact::Existing::Reuse,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("1 paragraph") && err.contains("gets none") && err.contains("add text"),
        "{err}"
    );
    assert!(tokenize_entries(root).is_empty(), "{err}");
    // ten paragraphs at 98/1/1: the suggested split works
    let ten = clean_artifact(root, &[("b.txt", ten_paragraphs().as_str())]);
    let narrow = TokenizeConfig {
        split: Split {
            train: 98,
            valid: 1,
            test: 1,
        },
        ..TokenizeConfig::default()
    };
    let err = run(&ten, Some(root), &narrow, artifact::Existing::Reuse)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--split 90/5/5"), "{err}");
    assert!(tokenize_entries(root).is_empty(), "{err}");
    let suggested = TokenizeConfig {
        split: "90/5/5".parse().unwrap(),
        ..TokenizeConfig::default()
    };
    let out = run(&ten, Some(root), &suggested, artifact::Existing::Reuse).unwrap();
    assert!(out.stats.splits.valid.tokens > 0 && out.stats.splits.test.tokens > 0);
    // a share of 0% is allowed (with a warning): the artifact is for scoring or sampling
    let scoring = TokenizeConfig {
        split: "100/0/0".parse().unwrap(),
        ..TokenizeConfig::default()
    };
    let out = run(&one, Some(root), &scoring, artifact::Existing::Reuse).unwrap();
    assert_eq!(out.stats.splits.valid.tokens, 0);
}

#[test]
fn a_changed_clean_document_is_refused_and_rerunning_clean_repairs_it() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let clean = clean_artifact(root, &[("a.txt", ten_paragraphs().as_str())]);
    let doc = clean.join("docs/a.txt");
    let original = std::fs::read_to_string(&doc).unwrap();
    // same length, one character changed: only the hash tells
    std::fs::write(&doc, original.replacen('江', "河", 1)).unwrap();
    check(
        root,
        &clean,
        &TokenizeConfig::default(),
        &["docs/a.txt", "SHA-256", "cargo xtask clean"],
    );
    // the way out the message names: the clean stage makes its damaged artifact anew
    let again = clean_artifact(root, &[("a.txt", ten_paragraphs().as_str())]);
    assert_eq!(again, clean);
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), original);
    run(
        &clean,
        Some(root),
        &TokenizeConfig::default(),
        artifact::Existing::Reuse,
    )
    .unwrap();
}
