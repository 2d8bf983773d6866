//! The train view: the final figures, the best validation, and the loss curve as a terminal
//! sparkline (the full curve is the artifact's `curve.svg`).

use super::summary;
use ::train::{Record, TrainSummary};
use anyhow::Result;
use artifact::Artifact;
use serde_json::{Value, json};

/// Characters of a sparkline, low to high.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_WIDTH: usize = 48;

pub(crate) fn view(artifact: &Artifact) -> Result<Value> {
    let metrics: TrainSummary = summary(::train::STAGE, &artifact.manifest().metrics)?;
    let records = ::train::read_metrics(artifact)?;
    let of_split = |split: &'static str| records.iter().filter(move |r| r.split == split);
    let losses = |split| -> Vec<f64> { of_split(split).map(|r| r.loss).collect() };
    let best: Option<&Record> = of_split("valid").min_by(|a, b| a.loss.total_cmp(&b.loss));
    let config = ::train::read_model_config(artifact)?;
    // A fine-tune's init.json names the tokens added and dropped; the summary counts them.
    let init: Option<::train::InitRecord> = match &metrics.init {
        Some(_) => Some(serde_json::from_str(&std::fs::read_to_string(
            artifact.path(::train::INIT_FILE),
        )?)?),
        None => None,
    };
    Ok(json!({
        "init": init,
        "model": config,
        "steps": metrics.steps,
        "epochs_completed": metrics.epochs_completed,
        "tokens_seen": metrics.tokens_seen,
        "stop_reason": metrics.stop_reason,
        "device": metrics.device,
        "train_tokens_per_s": metrics.train_tokens_per_s,
        "best_valid": best.map(|r| json!({"step": r.step, "epoch": r.epoch, "loss": r.loss, "bits_per_char": r.bits_per_char})),
        "valid": metrics.valid,
        "test": metrics.test,
        "baseline": metrics.baseline,
        "last_sample": records.iter().rev().find_map(|r| r.sample.clone()),
        "train_loss_sparkline": sparkline(&losses("train")),
        "valid_loss_sparkline": sparkline(&losses("valid")),
        "curve": artifact.path(::train::CURVE_FILE).display().to_string(),
    }))
}

pub(crate) fn print(view: &Value) {
    let figure = |split: &str, key: &str| {
        view[split][key]
            .as_f64()
            .map_or("?".into(), |v| format!("{v:.3}"))
    };
    println!(
        "  {} steps, {} epochs completed, {} tokens, stopped by {}, on {}",
        view["steps"],
        view["epochs_completed"],
        view["tokens_seen"],
        view["stop_reason"].as_str().unwrap_or("?"),
        view["device"].as_str().unwrap_or("?")
    );
    let init = &view["init"];
    if let Some(from) = init["from"].as_str() {
        let listed = |key: &str| -> String {
            let tokens: Vec<&str> = init[key]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).take(20).collect())
                .unwrap_or_default();
            if tokens.is_empty() {
                String::new()
            } else {
                format!(" ({}…)", tokens.join(" "))
            }
        };
        println!(
            "  fine-tuned from train artifact {from}: {} tokens kept, {} added{}, {} dropped{}{}",
            init["kept"],
            init["added"],
            listed("added_tokens"),
            init["dropped"],
            listed("dropped_tokens"),
            if init["frozen_embedding"] == json!(true) {
                "; embedding frozen"
            } else {
                ""
            }
        );
    }
    if let Some(best) = view["best_valid"].as_object() {
        println!(
            "  best validation at step {} (epoch {}): loss {:.4}",
            best["step"],
            best["epoch"],
            best["loss"].as_f64().unwrap_or(f64::NAN)
        );
    }
    for split in ["valid", "test"] {
        println!(
            "  {split:<5} ppl {}  bits/char {}",
            figure(split, "perplexity"),
            figure(split, "bits_per_char")
        );
    }
    let baseline = &view["baseline"];
    if let Some(order) = baseline["order"].as_u64() {
        let bpc = |v: &Value| v["bits_per_char"].as_f64().unwrap_or(f64::NAN);
        let lstm = bpc(&view["valid"]);
        println!(
            "  {order}-gram baseline: valid bits/char {:.3} (the LSTM is {:.3} below it)",
            bpc(&baseline["valid"]),
            bpc(&baseline["valid"]) - lstm
        );
        let mixture = &baseline["mixture"];
        println!(
            "  mixture λ = {:.2}: valid bits/char {:.3}, test {:.3}",
            mixture["lambda"].as_f64().unwrap_or(f64::NAN),
            bpc(&mixture["valid"]),
            bpc(&mixture["test"])
        );
    }
    if let Some(sample) = view["last_sample"].as_str() {
        println!("  last sample: {sample}");
    }
    println!(
        "  train loss {}",
        view["train_loss_sparkline"].as_str().unwrap_or("")
    );
    println!(
        "  valid loss {}",
        view["valid_loss_sparkline"].as_str().unwrap_or("")
    );
    println!("  curve: {}", view["curve"].as_str().unwrap_or(""));
}

/// `values` drawn as bars, squeezed to at most `SPARK_WIDTH` by averaging neighbours, with the
/// first and last value written beside it.
pub(crate) fn sparkline(values: &[f64]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let width = values.len().min(SPARK_WIDTH);
    let buckets: Vec<f64> = (0..width)
        .map(|i| {
            let (a, b) = (i * values.len() / width, (i + 1) * values.len() / width);
            values[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect();
    let (lo, hi) = buckets
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let bars: String = buckets
        .iter()
        .map(|&v| {
            let level = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            BARS[((level * (BARS.len() - 1) as f64).round() as usize).min(BARS.len() - 1)]
        })
        .collect();
    format!("{:.3} {bars} {:.3}", values[0], values[values.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn sparkline_falls_with_a_falling_loss_and_squeezes_long_runs() {
        let line = sparkline(&[4.0, 3.0, 2.0, 1.0]);
        assert_eq!(line, "4.000 █▆▃▁ 1.000");
        let long: Vec<f64> = (0..1000).map(|i| 1000.0 - i as f64).collect();
        let bars: String = sparkline(&long)
            .chars()
            .filter(|c| ('▁'..='█').contains(c))
            .collect();
        assert_eq!(bars.chars().count(), 48);
        assert!(bars.starts_with('█') && bars.ends_with('▁'));
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[2.0, 2.0]), "2.000 ▅▅ 2.000");
    }
}
