//! The next-token distribution: it sums to one over the vocabulary for every kind of history,
//! gives every id a positive probability, and agrees with `log_prob` token by token.

mod common;

use common::paragraph_stream;
use ngram::NgramModel;

const VOCAB: u32 = 40;

fn histories(ids: &[u32]) -> Vec<(&'static str, Vec<u32>)> {
    vec![
        ("empty", vec![]),
        ("seen, one id", ids[10..11].to_vec()),
        ("seen, order − 1 ids", ids[100..104].to_vec()),
        ("seen, longer than the order", ids[200..230].to_vec()),
        (
            "the end of the training stream",
            ids[ids.len() - 6..].to_vec(),
        ),
        ("after <eos>", vec![5, 1]),
        (
            "unseen ids (absent from training)",
            vec![VOCAB - 1, VOCAB - 2, VOCAB - 3],
        ),
        ("seen then unseen", vec![ids[7], ids[8], VOCAB - 1]),
        ("unseen then seen", vec![VOCAB - 1, ids[7], ids[8], ids[9]]),
        (
            "ids outside the vocabulary",
            vec![ids[7], VOCAB + 5, u32::MAX],
        ),
    ]
}

#[test]
fn distribution_sums_to_one_and_is_positive_for_every_kind_of_history() {
    let ids = paragraph_stream(20_000, VOCAB, 1);
    for order in [1, 2, 3, 5, 10] {
        let model = NgramModel::fit(&ids, VOCAB as usize, order).unwrap();
        for (what, history) in histories(&ids) {
            let dist = model.distribution(&history);
            assert_eq!(dist.len(), VOCAB as usize);
            let sum: f64 = dist.iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-9,
                "order {order}, history {what}: sums to {sum}"
            );
            assert!(
                dist.iter().all(|&p| p > 0.0 && p.is_finite()),
                "order {order}, history {what}: an id has probability {:?}",
                dist.iter().copied().fold(f64::INFINITY, f64::min)
            );
        }
    }
}

#[test]
fn distribution_equals_exp_log_prob_per_token() {
    let ids = paragraph_stream(20_000, VOCAB, 2);
    for order in [1, 3, 5] {
        let model = NgramModel::fit(&ids, VOCAB as usize, order).unwrap();
        for (what, history) in histories(&ids) {
            let dist = model.distribution(&history);
            for (token, &p) in dist.iter().enumerate() {
                let q = model.log_prob(&history, token as u32).exp();
                assert!(
                    (p - q).abs() <= 1e-12 * p.max(q),
                    "order {order}, history {what}, token {token}: {p} vs {q}"
                );
            }
        }
    }
}

#[test]
fn distribution_into_reuses_a_buffer() {
    let ids = paragraph_stream(5_000, VOCAB, 3);
    let model = NgramModel::fit(&ids, VOCAB as usize, 4).unwrap();
    let mut buffer = vec![7.0; VOCAB as usize];
    for (_, history) in histories(&ids) {
        model.distribution_into(&history, &mut buffer);
        assert_eq!(buffer, model.distribution(&history));
    }
}

#[test]
fn only_the_last_order_minus_one_ids_of_the_context_matter() {
    let ids = paragraph_stream(10_000, VOCAB, 4);
    let model = NgramModel::fit(&ids, VOCAB as usize, 3).unwrap();
    let long = &ids[500..520];
    let short = &long[long.len() - 2..];
    assert_eq!(model.distribution(long), model.distribution(short));
    for token in 0..VOCAB {
        assert_eq!(model.log_prob(long, token), model.log_prob(short, token));
    }
}

#[test]
fn seen_continuations_are_more_likely_than_under_a_unigram_model() {
    // A stream where 7 always follows 3 5.
    let mut ids = paragraph_stream(10_000, VOCAB, 5);
    for i in (0..ids.len() - 3).step_by(50) {
        ids[i..i + 3].copy_from_slice(&[3, 5, 7]);
    }
    let trigram = NgramModel::fit(&ids, VOCAB as usize, 3).unwrap();
    let unigram = NgramModel::fit(&ids, VOCAB as usize, 1).unwrap();
    assert!(trigram.log_prob(&[3, 5], 7) > (0.5f64).ln());
    assert!(trigram.log_prob(&[3, 5], 7) > unigram.log_prob(&[3, 5], 7));
}

