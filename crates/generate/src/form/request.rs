//! From `--form`, `--acrostic` and `--rhyme` to what decoding needs: each named form found in
//! the model's catalogue ([`Forms`]: the forms mined by `tokenize --titles`, and the built-in
//! ones), the text that primes it (its title and `：` when it is a mined form of a titled
//! corpus), and its [`Template`]. Every check that needs the model's vocabulary or forms is
//! here, run before anything is written.

use crate::config::GenerateConfig;
use crate::error::GenerateError;
use crate::form::constraint::Template;
use crate::form::shapes::TokenShapes;
use std::sync::Arc;
use tokenize::forms::{Form, FormSource, Forms, TITLE_SEPARATOR};

/// One form to write.
#[derive(Debug, Clone)]
pub struct FormRequest {
    pub form: Form,
    /// What each token of the model's vocabulary can be in a poem.
    pub shapes: Arc<TokenShapes>,
    /// The text every sample of the form starts from (the title and `：`, or nothing).
    pub priming: String,
    pub template: Arc<Template>,
}

/// Resolves the run's `--form` names (none: an empty list) against `forms` and the vocabulary's
/// `shapes`, with the messages of the bad inputs: an unknown name (the closest known
/// ones and the command that lists all), an acrostic longer than a form or holding a character
/// no token begins with, `--rhyme` on a corpus without titles, a form longer than
/// `--max-tokens`.
pub fn resolve_forms(
    config: &GenerateConfig,
    forms: &Forms,
    shapes: &Arc<TokenShapes>,
) -> Result<Vec<FormRequest>, GenerateError> {
    let bad = |m: String| Err(GenerateError::Param(m));
    if config.form.is_empty() {
        return Ok(vec![]);
    }
    if config.rhyme && !forms.titled {
        return bad(
            "--rhyme: the model's corpus was tokenized without --titles, so no rhymes were mined from it; tokenize a titled corpus with --titles (`[tokenize] titles = true`) and train on it, or drop --rhyme".into(),
        );
    }
    let acrostic: Vec<char> = config.acrostic.as_deref().unwrap_or("").chars().collect();
    if let Some(&c) = acrostic.iter().find(|&&c| !shapes.starts_with(c)) {
        return bad(format!(
            "--acrostic: `{c}` is outside the model's vocabulary (no token begins with it); choose another character"
        ));
    }
    let mut requests = Vec::new();
    for name in &config.form {
        let form = forms.find(name).map_err(|e| {
            GenerateError::Param(format!(
                "--form {name}: {e}; `cargo xtask inspect CORPUS/tokenize` lists every form of a corpus"
            ))
        })?;
        let lines = form.pattern.lines.len();
        if acrostic.len() > lines {
            return bad(format!(
                "--acrostic {}: {} characters, one per line, but form {} has {lines} lines; give at most {lines}",
                config.acrostic.as_deref().unwrap_or(""),
                acrostic.len(),
                form.name
            ));
        }
        for line in &form.pattern.lines {
            if shapes.mark_id(line.punct).is_none() {
                return bad(format!(
                    "--form {}: its mark `{}` is not in the model's vocabulary, so the form cannot be written",
                    form.name, line.punct
                ));
            }
        }
        let mined_title = forms.titled && form.source == FormSource::Mined;
        let template = Template {
            lines: form.pattern.lines.clone(),
            acrostic: acrostic.clone(),
            rhyme_groups: if config.rhyme {
                form.rhyme_groups.clone()
            } else {
                vec![]
            },
            own_title: forms.titled && !mined_title,
        };
        if template.max_tokens() > config.max_tokens {
            return bad(format!(
                "--max-tokens {}: form {} ({}) needs up to {} tokens; give --max-tokens {} or more",
                config.max_tokens,
                form.name,
                form.pattern,
                template.max_tokens(),
                template.max_tokens()
            ));
        }
        requests.push(FormRequest {
            priming: if mined_title {
                format!("{}{TITLE_SEPARATOR}", form.name)
            } else {
                String::new()
            },
            form: form.clone(),
            shapes: shapes.clone(),
            template: Arc::new(template),
        });
    }
    Ok(requests)
}

/// The sample indices of each requested form: `num_samples` split into contiguous blocks, the
/// first forms getting one more when it does not divide evenly.
pub fn sample_blocks(num_samples: usize, forms: usize) -> Vec<std::ops::Range<usize>> {
    let (each, extra) = (num_samples / forms, num_samples % forms);
    let mut start = 0;
    (0..forms)
        .map(|k| {
            let n = each + usize::from(k < extra);
            start += n;
            start - n..start
        })
        .collect()
}
