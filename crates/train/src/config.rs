//! [`TrainConfig`]: the flags of the stage (a preset plus individual overrides), and
//! [`TrainParams`], their fully resolved form that is the artifact's `params`.
//!
//! [`TrainConfig::resolve`] checks every value before anything is written, naming the flag and
//! what it accepts: numbers in range (negative and non-finite ones included, which the flags
//! parse so that the message can say why they are wrong), `--threads` against the machine
//! ([`max_threads`]), and flags that would do nothing with the others (`--cutoffs` without the
//! adaptive softmax, `--tie-weights` with it).

use crate::error::TrainError;
use crate::schedule::{DEFAULT_WARMUP, LrSchedule};
use model::{ModelConfig, OutputKind, Regularisation};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A named set of defaults.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The seed's hyper-parameters: embed 256, hidden 1024, 3 layers, batch 50, seq 30,
    /// 10 epochs, lr 1e-3, clip 0.5, dropout 0.5, validation per epoch (a GPU-sized
    /// word-level model).
    Seed,
    /// Small, for minutes on 2 CPU cores (Song ci, characters): embed 128, hidden 256, 2
    /// layers, dropout 0.1, adaptive softmax with cutoffs 500,2000 and div-value 2 (2.4× the
    /// tokens/s of a full softmax over 5,896 characters), batch 16, seq 70, lr 4e-3, clip 1.0,
    /// validation every 250 steps; 5 epochs, or with `--time-budget` or `--max-steps` as many
    /// as the budget allows, the rate then decaying to zero at its end (docs/QUALITY.md
    /// compares the recipes).
    Cpu,
}

/// The epochs of a run with a `--time-budget` or `--max-steps` and no `--epochs`: the budget
/// decides (a preset's few epochs would end a run on a fast machine with half of its budget
/// unused, or a run of `--max-steps 6000` silently after 3,330).
pub const BUDGET_EPOCHS: u32 = 1000;

/// The output layer kind on the command line.
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputArg {
    Full,
    Adaptive,
}

/// The learning-rate schedule on the command line (see [`crate::schedule`]).
#[derive(clap::ValueEnum, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleArg {
    /// `cosine` when the run has a `--time-budget` or `--max-steps`, `plateau` otherwise.
    Auto,
    /// Constant, times `--lr-decay` after each validation without improvement.
    Plateau,
    /// Warm-up over the first `--warmup` of the run, then cosine decay to zero at its end
    /// (the end of the time budget, the steps or the epochs, whichever comes first).
    Cosine,
}

