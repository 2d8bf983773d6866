//! `--init-from`: start a run from the weights of another train artifact, whose vocabulary may
//! differ from this run's (fine-tuning a model of one corpus on another).
//!
//! The architecture must be the same (embedding and hidden sizes, layers, output layer and its
//! number of clusters); the vocabulary need not be. Every tensor that does not depend on the
//! vocabulary (the LSTM, projections) is copied as it is. In those that do, a token of both
//! vocabularies keeps its learned row ([`VocabMap`] matches tokens by text), a new token gets
//! the mean of the carried rows of its matrix, and a token the new vocabulary lacks is left
//! behind. The adaptive softmax is rebuilt for the new vocabulary's frequency order: a token
//! that stays in the same cluster keeps its row exactly; one that moves to another cluster is
//! carried through its output vector in hidden space (a tail row `r` scores a hidden state `h`
//! as `r · (P h)`, that is `(Pᵀ r) · h`), mapped into the new cluster by the least-squares
//! inverse of that cluster's projection. With identical vocabularies everything is a copy, so
//! the run starts from exactly the init model's probabilities.

use crate::error::TrainError;
use crate::vocab_map::{InitRecord, InitSummary, LISTED_TOKENS, VocabMap};
use crate::{CONFIG_FILE, FORMAT_VERSION, MODEL_FILE, STAGE, read_model_config};
use artifact::Artifact;
use model::{ModelConfig, OutputKind};
use std::collections::HashMap;
use std::path::Path;
use tch::{Device, Tensor, nn};

pub use crate::vocab_map::INIT_FILE;

/// The model a run starts from: its train artifact, config and vocabulary.
#[derive(Debug)]
pub struct InitModel {
    pub artifact: Artifact,
    pub config: ModelConfig,
    pub vocab: tokenize::Vocab,
}

/// Opens the complete train artifact `path` names (an artifact directory, or an artifact root
/// whose `train/latest` is used), with its config and the vocabulary it was trained on.
pub fn open(path: &Path) -> Result<InitModel, TrainError> {
    let bad = |message: String| {
        TrainError::Param(format!(
            "--init-from {}: {message}; give a complete train artifact (artifacts/<corpus>/train/<id>, or artifacts/<corpus> for its latest), as `cargo xtask inspect <corpus>` lists them",
            path.display()
        ))
    };
    if !path.exists() {
        return Err(bad("no such file or directory".into()));
    }
    let artifact = Artifact::resolve(path, STAGE, FORMAT_VERSION)
        .map_err(|e| bad(format!("not a complete train artifact ({e})")))?;
    artifact
        .verify_files([CONFIG_FILE, MODEL_FILE])
        .map_err(|e| bad(format!("its files do not check out ({e})")))?;
    let config = read_model_config(&artifact)
        .map_err(|e| bad(format!("its {CONFIG_FILE} cannot be read ({e})")))?;
    let tokenize = artifact
        .open_input(tokenize::STAGE, tokenize::FORMAT_VERSION)
        .map_err(|e| bad(format!("the vocabulary it was trained on cannot be found ({e})")))?;
    tokenize
        .verify_files([tokenize::VOCAB_FILE])
        .map_err(|e| bad(format!("the vocabulary it was trained on is damaged ({e})")))?;
    let (vocab, _) = tokenize::vocab::read_vocab_json(&tokenize.path(tokenize::VOCAB_FILE))?;
    Ok(InitModel {
        artifact,
        config,
        vocab,
    })
}

