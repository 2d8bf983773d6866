//! The HTTP side (axum on tokio): the routes, admission control and the shape of answers.
//!
//! - `GET /`: the page ([`super::PAGE`]).
//! - `GET /v1/models`: the models with their lineage ids, corpus and valid bits per character.
//! - `GET /v1/models/{name}/report`: the model's `report.html`, when `cargo xtask report` wrote
//!   one.
//! - `GET /v1/status`: requests in progress, and each model's batch rows and waiting requests.
//! - `POST /v1/generate`: samples and their metrics (one JSON object), or with `"stream": true`
//!   server-sent events: `token` (`{"sample", "text"}`) per drawn token, then `done` (the same
//!   object as without streaming) or `error`.
//! - `POST /v1/score`: bits per character of a posted text.
//!
//! Every request for work takes one of `--max-concurrent` permits for its whole life (for a
//! stream, until the stream ends or its client leaves); without one it gets 503 with
//! `Retry-After` instead of a place in an unbounded queue. A refused request gets 400 and
//! `{"error", "field"}`.

use super::request::{Limits, RequestError, parse_generate, parse_score};
use super::worker::{Event, Failure, GenerateJob, Job, ModelHandle};
use crate::mode::ModeChoice;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

/// Seconds an overloaded server asks a client to wait before trying again.
const RETRY_AFTER_S: &str = "1";

/// What the handlers share.
pub struct AppState {
    /// The models in the order served; the first is the default.
    pub models: Vec<ModelHandle>,
    pub limits: Limits,
    pub permits: Arc<Semaphore>,
}

/// A request refused before any work is done for it.
enum Refusal {
    /// 400: a bad request, naming the field.
    Bad(RequestError),
    /// 503 with Retry-After: every permit is taken.
    Busy { max_concurrent: usize },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Bad(error) => bad_request(error),
            Refusal::Busy { max_concurrent } => {
                let mut response = error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RequestError::general(format!(
                        "the server is busy ({max_concurrent} requests in progress, --max-concurrent): retry later"
                    )),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_S));
                response
            }
        }
    }
}

impl AppState {
    fn model(&self, name: Option<&str>) -> Result<&ModelHandle, Refusal> {
        match name {
            None => Ok(&self.models[0]),
            Some(name) => self
                .models
                .iter()
                .find(|m| m.info.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        self.models.iter().map(|m| m.info.name.as_str()).collect();
                    Refusal::Bad(RequestError::field(
                        "model",
                        format!("model `{name}`: not served; the models are {}", names.join(", ")),
                    ))
                }),
        }
    }

    fn permit(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy {
                max_concurrent: self.limits.max_concurrent.get(),
            })
    }
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/v1/models", get(models))
        .route("/v1/models/{name}/report", get(report))
        .route("/v1/status", get(status))
        .route("/v1/generate", post(generate))
        .route("/v1/score", post(score))
        .with_state(state)
}

fn error_response(status: StatusCode, error: RequestError) -> Response {
    (status, axum::Json(error)).into_response()
}

fn bad_request(error: RequestError) -> Response {
    error_response(StatusCode::BAD_REQUEST, error)
}

fn failure_response(failure: Failure) -> Response {
    let status =
        StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_response(status, failure.error)
}

fn worker_gone() -> Response {
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        RequestError::general("the model's thread has stopped"),
    )
}

async fn page() -> Html<&'static str> {
    Html(super::PAGE)
}

async fn models(State(state): State<Arc<AppState>>) -> Response {
    let infos: Vec<_> = state.models.iter().map(|m| &m.info).collect();
    axum::Json(json!({ "models": infos })).into_response()
}

