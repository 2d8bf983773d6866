//! Fine-tuning (`--init-from`): rows of shared tokens carry over exactly, new tokens get rows,
//! an identical vocabulary starts from the init model's probabilities, the init artifact is part
//! of the lineage and of the id, and bad combinations are refused before anything is written.

mod common;

use artifact::fixture::torch_lock;
use common::{tiny_config, tokenize_artifact, train_entries};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tch::{Device, Tensor, nn};
use train::{OutputArg, TrainConfig, TrainError, VocabMap, run};

/// A corpus of the characters of `lines`, repeated.
fn corpus(lines: &[&str]) -> Vec<String> {
    (0..30).map(|i| lines[i % lines.len()].to_owned()).collect()
}

/// The init corpus: 春花秋月 are frequent, 酒 rare.
const OLD: [&str; 3] = ["春花秋月何时了", "春花秋月", "往事知多少酒"];
/// The fine-tune corpus: no 酒 (dropped), 雪 and 风 new, 了 frequent now.
const NEW: [&str; 3] = ["春花秋月何时了了了", "雪月风花了", "往事知多少"];

fn adaptive(config: TrainConfig) -> TrainConfig {
    TrainConfig {
        output_layer: Some(OutputArg::Adaptive),
        cutoffs: Some(vec![5]),
        ..config
    }
}

/// Trains the init model on `OLD` in its own artifact root; returns its artifact directory.
fn init_model(root: &Path, config: &TrainConfig) -> PathBuf {
    let input = tokenize_artifact(root, &corpus(&OLD));
    let config = TrainConfig {
        max_steps: Some(4),
        ..config.clone()
    };
    let outcome = run(&input, root, &config, train::RunOptions::default()).unwrap();
    outcome.artifact.dir().to_path_buf()
}

fn vocab_of(tokenize_dir: &Path) -> tokenize::Vocab {
    tokenize::vocab::read_vocab_json(&tokenize_dir.join(tokenize::VOCAB_FILE))
        .unwrap()
        .0
}

/// The model of `config` for the vocabulary of `tokenize_dir`, filled from `init`.
fn transferred(
    init: &train::init::InitModel,
    tokenize_dir: &Path,
    config: &TrainConfig,
) -> (nn::VarStore, model::LstmLm, VocabMap) {
    let vocab = vocab_of(tokenize_dir);
    let params = config.resolve(vocab.len() as i64).unwrap();
    init.check_architecture(&params.model).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let lm = model::LstmLm::new(&vs.root(), &params.model).unwrap();
    let map = VocabMap::new(init.vocab.tokens(), vocab.tokens());
    init.transfer(&vs, &params.model, &map).unwrap();
    (vs, lm, map)
}

fn variables(vs: &nn::VarStore) -> HashMap<String, Tensor> {
    vs.variables()
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    a.size() == b.size() && a.equal(b)
}

