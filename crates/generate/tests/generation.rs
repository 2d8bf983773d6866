//! Batched generation and beam search on tiny random models.

mod common;

use common::{fixture, fixture_with, full_log_probs};
use generate::{Limits, Sampler, SamplingParams, beam_search, encode_prompt, generate_batch};
use model::{LstmLm, ModelConfig};
use tokenize::{EOS_ID, UNK_ID};

fn limits(max_tokens: usize) -> Limits {
    Limits {
        max_tokens,
        paragraphs: None,
        stop: None,
    }
}

fn sampling(temperature: f64) -> SamplingParams {
    SamplingParams {
        temperature,
        ..Default::default()
    }
}

#[test]
fn greedy_equals_argmax_step_by_step() {
    let f = fixture_with(common::NAMES, 11, 32);
    let m = f.load();
    let prompt = encode_prompt(&f.tokenizer, "郭").ids;
    let mut samplers = vec![Sampler::new(0, SamplingParams::greedy()).unwrap()];
    let out = generate_batch(
        &m.model,
        f.tokenizer.vocab(),
        &prompt,
        &mut samplers,
        &limits(12),
    )
    .unwrap();
    let tokens = &out[0].tokens;
    assert_eq!(tokens.len(), 12);
    let mut sequence = prompt.clone();
    sequence.extend(tokens);
    let lp = full_log_probs(&m.model, &sequence);
    for (i, &t) in tokens.iter().enumerate() {
        let row = &lp[prompt.len() + i];
        // `<unk>` is never generated (see `unk_is_never_generated_unless_allowed`).
        let best = (0..row.len())
            .filter(|&v| v != UNK_ID as usize)
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap();
        assert_eq!(t, best as u32, "step {i}");
        assert!((out[0].log_probs[i] - row[best]).abs() < 1e-4);
    }
}

#[test]
fn one_step_at_a_time_equals_the_fused_lstm() {
    // three layers, three sequences: the cell-by-cell step that decoding uses must match the
    // fused kernel that training and priming use
    let rng = artifact::fixture::torch_lock();
    tch::manual_seed(5);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let model = LstmLm::new(&vs.root(), &ModelConfig::new(11, 6, 16, 3)).unwrap();
    drop(rng);
    let _guard = tch::no_grad_guard();
    let tokens = tch::Tensor::from_slice(&[1i64, 4, 7, 2, 3, 3, 10, 0, 5, 9, 1, 6]).view([3, 4]);
    let (fused, fused_state) = model.hidden(&tokens, &model.zero_state(3), false);
    let mut state = model.zero_state(3);
    for t in 0..4 {
        let (out, next) = model.step(&tokens.select(1, t), &state);
        let diff = (out - fused.select(1, t)).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "step {t}: {diff}");
        state = next;
    }
    for (mine, theirs) in [(&state.h, &fused_state.h), (&state.c, &fused_state.c)] {
        assert_eq!(mine.size(), theirs.size());
        assert!((mine - theirs).abs().max().double_value(&[]) < 1e-5);
    }
}

#[test]
fn batched_equals_one_by_one() {
    // 6 rows decode like one (through `lstm_cell`); PACKED_MIN_BATCH rows and more through the
    // oneDNN-packed weights: both must give each seed the sample it gets alone
    for n in [6, model::PACKED_MIN_BATCH as u64] {
        batched_equals_one_by_one_at(n);
    }
}

