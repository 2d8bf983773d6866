//! Vocabulary ordering and the split rule, as pure functions.

use tokenize::split::split_counts;
use tokenize::{Split, TokenizeError, Vocab};

fn tokens(v: &Vocab) -> Vec<&str> {
    v.tokens().collect()
}

#[test]
fn vocab_orders_by_count_then_token_string() {
    let counts = [("b", 2), ("a", 2), ("c", 5), ("d", 1), ("乙", 2), ("甲", 2)];
    let v = Vocab::build(counts, 1, None);
    assert_eq!(
        tokens(&v),
        ["<unk>", "<eos>", "c", "a", "b", "乙", "甲", "d"]
    );
    // Input order does not matter.
    let mut reversed = counts;
    reversed.reverse();
    assert_eq!(Vocab::build(reversed, 1, None), v);
    assert_eq!(v.id("a"), Some(3));
    assert_eq!(v.id("zz"), None);
    assert_eq!(v.id_or_unk("zz"), 0);
    assert_eq!(v.token(2), "c");
    assert_eq!(v.count(2), 5);
    assert_eq!((v.unk_id(), v.eos_id(), v.len()), (0, 1, 8));
}

#[test]
fn min_freq_and_max_vocab_drop_the_rarest() {
    let counts = [("b", 2), ("a", 2), ("c", 5), ("d", 1)];
    assert_eq!(
        tokens(&Vocab::build(counts, 2, None)),
        ["<unk>", "<eos>", "c", "a", "b"]
    );
    // max_vocab counts the specials.
    assert_eq!(
        tokens(&Vocab::build(counts, 1, Some(4))),
        ["<unk>", "<eos>", "c", "a"]
    );
    // Literal special strings in the counts are not duplicated.
    assert_eq!(
        tokens(&Vocab::build([("<unk>", 9), ("x", 1)], 1, None)),
        ["<unk>", "<eos>", "x"]
    );
}

#[test]
fn ids_from_the_build_agree_with_lookups() {
    // "zero" was seen only outside the train split; "d" falls under min_freq 2, "b" under
    // max_vocab; the literal "<eos>" is the special, not a token of its own.
    let counts = [
        ("b", 2),
        ("zero", 0),
        ("a", 3),
        ("c", 5),
        ("d", 1),
        ("<eos>", 7),
    ];
    let (v, ids) = Vocab::build_with_ids(&counts, 2, Some(4));
    assert_eq!(tokens(&v), ["<unk>", "<eos>", "c", "a"]);
    assert_eq!(ids, [0, 0, 3, 2, 0, 0]);
    for ((token, _), id) in counts.iter().zip(&ids) {
        if *token != "<eos>" {
            assert_eq!(v.id_or_unk(token), *id, "{token}");
        }
    }
    assert_eq!(Vocab::build(counts, 2, Some(4)), v);
    // a count of 0 is never kept, even with min_freq 0
    let (v, ids) = Vocab::build_with_ids(&[("zero", 0), ("x", 1)], 0, None);
    assert_eq!((tokens(&v), ids), (vec!["<unk>", "<eos>", "x"], vec![0, 2]));
}

#[test]
fn split_rule_contiguous_blocks_with_cumulative_rounding() {
    fn check(per_doc: &[usize], split: &str, expected: &[[usize; 3]]) {
        let split: Split = split.parse().unwrap();
        assert_eq!(
            split_counts(per_doc, split),
            expected,
            "{per_doc:?} at {split}"
        );
    }
    check(&[100], "90/5/5", &[[90, 5, 5]]);
    check(&[10], "90/5/5", &[[8, 1, 1]]);
    check(&[9], "90/5/5", &[[9, 0, 0]]);
    check(&[3], "90/5/5", &[[3, 0, 0]]);
    // Many short documents still give valid and test their share.
    check(&[4, 4, 4], "90/5/5", &[[4, 0, 0], [4, 0, 0], [2, 1, 1]]);
    check(
        &[1, 1, 1, 1],
        "50/25/25",
        &[[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]],
    );
    check(&[4, 2], "50/25/25", &[[2, 1, 1], [0, 1, 1]]);
    check(&[5], "100/0/0", &[[5, 0, 0]]);
    check(&[], "90/5/5", &[]);
}

#[test]
fn split_flag_parsing_and_validation() {
    assert_eq!(
        "80,10,10".parse::<Split>().unwrap(),
        Split {
            train: 80,
            valid: 10,
            test: 10
        }
    );
    for bad in ["90/5/4", "90/5", "a/b/c", "0/50/50", "90/5/5/0"] {
        let err = bad.parse::<Split>().unwrap_err();
        assert!(matches!(err, TokenizeError::Split(_)), "{bad}: {err}");
        assert!(err.to_string().contains("--split"), "{bad}: {err}");
    }
    assert!(
        "90/5/4"
            .parse::<Split>()
            .unwrap_err()
            .to_string()
            .contains("sum to 99")
    );
}