#[test]
fn shared_rows_carry_over_exactly_and_new_tokens_start_at_the_mean() {
    let _lock = torch_lock();
    for config in [tiny_config(), adaptive(tiny_config())] {
        let tmp = tempfile::tempdir().unwrap();
        let init_dir = init_model(&tmp.path().join("old"), &config);
        let init = train::init::open(&init_dir).unwrap();
        let new_root = tmp.path().join("new");
        let tokenize_dir = tokenize_artifact(&new_root, &corpus(&NEW));
        let (vs, _, map) = transferred(&init, &tokenize_dir, &config);
        let new_vocab = vocab_of(&tokenize_dir);
        let (old_vs, _) = model::load(
            &init_dir.join("model.safetensors"),
            &init.config,
            Device::Cpu,
        )
        .unwrap();
        let (old, new) = (variables(&old_vs), variables(&vs));

        // The vocabularies differ as the corpora say.
        let token = |id: u32| new_vocab.token(id).to_owned();
        let added: Vec<String> = map.added().into_iter().map(token).collect();
        let mut sorted = added.clone();
        sorted.sort();
        assert_eq!(sorted, ["雪", "风"]);
        let dropped: Vec<&str> = map.dropped.iter().map(|&id| init.vocab.token(id)).collect();
        assert_eq!(dropped, ["酒"]);
        assert_ne!(
            init.vocab.id("了"),
            new_vocab.id("了"),
            "了 moved in the order"
        );

        // Everything that does not depend on the vocabulary is a copy.
        for (name, tensor) in &new {
            if name.starts_with("lstm.") || name.ends_with(".0.weight") {
                assert!(same(tensor, &old[name]), "{name}");
            }
        }
        // Embedding rows follow the tokens; new tokens get the mean of the carried rows.
        let (old_emb, new_emb) = (&old["embedding.weight"], &new["embedding.weight"]);
        let kept: Vec<i64> = (0..new_vocab.len() as i64)
            .filter(|&id| map.old_of_new[id as usize].is_some())
            .collect();
        for &id in &kept {
            let old_id = map.old_of_new[id as usize].unwrap() as i64;
            assert!(same(&new_emb.get(id), &old_emb.get(old_id)), "row {id}");
        }
        let mean = new_emb
            .index_select(0, &Tensor::from_slice(&kept))
            .mean_dim(Some([0i64].as_slice()), false, None);
        for id in map.added() {
            assert!(new_emb.get(id as i64).allclose(&mean, 1e-6, 1e-7, false));
        }
        // Output rows: full softmax by token; adaptive by token within a cluster that stayed.
        match config.output_layer {
            Some(OutputArg::Full) => {
                for name in ["output.weight", "output.bias"] {
                    for &id in &kept {
                        let old_id = map.old_of_new[id as usize].unwrap() as i64;
                        assert!(same(&new[name].get(id), &old[name].get(old_id)), "{name}");
                    }
                }
            }
            _ => {
                let (shortlist, mut checked) = (5, 0);
                for &id in &kept {
                    let old_id = map.old_of_new[id as usize].unwrap() as i64;
                    let (new_row, old_row) = match (id < shortlist, old_id < shortlist) {
                        (true, true) => (
                            new["output.head.weight"].get(id),
                            old["output.head.weight"].get(old_id),
                        ),
                        (false, false) => (
                            new["output.tail.0.1.weight"].get(id - shortlist),
                            old["output.tail.0.1.weight"].get(old_id - shortlist),
                        ),
                        _ => continue,
                    };
                    assert!(
                        same(&new_row, &old_row),
                        "row of token {}",
                        token(id as u32)
                    );
                    checked += 1;
                }
                assert!(checked >= 8, "only {checked} rows stayed in their cluster");
                // The cluster's own logit in the head is carried over.
                let head = |t: &Tensor| t.get(shortlist);
                assert!(same(
                    &head(&new["output.head.weight"]),
                    &head(&old["output.head.weight"])
                ));
            }
        }
    }
}

#[test]
fn an_identical_vocabulary_starts_from_exactly_the_init_models_probabilities() {
    let _lock = torch_lock();
    for config in [tiny_config(), adaptive(tiny_config())] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let init_dir = init_model(root, &config);
        let init = train::init::open(&init_dir).unwrap();
        let tokenize_dir = tokenize_artifact(root, &corpus(&OLD));
        let (_vs, lm, map) = transferred(&init, &tokenize_dir, &config);
        assert!(map.is_identity());
        let (_old_vs, old_lm) = model::load(
            &init_dir.join("model.safetensors"),
            &init.config,
            Device::Cpu,
        )
        .unwrap();
        let tokens = Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6]).view([1, -1]);
        let log_probs = |lm: &model::LstmLm| {
            let (hidden, _) = lm.hidden(&tokens, &lm.zero_state(1), false);
            lm.log_probs(&hidden)
        };
        assert!(log_probs(&lm).equal(&log_probs(&old_lm)));
    }
}