fn batched_equals_one_by_one_at(n: u64) {
    let f = fixture();
    let m = f.load();
    let vocab = f.tokenizer.vocab();
    let prompt = encode_prompt(&f.tokenizer, "黄").ids;
    let params = SamplingParams {
        temperature: 1.0,
        top_k: Some(4),
        ..Default::default()
    };
    let lim = Limits {
        max_tokens: 10,
        paragraphs: Some(2),
        stop: None,
    };
    let seeds: Vec<u64> = (1..=n).collect();
    let mut batch: Vec<Sampler> = seeds
        .iter()
        .map(|&s| Sampler::new(s, params.clone()).unwrap())
        .collect();
    let batched = generate_batch(&m.model, vocab, &prompt, &mut batch, &lim).unwrap();
    assert_eq!(batched.len(), seeds.len());
    for (i, &seed) in seeds.iter().enumerate() {
        let mut one = vec![Sampler::new(seed, params.clone()).unwrap()];
        let single = generate_batch(&m.model, vocab, &prompt, &mut one, &lim).unwrap();
        assert_eq!(single[0].tokens, batched[i].tokens, "sample {i}");
        for (a, b) in single[0].log_probs.iter().zip(&batched[i].log_probs) {
            assert!((a - b).abs() < 1e-4);
        }
    }
    let distinct: std::collections::HashSet<_> = batched.iter().map(|g| &g.tokens).collect();
    assert!(distinct.len() > 1, "different seeds give different samples");
}

#[test]
fn length_limits_end_each_sample() {
    let f = fixture();
    let m = f.load();
    let vocab = f.tokenizer.vocab();
    let mut samplers: Vec<Sampler> = (0..20)
        .map(|s| Sampler::new(s, sampling(1.0)).unwrap())
        .collect();
    let lim = Limits {
        max_tokens: 30,
        paragraphs: Some(2),
        stop: None,
    };
    for g in generate_batch(&m.model, vocab, &[], &mut samplers, &lim).unwrap() {
        let eos = g.tokens.iter().filter(|&&t| t == EOS_ID).count();
        assert!(g.tokens.len() <= 30);
        if g.tokens.len() < 30 {
            assert_eq!(eos, 2, "{:?}", g.tokens);
            assert_eq!(*g.tokens.last().unwrap(), EOS_ID);
        } else {
            assert!(eos <= 2);
        }
        assert!(eos < 2 || *g.tokens.last().unwrap() == EOS_ID);
    }

    let stop_id = vocab.id("蓉").unwrap();
    let mut samplers: Vec<Sampler> = (0..20)
        .map(|s| Sampler::new(s, sampling(1.0)).unwrap())
        .collect();
    let lim = Limits {
        max_tokens: 40,
        paragraphs: None,
        stop: Some("蓉".into()),
    };
    let out = generate_batch(&m.model, vocab, &[], &mut samplers, &lim).unwrap();
    let mut stopped = 0;
    for g in &out {
        let first = g.tokens.iter().position(|&t| t == stop_id);
        match first {
            Some(i) => {
                assert_eq!(i + 1, g.tokens.len(), "ends right after the stop string");
                stopped += 1;
            }
            None => assert_eq!(g.tokens.len(), 40),
        }
    }
    assert!(stopped > 0);
}

#[test]
fn prompt_outside_the_vocabulary_becomes_unk() {
    let f = fixture();
    let v = f.tokenizer.vocab();
    let p = encode_prompt(&f.tokenizer, "郭靖X\n杨");
    let expected = vec![
        v.id("郭").unwrap(),
        v.id("靖").unwrap(),
        UNK_ID,
        EOS_ID,
        v.id("杨").unwrap(),
    ];
    assert_eq!(p.ids, expected);
    assert_eq!(p.unknown, vec!["X".to_string()]);
    assert_eq!(p.unk_count, 1);
}

#[test]
fn detokenisation_joins_without_spaces_and_eos_is_a_newline() {
    let f = fixture();
    let v = f.tokenizer.vocab();
    let ids: Vec<u32> = ["郭", "靖", "<eos>", "黄", "蓉"]
        .iter()
        .map(|t| v.id(t).unwrap())
        .collect();
    assert_eq!(f.tokenizer.decode(&ids), "郭靖\n黄蓉");
}

#[test]
fn beam_of_width_one_is_greedy() {
    let f = fixture_with(common::NAMES, 3, 32);
    let m = f.load();
    let prompt = encode_prompt(&f.tokenizer, "杨").ids;
    let mut greedy = vec![Sampler::new(0, SamplingParams::greedy()).unwrap()];
    let g = generate_batch(
        &m.model,
        f.tokenizer.vocab(),
        &prompt,
        &mut greedy,
        &limits(8),
    )
    .unwrap();
    let b = beam_search(
        &m.model,
        &prompt,
        1,
        1,
        &SamplingParams::greedy(),
        &limits(8),
    )
    .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].tokens, g[0].tokens);
}

