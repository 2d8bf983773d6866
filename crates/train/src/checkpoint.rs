//! The resume checkpoint: `last.safetensors` (weights), `optim.safetensors` (Adam moments
//! `m.<var>`/`v.<var>` and the carried LSTM state `state.h`/`state.c`), `state.bin` (bincode:
//! step, epoch, data cursor, learning rate, plateau counters, metric history) and
//! `model.safetensors` (the best weights so far).
//!
//! A finished run keeps these files inside its artifact. A run in progress writes them to
//! `<root>/train/.resume-<id>/` at every validation, every `--checkpoint-every` and on
//! Ctrl-C (see [`crate::resume`]): a hidden directory that readers ignore and that
//! `artifact::begin` does not sweep; committing the artifact of that id removes it.
//! `state.bin` is written last, and a directory without it is not a checkpoint. Dropout
//! randomness is reseeded from (seed, step) before every step, so the RNG needs no saving.

use crate::adam::Adam;
use crate::config::TrainParams;
use crate::error::TrainError;
use crate::metrics::{Record, from_jsonl, to_jsonl};
use model::LstmState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tch::{Device, Tensor, nn};

pub const LAST_FILE: &str = "last.safetensors";
pub const OPTIM_FILE: &str = "optim.safetensors";
pub const STATE_FILE: &str = "state.bin";
pub const BEST_FILE: &str = crate::MODEL_FILE;
/// Prefix of the directory of a run in progress' checkpoint, next to the train artifacts.
pub const RESUME_PREFIX: &str = ".resume-";
/// Version of `state.bin`.
const STATE_VERSION: u32 = 1;

/// The loop's counters: everything besides tensors that an exact resume needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainState {
    pub params: TrainParams,
    pub step: u64,
    pub epoch: u32,
    /// Batches of the current epoch already taken.
    pub cursor: u64,
    pub tokens_seen: u64,
    pub lr: f64,
    pub best_valid: Option<f64>,
    /// Validations in a row without improvement.
    pub bad_evals: u32,
    /// Step of the last validation.
    pub last_eval_step: Option<u64>,
    pub train_loss_sum: f64,
    pub train_loss_steps: u64,
    pub history: Vec<Record>,
    /// Training seconds spent before this process (for the time budget).
    pub elapsed_s: f64,
}

/// `state.bin` as stored: JSON inside bincode for the parts with serde attributes that a
/// non-self-describing format cannot carry.
#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    params_json: String,
    step: u64,
    epoch: u32,
    cursor: u64,
    tokens_seen: u64,
    lr: f64,
    best_valid: Option<f64>,
    bad_evals: u32,
    last_eval_step: Option<u64>,
    train_loss_sum: f64,
    train_loss_steps: u64,
    history_jsonl: String,
    elapsed_s: f64,
    adam_step: i64,
}

/// Writes a complete checkpoint into `dir` (created if needed), `state.bin` last. `best` is
/// the best-weights file to copy in, unless it already is `dir/model.safetensors`.
pub fn write(
    dir: &Path,
    vs: &nn::VarStore,
    adam: &Adam,
    hidden: &LstmState,
    state: &TrainState,
    best: Option<&Path>,
) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    model::save(vs, &dir.join(LAST_FILE))?;
    let mut tensors = adam.moments();
    tensors.push(("state.h".into(), hidden.h.shallow_clone()));
    tensors.push(("state.c".into(), hidden.c.shallow_clone()));
    let optim = dir.join(OPTIM_FILE);
    Tensor::write_safetensors(&tensors, &optim)?;
    if let Some(best) = best {
        let target = dir.join(BEST_FILE);
        if best != target && best.is_file() {
            std::fs::copy(best, &target).map_err(|e| TrainError::io(&target, e))?;
        }
    }
    let file = StateFile {
        version: STATE_VERSION,
        params_json: serde_json::to_string(&state.params).expect("params serialise"),
        step: state.step,
        epoch: state.epoch,
        cursor: state.cursor,
        tokens_seen: state.tokens_seen,
        lr: state.lr,
        best_valid: state.best_valid,
        bad_evals: state.bad_evals,
        last_eval_step: state.last_eval_step,
        train_loss_sum: state.train_loss_sum,
        train_loss_steps: state.train_loss_steps,
        history_jsonl: to_jsonl(&state.history),
        elapsed_s: state.elapsed_s,
        adam_step: adam.step,
    };
    let bytes = bincode::serde::encode_to_vec(&file, bincode::config::standard()).map_err(|e| {
        TrainError::Resume {
            dir: dir.to_path_buf(),
            message: format!("cannot encode state: {e}"),
        }
    })?;
    let path = dir.join(STATE_FILE);
    std::fs::write(&path, bytes).map_err(|e| TrainError::io(&path, e))?;
    Ok(())
}

/// A checkpoint read back: the counters and the tensors of `optim.safetensors`.
#[derive(Debug)]
pub struct Checkpoint {
    pub dir: PathBuf,
    pub state: TrainState,
    pub adam_step: i64,
    pub optim: HashMap<String, Tensor>,
}

impl Checkpoint {
    /// The carried LSTM state, on `device`.
    pub fn hidden(&self, device: Device) -> Result<LstmState, TrainError> {
        let get = |k: &str| {
            self.optim
                .get(k)
                .map(|t| t.to(device))
                .ok_or_else(|| TrainError::Resume {
                    dir: self.dir.clone(),
                    message: format!("{OPTIM_FILE} lacks `{k}`"),
                })
        };
        Ok(LstmState {
            h: get("state.h")?,
            c: get("state.c")?,
        })
    }
}

/// Reads the checkpoint in `dir` (a train artifact or a `.resume-<id>` directory).
pub fn read(dir: &Path) -> Result<Checkpoint, TrainError> {
    let bad = |message: String| TrainError::Resume {
        dir: dir.to_path_buf(),
        message,
    };
    for file in [LAST_FILE, OPTIM_FILE, STATE_FILE] {
        if !dir.join(file).is_file() {
            return Err(bad(format!(
                "{file} is missing; give a train artifact or a .resume-<id> directory"
            )));
        }
    }
    let path = dir.join(STATE_FILE);
    let bytes = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
    let (file, _): (StateFile, usize) =
        bincode::serde::decode_from_slice(&bytes, bincode::config::standard())
            .map_err(|e| bad(format!("{STATE_FILE} is malformed: {e}")))?;
    if file.version != STATE_VERSION {
        return Err(bad(format!(
            "{STATE_FILE} has version {}, this build reads version {STATE_VERSION}",
            file.version
        )));
    }
    let params = serde_json::from_str(&file.params_json)
        .map_err(|e| bad(format!("{STATE_FILE} holds malformed params: {e}")))?;
    let history = from_jsonl(&file.history_jsonl)
        .map_err(|e| bad(format!("{STATE_FILE} holds a malformed history: {e}")))?;
    let optim = Tensor::read_safetensors(dir.join(OPTIM_FILE))?
        .into_iter()
        .collect();
    Ok(Checkpoint {
        dir: dir.to_path_buf(),
        state: TrainState {
            params,
            step: file.step,
            epoch: file.epoch,
            cursor: file.cursor,
            tokens_seen: file.tokens_seen,
            lr: file.lr,
            best_valid: file.best_valid,
            bad_evals: file.bad_evals,
            last_eval_step: file.last_eval_step,
            train_loss_sum: file.train_loss_sum,
            train_loss_steps: file.train_loss_steps,
            history,
            elapsed_s: file.elapsed_s,
        },
        adam_step: file.adam_step,
        optim,
    })
}