async fn report(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let Some(model) = state.models.iter().find(|m| m.info.name == name) else {
        return error_response(
            StatusCode::NOT_FOUND,
            RequestError::general(format!("no model `{name}` is served")),
        );
    };
    let Some(file) = &model.info.report_file else {
        return error_response(
            StatusCode::NOT_FOUND,
            RequestError::general(format!(
                "model `{name}` has no report: run `cargo xtask report {name}`"
            )),
        );
    };
    // A report is a page of some kilobytes: read at once, as the handler's whole work.
    match std::fs::read_to_string(file) {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_response(
            StatusCode::NOT_FOUND,
            RequestError::general(format!("{}: {e}", file.display())),
        ),
    }
}

async fn status(State(state): State<Arc<AppState>>) -> Response {
    let in_flight = state.limits.max_concurrent.get() - state.permits.available_permits();
    let models: Vec<_> = state
        .models
        .iter()
        .map(|m| {
            json!({
                "name": m.info.name,
                "rows": m.rows.load(Ordering::Relaxed),
                "waiting": m.waiting.load(Ordering::Relaxed),
            })
        })
        .collect();
    axum::Json(json!({
        "in_flight": in_flight,
        "limits": state.limits,
        "models": models,
    }))
    .into_response()
}

async fn generate(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request = match parse_generate(&body, &state.limits) {
        Ok(request) => request,
        Err(e) => return bad_request(e),
    };
    let model = match state.model(request.model.as_deref()) {
        Ok(model) => model,
        Err(refusal) => return refusal.into_response(),
    };
    // The checks that need the model: the beam against its vocabulary, the mode its training
    // text chooses, and what that mode refuses.
    let config = request.config;
    let checked = config
        .check_model(model.info.vocab_size)
        .and_then(|()| ModeChoice::choose(&config, model.info.training_shape.clone()))
        .and_then(|choice| config.check_mode(&choice).map(|()| choice));
    let mode = match checked {
        Ok(mode) => mode,
        Err(e) => return bad_request(RequestError::from_flag_message(e.to_string())),
    };
    let permit = match state.permit() {
        Ok(permit) => permit,
        Err(refusal) => return refusal.into_response(),
    };
    let (events, mut receiver) = mpsc::unbounded_channel();
    if !model.send(Job::Generate(Box::new(GenerateJob {
        config,
        mode,
        events,
    }))) {
        return worker_gone();
    }
    if request.stream {
        // The permit lives as long as the stream: a client that leaves drops it, and the
        // receiver, whose closing the worker sees before its next step.
        let stream = UnboundedReceiverStream::new(receiver).map(move |event| {
            let _held = &permit;
            Ok::<_, Infallible>(sse_event(event))
        });
        return Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response();
    }
    while let Some(event) = receiver.recv().await {
        match event {
            Event::Token { .. } => {}
            Event::Done(reply) => return axum::Json(reply).into_response(),
            Event::Error(failure) => return failure_response(failure),
        }
    }
    worker_gone()
}

fn sse_event(event: Event) -> SseEvent {
    let (name, data) = match event {
        Event::Token { sample, text } => ("token", json!({ "sample": sample, "text": text })),
        Event::Done(reply) => ("done", serde_json::to_value(&reply).expect("reply serialises")),
        Event::Error(failure) => (
            "error",
            serde_json::to_value(&failure.error).expect("error serialises"),
        ),
    };
    SseEvent::default().event(name).data(data.to_string())
}

async fn score(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request = match parse_score(&body, &state.limits) {
        Ok(request) => request,
        Err(e) => return bad_request(e),
    };
    let model = match state.model(request.model.as_deref()) {
        Ok(model) => model,
        Err(refusal) => return refusal.into_response(),
    };
    let _permit = match state.permit() {
        Ok(permit) => permit,
        Err(refusal) => return refusal.into_response(),
    };
    let name = model.info.name.clone();
    let (reply, answer) = oneshot::channel();
    if !model.send(Job::Score { request, reply }) {
        return worker_gone();
    }
    match answer.await {
        Ok(Ok(report)) => axum::Json(json!({
            "model": name,
            "bits_per_char": report.bits_per_char,
            "report": report,
        }))
        .into_response(),
        Ok(Err(failure)) => failure_response(failure),
        Err(_) => worker_gone(),
    }
}
