//! The stage end to end on tiny generated corpora: learning, outputs, determinism, exact
//! resume, skipping and stopping.

mod common;

use artifact::fixture::torch_lock;
use common::{
    at_step, checkpointing_config, locked_periodic_input, periodic_corpus, tiny_config,
    tokenize_artifact, train_entries,
};
use std::path::Path;
use tch::Device;
use train::metrics::{Record, from_jsonl};
use train::{StepAction, StopReason, TrainConfig, TrainError, run, run_with_hook};

fn records(dir: &Path) -> Vec<Record> {
    from_jsonl(&std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap()).unwrap()
}

/// The records without the wall-clock throughput.
fn losses(dir: &Path) -> Vec<(String, u64, u64, u64, f64, f64)> {
    records(dir)
        .into_iter()
        .map(|r| {
            (
                r.split,
                r.step,
                u64::from(r.epoch),
                r.tokens_seen,
                r.loss,
                r.lr,
            )
        })
        .collect()
}

#[test]
fn loss_decreases_on_a_learnable_sequence_and_outputs_are_complete() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let input = tokenize_artifact(root, &periodic_corpus(60));
    let config = TrainConfig {
        epochs: Some(12),
        dropout: Some(0.0),
        eval_every: Some(0),
        ..tiny_config()
    };
    let outcome = run(&input, root, &config, train::RunOptions::default()).unwrap();
    assert!(!outcome.skipped);
    let dir = outcome.artifact.dir();
    let valid: Vec<Record> = records(dir)
        .into_iter()
        .filter(|r| r.split == "valid")
        .collect();
    assert_eq!(valid.len(), 12, "one validation per epoch");
    let (first, last) = (valid[0].loss, valid[valid.len() - 1].loss);
    // 9 ids (7 characters + <unk> + <eos>): uniform is ln 9 ≈ 2.2 nats.
    assert!(
        last < 0.5 && last < first / 3.0,
        "valid loss {first} → {last}"
    );
    let s = &outcome.summary;
    assert_eq!(s.stop_reason, StopReason::Epochs);
    assert_eq!(s.epochs_completed, 12);
    assert!(s.test.loss < 0.5, "{s:?}");
    // Perplexity and bpc follow from the loss: 60 paragraphs at 60/20/20 give 12 valid
    // paragraphs of 8 tokens and 8 characters (7 + the newline).
    assert!((s.valid.perplexity - s.valid.loss.exp()).abs() < 1e-9);
    let expected_bpc = s.valid.loss * 96.0 / std::f64::consts::LN_2 / 96.0;
    assert!((s.valid.bits_per_char - expected_bpc).abs() < 1e-9, "{s:?}");
    // The n-gram baseline: a 5-gram predicts this periodic text almost perfectly, and the
    // mixture fitted on valid is never worse there than either part.
    let b = &s.baseline;
    assert_eq!(b.order, 5);
    assert!(b.valid.loss < 0.5 && b.test.loss < 0.5, "{b:?}");
    let mix = &b.mixture;
    assert!((0.0..=1.0).contains(&mix.lambda), "{mix:?}");
    assert!(
        mix.valid.loss <= b.valid.loss.min(s.valid.loss) + 1e-6,
        "{mix:?} vs n-gram {} and LSTM {}",
        b.valid.loss,
        s.valid.loss
    );
    // The best validation loss is what the best weights give.
    let best = valid.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min);
    assert!(
        (s.valid.loss - best).abs() < 1e-6,
        "{} vs {best}",
        s.valid.loss
    );

    let mut files: Vec<&str> = outcome
        .artifact
        .manifest()
        .outputs
        .iter()
        .map(|o| o.path.as_str())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "config.json",
            "curve.svg",
            "last.safetensors",
            "metrics.jsonl",
            "model.safetensors",
            "ngram.bin",
            "optim.safetensors",
            "state.bin"
        ]
    );
    let model_config: model::ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(model_config.vocab_size, 9);
    assert_eq!(model_config.hidden_size, 8);
    let (_vs, lm) =
        model::load(&dir.join("model.safetensors"), &model_config, Device::Cpu).unwrap();
    assert_eq!(lm.config(), &model_config);
    let svg = std::fs::read_to_string(dir.join("curve.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("training tokens seen"));
    let test: Vec<Record> = records(dir)
        .into_iter()
        .filter(|r| r.split == "test")
        .collect();
    assert_eq!(test.len(), 1);
    assert_eq!(
        outcome.artifact.manifest().metrics["test"]["loss"],
        test[0].loss
    );

    // The same input and flags: skipped, same artifact.
    let again = run(&input, root, &config, train::RunOptions::default()).unwrap();
    assert!(again.skipped);
    assert_eq!(again.artifact.id(), outcome.artifact.id());
    // the figures read back from the manifest are the very ones computed (floats round-trip)
    assert_eq!(again.summary, outcome.summary);
}

#[test]
fn same_seed_same_losses_other_seed_other_losses() {
    let (_lock, tmp, input) = locked_periodic_input();
    let train = |seed: u64, out: &str| {
        let root = tmp.path().join(out);
        let config = TrainConfig {
            seed,
            ..tiny_config()
        };
        let outcome = run(&input, &root, &config, train::RunOptions::default()).unwrap();
        losses(outcome.artifact.dir())
    };
    let a = train(5, "a");
    assert!(a.len() > 5);
    assert_eq!(a, train(5, "b"));
    assert_ne!(a, train(6, "c"));
}

#[test]
fn interrupted_then_resumed_equals_uninterrupted() {
    let (_lock, tmp, input) = locked_periodic_input();
    let config = checkpointing_config();
    let whole = run(
        &input,
        &tmp.path().join("whole"),
        &config,
        train::RunOptions::default(),
    )
    .unwrap();

    let root = tmp.path().join("parts");
    // Stop mid-epoch (7 batches per epoch at 2 × 8 over 193 train tokens… any step works).
    let err = run_with_hook(
        &input,
        &root,
        &config,
        train::RunOptions::default(),
        &at_step(10, StepAction::Stop),
    )
    .unwrap_err();
    let TrainError::Interrupted { step, dir } = &err else {
        panic!("{err}")
    };
    assert_eq!(*step, 10);
    assert!(err.to_string().contains("--resume"), "{err}");
    // No artifact, only the hidden resume directory.
    let id = whole.artifact.id();
    assert_eq!(train_entries(&root), [format!(".resume-{id}")]);
    assert_eq!(dir, &root.join("train").join(format!(".resume-{id}")));

    let resumed_config = TrainConfig {
        resume: Some(dir.clone()),
        ..config.clone()
    };
    let resumed = run(&input, &root, &resumed_config, train::RunOptions::default()).unwrap();
    assert_eq!(resumed.artifact.id(), id);
    assert_eq!(losses(resumed.artifact.dir()), losses(whole.artifact.dir()));
    for file in ["model.safetensors", "last.safetensors", "optim.safetensors"] {
        let read = |a: &artifact::Artifact| std::fs::read(a.path(file)).unwrap();
        assert!(
            read(&resumed.artifact) == read(&whole.artifact),
            "{file} differs"
        );
    }
    assert_eq!(resumed.summary.test, whole.summary.test);
    // Committing removed the resume directory.
    assert_eq!(train_entries(&root), [id.to_owned(), "latest".to_owned()]);

    // Resuming with another model shape names the differing fields.
    let other = TrainConfig {
        hidden_size: Some(6),
        seq_len: Some(7),
        epochs: Some(9),
        resume: Some(whole.artifact.dir().to_path_buf()),
        ..config
    };
    let err = run(&input, &root, &other, train::RunOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.hidden_size, seq_len differ")
            || err.contains("seq_len, model.hidden_size differ"),
        "{err}"
    );
}

#[test]
fn max_steps_and_time_budget_stop_cleanly_and_commit() {
    let (_lock, tmp, input) = locked_periodic_input();
    let config = TrainConfig {
        max_steps: Some(5),
        ..tiny_config()
    };
    let outcome = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap();
    assert_eq!(outcome.summary.stop_reason, StopReason::MaxSteps);
    assert_eq!(outcome.summary.steps, 5);
    // A stop in mid-epoch still validates once before the test evaluation.
    let valid: Vec<Record> = records(outcome.artifact.dir())
        .into_iter()
        .filter(|r| r.split == "valid")
        .collect();
    assert_eq!(valid.iter().map(|r| r.step).collect::<Vec<_>>(), [5]);

    let config = TrainConfig {
        time_budget: Some(1e-6),
        ..tiny_config()
    };
    let outcome = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap();
    assert_eq!(outcome.summary.stop_reason, StopReason::TimeBudget);
    assert_eq!(outcome.summary.steps, 1);
}

#[test]
fn a_diverging_run_names_the_step_and_leaves_no_artifact() {
    let (_lock, tmp, input) = locked_periodic_input();
    // Weights of ~1e38 after the first step: the logits of the second overflow float32.
    let config = TrainConfig {
        lr: Some(1e38),
        clip: Some(1e30),
        ..tiny_config()
    };
    let err = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap_err();
    let TrainError::NonFinite { step, .. } = &err else {
        panic!("{err}")
    };
    assert!(*step >= 2, "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("at step {step}"))
            && message.contains("no checkpoint was written before it"),
        "{err}"
    );
    assert_eq!(train_entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn adaptive_softmax_and_tied_weights_learn_too() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let input = tokenize_artifact(tmp.path(), &periodic_corpus(60));
    let variants = [
        TrainConfig {
            output_layer: Some(train::OutputArg::Adaptive),
            cutoffs: Some(vec![4]),
            ..tiny_config()
        },
        TrainConfig {
            tie_weights: true,
            ..tiny_config()
        },
    ];
    for (i, variant) in variants.into_iter().enumerate() {
        let config = TrainConfig {
            epochs: Some(12),
            dropout: Some(0.0),
            ..variant
        };
        let outcome = run(
            &input,
            &tmp.path().join(i.to_string()),
            &config,
            train::RunOptions::default(),
        )
        .unwrap();
        let valid: Vec<f64> = records(outcome.artifact.dir())
            .into_iter()
            .filter(|r| r.split == "valid")
            .map(|r| r.loss)
            .collect();
        let (first, last) = (valid[0], valid[valid.len() - 1]);
        assert!(
            last < 0.7 && last < first / 2.0,
            "{config:?}: {first} → {last}"
        );
    }
}

#[test]
fn a_sample_is_written_at_each_validation() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let input = tokenize_artifact(tmp.path(), &periodic_corpus(60));
    let config = TrainConfig {
        epochs: Some(12),
        dropout: Some(0.0),
        ..checkpointing_config()
    };
    let outcome = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap();
    let all = records(outcome.artifact.dir());
    let valid: Vec<&Record> = all.iter().filter(|r| r.split == "valid").collect();
    assert!(valid.len() > 5);
    for r in &valid {
        let sample = r.sample.as_deref().unwrap_or_else(|| panic!("{r:?}"));
        assert!(
            sample.chars().count() <= train::preview::PREVIEW_TOKENS,
            "{sample}"
        );
        // <unk> is never drawn and <eos> ends the sample: only the corpus's characters
        assert!(
            sample.chars().all(|c| "春花秋月何时了".contains(c)),
            "{sample}"
        );
    }
    assert!(
        all.iter()
            .filter(|r| r.split != "valid")
            .all(|r| r.sample.is_none())
    );
}

/// `n` paragraphs of 12 characters drawn from 12 by a fixed linear congruential generator: text
/// whose stretches differ, so that a sample of a split scores otherwise than the whole.
fn scrambled_corpus(n: usize) -> Vec<String> {
    let alphabet: Vec<char> = "春花秋月何时了往事知多少".chars().collect();
    let mut x: u64 = 12345;
    (0..n)
        .map(|_| {
            (0..12)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(x >> 33) as usize % alphabet.len()]
                })
                .collect()
        })
        .collect()
}

