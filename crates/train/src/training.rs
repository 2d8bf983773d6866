//! The training loop: B parallel streams, truncated back-propagation through time over T
//! steps with the state carried and detached, cross-entropy, Adam with gradient-norm
//! clipping; validation every epoch and every `eval_every` steps with learning-rate decay on
//! plateau and early stopping; the resume checkpoint after every validation, every
//! `checkpoint_every` seconds and on a stop request; stops on epochs, max steps, time budget,
//! early stopping or a stop request.

use crate::adam::Adam;
use crate::checkpoint::TrainState;
use crate::chunked_loss::{chunk_rows, loss_and_gradients};
use crate::config::TrainParams;
use crate::data::Streams;
use crate::error::TrainError;
use crate::estimate::{ESTIMATE_AFTER_S, ESTIMATE_AFTER_STEPS, long_run_warning};
use crate::evaluate::{Evaluation, evaluate};
use crate::metrics::Record;
use crate::preview::preview;
use crate::progress::Progress;
use crate::schedule::{LrSchedule, run_fraction};
pub use crate::summary::StopReason;
use model::{LstmLm, LstmState};
use std::path::Path;
use std::time::Instant;
use tch::nn;

/// What the caller of the loop wants after a step (see [`LoopHooks::after_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    Continue,
    /// Write the resume checkpoint and stop, as Ctrl-C does.
    Stop,
    /// Fill every weight with NaN once this step's checkpoint is written, so that the next
    /// step diverges: how tests reach the divergence path after a checkpoint (no real
    /// learning rate diverges at a chosen step).
    PoisonWeights,
}

/// The loop's connections to its caller.
pub struct LoopHooks<'a> {
    /// Asked after every step with the step count (Ctrl-C, tests).
    pub after_step: &'a dyn Fn(u64) -> StepAction,
    /// Writes the resume checkpoint of the current state.
    pub checkpoint: &'a mut dyn FnMut(&Learner, &TrainState) -> Result<(), TrainError>,
    /// Seconds after which a checkpoint is due even without a validation.
    pub checkpoint_every_s: f64,
}

/// The valid split and what bits per character need; the vocabulary decodes the preview
/// sample of each validation.
pub struct ValidSet<'a> {
    /// What validations during training score: the whole split, or the fixed sample of
    /// [`crate::evaluate::valid_sample`] (the best weights are scored on the whole split at
    /// the end).
    pub streams: &'a Streams,
    /// Whether `streams` is a sample, for the records.
    pub sampled: bool,
    pub tokens: u64,
    pub characters: u64,
    pub vocab: &'a tokenize::Vocab,
}

/// The model being trained and its optimizer.
pub struct Learner<'a> {
    pub model: &'a LstmLm,
    pub vs: &'a nn::VarStore,
    pub adam: &'a mut Adam,
    pub hidden: LstmState,
}

/// Train records per epoch (at least one per step when epochs are shorter).
const TRAIN_RECORDS_PER_EPOCH: u64 = 20;

/// The seed of dropout for `step`: a resumed run draws the same masks without saving RNG state.
fn step_seed(seed: u64, step: u64) -> i64 {
    (seed.wrapping_mul(1_000_003).wrapping_add(step) & (i64::MAX as u64)) as i64
}

/// One optimizer step on a batch from `hidden`: forward, mean cross-entropy, backward (in
/// blocks of rows where [`chunk_rows`] says so), gradient-norm clipping, Adam. Returns the
/// loss and the detached next state. A non-finite loss skips the update (the caller stops).
pub fn train_step(
    model: &LstmLm,
    adam: &mut Adam,
    inputs: &tch::Tensor,
    targets: &tch::Tensor,
    hidden: &LstmState,
    lr: f64,
    clip: f64,
) -> (f64, LstmState) {
    let (output, next) = model.hidden(inputs, hidden, true);
    let (loss, mut grads) =
        match chunk_rows(model.config(), targets.numel() as i64, output.device()) {
            Some(rows) => loss_and_gradients(model, adam.params(), &output, targets, rows),
            None => {
                let loss = model.loss(&output, targets);
                let grads = adam.gradients(&loss);
                (loss, grads)
            }
        };
    let value = loss.double_value(&[]);
    if value.is_finite() {
        Adam::clip_grad_norm(&mut grads, clip);
        adam.update(&grads, lr);
    }
    (value, next.detach())
}

