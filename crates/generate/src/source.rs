//! Finding and loading what a train artifact holds: the model config and weights, and through
//! the manifest's lineage the tokenize artifact (tokenizer and training text).

use crate::error::GenerateError;
use crate::mixture::{Mixture, Predictor};
use artifact::Artifact;
use model::{LstmLm, ModelConfig};
use std::path::Path;
use tch::{Device, nn};
use tokenize::Tokenizer;

/// Stage name and format version of the train artifacts this crate reads.
pub const TRAIN_STAGE: &str = "train";
pub const TRAIN_FORMAT_VERSION: u32 = 1;
pub const CONFIG_FILE: &str = "config.json";
pub const MODEL_FILE: &str = "model.safetensors";

/// A loaded model with its tokenizer.
pub struct TrainedModel {
    pub train: Artifact,
    pub tokenize: Artifact,
    pub tokenizer: Tokenizer,
    pub config: ModelConfig,
    pub vs: nn::VarStore,
    pub model: LstmLm,
    /// The LSTM's mixture with the train artifact's n-gram model, when train found it better
    /// on valid (see [`crate::mixture`]).
    pub mixture: Option<Mixture>,
}

impl TrainedModel {
    /// What to decode from: the mixture unless `no_mixture` (or there is none), else the LSTM.
    pub fn predictor(&self, no_mixture: bool) -> Predictor<'_> {
        Predictor {
            lm: &self.model,
            mixture: self.mixture.as_ref().filter(|_| !no_mixture),
        }
    }
}

/// Opens the train artifact `path` names: a train artifact directory, or an artifact root
/// `artifacts/<corpus>` whose `train/latest` is used.
pub fn open_train(path: &Path) -> Result<Artifact, GenerateError> {
    if !path.exists() {
        return Err(GenerateError::MissingModel(path.to_path_buf()));
    }
    Ok(Artifact::resolve(path, TRAIN_STAGE, TRAIN_FORMAT_VERSION)?)
}

/// The tokenize artifact a train artifact was trained on, as its manifest records it.
pub fn open_lineage_tokenize(train: &Artifact) -> Result<Artifact, GenerateError> {
    Ok(train.open_input(tokenize::STAGE, tokenize::FORMAT_VERSION)?)
}

/// Reads `config.json` of a train artifact.
pub fn read_model_config(train: &Artifact) -> Result<ModelConfig, GenerateError> {
    let path = train.path(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| GenerateError::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| GenerateError::BadModel {
        dir: train.dir().to_path_buf(),
        message: format!("{CONFIG_FILE}: {e}"),
    })
}

/// Opens everything except the weights (cheap checks first): the artifacts, the tokenizer and
/// the config, checking that the vocabulary size matches the model's. Every file read here or
/// by [`load_trained`] is first checked against its artifact's manifest.
pub fn open_parts(
    path: &Path,
) -> Result<(Artifact, Artifact, Tokenizer, ModelConfig), GenerateError> {
    let train = open_train(path)?;
    train.verify_files([CONFIG_FILE, MODEL_FILE])?;
    let config = read_model_config(&train)?;
    let tokenize = open_lineage_tokenize(&train)?;
    // vocab.json and, when the tokenizer has one, its user dictionary
    let tokenizer_files = tokenize
        .manifest()
        .outputs
        .iter()
        .map(|o| o.path.as_str())
        .filter(|p| *p == tokenize::VOCAB_FILE || *p == tokenize::USER_DICT_FILE);
    tokenize.verify_files(tokenizer_files)?;
    let tokenizer = Tokenizer::load(&tokenize)?;
    if tokenizer.vocab().len() as i64 != config.vocab_size {
        return Err(GenerateError::BadModel {
            dir: train.dir().to_path_buf(),
            message: format!(
                "the model has vocab size {}, its tokenizer {} has {} tokens; the artifacts do not belong together, rerun `train`",
                config.vocab_size,
                tokenize.dir().display(),
                tokenizer.vocab().len()
            ),
        });
    }
    Ok((train, tokenize, tokenizer, config))
}

/// Loads the model of a train artifact on `device`, its weights laid out for decoding.
pub fn load_trained(path: &Path, device: Device) -> Result<TrainedModel, GenerateError> {
    let (train, tokenize, tokenizer, config) = open_parts(path)?;
    let (vs, model) = model::load(&train.path(MODEL_FILE), &config, device)?;
    model.use_decoding_layout();
    let mixture = Mixture::load(&train)?;
    Ok(TrainedModel {
        train,
        tokenize,
        tokenizer,
        config,
        vs,
        model,
        mixture,
    })
}

/// The training split as text: `train.u32` decoded, one paragraph (or name) per line.
pub fn training_text(tokenize: &Artifact, tokenizer: &Tokenizer) -> Result<String, GenerateError> {
    tokenize.verify_files(["train.u32"])?;
    let ids = tokenize::read_u32_stream(&tokenize.path("train.u32"))?;
    let size = tokenizer.vocab().len() as u32;
    if let Some(bad) = ids.iter().find(|&&id| id >= size) {
        return Err(GenerateError::BadModel {
            dir: tokenize.dir().to_path_buf(),
            message: format!("train.u32 holds id {bad}, the vocabulary has {size} tokens"),
        });
    }
    Ok(tokenizer.decode(&ids))
}
