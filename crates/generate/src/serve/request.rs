//! Reading the bodies of `POST /v1/generate` and `POST /v1/score`.
//!
//! A generate request is a JSON object whose keys are the generate stage's own parameters, the
//! serde form of [`GenerateConfig`] (`prompt`, `temperature`, `top_k`, `top_p`,
//! `repetition_penalty`, `no_repeat_ngram`, `allow_unk`, `beam`, `max_tokens`, `paragraphs`,
//! `stop`, `num_samples`, `seed`, `names`, `no_names`, `no_mixture`, and whatever the stage adds),
//! plus `model` (a corpus name; default: the server's first model) and `stream`. A key left out
//! takes the flag's default, so the request schema is the flags' type, not a copy of it. Every
//! error names the field: an unknown key, a value of the wrong type (each key is read on its own
//! to tell which), a value [`GenerateConfig::validate`] refuses (its message names the flag,
//! `--top-p`, which becomes the field `top_p`), or one over the server's [`Limits`].

use crate::config::GenerateConfig;
use serde::Serialize;
use serde_json::{Map, Value};
use std::num::NonZeroUsize;

/// Keys of the stage's parameters that a request may not set: the device is the server's, and
/// `--novel`/`--unique` need names mode's top-up rounds, which the server does not run.
const SERVER_OWNED: [(&str, &str); 3] = [
    (
        "device",
        "the device is the server's (jianghu-serve --device): drop it",
    ),
    (
        "novel",
        "--novel needs generate's top-up rounds, which the server does not run: use jianghu-generate --novel",
    ),
    (
        "unique",
        "--unique needs generate's top-up rounds, which the server does not run: use jianghu-generate --unique",
    ),
];

/// The caps on a request and on the server's work (the server's flags).
#[derive(clap::Args, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Characters of a prompt at most.
    #[arg(long, default_value = "500", value_name = "N")]
    pub max_prompt_chars: NonZeroUsize,
    /// `max_tokens` of a request at most.
    #[arg(long, default_value = "1000", value_name = "N")]
    pub max_tokens: NonZeroUsize,
    /// `num_samples` of a request at most, and its `beam` at most.
    #[arg(long, default_value = "16", value_name = "N")]
    pub max_samples: NonZeroUsize,
    /// Characters of a text to score at most.
    #[arg(long, default_value = "20000", value_name = "N")]
    pub max_score_chars: NonZeroUsize,
    /// Generate and score requests in progress or waiting at once; more are answered 503 with
    /// Retry-After.
    #[arg(long, default_value = "64", value_name = "N")]
    pub max_concurrent: NonZeroUsize,
    /// Rows (samples) a model decodes in one batch; requests beyond it wait for rows to free.
    #[arg(long, default_value = "64", value_name = "N")]
    pub max_batch: NonZeroUsize,
}

/// A refused request: the message, and the field it is about when there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestError {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl RequestError {
    pub fn field(field: &str, error: impl Into<String>) -> Self {
        RequestError {
            error: error.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn general(error: impl Into<String>) -> Self {
        RequestError {
            error: error.into(),
            field: None,
        }
    }

    /// An error of the stage's checks: its message names a flag (`--top-p 0`), whose field
    /// (`top_p`) it is about.
    pub fn from_flag_message(message: String) -> Self {
        let field = message
            .split_whitespace()
            .find_map(|word| word.strip_prefix("--"))
            .map(|flag| {
                flag.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                    .replace('-', "_")
            });
        RequestError {
            error: message,
            field,
        }
    }
}

/// A generate request.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    /// The corpus whose model to use; `None`: the server's default.
    pub model: Option<String>,
    /// Answer with server-sent events instead of one JSON object.
    pub stream: bool,
    pub config: GenerateConfig,
}

/// A score request.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRequest {
    pub model: Option<String>,
    pub text: String,
    pub no_mixture: bool,
}

