//! `forms.json`, written into a tokenize artifact made with `--titles`: the mined forms and the
//! built-in ones with their counts in the corpus. [`Forms`] is the catalogue that `generate
//! --form` looks a name up in (the built-in forms alone for an artifact without titles).

use crate::error::TokenizeError;
use crate::forms::builtin::builtin_forms;
use crate::forms::pattern::Pattern;
use crate::forms::title::tune_of;
use artifact::Artifact;
use serde::{Deserialize, Serialize};

/// The forms file inside a tokenize artifact made with `--titles`.
pub const FORMS_FILE: &str = "forms.json";
/// Version of `forms.json`'s format (recorded in the file; a file of another version is refused
/// with the advice to rerun `tokenize`).
pub const FORMS_FORMAT_VERSION: u32 = 1;

/// Where a form comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormSource {
    /// The dominant pattern of a tune's poems in the corpus.
    Mined,
    /// One of the built-in shi forms.
    Builtin,
}

/// One form: its name, its template and its rhyme groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// The tune (mined) or the form's name (built-in): what `--form` takes.
    pub name: String,
    pub source: FormSource,
    /// The template: line lengths and the mark closing each line.
    pub pattern: Pattern,
    /// Poems of the corpus that follow the pattern (mined: of this tune; built-in: of any
    /// title).
    pub poems: usize,
    /// Poems of the tune with any pattern (0 for built-in forms).
    pub poems_of_tune: usize,
    /// Sets of line indices (from 0) whose last characters rhyme together.
    pub rhyme_groups: Vec<Vec<usize>>,
}

impl Form {
    /// Whether line `index`'s end is in a rhyme group.
    pub fn rhymes_at(&self, index: usize) -> bool {
        self.rhyme_groups.iter().any(|g| g.contains(&index))
    }

    /// Share of the tune's poems that follow the pattern (0 for built-in forms).
    pub fn share(&self) -> f64 {
        if self.poems_of_tune == 0 {
            0.0
        } else {
            self.poems as f64 / self.poems_of_tune as f64
        }
    }
}

/// Contents of `forms.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormsFile {
    pub format_version: u32,
    /// Paragraphs with a title (`TITLE：BODY`).
    pub titled_poems: usize,
    /// Paragraphs without one (not mined).
    pub untitled_paragraphs: usize,
    /// Titled poems whose body has no pattern (it ends in characters no mark closes).
    pub irregular_poems: usize,
    /// Distinct tunes (titles up to their subtitle).
    pub tunes: usize,
    /// The poems a tune's dominant pattern needed to become a form.
    pub min_poems: usize,
    /// The mined forms, most poems first.
    pub forms: Vec<Form>,
    /// The built-in forms with the corpus's poems that follow them.
    pub builtin: Vec<Form>,
}

impl FormsFile {
    /// Titled poems whose tune has a mined form.
    pub fn poems_of_mined_tunes(&self) -> usize {
        self.forms.iter().map(|f| f.poems_of_tune).sum()
    }

    /// Titled poems that follow their tune's mined pattern.
    pub fn poems_following_mined(&self) -> usize {
        self.forms.iter().map(|f| f.poems).sum()
    }

    /// The file's text (pretty JSON and a newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("forms serialise");
        text.push('\n');
        text
    }
}

/// Reads `forms.json` of a tokenize artifact: `None` when the artifact was made without
/// `--titles` (it lists no such file).
pub fn read_forms(artifact: &Artifact) -> Result<Option<FormsFile>, TokenizeError> {
    if !artifact
        .manifest()
        .outputs
        .iter()
        .any(|o| o.path == FORMS_FILE)
    {
        return Ok(None);
    }
    artifact.verify_files([FORMS_FILE])?;
    let path = artifact.path(FORMS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TokenizeError::io(&path, e))?;
    let bad = |message: String| TokenizeError::BadVocab {
        path: path.clone(),
        message,
    };
    let file: FormsFile =
        serde_json::from_str(&text).map_err(|e| bad(format!("malformed forms: {e}")))?;
    if file.format_version != FORMS_FORMAT_VERSION {
        return Err(bad(format!(
            "forms format version {}, this build reads {FORMS_FORMAT_VERSION}; rerun `tokenize`",
            file.format_version
        )));
    }
    Ok(Some(file))
}

/// The forms a model can be asked for: the mined ones of its corpus (when tokenized with
/// `--titles`) and the built-in ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Forms {
    /// The corpus has titles: generation primes a form with its title.
    pub titled: bool,
    pub mined: Vec<Form>,
    pub builtin: Vec<Form>,
}

/// How many close names the error for an unknown form lists.
const CLOSEST: usize = 5;

impl Forms {
    /// The catalogue of a tokenize artifact's `forms.json`, or of the built-in forms alone.
    pub fn new(file: Option<FormsFile>) -> Forms {
        match file {
            Some(f) => Forms {
                titled: true,
                mined: f.forms,
                builtin: f.builtin,
            },
            None => Forms {
                titled: false,
                mined: vec![],
                builtin: builtin_forms(),
            },
        }
    }

    /// Every form, mined first.
    pub fn all(&self) -> impl Iterator<Item = &Form> {
        self.mined.iter().chain(&self.builtin)
    }

    /// The form called `name` (a mined tune, also when given with its subtitle, or a built-in
    /// form); the error lists the closest known names.
    pub fn find(&self, name: &str) -> Result<&Form, String> {
        let tune = tune_of(name);
        if let Some(form) = self.all().find(|f| f.name == name || f.name == tune) {
            return Ok(form);
        }
        let mut scored: Vec<(usize, &str)> = self
            .all()
            .map(|f| {
                let distance = strsim::levenshtein(&f.name, tune);
                let shares = f.name.chars().any(|c| tune.contains(c));
                (
                    if shares { distance } else { distance + 100 },
                    f.name.as_str(),
                )
            })
            .collect();
        scored.sort();
        let closest: Vec<&str> = scored.iter().take(CLOSEST).map(|s| s.1).collect();
        Err(format!(
            "no form named `{name}`{}; the closest known: {}",
            if self.titled {
                ""
            } else {
                " (the corpus was tokenized without --titles, so only the built-in forms exist)"
            },
            closest.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::mine::mine_forms;

    #[test]
    fn an_unknown_name_lists_the_closest() {
        let forms = Forms::new(Some(mine_forms(vec![
            "浣溪沙：天地人，山水风。";
            5
        ])));
        assert_eq!(forms.find("浣溪沙").unwrap().poems, 5);
        assert_eq!(forms.find("浣溪沙・春").unwrap().name, "浣溪沙");
        assert_eq!(forms.find("七言绝句").unwrap().source, FormSource::Builtin);
        let err = forms.find("浣沙溪").unwrap_err();
        assert!(
            err.starts_with("no form named `浣沙溪`; the closest known: 浣溪沙"),
            "{err}"
        );
        let err = Forms::new(None).find("浣溪沙").unwrap_err();
        assert!(err.contains("without --titles"), "{err}");
    }
}
