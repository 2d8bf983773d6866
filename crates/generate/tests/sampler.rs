//! The sampler on hand-made rows of log-probabilities.

use generate::sampler::{argmax, banned_by_ngram, candidates};
use generate::{Sampler, SamplingParams};
use tokenize::EOS_ID;

fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
    logits.iter().map(|l| l - max - sum.ln()).collect()
}

/// Deterministic pseudo-random rows (a linear congruential generator, independent of the crate).
fn rows(n: usize, v: usize) -> Vec<Vec<f32>> {
    let mut x: u64 = 12345;
    (0..n)
        .map(|_| {
            let logits: Vec<f32> = (0..v)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 1000) as f32 / 100.0
                })
                .collect();
            log_softmax(&logits)
        })
        .collect()
}

fn sampling(temperature: f64, top_k: Option<usize>, top_p: Option<f64>) -> SamplingParams {
    SamplingParams {
        temperature,
        top_k,
        top_p,
        ..Default::default()
    }
}

#[test]
fn greedy_equals_argmax() {
    let mut sampler = Sampler::new(1, SamplingParams::greedy()).unwrap();
    for row in rows(50, 37) {
        let best = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
            .unwrap();
        assert_eq!(sampler.sample(&row, &[]), best as u32);
        assert_eq!(argmax(&row), best as u32);
    }
}

#[test]
fn top_k_never_emits_outside_the_top_k() {
    for row in rows(5, 20) {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        let top: Vec<u32> = order[..3].iter().map(|&i| i as u32).collect();
        let mut sampler = Sampler::new(3, sampling(2.0, Some(3), None)).unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let t = sampler.sample(&row, &[]);
            assert!(top.contains(&t), "token {t} is not among the top 3 {top:?}");
            seen.insert(t);
        }
        assert_eq!(seen.len(), 3, "all of the top 3 are drawn at temperature 2");
    }
}

#[test]
fn top_p_keeps_the_smallest_set_reaching_p() {
    let probs = [0.05f32, 0.5, 0.15, 0.3];
    let row: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
    let check = |p: f64, expected: &[u32]| {
        let kept: Vec<u32> = candidates(&sampling(1.0, None, Some(p)), &row)
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(kept, expected, "top-p {p}");
    };
    check(0.4, &[1]);
    check(0.5, &[1]);
    check(0.51, &[1, 3]);
    check(0.8, &[1, 3]);
    check(0.81, &[1, 3, 2]);
    check(1.0, &[1, 3, 2, 0]);
    let mut sampler = Sampler::new(9, sampling(1.0, None, Some(0.8))).unwrap();
    let draws: Vec<u32> = (0..1000).map(|_| sampler.sample(&row, &[])).collect();
    assert!(draws.iter().all(|t| *t == 1 || *t == 3));
    // renormalised over {1, 3}: 0.5 / 0.8 = 0.625 of the draws are token 1
    let ones = draws.iter().filter(|&&t| t == 1).count();
    assert!(
        (560..690).contains(&ones),
        "{ones} of 1000 draws are token 1"
    );
}

#[test]
fn nucleus_of_a_large_vocabulary_equals_a_full_sort() {
    // flat rows of 2,000 tokens (with ties) need nuclei of hundreds of tokens: far past the
    // first candidates the nucleus search sorts
    let mut rows = rows(6, 2000);
    rows[0].iter_mut().step_by(3).for_each(|l| *l = -9.0);
    for row in &rows {
        for temperature in [0.5, 1.0, 3.0] {
            for top_k in [None, Some(1500)] {
                for p in [0.1, 0.5, 0.9, 0.99, 1.0] {
                    let params = sampling(temperature, top_k, Some(p));
                    let got: Vec<u32> = candidates(&params, row).iter().map(|c| c.0).collect();
                    assert_eq!(
                        got,
                        reference_nucleus(row, temperature, top_k, p),
                        "{params:?}"
                    );
                }
            }
        }
    }
}

/// Top-k then top-p by sorting the whole row, most likely (then lowest id) first.
fn reference_nucleus(row: &[f32], temperature: f64, top_k: Option<usize>, p: f64) -> Vec<u32> {
    let weights: Vec<f64> = row
        .iter()
        .map(|&l| (l as f64 / temperature).exp())
        .collect();
    let mut order: Vec<u32> = (0..row.len() as u32).collect();
    order.sort_by(|&a, &b| {
        weights[b as usize]
            .total_cmp(&weights[a as usize])
            .then(a.cmp(&b))
    });
    order.truncate(top_k.unwrap_or(row.len()));
    let total: f64 = order.iter().map(|&i| weights[i as usize]).sum();
    let mut mass = 0.0;
    let keep = order
        .iter()
        .position(|&i| {
            mass += weights[i as usize] / total;
            mass >= p - 1e-6
        })
        .map_or(order.len(), |i| i + 1);
    order.truncate(keep);
    order
}