/// Reads and checks a generate request body.
pub fn parse_generate(body: &[u8], limits: &Limits) -> Result<GenerateRequest, RequestError> {
    let mut object = json_object(body)?;
    let model = take_string(&mut object, "model")?;
    let stream = take_bool(&mut object, "stream")?;
    let defaults = match serde_json::to_value(GenerateConfig::default()) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("GenerateConfig serialises to an object"),
    };
    for (key, value) in &object {
        if let Some((_, why)) = SERVER_OWNED.iter().find(|(k, _)| k == key) {
            return Err(RequestError::field(key, *why));
        }
        if !defaults.contains_key(key) {
            let mut accepted: Vec<&str> = defaults
                .keys()
                .map(String::as_str)
                .filter(|k| !SERVER_OWNED.iter().any(|(owned, _)| owned == k))
                .chain(["model", "stream"])
                .collect();
            accepted.sort_unstable();
            return Err(RequestError::field(
                key,
                format!("unknown field `{key}`; the fields are {}", accepted.join(", ")),
            ));
        }
        let mut one = defaults.clone();
        one.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<GenerateConfig>(Value::Object(one)) {
            return Err(RequestError::field(key, format!("{key}: {e}")));
        }
    }
    let mut merged = defaults;
    merged.extend(object);
    let config: GenerateConfig = serde_json::from_value(Value::Object(merged))
        .map_err(|e| RequestError::general(e.to_string()))?;
    config
        .validate()
        .map_err(|e| RequestError::from_flag_message(e.to_string()))?;
    check_limits(&config, limits)?;
    Ok(GenerateRequest {
        model,
        stream,
        config,
    })
}

/// Reads and checks a score request body: `{"text": …, "model"?: …, "no_mixture"?: …}`.
pub fn parse_score(body: &[u8], limits: &Limits) -> Result<ScoreRequest, RequestError> {
    let mut object = json_object(body)?;
    let model = take_string(&mut object, "model")?;
    let no_mixture = take_bool(&mut object, "no_mixture")?;
    let text = take_string(&mut object, "text")?
        .ok_or_else(|| RequestError::field("text", "text: the text to score is missing"))?;
    if let Some(key) = object.keys().next() {
        return Err(RequestError::field(
            key,
            format!("unknown field `{key}`; the fields are model, no_mixture, text"),
        ));
    }
    let chars = text.chars().count();
    if chars > limits.max_score_chars.get() {
        return Err(RequestError::field(
            "text",
            format!(
                "text: {chars} characters, the server scores at most {} (--max-score-chars)",
                limits.max_score_chars
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(RequestError::field("text", "text: nothing to score"));
    }
    Ok(ScoreRequest {
        model,
        text,
        no_mixture,
    })
}

/// The server's caps on a valid configuration.
fn check_limits(config: &GenerateConfig, limits: &Limits) -> Result<(), RequestError> {
    let chars = config.prompt.chars().count();
    if chars > limits.max_prompt_chars.get() {
        return Err(RequestError::field(
            "prompt",
            format!(
                "prompt: {chars} characters, the server takes at most {} (--max-prompt-chars)",
                limits.max_prompt_chars
            ),
        ));
    }
    let over = |field: &str, value: usize, cap: NonZeroUsize, flag: &str| {
        (value > cap.get()).then(|| {
            RequestError::field(
                field,
                format!("{field} {value}: the server allows at most {cap} ({flag})"),
            )
        })
    };
    let checks = [
        over(
            "max_tokens",
            config.max_tokens,
            limits.max_tokens,
            "--max-tokens",
        ),
        over(
            "num_samples",
            config.num_samples,
            limits.max_samples,
            "--max-samples",
        ),
        over(
            "beam",
            config.beam.unwrap_or(0),
            limits.max_samples,
            "--max-samples",
        ),
    ];
    match checks.into_iter().flatten().next() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestError::general("the body must be a JSON object")),
        Err(e) => Err(RequestError::general(format!("the body is not JSON: {e}"))),
    }
}

fn take_string(object: &mut Map<String, Value>, key: &str) -> Result<Option<String>, RequestError> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(RequestError::field(
            key,
            format!("{key}: expected a string, got {other}"),
        )),
    }
}

