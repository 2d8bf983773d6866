//! Running the stage against the artifact contract: read and check the tokenize artifact and
//! every parameter, skip when the artifact exists, otherwise train (or resume), evaluate the
//! best weights on test and commit.

use crate::adam::Adam;
use crate::baseline::{ScoredSplit, score_baseline};
use crate::checkpoint::{self, BEST_FILE, TrainState};
use crate::config::{TrainConfig, parse_device};
use crate::curve::write_curve;
use crate::data::{Streams, check_lengths, read_corpus};
use crate::error::TrainError;
use crate::evaluate::{Evaluation, token_log_probs, valid_sample};
use crate::init;
use crate::interrupt::take_stop_request;
use crate::log::LogFile;
use crate::metrics::{Record, to_jsonl};
use crate::progress::Progress;
use crate::resume::ResumeSlot;
use crate::schedule::run_fraction;
pub use crate::summary::TrainSummary;
use crate::vocab_map::VocabMap;
use crate::training::{Learner, LoopHooks, StepAction, StopReason, ValidSet, train_loop, validate};
use crate::{CONFIG_FILE, CURVE_FILE, FORMAT_VERSION, METRICS_FILE, STAGE};
use artifact::{Artifact, Begin, Existing, Producer, StageSpec};
use std::path::Path;
use std::time::Instant;
use tch::nn;

/// How this process runs the stage, apart from its parameters (which make the artifact's id):
/// the binary's `--force` and `--log-file`.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// What to do with a complete artifact of the same id.
    pub existing: Existing,
    /// Where the plain progress lines and messages are appended as well (see [`crate::log`]).
    pub log: Option<LogFile>,
}

/// What [`run`] did.
#[derive(Debug)]
pub struct TrainOutcome {
    pub artifact: Artifact,
    /// True when an artifact with the same id already existed and nothing was done.
    pub skipped: bool,
    pub summary: TrainSummary,
}

/// Trains on the tokenize artifact `input` (its directory, or an artifact root whose
/// `tokenize/latest` is used) into a train artifact under `output_root`. The resume
/// checkpoint `<output_root>/train/.resume-<id>/` is kept up to date while training (see
/// [`crate::resume`]) and removed once the artifact is committed. Ctrl-C (after
/// [`crate::install_ctrlc_handler`]) or [`crate::request_stop`] writes it and returns
/// [`TrainError::Interrupted`].
pub fn run(
    input: &Path,
    output_root: &Path,
    config: &TrainConfig,
    options: RunOptions,
) -> Result<TrainOutcome, TrainError> {
    take_stop_request();
    run_with_hook(input, output_root, config, options, &|_| {
        if take_stop_request() {
            StepAction::Stop
        } else {
            StepAction::Continue
        }
    })
}

