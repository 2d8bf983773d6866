//! The generate view: the samples and the quality figures of the run.

use super::summary;
use ::generate::GenerateSummary;
use anyhow::Result;
use artifact::Artifact;
use serde_json::{Value, json};

/// Samples shown in the text view (all of them are in `--json` and `samples.txt`).
const SHOWN: usize = 10;

pub(crate) fn view(artifact: &Artifact) -> Result<Value> {
    let metrics: GenerateSummary = summary(::generate::STAGE, &artifact.manifest().metrics)?;
    let samples = ::generate::read_samples(artifact)?;
    Ok(json!({
        "params": samples.first().map(|s| &s.params),
        "metrics": metrics,
        "samples": samples.iter().map(|s| json!({
            "text": s.text,
            "tokens": s.token_count,
            "mean_log_prob": s.mean_log_prob,
        })).collect::<Vec<_>>(),
    }))
}

pub(crate) fn print(view: &Value) {
    let m = &view["metrics"];
    let f = |k: &str| m[k].as_f64().map_or("?".into(), |v| format!("{v:.3}"));
    println!(
        "  {} samples, {} tokens; distinct-1 {} distinct-2 {}, repeated 4-grams {}, copy rate {}, mean NLL {}",
        m["samples"],
        m["tokens"],
        f("distinct_1"),
        f("distinct_2"),
        f("repeated_4gram_rate"),
        f("copy_rate"),
        f("mean_nll")
    );
    if m["mode"] == "names" {
        println!(
            "  names mode{}: {} generated, kept {} of {} requested; dropped {} known, {} duplicate, {} empty{}",
            if m["mode_automatic"] == true {
                " (automatic)"
            } else {
                ""
            },
            m["generated"],
            m["samples"],
            m["requested"],
            m["dropped_known"],
            m["dropped_duplicate"],
            m["dropped_empty"],
            if m["cap_reached"] == true {
                "; the 10x cap was reached"
            } else {
                ""
            }
        );
    }
    for form in m["forms"].as_array().into_iter().flatten() {
        if let Ok(form) = serde_json::from_value::<::generate::form::FormMetrics>(form.clone()) {
            println!("  {}", ::generate::form::check::describe(&form));
        }
    }
    let samples = view["samples"].as_array().map_or(&[][..], Vec::as_slice);
    for s in samples.iter().take(SHOWN) {
        let text = s["text"].as_str().unwrap_or("").trim_end();
        println!("  ─ {}", text.replace('\n', "\n    "));
    }
    if samples.len() > SHOWN {
        println!(
            "  … {} more (all in samples.txt, or --json)",
            samples.len() - SHOWN
        );
    }
}
