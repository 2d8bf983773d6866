//! Forms: the fixed shapes of poems written to a title (a Song ci tune such as 浣溪沙, whose
//! tune fixes line lengths, punctuation and rhymes) and the built-in shi forms (绝句, 律诗).
//!
//! - [`title`]: the titled layout `TITLE：BODY` (one poem per paragraph; the first full-width
//!   colon ends the title) and the tune a title names (the part before `・`).
//! - [`pattern`]: a body's shape, its lines as (length in characters, closing punctuation).
//! - [`rhyme`]: the rhyme class of a character (the 13 classes of 十三辙 from its Mandarin
//!   pinyin, through the `pinyin` crate).
//! - [`mine`]: the templates mined from a titled corpus: per tune the dominant pattern, how many
//!   poems follow it, and the groups of line ends that rhyme together.
//! - [`builtin`]: 五言/七言 绝句 and 律诗.
//! - [`file`](mod@file): `forms.json` in a tokenize artifact made with `--titles`, its reader,
//!   and the catalogue [`Forms`] that `generate --form` looks names up in.

pub mod builtin;
pub mod file;
pub mod mine;
pub mod pattern;
pub mod rhyme;
pub mod title;

pub use file::{FORMS_FILE, FORMS_FORMAT_VERSION, Form, FormSource, Forms, FormsFile, read_forms};
pub use mine::{MIN_FORM_POEMS, mine_forms};
pub use pattern::{Line, PUNCTUATION, Pattern, is_punctuation};
pub use rhyme::RhymeClass;
pub use title::{TITLE_SEPARATOR, split_title, tune_of};