#[test]
fn an_id_outside_the_vocabulary_has_probability_zero() {
    let ids = paragraph_stream(2_000, VOCAB, 6);
    let model = NgramModel::fit(&ids, VOCAB as usize, 3).unwrap();
    assert_eq!(model.log_prob(&ids[..5], VOCAB), f64::NEG_INFINITY);
    assert_eq!(model.prob(&[], u32::MAX), 0.0);
    assert!(model.mean_nll(&[2, 3, VOCAB]).is_infinite());
}

#[test]
fn scoring_a_stream_agrees_with_log_prob() {
    let train = paragraph_stream(30_000, VOCAB, 7);
    let valid = paragraph_stream(20_000, VOCAB, 8);
    let model = NgramModel::fit(&train, VOCAB as usize, 4).unwrap();
    let per_token = model.token_log_probs(&valid);
    assert_eq!(per_token.len(), valid.len());
    for i in [0, 1, 2, 3, 4, 4095, 4096, 4097, valid.len() - 1] {
        let context = &valid[..i];
        assert_eq!(
            per_token[i],
            model.log_prob(context, valid[i]),
            "position {i}"
        );
    }
    // The first token is predicted from an empty context.
    assert_eq!(per_token[0], model.log_prob(&[], valid[0]));
    let mean = -per_token.iter().sum::<f64>() / valid.len() as f64;
    let nll = model.mean_nll(&valid);
    assert!((nll - mean).abs() < 1e-9, "{nll} vs {mean}");
    assert!(nll > 0.0 && nll < (VOCAB as f64).ln());
    // The same figure every time (the chunk sums are added in order).
    assert_eq!(nll.to_bits(), model.mean_nll(&valid).to_bits());
    assert!(model.mean_nll(&[]).is_nan());
}

#[test]
fn a_one_token_stream_fits_at_every_order() {
    for order in 1..=10 {
        let model = NgramModel::fit(&[4], 6, order).unwrap();
        for history in [vec![], vec![4], vec![4, 4, 4], vec![0, 1, 2]] {
            let sum: f64 = model.distribution(&history).iter().sum();
            assert!((sum - 1.0).abs() < 1e-9, "order {order}: {sum}");
        }
        // With every count 1, the Chen-Goodman estimate is D1 = 1: all the mass goes to the
        // uniform distribution, so the seen id is no less likely than the others.
        assert!(model.log_prob(&[], 4) >= model.log_prob(&[], 3));
        assert_eq!(model.ngram_counts()[0], 1);
    }
}

#[test]
fn the_model_reports_its_shape() {
    let ids = paragraph_stream(10_000, VOCAB, 9);
    let model = NgramModel::fit(&ids, VOCAB as usize, 5).unwrap();
    assert_eq!(model.order(), 5);
    assert_eq!(model.params().order, 5);
    assert_eq!(model.vocab_size(), VOCAB as usize);
    assert_eq!(model.discounts().len(), 5);
    let counts = model.ngram_counts();
    assert_eq!(
        counts[0],
        (VOCAB - 3) as usize,
        "the last three ids never occur"
    );
    assert!(counts.windows(2).all(|w| w[0] <= w[1]));
    assert!(counts[4] <= ids.len() - 4);
    assert!(model.heap_bytes() > 0);
}

#[test]
fn sparse_parts_add_up_to_the_distribution() {
    let ids = paragraph_stream(20_000, VOCAB, 3);
    for order in [1, 2, 5] {
        let model = NgramModel::fit(&ids, VOCAB as usize, order).unwrap();
        let unigram = model.distribution(&[]);
        let mut sparse = Vec::new();
        for (what, history) in histories(&ids) {
            let weight = model.sparse_distribution(&history, &mut sparse);
            let mut rebuilt: Vec<f64> = unigram.iter().map(|p| weight * p).collect();
            for &(id, term) in &sparse {
                rebuilt[id as usize] += term;
            }
            let dist = model.distribution(&history);
            for (id, (&a, &b)) in rebuilt.iter().zip(&dist).enumerate() {
                assert!(
                    (a - b).abs() < 1e-12,
                    "order {order}, history {what}, id {id}: {a} rebuilt, {b} whole"
                );
            }
            if order == 1 || what == "empty" {
                assert!(sparse.is_empty() && weight == 1.0, "order {order}, {what}");
            }
        }
    }
}
