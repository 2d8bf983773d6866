//! The model against a direct, slow transcription of interpolated modified Kneser-Ney (hash
//! maps of whole n-grams, sums over the vocabulary at query time) on small streams: the same
//! counts, discounts and probabilities.

mod common;

use common::{Rng, paragraph_stream};
use ngram::NgramModel;
use std::collections::HashMap;

/// The textbook model: `counts[n]` are the order-n counts it is estimated with.
struct Reference {
    order: usize,
    vocab_size: usize,
    counts: Vec<HashMap<Vec<u32>, u64>>,
    discounts: Vec<[f64; 3]>,
}

impl Reference {
    fn fit(ids: &[u32], vocab_size: usize, order: usize) -> Reference {
        let mut raw: Vec<HashMap<Vec<u32>, u64>> = vec![HashMap::new(); order + 1];
        for (n, grams) in raw.iter_mut().enumerate().skip(1) {
            for gram in ids.windows(n) {
                *grams.entry(gram.to_vec()).or_default() += 1;
            }
        }
        let mut counts = vec![HashMap::new(); order + 1];
        counts[order] = raw[order].clone();
        for n in 1..order {
            // Distinct left neighbours, plus one for the n-gram that starts the stream.
            let mut continuation: HashMap<Vec<u32>, u64> = HashMap::new();
            for longer in raw[n + 1].keys() {
                *continuation.entry(longer[1..].to_vec()).or_default() += 1;
            }
            if ids.len() >= n {
                *continuation.entry(ids[..n].to_vec()).or_default() += 1;
            }
            counts[n] = continuation;
        }
        let discounts = (0..=order)
            .map(|n| {
                let nk = |k: u64| counts[n].values().filter(|&&c| c == k).count() as f64;
                let (n1, n2, n3, n4) = (nk(1), nk(2), nk(3), nk(4));
                let y = n1 / (n1 + 2.0 * n2);
                [
                    1.0 - 2.0 * y * n2 / n1,
                    2.0 - 3.0 * y * n3 / n2,
                    3.0 - 4.0 * y * n4 / n3,
                ]
            })
            .collect();
        Reference {
            order,
            vocab_size,
            counts,
            discounts,
        }
    }

    fn prob(&self, context: &[u32], token: u32) -> f64 {
        let history = &context[context.len().saturating_sub(self.order - 1)..];
        self.prob_at(history.len() + 1, history, token)
    }

    /// p_n(token | history), history of n − 1 ids.
    fn prob_at(&self, n: usize, history: &[u32], token: u32) -> f64 {
        if n == 0 {
            return 1.0 / self.vocab_size as f64;
        }
        let lower = self.prob_at(n - 1, &history[history.len().min(1)..], token);
        let [d1, d2, d3] = self.discounts[n];
        let discount = |c: u64| match c {
            0 => 0.0,
            1 => d1,
            2 => d2,
            _ => d3,
        };
        let mut total = 0u64;
        let mut freed = 0.0;
        let mut own = 0u64;
        for w in 0..self.vocab_size as u32 {
            let mut gram = history.to_vec();
            gram.push(w);
            let c = self.counts[n].get(&gram).copied().unwrap_or(0);
            total += c;
            freed += discount(c);
            if w == token {
                own = c;
            }
        }
        if total == 0 {
            return lower;
        }
        let total = total as f64;
        (own as f64 - discount(own)).max(0.0) / total + freed / total * lower
    }
}

fn compare(
    ids: &[u32],
    vocab_size: usize,
    order: usize,
    min_estimated: usize,
    queries: &[Vec<u32>],
) {
    let model = NgramModel::fit(ids, vocab_size, order).unwrap();
    let mut reference = Reference::fit(ids, vocab_size, order);
    let mut estimated = 0;
    for (n, d) in model.discounts().iter().enumerate() {
        let r = &mut reference.discounts[n + 1];
        let in_range = r
            .iter()
            .enumerate()
            .all(|(k, x)| *x > 0.0 && *x <= (k + 1) as f64);
        if in_range {
            for (a, b) in [d.d1, d.d2, d.d3_plus].iter().zip(*r) {
                assert!(
                    (a - b).abs() < 1e-12,
                    "order {order}, discounts of order {}: {d:?} vs {r:?}",
                    n + 1
                );
            }
            estimated += 1;
        } else {
            // Counts 1..=4 missing at this order (e.g. unigrams of a small vocabulary): the
            // model's fallbacks, which the crate's unit tests cover, apply.
            *r = [d.d1, d.d2, d.d3_plus];
        }
    }
    assert!(
        estimated >= min_estimated,
        "order {order}: only {estimated} orders' discounts came from the plain formula"
    );
    for (n, count) in model.ngram_counts().iter().enumerate() {
        assert_eq!(
            *count,
            reference.counts[n + 1].len(),
            "order {order}: {}-grams",
            n + 1
        );
    }
    for context in queries {
        for token in 0..vocab_size as u32 {
            let p = model.prob(context, token);
            let q = reference.prob(context, token);
            assert!(
                (p - q).abs() <= 1e-12 * q,
                "order {order}, context {context:?}, token {token}: {p} vs reference {q}"
            );
        }
    }
}

fn queries(ids: &[u32], vocab_size: u32, rng: &mut Rng) -> Vec<Vec<u32>> {
    let mut out = vec![vec![], ids[ids.len() - 3..].to_vec()];
    for _ in 0..25 {
        let len = rng.below(6) as usize;
        let at = rng.below((ids.len() - len) as u32) as usize;
        out.push(ids[at..at + len].to_vec());
        // A random context, mostly unseen at the higher orders.
        out.push((0..len).map(|_| rng.below(vocab_size)).collect());
    }
    out
}

#[test]
fn matches_the_reference_on_a_paragraph_stream() {
    let vocab_size = 12;
    let ids = paragraph_stream(6_000, vocab_size, 11);
    let mut rng = Rng::new(12);
    let queries = queries(&ids, vocab_size, &mut rng);
    for order in 1..=4 {
        compare(
            &ids,
            vocab_size as usize,
            order,
            order.saturating_sub(2),
            &queries,
        );
    }
}

#[test]
fn matches_the_reference_on_a_zipf_stream_at_every_order() {
    // Independent ids with p(r) ∝ 1/r² over 2..62 (ids 0, 1, 62, 63 never occur): rare ids give
    // counts 1..=4 at every order, so nearly every order's discounts come from the plain
    // formula (D3+ of raw bigrams comes out negative and is clamped).
    let vocab_size = 64;
    let weights: Vec<f64> = (1..=60).map(|r| 1.0 / f64::from(r * r)).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let mut rng = Rng::new(13);
    let ids: Vec<u32> = (0..3_000).map(|_| 2 + rng.pick(&p)).collect();
    let queries = queries(&ids, vocab_size, &mut rng);
    for order in 1..=5 {
        compare(&ids, vocab_size as usize, order, order - 1, &queries);
    }
}