#[test]
fn exhaustive_beam_finds_the_most_likely_sequence() {
    let f = fixture_with(common::NAMES, 5, 16);
    let m = f.load();
    let v = f.tokenizer.vocab().len() as u32;
    let len = 3;
    let prompt = encode_prompt(&f.tokenizer, "郭").ids;
    // enumerate every sequence of `len` tokens and score it with one forward pass each
    let mut best = (f64::NEG_INFINITY, vec![]);
    let total = v.pow(len as u32);
    for code in 0..total {
        let seq: Vec<u32> = (0..len).map(|i| code / v.pow(i as u32) % v).collect();
        let mut full = prompt.clone();
        full.extend(&seq);
        let lp = full_log_probs(&m.model, &full);
        let score: f64 = seq
            .iter()
            .enumerate()
            .map(|(i, &t)| lp[prompt.len() + i][t as usize] as f64)
            .sum();
        if score > best.0 {
            best = (score, seq);
        }
    }
    let b = beam_search(
        &m.model,
        &prompt,
        total as usize,
        1,
        &SamplingParams::greedy(),
        &limits(len),
    )
    .unwrap();
    assert_eq!(b[0].tokens, best.1);
    let beam_score: f64 = b[0].log_probs.iter().map(|&l| l as f64).sum();
    assert!((beam_score - best.0).abs() < 1e-4);
}

#[test]
fn no_repeat_ngram_holds_over_a_long_greedy_run() {
    let f = fixture();
    let m = f.load();
    // The fixture's vocabulary is so small that 60 tokens without a repeated trigram need every
    // token, `<unk>` included.
    let greedy = SamplingParams {
        allow_unk: true,
        ..SamplingParams::greedy()
    };
    let params = SamplingParams {
        no_repeat_ngram: Some(3),
        ..greedy.clone()
    };
    let plain = generate_batch(
        &m.model,
        f.tokenizer.vocab(),
        &[],
        &mut [Sampler::new(0, greedy).unwrap()],
        &limits(60),
    )
    .unwrap();
    let repeats = |t: &[u32]| {
        let mut seen = std::collections::HashSet::new();
        t.windows(3).filter(|w| !seen.insert(w.to_vec())).count()
    };
    assert!(
        repeats(&plain[0].tokens) > 0,
        "greedy on a random model loops"
    );
    let banned = generate_batch(
        &m.model,
        f.tokenizer.vocab(),
        &[],
        &mut [Sampler::new(0, params).unwrap()],
        &limits(60),
    )
    .unwrap();
    assert_eq!(banned[0].tokens.len(), 60);
    assert_eq!(repeats(&banned[0].tokens), 0, "{:?}", banned[0].tokens);
}

#[test]
fn unk_is_never_generated_unless_allowed() {
    let f = fixture();
    let m = f.load();
    // Make `<unk>` by far the most likely next token everywhere.
    tch::no_grad(|| {
        let _ = m.vs.variables()["output.bias"]
            .narrow(0, UNK_ID as i64, 1)
            .fill_(50.0);
    });
    let vocab = f.tokenizer.vocab();
    let run = |params: SamplingParams| {
        let mut samplers: Vec<Sampler> = (0..4)
            .map(|seed| Sampler::new(seed, params.clone()).unwrap())
            .collect();
        generate_batch(&m.model, vocab, &[], &mut samplers, &limits(12)).unwrap()
    };
    let unks = |samples: &[generate::Generated]| -> usize {
        samples
            .iter()
            .flat_map(|s| &s.tokens)
            .filter(|&&t| t == UNK_ID)
            .count()
    };
    for params in [sampling(1.0), SamplingParams::greedy()] {
        let banned = run(params.clone());
        assert!(banned.iter().all(|s| s.tokens.len() == 12));
        assert_eq!(unks(&banned), 0, "{params:?}");
        let allowed = run(SamplingParams {
            allow_unk: true,
            ..params
        });
        assert_eq!(unks(&allowed), 4 * 12, "every token is <unk> when allowed");
    }
    let beam = beam_search(&m.model, &[], 4, 4, &SamplingParams::greedy(), &limits(6)).unwrap();
    assert!(!beam.is_empty());
    assert_eq!(unks(&beam), 0);
}