/// [`run`] with a custom hook in place of Ctrl-C, asked after every step with the step count.
pub fn run_with_hook(
    input: &Path,
    output_root: &Path,
    config: &TrainConfig,
    options: RunOptions,
    after_step: &dyn Fn(u64) -> StepAction,
) -> Result<TrainOutcome, TrainError> {
    let corpus = read_corpus(input)?;
    let params = config.resolve(corpus.vocab.len() as i64)?;
    let device = parse_device(&config.device)?;
    check_lengths(&corpus, params.batch_size, params.seq_len)?;
    let init = config.init_from.as_deref().map(init::open).transpose()?;
    let mut inputs = vec![corpus.artifact.input_ref(output_root)];
    if let Some(init) = &init {
        init.check_architecture(&params.model)?;
        // The init model is an input like the tokens: another one is another artifact.
        inputs.push(init.artifact.input_ref(output_root));
    }
    let spec = StageSpec {
        stage: STAGE.to_owned(),
        format_version: FORMAT_VERSION,
        params: serde_json::to_value(&params).expect("params serialise"),
        inputs,
    };
    let producer = Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let staging = match artifact::begin(output_root, spec, producer, options.existing)? {
        Begin::Complete(artifact) => {
            let summary =
                serde_json::from_value(artifact.manifest().metrics.clone()).map_err(|e| {
                    TrainError::Param(format!(
                        "artifact {} has malformed metrics ({e}); delete it and rerun",
                        artifact.dir().display()
                    ))
                })?;
            return Ok(TrainOutcome {
                artifact,
                skipped: true,
                summary,
            });
        }
        Begin::Staging(staging) => staging,
    };
    // Taken before the checkpoint is read: its owner may be replacing it.
    let slot = ResumeSlot::acquire(output_root, staging.id())?;
    // A checkpoint of this very artifact (same id, so the same parameters) is an interrupted
    // or killed run: continue it rather than start over.
    let automatic = config.resume.is_none() && slot.dir().is_dir();
    let resume_dir = match &config.resume {
        Some(dir) => Some(dir.clone()),
        None => automatic.then(|| slot.dir().to_path_buf()),
    };
    let resume = match resume_dir.as_deref().map(checkpoint::read).transpose() {
        Err(e) if automatic => {
            return Err(TrainError::Resume {
                dir: slot.dir().to_path_buf(),
                message: format!(
                    "the checkpoint of an earlier run cannot be read ({e}); delete the folder to start over"
                ),
            });
        }
        other => other?,
    };
    if let Some(ck) = &resume {
        let fields = params.differing_fields(&ck.state.params);
        if !fields.is_empty() {
            return Err(TrainError::ResumeMismatch {
                dir: ck.dir.clone(),
                fields,
            });
        }
    }
    if let Some(threads) = config.threads {
        tch::set_num_threads(threads);
    }

    tch::manual_seed(params.seed as i64);
    let mut vs = nn::VarStore::new(device);
    let model = model::LstmLm::new(&vs.root(), &params.model)?;
    let init_record = match &init {
        Some(init) => {
            let map = VocabMap::new(init.vocab.tokens(), corpus.vocab.tokens());
            if resume.is_none() {
                init.transfer(&vs, &params.model, &map)?;
            }
            Some(init.record(&map, &corpus.vocab, params.freeze_embedding))
        }
        None => None,
    };
    if params.freeze_embedding {
        // Adam takes only the variables that require a gradient.
        model.freeze_embedding();
    }
    let mut adam = Adam::new(&vs);
    let best_path = staging.dir().join(BEST_FILE);
    let train = Streams::new(&corpus.train.ids, params.batch_size, params.seq_len, device);
    let valid_streams = Streams::new(&corpus.valid.ids, params.batch_size, params.seq_len, device);
    let test_streams = Streams::new(&corpus.test.ids, params.batch_size, params.seq_len, device);
    let interval_tokens = match params.eval_every {
        0 => train.tokens(),
        every => every * (params.batch_size * params.seq_len) as u64,
    };
    let valid_sample = valid_sample(&valid_streams, interval_tokens);
    let valid = ValidSet {
        streams: valid_sample.as_ref().unwrap_or(&valid_streams),
        sampled: valid_sample.is_some(),
        tokens: corpus.valid.ids.len() as u64,
        characters: corpus.valid.characters,
        vocab: &corpus.vocab,
    };

    let (mut state, hidden) = match &resume {
        Some(ck) => {
            model::load_into(&mut vs, &ck.dir.join(checkpoint::LAST_FILE))?;
            adam.restore(&ck.optim, ck.adam_step)
                .map_err(|message| TrainError::Resume {
                    dir: ck.dir.clone(),
                    message,
                })?;
            let best = ck.dir.join(BEST_FILE);
            if best.is_file() {
                std::fs::copy(&best, &best_path).map_err(|e| TrainError::io(&best_path, e))?;
            }
            let mut state = ck.state.clone();
            if params.lr != ck.state.params.lr {
                // A new --lr keeps the decays that happened so far.
                state.lr *= params.lr / ck.state.params.lr;
            }
            state.params = params.clone();
            (state, ck.hidden(device)?)
        }
        None => (
            TrainState {
                params: params.clone(),
                step: 0,
                epoch: 0,
                cursor: 0,
                tokens_seen: 0,
                lr: params.lr,
                best_valid: None,
                bad_evals: 0,
                last_eval_step: None,
                train_loss_sum: 0.0,
                train_loss_steps: 0,
                history: Vec::new(),
                elapsed_s: 0.0,
            },
            model.zero_state(params.batch_size),
        ),
    };
    let start_tokens = state.tokens_seen;
    let total_steps = params
        .max_steps
        .unwrap_or(u64::MAX)
        .min(train.batches() * u64::from(params.epochs));
    let budget_left_s = params
        .time_budget_s
        .map(|budget| (budget - state.elapsed_s).max(0.0));
    let done_fraction = run_fraction(
        state.step,
        total_steps,
        state.elapsed_s,
        params.time_budget_s,
    );
    let mut progress = Progress::new(
        config.quiet,
        options.log,
        state.step,
        done_fraction,
        budget_left_s,
    );
    if automatic && let Some(ck) = &resume {
        progress.println(&format!(
            "train: continuing the interrupted run from its checkpoint {} (step {}); delete that folder to start over",
            ck.dir.display(),
            ck.state.step
        ));
    }
    let started = Instant::now();
    let mut learner = Learner {
        model: &model,
        vs: &vs,
        adam: &mut adam,
        hidden,
    };
    let mut save_checkpoint = |learner: &Learner, state: &TrainState| {
        slot.save(learner.vs, learner.adam, &learner.hidden, state, &best_path)
    };
    let mut hooks = LoopHooks {
        after_step,
        checkpoint: &mut save_checkpoint,
        checkpoint_every_s: config.checkpoint_every,
    };
    let reason = train_loop(
        &mut learner,
        &mut state,
        &train,
        &valid,
        &best_path,
        &mut progress,
        &mut hooks,
    );
    let train_seconds = started.elapsed().as_secs_f64();
    let reason = match reason {
        Err(TrainError::NonFinite {
            step,
            epoch,
            loss,
            lr,
            ..
        }) => {
            progress.finish();
            let checkpoint = checkpoint::read(slot.dir())
                .ok()
                .map(|ck| (ck.dir, ck.state.step));
            return Err(TrainError::NonFinite {
                step,
                epoch,
                loss,
                checkpoint,
                lr,
            });
        }
        other => other?,
    };
    if reason == StopReason::Interrupted {
        progress.finish();
        return Err(TrainError::Interrupted {
            step: state.step,
            dir: slot.dir().to_path_buf(),
        });
    }
    if state.last_eval_step != Some(state.step) {
        validate(&learner, &mut state, &valid, &best_path, &progress)?;
    }
    let dir = staging.dir().to_path_buf();
    checkpoint::write(&dir, &vs, learner.adam, &learner.hidden, &state, None)?;

    let (_best_vs, best_model) = model::load(&best_path, &params.model, device)?;
    // The test split once, per token: its figures, and the mixture's below.
    let test_lps = token_log_probs(&best_model, &test_streams);
    let test_eval = Evaluation::of_log_probs(&test_lps, &corpus.test);
    // The whole valid split for the best weights (validations may have scored a sample).
    let valid_lps = token_log_probs(&best_model, &valid_streams);
    let valid_eval = Evaluation::of_log_probs(&valid_lps, &corpus.valid);
    let (baseline, ngram) = score_baseline(
        params.ngram_order,
        corpus.vocab.len(),
        &corpus.train,
        ScoredSplit {
            split: &corpus.valid,
            lstm_log_probs: &valid_lps,
        },
        ScoredSplit {
            split: &corpus.test,
            lstm_log_probs: &test_lps,
        },
    )?;
    progress.finish();
    let mut history = state.history.clone();
    history.push(Record {
        split: "test".into(),
        step: state.step,
        epoch: state.epoch,
        tokens_seen: state.tokens_seen,
        loss: test_eval.loss,
        perplexity: Some(test_eval.perplexity),
        bits_per_char: Some(test_eval.bits_per_char),
        lr: state.lr,
        tokens_per_s: None,
        sample: None,
        scored_tokens: None,
    });
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| TrainError::io(&path, e))
    };
    let mut config_json = serde_json::to_string_pretty(&params.model).expect("config serialises");
    config_json.push('\n');
    write(CONFIG_FILE, config_json.as_bytes())?;
    write(METRICS_FILE, to_jsonl(&history).as_bytes())?;
    if let Some(record) = &init_record {
        let mut json = serde_json::to_string_pretty(record).expect("init record serialises");
        json.push('\n');
        write(init::INIT_FILE, json.as_bytes())?;
    }
    ngram.save(dir.join(ngram::FILE_NAME))?;
    if let Err(e) = write_curve(&dir.join(CURVE_FILE), &history) {
        progress.warn(&format!("warning: could not draw {CURVE_FILE}: {e}"));
        write(
            CURVE_FILE,
            format!("<svg xmlns=\"http://www.w3.org/2000/svg\"><text x=\"10\" y=\"20\">curve unavailable: {e}</text></svg>\n").as_bytes(),
        )?;
    }
    let summary = TrainSummary {
        parameters: params.model.parameter_count(),
        steps: state.step,
        epochs_completed: state.epoch,
        tokens_seen: state.tokens_seen,
        stop_reason: reason,
        valid: valid_eval,
        test: test_eval,
        baseline,
        train_tokens_per_s: (state.tokens_seen - start_tokens) as f64 / train_seconds.max(1e-9),
        device: format!("{device:?}"),
        init: init_record.map(|r| r.summary),
    };
    let artifact = staging.commit(serde_json::to_value(&summary).expect("summary serialises"))?;
    slot.remove()?;
    if let Some(dir) = &config.resume
        && dir.as_path() != slot.dir()
        && crate::resume::retire(output_root, dir)?
    {
        progress.println(&format!(
            "train: removed the checkpoint {} that this run continued",
            dir.display()
        ));
    }
    Ok(TrainOutcome {
        artifact,
        skipped: false,
        summary,
    })
}