#[test]
fn the_init_artifact_is_an_input_and_another_one_makes_another_artifact() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let first = init_model(&tmp.path().join("old"), &tiny_config());
    let other_seed = TrainConfig {
        seed: 7,
        ..tiny_config()
    };
    let second = init_model(&tmp.path().join("old"), &other_seed);
    assert_ne!(first, second);
    let root = tmp.path().join("new");
    let input = tokenize_artifact(&root, &corpus(&NEW));
    let fine_tune = |init: &Path, freeze: bool| TrainConfig {
        init_from: Some(init.to_path_buf()),
        freeze_embedding: freeze,
        max_steps: Some(3),
        ..tiny_config()
    };
    let options = train::RunOptions::default;
    let a = run(&input, &root, &fine_tune(&first, false), options()).unwrap();
    let manifest = a.artifact.manifest();
    let init_input = manifest.inputs.iter().find(|i| i.stage == "train").unwrap();
    assert_eq!(init_input.id, first.file_name().unwrap().to_string_lossy());
    let summary = a.summary.init.clone().unwrap();
    assert_eq!((summary.added, summary.dropped), (2, 1));
    assert_eq!(summary.kept + summary.added, vocab_of(&input).len());
    let record: train::InitRecord =
        serde_json::from_str(&std::fs::read_to_string(a.artifact.path("init.json")).unwrap())
            .unwrap();
    assert_eq!(record.summary, summary);
    assert_eq!(record.dropped_tokens, ["酒"]);
    // No --lr: half the rate of the run from scratch.
    let params: train::TrainParams = serde_json::from_value(manifest.params.clone()).unwrap();
    let scratch = tiny_config()
        .resolve(vocab_of(&input).len() as i64)
        .unwrap();
    assert_eq!(params.lr, scratch.lr);
    let unset_lr = TrainConfig {
        lr: None,
        ..fine_tune(&first, false)
    };
    let preset = TrainConfig {
        lr: None,
        ..tiny_config()
    };
    assert_eq!(
        unset_lr.resolve(9).unwrap().lr,
        preset.resolve(9).unwrap().lr * train::config::FINE_TUNE_LR_SCALE
    );

    // The same init: skipped. Another init: another artifact.
    let again = run(&input, &root, &fine_tune(&first, false), options()).unwrap();
    assert!(again.skipped);
    let b = run(&input, &root, &fine_tune(&second, false), options()).unwrap();
    assert!(!b.skipped);
    assert_ne!(a.artifact.id(), b.artifact.id());

    // A frozen embedding ends as it started: the init rows, the mean for new tokens.
    let frozen = run(&input, &root, &fine_tune(&first, true), options()).unwrap();
    assert!(frozen.summary.init.unwrap().frozen_embedding);
    let init = train::init::open(&first).unwrap();
    let (start_vs, _, _) = transferred(&init, &input, &fine_tune(&first, true));
    let params = fine_tune(&first, true)
        .resolve(vocab_of(&input).len() as i64)
        .unwrap();
    let (end_vs, _) = model::load(
        &frozen.artifact.path("model.safetensors"),
        &params.model,
        Device::Cpu,
    )
    .unwrap();
    let name = "embedding.weight";
    assert!(variables(&end_vs)[name].equal(&variables(&start_vs)[name]));
    let lstm = "lstm.weight_hh_l0";
    assert!(!variables(&end_vs)[lstm].equal(&variables(&start_vs)[lstm]));
}

#[test]
fn bad_init_settings_are_refused_and_nothing_is_written() {
    let _lock = torch_lock();
    let tmp = tempfile::tempdir().unwrap();
    let init_dir = init_model(&tmp.path().join("old"), &tiny_config());
    let root = tmp.path().join("new");
    let input = tokenize_artifact(&root, &corpus(&NEW));
    let refuse = |config: TrainConfig, expected: &[&str]| {
        let err = run(&input, &root, &config, train::RunOptions::default()).unwrap_err();
        assert!(matches!(err, TrainError::Param(_)), "{err:?}");
        let message = err.to_string();
        for part in expected {
            assert!(message.contains(part), "{part:?} not in: {message}");
        }
        assert!(
            train_entries(&root).is_empty(),
            "{:?}",
            train_entries(&root)
        );
    };
    let from = |path: &Path| TrainConfig {
        init_from: Some(path.to_path_buf()),
        ..tiny_config()
    };
    refuse(
        from(&tmp.path().join("nothing-here")),
        &["--init-from", "no such file"],
    );
    refuse(
        from(&input),
        &["--init-from", "not a complete train artifact"],
    );
    refuse(
        TrainConfig {
            hidden_size: Some(16),
            ..from(&init_dir)
        },
        &["hidden size 8, this run's 16", "--hidden-size 8"],
    );
    refuse(adaptive(from(&init_dir)), &["output layer is full"]);
    refuse(
        TrainConfig {
            freeze_embedding: true,
            ..tiny_config()
        },
        &["--freeze-embedding", "no --init-from"],
    );
    refuse(
        TrainConfig {
            resume: Some(init_dir.clone()),
            ..from(&init_dir)
        },
        &["--resume", "--init-from", "give one of them"],
    );
}
