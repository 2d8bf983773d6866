//! `jianghu-serve` against a tiny model built here: the step-wise batch against the stage's
//! decoder, every parameter's refusal naming its field, streaming against the same request
//! unstreamed, scoring, overload (503 with Retry-After), a client that leaves freeing its slot,
//! and Ctrl-C. The server runs as its binary, on a free port; readiness is the line it prints
//! once it accepts connections.

mod common;

use common::server::Server;
use common::{Fixture, fixture_with};
use generate::batch::{Batch, RowEvent};
use generate::client::{self, EventStream};
use generate::generate::generate_batch;
use generate::{Limits, Sampler, SamplingParams, encode_prompt};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

fn text_fixture() -> Fixture {
    fixture_with(common::server::TEXT, 13, 16)
}

/// The events of a stream up to its end: the text of each sample (the prompt first) and the
/// `done` event's data.
fn read_stream(stream: &mut EventStream, prompt: &str, samples: usize) -> (Vec<String>, Value) {
    let mut texts = vec![prompt.to_owned(); samples];
    let mut done = None;
    while let Some(event) = stream.next_event().unwrap() {
        let data: Value = serde_json::from_str(&event.data).unwrap();
        match event.name.as_str() {
            "token" => texts[data["sample"].as_u64().unwrap() as usize]
                .push_str(data["text"].as_str().unwrap()),
            "done" => done = Some(data),
            other => panic!("unexpected event {other}: {data}"),
        }
    }
    (texts, done.expect("the stream ends with done"))
}

#[test]
fn rows_joining_and_leaving_between_steps_draw_what_they_draw_alone() {
    let f = text_fixture();
    let m = f.load();
    let vocab = f.tokenizer.vocab();
    let params = SamplingParams {
        temperature: 1.0,
        top_k: Some(5),
        ..Default::default()
    };
    let limits = |max_tokens| Limits {
        max_tokens,
        paragraphs: None,
        stop: None,
    };
    let alone = |prompt: &str, seed, max_tokens| {
        let ids = encode_prompt(&f.tokenizer, prompt).ids;
        let mut samplers = vec![Sampler::new(seed, params.clone()).unwrap()];
        generate_batch(&m.model, vocab, &ids, &mut samplers, &limits(max_tokens))
            .unwrap()
            .remove(0)
    };
    // "a" (12 tokens) starts alone; "b" (4 tokens) joins after 3 steps and leaves before "a"
    // ends; "c" joins after "b" has left.
    let mut batch: Batch<&'static str> = Batch::default();
    let mut finished: std::collections::HashMap<&'static str, generate::Generated> =
        std::collections::HashMap::new();
    let mut run = |batch: &mut Batch<&'static str>, steps: usize| {
        for _ in 0..steps {
            for event in batch.step((&m.model).into(), vocab).unwrap() {
                if let RowEvent::Finished { key, sample, .. } = event {
                    finished.insert(key, sample);
                }
            }
        }
    };
    let join = |batch: &mut Batch<&'static str>, key, prompt: &str, seed, max_tokens| {
        let ids = encode_prompt(&f.tokenizer, prompt).ids;
        let sampler = Sampler::new(seed, params.clone()).unwrap();
        batch.join(
            &m.model,
            &ids,
            vec![(key, sampler, None)],
            &limits(max_tokens),
            false,
        );
    };
    join(&mut batch, "a", "明月", 1, 12);
    run(&mut batch, 3);
    join(&mut batch, "b", "青天", 2, 4);
    assert_eq!(batch.len(), 2);
    run(&mut batch, 4);
    assert_eq!(batch.len(), 1, "b left after its 4 tokens");
    join(&mut batch, "c", "", 3, 6);
    run(&mut batch, 6);
    assert!(batch.is_empty());
    assert_eq!(finished["a"].tokens, alone("明月", 1, 12).tokens);
    assert_eq!(finished["b"].tokens, alone("青天", 2, 4).tokens);
    assert_eq!(finished["c"].tokens, alone("", 3, 6).tokens);
}

