//! `cargo xtask report CORPUS`: one self-contained HTML page (`<root>/report.html`) with the
//! lineage of the latest run, each stage's parameters and figures, the loss curve and the
//! samples: what a user shares with a classmate. Everything is inlined (styles, the SVG
//! curve), so the file can be mailed or opened offline.

use crate::inspect::view;
use crate::pipeline::stage::Stage;
use crate::project_root;
use anyhow::{Context, Result, bail};
use artifact::Artifact;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `cargo xtask report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// The corpus whose artifacts to report on (its folder name under the artifacts root)
    #[arg(default_value = "songci")]
    corpus: String,
    /// The artifacts root (default: artifacts/ in the workspace)
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
}

pub(crate) fn run(args: &ReportArgs) -> Result<()> {
    let artifacts = args
        .artifacts
        .clone()
        .unwrap_or_else(|| project_root().join("artifacts"));
    let root = artifacts.join(&args.corpus);
    let chain =
        lineage(&root).with_context(|| format!("cannot report on corpus `{}`", args.corpus))?;
    let html = render(&args.corpus, &chain)?;
    let out = root.join("report.html");
    artifact::write_atomic(&out, html.as_bytes())?;
    println!("{}", out.display());
    Ok(())
}

/// The artifacts of the latest run, upstream first: the furthest stage's `latest` and what it
/// was made from.
fn lineage(root: &Path) -> Result<Vec<Artifact>> {
    let mut last = None;
    for stage in Stage::ALL.into_iter().rev() {
        if let Some(id) = artifact::latest_id(root, stage.name())? {
            last = Some(root.join(stage.name()).join(id));
            break;
        }
    }
    let Some(last) = last else {
        bail!(
            "no complete artifact under {}: run `cargo xtask pipeline` for it first",
            root.display()
        );
    };
    let mut chain = Vec::new();
    let mut current = Artifact::open_any(&last)?;
    loop {
        let upstream = current
            .manifest()
            .inputs
            .iter()
            .find_map(|i| Stage::from_name(&i.stage));
        let next = upstream
            .map(|stage| current.open_input_any(stage.name()))
            .transpose()?;
        chain.push(current);
        match next {
            Some(artifact) => current = artifact,
            None => break,
        }
    }
    chain.reverse();
    Ok(chain)
}

fn render(corpus: &str, chain: &[Artifact]) -> Result<String> {
    let mut h = String::new();
    let made = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    write!(
        h,
        "<!doctype html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n<title>jianghu · {c}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>jianghu · {c}</h1>\n<p class=\"meta\">Report made {made} from the artifacts of the latest run.</p>\n",
        c = escape(corpus)
    )?;
    h.push_str("<h2>Lineage</h2>\n<ol class=\"lineage\">\n");
    for a in chain {
        let m = a.manifest();
        let from: Vec<String> = m
            .inputs
            .iter()
            .map(|i| format!("{} <code>{}</code>", escape(&i.stage), escape(&i.id)))
            .collect();
        writeln!(
            h,
            "<li><b>{}</b> <code>{}</code> ← {} <span class=\"meta\">made {}, {:.1} s</span></li>",
            escape(&m.stage),
            escape(&m.id),
            from.join(", "),
            escape(&m.created_at),
            m.elapsed_s
        )?;
    }
    h.push_str("</ol>\n<h2>Stages</h2>\n<table>\n<tr><th>stage</th><th>key figures</th><th>parameters</th></tr>\n");
    for a in chain {
        let m = a.manifest();
        let figures = view::key_figures(&m.stage, &m.metrics).replace(' ', "<br>");
        writeln!(
            h,
            "<tr><td><b>{}</b></td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&m.stage),
            figures,
            escape(&serde_json::to_string(&m.params)?)
        )?;
    }
    h.push_str("</table>\n");
    for a in chain {
        match a.manifest().stage.as_str() {
            train::STAGE => training(&mut h, a)?,
            generate::STAGE => samples(&mut h, a)?,
            _ => {}
        }
    }
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

fn training(h: &mut String, a: &Artifact) -> Result<()> {
    let m: train::TrainSummary = view::summary(train::STAGE, &a.manifest().metrics)?;
    h.push_str("<h2>Training</h2>\n<table>\n<tr><th></th><th>loss</th><th>perplexity</th><th>bits per character</th></tr>\n");
    for (split, e) in [("valid", m.valid), ("test", m.test)] {
        writeln!(
            h,
            "<tr><td>{split}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            e.loss, e.perplexity, e.bits_per_char
        )?;
    }
    let stop_reason = serde_json::to_value(m.stop_reason)?;
    writeln!(
        h,
        "</table>\n<p>{} steps, {} tokens, stopped by {}, on {}.</p>",
        m.steps,
        m.tokens_seen,
        escape(stop_reason.as_str().unwrap_or("?")),
        escape(&m.device)
    )?;
    let curve = a.path(train::CURVE_FILE);
    let svg =
        std::fs::read_to_string(&curve).with_context(|| format!("reading {}", curve.display()))?;
    // The SVG goes inline; an XML declaration is not allowed inside HTML.
    let svg = svg
        .trim_start()
        .strip_prefix("<?xml")
        .map_or(svg.as_str(), |rest| {
            rest.split_once("?>").map_or(rest, |(_, body)| body)
        });
    writeln!(
        h,
        "<figure>{svg}<figcaption>Loss against tokens seen</figcaption></figure>"
    )?;
    Ok(())
}

fn samples(h: &mut String, a: &Artifact) -> Result<()> {
    let m: generate::GenerateSummary = view::summary(generate::STAGE, &a.manifest().metrics)?;
    writeln!(
        h,
        "<h2>Samples</h2>\n<p>distinct-1 {:.3}, distinct-2 {:.3}, repeated 4-grams {:.3}, copy rate {:.3}, mean NLL {:.3} nats/token.</p>",
        m.distinct_1, m.distinct_2, m.repeated_4gram_rate, m.copy_rate, m.mean_nll
    )?;
    if !m.forms.is_empty() {
        writeln!(
            h,
            "<table><tr><th>form</th><th>template</th><th>samples</th><th>format conformance</th><th>rhyme positions rhyming</th><th>constraint cost (nats/token)</th></tr>"
        )?;
        for f in &m.forms {
            writeln!(
                h,
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{:.1}% ({}/{})</td><td>{:.1}% ({}/{}){}</td><td>{}</td></tr>",
                escape(&f.form),
                if f.constrained {
                    ""
                } else {
                    " (unconstrained)"
                },
                escape(f.pattern.as_deref().unwrap_or("each sample's tune")),
                f.samples,
                100.0 * f.format_conformance,
                f.conforming,
                f.samples,
                100.0 * f.rhyme_conformance,
                f.rhyming,
                f.rhyme_positions,
                if f.rhyme_fallbacks > 0 {
                    format!(", {} fallbacks", f.rhyme_fallbacks)
                } else {
                    String::new()
                },
                f.constraint_cost
                    .map_or_else(|| "-".to_owned(), |c| format!("{c:.3}"))
            )?;
        }
        writeln!(h, "</table>")?;
    }
    let samples = generate::read_samples(a)?;
    if let Some(prompt) = samples
        .first()
        .map(|s| &s.params.prompt)
        .filter(|p| !p.is_empty())
    {
        writeln!(h, "<p>Prompt: <b>{}</b></p>", escape(prompt))?;
    }
    for s in &samples {
        writeln!(
            h,
            "<blockquote>{}</blockquote>",
            escape(s.text.trim_end()).replace('\n', "<br>")
        )?;
    }
    Ok(())
}

/// Text made safe for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Source Han Sans SC',sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}\
h1{font-weight:600}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}\
.meta{color:#777;font-size:.9em}code{font-size:.85em;background:#f4f4f4;padding:0 .2em;word-break:break-all}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}\
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{color:#777;font-size:.9em}\
blockquote{font-family:'Noto Serif CJK SC','Source Han Serif SC',serif;font-size:1.15em;border-left:3px solid #b33;margin:1rem 0;padding:.2rem 1rem;background:#fbf8f3}";

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>江湖"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;江湖"
        );
    }
}