#[test]
fn validations_score_a_fixed_sample_of_a_large_valid_split_and_the_summary_the_whole() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    // 13 tokens a paragraph: a valid split of 20% × 4,000 × 13 = 10,400 tokens, above the
    // 8,192 that a validation scores at least, while 4 steps train 64 tokens.
    let input = tokenize_artifact(tmp.path(), &scrambled_corpus(4000));
    let config = TrainConfig {
        max_steps: Some(12),
        ..checkpointing_config()
    };
    let outcome = run(&input, tmp.path(), &config, train::RunOptions::default()).unwrap();
    let valid: Vec<Record> = records(outcome.artifact.dir())
        .into_iter()
        .filter(|r| r.split == "valid")
        .collect();
    assert_eq!(valid.len(), 3, "every 4 steps: {valid:?}");
    let min_sample = train::evaluate::MIN_VALID_SAMPLE;
    assert!(
        valid.iter().all(|r| r.scored_tokens == Some(min_sample)),
        "{valid:?}"
    );
    // The summary scores the best weights on the whole split: by hand, the same figure.
    let dir = outcome.artifact.dir();
    let config: model::ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let (_vs, lm) = model::load(&dir.join("model.safetensors"), &config, Device::Cpu).unwrap();
    let ids = tokenize::read_u32_stream(&input.join("valid.u32")).unwrap();
    let streams = train::data::Streams::new(&ids, 2, 8, Device::Cpu);
    let whole = train::evaluate::evaluate(&lm, &streams, ids.len() as u64, 1);
    let s = &outcome.summary;
    assert!(
        (s.valid.loss - whole.loss).abs() < 1e-5,
        "{} vs {}",
        s.valid.loss,
        whole.loss
    );
    let best_sampled = valid.iter().map(|r| r.loss).fold(f64::INFINITY, f64::min);
    assert!(
        (s.valid.loss - best_sampled).abs() > 1e-4,
        "the sample and the whole split differ: {best_sampled}"
    );
}