/// Flags of the `train` stage. Unset flags take the preset's value; the resolved values
/// ([`TrainParams`]) go into the manifest. Its serialised form is a `[train]` table of
/// `pipeline.toml`: one key per flag, written as on the command line (durations as `8m`).
#[derive(clap::Args, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Defaults for every unset flag: `seed` (the original hyper-parameters, GPU-sized) or
    /// `cpu` (small, readable output in minutes on 2 cores).
    #[arg(long, value_enum, default_value_t = Preset::Cpu)]
    pub preset: Preset,
    /// Embedding size E (at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub embed_dim: Option<i64>,
    /// LSTM hidden size H (at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub hidden_size: Option<i64>,
    /// Number of stacked LSTM layers (at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub num_layers: Option<i64>,
    /// Dropout after the embedding, between LSTM layers and before the output layer, in [0, 1).
    #[arg(long, allow_negative_numbers = true)]
    pub dropout: Option<f64>,
    /// Draw the dropout masks once per sequence and share them across its time steps (locked
    /// or variational dropout; between layers the LSTM then runs a layer at a time). Needs
    /// --dropout above 0.
    #[arg(long)]
    pub locked_dropout: bool,
    /// Drop whole rows of the embedding (every occurrence of a token in a batch) with this
    /// probability while training, in [0, 1) (default 0).
    #[arg(long, allow_negative_numbers = true)]
    pub embed_dropout: Option<f64>,
    /// Zero each hidden-to-hidden LSTM weight with this probability, one mask per batch
    /// (DropConnect, as in AWD-LSTM), in [0, 1) (default 0).
    #[arg(long, allow_negative_numbers = true)]
    pub weight_drop: Option<f64>,
    /// Share the embedding matrix with the output layer (full softmax only: give
    /// `--output-layer full` with preset cpu).
    #[arg(long)]
    pub tie_weights: bool,
    /// Output layer: `full` softmax or `adaptive` softmax (for large vocabularies; preset
    /// cpu: adaptive, seed: full).
    #[arg(long, value_enum)]
    pub output_layer: Option<OutputArg>,
    /// Adaptive softmax cluster boundaries as ids, comma-separated, increasing, below the
    /// vocabulary size (default: 500,2000 for preset cpu, 2000,10000 for seed, clipped to the
    /// vocabulary). Only with the adaptive output layer.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub cutoffs: Option<Vec<i64>>,
    /// Adaptive softmax: the clusters after the shortlist project the hidden state to H / DIV,
    /// H / DIV², … dimensions (a finite number, at least 1; preset cpu: 2, seed: 4). A smaller
    /// divisor keeps more detail for rare tokens at more cost. Only with the adaptive output
    /// layer.
    #[arg(long, value_name = "DIV", allow_negative_numbers = true)]
    pub div_value: Option<f64>,
    /// Epochs over the train split (at least 1; default: the preset's, or with --time-budget
    /// or --max-steps up to 1000, so that the budget decides).
    #[arg(long, allow_negative_numbers = true)]
    pub epochs: Option<u32>,
    /// Stop after this many optimizer steps in total (at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub max_steps: Option<u64>,
    /// Stop cleanly once this much wall time is spent (e.g. `20m`, `1h 30m`; more than zero);
    /// the best weights so far are evaluated on test and committed.
    #[arg(long, value_parser = parse_duration)]
    #[serde(with = "duration_text::optional")]
    pub time_budget: Option<f64>,
    /// Parallel streams the train split is cut into (B, at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Truncated back-propagation length in tokens (T, at least 1).
    #[arg(long, allow_negative_numbers = true)]
    pub seq_len: Option<i64>,
    /// Adam learning rate: a finite positive number.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning-rate schedule: `auto` (cosine when the run has a --time-budget or
    /// --max-steps, plateau otherwise), `plateau` or `cosine`.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Auto)]
    pub schedule: ScheduleArg,
    /// With the plateau schedule: multiply the learning rate by this when a validation loss
    /// does not improve, in (0, 1] (1: never decay; default 0.5).
    #[arg(long, allow_negative_numbers = true)]
    pub lr_decay: Option<f64>,
    /// With the cosine schedule: the fraction of the run spent warming the learning rate up
    /// from a tenth of --lr, in [0, 0.5] (default 0.02).
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true)]
    pub warmup: Option<f64>,
    /// Clip the global gradient norm to this: a finite positive number.
    #[arg(long, allow_negative_numbers = true)]
    pub clip: Option<f64>,
    /// Order of the Kneser-Ney n-gram model fitted to the train split as a baseline and mixed
    /// with the LSTM (1 to 10).
    #[arg(long, default_value_t = ngram::DEFAULT_ORDER, allow_negative_numbers = true)]
    pub ngram_order: usize,
    /// Seed of initialisation and dropout: the same seed gives the same loss sequence on CPU.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also evaluate on valid every N steps (0: at the end of each epoch only; preset cpu: 250).
    /// An epoch's end validates too, unless a validation ran less than N/2 steps before; on a
    /// large valid split these validations score a fixed sample of it (see `scored_tokens` in
    /// metrics.jsonl) and the best weights are scored on all of it at the end.
    #[arg(long, allow_negative_numbers = true)]
    pub eval_every: Option<u64>,
    /// Stop early after this many validations in a row without improvement (at least 1;
    /// default 3).
    #[arg(long, allow_negative_numbers = true)]
    pub patience: Option<u32>,
    /// CPU threads for libtorch, 1 to 4 × the machine's logical cores (default: libtorch's
    /// choice). The help shows this machine's range.
    #[arg(long, value_name = "N", allow_negative_numbers = true, help = threads_help())]
    pub threads: Option<i32>,
    /// Also write the resume checkpoint when this much time passed since the last one
    /// (it is written at every validation anyway), so that a killed run loses at most this
    /// (`0s`: after every step).
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    #[serde(with = "duration_text")]
    pub checkpoint_every: f64,
    /// Where to train: `auto` (CUDA when present), `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Continue from a resume checkpoint: a train artifact directory or the
    /// `<root>/train/.resume-<id>` directory that a stopped, killed or diverged run left.
    /// Only --epochs, --max-steps, --time-budget, --patience, --lr and --clip may differ
    /// from the run that wrote it. Not needed to continue with the very same flags: a
    /// checkpoint of the same artifact is picked up by itself.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Fine-tune: start from the weights of this train artifact (its directory, or an artifact
    /// root such as `artifacts/shi` for its latest) instead of random ones. Its vocabulary may
    /// differ: shared tokens keep their rows, new ones start from the mean row (see `init.json`
    /// in the artifact); the architecture must be the same. The learning rate defaults to half
    /// the preset's. In `pipeline.toml`, `init_from = "<corpus>"` names another corpus, whose
    /// pipeline runs first.
    #[arg(long, value_name = "TRAIN_ARTIFACT")]
    #[serde(default)]
    pub init_from: Option<PathBuf>,
    /// With --init-from: keep the embedding as the init model learned it (new tokens' rows
    /// included, at the mean) and train the rest.
    #[arg(long)]
    #[serde(default)]
    pub freeze_embedding: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// The most `--threads` accepted: 4 × the logical cores that
