//! Generation from the LSTM mixed with the train artifact's n-gram model: used when train found
//! the mixture better on valid, recorded in the summary, exact in the log-probabilities it
//! records, and off with `--no-mixture`.

mod common;

use artifact::{Begin, InputRef, Producer, StageSpec};
use common::{Fixture, fixture, full_log_probs};
use generate::{GenerateConfig, run};
use ngram::NgramModel;
use serde_json::json;
use std::path::PathBuf;
use tokenize::EOS_ID;

const LAMBDA: f64 = 0.6;

/// A train artifact with the fixture's model, an order-3 n-gram model of its train stream in
/// `ngram.bin`, and metrics in which the mixture of weight `LAMBDA` is `better` on valid or not.
fn with_mixture(f: &Fixture, better: bool) -> (PathBuf, NgramModel) {
    let trained = f.load();
    let stream = tokenize::read_u32_stream(&trained.tokenize.path("train.u32")).unwrap();
    let ngram = NgramModel::fit(&stream, trained.config.vocab_size as usize, 3).unwrap();
    let id = trained.tokenize.id().to_owned();
    let spec = StageSpec {
        stage: "train".into(),
        format_version: 1,
        params: json!({"mixture_fixture": better}),
        inputs: vec![InputRef {
            stage: "tokenize".into(),
            id: id.clone(),
            path: format!("tokenize/{id}"),
        }],
    };
    let producer = Producer {
        crate_name: "train".into(),
        version: "0.0.0".into(),
        git_rev: None,
    };
    let Begin::Staging(staging) =
        artifact::begin(&f.root, spec, producer, artifact::Existing::Reuse).unwrap()
    else {
        panic!("a fresh root")
    };
    for file in ["model.safetensors", "config.json"] {
        std::fs::copy(trained.train.path(file), staging.dir().join(file)).unwrap();
    }
    ngram.save(staging.dir().join("ngram.bin")).unwrap();
    let mixed = if better { 1.0 } else { 3.0 };
    let metrics = json!({
        "valid": {"loss": 2.0},
        "baseline": {"mixture": {"lambda": LAMBDA, "valid": {"loss": mixed}}},
    });
    let dir = staging.commit(metrics).unwrap().dir().to_path_buf();
    (dir, ngram)
}

fn greedy_one_token() -> GenerateConfig {
    GenerateConfig {
        device: "cpu".into(),
        temperature: 0.0,
        max_tokens: 1,
        num_samples: 1,
        no_names: true,
        ..Default::default()
    }
}

#[test]
fn a_better_mixture_is_sampled_from_and_its_log_probabilities_recorded() {
    let f = fixture();
    let (train_dir, ngram) = with_mixture(&f, true);
    let out = run(
        &train_dir,
        None,
        &greedy_one_token(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_eq!(out.summary.mixture_lambda, Some(LAMBDA));
    // the first token from <eos>: the mixture's most likely token (<unk> banned), with the
    // mixture's log-probability
    let lstm = &full_log_probs(&f.load().model, &[])[0];
    let ngram_row = ngram.distribution(&[EOS_ID]);
    let mixed: Vec<f64> = lstm
        .iter()
        .zip(&ngram_row)
        .map(|(&l, &g)| (LAMBDA * f64::from(l).exp() + (1.0 - LAMBDA) * g).ln())
        .collect();
    let best = (1..mixed.len())
        .max_by(|&a, &b| mixed[a].total_cmp(&mixed[b]))
        .unwrap();
    let sample = &out.samples[0];
    assert_eq!(sample.tokens, [best as u32]);
    assert!(
        (sample.mean_log_prob - mixed[best]).abs() < 1e-5,
        "{sample:?}"
    );

    let alone = run(
        &train_dir,
        None,
        &GenerateConfig {
            no_mixture: true,
            ..greedy_one_token()
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_eq!(alone.summary.mixture_lambda, None);
    assert_ne!(alone.artifact.id(), out.artifact.id());
    let token = alone.samples[0].tokens[0] as usize;
    assert!((alone.samples[0].mean_log_prob - f64::from(lstm[token])).abs() < 1e-5);
}

#[test]
fn a_mixture_no_better_than_the_lstm_is_not_used() {
    let f = fixture();
    let (train_dir, _) = with_mixture(&f, false);
    let out = run(
        &train_dir,
        None,
        &greedy_one_token(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_eq!(out.summary.mixture_lambda, None);
}

#[test]
fn beam_search_runs_on_the_mixture() {
    let f = fixture();
    let (train_dir, _) = with_mixture(&f, true);
    let config = GenerateConfig {
        beam: Some(3),
        temperature: 0.8,
        max_tokens: 4,
        num_samples: 2,
        ..greedy_one_token()
    };
    let out = run(&train_dir, None, &config, artifact::Existing::Reuse).unwrap();
    assert_eq!(out.summary.mixture_lambda, Some(LAMBDA));
    assert_eq!(out.samples.len(), 2);
}

#[test]
fn score_uses_the_mixture_unless_told_not_to() {
    let f = fixture();
    let (train_dir, ngram) = with_mixture(&f, true);
    let trained = generate::load_trained(&train_dir, tch::Device::Cpu).unwrap();
    assert_eq!(trained.mixture.as_ref().map(|m| m.lambda()), Some(LAMBDA));
    let file = f.dir.path().join("names.txt");
    std::fs::write(&file, "郭靖\n杨过\n黄蓉\n").unwrap();
    let mixed = generate::score_path(&trained, &file, false).unwrap();
    let alone = generate::score_path(&trained, &file, true).unwrap();
    assert_eq!(
        (mixed.mixture_lambda, alone.mixture_lambda),
        (Some(LAMBDA), None)
    );
    // by hand: each token after <eos> and the tokens before it, under both models
    let ids = trained.tokenizer.encode("郭靖\n杨过\n黄蓉\n");
    let lstm = full_log_probs(&trained.model, &ids[..ids.len() - 1]);
    let mut stream = vec![EOS_ID];
    let mut nll = 0.0;
    for (i, &t) in ids.iter().enumerate() {
        let p_ngram = ngram.prob(&stream, t);
        let p_lstm = f64::from(lstm[i][t as usize]).exp();
        nll -= (LAMBDA * p_lstm + (1.0 - LAMBDA) * p_ngram).ln();
        stream.push(t);
    }
    assert!(
        (mixed.mean_nll - nll / ids.len() as f64).abs() < 1e-5,
        "{} vs {}",
        mixed.mean_nll,
        nll / ids.len() as f64
    );
    assert!((mixed.mean_nll - alone.mean_nll).abs() > 1e-6);
}