/// Runs validation, records it, keeps the best weights in `best_path`, decays the learning
/// rate on a plateau.
pub fn validate(
    learner: &Learner,
    state: &mut TrainState,
    valid: &ValidSet,
    best_path: &Path,
    progress: &Progress,
) -> Result<Evaluation, TrainError> {
    let eval = evaluate(learner.model, valid.streams, valid.tokens, valid.characters);
    let sample = preview(learner.model, valid.vocab, state.params.seed);
    state.history.push(Record {
        split: "valid".into(),
        step: state.step,
        epoch: state.epoch,
        tokens_seen: state.tokens_seen,
        loss: eval.loss,
        perplexity: Some(eval.perplexity),
        bits_per_char: Some(eval.bits_per_char),
        lr: state.lr,
        tokens_per_s: None,
        sample: Some(sample.clone()),
        scored_tokens: valid.sampled.then(|| valid.streams.tokens()),
    });
    state.last_eval_step = Some(state.step);
    let improved = state.best_valid.is_none_or(|best| eval.loss < best);
    if improved {
        state.best_valid = Some(eval.loss);
        state.bad_evals = 0;
        model::save(learner.vs, best_path)?;
    } else {
        state.bad_evals += 1;
        if let LrSchedule::Plateau { decay } = state.params.schedule {
            state.lr *= decay;
        }
    }
    progress.println(&format!(
        "valid  step {}  epoch {}  loss {:.4}  ppl {:.2}  bpc {:.4}{}",
        state.step,
        state.epoch,
        eval.loss,
        eval.perplexity,
        eval.bits_per_char,
        if improved {
            "  (best)".to_owned()
        } else {
            format!("  (no improvement; lr {:.3e})", state.lr)
        }
    ));
    progress.println(&format!("       sample: {sample}"));
    Ok(eval)
}

/// Whether the end of an epoch validates: always without `eval_every`; with it, unless a
/// validation ran less than half an interval ago (it would score nearly the same weights).
fn epoch_end_validates(params: &TrainParams, state: &TrainState) -> bool {
    let since = state.last_eval_step.map(|s| state.step - s);
    match (params.eval_every, since) {
        (_, Some(0)) => false,
        (0, _) | (_, None) => true,
        (every, Some(since)) => 2 * since >= every,
    }
}

