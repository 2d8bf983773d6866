//! One worker thread per model: it loads the model, owns its tensors for the server's life, and
//! decodes every request for that model with continuous batching ([`Batch`]): between two steps
//! it takes the requests that arrived (as many as the batch has rows for; the others wait in
//! arrival order), drops the rows whose client is gone, and sends each row's token to its
//! request as soon as it is drawn. A request's samples are rows of the same batch as every
//! other request's, so N clients cost about one batch-N step per token instead of N steps.
//!
//! Beam search is not step-wise here: a beam request runs whole, between two steps. Scoring
//! too. A request for poem forms (`form`, `acrostic`, `rhyme`) is checked against the model's
//! forms as the stage checks it; each of its samples joins the batch primed with its form's
//! title and keeps the form's template by the same mask (see [`crate::form`]), and its reply
//! carries the same form metrics as the stage's `metrics.json`.

use crate::batch::{Batch, RowEvent};
use super::request::{Limits, RequestError, ScoreRequest};
use crate::beam::beam_search;
use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::form::decode::all_form_samples;
use crate::form::{
    FormRequest, FormState, TokenShapes, constrained_metrics, resolve_forms, sample_blocks,
    unconstrained_metrics,
};
use crate::generate::Generated;
use crate::metrics::{WindowIndex, distinct_n, repeated_ngram_rate};
use crate::mixture::Mixture;
use crate::mode::{Mode, ModeChoice, TrainingShape};
use crate::prompt::{EncodedPrompt, encode_prompt};
use crate::sampler::Sampler;
use crate::score::{ScoreReport, score_text};
use crate::source::{TrainedModel, load_trained, training_text};
use crate::summary::{GenerateSummary, SampleRecord};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc::UnboundedSender, oneshot};

/// How often an idle worker looks at the shutdown flag.
const IDLE_POLL: Duration = Duration::from_millis(50);

/// What `GET /v1/models` says about a model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// The corpus name, which requests use to pick the model.
    pub name: String,
    /// The ids of the train artifact and of its inputs (tokenize, clean).
    pub lineage: Lineage,
    /// Bits per character on the valid split: the LSTM's, and the mixture's with the n-gram
    /// model (what the server draws from by default) when train kept one.
    pub valid_bpc: Option<f64>,
    pub mixture_valid_bpc: Option<f64>,
    pub mixture_lambda: Option<f64>,
    pub vocab_size: i64,
    /// Text or names when a request says neither `names` nor `no_names`.
    pub default_mode: Mode,
    /// Where the model's report page is served, when `cargo xtask report` wrote one.
    pub report: Option<String>,
    #[serde(skip)]
    pub training_shape: TrainingShape,
    #[serde(skip)]
    pub report_file: Option<PathBuf>,
}

/// The artifacts a model comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Lineage {
    pub train: String,
    pub tokenize: String,
    pub clean: Option<String>,
}

/// A generate request, checked and with its mode chosen.
pub struct GenerateJob {
    pub config: GenerateConfig,
    pub mode: ModeChoice,
    pub events: UnboundedSender<Event>,
}

/// Work for a model's thread.
pub enum Job {
    /// Boxed: a request's flags are large beside a score request.
    Generate(Box<GenerateJob>),
    Score {
        request: ScoreRequest,
        reply: oneshot::Sender<Result<ScoreReport, Failure>>,
    },
}

/// What a generate request hears from the worker: its tokens as they are drawn, then its
/// reply or an error.
#[derive(Debug)]
pub enum Event {
    Token { sample: usize, text: String },
    Done(Box<GenerateReply>),
    Error(Failure),
}

/// A request the worker could not complete, with the HTTP status it means.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub error: RequestError,
}

impl Failure {
    fn shutting_down() -> Failure {
        Failure {
            status: 503,
            error: RequestError::general("the server is shutting down"),
        }
    }

    fn internal(e: &GenerateError) -> Failure {
        Failure {
            status: 500,
            error: RequestError::general(e.to_string()),
        }
    }
}

/// The answer to a generate request: the samples as the stage records them, and the stage's
/// figures over them.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReply {
    pub model: String,
    pub train_id: String,
    pub samples: Vec<SampleRecord>,
    pub metrics: GenerateSummary,
    /// From the worker taking the request to its reply: priming, the steps of its samples and
    /// the reply's metrics.
    pub elapsed_ms: f64,
}