impl InitModel {
    /// Refuses a run whose model differs from this one in anything but the vocabulary and the
    /// dropout, naming the field and the flag that sets it.
    pub fn check_architecture(&self, run: &ModelConfig) -> Result<(), TrainError> {
        let (old, new) = (&self.config, run);
        let clusters = |c: &ModelConfig| match &c.output {
            OutputKind::Full => 0,
            OutputKind::Adaptive { cutoffs, .. } => cutoffs.len() as i64,
        };
        let kind = |c: &ModelConfig| match (&c.output, c.tie_weights) {
            (OutputKind::Full, false) => "full",
            (OutputKind::Full, true) => "full, tied to the embedding",
            (OutputKind::Adaptive { .. }, _) => "adaptive",
        };
        let differing = [
            ("embedding size", old.embed_dim, new.embed_dim, "--embed-dim"),
            ("hidden size", old.hidden_size, new.hidden_size, "--hidden-size"),
            ("number of layers", old.num_layers, new.num_layers, "--num-layers"),
        ]
        .into_iter()
        .find(|(_, a, b, _)| a != b);
        let mismatch = |what: String, fix: String| {
            Err(TrainError::Param(format!(
                "--init-from {}: {what}; a fine-tune keeps the architecture of the model it starts from: {fix}",
                self.artifact.dir().display()
            )))
        };
        if let Some((field, a, b, flag)) = differing {
            return mismatch(
                format!("its model has {field} {a}, this run's {b}"),
                format!("give {flag} {a} (or a preset with it)"),
            );
        }
        if kind(old) != kind(new) {
            return mismatch(
                format!(
                    "its output layer is {}, this run's {}",
                    kind(old),
                    kind(new)
                ),
                "give the same --output-layer and --tie-weights".into(),
            );
        }
        if clusters(old) != clusters(new) {
            return mismatch(
                format!(
                    "its adaptive softmax has {} clusters, this run's {}",
                    clusters(old),
                    clusters(new)
                ),
                "give as many --cutoffs".into(),
            );
        }
        if let (
            OutputKind::Adaptive { div_value: a, .. },
            OutputKind::Adaptive { div_value: b, .. },
        ) = (&old.output, &new.output)
            && a != b
        {
            return mismatch(
                format!("its adaptive softmax divides by {a}, this run's by {b}"),
                "train the init model with this version's adaptive softmax".into(),
            );
        }
        Ok(())
    }

    /// Fills the variables of `vs` (a model of `run`, already checked with
    /// [`Self::check_architecture`]) from this model's weights, mapping rows through `map`.
    pub fn transfer(
        &self,
        vs: &nn::VarStore,
        run: &ModelConfig,
        map: &VocabMap,
    ) -> Result<(), TrainError> {
        let (old_vs, _) = model::load(&self.artifact.path(MODEL_FILE), &self.config, Device::Cpu)?;
        let old = old_vs.variables();
        let new = vs.variables();
        let _guard = tch::no_grad_guard();
        let plan = RowPlan::new(&self.config, run, map, &old);
        for (name, target) in &new {
            let source = old.get(name).ok_or_else(|| {
                TrainError::Param(format!(
                    "--init-from {}: its weights lack `{name}`, which this run's model has",
                    self.artifact.dir().display()
                ))
            })?;
            let rows = match name.as_str() {
                "embedding.weight" | "output.weight" | "output.bias" => {
                    Some(plan.by_token(source))
                }
                "output.head.weight" => Some(plan.head(target)),
                _ => tail_index(name).map(|cluster| plan.tail(cluster)),
            };
            let value = match rows {
                Some(rows) => fill_rows(target, rows),
                None => source.shallow_clone(),
            };
            let mut target = target.shallow_clone();
            target.copy_(&value.to_device(target.device()));
        }
        Ok(())
    }

    /// The record of a run that started from this model.
    pub fn record(&self, map: &VocabMap, new: &tokenize::Vocab, frozen: bool) -> InitRecord {
        let added = map.added();
        InitRecord {
            summary: InitSummary {
                from: self.artifact.id().to_owned(),
                kept: map.kept(),
                added: added.len(),
                dropped: map.dropped.len(),
                frozen_embedding: frozen,
            },
            added_tokens: added
                .iter()
                .take(LISTED_TOKENS)
                .map(|&id| new.token(id).to_owned())
                .collect(),
            dropped_tokens: map
                .dropped
                .iter()
                .take(LISTED_TOKENS)
                .map(|&id| self.vocab.token(id).to_owned())
                .collect(),
        }
    }
}

/// `output.tail.<i>.1.weight` → `i` (the vocabulary-sized half of a tail).
fn tail_index(name: &str) -> Option<usize> {
    name.strip_prefix("output.tail.")?
        .strip_suffix(".1.weight")?
        .parse()
        .ok()
}

/// Where each row of a vocabulary-sized matrix of the new model comes from.
struct RowPlan<'a> {
    map: &'a VocabMap,
    /// Adaptive softmax only: `0, cutoffs…, V` of the old and the new model.
    old_bounds: Vec<i64>,
    new_bounds: Vec<i64>,
    old: &'a HashMap<String, Tensor>,
}