/// A batch draws from weights that libtorch makes for all its rows at once; a sampler on its
/// own makes them on the host. Both must draw the same tokens from the same seed, with and
/// without the penalties and cuts that change a few weights after the fact.
#[test]
fn draws_from_libtorch_weights_equal_the_samplers_own() {
    use generate::sampler::WeightedRow;
    let (rows, vocab) = (40i64, 300i64);
    let logits = tch::Tensor::randn([rows, vocab], (tch::Kind::Float, tch::Device::Cpu)) * 3.0;
    let log_probs = logits.log_softmax(-1, tch::Kind::Float);
    let variants = [
        sampling(0.7),
        SamplingParams {
            temperature: 1.3,
            repetition_penalty: 1.5,
            no_repeat_ngram: Some(2),
            ..Default::default()
        },
        SamplingParams {
            temperature: 0.9,
            top_k: Some(40),
            top_p: Some(0.8),
            ..Default::default()
        },
    ];
    for params in variants {
        let t = params.temperature;
        let max = log_probs.amax([1i64], true);
        let weights = ((&log_probs - &max) / t).exp();
        let host = |x: &tch::Tensor| Vec::<f32>::try_from(x.reshape([-1])).unwrap();
        let (lp, w, max) = (host(&log_probs), host(&weights), host(&max));
        let (mut batch, mut alone) = (
            Sampler::new(7, params.clone()).unwrap(),
            Sampler::new(7, params.clone()).unwrap(),
        );
        let mut history = vec![3u32, 4, 3];
        for (r, &row_max) in max.iter().enumerate() {
            let span = r * vocab as usize..(r + 1) * vocab as usize;
            let row = WeightedRow {
                log_probs: &lp[span.clone()],
                weights: &w[span.clone()],
                max: row_max,
            };
            let drawn = batch.sample_weighted(row, &history);
            assert_eq!(
                drawn,
                alone.sample(&lp[span], &history),
                "{params:?}, row {r}"
            );
            history.push(drawn);
        }
    }
}

/// Rows of one batch at different temperatures each draw what their own sampler draws from the
/// model's log-probabilities (with `<unk>` banned), computed here by one fused forward pass:
/// the batch's weights follow each row's temperature.
#[test]
fn each_row_of_a_batch_draws_at_its_own_temperature() {
    let f = fixture_with(common::NAMES, 11, 32);
    let m = f.load();
    let prompt = encode_prompt(&f.tokenizer, "郭").ids;
    let temperatures = [0.4, 1.0, 2.5];
    let samplers = |seed: u64| -> Vec<Sampler> {
        temperatures
            .iter()
            .map(|&t| Sampler::new(seed, sampling(t)).unwrap())
            .collect()
    };
    let mut batch = samplers(5);
    let out = generate_batch(
        &m.model,
        f.tokenizer.vocab(),
        &prompt,
        &mut batch,
        &limits(10),
    )
    .unwrap();
    for (k, (sample, mut alone)) in out.iter().zip(samplers(5)).enumerate() {
        let mut sequence = prompt.clone();
        sequence.extend(&sample.tokens);
        let lp = full_log_probs(&m.model, &sequence);
        let mut history = prompt.clone();
        for (i, &t) in sample.tokens.iter().enumerate() {
            let mut row = lp[prompt.len() + i].clone();
            row[UNK_ID as usize] = f32::NEG_INFINITY;
            assert_eq!(
                alone.sample(&row, &history),
                t,
                "temperature {}, step {i}",
                temperatures[k]
            );
            history.push(t);
        }
    }
}