#[test]
fn draws_over_the_whole_vocabulary_follow_the_tempered_distribution() {
    let probs = [0.1f32, 0.4, 0.2, 0.3];
    let row: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
    for temperature in [1.0, 0.5] {
        let mut sampler = Sampler::new(3, sampling(temperature, None, None)).unwrap();
        let mut counts = [0usize; 4];
        for _ in 0..20_000 {
            counts[sampler.sample(&row, &[]) as usize] += 1;
        }
        let tempered: Vec<f64> = probs
            .iter()
            .map(|&p| (p as f64).powf(1.0 / temperature))
            .collect();
        let total: f64 = tempered.iter().sum();
        for (i, &c) in counts.iter().enumerate() {
            let expected = tempered[i] / total;
            let got = c as f64 / 20_000.0;
            assert!(
                (got - expected).abs() < 0.015,
                "t {temperature} token {i}: {got} vs {expected}"
            );
        }
    }
    // a banned token (here by the n-gram ban: 2 after 1 would repeat "1 2") is never drawn
    let params = SamplingParams {
        temperature: 1.0,
        no_repeat_ngram: Some(2),
        ..Default::default()
    };
    let mut sampler = Sampler::new(4, params).unwrap();
    assert!((0..2000).all(|_| sampler.sample(&row, &[1, 2, 1]) != 2));
}

#[test]
fn a_row_with_every_token_banned_ends_the_paragraph() {
    let row = vec![f32::NEG_INFINITY; 6];
    for params in [
        SamplingParams::greedy(),
        sampling(1.0, None, None),
        sampling(1.0, Some(3), Some(0.9)),
    ] {
        let mut sampler = Sampler::new(1, params.clone()).unwrap();
        assert_eq!(sampler.sample(&row, &[]), EOS_ID, "{params:?}");
    }
}

#[test]
fn same_seed_same_samples() {
    let rows = rows(100, 30);
    let draw = |seed: u64| -> Vec<u32> {
        let mut s = Sampler::new(seed, sampling(1.0, Some(10), Some(0.9))).unwrap();
        rows.iter().map(|r| s.sample(r, &[])).collect()
    };
    assert_eq!(draw(5), draw(5));
    assert_ne!(draw(5), draw(6));
}

#[test]
fn repetition_penalty_and_ngram_ban() {
    // token 2 is the most likely but was seen; with a penalty token 3 wins
    let row = log_softmax(&[0.0, 0.0, 2.0, 1.9]);
    let mut plain = Sampler::new(0, SamplingParams::greedy()).unwrap();
    assert_eq!(plain.sample(&row, &[2]), 2);
    let params = SamplingParams {
        repetition_penalty: 1.5,
        ..SamplingParams::greedy()
    };
    let mut penalised = Sampler::new(0, params).unwrap();
    assert_eq!(penalised.sample(&row, &[2]), 3);

    assert_eq!(banned_by_ngram(&[1, 2, 3, 1, 2], 3), vec![3]);
    assert_eq!(banned_by_ngram(&[1, 2, 3, 1, 2], 2), vec![3]);
    assert_eq!(banned_by_ngram(&[1, 2, 1, 2, 1], 2), vec![2, 2]);
    let params = SamplingParams {
        no_repeat_ngram: Some(2),
        ..SamplingParams::greedy()
    };
    let mut banned = Sampler::new(0, params).unwrap();
    assert_eq!(
        banned.sample(&row, &[2, 2]),
        3,
        "2 2 would repeat the bigram"
    );
}

#[test]
fn bad_settings_name_the_flag() {
    let check = |params: SamplingParams, flag: &str| {
        let err = Sampler::new(0, params).unwrap_err().to_string();
        assert!(err.starts_with(flag), "`{err}` should name {flag}");
    };
    check(sampling(-0.1, None, None), "--temperature");
    check(sampling(1.0, Some(0), None), "--top-k");
    check(sampling(1.0, None, Some(0.0)), "--top-p");
    check(sampling(1.0, None, Some(1.5)), "--top-p");
    check(
        SamplingParams {
            repetition_penalty: 0.5,
            ..Default::default()
        },
        "--repetition-penalty",
    );
    assert!(Sampler::new(0, sampling(0.0, Some(1), Some(1.0))).is_ok());
}