/// Trains until a stop condition. A stop request ([`StepAction::Stop`]) returns
/// [`StopReason::Interrupted`] after writing the checkpoint.
pub fn train_loop(
    learner: &mut Learner,
    state: &mut TrainState,
    train: &Streams,
    valid: &ValidSet,
    best_path: &Path,
    progress: &mut Progress,
    hooks: &mut LoopHooks,
) -> Result<StopReason, TrainError> {
    let params: TrainParams = state.params.clone();
    let batches = train.batches();
    let record_every = (batches / TRAIN_RECORDS_PER_EPOCH).max(1);
    let total_steps = params
        .max_steps
        .unwrap_or(u64::MAX)
        .min(batches * u64::from(params.epochs));
    let batch_size = train.inputs.size()[0];
    // The tokens and the time since the last train record, validation or checkpoint: the rate
    // shown and recorded is that of the training steps. A window of a few seconds that held a
    // validation would otherwise show a third less than the run's speed.
    let mut window = (Instant::now(), state.tokens_seen);
    let (started, elapsed_before) = (Instant::now(), state.elapsed_s);
    let mut last_checkpoint = Instant::now();
    let (first_step_here, mut estimated) = (state.step, false);
    let on_gpu = learner.vs.device() != tch::Device::Cpu;
    while state.epoch < params.epochs {
        if state.cursor == 0 {
            learner.hidden = learner.model.zero_state(batch_size);
        }
        while state.cursor < batches {
            tch::manual_seed(step_seed(params.seed, state.step));
            let fraction = run_fraction(
                state.step,
                total_steps,
                state.elapsed_s,
                params.time_budget_s,
            );
            if let Some(lr) = params.schedule.lr_at(params.lr, fraction) {
                state.lr = lr;
            }
            let (inputs, targets) = train.batch(state.cursor);
            let (value, next) = train_step(
                learner.model,
                learner.adam,
                &inputs,
                &targets,
                &learner.hidden,
                state.lr,
                params.clip,
            );
            if !value.is_finite() {
                return Err(TrainError::NonFinite {
                    step: state.step + 1,
                    epoch: state.epoch,
                    loss: value,
                    checkpoint: None,
                    lr: params.lr,
                });
            }
            learner.hidden = next;
            state.step += 1;
            state.cursor += 1;
            state.tokens_seen += targets.numel() as u64;
            state.train_loss_sum += value;
            state.train_loss_steps += 1;
            state.elapsed_s = elapsed_before + started.elapsed().as_secs_f64();

            let rate =
                (state.tokens_seen - window.1) as f64 / window.0.elapsed().as_secs_f64().max(1e-9);
            let done = run_fraction(
                state.step,
                total_steps,
                state.elapsed_s,
                params.time_budget_s,
            );
            progress.step(state.step, total_steps, done, state.epoch, value, rate);
            if state.step.is_multiple_of(record_every) || state.cursor == batches {
                state.history.push(Record {
                    split: "train".into(),
                    step: state.step,
                    epoch: state.epoch,
                    tokens_seen: state.tokens_seen,
                    loss: state.train_loss_sum / state.train_loss_steps as f64,
                    perplexity: None,
                    bits_per_char: None,
                    lr: state.lr,
                    tokens_per_s: Some(rate),
                    sample: None,
                    scored_tokens: None,
                });
                state.train_loss_sum = 0.0;
                state.train_loss_steps = 0;
                window = (Instant::now(), state.tokens_seen);
            }
            if params.eval_every > 0 && state.step.is_multiple_of(params.eval_every) {
                validate(learner, state, valid, best_path, progress)?;
                window = (Instant::now(), state.tokens_seen);
            }
            if state.cursor == batches {
                if epoch_end_validates(&params, state) {
                    validate(learner, state, valid, best_path, progress)?;
                    window = (Instant::now(), state.tokens_seen);
                }
                state.epoch += 1;
                state.cursor = 0;
            }
            let steps_here = state.step - first_step_here;
            if !estimated
                && steps_here >= ESTIMATE_AFTER_STEPS
                && started.elapsed().as_secs_f64() >= ESTIMATE_AFTER_S
            {
                estimated = true;
                let seconds = started.elapsed().as_secs_f64();
                let left = total_steps.saturating_sub(state.step);
                if let Some(warning) = long_run_warning(&params, on_gpu, steps_here, seconds, left)
                {
                    progress.warn(&warning);
                }
            }
            let action = (hooks.after_step)(state.step);
            let stop = if state.bad_evals >= params.patience {
                Some(StopReason::EarlyStop)
            } else if state.epoch >= params.epochs {
                Some(StopReason::Epochs)
            } else if params.max_steps.is_some_and(|m| state.step >= m) {
                Some(StopReason::MaxSteps)
            } else if params.time_budget_s.is_some_and(|b| state.elapsed_s >= b) {
                Some(StopReason::TimeBudget)
            } else if action == StepAction::Stop {
                Some(StopReason::Interrupted)
            } else {
                None
            };
            // A run that ends here commits its artifact instead.
            let due = state.last_eval_step == Some(state.step)
                || last_checkpoint.elapsed().as_secs_f64() >= hooks.checkpoint_every_s;
            if stop == Some(StopReason::Interrupted) || (stop.is_none() && due) {
                let writing = Instant::now();
                (hooks.checkpoint)(learner, state)?;
                last_checkpoint = Instant::now();
                window = (last_checkpoint, state.tokens_seen);
                progress.println(&format!(
                    "checkpoint  step {}  written in {:.2} s",
                    state.step,
                    writing.elapsed().as_secs_f64()
                ));
            }
            if action == StepAction::PoisonWeights {
                tch::no_grad(|| {
                    for mut var in learner.vs.trainable_variables() {
                        let _ = var.fill_(f64::NAN);
                    }
                });
            }
            if let Some(reason) = stop {
                return Ok(reason);
            }
            if state.cursor == 0 {
                break;
            }
        }
    }
    Ok(StopReason::Epochs)
}