fn take_bool(object: &mut Map<String, Value>, key: &str) -> Result<bool, RequestError> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(other) => Err(RequestError::field(
            key,
            format!("{key}: expected true or false, got {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        let n = |v| NonZeroUsize::new(v).unwrap();
        Limits {
            max_prompt_chars: n(10),
            // above the flags' defaults (200 tokens, 5 samples), which a request may leave out
            max_tokens: n(300),
            max_samples: n(5),
            max_score_chars: n(50),
            max_concurrent: n(2),
            max_batch: n(8),
        }
    }

    fn field_of(body: &str) -> Option<String> {
        parse_generate(body.as_bytes(), &limits())
            .expect_err(body)
            .field
    }

    #[test]
    fn absent_keys_take_the_flag_defaults() {
        let r = parse_generate(r#"{"prompt": "明月", "stream": true}"#.as_bytes(), &limits()).unwrap();
        assert!(r.stream);
        assert_eq!(r.model, None);
        assert_eq!(
            r.config,
            GenerateConfig {
                prompt: "明月".into(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn every_refusal_names_its_field() {
        for (body, field) in [
            (r#"{"temprature": 1}"#, "temprature"),
            (r#"{"temperature": "hot"}"#, "temperature"),
            (r#"{"temperature": -1}"#, "temperature"),
            (r#"{"top_k": 0}"#, "top_k"),
            (r#"{"top_p": 1.5}"#, "top_p"),
            (r#"{"repetition_penalty": 0.5}"#, "repetition_penalty"),
            (r#"{"no_repeat_ngram": 0}"#, "no_repeat_ngram"),
            (r#"{"beam": 0}"#, "beam"),
            (r#"{"beam": 6}"#, "beam"),
            (r#"{"seed": -3}"#, "seed"),
            (r#"{"max_tokens": 0}"#, "max_tokens"),
            (r#"{"max_tokens": 301}"#, "max_tokens"),
            (r#"{"paragraphs": 0}"#, "paragraphs"),
            (r#"{"num_samples": 6}"#, "num_samples"),
            (r#"{"num_samples": 0}"#, "num_samples"),
            (r#"{"prompt": "一二三四五六七八九十冬"}"#, "prompt"),
            (r#"{"stop": ""}"#, "stop"),
            (r#"{"names": true, "no_names": true}"#, "names"),
            (r#"{"device": "cpu"}"#, "device"),
            (r#"{"novel": true}"#, "novel"),
            (r#"{"unique": true}"#, "unique"),
            (r#"{"model": 3}"#, "model"),
            (r#"{"stream": "yes"}"#, "stream"),
        ] {
            assert_eq!(field_of(body).as_deref(), Some(field), "{body}");
        }
        let not_json = parse_generate(b"{", &limits()).unwrap_err();
        assert!(not_json.error.contains("not JSON"), "{not_json:?}");
    }

    #[test]
    fn a_score_request_needs_a_bounded_text() {
        let ok = parse_score(r#"{"text": "明月几时有"}"#.as_bytes(), &limits()).unwrap();
        assert_eq!(ok.text, "明月几时有");
        for (body, field) in [
            (r#"{}"#, "text"),
            (r#"{"text": " "}"#, "text"),
            (r#"{"text": 1}"#, "text"),
            (r#"{"text": "a", "prompt": "b"}"#, "prompt"),
        ] {
            let err = parse_score(body.as_bytes(), &limits()).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{body}");
        }
        let long = format!(r#"{{"text": "{}"}}"#, "月".repeat(51));
        assert_eq!(
            parse_score(long.as_bytes(), &limits()).unwrap_err().field,
            Some("text".into())
        );
    }
}
