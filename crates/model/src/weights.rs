//! Weights on disk: safetensors files with the variable names of [`crate::LstmLm`], loadable
//! from Python's `safetensors`.
//!
//! Loading tells two faults apart. A file that cannot be read as safetensors at all (cut short
//! by a full disk or a copy that stopped, or not a weights file) is *damaged*: the error names
//! the file, says what is wrong with it and that rerunning the train stage writes it again. A
//! well-formed file whose tensors are not those of the model config (a missing or extra name, or
//! another shape or dtype) *does not match the model config*: the error names the tensor and
//! both shapes.

use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::lm::LstmLm;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use tch::{Device, TchError, Tensor, nn};

/// What to do about a damaged weights file.
const RECOVER: &str = "rerun the train stage to write it again (`cargo xtask train --force`, \
     or delete the train artifact folder and rerun `jianghu-train`; for a `.resume-…` checkpoint, \
     delete that folder)";

/// Writes every variable of `vs` to `path` (must end in `.safetensors`).
pub fn save(vs: &nn::VarStore, path: &Path) -> Result<(), ModelError> {
    vs.save(path).map_err(|e| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!("cannot write weights: {e}"),
    })
}

/// Builds the model of `config` on `device` and fills it from the safetensors file `path`;
/// fails, naming the file, when the file is damaged or a tensor is missing, extra or has
/// another shape (see the module docs).
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

/// Overwrites the variables of `vs` with those in `path`. Nothing is changed unless every
/// tensor of the file matches a variable of `vs` in name, shape and dtype, and every variable
/// has its tensor.
pub fn load_into(vs: &mut nn::VarStore, path: &Path) -> Result<(), ModelError> {
    let tensors = read(path)?;
    let variables = vs.variables();
    let mismatch = |detail: String| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!(
            "the file does not match the model config: {detail}; the weights and the config \
             come from different models"
        ),
    };
    let mut names: Vec<&String> = variables.keys().collect();
    names.sort();
    for name in names {
        let var = &variables[name];
        let Some(src) = tensors.get(name) else {
            return Err(mismatch(format!(
                "tensor `{name}` (shape {:?}) is missing from the file",
                var.size()
            )));
        };
        if src.size() != var.size() {
            return Err(mismatch(format!(
                "tensor `{name}` has shape {:?} in the file, the model config gives {:?}",
                src.size(),
                var.size()
            )));
        }
        if src.kind() != var.kind() {
            return Err(mismatch(format!(
                "tensor `{name}` is {:?} in the file, the model uses {:?}",
                src.kind(),
                var.kind()
            )));
        }
    }
    if let Some((name, src)) = tensors.iter().find(|(n, _)| !variables.contains_key(*n)) {
        return Err(mismatch(format!(
            "the file holds tensor `{name}` (shape {:?}) that the model config does not have",
            src.size()
        )));
    }
    tch::no_grad(|| {
        for (name, var) in &variables {
            let mut var = var.shallow_clone();
            var.f_copy_(&tensors[name])
                .map_err(|e| ModelError::Weights {
                    path: path.to_path_buf(),
                    message: format!("cannot copy tensor `{name}` into the model: {e}"),
                })?;
        }
        Ok(())
    })
}

/// The tensors of the safetensors file `path`, by name; a file that cannot be read or parsed
/// gets an error saying why and how to recover.
fn read(path: &Path) -> Result<BTreeMap<String, Tensor>, ModelError> {
    let damaged = |why: String| ModelError::Weights {
        path: path.to_path_buf(),
        message: format!(
            "the weights file is damaged or truncated ({why}) and cannot be read as \
             safetensors; {RECOVER}"
        ),
    };
    check_header(path).map_err(|e| match e {
        Header::Io(e) => ModelError::Weights {
            path: path.to_path_buf(),
            message: format!("cannot read the weights file: {e}"),
        },
        Header::Damaged(why) => damaged(why),
    })?;
    match Tensor::read_safetensors(path) {
        Ok(tensors) => Ok(tensors.into_iter().collect()),
        Err(TchError::SafeTensorError { err, .. }) => Err(damaged(describe(&format!("{err}")))),
        Err(e) => Err(damaged(e.to_string())),
    }
}

/// Why a header check failed.
enum Header {
    Io(std::io::Error),
    Damaged(String),
}

/// The largest header the safetensors format allows.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Checks what can be checked without parsing: the 8-byte header length, and that the file
/// holds that much header, starting with `{`. Says plainly what the safetensors library would
/// only name by an enum variant.
fn check_header(path: &Path) -> Result<(), Header> {
    let mut file = std::fs::File::open(path).map_err(Header::Io)?;
    let len = file.metadata().map_err(Header::Io)?.len();
    if len < 8 {
        return Err(Header::Damaged(format!(
            "{len} bytes, shorter than the 8-byte header length"
        )));
    }
    let mut prefix = [0u8; 9];
    let want = if len > 8 { 9 } else { 8 };
    file.read_exact(&mut prefix[..want]).map_err(Header::Io)?;
    let header = u64::from_le_bytes(prefix[..8].try_into().expect("8 bytes"));
    if header > MAX_HEADER_BYTES {
        return Err(Header::Damaged(format!(
            "its first 8 bytes give a header of {header} bytes: not a safetensors file"
        )));
    }
    if header > len - 8 {
        return Err(Header::Damaged(format!(
            "the header says {header} bytes, the file has only {} after the length",
            len - 8
        )));
    }
    if header == 0 || prefix[8] != b'{' {
        return Err(Header::Damaged(
            "the header is not a JSON object: not a safetensors file".into(),
        ));
    }
    Ok(())
}

/// Plain words for the safetensors library's errors (which display as their `Debug` form).
fn describe(err: &str) -> String {
    let variant = err
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    match variant {
        "MetadataIncompleteBuffer"
        | "InvalidOffset"
        | "TensorInvalidInfo"
        | "InvalidTensorView" => "the tensor data is not as long as the header says".into(),
        "InvalidHeader" | "InvalidHeaderStart" | "InvalidHeaderDeserialization" | "JsonError" => {
            "the header is not valid safetensors JSON".into()
        }
        "HeaderTooLarge" | "HeaderTooSmall" | "InvalidHeaderLength" => {
            "the header length is impossible".into()
        }
        _ => format!("safetensors: {err}"),
    }
}
