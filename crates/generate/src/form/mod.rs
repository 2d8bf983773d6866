//! Poems that keep their form: `--form NAME` (a tune mined by `tokenize --titles`, or a built-in
//! shi form), `--acrostic` and `--rhyme`, by constrained decoding, and the form metrics of every
//! run.
//!
//! - [`request`]: the flags resolved against the model's forms and vocabulary, with their
//!   errors, and what primes each form (its title and `：`);
//! - [`shapes`]: what each token can be in a poem (characters, a mark, `<eos>`);
//! - [`constraint`]: [`FormState`], a sample's place in its template and the mask it puts on
//!   each row of log-probabilities before the sampler or the beam sees it; the template is
//!   then kept by construction, whatever the model, and the mask's cost is recorded;
//! - [`check`]: format, rhyme and acrostic conformance of finished samples ([`FormMetrics`]),
//!   also for unconstrained runs against the tune they were primed with;
//! - `decode` (with libtorch): the batch and the beam of one form.

pub mod check;
pub mod constraint;
pub mod request;
pub mod shapes;

model::torch_only! {
    pub mod decode;
}

pub use check::{FormMetrics, FormTally, constrained_metrics, unconstrained_metrics};
pub use constraint::{FormState, MAX_TITLE_CHARS, Template};
pub use request::{FormRequest, resolve_forms, sample_blocks};
pub use shapes::{Shape, TokenShapes};