#[test]
fn every_bad_parameter_gets_a_400_naming_its_field() {
    let f = text_fixture();
    let server = Server::start(&f, &["--max-tokens", "300", "--max-samples", "5"]);
    let vocab = f.tokenizer.vocab().len();
    for (body, field) in [
        (json!({"temperature": -0.5}), "temperature"),
        (json!({"temperature": "warm"}), "temperature"),
        (json!({"top_k": 0}), "top_k"),
        (json!({"top_p": 0}), "top_p"),
        (json!({"repetition_penalty": 0.9}), "repetition_penalty"),
        (json!({"no_repeat_ngram": 0}), "no_repeat_ngram"),
        (json!({"beam": 0}), "beam"),
        (json!({"beam": 3, "top_p": 0.9}), "beam"),
        (json!({"seed": "x"}), "seed"),
        (json!({"temperature": 0, "seed": 5}), "temperature"),
        (json!({"max_tokens": 0}), "max_tokens"),
        (json!({"max_tokens": 301}), "max_tokens"),
        (json!({"paragraphs": 0}), "paragraphs"),
        (json!({"num_samples": 6}), "num_samples"),
        (json!({"names": true, "paragraphs": 2}), "paragraphs"),
        (json!({"novel": true}), "novel"),
        (json!({"device": "cuda"}), "device"),
        (json!({"model": "nope"}), "model"),
        (json!({"prompt": "月".repeat(501)}), "prompt"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let r = server.post("/v1/generate", &body);
        let error = r.json().unwrap();
        assert_eq!(r.status, 400, "{body}: {error}");
        assert_eq!(error["field"], json!(field), "{body}: {error}");
        assert!(!error["error"].as_str().unwrap().is_empty());
    }
    // A beam wider than the vocabulary (of some 40 characters): refused by the server's cap here, by the model's
    // vocabulary on a server with a higher cap.
    let wide = json!({"beam": vocab + 1, "num_samples": 1});
    let r = server.post("/v1/generate", &wide);
    assert_eq!(
        (r.status, r.json().unwrap()["field"].clone()),
        (400, json!("beam"))
    );
    let lax = Server::start(&f, &["--max-samples", "1000"]);
    let r = lax.post("/v1/generate", &wide);
    let error = r.json().unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(error["field"], json!("beam"), "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("vocabulary"),
        "{error}"
    );
    let r = server.post("/v1/score", &json!({"text": ""}));
    assert_eq!(
        (r.status, r.json().unwrap()["field"].clone()),
        (400, json!("text"))
    );
    let r = client::post_json(server.addr, "/v1/generate", "{not json").unwrap();
    assert_eq!(r.status, 400);
}

#[test]
fn streamed_tokens_concatenate_to_the_unstreamed_samples() {
    let f = text_fixture();
    let server = Server::start(&f, &[]);
    let request = json!({
        "prompt": "明月", "seed": 9, "num_samples": 3, "max_tokens": 30, "top_p": 0.95,
        "repetition_penalty": 1.2, "no_repeat_ngram": 3,
    });
    let r = server.post("/v1/generate", &request);
    assert_eq!(r.status, 200);
    let whole = r.json().unwrap();
    let mut stream = server.stream(&request);
    assert_eq!(stream.status, 200);
    let (texts, done) = read_stream(&mut stream, "明月", 3);
    let samples = whole["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 3);
    for (i, sample) in samples.iter().enumerate() {
        assert_eq!(texts[i], sample["text"].as_str().unwrap(), "sample {i}");
        assert!(
            texts[i].chars().count() > 2,
            "sample {i} generated something"
        );
    }
    assert_eq!(done["samples"], whole["samples"]);
    assert_eq!(done["metrics"], whole["metrics"]);
    let tokens: u64 = samples
        .iter()
        .map(|s| s["token_count"].as_u64().unwrap())
        .sum();
    assert_eq!(whole["metrics"]["tokens"], json!(tokens));
    assert_eq!(whole["samples"][0]["params"]["seed"], json!(9));
    // Other seeds, other samples; the same request again, the same samples.
    let other = server.post(
        "/v1/generate",
        &json!({"prompt": "明月", "seed": 10, "num_samples": 3, "max_tokens": 30}),
    );
    assert_ne!(other.json().unwrap()["samples"], whole["samples"]);
    assert_eq!(
        server.post("/v1/generate", &request).json().unwrap()["samples"],
        whole["samples"]
    );
    // Beam search streams no tokens, only its reply.
    let mut beam = server.stream(&json!({"beam": 2, "num_samples": 2, "max_tokens": 5}));
    let (texts, done) = read_stream(&mut beam, "", 2);
    assert_eq!(texts, vec![String::new(); 2]);
    assert_eq!(done["samples"].as_array().unwrap().len(), 2);
}

#[test]
fn models_and_scores_come_from_the_train_artifact() {
    let f = text_fixture();
    // What `cargo xtask report` writes, served as the model's report.
    std::fs::write(f.root.join("report.html"), "<html>报告</html>").unwrap();
    let server = Server::start(&f, &[]);
    let models = client::get(server.addr, "/v1/models")
        .unwrap()
        .json()
        .unwrap();
    let model = &models["models"][0];
    assert_eq!(model["name"], json!("names"));
    let link = model["report"].as_str().unwrap();
    let report = client::get(server.addr, link).unwrap();
    assert_eq!(report.status, 200);
    assert_eq!(String::from_utf8_lossy(&report.body), "<html>报告</html>");
    let missing = client::get(server.addr, "/v1/models/none/report").unwrap();
    assert_eq!(missing.status, 404);
    let train_id = f.train_dir.file_name().unwrap().to_str().unwrap();
    assert_eq!(model["lineage"]["train"], json!(train_id));
    assert_eq!(model["default_mode"], json!("text"));
    let text = "明月几时有\n";
    let r = server.post("/v1/score", &json!({"text": text}));
    let reply = r.json().unwrap();
    assert_eq!(r.status, 200, "{reply}");
    let expected = generate::score_text(&f.load(), text, false).unwrap();
    let bpc = reply["bits_per_char"].as_f64().unwrap();
    assert!(
        (bpc - expected.bits_per_char).abs() < 1e-6,
        "{bpc} vs {expected:?}"
    );
    assert!(bpc > 0.0);
    let page = client::get(server.addr, "/").unwrap();
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/v1/generate"));
}

#[test]
fn an_overloaded_server_answers_503_and_a_client_that_leaves_frees_its_slot() {
    let f = text_fixture();
    let server = Server::start(&f, &["--max-concurrent", "1", "--max-tokens", "100000000"]);
    // A stream that would run for a long time holds the only slot.
    let mut long = server.stream(&json!({"max_tokens": 100_000_000, "num_samples": 1}));
    assert_eq!(long.status, 200);
    let first = long.next_event().unwrap().unwrap();
    assert_eq!(first.name, "token");
    let busy = server.post("/v1/generate", &json!({"max_tokens": 2}));
    assert_eq!(busy.status, 503, "{}", String::from_utf8_lossy(&busy.body));
    assert_eq!(busy.header("retry-after"), Some("1"));
    // The worker counts its rows after each step, so the count may lag the first token.
    server.wait_for("the stream's row in the batch", |s| {
        s["models"][0]["rows"] == json!(1)
    });
    // The client leaves mid-stream: its row and its slot are freed.
    drop(long);
    server.wait_for("the slot and the row freed", |s| {
        s["in_flight"] == json!(0) && s["models"][0]["rows"] == json!(0)
    });
    let r = server.post("/v1/generate", &json!({"max_tokens": 2}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn ctrl_c_ends_streams_in_progress_and_exits_0() {
    let f = text_fixture();
    let mut server = Server::start(&f, &["--max-tokens", "100000000"]);
    let mut long = server.stream(&json!({"max_tokens": 100_000_000}));
    assert_eq!(long.next_event().unwrap().unwrap().name, "token");
    let mut child = server.child.take().unwrap();
    let pid = child.id().to_string();
    let stopped = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    // The stream ends with an error event rather than hanging.
    let mut last = None;
    while let Some(event) = long.next_event().unwrap() {
        last = Some(event);
    }
    let last = last.unwrap();
    assert_eq!(last.name, "error", "{last:?}");
    assert!(last.data.contains("shutting down"), "{last:?}");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopped.elapsed()
    );
}

#[test]
fn form_requests_keep_their_templates_stream_their_titles_and_report_form_metrics() {
    let f = common::titled_fixture(
        &tokenize::fixture::two_tune_corpus(),
        5,
        tokenize::Level::Char,
    );
    let server = Server::start(&f, &[]);
    let request = json!({
        "form": ["春江调", "秋月调"], "num_samples": 4, "seed": 5, "max_tokens": 60,
        "temperature": 1.0, "no_mixture": true,
    });
    let r = server.post("/v1/generate", &request);
    assert_eq!(r.status, 200, "{:?}", r.json());
    let whole = r.json().unwrap();
    let samples = whole["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 4);
    // Samples are shared out among the forms in order, each primed with its title.
    let shapes = ["春江调：", "春江调：", "秋月调：", "秋月调："];
    let bodies = [
        [5usize, 5, 5, 5].as_slice(),
        &[5, 5, 5, 5],
        &[4, 4, 6],
        &[4, 4, 6],
    ];
    for ((sample, title), lengths) in samples.iter().zip(shapes).zip(bodies) {
        let text = sample["text"].as_str().unwrap();
        let body = text.strip_prefix(title).unwrap_or_else(|| panic!("{text}"));
        let lines: Vec<usize> = body
            .split(['，', '。'])
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.chars().count())
            .collect();
        assert_eq!(lines, lengths, "{text}");
    }
    let forms = whole["metrics"]["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 2);
    for form in forms {
        assert_eq!(form["format_conformance"], json!(1.0), "{form}");
        assert_eq!(form["constrained"], json!(true));
    }
    // The stream shows each sample's title first and ends with the same reply.
    let mut stream = server.stream(&request);
    let (texts, done) = read_stream(&mut stream, "", 4);
    for (text, sample) in texts.iter().zip(samples) {
        assert_eq!(text, sample["text"].as_str().unwrap());
    }
    assert_eq!(done["samples"], whole["samples"]);
    // A form the model does not have is the request's fault.
    let bad = server.post("/v1/generate", &json!({"form": ["丙调"]}));
    assert_eq!(bad.status, 400);
    let error = bad.json().unwrap();
    assert_eq!(error["field"], json!("form"), "{error}");
    assert!(error["error"].as_str().unwrap().contains("丙调"), "{error}");
}
