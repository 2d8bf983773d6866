//! One worker thread per model: it loads the model, owns its tensors for the server's life, and
//! decodes every request for that model with continuous batching ([`Batch`]): between two steps
//! it takes the requests that arrived (as many as the batch has rows for; the others wait in
//! arrival order), drops the rows whose client is gone, and sends each row's token to its
//! request as soon as it is drawn. A request's samples are rows of the same batch as every
//! other request's, so N clients cost about one batch-N step per token instead of N steps.
//!
//! Beam search is not step-wise here: a beam request runs whole, between two steps. Scoring
//! too.

use super::batch::{Batch, RowEvent};
use super::request::{Limits, RequestError, ScoreRequest};
use crate::beam::beam_search;
use crate::config::GenerateConfig;
use crate::error::GenerateError;
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
    Generate(GenerateJob),
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
    /// From the worker taking the request to its last token.
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
    samples: Vec<Option<Generated>>,
    left: usize,
    started: Instant,
}

struct Worker {
    info: ModelInfo,
    trained: TrainedModel,
    copies: WindowIndex,
    limits: Limits,
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
        Ok(Worker {
            info,
            trained,
            copies,
            limits,
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
                    Job::Generate(job) => pending.push_back(job),
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
        let prompt = encode_prompt(&self.trained.tokenizer, &config.prompt);
        let started = Instant::now();
        let limits = config.limits(mode.mode);
        let predictor = self.trained.predictor(config.no_mixture);
        if let Some(width) = config.beam {
            let result = beam_search(
                predictor,
                &prompt.ids,
                width,
                config.num_samples,
                &config.sampling(),
                &limits,
            );
            let _ = events.send(match result {
                Ok(generated) => Event::Done(Box::new(self.reply(
                    &config, &mode, &prompt, generated, started,
                ))),
                Err(e) => Event::Error(Failure::internal(&e)),
            });
            return;
        }
        let samplers: Result<Vec<_>, _> = (0..config.num_samples)
            .map(|i| Sampler::new(config.sample_seed(i), config.sampling()).map(|s| ((id, i), s)))
            .collect();
        let samplers = match samplers {
            Ok(samplers) => samplers,
            Err(e) => {
                let _ = events.send(Event::Error(Failure::internal(&e)));
                return;
            }
        };
        batch.join(
            predictor.lm,
            &prompt.ids,
            samplers,
            &limits,
            config.no_mixture,
        );
        active.insert(
            id,
            Active {
                samples: vec![None; config.num_samples],
                left: config.num_samples,
                config,
                mode,
                prompt,
                events,
                started,
            },
        );
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
                } => {
                    let Some(job) = active.get_mut(&id) else {
                        continue;
                    };
                    job.samples[sample] = Some(generated);
                    job.left -= 1;
                    if job.left == 0 {
                        let job = active.remove(&id).expect("the job is active");
                        let generated = job.samples.into_iter().flatten().collect();
                        let reply =
                            self.reply(&job.config, &job.mode, &job.prompt, generated, job.started);
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
        generated: Vec<Generated>,
        started: Instant,
    ) -> GenerateReply {
        let tokenizer = &self.trained.tokenizer;
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
        };
        let samples = generated
            .iter()
            .zip(&continuations)
            .enumerate()
            .map(|(i, (g, text))| SampleRecord {
                index: i,
                seed: config.sample_seed(i),
                prompt: config.prompt.clone(),
                mode: mode.mode,
                text: format!("{}{text}", config.prompt),
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
