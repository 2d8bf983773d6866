//! Weights on disk: safetensors files with the variable names of [`crate::LstmLm`], loadable
//! from Python's `safetensors`.

use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::lm::LstmLm;
use std::path::Path;
use tch::{Device, nn};

/// Writes every variable of `vs` to `path` (must end in `.safetensors`).
pub fn save(vs: &nn::VarStore, path: &Path) -> Result<(), ModelError> {
    vs.save(path).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("cannot write weights: {e}"),
    })
}

/// Builds the model of `config` on `device` and fills it from the safetensors file `path`;
/// fails, naming the file, when a variable is missing or has another shape.
pub fn load(
    path: &Path,
    config: &ModelConfig,
    device: Device,
) -> Result<(nn::VarStore, LstmLm), ModelError> {
    let mut vs = nn::VarStore::new(device);
    let model = LstmLm::new(&vs.root(), config)?;
    load_into(&mut vs, path)?;
    Ok((vs, model))
}

/// Overwrites the variables of `vs` with those in `path`.
pub fn load_into(vs: &mut nn::VarStore, path: &Path) -> Result<(), ModelError> {
    vs.load(path).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("cannot load weights: {e}; the file does not match the model config"),
    })
}