/// The server's side of a model's thread.
pub struct ModelHandle {
    pub info: ModelInfo,
    jobs: mpsc::Sender<Job>,
    /// Rows in the batch now, and requests waiting for rows (for `GET /v1/status`).
    pub rows: Arc<AtomicUsize>,
    pub waiting: Arc<AtomicUsize>,
}

impl ModelHandle {
    /// Hands a job to the thread; `false` when the thread is gone.
    pub fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

/// How a model's thread runs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub device: tch::Device,
    /// libtorch's intra-op threads (set in the worker thread: OpenMP's setting is per thread).
    pub threads: NonZeroUsize,
    pub limits: Limits,
}

/// Starts the thread of the model in the train artifact (or artifact root) `path`, named
/// `name`, and returns once the model is loaded (or failed to load).
pub fn spawn(
    name: String,
    path: PathBuf,
    settings: Settings,
    shutdown: Arc<AtomicBool>,
) -> anyhow::Result<ModelHandle> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (jobs_tx, jobs_rx) = mpsc::channel();
    let rows = Arc::new(AtomicUsize::new(0));
    let waiting = Arc::new(AtomicUsize::new(0));
    let counters = (rows.clone(), waiting.clone());
    let thread_name = format!("model-{name}");
    let shown = name.clone();
    std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            tch::set_num_threads(settings.threads.get().try_into().unwrap_or(i32::MAX));
            let worker = match Worker::load(&name, &path, settings.device, settings.limits) {
                Ok(worker) => worker,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("{}: {e}", path.display())));
                    return;
                }
            };
            if ready_tx.send(Ok(worker.info.clone())).is_ok() {
                worker.run(jobs_rx, &shutdown, counters);
            }
        })?;
    let info = ready_rx
        .recv()
        .map_err(|_| anyhow::anyhow!("the thread of model {shown} died loading it"))?
        .map_err(|e| anyhow::anyhow!("cannot load a model: {e}"))?;
    Ok(ModelHandle {
        info,
        jobs: jobs_tx,
        rows,
        waiting,
    })
}

/// A request in the batch.
struct Active {
    config: GenerateConfig,
    mode: ModeChoice,
    prompt: EncodedPrompt,
    events: UnboundedSender<Event>,
    /// The forms asked for (empty: free text).
    forms: Vec<FormRequest>,
    samples: Vec<Option<Finished>>,
    left: usize,
    started: Instant,
}

/// A finished sample: what it continued (the prompt, or its form's title) and, for a form, the
/// form's index in the request with its final state.
struct Finished {
    generated: Generated,
    priming: String,
    form: Option<(usize, FormState)>,
}

struct Worker {
    info: ModelInfo,
    trained: TrainedModel,
    copies: WindowIndex,
    limits: Limits,
    /// The forms of the model's tokenize artifact, and what each token can be in a poem.
    forms: tokenize::Forms,
    shapes: Arc<TokenShapes>,
}

impl Worker {
    fn load(
        name: &str,
        path: &std::path::Path,
        device: tch::Device,
        limits: Limits,
    ) -> Result<Worker, GenerateError> {
        let trained = load_trained(path, device)?;
        let training = training_text(&trained.tokenize, &trained.tokenizer)?;
        let copies = WindowIndex::build(&training);
        let shape = TrainingShape::read(&trained.tokenize, &trained.tokenizer)?;
        let metrics = &trained.train.manifest().metrics;
        let clean = trained
            .tokenize
            .open_input(clean::STAGE, clean::FORMAT_VERSION)
            .ok()
            .map(|a| a.id().to_owned());
        let report_file = trained.train.root().join("report.html");
        let report_file = report_file.is_file().then_some(report_file);
        let info = ModelInfo {
            name: name.to_owned(),
            lineage: Lineage {
                train: trained.train.id().to_owned(),
                tokenize: trained.tokenize.id().to_owned(),
                clean,
            },
            valid_bpc: metrics["valid"]["bits_per_char"].as_f64(),
            mixture_valid_bpc: metrics["baseline"]["mixture"]["valid"]["bits_per_char"].as_f64(),
            mixture_lambda: trained.mixture.as_ref().map(Mixture::lambda),
            vocab_size: trained.config.vocab_size,
            default_mode: if shape.is_name_list() {
                Mode::Names
            } else {
                Mode::Text
            },
            report: report_file
                .as_ref()
                .map(|_| format!("/v1/models/{name}/report")),
            training_shape: shape,
            report_file,
        };
        let forms = tokenize::Forms::new(tokenize::read_forms(&trained.tokenize)?);
        let shapes = Arc::new(TokenShapes::new(trained.tokenizer.vocab()));
        Ok(Worker {
            info,
            trained,
            copies,
            limits,
            forms,
            shapes,
        })
    }

