//! The generate stage: load a train artifact (and its tokenizer through the lineage), choose
//! text or names mode, decode `--num-samples` continuations of the prompt in one batch (or beam
//! search; in names mode topped up until enough names pass the filters), compute the quality
//! metrics and write the generate artifact.

use crate::config::{GenerateConfig, Task, parse_device};
use crate::continuation::continuations;
use crate::error::GenerateError;
use crate::form::decode::all_form_samples;
use crate::form::{TokenShapes, constrained_metrics, resolve_forms, unconstrained_metrics};
use crate::generate::Generated;
use crate::metrics::{WindowIndex, distinct_n, repeated_ngram_rate};
use crate::mixture::{Mixture, Predictor};
use crate::mode::{Mode, ModeChoice, TrainingShape};
use crate::names::{generate_names, training_names};
use crate::prompt::encode_prompt;
use crate::source::{MODEL_FILE, open_parts, training_text};
pub use crate::summary::{GenerateSummary, SampleRecord, read_samples};
use crate::{FORMAT_VERSION, METRICS_FILE, SAMPLES_FILE, SAMPLES_JSONL_FILE, STAGE};
use artifact::{Artifact, Begin, Existing, Producer, StageSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenize::Forms;

/// What [`run`] produced.
#[derive(Debug, Clone)]
pub struct GenerateOutcome {
    pub artifact: Artifact,
    /// The artifact was complete already; nothing was generated.
    pub skipped: bool,
    pub summary: GenerateSummary,
    pub samples: Vec<SampleRecord>,
}

/// Generates from the train artifact `model` (a train artifact directory or an artifact root
/// `artifacts/<corpus>` whose latest train artifact is used) into a generate artifact under
/// `output_root` (default: the root the train artifact lies in). Parameters and inputs are
/// checked before anything is written (flags that would do nothing included, and `--beam`
/// against the vocabulary); on any error no artifact is left. `existing` says whether a complete
/// artifact of the same id is reused or made again.
pub fn run(
    model: &Path,
    output_root: Option<&Path>,
    config: &GenerateConfig,
    existing: Existing,
) -> Result<GenerateOutcome, GenerateError> {
    run_streaming(model, output_root, config, existing, &mut |_, _| {})
}

/// [`run`], calling `on_text(sample, text)` with the text of every token as it is sampled
/// (`<eos>` as a newline; text mode only, not called for beam search or a skipped run).
pub fn run_streaming(
    model: &Path,
    output_root: Option<&Path>,
    config: &GenerateConfig,
    existing: Existing,
    on_text: &mut dyn FnMut(usize, &str),
) -> Result<GenerateOutcome, GenerateError> {
    config.validate_for(Task::Generate)?;
    let device = parse_device(&config.device)?;
    let (train, tokenize_artifact, tokenizer, model_config) = open_parts(model)?;
    config.check_model(model_config.vocab_size)?;
    let choice = ModeChoice::choose(config, TrainingShape::read(&tokenize_artifact, &tokenizer)?)?;
    config.check_mode(&choice)?;
    let forms = Forms::new(tokenize::read_forms(&tokenize_artifact)?);
    let shapes = Arc::new(TokenShapes::new(tokenizer.vocab()));
    let requests = resolve_forms(config, &forms, &shapes)?;
    if let Some(line) = choice.announcement() {
        eprintln!("{line}");
    }
    let root: PathBuf = output_root.map_or_else(|| train.root(), Path::to_path_buf);
    let spec = StageSpec {
        stage: STAGE.to_owned(),
        format_version: FORMAT_VERSION,
        params: serde_json::to_value(config).expect("params serialise"),
        inputs: vec![train.input_ref(&root)],
    };
    let producer = Producer::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    let staging = match artifact::begin(&root, spec, producer, existing)? {
        Begin::Complete(artifact) => {
            let summary =
                serde_json::from_value(artifact.manifest().metrics.clone()).map_err(|e| {
                    GenerateError::BadModel {
                        dir: artifact.dir().to_path_buf(),
                        message: format!("manifest metrics: {e}"),
                    }
                })?;
            let samples = read_samples(&artifact)?;
            return Ok(GenerateOutcome {
                artifact,
                skipped: true,
                summary,
                samples,
            });
        }
        Begin::Staging(staging) => staging,
    };

    let (_vs, lm) = model::load(&train.path(MODEL_FILE), &model_config, device)?;
    let mixture = if config.no_mixture {
        None
    } else {
        Mixture::load(&train)?
    };
    let predictor = Predictor {
        lm: &lm,
        mixture: mixture.as_ref(),
    };
    let prompt = encode_prompt(&tokenizer, &config.prompt);
    let training = training_text(&tokenize_artifact, &tokenizer)?;
    let mut summary = GenerateSummary {
        mode: choice.mode,
        mode_automatic: choice.automatic,
        training_shape: choice.training.clone(),
        requested: config.num_samples,
        samples: 0,
        generated: 0,
        tokens: 0,
        distinct_1: 0.0,
        distinct_2: 0.0,
        repeated_4gram_rate: 0.0,
        copy_rate: 0.0,
        mean_nll: 0.0,
        dropped_empty: 0,
        dropped_known: 0,
        dropped_duplicate: 0,
        cap_reached: false,
        prompt_unknown_words: prompt.unknown.clone(),
        mixture_lambda: mixture.as_ref().map(Mixture::lambda),
        forms: vec![],
    };
    // The prompt of each sample (a form's samples start from its priming).
    let mut prompts: Vec<String> = vec![config.prompt.clone(); config.num_samples];
    // The texts written (prompt + continuation, or the name) and which samples they are.
    let (generated, texts, kept): (Vec<Generated>, Vec<String>, Vec<usize>) = match choice.mode {
        Mode::Text if !requests.is_empty() => {
            let samples = all_form_samples(predictor, &tokenizer, &requests, config, on_text)?;
            prompts = samples
                .iter()
                .map(|s| requests[s.form].priming.clone())
                .collect();
            let texts: Vec<String> = samples
                .iter()
                .zip(&prompts)
                .map(|(s, priming)| format!("{priming}{}", tokenizer.decode(&s.generated.tokens)))
                .collect();
            let checked: Vec<_> = samples
                .iter()
                .zip(&texts)
                .map(|(s, text)| (s.form, text.as_str(), &s.state))
                .collect();
            summary.forms = constrained_metrics(
                &requests,
                &checked,
                config.acrostic.as_deref().unwrap_or(""),
            );
            let generated: Vec<Generated> = samples.into_iter().map(|s| s.generated).collect();
            let kept = (0..generated.len()).collect();
            (generated, texts, kept)
        }
        Mode::Text => {
            let vocab = tokenizer.vocab();
            let mut on_token = |i: usize, t: u32| {
                on_text(
                    i,
                    if t == tokenize::EOS_ID {
                        "\n"
                    } else {
                        vocab.token(t)
                    },
                )
            };
            let generated =
                continuations(predictor, vocab, &prompt, config, Mode::Text, &mut on_token)?;
            let texts: Vec<String> = generated
                .iter()
                .map(|g| format!("{}{}", config.prompt, tokenizer.decode(&g.tokens)))
                .collect();
            let kept = (0..generated.len()).collect();
            if forms.titled {
                summary
                    .forms
                    .push(unconstrained_metrics(&forms.mined, texts.iter().map(String::as_str)));
            }
            (generated, texts, kept)
        }
        Mode::Names => {
            let known = training_names(&training);
            let run = generate_names(
                predictor,
                &tokenizer,
                &config.prompt,
                &prompt,
                config,
                &known,
            )?;
            summary.dropped_empty = run.counts.dropped_empty;
            summary.dropped_known = run.counts.dropped_known;
            summary.dropped_duplicate = run.counts.dropped_duplicate;
            summary.cap_reached = run.cap_reached;
            if let Some(warning) = run.shortfall(config) {
                eprintln!("warning: {warning}");
            }
            (run.generated, run.names, run.kept)
        }
    };
    summary.samples = kept.len();
    summary.generated = generated.len();
    summary.tokens = generated.iter().map(|g| g.tokens.len()).sum();
    let token_lists: Vec<Vec<u32>> = generated.iter().map(|g| g.tokens.clone()).collect();
    summary.distinct_1 = distinct_n(&token_lists, 1);
    summary.distinct_2 = distinct_n(&token_lists, 2);
    summary.repeated_4gram_rate = repeated_ngram_rate(&token_lists, 4);
    let continuations: Vec<String> = generated
        .iter()
        .map(|g| tokenizer.decode(&g.tokens))
        .collect();
    let refs: Vec<&str> = continuations.iter().map(String::as_str).collect();
    summary.copy_rate = WindowIndex::build(&training).copy_rate(&refs);
    if summary.tokens > 0 {
        let total: f64 = generated
            .iter()
            .flat_map(|g| g.log_probs.iter())
            .map(|&l| -(l as f64))
            .sum();
        summary.mean_nll = total / summary.tokens as f64;
    }
    let samples: Vec<SampleRecord> = kept
        .iter()
        .map(|&i| SampleRecord {
            index: i,
            seed: config.sample_seed(i),
            prompt: prompts.get(i).cloned().unwrap_or_else(|| config.prompt.clone()),
            mode: choice.mode,
            text: texts[i].clone(),
            tokens: generated[i].tokens.clone(),
            token_count: generated[i].tokens.len(),
            mean_log_prob: generated[i].mean_log_prob(),
            params: config.clone(),
        })
        .collect();

    let mut txt = String::new();
    let mut jsonl = String::new();
    for s in &samples {
        txt.push_str(s.text.trim_end_matches('\n'));
        txt.push_str(match choice.mode {
            Mode::Names => "\n",
            Mode::Text => "\n\n",
        });
        jsonl.push_str(&serde_json::to_string(s).expect("sample serialises"));
        jsonl.push('\n');
    }
    let metrics = serde_json::to_value(&summary).expect("summary serialises");
    let mut metrics_json = serde_json::to_string_pretty(&metrics).expect("metrics serialise");
    metrics_json.push('\n');
    for (name, bytes) in [
        (SAMPLES_FILE, txt.as_bytes()),
        (SAMPLES_JSONL_FILE, jsonl.as_bytes()),
        (METRICS_FILE, metrics_json.as_bytes()),
    ] {
        let path = staging.dir().join(name);
        std::fs::write(&path, bytes).map_err(|e| GenerateError::io(&path, e))?;
    }
    let artifact = staging.commit(metrics)?;
    Ok(GenerateOutcome {
        artifact,
        skipped: false,
        summary,
        samples,
    })
}