impl<'a> RowPlan<'a> {
    fn new(
        old_config: &ModelConfig,
        run: &ModelConfig,
        map: &'a VocabMap,
        old: &'a HashMap<String, Tensor>,
    ) -> Self {
        let bounds = |c: &ModelConfig| match &c.output {
            OutputKind::Full => Vec::new(),
            OutputKind::Adaptive { cutoffs, .. } => {
                let mut b = vec![0];
                b.extend_from_slice(cutoffs);
                b.push(c.vocab_size);
                b
            }
        };
        RowPlan {
            map,
            old_bounds: bounds(old_config),
            new_bounds: bounds(run),
            old,
        }
    }

    /// Row `old id` of `source` for each new id (embedding, full output weight and bias).
    fn by_token(&self, source: &Tensor) -> Vec<Option<Tensor>> {
        self.map
            .old_of_new
            .iter()
            .map(|old| old.map(|o| source.get(o as i64)))
            .collect()
    }

    /// The head: the shortlist's rows, then one row per cluster (copied).
    fn head(&self, target: &Tensor) -> Vec<Option<Tensor>> {
        let shortlist = self.new_bounds[1];
        let old_head = &self.old["output.head.weight"];
        let old_shortlist = self.old_bounds[1];
        let mut rows: Vec<Option<Tensor>> = (0..shortlist)
            .map(|id| self.adaptive_row(id, 0))
            .collect();
        let clusters = target.size()[0] - shortlist;
        rows.extend((0..clusters).map(|c| Some(old_head.get(old_shortlist + c))));
        rows
    }

    /// The second matrix of tail `cluster` (new cluster `cluster + 1`).
    fn tail(&self, cluster: usize) -> Vec<Option<Tensor>> {
        let k = cluster + 1;
        (self.new_bounds[k]..self.new_bounds[k + 1])
            .map(|id| self.adaptive_row(id, k))
            .collect()
    }

    /// The row of new id `id`, which lies in new cluster `k` (0: the head's shortlist).
    fn adaptive_row(&self, id: i64, k: usize) -> Option<Tensor> {
        let old = self.map.old_of_new[id as usize]? as i64;
        let old_k = cluster_of(old, &self.old_bounds);
        if old_k == k {
            return Some(self.old_cluster_rows(k).get(old - self.old_bounds[k]));
        }
        // Into hidden space (Pᵀ r), then into cluster k's space.
        let row = self.old_cluster_rows(old_k).get(old - self.old_bounds[old_k]);
        let hidden = match old_k {
            0 => row,
            j => row.matmul(&self.old[&format!("output.tail.{}.0.weight", j - 1)]),
        };
        Some(match k {
            0 => hidden,
            k => {
                let projection = &self.old[&format!("output.tail.{}.0.weight", k - 1)];
                hidden.matmul(&projection.linalg_pinv(1e-15, false))
            }
        })
    }

    /// The token rows of old cluster `k`.
    fn old_cluster_rows(&self, k: usize) -> Tensor {
        match k {
            0 => self.old["output.head.weight"].narrow(0, 0, self.old_bounds[1]),
            k => self.old[&format!("output.tail.{}.1.weight", k - 1)].shallow_clone(),
        }
    }
}

/// The cluster of `id` (0: the shortlist).
fn cluster_of(id: i64, bounds: &[i64]) -> usize {
    bounds.windows(2).position(|w| id < w[1]).unwrap_or(0)
}

/// `target`'s new value: each row from its source, rows without one from the mean of the others
/// (or as initialised, when no row has a source).
fn fill_rows(target: &Tensor, sources: Vec<Option<Tensor>>) -> Tensor {
    let known: Vec<&Tensor> = sources.iter().flatten().collect();
    let mean = (!known.is_empty())
        .then(|| Tensor::stack(&known, 0).mean_dim(Some([0i64].as_slice()), false, None));
    let rows: Vec<Tensor> = sources
        .into_iter()
        .enumerate()
        .map(|(i, source)| match (source, &mean) {
            (Some(row), _) => row,
            (None, Some(mean)) => mean.shallow_clone(),
            (None, None) => target.get(i as i64).to_device(Device::Cpu),
        })
        .collect();
    Tensor::stack(&rows, 0)
}