    /// Decodes until shutdown (every request still in progress then gets an error) or until
    /// the server drops its end of the job channel.
    fn run(
        self,
        jobs: mpsc::Receiver<Job>,
        shutdown: &AtomicBool,
        (rows, waiting): (Arc<AtomicUsize>, Arc<AtomicUsize>),
    ) {
        let mut batch: Batch<(u64, usize)> = Batch::default();
        let mut active: HashMap<u64, Active> = HashMap::new();
        let mut pending: VecDeque<GenerateJob> = VecDeque::new();
        let mut next_id = 0u64;
        loop {
            if shutdown.load(Ordering::SeqCst) {
                for job in active.values() {
                    let _ = job.events.send(Event::Error(Failure::shutting_down()));
                }
                for job in &pending {
                    let _ = job.events.send(Event::Error(Failure::shutting_down()));
                }
                return;
            }
            let mut incoming = Vec::new();
            if batch.is_empty() && pending.is_empty() {
                match jobs.recv_timeout(IDLE_POLL) {
                    Ok(job) => incoming.push(job),
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            incoming.extend(jobs.try_iter());
            for job in incoming {
                match job {
                    Job::Generate(job) => pending.push_back(*job),
                    Job::Score { request, reply } => {
                        let result = score_text(&self.trained, &request.text, request.no_mixture)
                            .map_err(|e| match e {
                                GenerateError::Param(m) => Failure {
                                    status: 400,
                                    error: RequestError::field("text", m),
                                },
                                e => Failure::internal(&e),
                            });
                        let _ = reply.send(result);
                    }
                }
            }
            // Requests join while the batch has rows for them (an empty batch takes any).
            while let Some(job) = pending.pop_front() {
                if job.events.is_closed() {
                    continue;
                }
                let wanted = if job.config.beam.is_some() {
                    0
                } else {
                    job.config.num_samples
                };
                if !batch.is_empty() && batch.len() + wanted > self.limits.max_batch.get() {
                    pending.push_front(job);
                    break;
                }
                next_id += 1;
                self.admit(next_id, job, &mut batch, &mut active);
            }
            waiting.store(pending.len(), Ordering::Relaxed);
            // Clients that left free their rows before the step.
            let gone: Vec<u64> = active
                .iter()
                .filter(|(_, a)| a.events.is_closed())
                .map(|(&id, _)| id)
                .collect();
            if !gone.is_empty() {
                batch.drop_rows(|(id, _)| gone.contains(id));
                for id in gone {
                    active.remove(&id);
                }
            }
            if !batch.is_empty() {
                match batch.step(self.trained.predictor(false), self.trained.tokenizer.vocab()) {
                    Ok(events) => self.deliver(events, &mut active),
                    Err(e) => {
                        for job in active.values() {
                            let _ = job.events.send(Event::Error(Failure::internal(&e)));
                        }
                        active.clear();
                        batch = Batch::default();
                    }
                }
            }
            rows.store(batch.len(), Ordering::Relaxed);
        }
    }

    /// Puts a request's samples into the batch (or runs its beam search now).
    fn admit(
        &self,
        id: u64,
        job: GenerateJob,
        batch: &mut Batch<(u64, usize)>,
        active: &mut HashMap<u64, Active>,
    ) {
        let GenerateJob {
            config,
            mode,
            events,
        } = job;
        let forms = match resolve_forms(&config, &self.forms, &self.shapes) {
            Ok(forms) => forms,
            Err(e) => {
                let _ = events.send(Event::Error(form_failure(&e)));
                return;
            }
        };
        let prompt = encode_prompt(&self.trained.tokenizer, &config.prompt);
        let started = Instant::now();
        let limits = config.limits(mode.mode);
        let predictor = self.trained.predictor(config.no_mixture);
        if config.beam.is_some() {
            let result = self.beam(&config, &prompt, &forms, &limits);
            let _ = events.send(match result {
                Ok(finished) => Event::Done(Box::new(
                    self.reply(&config, &mode, &prompt, &forms, finished, started),
                )),
                Err(e) => Event::Error(Failure::internal(&e)),
            });
            return;
        }
        // One group of rows per form (or one group continuing the prompt), each primed once.
        let groups: Vec<(Option<usize>, std::ops::Range<usize>)> = if forms.is_empty() {
            vec![(None, 0..config.num_samples)]
        } else {
            sample_blocks(config.num_samples, forms.len())
                .into_iter()
                .enumerate()
                .map(|(k, block)| (Some(k), block))
                .collect()
        };
        for (form, block) in groups {
            let request = form.map(|k| &forms[k]);
            let priming = match request {
                Some(r) => encode_prompt(&self.trained.tokenizer, &r.priming).ids,
                None => prompt.ids.clone(),
            };
            let state = |r: &FormRequest| FormState::new(r.shapes.clone(), r.template.clone());
            let mut rows = Vec::with_capacity(block.len());
            for i in block {
                match Sampler::new(config.sample_seed(i), config.sampling()) {
                    Ok(sampler) => rows.push(((id, i), sampler, request.map(state))),
                    Err(e) => {
                        let _ = events.send(Event::Error(Failure::internal(&e)));
                        batch.drop_rows(|(row_id, _)| *row_id == id);
                        return;
                    }
                }
                // A form's sample starts with its title, which the stream shows first.
                if let Some(r) = request {
                    let _ = events.send(Event::Token {
                        sample: i,
                        text: r.priming.clone(),
                    });
                }
            }
            batch.join(predictor.lm, &priming, rows, &limits, config.no_mixture);
        }
        active.insert(
            id,
            Active {
                samples: (0..config.num_samples).map(|_| None).collect(),
                left: config.num_samples,
                config,
                mode,
                prompt,
                events,
                forms,
                started,
            },
        );
    }

    /// A beam request whole: its hypotheses, per form when it asks for forms.
    fn beam(
        &self,
        config: &GenerateConfig,
        prompt: &EncodedPrompt,
        forms: &[FormRequest],
        limits: &crate::config::Limits,
    ) -> Result<Vec<Finished>, GenerateError> {
        let predictor = self.trained.predictor(config.no_mixture);
        if forms.is_empty() {
            let width = config.beam.expect("a beam request");
            let generated = beam_search(
                predictor,
                &prompt.ids,
                width,
                config.num_samples,
                &config.sampling(),
                limits,
            )?;
            return Ok(generated
                .into_iter()
                .map(|generated| Finished {
                    generated,
                    priming: config.prompt.clone(),
                    form: None,
                })
                .collect());
        }
        let samples =
            all_form_samples(predictor, &self.trained.tokenizer, forms, config, &mut |_, _| {})?;
        let finished = samples
            .into_iter()
            .map(|s| Finished {
                generated: s.generated,
                priming: forms[s.form].priming.clone(),
                form: Some((s.form, s.state)),
            })
            .collect();
        Ok(finished)
    }

    /// Sends each request its tokens, and its reply once its last sample is done.
    fn deliver(&self, events: Vec<RowEvent<(u64, usize)>>, active: &mut HashMap<u64, Active>) {
        for event in events {
            match event {
                RowEvent::Token {
                    key: (id, sample),
                    text,
                    ..
                } => {
                    if let Some(job) = active.get(&id) {
                        let _ = job.events.send(Event::Token { sample, text });
                    }
                }
                RowEvent::Finished {
                    key: (id, sample),
                    sample: generated,
                    form,
                    ..
                } => {
                    let Some(job) = active.get_mut(&id) else {
                        continue;
                    };
                    let form = form.map(|state| {
                        let k = sample_blocks(job.config.num_samples, job.forms.len())
                            .iter()
                            .position(|block| block.contains(&sample))
                            .expect("every sample of a form request has a form");
                        (k, state)
                    });
                    let priming = match &form {
                        Some((k, _)) => job.forms[*k].priming.clone(),
                        None => job.config.prompt.clone(),
                    };
                    job.samples[sample] = Some(Finished {
                        generated,
                        priming,
                        form,
                    });
                    job.left -= 1;
                    if job.left == 0 {
                        let job = active.remove(&id).expect("the job is active");
                        let finished = job.samples.into_iter().flatten().collect();
                        let reply = self.reply(
                            &job.config,
                            &job.mode,
                            &job.prompt,
                            &job.forms,
                            finished,
                            job.started,
                        );
                        let _ = job.events.send(Event::Done(Box::new(reply)));
                    }
                }
            }
        }
    }

    /// The samples and figures of a finished request, as the stage would record them.
    fn reply(
        &self,
        config: &GenerateConfig,
        mode: &ModeChoice,
        prompt: &EncodedPrompt,
        forms: &[FormRequest],
        finished: Vec<Finished>,
        started: Instant,
    ) -> GenerateReply {
        let tokenizer = &self.trained.tokenizer;
        let texts: Vec<String> = finished
            .iter()
            .map(|f| format!("{}{}", f.priming, tokenizer.decode(&f.generated.tokens)))
            .collect();
        let form_metrics = if forms.is_empty() {
            // As the stage does: free text of a titled corpus is measured against the tune it
            // was primed with.
            match mode.mode {
                Mode::Text if self.forms.titled => vec![unconstrained_metrics(
                    &self.forms.mined,
                    texts.iter().map(String::as_str),
                )],
                _ => vec![],
            }
        } else {
            let checked: Vec<_> = finished
                .iter()
                .zip(&texts)
                .filter_map(|(f, text)| f.form.as_ref().map(|(k, state)| (*k, text.as_str(), state)))
                .collect();
            constrained_metrics(forms, &checked, config.acrostic.as_deref().unwrap_or(""))
        };
        let primings: Vec<String> = finished.iter().map(|f| f.priming.clone()).collect();
        let generated: Vec<Generated> = finished.into_iter().map(|f| f.generated).collect();
        let token_lists: Vec<Vec<u32>> = generated.iter().map(|g| g.tokens.clone()).collect();
        let continuations: Vec<String> = token_lists.iter().map(|t| tokenizer.decode(t)).collect();
        let refs: Vec<&str> = continuations.iter().map(String::as_str).collect();
        let tokens: usize = token_lists.iter().map(Vec::len).sum();
        let nll: f64 = generated
            .iter()
            .flat_map(|g| g.log_probs.iter())
            .map(|&l| -f64::from(l))
            .sum();
        let metrics = GenerateSummary {
            mode: mode.mode,
            mode_automatic: mode.automatic,
            training_shape: mode.training.clone(),
            requested: config.num_samples,
            samples: generated.len(),
            generated: generated.len(),
            tokens,
            distinct_1: distinct_n(&token_lists, 1),
            distinct_2: distinct_n(&token_lists, 2),
            repeated_4gram_rate: repeated_ngram_rate(&token_lists, 4),
            copy_rate: self.copies.copy_rate(&refs),
            mean_nll: if tokens == 0 {
                0.0
            } else {
                nll / tokens as f64
            },
            dropped_empty: 0,
            dropped_known: 0,
            dropped_duplicate: 0,
            cap_reached: false,
            prompt_unknown_words: prompt.unknown.clone(),
            mixture_lambda: self
                .trained
                .predictor(config.no_mixture)
                .mixture
                .map(Mixture::lambda),
            forms: form_metrics,
        };
        let samples = generated
            .iter()
            .zip(&continuations)
            .enumerate()
            .map(|(i, (g, text))| SampleRecord {
                index: i,
                seed: config.sample_seed(i),
                prompt: primings[i].clone(),
                mode: mode.mode,
                text: format!("{}{text}", primings[i]),
                tokens: g.tokens.clone(),
                token_count: g.tokens.len(),
                mean_log_prob: g.mean_log_prob(),
                params: config.clone(),
            })
            .collect();
        GenerateReply {
            model: self.info.name.clone(),
            train_id: self.info.lineage.train.clone(),
            samples,
            metrics,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        }
    }
}

/// A request whose forms do not fit the model, as a 400 naming the field the message is about.
fn form_failure(error: &GenerateError) -> Failure {
    let message = error.to_string();
    let field = ["acrostic", "rhyme", "max_tokens"]
        .into_iter()
        .find(|f| message.starts_with(&format!("--{}", f.replace('_', "-"))))
        .unwrap_or("form");
    Failure {
        status: 400,
        error: RequestError::field(field, message),
    }
}