/// [`std::thread::available_parallelism`] reports (1 when it cannot tell). libtorch panics on 0,
/// and far more threads than cores only slow it down (10,000 ran 100 times slower).
pub fn max_threads() -> i32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    i32::try_from(cores.saturating_mul(4)).unwrap_or(i32::MAX)
}

/// The logical cores behind [`max_threads`], for messages.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--threads`' help line, with this machine's range.
fn threads_help() -> String {
    format!(
        "CPU threads for libtorch: 1 to {} here (4 × the {} logical cores; default: libtorch's choice)",
        max_threads(),
        cores()
    )
}

fn parse_duration(s: &str) -> Result<f64, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_secs_f64())
        .map_err(|e| format!("`{s}`: {e} (write e.g. 90s, 20m or 1h 30m)"))
}

/// Seconds as the command line writes a duration (`8m`, `1h 30m`), so that `time_budget = "8m"`
/// in `pipeline.toml` reads as `--time-budget 8m` does.
mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(seconds: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        let duration = Duration::try_from_secs_f64(*seconds).map_err(|e| {
            serde::ser::Error::custom(format!("{seconds} s is not a duration: {e}"))
        })?;
        serializer.collect_str(&humantime::format_duration(duration))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }

    /// The same for a duration that may be absent.
    pub mod optional {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            seconds: &Option<f64>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match seconds {
                Some(seconds) => super::serialize(seconds, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<f64>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| super::super::parse_duration(&text).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

impl Default for TrainConfig {
    /// The flags as the binary has them when none is given (the defaults of the attributes
    /// above: every value the preset decides is unset).
    fn default() -> Self {
        artifact::flag_defaults()
    }
}

impl TrainConfig {
    /// The flags with every field unset, on `preset`.
    pub fn preset(preset: Preset) -> TrainConfig {
        TrainConfig {
            preset,
            ..TrainConfig::default()
        }
    }

    /// Every check of [`Self::resolve`] that does not need the vocabulary (the orchestrator's
    /// before any stage runs): resolving against a vocabulary larger than any cutoff leaves out
    /// only the check that the cutoffs stay below the real one.
    pub fn check_before_vocab(&self) -> Result<(), TrainError> {
        self.resolve(i64::MAX).map(drop)
    }

    /// Fills every unset flag from the preset, for a vocabulary of `vocab_size`, and checks
    /// every value: those of [`TrainParams::validate`], the flags that are not part of the
    /// params (`--threads`, `--checkpoint-every`), and flags that do nothing with the others.
    pub fn resolve(&self, vocab_size: i64) -> Result<TrainParams, TrainError> {
        self.check_run_flags()?;
        let d = match self.preset {
            Preset::Seed => PresetDefaults {
                embed_dim: 256,
                hidden_size: 1024,
                num_layers: 3,
                dropout: 0.5,
                output: OutputArg::Full,
                cutoffs: [2000, 10000],
                div_value: 4.0,
                batch_size: 50,
                seq_len: 30,
                epochs: 10,
                lr: 1e-3,
                clip: 0.5,
                eval_every: 0,
            },
            Preset::Cpu => PresetDefaults {
                embed_dim: 128,
                hidden_size: 256,
                num_layers: 2,
                dropout: 0.1,
                output: OutputArg::Adaptive,
                cutoffs: [500, 2000],
                // The 1,500 and 3,800 rarer characters project to 128 and 32 dimensions
                // instead of 64 and 16 (3% fewer tokens/s), and 16 rows of 70 tokens take the
                // same tokens per step as 32 of 35 with gradients that reach twice as far
                // back: together 0.06 bits better on valid at 8 minutes' worth of steps, on
                // the mean of three seeds (docs/RECIPE.md, the second search).
                div_value: 2.0,
                batch_size: 16,
                seq_len: 70,
                epochs: 5,
                lr: 4e-3,
                clip: 1.0,
                // 280,000 tokens between validations.
                eval_every: 250,
            },
        };
        let output_arg = self.output_layer.unwrap_or(d.output);
        self.check_output_flags(output_arg)?;
        let output = match output_arg {
            OutputArg::Full => OutputKind::Full,
            OutputArg::Adaptive => {
                let cutoffs = self.cutoffs.clone().unwrap_or_else(|| {
                    let mut c: Vec<i64> =
                        d.cutoffs.into_iter().filter(|&c| c < vocab_size).collect();
                    if c.is_empty() {
                        c.push((vocab_size / 2).max(1));
                    }
                    c
                });
                OutputKind::Adaptive {
                    cutoffs,
                    div_value: self.div_value.unwrap_or(d.div_value),
                }
            }
        };
        let schedule = self.resolve_schedule()?;
        let params = TrainParams {
            preset: self.preset,
            model: ModelConfig {
                vocab_size,
                embed_dim: self.embed_dim.unwrap_or(d.embed_dim),
                hidden_size: self.hidden_size.unwrap_or(d.hidden_size),
                num_layers: self.num_layers.unwrap_or(d.num_layers),
                dropout: self.dropout.unwrap_or(d.dropout),
                tie_weights: self.tie_weights,
                output,
                regularisation: Regularisation {
                    locked: self.locked_dropout,
                    embed_dropout: self.embed_dropout.unwrap_or(0.0),
                    weight_drop: self.weight_drop.unwrap_or(0.0),
                },
            },
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            seq_len: self.seq_len.unwrap_or(d.seq_len),
            epochs: self.epochs.unwrap_or(
                if self.time_budget.is_some() || self.max_steps.is_some() {
                    BUDGET_EPOCHS
                } else {
                    d.epochs
                },
            ),
            max_steps: self.max_steps,
            time_budget_s: self.time_budget,
            lr: self.lr.unwrap_or(if self.init_from.is_some() {
                d.lr * FINE_TUNE_LR_SCALE
            } else {
                d.lr
            }),
            freeze_embedding: self.freeze_embedding,
            schedule,
            clip: self.clip.unwrap_or(d.clip),
            ngram_order: self.ngram_order,
            seed: self.seed,
            eval_every: self.eval_every.unwrap_or(d.eval_every),
            patience: self.patience.unwrap_or(3),
        };
        params.validate()?;
        Ok(params)
    }

    /// The schedule `--schedule` names, refusing the flag of the other schedule.
    fn resolve_schedule(&self) -> Result<LrSchedule, TrainError> {
        let budgeted = self.time_budget.is_some() || self.max_steps.is_some();
        let cosine = match self.schedule {
            ScheduleArg::Auto => budgeted,
            ScheduleArg::Plateau => false,
            ScheduleArg::Cosine => true,
        };
        let why = match self.schedule {
            ScheduleArg::Auto if cosine => "(--schedule auto with a budget)",
            ScheduleArg::Auto => "(--schedule auto without --time-budget or --max-steps)",
            _ => "",
        };
        match (cosine, self.lr_decay, self.warmup) {
            (true, Some(decay), _) => Err(TrainError::Param(format!(
                "--lr-decay {decay} decays the plateau schedule, but the schedule is cosine {why}; drop --lr-decay or add --schedule plateau"
            ))),
            (false, _, Some(warmup)) => Err(TrainError::Param(format!(
                "--warmup {warmup} belongs to the cosine schedule, but the schedule is plateau {why}; drop --warmup or add --schedule cosine"
            ))),
            (true, None, warmup) => Ok(LrSchedule::Cosine {
                warmup: warmup.unwrap_or(DEFAULT_WARMUP),
            }),
            (false, decay, None) => Ok(LrSchedule::Plateau {
                decay: decay.unwrap_or(0.5),
            }),
        }
    }

    /// `--threads` and `--checkpoint-every`, which stay out of the params.
    fn check_run_flags(&self) -> Result<(), TrainError> {
        if let Some(threads) = self.threads {
            let max = max_threads();
            if !(1..=max).contains(&threads) {
                return Err(TrainError::Param(format!(
                    "--threads {threads}: must be 1 to {max} on this machine (at most 4 × its {} logical cores; omit the flag to let libtorch choose)",
                    cores()
                )));
            }
        }
        if !(self.checkpoint_every.is_finite() && self.checkpoint_every >= 0.0) {
            return Err(TrainError::Param(format!(
                "--checkpoint-every {}s: must be a duration of 0s or more",
                self.checkpoint_every
            )));
        }
        if self.freeze_embedding && self.init_from.is_none() {
            return Err(TrainError::Param(
                "--freeze-embedding keeps the embedding of the model --init-from starts from, but there is no --init-from: it would freeze random rows; add --init-from TRAIN_ARTIFACT or drop --freeze-embedding".into(),
            ));
        }
        if let (Some(resume), Some(init)) = (&self.resume, &self.init_from) {
            return Err(TrainError::Param(format!(
                "--resume {} continues a checkpoint with its own weights, and --init-from {} starts from another model's: give one of them (a stopped fine-tune continues by itself when rerun with the same flags)",
                resume.display(),
                init.display()
            )));
        }
        Ok(())
    }

    /// Refuses output-layer flags that would do nothing (or not work) with the output layer
    /// `output` (the flag's or the preset's).
    fn check_output_flags(&self, output: OutputArg) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Param(m));
        let whose = if self.output_layer.is_some() {
            "--output-layer".to_owned()
        } else {
            format!("preset {}'s output layer", self.preset.name())
        };
        if let Some(div) = self.div_value
            && !(div.is_finite() && div >= 1.0)
        {
            return bad(format!(
                "--div-value {div}: must be a finite number of at least 1 (preset cpu's is 2)"
            ));
        }
        match output {
            OutputArg::Full if self.div_value.is_some() => bad(format!(
                "--div-value sizes the adaptive softmax's clusters, but the output layer is the full softmax ({whose}); drop --div-value or add --output-layer adaptive"
            )),
            OutputArg::Full if self.cutoffs.is_some() => bad(format!(
                "--cutoffs sets the adaptive softmax's clusters, but the output layer is the full softmax ({whose}{}); drop --cutoffs or add --output-layer adaptive",
                if self.tie_weights {
                    ", tied by --tie-weights"
                } else {
                    ""
                }
            )),
            OutputArg::Adaptive if self.tie_weights => bad(format!(
                "--tie-weights works with the full softmax only, but the output layer is adaptive ({whose}); add --output-layer full or drop --tie-weights{}",
                if self.cutoffs.is_some() {
                    " (and --cutoffs)"
                } else {
                    ""
                }
            )),
            _ => Ok(()),
        }
    }
}

impl Preset {
    /// The preset's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Seed => "seed",
            Preset::Cpu => "cpu",
        }
    }
}

