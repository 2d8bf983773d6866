//! Turning the user's prompt into token ids the way the training text was segmented; words
//! outside the vocabulary are split into known characters where possible, else `<unk>`.

use tokenize::{EOS_ID, Tokenizer, UNK_ID};

/// A prompt as ids, with the words that were not in the vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedPrompt {
    pub ids: Vec<u32>,
    /// Words outside the vocabulary, in order (split into characters or `<unk>`).
    pub unknown: Vec<String>,
    /// How many `<unk>` ids the prompt got.
    pub unk_count: usize,
}

/// Segments `prompt` like the tokenize stage (a newline ends a paragraph: `<eos>`); an
/// out-of-vocabulary word becomes its characters, each one `<unk>` when it is unknown too.
pub fn encode_prompt(tokenizer: &Tokenizer, prompt: &str) -> EncodedPrompt {
    let vocab = tokenizer.vocab();
    let mut out = EncodedPrompt {
        ids: vec![],
        unknown: vec![],
        unk_count: 0,
    };
    for line in prompt.split_inclusive('\n') {
        let (body, eos) = match line.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (line, false),
        };
        for word in tokenizer.segment(body) {
            if let Some(id) = vocab.id(word) {
                out.ids.push(id);
                continue;
            }
            out.unknown.push(word.to_owned());
            let mut buf = [0u8; 4];
            for ch in word.chars() {
                let id = vocab.id(ch.encode_utf8(&mut buf)).unwrap_or(UNK_ID);
                if id == UNK_ID {
                    out.unk_count += 1;
                }
                out.ids.push(id);
            }
        }
        if eos {
            out.ids.push(EOS_ID);
        }
    }
    out
}
