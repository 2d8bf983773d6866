//! A short sample at each validation, so that a user watching a run (of minutes or of hours)
//! sees the text improve, not only the loss: up to [`PREVIEW_TOKENS`] tokens from the start of
//! a paragraph at temperature [`PREVIEW_TEMPERATURE`], `<unk>` never drawn, stopping at the
//! first `<eos>`. The seed is fixed per run, so two previews of one run differ only by the
//! weights, and a resumed run writes the same previews as an uninterrupted one.

use model::LstmLm;
use tch::{Kind, Tensor};
use tokenize::{EOS_ID, UNK_ID, Vocab};

/// The longest preview, in tokens.
pub const PREVIEW_TOKENS: usize = 40;
/// The sampling temperature of previews.
pub const PREVIEW_TEMPERATURE: f64 = 0.8;

/// A preview sample of `model`, decoded with `vocab`. It seeds libtorch's generator with
/// `seed`; training reseeds it before every step, so drawing here changes no training result.
pub fn preview(model: &LstmLm, vocab: &Vocab, seed: u64) -> String {
    let _no_grad = tch::no_grad_guard();
    tch::manual_seed((seed & (i64::MAX as u64)) as i64);
    let mut state = model.zero_state(1);
    let device = state.h.device();
    let mut token = EOS_ID;
    let mut text = String::new();
    for _ in 0..PREVIEW_TOKENS {
        let input = Tensor::from_slice(&[i64::from(token)])
            .view([1, 1])
            .to(device);
        let (log_probs, next) = model.forward(&input, &state, false);
        state = next;
        let logits = log_probs.view([-1]).to_kind(Kind::Float) / PREVIEW_TEMPERATURE;
        let _ = logits.get(i64::from(UNK_ID)).fill_(f64::NEG_INFINITY);
        let drawn = logits.softmax(0, Kind::Float).multinomial(1, false);
        token = u32::try_from(drawn.int64_value(&[0])).unwrap_or(EOS_ID);
        if token == EOS_ID {
            break;
        }
        text.push_str(vocab.token(token));
    }
    text
}