/// A fine-tune (`--init-from`) without `--lr` runs at the preset's rate times this: the weights
/// are already good, and a full rate in the first steps undoes part of what they learned.
pub const FINE_TUNE_LR_SCALE: f64 = 0.5;

/// What a preset gives the flags left unset.
struct PresetDefaults {
    embed_dim: i64,
    hidden_size: i64,
    num_layers: i64,
    dropout: f64,
    output: OutputArg,
    /// Adaptive softmax cutoffs, clipped to the vocabulary.
    cutoffs: [i64; 2],
    /// Adaptive softmax: the divisor of the clusters' widths.
    div_value: f64,
    batch_size: i64,
    seq_len: i64,
    epochs: u32,
    lr: f64,
    clip: f64,
    eval_every: u64,
}

/// The resolved configuration: the artifact's `params`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TrainParams {
    pub preset: Preset,
    pub model: ModelConfig,
    pub batch_size: i64,
    pub seq_len: i64,
    pub epochs: u32,
    pub max_steps: Option<u64>,
    pub time_budget_s: Option<f64>,
    pub lr: f64,
    pub schedule: LrSchedule,
    pub clip: f64,
    /// Order of the n-gram baseline (see [`crate::baseline`]).
    pub ngram_order: usize,
    pub seed: u64,
    pub eval_every: u64,
    pub patience: u32,
    /// The embedding is not trained (a fine-tune's `--freeze-embedding`); left out when false,
    /// so that the ids of earlier artifacts stay the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub freeze_embedding: bool,
}

