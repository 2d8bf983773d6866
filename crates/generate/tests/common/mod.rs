//! Fixtures shared by the generate tests: a clean artifact, a char-level tokenize artifact
//! built from it with `tokenize::run`, and a train artifact holding a tiny random model.

#![allow(dead_code)] // each test file uses a different subset

use artifact::fixture::commit_files;
use artifact::{Begin, InputRef, Producer, StageSpec};
use model::{LstmLm, ModelConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tch::{Device, nn};
use tokenize::{Level, Split, TokenizeConfig, Tokenizer};

/// libtorch's random generator is global to the process and tests run on parallel threads:
/// whatever seeds and draws from it holds this lock, so that a fixture's weights depend on its
/// seed alone and not on what another test drew in between.
pub fn torch_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Training names; their characters are the whole vocabulary (plus `<unk>` and `<eos>`).
pub const NAMES: &str = "郭靖\n黄蓉\n郭蓉\n杨过\n";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub train_dir: PathBuf,
    pub tokenizer: Tokenizer,
}

impl Fixture {
    pub fn load(&self) -> generate::TrainedModel {
        generate::load_trained(&self.train_dir, Device::Cpu).unwrap()
    }
}

fn producer(name: &str) -> Producer {
    Producer {
        crate_name: name.into(),
        version: "0.0.0".into(),
        git_rev: None,
    }
}

/// Commits a clean artifact holding `docs/a.txt` = `text`, with the default clean params (so
/// that `--score` finds the rules).
pub fn clean_artifact(root: &Path, text: &str) -> PathBuf {
    let params = clean::CleanParams {
        switches: clean::RuleSwitches::default(),
        rules_sha256: None,
    };
    let spec = StageSpec {
        stage: "clean".into(),
        format_version: 1,
        params: serde_json::to_value(params).unwrap(),
        inputs: vec![],
    };
    commit_files(root, spec, &[("docs/a.txt", text.as_bytes())]).unwrap()
}

/// Commits a train artifact under `root` for the tokenize artifact `tokenize_dir` holding a
/// random model (`seed`) of `config`.
pub fn train_artifact(
    root: &Path,
    tokenize_dir: &Path,
    config: &ModelConfig,
    seed: i64,
) -> PathBuf {
    train_artifact_fitted(root, tokenize_dir, config, seed, 0)
}

/// [`train_artifact`] with the model fitted to the tokenize artifact's train stream by `steps`
/// full-batch Adam steps (0: left random).
pub fn train_artifact_fitted(
    root: &Path,
    tokenize_dir: &Path,
    config: &ModelConfig,
    seed: i64,
    steps: usize,
) -> PathBuf {
    let tokenize_id = tokenize_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let spec = StageSpec {
        stage: "train".into(),
        format_version: 1,
        params: json!({"model": config, "seed": seed, "steps": steps}),
        inputs: vec![InputRef {
            stage: "tokenize".into(),
            id: tokenize_id.clone(),
            path: format!("tokenize/{tokenize_id}"),
        }],
    };
    let staging = match artifact::begin(root, spec, producer("train")).unwrap() {
        Begin::Staging(s) => s,
        Begin::Complete(a) => return a.dir().to_path_buf(),
    };
    let rng = torch_lock();
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = LstmLm::new(&vs.root(), config).unwrap();
    drop(rng);
    if steps > 0 {
        let stream = tokenize::read_u32_stream(&tokenize_dir.join("train.u32")).unwrap();
        fit(&vs, &model, &stream, steps);
    }
    model::save(&vs, &staging.dir().join("model.safetensors")).unwrap();
    std::fs::write(
        staging.dir().join("config.json"),
        serde_json::to_string_pretty(config).unwrap(),
    )
    .unwrap();
    staging.commit(json!({})).unwrap().dir().to_path_buf()
}

/// Fits `model` with Adam to the lines of `stream` (each `<eos>`-terminated line a sequence of
/// its own from the zero state, preceded by `<eos>`, as generation starts): a model of one line
/// regardless of the others. The lines must be equally long.
fn fit(vs: &nn::VarStore, model: &LstmLm, stream: &[u32], steps: usize) {
    use tch::nn::OptimizerConfig;
    let eos = tokenize::EOS_ID;
    let rows: Vec<Vec<i64>> = stream
        .split_inclusive(|&t| t == eos)
        .map(|line| {
            std::iter::once(eos)
                .chain(line.iter().copied())
                .map(i64::from)
                .collect()
        })
        .collect();
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width), "lines of one length");
    let flat: Vec<i64> = rows.concat();
    let all = tch::Tensor::from_slice(&flat).view([rows.len() as i64, width as i64]);
    let len = width as i64 - 1;
    let (inputs, targets) = (all.narrow(1, 0, len), all.narrow(1, 1, len));
    let mut adam = nn::Adam::default().build(vs, 0.03).unwrap();
    for _ in 0..steps {
        let state = model.zero_state(rows.len() as i64);
        let (hidden, _) = model.hidden(&inputs, &state, true);
        adam.backward_step(&model.loss(&hidden, &targets));
    }
}

/// A char-level corpus of `text` (all of it in the train split) and a random model over its
/// vocabulary with hidden size `hidden`.
pub fn fixture_with(text: &str, seed: i64, hidden: i64) -> Fixture {
    fitted_fixture(text, seed, hidden, 0)
}

/// [`fixture_with`], the model fitted to `text` by `steps` Adam steps.
pub fn fitted_fixture(text: &str, seed: i64, hidden: i64, steps: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("artifacts/names");
    let clean = clean_artifact(&root, text);
    let config = TokenizeConfig {
        level: Level::Char,
        split: Split {
            train: 100,
            valid: 0,
            test: 0,
        },
        ..Default::default()
    };
    let tokenized = tokenize::run(&clean, Some(&root), &config).unwrap();
    let tokenizer = tokenized.tokenizer().unwrap();
    let mut model_config = ModelConfig::new(tokenizer.vocab().len() as i64, 8, hidden, 1);
    model_config.dropout = 0.0;
    let train_dir =
        train_artifact_fitted(&root, tokenized.artifact.dir(), &model_config, seed, steps);
    Fixture {
        dir,
        root,
        train_dir,
        tokenizer,
    }
}

pub fn fixture() -> Fixture {
    fixture_with(NAMES, 7, 16)
}

/// Log-probabilities `[T, V]` the model gives after each prefix of `<eos>` + `tokens`.
pub fn full_log_probs(model: &LstmLm, tokens: &[u32]) -> Vec<Vec<f32>> {
    let _guard = tch::no_grad_guard();
    let mut ids = vec![tokenize::EOS_ID as i64];
    ids.extend(tokens.iter().map(|&t| t as i64));
    let input = tch::Tensor::from_slice(&ids).view([1, -1]);
    let (lp, _) = model.forward(&input, &model.zero_state(1), false);
    Vec::<Vec<f32>>::try_from(&lp.squeeze_dim(0)).unwrap()
}
