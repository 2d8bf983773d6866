//! Fixtures shared by the generate tests: a clean artifact (`clean::fixture`), a char-level
//! tokenize artifact built from it (`tokenize::fixture`), and a train artifact holding a tiny
//! random model.

#![allow(dead_code)] // each test file uses a different subset

pub mod server;

use artifact::fixture::torch_lock;
use artifact::{Begin, InputRef, Producer, StageSpec};
use model::{LstmLm, ModelConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use tch::{Device, nn};
use tokenize::{Level, Split, Tokenizer};

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

/// How far a fixture's model is fitted to the lines of its training text.
#[derive(Clone, Copy, Debug)]
pub enum Fit {
    /// Left as initialised.
    Random,
    /// Full-batch Adam steps until a sampled line (temperature 1, `<unk>` banned, as generation
    /// draws) is one of the training lines with at least this probability. A fixed number of
    /// steps lands at different points of a steep fit on different CPUs; the probability does
    /// not.
    UntilRepeats(f64),
}

/// Commits a train artifact under `root` for the tokenize artifact `tokenize_dir` holding a
/// random model (`seed`) of `config`, fitted as `fit` says.
pub fn train_artifact(
    root: &Path,
    tokenize_dir: &Path,
    config: &ModelConfig,
    seed: i64,
    fit: Fit,
) -> PathBuf {
    let tokenize_id = tokenize_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let spec = StageSpec {
        stage: "train".into(),
        format_version: 1,
        params: json!({"model": config, "seed": seed, "fit": format!("{fit:?}")}),
        inputs: vec![InputRef {
            stage: "tokenize".into(),
            id: tokenize_id.clone(),
            path: format!("tokenize/{tokenize_id}"),
        }],
    };
    let staging =
        match artifact::begin(root, spec, producer("train"), artifact::Existing::Reuse).unwrap() {
            Begin::Staging(s) => s,
            Begin::Complete(a) => return a.dir().to_path_buf(),
        };
    let rng = torch_lock();
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(Device::Cpu);
    let model = LstmLm::new(&vs.root(), config).unwrap();
    drop(rng);
    if let Fit::UntilRepeats(at_least) = fit {
        let stream = tokenize::read_u32_stream(&tokenize_dir.join("train.u32")).unwrap();
        Lines::of(&stream).fit_until(&vs, &model, at_least);
    }
    model::save(&vs, &staging.dir().join("model.safetensors")).unwrap();
    std::fs::write(
        staging.dir().join("config.json"),
        serde_json::to_string_pretty(config).unwrap(),
    )
    .unwrap();
    staging.commit(json!({})).unwrap().dir().to_path_buf()
}

/// The probability that a line sampled from the fixture's model is one of its training lines.
pub fn repeat_probability(f: &Fixture) -> f64 {
    let trained = f.load();
    let stream = tokenize::read_u32_stream(&trained.tokenize.dir().join("train.u32")).unwrap();
    Lines::of(&stream).repeat_probability(&trained.model)
}

/// The `<eos>`-terminated lines of a train stream, each preceded by `<eos>` (generation starts
/// from it), as a batch `[lines, width]`. The lines must be equally long.
struct Lines {
    all: tch::Tensor,
    /// The distinct lines, for the probability of drawing one of them.
    distinct: tch::Tensor,
}

impl Lines {
    fn of(stream: &[u32]) -> Lines {
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
        let width = rows[0].len() as i64;
        assert!(
            rows.iter().all(|r| r.len() as i64 == width),
            "lines of one length"
        );
        let batch = |rows: &[Vec<i64>]| {
            tch::Tensor::from_slice(&rows.concat()).view([rows.len() as i64, width])
        };
        let mut distinct = rows.clone();
        distinct.sort();
        distinct.dedup();
        Lines {
            all: batch(&rows),
            distinct: batch(&distinct),
        }
    }

    /// Fits `model` with Adam to the lines (each a sequence of its own from the zero state: a
    /// model of one line regardless of the others), one step at a time until
    /// [`Self::repeat_probability`] reaches `at_least`.
    fn fit_until(&self, vs: &nn::VarStore, model: &LstmLm, at_least: f64) {
        use tch::nn::OptimizerConfig;
        const MAX_STEPS: usize = 100;
        let len = self.all.size()[1] - 1;
        let (inputs, targets) = (self.all.narrow(1, 0, len), self.all.narrow(1, 1, len));
        let mut adam = nn::Adam::default().build(vs, 0.03).unwrap();
        for _ in 0..MAX_STEPS {
            if self.repeat_probability(model) >= at_least {
                return;
            }
            let state = model.zero_state(self.all.size()[0]);
            let (hidden, _) = model.hidden(&inputs, &state, true);
            adam.backward_step(&model.loss(&hidden, &targets));
        }
        panic!("{MAX_STEPS} Adam steps did not make the training lines {at_least} likely");
    }

    /// The probability that a line sampled at temperature 1 with `<unk>` banned (its
    /// probability spread over the rest, as the sampler does) is one of these lines.
    fn repeat_probability(&self, model: &LstmLm) -> f64 {
        let _guard = tch::no_grad_guard();
        let len = self.distinct.size()[1] - 1;
        let (inputs, targets) = (
            self.distinct.narrow(1, 0, len),
            self.distinct.narrow(1, 1, len),
        );
        let state = model.zero_state(self.distinct.size()[0]);
        let (log_probs, _) = model.forward(&inputs, &state, false);
        let log_probs = log_probs.to_kind(tch::Kind::Double);
        let unk = log_probs.select(2, tokenize::UNK_ID as i64);
        let drawn = log_probs
            .gather(2, &targets.unsqueeze(2), false)
            .squeeze_dim(2)
            - (-unk.exp()).log1p();
        drawn
            .sum_dim_intlist(1, false, None)
            .exp()
            .sum(None)
            .double_value(&[])
    }
}

/// A char-level corpus of `text` (all of it in the train split) and a random model over its
/// vocabulary with hidden size `hidden`.
pub fn fixture_with(text: &str, seed: i64, hidden: i64) -> Fixture {
    fitted_fixture(text, seed, hidden, Fit::Random)
}

/// [`fixture_with`], the model fitted as `fit` says.
pub fn fitted_fixture(text: &str, seed: i64, hidden: i64, fit: Fit) -> Fixture {
    build_fixture(text, seed, hidden, fit, None)
}

/// A random model (hidden size 16) over a titled corpus (`TITLE：BODY` a line) tokenized at
/// `level` with `--titles`, so that its artifact carries the forms mined from the titles.
pub fn titled_fixture(text: &str, seed: i64, level: Level) -> Fixture {
    build_fixture(text, seed, 16, Fit::Random, Some(level))
}

/// `titled`: the level of a titled corpus; `None` tokenizes characters without `--titles`.
fn build_fixture(text: &str, seed: i64, hidden: i64, fit: Fit, titled: Option<Level>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    // the server names a model after its corpus folder
    let corpus = if titled.is_some() { "ci" } else { "names" };
    let root = dir.path().join("artifacts").join(corpus);
    let clean = clean::fixture::clean_artifact(&root, &[("a.txt", text)]).unwrap();
    let split = Split {
        train: 100,
        valid: 0,
        test: 0,
    };
    let tokenized = match titled {
        Some(level) => tokenize::fixture::titled_artifact(&root, &clean, split, level),
        None => tokenize::fixture::char_artifact(&root, &clean, split),
    }
    .unwrap();
    let tokenizer = tokenized.tokenizer().unwrap();
    let mut model_config = ModelConfig::new(tokenizer.vocab().len() as i64, 8, hidden, 1);
    model_config.dropout = 0.0;
    let train_dir = train_artifact(&root, tokenized.artifact.dir(), &model_config, seed, fit);
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