/// Fields a resumed run may change: when to stop, and the step size (to get past a diverged
/// step).
pub const RESUME_MAY_CHANGE: [&str; 6] = [
    "epochs",
    "max_steps",
    "time_budget_s",
    "patience",
    "lr",
    "clip",
];

impl TrainParams {
    /// Checks every value, naming the flag.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Param(m));
        let r = &self.model.regularisation;
        for (flag, p) in [
            ("--dropout", self.model.dropout),
            ("--embed-dropout", r.embed_dropout),
            ("--weight-drop", r.weight_drop),
        ] {
            if !(0.0..1.0).contains(&p) {
                return bad(format!("{flag} {p}: must be a number in [0, 1) (0: none)"));
            }
        }
        if r.locked && self.model.dropout == 0.0 {
            return bad(
                "--locked-dropout shares dropout masks across time steps, but --dropout is 0; give --dropout above 0 or drop --locked-dropout".into(),
            );
        }
        self.model.validate().map_err(|e| {
            TrainError::Param(format!(
                "{e} (--embed-dim/--hidden-size/--num-layers/--dropout/--cutoffs)"
            ))
        })?;
        if self.batch_size < 1 {
            return bad(format!(
                "--batch-size {}: must be at least 1",
                self.batch_size
            ));
        }
        if self.seq_len < 1 {
            return bad(format!("--seq-len {}: must be at least 1", self.seq_len));
        }
        if self.epochs < 1 {
            return bad("--epochs 0: train at least one epoch".into());
        }
        if self.max_steps == Some(0) {
            return bad("--max-steps 0: take at least one step".into());
        }
        if let Some(budget) = self.time_budget_s
            && !(budget.is_finite() && budget > 0.0)
        {
            return bad(format!(
                "--time-budget {budget}s: must be a duration of more than zero (e.g. 20m)"
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!(
                "--lr {}: must be a finite positive number (e.g. 0.001)",
                self.lr
            ));
        }
        self.schedule.validate().map_err(TrainError::Param)?;
        if !(self.clip.is_finite() && self.clip > 0.0) {
            return bad(format!(
                "--clip {}: must be a finite positive number (e.g. 1.0)",
                self.clip
            ));
        }
        ngram::NgramParams {
            order: self.ngram_order,
        }
        .validate()
        .map_err(|e| TrainError::Param(format!("--ngram-order: {e}")))?;
        if self.patience < 1 {
            return bad("--patience 0: allow at least one validation without improvement".into());
        }
        Ok(())
    }

    /// Names of the fields (dotted for the model) other than [`RESUME_MAY_CHANGE`] whose values
    /// differ between `self` and `other`.
    pub fn differing_fields(&self, other: &TrainParams) -> Vec<String> {
        let (a, b) = (
            serde_json::to_value(self).expect("params serialise"),
            serde_json::to_value(other).expect("params serialise"),
        );
        let mut fields = Vec::new();
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
            return fields;
        };
        for (key, va) in a {
            if RESUME_MAY_CHANGE.contains(&key.as_str()) || b.get(key) == Some(va) {
                continue;
            }
            match (va.as_object(), b.get(key).and_then(|v| v.as_object())) {
                (Some(ma), Some(mb)) => {
                    for (k, v) in ma {
                        if mb.get(k) != Some(v) {
                            fields.push(format!("{key}.{k}"));
                        }
                    }
                }
                _ => fields.push(key.clone()),
            }
        }
        fields
    }
}

/// Parses `--device` (see [`model::parse_device`]).
#[cfg(feature = "torch")]
pub fn parse_device(spec: &str) -> Result<tch::Device, TrainError> {
    model::parse_device(spec).map_err(TrainError::Param)
}

/// The params a finished train artifact was made with.
pub fn read_params(artifact: &artifact::Artifact) -> Result<TrainParams, TrainError> {
    serde_json::from_value(artifact.manifest().params.clone()).map_err(|e| {
        TrainError::Param(format!(
            "artifact {} has malformed params: {e}",
            artifact.dir().display()
        ))
    })
}

/// Reads `config.json` of a complete train artifact: the shape of its model.
pub fn read_model_config(artifact: &artifact::Artifact) -> Result<ModelConfig, TrainError> {
    let path = artifact.path(crate::CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| TrainError::Param(format!("{} is not a model config: {e}", path.display())))
}
